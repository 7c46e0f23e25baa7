import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NotificationRejectedError } from "../../src/channels/payments/channel.ts";
import { PLATFORM_STATES, pickListedReason } from "../../src/channels/platforms/platform.ts";
import {
  mapRefund,
  mapTrade,
  parseTmcPush,
  parseTopJson,
  responseKey,
  TAOBAO_STATUSES,
  type TopRefund,
  type TopTrade,
  taobaoReason,
} from "../../src/channels/platforms/taobao/adapter.ts";
import {
  fromTopTime,
  signingString,
  signTop,
  toTopTime,
  verifyTopSignature,
} from "../../src/channels/platforms/taobao/protocol.ts";
import { SIMULATED_REASON_TEXT } from "../../src/channels/platforms/taobao/simulator.ts";
import { REASON_CODES } from "../../src/domain/catalogue.ts";
import { normalizeOrder } from "../../src/domain/order.ts";
import { REJECT_REASON_CODES } from "../../src/domain/rules/actions.ts";

/**
 * The Taobao/Tmall mapping as a contract. There is no Taobao payload among the shared fixtures, so the
 * samples below are built from the documented Refund/Trade field lists (channels.md §1.1: the Qianniu
 * default field list and the SDK Refund struct; yuan strings, `yyyy-MM-dd HH:mm:ss` GMT+8 times,
 * 64-bit ids as JSON numbers).
 */

/** A refund as `taobao.refunds.receive.get` returns it, JSON text and all. */
const REFUND_JSON = `{
  "refund_id": 2026110000000000123, "tid": 4100000000000000777, "oid": 4200000000000000778,
  "total_fee": "188.00", "buyer_nick": "t**1", "seller_nick": "模拟淘宝小店",
  "created": "2026-11-01 16:00:00", "modified": "2026-11-01 16:05:30",
  "order_status": "WAIT_BUYER_CONFIRM_GOODS", "status": "WAIT_SELLER_AGREE", "good_status": "BUYER_RECEIVED",
  "has_good_return": false, "refund_fee": "12.50", "payment": "175.50", "reason": "质量问题", "desc": "开线了",
  "title": "T恤 黑 M", "num": 1, "price": "99.00", "refund_phase": "aftersale", "refund_version": 1793534730000,
  "sku": "颜色:黑;尺码:M", "outer_id": "TEE-BLK-M", "dispute_type": "REFUND", "cs_status": 1
}`;
const refund = (over: Partial<TopRefund> = {}): TopRefund => ({
  ...(parseTopJson(REFUND_JSON) as TopRefund),
  ...over,
});

