import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseJsonExact,
  parsePddDetail,
  parsePddListRecord,
  parsePddOrder,
  pddAdapter,
  pddReason,
} from "../../src/channels/platforms/pdd/adapter.ts";
import {
  PDD_AFTER_SALES_STATUS,
  PDD_DETAIL_TYPES,
  PDD_LIST_TYPES,
  pddSign,
  pddYuan,
  signedPddParams,
  verifyPddRequest,
} from "../../src/channels/platforms/pdd/protocol.ts";
import { PDD_REASON_TEXT } from "../../src/channels/platforms/pdd/simulator.ts";
import { PLATFORM_STATES, PlatformRejectedError } from "../../src/channels/platforms/platform.ts";
import { REASON_CODES } from "../../src/domain/catalogue.ts";
import { normalizeOrder } from "../../src/domain/order.ts";
import { expectCode } from "../domain/expect-code.ts";

const FIXTURES = new URL("../fixtures/payloads/pdd/", import.meta.url);
const fixture = JSON.parse(
  readFileSync(
    new URL("pdd_refund_list_increment_get_response__official_doc_example.json", FIXTURES),
    "utf8",
  ),
) as { refund_increment_get_response: { refund_list: Record<string, unknown>[]; total_count: number } };
const docRecord = () => ({ ...fixture.refund_increment_get_response.refund_list[0] });

const caseOf = (raw: unknown) => {
  const parsed = parsePddListRecord(raw);
  if (!("case" in parsed)) throw new Error(`not a case: ${parsed.notACase}`);
  return parsed.case;
};

describe("PDD contract: the documented pdd.refund.list.increment.get example", () => {
  it("is the documented envelope with one record", () => {
    expect(fixture.refund_increment_get_response.total_count).toBe(1);
    expect(fixture.refund_increment_get_response.refund_list).toHaveLength(1);
  });

  it("refuses the doc's placeholder codes rather than guessing: type 1 is the 'all' filter, status 1 is undocumented", () => {
    const asIs = expectCode(() => parsePddListRecord(docRecord()), "PLATFORM_UNKNOWN_TYPE");
    expect(asIs.message).toContain("全部");
    expect(asIs.details).toMatchObject({ platform: "pdd", externalId: "1" });
    const status = expectCode(
      () => parsePddListRecord({ ...docRecord(), after_sales_type: 2 }),
      "PLATFORM_UNKNOWN_STATUS",
    );
    expect(status.message).toContain("after-sales 1");
  });

  it("parses the record with documented codes into our terms: ids, 元 → 分, times, reason, items, tracking", () => {
    const c = caseOf({ ...docRecord(), after_sales_type: 2, after_sales_status: 2 });
    expect(c).toMatchObject({
      externalId: "1",
      orderExternalId: "190228-355530178612389",
      type: "refund_only",
      state: "requested",
      platformStatus: "2 买家申请退款，待商家处理",
      reason: "changed_mind",
      reasonText: "不想要了",
      requestedAmount: 100, // refund_amount "1" is 元 (退款金额（元）) → 100 分
      currency: "CNY",
      items: [{ lineExternalId: "1", sku: "1", quantity: 1 }],
      returnTracking: { carrier: "str", trackingNo: "1" },
      createdAt: "2019-03-03T11:23:24.000Z",
      updatedAt: "2019-03-03T11:23:24.000Z",
    });
    // 极速退款 fields stay in raw and are named in the description.
    expect(c.raw).toMatchObject({ speed_refund_flag: 0, speed_refund_status: "1" });
    expect(c.description).toContain("极速退款资格");
  });

  it("surfaces a successful speed refund: PDD has already paid the buyer", () => {
    const c = caseOf({
      ...docRecord(),
      after_sales_type: 2,
      after_sales_status: 5,
      speed_refund_flag: 1,
      speed_refund_status: "3",
    });
    expect(c.state).toBe("refunding");
    expect(c.description).toContain("极速退款 — speed refund");
    expect(c.description).toContain("PDD has already refunded the buyer");
    expect(c.raw).toMatchObject({ speed_refund_flag: 1, speed_refund_status: "3" });
  });
});

