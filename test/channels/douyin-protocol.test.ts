import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { NotificationRejectedError } from "../../src/channels/payments/channel.ts";
import {
  caseFromDetail,
  caseFromListItem,
  caseState,
  douyinAdapter,
  orderFromDouyin,
} from "../../src/channels/platforms/douyin/adapter.ts";
import {
  AFTERSALE_STATUSES,
  AFTERSALE_TYPES,
  canonicalJson,
  DOUYIN_PUSH_APP_ID,
  DOUYIN_PUSH_SIGN,
  type DouyinDetail,
  type DouyinListItem,
  type DouyinShopOrder,
  douyinSign,
  OPERATE_TYPES,
  operateTypeFor,
  parseJsonExact,
  pushSign,
  reasonOf,
  signedRequest,
  verifyDouyinRequest,
} from "../../src/channels/platforms/douyin/protocol.ts";
import { PlatformRejectedError } from "../../src/channels/platforms/platform.ts";
import { normalizeOrder } from "../../src/domain/order.ts";

/**
 * There is no recorded Douyin payload among the fixtures: the samples below are built from the fields
 * the official SDK models document (afterSale/List, afterSale/Detail, order/orderDetail, 消息推送).
 */

const KEY = "7012345678901234567";
const SECRET = "dy-secret-for-tests";

const listItem = (over: Partial<DouyinListItem["aftersale_info"]> = {}): DouyinListItem => ({
  aftersale_info: {
    aftersale_id: "7100000000000000123",
    aftersale_type: 0,
    aftersale_status: 6,
    related_id: "6920000000000000002",
    apply_time: 1_700_000_000,
    update_time: 1_700_000_100,
    status_deadline: 1_700_172_800,
    refund_amount: 12_990,
    refund_post_amount: 0,
    aftersale_num: 1,
    aftersale_refund_type: 0,
    refund_status: 0,
    arbitrate_status: 0,
    return_logistics_code: "",
    ...over,
  },
  order_info: {
    shop_order_id: "6920000000000000001",
    related_order_info: [
      { sku_order_id: "6920000000000000002", shop_sku_code: "TEE-RED-M", item_num: 2, aftersale_item_num: 1 },
    ],
  },
  text_part: { reason_text: "七天无理由退货" },
});

describe("Douyin signing (sign_method=hmac-sha256, v=2)", () => {
  it("param_json is the JSON of the parameters with keys sorted at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: "x" }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it("sign is hex HMAC-SHA256 keyed with the secret over secret+app_key…+method…+param_json…+timestamp…+v…+secret", () => {
    const param = '{"page":0,"size":10}';
    const plain = `${SECRET}app_key${KEY}methodafterSale.Listparam_json${param}timestamp1700000000v2${SECRET}`;
    const expected = createHmac("sha256", SECRET).update(plain).digest("hex");
    expect(
      douyinSign(SECRET, {
        appKey: KEY,
        method: "afterSale.List",
        paramJson: param,
        timestamp: "1700000000",
        v: "2",
      }),
    ).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a signed request carries app_key, method, access_token, timestamp, v, sign_method and sign; the body is param_json", () => {
    const { query, body } = signedRequest(
      { appKey: KEY, appSecret: SECRET, accessToken: "tok" },
      "/afterSale/List",
      { size: 10, page: 0 },
      1_700_000_000_000,
    );
    expect(Object.fromEntries(query)).toEqual({
      app_key: KEY,
      method: "afterSale.List",
      timestamp: "1700000000",
      v: "2",
      sign_method: "hmac-sha256",
      sign: douyinSign(SECRET, {
        appKey: KEY,
        method: "afterSale.List",
        paramJson: body,
        timestamp: "1700000000",
        v: "2",
      }),
      access_token: "tok",
    });
    expect(body).toBe('{"page":0,"size":10}');
    expect(verifyDouyinRequest(KEY, SECRET, "/afterSale/List", query, body, 1_700_000_000_000)).toEqual({
      ok: true,
    });
  });

  it("the platform refuses a tampered body, a wrong secret, another method and a stale timestamp", () => {
    const now = 1_700_000_000_000;
    const { query, body } = signedRequest(
      { appKey: KEY, appSecret: SECRET },
      "/afterSale/operate",
      { type: 201 },
      now,
    );
    expect(
      verifyDouyinRequest(KEY, SECRET, "/afterSale/operate", query, body.replace("201", "202"), now),
    ).toEqual({
      ok: false,
      reason: "sign mismatch",
    });
    expect(verifyDouyinRequest(KEY, "other-secret", "/afterSale/operate", query, body, now)).toMatchObject({
      ok: false,
    });
    expect(verifyDouyinRequest(KEY, SECRET, "/afterSale/List", query, body, now)).toMatchObject({
      ok: false,
    });
    expect(verifyDouyinRequest(KEY, SECRET, "/afterSale/operate", query, body, now + 11 * 60_000)).toEqual({
      ok: false,
      reason: "timestamp expired",
    });
  });

  it("int64 ids beyond 2^53 survive parsing exactly", () => {
    expect(parseJsonExact('{"after_sale_id":7000000000000000001,"amount":1290}')).toEqual({
      after_sale_id: "7000000000000000001",
      amount: 1290,
    });
  });
});

