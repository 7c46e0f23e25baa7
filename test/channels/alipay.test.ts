import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AlipayChannel,
  alipayChannel,
  readQueryAnswer,
  readRefundAnswer,
} from "../../src/channels/payments/alipay/adapter.ts";
import {
  AlipayProtocolError,
  beijingTime,
  formBody,
  notificationSigningString,
  parseBeijingTime,
  privateKeyFrom,
  publicKeyFrom,
  readResponse,
  requestSigningString,
  rsa2Sign,
  SUB_CODES,
  signingString,
  toFen,
  topLevelMembers,
  toYuan,
  verifyResponse,
} from "../../src/channels/payments/alipay/protocol.ts";
import { type AlipaySimulator, startAlipaySimulator } from "../../src/channels/payments/alipay/simulator.ts";
import {
  ChannelUnavailableError,
  NotificationRejectedError,
  type RefundRequest,
} from "../../src/channels/payments/channel.ts";

const FIXTURES = new URL("../fixtures/payloads/alipay/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const OFFICIAL = "alipay_trade_refund_response__official_doc_example.json";
const SANDBOX_UNSIGNED = "alipay_trade_refund_response__sandbox_500_sign_omitted.json";

/** A key pair standing in for Alipay's own, for answers and notifications the tests sign themselves. */
function testKeys() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey,
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}
const FAKE_ALIPAY = testKeys();
const FAKE_APP = testKeys();

let sim: AlipaySimulator;
let pay: AlipayChannel;
const cleanups: (() => unknown)[] = [];

const TOTAL = 50_00;
beforeEach(async () => {
  sim = await startAlipaySimulator();
  sim.openTrade({ tradeNo: "2026110122001400001", outTradeNo: "SO-1", total: TOTAL });
  pay = alipayChannel({
    ...sim.merchantConfig,
    notifyUrl: "https://merchant.example/callbacks/payments/alipay",
    timeoutMs: 1_000,
  });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sim.close();
});

const request = (over: Partial<RefundRequest> = {}): RefundRequest => ({
  idempotencyKey: "RF-1001",
  transactionId: "2026110122001400001",
  orderRef: "SO-1",
  amount: 1990,
  total: TOTAL,
  currency: "CNY",
  reason: "damaged on arrival",
  ...over,
});
const TRADE = { transactionId: "2026110122001400001", orderRef: "SO-1" };

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
}
const unavailable = async (p: Promise<unknown>) => {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(ChannelUnavailableError);
  return err as ChannelUnavailableError;
};
const causeCode = (e: ChannelUnavailableError) => (e.cause as AlipayProtocolError | undefined)?.code;
const rejectedNotification = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NotificationRejectedError);
    return (e as NotificationRejectedError).code;
  }
  throw new Error("the notification was accepted");
};

/** A one-route HTTP server answering every request with `reply` (and remembering what it was sent). */
async function stubGateway(reply: (form: Record<string, string>) => { status?: number; body: string }) {
  const seen: Record<string, string>[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    seen.push(form);
    const { status = 200, body } = reply(form);
    res.writeHead(status, { "content-type": "application/json;charset=utf-8" }).end(body);
  });
  return { url: `${await listen(server)}/gateway.do`, seen };
}

/** Re-sign a raw body's response node with `key`, keeping its text byte for byte. */
function resign(raw: string, node: string, key = FAKE_ALIPAY.privateKey): string {
  const members = topLevelMembers(raw);
  const content = members?.get(node);
  if (!content) throw new Error(`no ${node}`);
  return `{"${node}":${content},"sign":${JSON.stringify(rsa2Sign(content, key))}}`;
}