describe("Taobao refunds in our terms", () => {
  it("reads 64-bit ids exactly and maps every documented field", () => {
    const pc = mapRefund(refund());
    expect(pc).toMatchObject({
      externalId: "2026110000000000123",
      orderExternalId: "4100000000000000777",
      type: "refund_only",
      reason: "quality",
      reasonText: "质量问题",
      state: "requested",
      platformStatus: "WAIT_SELLER_AGREE",
      requestedAmount: 1250,
      currency: "CNY",
      items: [{ lineExternalId: "4200000000000000778", sku: "TEE-BLK-M", quantity: 1 }],
      description: "开线了",
      createdAt: "2026-11-01T08:00:00.000Z",
      updatedAt: "2026-11-01T08:05:30.000Z",
      version: "1793534730000",
    });
    // A JSON number would have lost the last digits.
    expect(String(JSON.parse(REFUND_JSON).refund_id)).not.toBe("2026110000000000123");
  });

  it("maps every refund status through the table, and refuses one it does not know", () => {
    const expected: Record<string, string> = {
      WAIT_SELLER_AGREE: "requested",
      WAIT_BUYER_RETURN_GOODS: "awaiting_return",
      WAIT_SELLER_CONFIRM_GOODS: "return_shipped",
      SELLER_REFUSE_BUYER: "refused",
      CLOSED: "cancelled",
      SUCCESS: "refunded",
    };
    for (const [status, state] of Object.entries(expected)) {
      expect(mapRefund(refund({ status })).state).toBe(state);
      expect(state in PLATFORM_STATES).toBe(true);
    }
    for (const state of Object.values(TAOBAO_STATUSES)) expect(state in PLATFORM_STATES).toBe(true);
    expect(() => mapRefund(refund({ status: "SOMETHING_NEW" }))).toThrow(/Unknown Taobao refund status/);
  });

  it("says the platform intervened while customer service handles an open request, not a settled one", () => {
    for (const cs of [2, 3, 4, 5, 10, 11]) {
      expect(mapRefund(refund({ cs_status: cs })).state).toBe("intervened");
    }
    expect(mapRefund(refund({ cs_status: 3 })).platformStatus).toBe("WAIT_SELLER_AGREE/cs_status=3");
    expect(mapRefund(refund({ cs_status: 1 })).state).toBe("requested");
    expect(mapRefund(refund({ cs_status: 6 })).state).toBe("requested");
    expect(mapRefund(refund({ cs_status: 3, status: "SUCCESS" })).state).toBe("refunded");
    expect(mapRefund(refund({ cs_status: 3, status: "CLOSED" })).state).toBe("cancelled");
  });

  it("tells the case type from dispute_type, else from has_good_return", () => {
    const type = (over: Partial<TopRefund>) => mapRefund(refund(over)).type;
    expect(type({ dispute_type: "REFUND", has_good_return: true })).toBe("refund_only");
    expect(type({ dispute_type: "REFUND_AND_RETURN" })).toBe("return_refund");
    expect(type({ dispute_type: "TMALL_EXCHANGE" })).toBe("exchange");
    expect(type({ dispute_type: "TAOBAO_EXCHANGE" })).toBe("exchange");
    expect(type({ dispute_type: "RESHIPPING" })).toBe("reship");
    expect(type({ dispute_type: "OTHERS", has_good_return: true })).toBe("return_refund");
    expect(type({ dispute_type: undefined, has_good_return: false })).toBe("refund_only");
    expect(type({ dispute_type: undefined, has_good_return: true })).toBe("return_refund");
  });

  it("turns yuan strings into fen exactly, and refuses what is not an amount", () => {
    const fen = (refund_fee: string) => mapRefund(refund({ refund_fee })).requestedAmount;
    expect(fen("12.50")).toBe(1250);
    expect(fen("0.01")).toBe(1);
    expect(fen("199.99")).toBe(19999);
    expect(fen("0.1")).toBe(10);
    expect(fen("7")).toBe(700);
    expect(fen("1234567.89")).toBe(123456789);
    expect(() => fen("12.345")).toThrow(/3 decimals/);
    expect(() => fen("12,50")).toThrow(/not a decimal amount/);
    expect(mapRefund(refund({ refund_fee: undefined })).requestedAmount).toBeNull();
  });

  it("reads the buyer's reason words into our reason codes, with `other` as the fallback", () => {
    const cases: [string, string][] = [
      ["七天无理由退换货", "changed_mind"],
      ["拍错/多拍/不喜欢", "changed_mind"],
      ["质量问题", "quality"],
      ["商家发错货", "wrong_item"],
      ["少件/漏发", "missing_item"],
      ["商品破损", "damaged"],
      ["与商品描述不符", "not_as_described"],
      ["大小/尺寸与商品描述不符", "not_as_described"],
      ["尺码不合适", "size_fit"],
      ["未收到货", "not_received"],
      ["快递丢件", "logistics_lost"],
      ["未按约定时间发货", "logistics_delay"],
      ["生鲜变质", "spoiled"],
      ["退运费", "other"],
      ["", "other"],
    ];
    for (const [text, code] of cases) expect([text, taobaoReason(text)]).toEqual([text, code]);
    expect(taobaoReason(undefined)).toBe("other");
    // Every reason the simulated buyer picks comes back as the code it stands for.
    for (const code of REASON_CODES) expect(taobaoReason(SIMULATED_REASON_TEXT[code])).toBe(code);
  });

  it("reads refund_remind_timeout (RefundRemindTimeout: remind_type, exist_timeout, timeout) as the merchant's deadline", () => {
    const timer = { remind_type: 1, exist_timeout: true, timeout: "2026-11-03 16:00:00" };
    // Beijing time, as TOP writes every time.
    expect(mapRefund(refund({ refund_remind_timeout: timer })).deadline).toBe("2026-11-03T08:00:00.000Z");
    expect(
      mapRefund(refund({ status: "WAIT_SELLER_CONFIRM_GOODS", refund_remind_timeout: timer })).deadline,
    ).toBe("2026-11-03T08:00:00.000Z");
    // The buyer's clock, no running timer, or customer service in charge: no deadline of ours.
    expect(
      mapRefund(refund({ status: "WAIT_BUYER_RETURN_GOODS", refund_remind_timeout: timer })).deadline,
    ).toBeUndefined();
    expect(
      mapRefund(refund({ refund_remind_timeout: { ...timer, exist_timeout: false } })).deadline,
    ).toBeUndefined();
    expect(mapRefund(refund({ cs_status: 3, refund_remind_timeout: timer })).deadline).toBeUndefined();
    expect(mapRefund(refund()).deadline).toBeUndefined();
  });

  it("keeps the buyer's return parcel", () => {
    const pc = mapRefund(
      refund({ status: "WAIT_SELLER_CONFIRM_GOODS", company_name: "中通快递", sid: "ZTO123" }),
    );
    expect(pc.returnTracking).toEqual({ carrier: "中通快递", trackingNo: "ZTO123" });
  });
});