describe("PDD amounts are exact", () => {
  it.each([
    ["19.90", 1990],
    ["0.01", 1],
    ["1", 100],
    [19.9, 1990],
    [0.1, 10],
    ["123456.78", 12345678],
  ])("%j 元 → %i 分", (value, fen) => {
    expect(pddYuan(value, "refund_amount")).toBe(fen);
  });

  it("rejects an amount with more precision than 分, or none at all, with a clear error", () => {
    expectCode(() => pddYuan("1.005", "refund_amount"), "PLATFORM_BAD_RESPONSE");
    expectCode(() => pddYuan(undefined, "refund_amount"), "PLATFORM_BAD_RESPONSE");
    expectCode(
      () => caseOf({ ...docRecord(), after_sales_type: 2, after_sales_status: 2, refund_amount: "abc" }),
      "PLATFORM_BAD_RESPONSE",
    );
  });

  it("reads Beijing wall-clock times and keeps LONG ids beyond 2^53 exact", () => {
    const c = caseOf({
      ...docRecord(),
      after_sales_type: 3,
      after_sales_status: 10,
      created_time: "2025-11-17 10:24:57",
      updated_time: "2025-11-17 10:30:00",
    });
    expect(c.createdAt).toBe("2025-11-17T02:24:57.000Z");
    expect(c.updatedAt).toBe("2025-11-17T02:30:00.000Z");
    const parsed = parseJsonExact('{"id": 9007199254740993, "n": 12}') as { id: unknown; n: unknown };
    expect(parsed).toEqual({ id: "9007199254740993", n: 12 });
  });
});

describe("PDD status and type tables", () => {
  const codes = Object.keys(PDD_AFTER_SALES_STATUS).map(Number);
  const expected: Record<number, string> = {
    0: "cancelled",
    2: "requested",
    3: "requested",
    4: "refunding",
    5: "refunding",
    6: "refused",
    7: "awaiting_return",
    8: "intervened",
    9: "cancelled",
    10: "refunded",
    11: "cancelled",
    12: "cancelled",
    13: "cancelled",
    14: "requested",
    15: "awaiting_return",
    16: "completed",
    17: "cancelled",
    18: "completed",
    21: "requested",
    22: "awaiting_return",
    24: "cancelled",
    25: "completed",
    27: "completed",
    31: "awaiting_return",
    32: "requested",
    33: "awaiting_return",
  };

  it("covers every documented after_sales_status (0–33)", () => {
    expect(codes.sort((a, b) => a - b)).toEqual(Object.keys(expected).map(Number));
  });

  it.each(codes)("status %i maps to a state", (status) => {
    const c = caseOf({
      ...docRecord(),
      after_sales_type: 2,
      after_sales_status: status,
      tracking_number: "",
    });
    expect(c.state).toBe(expected[status]);
    expect(c.state in PLATFORM_STATES).toBe(true);
    expect(c.platformStatus).toBe(
      `${status} ${PDD_AFTER_SALES_STATUS[status as keyof typeof PDD_AFTER_SALES_STATUS]}`,
    );
  });

  it("status 3 with the return's tracking number is a return on its way", () => {
    const c = caseOf({
      ...docRecord(),
      after_sales_type: 3,
      after_sales_status: 3,
      tracking_number: "SF123",
    });
    expect(c.state).toBe("return_shipped");
    expect(c.returnTracking).toEqual({ carrier: "str", trackingNo: "SF123" });
  });

  it.each([1, 19, 20, 23, 26, 99, "x", null])(
    "status %j is refused with PLATFORM_UNKNOWN_STATUS",
    (status) => {
      expectCode(
        () => parsePddListRecord({ ...docRecord(), after_sales_type: 2, after_sales_status: status }),
        "PLATFORM_UNKNOWN_STATUS",
      );
    },
  );

  it("maps every list after_sales_type: 2–5 to case types, 6 (维修) is not a case, 1 (全部) is an error", () => {
    expect(Object.keys(PDD_LIST_TYPES).map(Number)).toEqual([1, 2, 3, 4, 5, 6]);
    const types = [2, 3, 4, 5].map(
      (t) => caseOf({ ...docRecord(), after_sales_type: t, after_sales_status: 2 }).type,
    );
    expect(types).toEqual(["refund_only", "return_refund", "exchange", "reship"]);
    expect(parsePddListRecord({ ...docRecord(), after_sales_type: 6, after_sales_status: 21 })).toEqual({
      notACase: expect.stringContaining("维修"),
    });
    expectCode(
      () => parsePddListRecord({ ...docRecord(), after_sales_type: 1, after_sales_status: 2 }),
      "PLATFORM_UNKNOWN_TYPE",
    );
    expectCode(
      () => parsePddListRecord({ ...docRecord(), after_sales_type: 9, after_sales_status: 2 }),
      "PLATFORM_UNKNOWN_TYPE",
    );
  });

  it("maps every detail after_sales_type (1-仅退款 … 5-维修), which PDD numbers differently from the list", () => {
    expect(Object.keys(PDD_DETAIL_TYPES).map(Number)).toEqual([1, 2, 3, 4, 5]);
    const detail = (t: number) =>
      parsePddDetail({
        id: 10,
        order_sn: "O-1",
        after_sales_type: t,
        after_sales_status: 2,
        after_sales_reason: "质量问题",
        refund_amount: 1990,
        goods_number: 1,
        sku_id: "S1",
        recreated_at: 1638792640659,
        updated_time: "str",
      });
    expect([1, 2, 3, 4].map((t) => detail(t))).toEqual(
      ["refund_only", "return_refund", "exchange", "reship"].map((type) =>
        expect.objectContaining({
          case: expect.objectContaining({ type, requestedAmount: 1990, reason: "quality" }),
        }),
      ),
    );
    expect(detail(5)).toEqual({ notACase: expect.stringContaining("维修") });
    expectCode(() => detail(6), "PLATFORM_UNKNOWN_TYPE");
  });
});

