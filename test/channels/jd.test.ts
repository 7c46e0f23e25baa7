import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  jdAdapter,
  jdReason,
  parseJdOrder,
  parseJdRefundApply,
  parseJdService,
} from "../../src/channels/platforms/jd/adapter.ts";
import {
  formatJdTime,
  JD_REFUND_APPLY_STATUS,
  jdFen,
  jdRoot,
  jdSign,
  parseJdJson,
  signedJdParams,
  verifyJdRequest,
} from "../../src/channels/platforms/jd/protocol.ts";
import { PLATFORM_STATES } from "../../src/channels/platforms/platform.ts";
import { normalizeOrder } from "../../src/domain/order.ts";
import { expectCode } from "../domain/expect-code.ts";

// No JD fixture exists in shared/fixtures: these samples are built from the documented field names of
// RefundApplyVo (jingdong.pop.afs.soa.refundapply.queryPageList), ServiceBrief (jingdong.asc.*.list) and
// OrderInfo (jingdong.pop.order.search), not captured from JD.
const refundApply = (over: Record<string, unknown> = {}) => ({
  id: 20000123,
  orderId: "301234567890",
  buyerId: "jd_8f2a",
  buyerName: "jd***",
  applyTime: "2024-06-01 10:00:00",
  checkTime: null,
  applyRefundSum: 1990,
  status: 0,
  checkUserName: null,
  checkRemark: null,
  reason: "不想买了",
  systemId: 1,
  skuVoList: [{ skuId: 100012, skuName: "Tea", skuCount: 1 }],
  ...over,
});
const serviceBrief = (over: Record<string, unknown> = {}) => ({
  applyId: 5001,
  serviceId: 700000123,
  orderId: 301234567890,
  applyTime: "2024-06-02 09:30:00",
  customerExpect: 10,
  customerExpectName: "退货",
  serviceStatus: 10001,
  serviceStatusName: "待审核",
  customerPin: "jd_8f2a",
  skuId: 100012,
  wareName: "Tea",
  serviceCount: 1,
  ...over,
});