describe("Taobao trades in our terms", () => {
  const TRADE_JSON = `{
    "tid": 4100000000000000777, "status": "TRADE_FINISHED", "payment": "251.90", "total_fee": "257.90",
    "post_fee": "8.00", "discount_fee": "14.00", "created": "2026-10-20 18:00:00", "pay_time": "2026-10-20 18:00:05",
    "modified": "2026-10-23 18:00:00", "consign_time": "2026-10-21 09:00:00", "end_time": "2026-10-23 18:00:00",
    "buyer_nick": "t**1", "buyer_open_uid": "AAHbuyer1", "alipay_no": "2026102022001100", "receiver_state": "浙江省",
    "receiver_city": "杭州市", "receiver_district": "余杭区", "receiver_address": "文一西路969号",
    "orders": { "order": [
      { "oid": 4200000000000000778, "num": 2, "price": "99.00", "title": "T恤 黑 M", "outer_sku_id": "TEE-BLK-M",
        "divide_order_fee": "188.00", "payment": "188.00", "discount_fee": "0.00", "logistics_company": "顺丰速运", "invoice_no": "SF100" },
      { "oid": 4200000000000000779, "num": 1, "price": "59.90", "title": "棒球帽", "outer_sku_id": "CAP-01",
        "divide_order_fee": "55.90", "payment": "55.90", "discount_fee": "0.00", "logistics_company": "顺丰速运", "invoice_no": "SF100" }
    ] }
  }`;

  it("ingests with Taobao's own per-line paid amounts, the platform as the tender, and the parcel", () => {
    const order = mapTrade(parseTopJson(TRADE_JSON) as TopTrade, "taobao", "tb-1");
    expect(order).toMatchObject({
      shop: "tb-1",
      externalId: "4100000000000000777",
      currency: "CNY",
      customer: { id: "taobao:AAHbuyer1", name: "t**1" },
      paidAt: "2026-10-20T10:00:05.000Z",
      shippingFee: "8.00",
      payments: [{ tender: "platform", amount: "251.90", transactionId: "2026102022001100" }],
      shipments: [
        {
          carrier: "顺丰速运",
          trackingNo: "SF100",
          status: "delivered",
          shippedAt: "2026-10-21T01:00:00.000Z",
          signedAt: "2026-10-23T10:00:00.000Z",
        },
      ],
    });
    expect(order?.lines.map((l) => [l.externalId, l.sku, l.quantity, l.unitPrice, l.paid])).toEqual([
      ["4200000000000000778", "TEE-BLK-M", 2, "99.00", "188.00"],
      ["4200000000000000779", "CAP-01", 1, "59.90", "55.90"],
    ]);
    const n = normalizeOrder(order as NonNullable<typeof order>);
    expect(n.lines.map((l) => [l.paid, l.orderDiscount])).toEqual([
      [18800, 1000],
      [5590, 400],
    ]);
    expect(n.paidTotal).toBe(25190);
  });

  it("does not ingest a trade that is not paid yet", () => {
    const t = parseTopJson(TRADE_JSON) as TopTrade;
    expect(mapTrade({ ...t, status: "WAIT_BUYER_PAY" }, "taobao", "tb-1")).toBeUndefined();
    expect(mapTrade({ ...t, status: "WAIT_SELLER_SEND_GOODS" }, "taobao", "tb-1")?.shipments).toEqual([]);
  });
});