describe("Alipay protocol details", () => {
  it("signs the sorted, non-empty parameters; requests keep sign_type in, notifications leave it out", () => {
    const params = { b: "2", a: "1", sign: "x", sign_type: "RSA2", empty: "", c: "中文 & =" };
    expect(signingString(params, ["sign"])).toBe("a=1&b=2&c=中文 & =&sign_type=RSA2");
    expect(requestSigningString(params)).toBe("a=1&b=2&c=中文 & =&sign_type=RSA2");
    expect(notificationSigningString(params)).toBe("a=1&b=2&c=中文 & =");
  });

  it("writes and reads timestamps in Beijing time", () => {
    expect(beijingTime(new Date("2020-03-08T14:44:12Z"))).toBe("2020-03-08 22:44:12");
    expect(beijingTime(new Date("2020-03-08T16:30:00.123Z"), true)).toBe("2020-03-09 00:30:00.123");
    expect(parseBeijingTime("2020-03-08 22:44:12")?.toISOString()).toBe("2020-03-08T14:44:12.000Z");
    expect(parseBeijingTime("2015-04-28 15:45:57.320")?.toISOString()).toBe("2015-04-28T07:45:57.320Z");
    expect(parseBeijingTime("2020-03-08T22:44:12")).toBeUndefined();
  });

  it("converts yuan strings and fen exactly, both ways, and refuses anything else", () => {
    expect(toYuan(1)).toBe("0.01");
    expect(toYuan(24590)).toBe("245.90");
    expect(toFen("1.8", "x")).toBe(180);
    expect(toFen("10", "x")).toBe(1000);
    expect(toFen("0.07", "x")).toBe(7);
    expect(toFen("88.88", "x")).toBe(8888);
    for (const bad of ["1.234", "-1.00", "1e2", "", " 1.00", "1,00", 12.5, null]) {
      expect(() => toFen(bad, "refund_fee")).toThrow(/ALIPAY_AMOUNT_INVALID.*refund_fee/);
    }
    expect(() => toYuan(1.5)).toThrow(/ALIPAY_AMOUNT_INVALID/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999_999_999 }), (fen) => toFen(toYuan(fen), "x") === fen),
    );
  });

  it("finds the exact text of each top-level member, and refuses duplicates or trailing junk", () => {
    const raw = ' { "a_response" : {"x":"}{\\"","y":[1,{"z":2}]} ,"sign":"abc"}\n';
    expect(topLevelMembers(raw)).toEqual(
      new Map([
        ["a_response", '{"x":"}{\\"","y":[1,{"z":2}]}'],
        ["sign", '"abc"'],
      ]),
    );
    expect(topLevelMembers('{"a":1,"a":2}')).toBeNull();
    expect(topLevelMembers('{"a":1} x')).toBeNull();
    expect(topLevelMembers('{"a":1')).toBeNull();
    expect(topLevelMembers("[1]")).toBeNull();
  });

  it("reads keys as PEM or as the key tool's bare base64", () => {
    const der = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, "");
    const signature = rsa2Sign("x", privateKeyFrom(der(FAKE_APP.privatePem)));
    expect(rsa2Sign("x", privateKeyFrom(FAKE_APP.privatePem))).toBe(signature);
    const pkcs1 = FAKE_APP.privateKey.export({ format: "der", type: "pkcs1" }).toString("base64");
    expect(rsa2Sign("x", privateKeyFrom(pkcs1))).toBe(signature);
    expect(publicKeyFrom(der(FAKE_APP.publicPem)).asymmetricKeyType).toBe("rsa");
    expect(() => privateKeyFrom("not a key")).toThrow(/ALIPAY_KEY_INVALID|cannot be read/);
    expect(() => alipayChannel({ ...sim.merchantConfig, alipayPublicKey: "bm90IGEga2V5" })).toThrow(
      /public key cannot be read/,
    );
  });
});

