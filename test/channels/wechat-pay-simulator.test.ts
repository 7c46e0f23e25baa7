import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ChannelUnavailableError,
  NotificationRejectedError,
  type PaymentChannel,
  type RefundNotification,
  type RefundRequest,
} from "../../src/channels/payments/channel.ts";
import { wechatPayChannel } from "../../src/channels/payments/wechat-pay/adapter.ts";
import {
  authorization,
  generateRsaKeyPair,
  privateKeyOf,
  type RsaKeyPair,
  unixSeconds,
} from "../../src/channels/payments/wechat-pay/protocol.ts";
import {
  NOTIFY_RETRY_SCHEDULE_MS,
  startWechatPaySimulator,
  type WechatPaySimulator,
} from "../../src/channels/payments/wechat-pay/simulator.ts";

/** The adapter against the simulator: the same protocol on both sides, faults included. */

// Key pairs are slow to make; one set serves every simulator in this file.
let merchantKey: RsaKeyPair;
let platformKey: RsaKeyPair;
let sim: WechatPaySimulator;
let pay: PaymentChannel;
const cleanups: (() => unknown)[] = [];

/** The merchant's notify endpoint: verifies with the adapter and answers as told. */
const received: RefundNotification[] = [];
const rejected: string[] = [];
let respond: () => number = () => 200;
let notifyUrl: string;
const receiver = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
  try {
    const n = pay.parseNotification?.(headers, Buffer.concat(chunks).toString("utf8"));
    const status = respond();
    if (status === 200 && n) received.push(n);
    res.writeHead(status, { "content-type": "application/json" }).end(pay.notificationAck?.body);
  } catch (e) {
    if (!(e instanceof NotificationRejectedError)) throw e;
    rejected.push(e.code);
    res.writeHead(400, { "content-type": "application/json" }).end('{"code":"FAIL","message":"失败"}');
  }
});

beforeAll(async () => {
  [merchantKey, platformKey] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
});
afterAll(() => {
  receiver.closeAllConnections();
  receiver.close();
});

const start = (over: Parameters<typeof startWechatPaySimulator>[0] = {}) =>
  startWechatPaySimulator({ merchantKey, platformKey, notifyTimeScale: 1000, ...over });
const adapter = (s: WechatPaySimulator, timeoutMs = 1_000) =>
  wechatPayChannel({ ...s.merchantConfig, notifyUrl, timeoutMs });

beforeEach(async () => {
  sim = await start();
  pay = adapter(sim);
  received.length = 0;
  rejected.length = 0;
  respond = () => 200;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sim.close();
});

const request = (over: Partial<RefundRequest> = {}): RefundRequest => ({
  idempotencyKey: "RF-1001",
  transactionId: "4200001234202611010000000001",
  orderRef: "SO-1",
  amount: 1990,
  total: 5000,
  currency: "CNY",
  reason: "质量问题",
  ...over,
});

const unavailable = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelUnavailableError);
  return err as ChannelUnavailableError;
};