describe("PDD reasons", () => {
  it.each([
    ["不想要了", "changed_mind"],
    ["多拍/拍错/不想要", "changed_mind"],
    ["七天无理由退货", "changed_mind"],
    ["商品破损/已变质", "spoiled"],
    ["商品破损", "damaged"],
    ["商家发错货", "wrong_item"],
    ["少件/漏发", "missing_item"],
    ["大小尺寸与商品描述不符", "not_as_described"],
    ["尺码不合适", "size_fit"],
    ["质量问题", "quality"],
    ["快递/物流一直未送到", "logistics_delay"],
    ["快递/物流无跟踪记录", "logistics_lost"],
    ["未收到货", "not_received"],
    ["商品价格降低了", "other"],
    ["", "other"],
  ])("%s → %s", (text, code) => {
    expect(pddReason(text)).toBe(code);
  });

  it("every reason the simulator writes reads back as itself", () => {
    for (const code of REASON_CODES) expect(pddReason(PDD_REASON_TEXT[code])).toBe(code);
  });
});

describe("PDD signing", () => {
  const app = { clientId: "cid", clientSecret: "secret-1", accessToken: "tok" };

  it("is upper-hex MD5(secret + sorted name+value pairs + secret), excluding sign", async () => {
    const { createHash } = await import("node:crypto");
    const params = {
      type: "pdd.order.information.get",
      client_id: "cid",
      timestamp: "1700000000",
      order_sn: "1-2",
    };
    const expected = createHash("md5")
      .update("secret-1client_idcidorder_sn1-2timestamp1700000000typepdd.order.information.getsecret-1")
      .digest("hex")
      .toUpperCase();
    expect(pddSign("secret-1", params)).toBe(expected);
    expect(pddSign("secret-1", { ...params, sign: "ANYTHING" })).toBe(expected);
  });

  it("verifies a signed request and names what is wrong with a tampered one", () => {
    const now = Date.now();
    const params = signedPddParams(
      app,
      "pdd.refund.agree",
      { request: { after_sales_id: 1, order_sn: "x" } },
      now,
    );
    expect(params).toMatchObject({ data_type: "JSON", client_id: "cid", access_token: "tok" });
    expect(params.request).toBe('{"after_sales_id":1,"order_sn":"x"}');
    expect(verifyPddRequest(app, params, now)).toEqual({ ok: true });
    expect(verifyPddRequest(app, { ...params, order_sn: "tampered" }, now)).toMatchObject({
      ok: false,
      error: { code: 20004 },
    });
    expect(verifyPddRequest({ ...app, clientSecret: "other" }, params, now)).toMatchObject({
      ok: false,
      error: { code: 20004 },
    });
    expect(verifyPddRequest(app, { ...params, client_id: "x" }, now)).toMatchObject({
      ok: false,
      error: { code: 10016 },
    });
    const { sign: _, ...unsigned } = params;
    expect(verifyPddRequest(app, unsigned, now)).toMatchObject({
      ok: false,
      error: { code: 10001 },
      detail: "sign",
    });
    expect(verifyPddRequest(app, params, now + 11 * 60_000)).toMatchObject({
      ok: false,
      error: { code: 10001 },
    });
  });
});