describe("fixtures: real alipay.trade.refund answers", () => {
  it("official doc example: parsed, amounts exact in fen, refund_fee read as the trade's running total", () => {
    const raw = fixture(OFFICIAL);
    const { node, body, sign } = readResponse(raw, "alipay.trade.refund");
    expect(node).toBe("alipay_trade_refund_response");
    expect(sign).toBe("ERITJKEIJKJHKKKKKKKHJEREEEEEEEEEEE");
    expect(readRefundAnswer(body)).toEqual({
      kind: "answered",
      fundChange: "Y",
      tradeNo: "2013112011001004330000121536",
      outTradeNo: "6823789339978248",
      refundedOnTrade: 8888,
      refundedAt: undefined,
    });
    // Every amount in the example, including the ones with fewer than two decimals.
    const detail = (body.refund_detail_item_list as Record<string, string>[])[0] ?? {};
    const voucher = (body.refund_voucher_detail_list as Record<string, string>[])[0] ?? {};
    expect(
      [
        body.send_back_fee,
        detail.amount,
        detail.real_amount,
        body.refund_hyb_amount,
        body.pre_auth_cancel_fee,
        voucher.amount,
        voucher.merchant_contribute,
        voucher.other_contribute,
        voucher.purchase_buyer_contribute,
      ].map((v) => toFen(v, "x")),
    ).toEqual([180, 1000, 1121, 1024, 1245, 1000, 900, 100, 201]);
    // Its sign is a placeholder: checked as it stands, it is refused with a clear code.
    expect(() => verifyResponse(raw, "alipay.trade.refund", publicKeyFrom(FAKE_ALIPAY.publicPem))).toThrow(
      expect.objectContaining({ code: "ALIPAY_SIGNATURE_INVALID" }),
    );
  });

  it("official doc example: the sign covers the node's exact text, whitespace and Chinese included", () => {
    const signed = resign(fixture(OFFICIAL), "alipay_trade_refund_response");
    const key = publicKeyFrom(FAKE_ALIPAY.publicPem);
    expect(verifyResponse(signed, "alipay.trade.refund", key).body.store_name).toBe("望湘园联洋店");
    for (const tampered of [
      signed.replace('"88.88"', '"99.99"'),
      signed.replace('"fund_change": "Y"', '"fund_change": "N"'),
      signed.replace('"refund_fee": "88.88",', '"refund_fee":  "88.88",'),
    ]) {
      expect(tampered).not.toBe(signed);
      expect(() => verifyResponse(tampered, "alipay.trade.refund", key)).toThrow(
        expect.objectContaining({ code: "ALIPAY_SIGNATURE_INVALID" }),
      );
    }
    // A second response node cannot ride along unsigned.
    const smuggled = signed.replace(
      '{"alipay_trade_refund_response":',
      '{"alipay_trade_refund_response":{},"alipay_trade_refund_response":',
    );
    expect(() => verifyResponse(smuggled, "alipay.trade.refund", key)).toThrow(
      expect.objectContaining({ code: "ALIPAY_RESPONSE_MALFORMED" }),
    );
  });

  it("official doc example through the adapter: succeeded for this refund, whatever the running total says", async () => {
    const gw = await stubGateway(() => ({ body: resign(fixture(OFFICIAL), "alipay_trade_refund_response") }));
    const viaStub = alipayChannel({
      appId: "2014072300007148",
      privateKey: FAKE_APP.privatePem,
      alipayPublicKey: FAKE_ALIPAY.publicPem,
      gatewayUrl: gw.url,
    });
    const trade = { transactionId: "2013112011001004330000121536", orderRef: "6823789339978248" };
    expect(await viaStub.refund(request({ ...trade, idempotencyKey: "RF-7", amount: 1000 }))).toEqual({
      status: "succeeded",
      channelRefundId: "2013112011001004330000121536:RF-7",
    });
    // 88.88 refunded on the trade in all cannot include a 100.00 refund: the answer is not about this one.
    const err = await unavailable(viaStub.refund(request({ ...trade, amount: 10000 })));
    expect(causeCode(err)).toBe("ALIPAY_RESPONSE_MISMATCH");
    // Nor is an answer about another trade.
    expect(causeCode(await unavailable(viaStub.refund(request({ amount: 1000 }))))).toBe(
      "ALIPAY_RESPONSE_MISMATCH",
    );
  });

  it("sandbox answer without its sign: readable (500.00 yuan = 50000 fen), but never trusted", async () => {
    const raw = fixture(SANDBOX_UNSIGNED);
    const { body, sign } = readResponse(raw, "alipay.trade.refund");
    expect(sign).toBeUndefined();
    expect(readRefundAnswer(body)).toEqual({
      kind: "answered",
      fundChange: "Y",
      tradeNo: "2020030822001496850500817079",
      outTradeNo: "1234567",
      refundedOnTrade: 50000,
      refundedAt: new Date("2020-03-08T14:44:12Z"),
    });
    const gw = await stubGateway(() => ({ body: raw }));
    const viaStub = alipayChannel({
      appId: "2016000000000000",
      privateKey: FAKE_APP.privatePem,
      alipayPublicKey: FAKE_ALIPAY.publicPem,
      gatewayUrl: gw.url,
    });
    const err = await unavailable(
      viaStub.refund(
        request({ transactionId: "2020030822001496850500817079", orderRef: "1234567", amount: 50000 }),
      ),
    );
    expect(err.kind).toBe("untrusted_response");
    expect(causeCode(err)).toBe("ALIPAY_SIGN_MISSING");
    expect(err.message).toMatch(/ALIPAY_SIGN_MISSING.*outcome unknown/);
  });
});