describe("WeChat Pay simulator: refunds", () => {
  it("refunds, answers with WeChat's refund object, and the refund can be queried back", async () => {
    const out = await pay.refund(request());
    expect(out).toMatchObject({ status: "succeeded", channelRefundId: expect.stringMatching(/^50\d{27}$/) });
    expect(await pay.query("RF-1001")).toEqual(out);
    const [r] = sim.refunds();
    expect(r).toMatchObject({
      out_refund_no: "RF-1001",
      transaction_id: "4200001234202611010000000001",
      status: "SUCCESS",
      channel: "ORIGINAL",
      funds_account: "AVAILABLE",
      success_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
      amount: { refund: 1990, total: 5000, payer_refund: 1990, currency: "CNY" },
    });
    expect(await pay.query("RF-unknown")).toEqual({ status: "not_found" });
  });

  it("同一退款单号多次请求只退一笔: a retry returns the same refund; another amount under the key is refused", async () => {
    const first = await pay.refund(request());
    expect(await pay.refund(request())).toEqual(first);
    expect(await pay.refund(request({ amount: 2000 }))).toMatchObject({
      status: "failed",
      code: "INVALID_REQUEST",
    });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("refuses cumulative refunds beyond what the payment took (NOT_ENOUGH), takes the exact rest", async () => {
    await pay.refund(request({ idempotencyKey: "RF-A", amount: 3000 }));
    expect(await pay.refund(request({ idempotencyKey: "RF-B", amount: 2001 }))).toMatchObject({
      status: "failed",
      code: "NOT_ENOUGH",
    });
    expect(await pay.refund(request({ idempotencyKey: "RF-C", amount: 2000 }))).toMatchObject({
      status: "succeeded",
    });
    expect(await pay.refund(request({ idempotencyKey: "RF-D", amount: 1, total: 4000 }))).toMatchObject({
      status: "failed",
      code: "INVALID_REQUEST",
    });
    expect(sim.refunds().reduce((sum, r) => sum + r.amount.refund, 0)).toBe(5000);
  });

  it("refunds by out_trade_no too, and knows the payment under its transaction id afterwards", async () => {
    await pay.refund(request({ transactionId: null, orderRef: "SO-77" }));
    expect(sim.refunds()[0]).toMatchObject({
      out_trade_no: "SO-77",
      transaction_id: expect.stringMatching(/^4200/),
    });
  });

  it("checks the merchant's signature: unsigned, wrong key, wrong serial, stale, tampered and replayed requests get 401", async () => {
    const path = "/v3/refund/domestic/refunds";
    const body = JSON.stringify({
      transaction_id: "T1",
      out_refund_no: "RF-RAW",
      amount: { refund: 100, total: 100, currency: "CNY" },
    });
    const other = await generateRsaKeyPair();
    const me = {
      mchid: sim.merchantConfig.mchid,
      serialNo: merchantKey.serialNo,
      privateKey: privateKeyOf(merchantKey.privateKey),
    };
    const post = async (auth: string | undefined, text = body) => {
      const res = await fetch(sim.url + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body: text,
      });
      return {
        status: res.status,
        body: (await res.json()) as { code: string },
        signed: res.headers.has("wechatpay-signature"),
      };
    };
    const refusals = [
      undefined,
      authorization({ ...me, privateKey: privateKeyOf(other.privateKey) }, "POST", path, body),
      authorization({ ...me, serialNo: other.serialNo }, "POST", path, body),
      authorization({ ...me, mchid: "1900000000" }, "POST", path, body),
      authorization(me, "POST", path, body, { timestamp: unixSeconds(Date.now() - 301_000) }),
      authorization(me, "POST", "/v3/refund/domestic/refunds?x=1", body),
    ];
    for (const auth of refusals) {
      expect(await post(auth)).toEqual({
        status: 401,
        body: expect.objectContaining({ code: "SIGN_ERROR" }),
        signed: false,
      });
    }
    const good = authorization(me, "POST", path, body);
    expect((await post(good, body.replace("100,", "99,"))).status).toBe(401);
    expect(sim.refunds()).toEqual([]);
    expect(await post(good)).toMatchObject({ status: 200, signed: true });
    expect((await post(good)).body.code).toBe("SIGN_ERROR"); // the same nonce again
    expect(sim.refunds()).toHaveLength(1);
  });

  it("an adapter with another merchant key is refused and nothing moves", async () => {
    const other = await generateRsaKeyPair();
    const wrong = wechatPayChannel({ ...sim.merchantConfig, privateKey: other.privateKey });
    expect((await unavailable(wrong.refund(request()))).message).toMatch(/HTTP 401/);
    expect(sim.refunds()).toEqual([]);
  });
});

describe("WeChat Pay simulator: faults", () => {
  it("failNext: 500 SYSTEM_ERROR, nothing happened; the retry with the same out_refund_no refunds once", async () => {
    sim.faults({ failNext: 1 });
    expect(await unavailable(pay.refund(request()))).toMatchObject({ kind: "http", httpStatus: 500 });
    expect(await pay.query("RF-1001")).toEqual({ status: "not_found" });
    expect(await pay.refund(request())).toMatchObject({ status: "succeeded" });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("timeoutNext: the money moved, the caller timed out; query finds it and a retry does not repeat it", async () => {
    sim.faults({ timeoutNext: 1, delayMs: 600 });
    expect((await unavailable(adapter(sim, 150).refund(request()))).kind).toBe("timeout");
    sim.faults({ delayMs: 0 });
    const found = await pay.query("RF-1001");
    expect(found).toMatchObject({ status: "succeeded" });
    expect(await pay.refund(request())).toEqual(found);
    expect(sim.refunds()).toHaveLength(1);
  });

  it("unsignedNext: an unsigned answer is untrusted even though the refund was made", async () => {
    sim.faults({ unsignedNext: 1 });
    expect((await unavailable(pay.refund(request()))).kind).toBe("untrusted_response");
    expect(await pay.query("RF-1001")).toMatchObject({ status: "succeeded" });
  });

  it("declineNext: CLOSED fails the refund and does not use up the payment", async () => {
    sim.faults({ declineNext: 1 });
    expect(await pay.refund(request({ amount: 5000 }))).toMatchObject({
      status: "failed",
      code: "REFUND_CLOSED",
    });
    expect(await pay.refund(request({ idempotencyKey: "RF-1002", amount: 5000 }))).toMatchObject({
      status: "succeeded",
    });
  });

  it("notEnoughNext: 403 NOT_ENOUGH (merchant balance) is a refusal; nothing recorded", async () => {
    sim.faults({ notEnoughNext: 1 });
    expect(await pay.refund(request())).toMatchObject({ status: "failed", code: "NOT_ENOUGH" });
    expect(sim.refunds()).toEqual([]);
  });

  it("abnormalNext: ABNORMAL stays processing (never failed, never succeeded) until someone handles it", async () => {
    sim.faults({ abnormalNext: 1 });
    expect(await pay.refund(request())).toMatchObject({
      status: "processing",
      attention: { code: "REFUND_ABNORMAL" },
    });
    expect(await pay.query("RF-1001")).toMatchObject({ status: "processing" });
    // Refunding "again" under the same key cannot make a second refund either.
    expect(await pay.refund(request())).toMatchObject({ status: "processing" });
    expect(sim.resolveAbnormal("RF-1001")).toMatchObject({ status: "SUCCESS" });
    expect(await pay.query("RF-1001")).toMatchObject({ status: "succeeded" });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("processingFor: PROCESSING first, SUCCESS after the delay", async () => {
    // Long enough that a loaded machine still asks within the window (a timing test, kept wide).
    sim.faults({ processingFor: 1500 });
    const first = await pay.refund(request());
    expect(first).toMatchObject({ status: "processing" });
    expect(await pay.query("RF-1001")).toMatchObject({ status: "processing" });
    await new Promise((r) => setTimeout(r, 1600));
    expect(await pay.query("RF-1001")).toMatchObject({
      status: "succeeded",
      channelRefundId: first.status === "processing" ? first.channelRefundId : "",
    });
  });
});

// Deliveries race the machine's load (seen once in CI under full load): retried, never skipped.
describe("WeChat Pay simulator: 退款结果通知", { retry: 2 }, () => {
  it("sends the encrypted, signed notification to notify_url once the refund settles, and stops at the ack", async () => {
    sim.faults({ processingFor: 30 });
    const out = await pay.refund(request());
    expect(received).toEqual([]);
    await sim.notificationsIdle();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      notificationId: expect.stringMatching(/^EV-/),
      idempotencyKey: "RF-1001",
      outcome: {
        status: "succeeded",
        channelRefundId: out.status === "processing" ? out.channelRefundId : "",
      },
      payload: {
        event_type: "REFUND.SUCCESS",
        resource_type: "encrypt-resource",
        resource: {
          refund_status: "SUCCESS",
          mchid: sim.merchantConfig.mchid,
          amount: { refund: 1990, total: 5000 },
        },
      },
    });
    expect(sim.notifications()).toMatchObject([{ acked: true, attempts: 1, deliveries: [{ status: 200 }] }]);
  });

  it("retries on WeChat's schedule (compressed) until acked", async () => {
    let calls = 0;
    respond = () => (++calls <= 2 ? 500 : 200);
    await pay.refund(request());
    await sim.notificationsIdle();
    const [n] = sim.notifications();
    expect(n?.deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    expect(received).toHaveLength(1);
  });

  it("gives up after the 15 retries of the schedule (about 24 h) if never acked", async () => {
    const fast = await start({ notifyTimeScale: 1_000_000 });
    cleanups.push(() => fast.close());
    respond = () => 503;
    await adapter(fast).refund(request());
    await fast.notificationsIdle();
    const [n] = fast.notifications();
    expect(n).toMatchObject({ acked: false, given_up: true, attempts: NOTIFY_RETRY_SCHEDULE_MS.length + 1 });
    expect(NOTIFY_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0)).toBe((24 * 60 + 4) * 60_000);
  });

  it("a tampered delivery is refused by the merchant; the genuine retry is taken", async () => {
    sim.faults({ tamperNotify: 1 });
    await pay.refund(request());
    await sim.notificationsIdle();
    expect(rejected).toEqual(["WECHATPAY_SIGNATURE_INVALID"]);
    expect(sim.notifications()[0]?.deliveries.map((d) => d.status)).toEqual([400, 200]);
    expect(received).toHaveLength(1);
  });

  it("duplicate, held (late) and redelivered notifications carry the same id", async () => {
    sim.faults({ duplicateNotify: 1 });
    await pay.refund(request({ idempotencyKey: "RF-DUP" }));
    await sim.notificationsIdle();
    expect(received.map((n) => n.idempotencyKey)).toEqual(["RF-DUP", "RF-DUP"]);
    expect(received[0]?.notificationId).toBe(received[1]?.notificationId);

    sim.faults({ holdNotify: 1 });
    await pay.refund(request({ idempotencyKey: "RF-LATE", amount: 10 }));
    await sim.notificationsIdle();
    expect(received).toHaveLength(2);
    await sim.releaseHeld();
    expect(received.at(-1)?.idempotencyKey).toBe("RF-LATE");

    const id = received[0]?.notificationId ?? "";
    expect(await sim.redeliver(id)).toBe(true);
    expect(received.at(-1)?.notificationId).toBe(id);
  });

  it("notifyBeforeAnswer: the notification arrives before the API answer", async () => {
    sim.faults({ notifyBeforeAnswer: 1, processingFor: 10_000 });
    const out = await pay.refund(request());
    expect(received).toHaveLength(1);
    expect(received[0]?.outcome.status).toBe("succeeded");
    expect(out.status).toBe("processing"); // the answer reflects the moment the request was taken
  });

  it("an ABNORMAL refund is notified as REFUND.ABNORMAL, then REFUND.SUCCESS once handled", async () => {
    sim.faults({ abnormalNext: 1 });
    await pay.refund(request());
    await sim.notificationsIdle();
    sim.resolveAbnormal("RF-1001");
    await sim.notificationsIdle();
    expect(received.map((n) => [n.payload.event_type, n.outcome.status])).toEqual([
      ["REFUND.ABNORMAL", "processing"],
      ["REFUND.SUCCESS", "succeeded"],
    ]);
  });

  it("uses the merchant platform's notify URL when a refund has none", async () => {
    const bare = wechatPayChannel({ ...sim.merchantConfig });
    sim.setNotifyUrl(notifyUrl);
    await bare.refund(request());
    await sim.notificationsIdle();
    expect(received).toHaveLength(1);
  });
});

describe("WeChat Pay simulator: controls and persistence", () => {
  it("faults, refunds, notifications and the merchant config are reachable over HTTP on loopback", async () => {
    const post = (path: string, body: unknown = {}) =>
      fetch(sim.url + path, { method: "POST", body: JSON.stringify(body) });
    expect(await (await post("/_sim/faults", { declineNext: 1 })).json()).toMatchObject({
      declineNext: 1,
      failNext: 0,
    });
    expect((await post("/_sim/faults", { explode: 1 })).status).toBe(400);
    await pay.refund(request());
    const list = (await (await fetch(`${sim.url}/_sim/refunds`)).json()) as { refunds: { status: string }[] };
    expect(list.refunds.map((r) => r.status)).toEqual(["CLOSED"]);
    await sim.notificationsIdle();
    const ns = (await (await fetch(`${sim.url}/_sim/notifications`)).json()) as {
      notifications: { id: string }[];
    };
    expect(ns.notifications).toHaveLength(1);
    expect(await (await post(`/_sim/notifications/${ns.notifications[0]?.id}/redeliver`)).json()).toEqual({
      acked: true,
    });
    expect(await (await fetch(`${sim.url}/_sim/merchant-config`)).json()).toEqual(sim.merchantConfig);
    expect(await (await post("/_sim/notify-url", { url: notifyUrl })).json()).toEqual({ url: notifyUrl });
    expect((await post("/_sim/refunds/RF-1001/resolve-abnormal")).status).toBe(400);
  });

  it("keeps keys, refunds and undelivered notifications across a restart when given a state file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wechat-pay-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, "state.json");
    const first = await startWechatPaySimulator({ stateFile, notifyTimeScale: 10 }); // own keys
    pay = adapter(first); // the receiver verifies with the first simulator's keys
    respond = () => 500; // the merchant is down from the start: the notification stays due
    const out = await pay.refund(request());
    await new Promise((r) => setTimeout(r, 50));
    await first.close();
    expect(received).toHaveLength(0);

    respond = () => 200;
    const second = await startWechatPaySimulator({ stateFile, notifyTimeScale: 1000 });
    cleanups.push(() => second.close());
    expect(second.merchantConfig).toEqual({ ...first.merchantConfig, baseUrl: second.url });
    const again = adapter(second);
    pay = again;
    expect(await again.query("RF-1001")).toEqual(out);
    expect(await again.refund(request())).toEqual(out);
    expect(second.refunds()).toHaveLength(1);
    // The due retry (1.5 s at this scale) is not lost with the process.
    await second.notificationsIdle(5_000);
    expect(received.map((n) => n.idempotencyKey)).toEqual(["RF-1001"]);
  });
});