describe("the TOP wire rules", () => {
  it("signs name+value pairs sorted by name, as the documentation's example", () => {
    expect(signingString({ foo: "1", bar: "2", foo_bar: "3", foobar: "4", sign: "X", empty: "" })).toBe(
      "bar2foo1foo_bar3foobar4",
    );
    const p = { method: "taobao.refund.get", app_key: "12345678", v: "2.0", refund_id: "1" };
    const text = "app_key12345678methodtaobao.refund.getrefund_id1v2.0";
    const hex = (b: Buffer) => b.toString("hex").toUpperCase();
    expect(signTop(p, "s3cret", "md5")).toBe(hex(createHash("md5").update(`s3cret${text}s3cret`).digest()));
    expect(signTop(p, "s3cret", "hmac")).toBe(hex(createHmac("md5", "s3cret").update(text).digest()));
    expect(signTop(p, "s3cret", "hmac-sha256")).toBe(
      hex(createHmac("sha256", "s3cret").update(text).digest()),
    );
    for (const m of ["md5", "hmac", "hmac-sha256"] as const) {
      const signed = { ...p, sign_method: m, sign: signTop({ ...p, sign_method: m }, "s3cret", m) };
      expect(verifyTopSignature(signed, "s3cret")).toBe(true);
      expect(verifyTopSignature(signed, "other")).toBe(false);
      expect(verifyTopSignature({ ...signed, refund_id: "2" }, "s3cret")).toBe(false);
    }
  });

  it("writes times in GMT+8 and reads them back", () => {
    expect(toTopTime(new Date("2026-11-01T08:00:00.900Z"))).toBe("2026-11-01 16:00:00");
    expect(toTopTime(new Date("2026-12-31T20:30:00Z"))).toBe("2027-01-01 04:30:00");
    expect(fromTopTime("2027-01-01 04:30:00")?.toISOString()).toBe("2026-12-31T20:30:00.000Z");
    expect(fromTopTime("2027-01-01T04:30:00")).toBeUndefined();
  });

  it("names the response after the method", () => {
    expect(responseKey("taobao.refunds.receive.get")).toBe("refunds_receive_get_response");
    expect(responseKey("taobao.rp.refunds.agree")).toBe("rp_refunds_agree_response");
  });
});