describe("answer tables", () => {
  it("refund: every known sub_code is a definite failure or an unknown outcome, as the table says", () => {
    for (const [sub, { outcome }] of Object.entries(SUB_CODES)) {
      const answer = readRefundAnswer({ code: "40004", msg: "Business Failed", sub_code: sub, sub_msg: "x" });
      expect(answer.kind).toBe(outcome);
    }
    expect(
      readRefundAnswer({ code: "40004", sub_code: "ACQ.TRADE_HAS_FINISHED", sub_msg: "交易已完结" }),
    ).toEqual({
      kind: "failed",
      code: "ACQ.TRADE_HAS_FINISHED",
      message: "交易已完结",
    });
    expect(readRefundAnswer({ code: "40004", sub_code: "ACQ.SYSTEM_ERROR" })).toMatchObject({
      kind: "unknown",
      reason: "ALIPAY_BUSINESS_UNKNOWN",
    });
    expect(readRefundAnswer({ code: "40004", sub_code: "ACQ.SOMETHING_NEW" })).toMatchObject({
      kind: "unknown",
    });
    expect(
      readRefundAnswer({ code: "20000", msg: "Service Currently Unavailable", sub_code: "isp.unknow-error" }),
    ).toMatchObject({
      kind: "unknown",
      reason: "ALIPAY_GATEWAY_ERROR",
      code: "20000 isp.unknow-error",
    });
    expect(() => readRefundAnswer({ code: "10000", trade_no: "T", refund_fee: "1.00" })).toThrow(
      /fund_change/,
    );
  });

  it("query: REFUND_SUCCESS, or no status with refund data, is a refund; no refund data is none", () => {
    const base = { code: "10000", msg: "Success", trade_no: "T1", out_trade_no: "SO-1" };
    expect(
      readQueryAnswer({
        ...base,
        out_request_no: "K",
        refund_amount: "12.33",
        refund_status: "REFUND_SUCCESS",
      }),
    ).toMatchObject({
      kind: "found",
      amount: 1233,
    });
    expect(
      readQueryAnswer({ ...base, out_request_no: "K", refund_amount: "12.33", total_amount: "100.20" }),
    ).toMatchObject({
      kind: "found",
      amount: 1233,
    });
    expect(readQueryAnswer(base)).toEqual({ kind: "not_found" });
    expect(readQueryAnswer({ code: "40004", sub_code: "ACQ.TRADE_NOT_EXIST" })).toEqual({
      kind: "not_found",
    });
    expect(readQueryAnswer({ code: "40004", sub_code: "ACQ.SYSTEM_ERROR" })).toMatchObject({
      kind: "unknown",
    });
    expect(() =>
      readQueryAnswer({ ...base, refund_amount: "1.00", refund_status: "REFUND_PROCESSING" }),
    ).toThrow(expect.objectContaining({ code: "ALIPAY_REFUND_STATUS_UNKNOWN" }));
  });
});