describe("PDD orders", () => {
  it("turns order_info (元) into an order whose lines, discounts, postage and payment add up", () => {
    const input = parsePddOrder(
      {
        order_sn: "240101-1",
        created_time: "2024-01-01 10:00:00",
        pay_time: "2024-01-01 10:01:00",
        goods_amount: "39.80",
        discount_amount: "5.00",
        platform_discount: "2.00",
        seller_discount: "3.00",
        postage: "6.00",
        pay_amount: "40.80",
        pay_type: "WEIXIN",
        pay_no: "PAY-1",
        order_status: 2,
        tracking_number: "YT001",
        logistics_id: 85,
        shipping_time: "2024-01-02 09:00:00",
        item_list: [
          { sku_id: 77, outer_id: "TEA-1", goods_name: "Tea", goods_price: "19.90", goods_count: 2 },
        ],
      },
      "shop-pdd",
    );
    expect(input).toMatchObject({
      shop: "shop-pdd",
      externalId: "240101-1",
      paidAt: "2024-01-01T02:01:00.000Z",
      lines: [{ externalId: "77", sku: "TEA-1", quantity: 2, unitPrice: "19.90" }],
      shippingFee: "6.00",
      payments: [{ tender: "platform", amount: "40.80", transactionId: "PAY-1" }],
      shipments: [{ carrier: "85", trackingNo: "YT001", status: "shipped" }],
    });
    const normalized = normalizeOrder(input);
    expect(normalized.paidTotal).toBe(4080);
    expect(normalized.lines[0]?.paid).toBe(3480);
  });

  it("refuses an order whose payment cannot follow from its goods", () => {
    expectCode(
      () =>
        parsePddOrder(
          {
            order_sn: "x",
            pay_amount: "99.00",
            postage: "0",
            item_list: [{ sku_id: 1, goods_price: "1.00", goods_count: 1 }],
          },
          "s",
        ),
      "PLATFORM_BAD_RESPONSE",
    );
  });
});

describe("PDD adapter", () => {
  it("declares its limits and credentials", () => {
    expect(pddAdapter.channel).toBe("pdd");
    // A second short of 30 minutes: windows go out in whole seconds, rounded outwards.
    expect(pddAdapter.limits).toEqual({ maxWindowMs: 30 * 60 * 1000 - 1000, pageSize: 100 });
    expect(pddAdapter.credentialFields).toEqual(["client_id", "client_secret", "access_token"]);
    expect(pddAdapter.baseUrl).toBe("https://gw-api.pinduoduo.com");
  });

  it("refuses to connect without credentials, naming the missing fields", () => {
    let err: unknown;
    try {
      pddAdapter.connect({ client_id: "x" }, { baseUrl: "http://127.0.0.1:1" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlatformRejectedError);
    expect(err).toMatchObject({ kind: "auth", code: "CREDENTIALS_INCOMPLETE" });
    expect((err as Error).message).toContain("client_secret");
  });
});