describe("Douyin enums as tables", () => {
  it("every aftersale_type maps to a case type", () => {
    const expected = {
      0: "return_refund",
      1: "refund_only",
      2: "refund_only",
      3: "exchange",
      6: "refund_only",
      7: "reship",
      8: "exchange",
    };
    for (const [code, type] of Object.entries(expected)) {
      expect(AFTERSALE_TYPES[Number(code)]?.type, `aftersale_type ${code}`).toBe(type);
      expect(caseFromListItem(listItem({ aftersale_type: Number(code) })).type).toBe(type);
    }
  });

  it("every aftersale_status maps to a platform state", () => {
    const expected: Record<number, string> = {
      3: "completed",
      6: "requested",
      7: "awaiting_return",
      8: "requested",
      11: "return_shipped",
      12: "refunded",
      13: "completed",
      14: "completed",
      27: "refused",
      28: "cancelled",
      29: "refused",
    };
    for (const [status, state] of Object.entries(expected)) {
      expect(AFTERSALE_STATUSES[Number(status)], `status ${status}`).toBeDefined();
      const item = listItem({
        aftersale_status: Number(status),
        refund_status: Number(status) === 12 ? 3 : 0,
      });
      expect(caseFromListItem(item).state, `status ${status}`).toBe(state);
    }
  });

  it("售后成功 reads its refund_status; exchanges, reships and 无需退款 are completed", () => {
    const refund = { 1: "refunding", 2: "refunding", 3: "refunded", 4: "refunding", 5: "refunded" };
    for (const [code, state] of Object.entries(refund))
      expect(caseState(0, 12, Number(code), 0, 0)).toBe(state);
    expect(caseState(3, 12, 0, 0, 0)).toBe("completed");
    expect(caseState(7, 12, 0, 0, 0)).toBe("completed");
    expect(caseState(1, 12, 0, 4, 0)).toBe("completed");
  });

  it("open requests under arbitration are the platform's; closed ones stay closed", () => {
    expect(caseState(0, 6, 0, 0, 1)).toBe("intervened");
    expect(caseState(0, 27, 0, 0, 4)).toBe("intervened");
    expect(caseState(0, 6, 0, 0, 5)).toBe("requested");
    expect(caseState(0, 12, 3, 0, 1)).toBe("refunded");
  });

  it("an unknown status is refused with a clear code, not guessed", () => {
    const err = (() => {
      try {
        caseFromListItem(listItem({ aftersale_status: 99 }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PlatformRejectedError);
    expect(err).toMatchObject({ code: "UNKNOWN_STATUS" });
  });

  it("buyer reasons map by text", () => {
    expect(reasonOf("七天无理由退货")).toBe("changed_mind");
    expect(reasonOf("尺码拍错/不喜欢/效果差")).toBe("size_fit");
    expect(reasonOf("商品破损/包装破损")).toBe("damaged");
    expect(reasonOf("商家发错货")).toBe("wrong_item");
    expect(reasonOf("质量问题")).toBe("quality");
    expect(reasonOf("少件/漏发")).toBe("missing_item");
    expect(reasonOf("与商品描述不符")).toBe("not_as_described");
    expect(reasonOf("快递长时间未送达")).toBe("logistics_delay");
    expect(reasonOf("未收到货")).toBe("not_received");
    expect(reasonOf("生鲜变质")).toBe("spoiled");
    expect(reasonOf("其他")).toBe("other");
  });

  it("afterSale/operate types are chosen by decision, type and status", () => {
    expect(operateTypeFor("agreeReturn", 0, 6)).toBe(101);
    expect(operateTypeFor("agreeReturn", 3, 6)).toBe(301);
    expect(operateTypeFor("refuse", 0, 6)).toBe(102);
    expect(operateTypeFor("refuse", 0, 11)).toBe(112);
    expect(operateTypeFor("refuse", 1, 6)).toBe(202);
    expect(operateTypeFor("agreeRefund", 0, 11)).toBe(111);
    expect(operateTypeFor("agreeRefund", 1, 6)).toBe(201);
    expect(operateTypeFor("agreeRefund", 2, 6)).toBe(401);
    expect(operateTypeFor("refuse", 2, 6)).toBeUndefined();
    expect(operateTypeFor("agreeRefund", 0, 6)).toBeUndefined();
    expect(Object.keys(OPERATE_TYPES)).toEqual(["agreeReturn", "refuse", "agreeRefund"]);
  });
});

describe("Douyin request and order mapping", () => {
  it("a list item keeps amounts in 分, the SLA clock and how the platform handled it", () => {
    const c = caseFromListItem(
      listItem({
        aftersale_type: 1,
        aftersale_status: 12,
        refund_status: 3,
        refund_type: 3,
        auto_audit_bits: [3, 12],
        return_logistics_code: "SF123",
        return_logistics_company_name: "顺丰速运",
      }),
    );
    expect(c).toMatchObject({
      externalId: "7100000000000000123",
      orderExternalId: "6920000000000000001",
      type: "refund_only",
      reason: "changed_mind",
      reasonText: "七天无理由退货",
      state: "refunded",
      platformStatus: "12",
      requestedAmount: 12_990,
      currency: "CNY",
      items: [{ lineExternalId: "6920000000000000002", sku: "TEE-RED-M", quantity: 1 }],
      returnTracking: { carrier: "顺丰速运", trackingNo: "SF123" },
      createdAt: "2023-11-14T22:13:20.000Z",
      updatedAt: "2023-11-14T22:15:00.000Z",
      version: "1700000100",
      deadline: "2023-11-16T22:13:20.000Z",
      platformAuto: {
        refundType: { code: 3, label: "售后急速退" },
        autoAudit: [
          { code: 3, label: "发货后极速退" },
          { code: 12, label: "商家快递拦截成功自动退款" },
        ],
      },
    });
  });

  it("a detail (after_sale_* names, int64 ids) maps the same way", () => {
    const d = parseJsonExact(
      `{"process_info":{"after_sale_info":{"after_sale_id":7000000000000000009,"after_sale_status":11,"after_sale_type":0,
        "refund_status":0,"refund_total_amount":5990,"apply_time":1700000000,"update_time":1700000500,"status_deadline":1700172800,
        "reason":"质量问题","after_sale_apply_count":1},"arbitrate_info":{"arbitrate_status":0},
        "logistics_info":{"return":{"tracking_no":"YT9","company_name":"圆通速递"}}},
        "order_info":{"shop_order_id":6920000000000000001,"sku_order_infos":[{"sku_order_id":6920000000000000002,"shop_sku_code":"MUG","item_quantity":1}]}}`,
    ) as DouyinDetail;
    expect(caseFromDetail(d)).toMatchObject({
      externalId: "7000000000000000009",
      orderExternalId: "6920000000000000001",
      type: "return_refund",
      reason: "quality",
      state: "return_shipped",
      requestedAmount: 5990,
      items: [{ lineExternalId: "6920000000000000002", sku: "MUG", quantity: 1 }],
      returnTracking: { carrier: "圆通速递", trackingNo: "YT9" },
      deadline: "2023-11-16T22:13:20.000Z",
      platformAuto: { refundType: null, autoAudit: [] },
    });
  });

  it("an order converts 分 to exact decimals, keeps Douyin's per-line paid amounts and adds up", () => {
    const order: DouyinShopOrder = {
      order_id: "6920000000000000001",
      create_time: 1_700_000_000,
      pay_time: 1_700_000_060,
      channel_payment_no: "4200001",
      pay_amount: 25_880,
      post_amount: 800,
      doudian_open_id: "buyer-1",
      sku_order_list: [
        {
          order_id: "L1",
          code: "TEE",
          product_name: "T 恤",
          item_num: 2,
          origin_amount: 9_990,
          pay_amount: 18_790,
          post_amount: 800,
        },
        {
          order_id: "L2",
          code: "CAP",
          product_name: "帽子",
          item_num: 1,
          origin_amount: 7_990,
          pay_amount: 7_090,
          post_amount: 0,
        },
      ],
      logistics_info: [{ tracking_no: "SF1", company_name: "顺丰速运", ship_time: 1_700_003_600 }],
    };
    const input = orderFromDouyin(order, "dy-shop");
    expect(input).toMatchObject({
      shop: "dy-shop",
      externalId: "6920000000000000001",
      currency: "CNY",
      customer: { id: "buyer-1" },
      lines: [
        { externalId: "L1", sku: "TEE", quantity: 2, unitPrice: "99.90", paid: "179.90" },
        { externalId: "L2", sku: "CAP", quantity: 1, unitPrice: "79.90", paid: "70.90" },
      ],
      shippingFee: "8.00",
      payments: [{ tender: "platform", amount: "258.80", transactionId: "4200001" }],
      shipments: [{ carrier: "顺丰速运", trackingNo: "SF1", status: "shipped" }],
    });
    const normal = normalizeOrder(input);
    expect(normal.paidTotal).toBe(25_880);
    expect(normal.lines.map((l) => l.paid)).toEqual([17_990, 7_090]);
    expect(normal.lines.map((l) => l.orderDiscount)).toEqual([1_990, 900]);
  });
});

describe("Douyin push (消息推送)", () => {
  const credentials = { app_key: KEY, app_secret: SECRET, access_token: "t" };
  const body = JSON.stringify([
    {
      tag: "200",
      msg_id: "m-1",
      data: '{"aftersale_id":7000000000000000001,"p_id":6920000000000000001,"s_id":6920000000000000002,"aftersale_status":6}',
    },
    { tag: "102", msg_id: "m-2", data: '{"p_id":6920000000000000005,"s_id":6920000000000000006}' },
  ]);
  const signed = (b: string, secret = SECRET) => ({
    [DOUYIN_PUSH_APP_ID]: KEY,
    [DOUYIN_PUSH_SIGN]: createHash("md5").update(`${KEY}${b}${secret}`).digest("hex"),
  });
  const rejected = (headers: Record<string, string>, b: string) => {
    try {
      douyinAdapter.parsePush?.(credentials, headers, b);
    } catch (e) {
      return e as NotificationRejectedError;
    }
    throw new Error("accepted");
  };

  it("event-sign is md5(app_key + body + app_secret)", () => {
    expect(pushSign(KEY, body, SECRET)).toBe(signed(body)[DOUYIN_PUSH_SIGN]);
  });

  it("a signed push names the after-sale requests and orders that changed, ids exact", () => {
    expect(douyinAdapter.parsePush?.(credentials, signed(body), body)).toEqual({
      messageId: "m-1,m-2",
      aftersales: [{ externalId: "7000000000000000001", orderExternalId: "6920000000000000001" }],
      orders: ["6920000000000000005"],
    });
  });

  it("a tampered body, a wrong secret, another app or no signature is refused and nothing returned", () => {
    const tampered = body.replace("7000000000000000001", "7000000000000000002");
    for (const [headers, b, code] of [
      [signed(body), tampered, "DOUYIN_SIGNATURE_INVALID"],
      [signed(body, "wrong"), body, "DOUYIN_SIGNATURE_INVALID"],
      [{ ...signed(body), [DOUYIN_PUSH_APP_ID]: "other-app" }, body, "DOUYIN_APP_MISMATCH"],
      [{ [DOUYIN_PUSH_APP_ID]: KEY }, body, "DOUYIN_SIGNATURE_MISSING"],
      [signed("{}"), "{}", "DOUYIN_PUSH_MALFORMED"],
    ] as const) {
      const e = rejected(headers as Record<string, string>, b);
      expect(e).toBeInstanceOf(NotificationRejectedError);
      expect(e.code).toBe(code);
    }
  });
});