describe("Alipay adapter over the simulator", () => {
  it("sends exactly the documented fields, signed, and refunds in yuan", async () => {
    const out = await pay.refund(request());
    expect(out).toEqual({
      status: "succeeded",
      channelRefundId: "2026110122001400001:RF-1001",
      succeededAt: expect.any(String),
    });
    const [sent] = sim.requests();
    expect(Object.keys(sent?.params ?? {}).sort()).toEqual([
      "app_id",
      "biz_content",
      "charset",
      "format",
      "method",
      "notify_url",
      "sign",
      "sign_type",
      "timestamp",
      "version",
    ]);
    expect(sent?.params).toMatchObject({
      app_id: sim.merchantConfig.appId,
      method: "alipay.trade.refund",
      format: "JSON",
      charset: "utf-8",
      sign_type: "RSA2",
      version: "1.0",
      notify_url: "https://merchant.example/callbacks/payments/alipay",
    });
    expect(sent?.params.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(sent?.biz).toEqual({
      trade_no: "2026110122001400001",
      refund_amount: "19.90",
      out_request_no: "RF-1001",
      refund_reason: "damaged on arrival",
    });
    expect(sim.refunds()).toMatchObject([
      { out_request_no: "RF-1001", amount: 1990, trade_no: "2026110122001400001" },
    ]);

    // Without Alipay's trade number the merchant order number is used instead.
    await pay.refund(request({ idempotencyKey: "RF-1002", transactionId: null, reason: undefined }));
    expect(sim.requests()[1]?.biz).toEqual({
      out_trade_no: "SO-1",
      refund_amount: "19.90",
      out_request_no: "RF-1002",
    });

    expect(await pay.query("RF-1001", TRADE)).toEqual(out);
    const query = sim.requests()[2];
    expect(query?.params.method).toBe("alipay.trade.fastpay.refund.query");
    expect(query?.params.notify_url).toBeUndefined();
    expect(query?.biz).toEqual({
      trade_no: "2026110122001400001",
      out_request_no: "RF-1001",
      query_options: ["gmt_refund_pay"],
    });
  });

  it("query: an unknown out_request_no or trade is not_found; without the trade it cannot ask", async () => {
    expect(await pay.query("RF-none", TRADE)).toEqual({ status: "not_found" });
    expect(await pay.query("RF-none", { transactionId: "2099", orderRef: "SO-none" })).toEqual({
      status: "not_found",
    });
    await expect(pay.query("RF-1001")).rejects.toMatchObject({ code: "ALIPAY_QUERY_NEEDS_TRADE" });
    // Given the whole request, a refund under the key for another amount is not taken as this one.
    await pay.refund(request());
    expect(await pay.query("RF-1001", request())).toMatchObject({ status: "succeeded" });
    expect(causeCode(await unavailable(pay.query("RF-1001", request({ amount: 1991 }))))).toBe(
      "ALIPAY_RESPONSE_MISMATCH",
    );
  });

  it("a repeat with the same out_request_no moves no money (fund_change=N) and is confirmed by query", async () => {
    const first = await pay.refund(request());
    const again = await pay.refund(request());
    expect(again).toEqual(first);
    expect(sim.refunds()).toHaveLength(1);
    expect(sim.requests().map((r) => r.params.method)).toEqual([
      "alipay.trade.refund",
      "alipay.trade.refund",
      "alipay.trade.fastpay.refund.query",
    ]);
  });

  it("partial refunds with their own out_request_no add up, never beyond the trade's total", async () => {
    expect(await pay.refund(request({ idempotencyKey: "RF-A", amount: 30_00 }))).toMatchObject({
      status: "succeeded",
    });
    expect(await pay.refund(request({ idempotencyKey: "RF-B", amount: 15_00 }))).toMatchObject({
      status: "succeeded",
    });
    expect(await pay.refund(request({ idempotencyKey: "RF-C", amount: 5_01 }))).toMatchObject({
      status: "failed",
      code: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
    });
    // A retry of B is B again, not a third refund.
    expect(await pay.refund(request({ idempotencyKey: "RF-B", amount: 15_00 }))).toMatchObject({
      status: "succeeded",
    });
    expect(await pay.refund(request({ idempotencyKey: "RF-D", amount: 5_00 }))).toMatchObject({
      status: "succeeded",
    });
    expect(sim.refunds().map((r) => [r.out_request_no, r.amount])).toEqual([
      ["RF-A", 3000],
      ["RF-B", 1500],
      ["RF-D", 500],
    ]);
    expect(sim.trades()[0]?.status).toBe("TRADE_CLOSED");
  });

  it("the same out_request_no with another amount is a conflict: outcome unknown, nothing moves", async () => {
    await pay.refund(request());
    const err = await unavailable(pay.refund(request({ amount: 2000 })));
    expect(err.message).toMatch(/ACQ.DISCORDANT_REPEAT_REQUEST/);
    expect(sim.refunds().map((r) => r.amount)).toEqual([1990]);
  });

  it("definite business failures are failed; nothing is recorded", async () => {
    sim.faults({ declineNext: 1 });
    expect(await pay.refund(request())).toEqual({
      status: "failed",
      code: "ACQ.SELLER_BALANCE_NOT_ENOUGH",
      message: expect.stringContaining("卖家余额不足"),
    });
    expect(await pay.query("RF-1001", TRADE)).toEqual({ status: "not_found" });
    expect(await pay.refund(request({ transactionId: "2099000" }))).toMatchObject({
      status: "failed",
      code: "ACQ.TRADE_NOT_EXIST",
    });
    sim.openTrade({
      tradeNo: "2026110122001400002",
      outTradeNo: "SO-2",
      total: 100,
      status: "TRADE_FINISHED",
    });
    expect(
      await pay.refund(request({ transactionId: "2026110122001400002", orderRef: "SO-2", amount: 100 })),
    ).toMatchObject({
      status: "failed",
      code: "ACQ.TRADE_HAS_FINISHED",
    });
    expect(await pay.refund(request({ currency: "USD" }))).toMatchObject({
      status: "failed",
      code: "ALIPAY_CURRENCY_UNSUPPORTED",
    });
    expect(sim.refunds()).toEqual([]);
  });

  it("HTTP 500: unknown outcome; the query shows nothing happened and a retry refunds once", async () => {
    sim.faults({ failNext: 1 });
    const err = await unavailable(pay.refund(request()));
    expect(err).toMatchObject({ kind: "http", httpStatus: 500, channel: "alipay" });
    expect(await pay.query("RF-1001", TRADE)).toEqual({ status: "not_found" });
    expect(await pay.refund(request())).toMatchObject({ status: "succeeded" });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("ACQ.SYSTEM_ERROR: unknown outcome, never failed", async () => {
    sim.faults({ systemErrorNext: 1 });
    const err = await unavailable(pay.refund(request()));
    expect(causeCode(err)).toBe("ALIPAY_BUSINESS_UNKNOWN");
    expect(err.message).toMatch(/ACQ.SYSTEM_ERROR/);
    expect(await pay.refund(request())).toMatchObject({ status: "succeeded" });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("an answer without its sign is unknown, though the money moved: the query finds it, a retry repeats nothing", async () => {
    sim.faults({ unsignedNext: 1 });
    expect(causeCode(await unavailable(pay.refund(request())))).toBe("ALIPAY_SIGN_MISSING");
    expect(await pay.query("RF-1001", TRADE)).toMatchObject({ status: "succeeded" });
    expect(await pay.refund(request())).toMatchObject({ status: "succeeded" });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("timeout after the money moved: the query finds it, a retry does not repeat it", async () => {
    sim.faults({ timeoutNext: 1, delayMs: 500 });
    const impatient = alipayChannel({ ...sim.merchantConfig, timeoutMs: 100 });
    expect((await unavailable(impatient.refund(request()))).kind).toBe("timeout");
    sim.faults({ delayMs: 0 });
    const found = await pay.query("RF-1001", TRADE);
    expect(found).toMatchObject({ status: "succeeded" });
    expect(await pay.refund(request())).toEqual(found);
    expect(sim.refunds()).toHaveLength(1);
  });
});

describe("request signatures at the gateway", () => {
  /** A hand-made gateway call, signed with `key` unless told otherwise. */
  async function rawCall(
    params: Record<string, string>,
    opts: { key?: string; mutate?: (p: Record<string, string>) => void } = {},
  ) {
    const full: Record<string, string> = {
      app_id: sim.merchantConfig.appId,
      method: "alipay.trade.refund",
      format: "JSON",
      charset: "utf-8",
      sign_type: "RSA2",
      timestamp: beijingTime(new Date()),
      version: "1.0",
      biz_content: JSON.stringify({
        trade_no: TRADE.transactionId,
        refund_amount: "1.00",
        out_request_no: "RAW-1",
      }),
      ...params,
    };
    full.sign = rsa2Sign(
      requestSigningString(full),
      privateKeyFrom(opts.key ?? sim.merchantConfig.privateKey),
    );
    opts.mutate?.(full);
    const res = await fetch(sim.merchantConfig.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
      body: formBody(full),
    });
    return { status: res.status, text: await res.text() };
  }
  const node = (text: string) => readResponse(text, "alipay.trade.refund");

  it("a correctly signed request refunds", async () => {
    const { text } = await rawCall({});
    expect(node(text).body).toMatchObject({ code: "10000", fund_change: "Y" });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("refuses a missing, wrong or tampered sign, a stale timestamp and an unknown app, and records nothing", async () => {
    const cases: [Parameters<typeof rawCall>, string, boolean][] = [
      [[{}, { mutate: (p) => delete p.sign }], "isv.missing-signature", true],
      [[{}, { key: FAKE_APP.privatePem }], "isv.invalid-signature", true],
      [
        [{}, { mutate: (p) => (p.biz_content = (p.biz_content ?? "").replace('"1.00"', '"9.00"')) }],
        "isv.invalid-signature",
        true,
      ],
      [[{ sign_type: "RSA" }, {}], "isv.invalid-signature-type", true],
      [[{ timestamp: beijingTime(new Date(Date.now() - 3_600_000)) }, {}], "isv.invalid-timestamp", true],
      [[{ app_id: "2099000000000000" }, {}], "isv.invalid-app-id", false],
    ];
    for (const [args, subCode, signed] of cases) {
      const { status, text } = await rawCall(...args);
      expect(status).toBe(200);
      const res = node(text);
      expect(res.body).toMatchObject({ code: expect.stringMatching(/^4000[12]$/), sub_code: subCode });
      expect(res.sign !== undefined).toBe(signed);
    }
    expect(sim.refunds()).toEqual([]);
  });

  it("an adapter with the wrong app key gets a gateway refusal: outcome unknown, nothing recorded", async () => {
    const wrong = alipayChannel({ ...sim.merchantConfig, privateKey: FAKE_APP.privatePem });
    const err = await unavailable(wrong.refund(request()));
    expect(err.kind).toBe("http");
    expect(causeCode(err)).toBe("ALIPAY_GATEWAY_ERROR");
    expect(err.message).toMatch(/40002 isv.invalid-signature/);
    expect(sim.refunds()).toEqual([]);
  });
});

describe("response signatures at the adapter", () => {
  it("a tampered or unsigned answer, or one signed by another key, is refused with its code; the query tells the truth", async () => {
    let mutate: (body: string) => string = (b) => b;
    const proxy = await listen(
      createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const upstream = await fetch(sim.merchantConfig.gatewayUrl, {
          method: "POST",
          headers: { "content-type": req.headers["content-type"] ?? "" },
          body: Buffer.concat(chunks),
        });
        res
          .writeHead(upstream.status, { "content-type": "application/json" })
          .end(mutate(await upstream.text()));
      }),
    );
    const viaProxy = alipayChannel({ ...sim.merchantConfig, gatewayUrl: `${proxy}/gateway.do` });

    mutate = (b) => b.replace('"fund_change":"Y"', '"fund_change":"N"');
    expect(
      causeCode(await unavailable(viaProxy.refund(request({ idempotencyKey: "RF-T1", amount: 1000 })))),
    ).toBe("ALIPAY_SIGNATURE_INVALID");
    mutate = (b) => b.replace(/,"sign":"[^"]*"/, "");
    expect(
      causeCode(await unavailable(viaProxy.refund(request({ idempotencyKey: "RF-T2", amount: 1000 })))),
    ).toBe("ALIPAY_SIGN_MISSING");
    mutate = (b) => b;
    const wrongKey = alipayChannel({ ...sim.merchantConfig, alipayPublicKey: FAKE_ALIPAY.publicPem });
    expect(
      causeCode(await unavailable(wrongKey.refund(request({ idempotencyKey: "RF-T3", amount: 1000 })))),
    ).toBe("ALIPAY_SIGNATURE_INVALID");
    mutate = () => "<html>502 Bad Gateway</html>";
    expect(causeCode(await unavailable(viaProxy.query("RF-T1", TRADE)))).toBe("ALIPAY_RESPONSE_MALFORMED");

    // Each refund did happen: only the answers were untrustworthy, so the caller must (and can) ask.
    for (const key of ["RF-T1", "RF-T2", "RF-T3"]) {
      expect(await pay.query(key, TRADE)).toMatchObject({ status: "succeeded" });
    }
    expect(sim.refunds()).toHaveLength(3);
  });
});

describe("asynchronous notifications", () => {
  /** A notification the tests sign themselves, as FAKE_ALIPAY. */
  const signedNotify = (params: Record<string, string>) => {
    const all = { sign_type: "RSA2", ...params };
    return formBody({ ...all, sign: rsa2Sign(notificationSigningString(all), FAKE_ALIPAY.privateKey) });
  };
  const refundNotify = {
    notify_time: "2026-11-01 16:00:01",
    notify_type: "trade_status_sync",
    notify_id: "ac05099524730693a8b330c5ecf72da978",
    app_id: "2014072300007148",
    charset: "utf-8",
    version: "1.0",
    trade_no: "2013112011001004330000121536",
    out_trade_no: "6823789339978248",
    out_biz_no: "RF-9",
    trade_status: "TRADE_SUCCESS",
    total_amount: "88.88",
    refund_fee: "20.00",
    gmt_refund: "2026-11-01 16:00:00.320",
  };
  const adapter = () =>
    alipayChannel({
      appId: "2014072300007148",
      privateKey: FAKE_APP.privatePem,
      alipayPublicKey: FAKE_ALIPAY.publicPem,
      gatewayUrl: "http://127.0.0.1:9/gateway.do",
    });

  it("the simulator's notification after a refund is verified and names the refund", async () => {
    const out = await pay.refund(request());
    const { body } = sim.notification("RF-1001");
    const n = pay.parseNotification?.({ "content-type": "application/x-www-form-urlencoded" }, body);
    expect(n).toMatchObject({
      idempotencyKey: "RF-1001",
      outcome: {
        status: "succeeded",
        channelRefundId: out.status === "succeeded" ? out.channelRefundId : "",
      },
      payload: { out_biz_no: "RF-1001", refund_fee: "19.90", notify_type: "trade_status_sync" },
    });
    expect(n?.notificationId).toMatch(/^[0-9a-f]{34}$/);
    expect(n?.payload.sign).toBeUndefined();
    expect(pay.notificationAck).toEqual({
      status: 200,
      contentType: "text/plain; charset=utf-8",
      body: "success",
    });
  });

  it("reads a refund notification: refund_fee is the running total and is only kept", () => {
    const n = adapter().parseNotification?.({}, signedNotify(refundNotify));
    expect(n).toEqual({
      notificationId: "ac05099524730693a8b330c5ecf72da978",
      idempotencyKey: "RF-9",
      outcome: {
        status: "succeeded",
        channelRefundId: "2013112011001004330000121536:RF-9",
        succeededAt: "2026-11-01T08:00:00.320Z",
      },
      payload: { ...refundNotify, sign_type: "RSA2" },
    });
  });

  it("rejects unsigned, tampered, foreign and malformed notifications with their own codes", () => {
    const parse = (body: string) => () => adapter().parseNotification?.({}, body);
    const good = signedNotify(refundNotify);
    expect(rejectedNotification(parse(good.replace("refund_fee=20.00", "refund_fee=88.88")))).toBe(
      "ALIPAY_SIGNATURE_INVALID",
    );
    expect(rejectedNotification(parse(good.replace("out_biz_no=RF-9", "out_biz_no=RF-8")))).toBe(
      "ALIPAY_SIGNATURE_INVALID",
    );
    expect(rejectedNotification(parse(good.replace(/&?sign=[^&]*/, "")))).toBe("ALIPAY_SIGN_MISSING");
    expect(rejectedNotification(parse(good.replace("sign_type=RSA2", "sign_type=RSA")))).toBe(
      "ALIPAY_SIGN_TYPE_UNSUPPORTED",
    );
    const otherKey = testKeys();
    const foreign = formBody({
      ...refundNotify,
      sign_type: "RSA2",
      sign: rsa2Sign(notificationSigningString(refundNotify), otherKey.privateKey),
    });
    expect(rejectedNotification(parse(foreign))).toBe("ALIPAY_SIGNATURE_INVALID");
    expect(rejectedNotification(parse(signedNotify({ ...refundNotify, app_id: "2099" })))).toBe(
      "ALIPAY_APP_ID_MISMATCH",
    );
    expect(rejectedNotification(parse(`${good}&out_biz_no=RF-8`))).toBe("ALIPAY_NOTIFY_MALFORMED");
    const { out_biz_no: _o, gmt_refund: _g, refund_fee: _r, ...payment } = refundNotify;
    expect(rejectedNotification(parse(signedNotify(payment)))).toBe("ALIPAY_NOTIFY_NOT_A_REFUND");
    expect(rejectedNotification(parse(signedNotify({ ...refundNotify, refund_fee: "2O.00" })))).toBe(
      "ALIPAY_NOTIFY_MALFORMED",
    );
    expect(rejectedNotification(parse("not a form {}"))).toBe("ALIPAY_SIGN_MISSING");
  });
});

describe("simulator controls and state", () => {
  it("trades, faults and refunds are reachable over HTTP on loopback", async () => {
    const opened = await fetch(`${sim.url}/_sim/trades`, {
      method: "POST",
      body: JSON.stringify({ trade_no: "2026110122001400009", out_trade_no: "SO-9", total_amount: "245.90" }),
    });
    expect(await opened.json()).toMatchObject({ trade_no: "2026110122001400009", total: 24590 });
    const set = await fetch(`${sim.url}/_sim/faults`, {
      method: "POST",
      body: JSON.stringify({ declineNext: 1 }),
    });
    expect(await set.json()).toMatchObject({ declineNext: 1, failNext: 0 });
    const bad = await fetch(`${sim.url}/_sim/faults`, {
      method: "POST",
      body: JSON.stringify({ explode: 1 }),
    });
    expect(bad.status).toBe(400);
    await pay.refund(request());
    await pay.refund(
      request({ idempotencyKey: "RF-2", transactionId: "2026110122001400009", orderRef: "SO-9" }),
    );
    const list = (await (await fetch(`${sim.url}/_sim/refunds`)).json()) as {
      refunds: { out_request_no: string }[];
    };
    expect(list.refunds.map((r) => r.out_request_no)).toEqual(["RF-2"]);
  });

  it("keeps keys, trades and refunds across a restart when given a state file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alipay-sim-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, "alipay.json");
    const first = await startAlipaySimulator({ stateFile });
    first.openTrade({ tradeNo: "T-STATE", outTradeNo: "SO-STATE", total: 1000 });
    const config = first.merchantConfig;
    const trade = { transactionId: "T-STATE", orderRef: "SO-STATE" };
    const out = await alipayChannel(config).refund(request({ ...trade, amount: 600 }));
    await first.close();

    const second = await startAlipaySimulator({ stateFile });
    cleanups.push(() => second.close());
    expect(second.merchantConfig.privateKey).toBe(config.privateKey);
    const again = alipayChannel({ ...config, gatewayUrl: second.merchantConfig.gatewayUrl });
    expect(await again.query("RF-1001", trade)).toEqual(out);
    expect(await again.refund(request({ ...trade, amount: 600 }))).toEqual(out);
    expect(await again.refund(request({ ...trade, idempotencyKey: "RF-X", amount: 401 }))).toMatchObject({
      status: "failed",
      code: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
    });
    expect(second.refunds()).toHaveLength(1);
  });

  it("AlipayProtocolError carries its code in the message", () => {
    const e = new AlipayProtocolError("ALIPAY_SIGN_MISSING", "no sign");
    expect(e.message).toBe("ALIPAY_SIGN_MISSING: no sign");
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