describe("JD refund-apply (退款审核单) records", () => {
  it("parse into our terms: prefixed id, order, amount in 分, Beijing times, reason, items", () => {
    expect(parseJdRefundApply(refundApply())).toMatchObject({
      externalId: "refundapply:20000123",
      orderExternalId: "301234567890",
      type: "refund_only",
      state: "requested",
      platformStatus: "0 未审核",
      requestedAmount: 1990,
      currency: "CNY",
      reason: "changed_mind",
      reasonText: "不想买了",
      items: [{ lineExternalId: "100012", sku: "100012", quantity: 1 }],
      createdAt: "2024-06-01T02:00:00.000Z",
      updatedAt: "2024-06-01T02:00:00.000Z",
    });
    const checked = parseJdRefundApply(
      refundApply({ status: 2, checkTime: "2024-06-01 11:00:00", checkRemark: "已发货" }),
    );
    expect(checked).toMatchObject({ state: "refused", updatedAt: "2024-06-01T03:00:00.000Z" });
    expect(checked.description).toContain("审核备注: 已发货");
  });

  const expected: Record<number, string> = {
    0: "requested",
    1: "refunding",
    2: "refused",
    3: "refunding", // 京东财务审核通过 is not money refunded
    4: "intervened",
    5: "refunding",
    6: "refunding",
    7: "refunding",
    8: "intervened",
    9: "refunding",
  };

  it("the table holds JD's documented statuses 0–9, verbatim", () => {
    expect(Object.keys(JD_REFUND_APPLY_STATUS).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(JD_REFUND_APPLY_STATUS[3]).toBe("京东财务审核通过");
  });

  it.each(Object.keys(expected).map(Number))("status %i maps to a state", (status) => {
    const c = parseJdRefundApply(refundApply({ status }));
    expect(c.state).toBe(expected[status]);
    expect(c.state in PLATFORM_STATES).toBe(true);
  });

  it("no refund-apply status reads as refunded: an audit is not the money", () => {
    const states = Object.keys(expected).map(
      (s) => parseJdRefundApply(refundApply({ status: Number(s) })).state,
    );
    expect(states).not.toContain("refunded");
  });

  it.each([10, 11, 27, -1, "x", null])("status %j is refused with PLATFORM_UNKNOWN_STATUS", (status) => {
    const err = expectCode(() => parseJdRefundApply(refundApply({ status })), "PLATFORM_UNKNOWN_STATUS");
    expect(err.details).toMatchObject({ platform: "jd", externalId: "refundapply:20000123" });
  });

  it("reads applyRefundSum as whole 分, from a number or digits, and refuses fractions", () => {
    expect(jdFen(1990, "applyRefundSum")).toBe(1990);
    expect(jdFen("1990", "applyRefundSum")).toBe(1990);
    expect(jdFen(1990.0, "applyRefundSum")).toBe(1990);
    expectCode(() => jdFen(19.9, "applyRefundSum"), "PLATFORM_BAD_RESPONSE");
    expectCode(() => parseJdRefundApply(refundApply({ applyRefundSum: "19.90" })), "PLATFORM_BAD_RESPONSE");
    expectCode(() => parseJdRefundApply(refundApply({ applyTime: "06/01/2024" })), "PLATFORM_BAD_RESPONSE");
  });

  it.each([
    ["不想买了", "changed_mind"],
    ["买错了/多买了", "changed_mind"],
    ["发货慢", "logistics_delay"],
    ["商品质量问题", "quality"],
    ["地址填写错误", "other"],
  ])("reason %s → %s", (text, code) => {
    expect(jdReason(text)).toBe(code);
  });
});

describe("JD service orders (售后服务单): unverified codes are not guessed", () => {
  it("parse the verified subset", () => {
    const parsed = parseJdService(serviceBrief());
    expect(parsed).toMatchObject({
      case: {
        externalId: "asc:700000123",
        orderExternalId: "301234567890",
        type: "return_refund",
        state: "requested",
        platformStatus: "10001 待审核",
        requestedAmount: null,
        items: [{ lineExternalId: "100012", sku: "100012", quantity: 1 }],
        createdAt: "2024-06-02T01:30:00.000Z",
      },
    });
  });

  it.each([
    [10001, "requested"],
    [10004, "cancelled"],
    [10010, "completed"],
    [10011, "cancelled"],
  ])("serviceStatus %i → %s", (serviceStatus, state) => {
    const parsed = parseJdService(serviceBrief({ serviceStatus }));
    expect("case" in parsed && parsed.case.state).toBe(state);
  });

  it.each([10002, 10005, 10007, 10009, 13000])(
    "serviceStatus %i (unverified) is an error naming it",
    (serviceStatus) => {
      const err = expectCode(
        () => parseJdService(serviceBrief({ serviceStatus, serviceStatusName: "待收货" })),
        "PLATFORM_UNKNOWN_STATUS",
      );
      expect(err.message).toContain(String(serviceStatus));
      expect(err.message).toContain("unverified");
    },
  );

  it("customerExpect: 10 退货, 11 仅退款, 20 换货, 80 补发 are cases; 维修 and services are not; unknown is an error", () => {
    const types = [10, 11, 20, 80].map((customerExpect) => {
      const p = parseJdService(serviceBrief({ customerExpect }));
      return "case" in p ? p.case.type : null;
    });
    expect(types).toEqual(["return_refund", "refund_only", "exchange", "reship"]);
    expect(parseJdService(serviceBrief({ customerExpect: 30 }))).toEqual({
      notACase: expect.stringContaining("维修"),
    });
    expectCode(() => parseJdService(serviceBrief({ customerExpect: 999 })), "PLATFORM_UNKNOWN_TYPE");
  });
});

describe("JD orders", () => {
  it("turn an OrderInfo (元) into an order whose lines, discounts, freight and payment add up", () => {
    const input = parseJdOrder(
      {
        orderId: "301234567890",
        pin: "jd_8f2a",
        orderState: "WAIT_GOODS_RECEIVE_CONFIRM",
        orderStartTime: "2024-06-01 09:00:00",
        paymentConfirmTime: "2024-06-01 09:01:00",
        orderTotalPrice: "39.80",
        sellerDiscount: "3.00",
        freightPrice: "6.00",
        orderPayment: "40.80",
        waybill: "JDV0001",
        logisticsId: "467",
        itemInfoList: [
          { skuId: "100012", outerSkuId: "TEA-1", skuName: "Tea", jdPrice: "19.90", itemTotal: "2" },
        ],
      },
      "shop-jd",
    );
    expect(input).toMatchObject({
      shop: "shop-jd",
      externalId: "301234567890",
      customer: { id: "jd_8f2a" },
      paidAt: "2024-06-01T01:01:00.000Z",
      lines: [{ externalId: "100012", sku: "TEA-1", quantity: 2, unitPrice: "19.90" }],
      discounts: [
        { kind: "seller", amount: "3.00" },
        { kind: "platform", amount: "2.00" },
      ],
      shipments: [{ carrier: "467", trackingNo: "JDV0001", status: "shipped" }],
    });
    expect(normalizeOrder(input).paidTotal).toBe(4080);
  });
});

describe("JD signing", () => {
  const app = { appKey: "APPKEY", appSecret: "s3cret", accessToken: "tok" };

  it("is upper-hex MD5(secret + sorted name+value + secret), over 360buy_param_json as one value", () => {
    const now = Date.parse("2024-06-01T02:00:00Z");
    const params = signedJdParams(
      app,
      "jingdong.pop.afs.soa.refundapply.queryPageList",
      { pageIndex: 1 },
      now,
    );
    expect(params).toMatchObject({
      v: "2.0",
      app_key: "APPKEY",
      timestamp: "2024-06-01 10:00:00",
      "360buy_param_json": '{"pageIndex":1}',
    });
    const base =
      's3cret360buy_param_json{"pageIndex":1}access_tokentokapp_keyAPPKEYformatjsonmethodjingdong.pop.afs.soa.refundapply.queryPageListtimestamp2024-06-01 10:00:00v2.0s3cret';
    expect(params.sign).toBe(createHash("md5").update(base).digest("hex").toUpperCase());
    expect(jdSign(app.appSecret, params)).toBe(params.sign);
  });

  it("verifies a signed request and answers each fault with the gateway's code", () => {
    const now = Date.now();
    const params = signedJdParams(app, "jingdong.asc.query.list", { serviceId: 1 }, now);
    expect(verifyJdRequest(app, params, now)).toEqual({ ok: true });
    const tampered = { ...params, "360buy_param_json": '{"serviceId":2}' };
    expect(verifyJdRequest(app, tampered, now)).toMatchObject({ ok: false, error: { code: "12" } });
    expect(verifyJdRequest({ ...app, appSecret: "other" }, params, now)).toMatchObject({
      ok: false,
      error: { code: "12" },
    });
    const { sign: _, ...unsigned } = params;
    expect(verifyJdRequest(app, unsigned, now)).toMatchObject({ ok: false, error: { code: "11" } });
    expect(verifyJdRequest(app, params, now + 7 * 60_000)).toMatchObject({ ok: false, error: { code: "8" } });
    expect(verifyJdRequest(app, { ...params, v: "1.0" }, now)).toMatchObject({
      ok: false,
      error: { code: "5" },
    });
    const { method: __, ...noMethod } = params;
    expect(verifyJdRequest(app, noMethod, now)).toMatchObject({ ok: false, error: { code: "14" } });
  });

  it("names response roots the way JOS spells them, and keeps Long ids exact", () => {
    expect(jdRoot("jingdong.pop.afs.soa.refundapply.queryPageList")).toBe(
      "jingdong_pop_afs_soa_refundapply_queryPageList_responce",
    );
    expect(parseJdJson('{"orderId": 90071992547409931}')).toEqual({ orderId: "90071992547409931" });
    expect(formatJdTime(Date.parse("2024-12-31T16:30:05Z"))).toBe("2025-01-01 00:30:05");
  });
});

describe("JD adapter", () => {
  it("declares its limits and credentials", () => {
    expect(jdAdapter.channel).toBe("jd");
    expect(jdAdapter.limits).toEqual({ maxWindowMs: 60 * 60 * 1000, pageSize: 50 });
    expect(jdAdapter.credentialFields).toEqual(["app_key", "app_secret", "access_token", "vender_id"]);
    expect(jdAdapter.baseUrl).toBe("https://api.jd.com");
    expect(() => jdAdapter.connect({ app_key: "x" }, { baseUrl: "http://127.0.0.1:1" })).toThrow(
      expect.objectContaining({ kind: "auth", code: "CREDENTIALS_INCOMPLETE" }),
    );
  });
});