describe("TMC push messages", () => {
  const creds = { app_key: "12345678", app_secret: "s3cret", session: "x" };
  const message = (over: Record<string, string> = {}, secret = "s3cret") => {
    const p: Record<string, string> = {
      id: "1000000001",
      topic: "taobao_refund_RefundCreated",
      content: '{"refund_id":2026110000000000123,"tid":4100000000000000777,"refund_fee":"12.50"}',
      pub_time: "2026-11-01 16:00:00",
      pub_app_key: "12345678",
      user_id: "2200000000001",
      user_nick: "模拟淘宝小店",
      app_key: "12345678",
      timestamp: "2026-11-01 16:00:01",
      sign_method: "hmac-sha256",
      ...over,
    };
    p.sign = signTop(p, secret, "hmac-sha256");
    return p;
  };
  const body = (p: Record<string, string>) => new URLSearchParams(p).toString();

  it("names the request (exact ids) and the order to read again", () => {
    expect(parseTmcPush(creds, {}, body(message()))).toEqual({
      messageId: "1000000001",
      aftersales: [{ externalId: "2026110000000000123", orderExternalId: "4100000000000000777" }],
      orders: [],
    });
    const trade = message({ topic: "taobao_trade_TradeBuyerPay", content: '{"tid":4100000000000000777}' });
    expect(parseTmcPush(creds, {}, body(trade)).orders).toEqual(["4100000000000000777"]);
  });

  it("refuses a tampered, unsigned, foreign or wrongly keyed message with a clear code", () => {
    const code = (raw: string) => {
      try {
        parseTmcPush(creds, {}, raw);
        return "accepted";
      } catch (e) {
        expect(e).toBeInstanceOf(NotificationRejectedError);
        return (e as NotificationRejectedError).code;
      }
    };
    const good = message();
    expect(code(body({ ...good, content: good.content?.replace("12.50", "99.00") ?? "" }))).toBe(
      "INVALID_SIGNATURE",
    );
    expect(code(body(message({}, "not-the-secret")))).toBe("INVALID_SIGNATURE");
    const { sign: _, ...unsigned } = good;
    expect(code(body(unsigned))).toBe("MISSING_SIGNATURE");
    expect(code(body(message({ app_key: "87654321" })))).toBe("INVALID_APP_KEY");
  });
});

describe("refusal reasons picked from the platform's own list (taobao.refund.refusereason.get)", () => {
  const answer = `{"refund_refusereason_get_response":{"reasons":{"reason":[
    {"reason_id":9007199254740993123,"reason_text":"买家申请已超过售后期限"},
    {"reason_id":520118349,"reason_text":"买家未提供有效凭证（照片或视频）","reason_tips":"请上传沟通记录"},
    {"reason_id":520199999,"reason_text":"其他"}]},"total_results":3,"has_next":false}}`;
  const listed = () => {
    const body = parseTopJson(answer) as Record<
      string,
      Record<string, { reason: Record<string, unknown>[] }>
    >;
    return (body[responseKey("taobao.refund.refusereason.get")]?.reasons?.reason ?? []).map((r) => ({
      id: String(r.reason_id),
      text: String(r.reason_text),
    }));
  };

  it("reads 64-bit reason ids exactly, and matches our reason by the listed words", () => {
    const list = listed();
    expect(list[0]?.id).toBe("9007199254740993123");
    expect(pickListedReason(list, { reason: "outside_window", text: "超出售后期限" })).toEqual({
      reason: { id: "9007199254740993123", text: "买家申请已超过售后期限" },
      mapped: true,
    });
    expect(pickListedReason(list, { reason: "evidence_missing", text: "缺少凭证" })?.reason.id).toBe(
      "520118349",
    );
  });

  it("falls back to the listed 其他, else the first entry; an empty list gives nothing to send", () => {
    const list = listed();
    expect(pickListedReason(list, { reason: "signed_for", text: "已签收" })).toEqual({
      reason: { id: "520199999", text: "其他" },
      mapped: false,
    });
    expect(pickListedReason(list, { reason: null, text: "不同意" })?.reason.id).toBe("520199999");
    const noOther = list.filter((r) => r.text !== "其他");
    expect(pickListedReason(noOther, { reason: "duplicate", text: "重复" })).toEqual({
      reason: noOther[0],
      mapped: false,
    });
    expect(pickListedReason([], { reason: "outside_window", text: "超出售后期限" })).toBeNull();
  });

  it("never picks a reason the platform did not list", () => {
    const words = [
      "其他",
      "超过售后期限",
      "已签收",
      "重复申请",
      "不支持",
      "二次销售",
      "未提供凭证",
      "协商一致",
    ];
    const entry = fc.record({
      id: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
      text: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 3 }).map((w) => w.join("，")),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 8 }),
        fc.option(fc.constantFrom(...REJECT_REASON_CODES), { nil: null }),
        (list, reason) => {
          const picked = pickListedReason(list, { reason, text: "不同意" });
          if (list.length === 0) return picked === null;
          return picked !== null && list.includes(picked.reason) && (!picked.mapped || reason !== null);
        },
      ),
    );
  });
});
