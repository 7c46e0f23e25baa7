import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  NotificationRejectedError,
  type PaymentChannel,
  type RefundRequest,
} from "../../src/channels/payments/channel.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { wechatPayChannel } from "../../src/channels/payments/wechat-pay/adapter.ts";
import {
  startWechatPaySimulator,
  type WechatPaySimulator,
} from "../../src/channels/payments/wechat-pay/simulator.ts";
import { rng } from "../../src/cli/random.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { applyRefundNotification } from "../../src/flows/payment-notification.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { findCase } from "../../src/store/cases.ts";
import { findOrder } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { onlyLeg, placeOrder, REVIEWER } from "../support/fixtures.ts";

/**
 * WeChat Pay through the real flows: a case paid with wechat_pay is granted a refund, issueRefund sends it
 * to the simulator, the outbox recovers what went wrong, and the simulator's signed notifications come in
 * through applyRefundNotification. Whatever the fault, the buyer is refunded exactly once: counted at the
 * simulator per transaction, and in the case's timeline and the order's refunded total.
 */

let env: TestEnv;
let sim: WechatPaySimulator;
let pay: PaymentChannel;
let ctx: FlowContext;

/** The merchant's notify endpoint, doing what the callback route does: verify, apply once, ack. */
const receiver = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
  try {
    const n = pay.parseNotification?.(headers, Buffer.concat(chunks).toString("utf8"));
    if (n) await applyRefundNotification(ctx, pay.name, n);
    const ack = pay.notificationAck;
    res
      .writeHead(ack?.status ?? 200, { "content-type": ack?.contentType ?? "application/json" })
      .end(ack?.body);
  } catch (e) {
    const status = e instanceof NotificationRejectedError ? 400 : 500;
    res.writeHead(status, { "content-type": "application/json" }).end('{"code":"FAIL","message":"失败"}');
  }
});

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 10_000 });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  sim = await startWechatPaySimulator({ notifyTimeScale: 1000 });
  pay = wechatPayChannel({
    ...sim.merchantConfig,
    notifyUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/callbacks/payments/wechat_pay`,
    timeoutMs: 1_000,
  });
  // Orders paid with wechat_pay refund through WeChat Pay; everything else through the sandbox.
  ctx = { ...env.ctx, payments: createPaymentRegistry({ wechat_pay: pay }, env.ctx.payments.get("sandbox")) };
});
afterEach(async () => {
  sim.faults({
    failNext: 0,
    timeoutNext: 0,
    unsignedNext: 0,
    declineNext: 0,
    abnormalNext: 0,
    notEnoughNext: 0,
    processingFor: 0,
    delayMs: 0,
    notifyBeforeAnswer: 0,
    duplicateNotify: 0,
    tamperNotify: 0,
    holdNotify: 0,
  });
  await sim.releaseHeld();
  await sim.notificationsIdle();
});
afterAll(async () => {
  await sim.close();
  receiver.closeAllConnections();
  receiver.close();
  await env.close();
});

let n = 0;
/** A delivered order paid 245.90 with WeChat Pay, a refund_only case for one T-shirt, approved and granted. */
async function grantedWechatRefund() {
  const tx = `4200009${String(Date.now()).slice(-9)}${String(++n).padStart(4, "0")}`;
  const { orderId, lines } = await placeOrder(ctx, {
    payments: [{ tender: "wechat_pay", amount: "245.90", transactionId: tx }],
  });
  const { id } = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
  });
  await approveCase(ctx, REVIEWER, id);
  const g = await grantRefund(ctx, REVIEWER, id);
  expect(onlyLeg(g).channel).toBe("wechat_pay");
  return {
    caseId: id,
    orderId,
    tx,
    refundId: g.refundId,
    key: onlyLeg(g).idempotency_key,
    amount: g.quote.total,
  };
}
type Granted = Awaited<ReturnType<typeof grantedWechatRefund>>;

/** Refunds WeChat Pay holds for this payment that moved (or will move) money. */
const atWechat = (tx: string) =>
  sim.refunds().filter((r) => r.transaction_id === tx && r.status !== "CLOSED");

const refundRow = (id: number) =>
  env.ctx.db.selectFrom("refunds").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

const timelineCount = async (caseId: number, action: string) =>
  Number(
    (
      await env.ctx.db
        .selectFrom("case_events")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("case_id", "=", caseId)
        .where("action", "=", action)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** The notifications we took about one refund (channel_notifications, by the decrypted out_refund_no). */
const notificationsFor = async (key: string) =>
  (
    await env.ctx.db
      .selectFrom("channel_notifications")
      .select(["notification_id", "result", "payload"])
      .where("channel", "=", "wechat_pay")
      .orderBy("id")
      .execute()
  ).filter((r) => (r.payload as { resource?: { out_refund_no?: string } }).resource?.out_refund_no === key);

/** Let the outbox run as a worker would, with the clock past every backoff. */
async function drainOutbox(rounds = 6) {
  for (let i = 0; i < rounds; i++) {
    env.clock.advance(30 * 60_000);
    await dispatchOnce(ctx);
  }
}

/** Exactly one refund of the granted amount, at WeChat and in our books. */
async function refundedOnce(g: Granted) {
  // A PROCESSING refund settles on the simulator's timer: wait for that, then for its notification.
  await expect
    .poll(() => atWechat(g.tx).map((r) => [r.out_refund_no, r.status, r.amount.refund]))
    .toEqual([[g.key, "SUCCESS", g.amount]]);
  await sim.notificationsIdle();
  expect(atWechat(g.tx)).toHaveLength(1);
  expect((await refundRow(g.refundId)).status).toBe("succeeded");
  expect((await findCase(env.ctx.db, g.caseId))?.status).toBe("refunded");
  expect((await findOrder(env.ctx.db, g.orderId))?.refunded_total).toBe(g.amount);
  expect(await timelineCount(g.caseId, "refund_succeeded")).toBe(1);
}

/** What issueRefund sends for this refund, for tests that play a process dying right after the send. */
const sameRequest = (g: Granted): RefundRequest => ({
  idempotencyKey: g.key,
  transactionId: g.tx,
  orderRef: "ignored",
  amount: g.amount,
  total: 24590,
  currency: "CNY",
});

describe("WeChat Pay refunds through the flows", () => {
  it("a PROCESSING answer leaves the refund processing; the REFUND.SUCCESS notification settles it", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ processingFor: 50 });
    expect((await issueRefund(ctx, g.refundId)).status).toBe("processing");
    expect((await refundRow(g.refundId)).channel_refund_id).toMatch(/^50/);
    await refundedOnce(g);
    expect(await notificationsFor(g.key)).toMatchObject([{ result: "succeeded" }]);
  });

  it("a timeout after WeChat took the money: the outbox queries, finds it, and never refunds twice", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ timeoutNext: 1, delayMs: 1_300, holdNotify: 1 }); // the notification is held, too
    const r = await issueRefund(ctx, g.refundId);
    expect(r).toMatchObject({
      status: "processing",
      error: { message: expect.stringMatching(/no answer within/) },
    });
    expect(atWechat(g.tx)).toHaveLength(1);
    sim.faults({ delayMs: 0 });
    await drainOutbox();
    await refundedOnce(g);
    // The notification arrives late; it changes nothing.
    await sim.releaseHeld();
    await refundedOnce(g);
  });

  it("a 500 SYSTEM_ERROR: nothing moved; the outbox retries with the same out_refund_no and refunds once", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ failNext: 1 });
    expect((await issueRefund(ctx, g.refundId)).status).toBe("processing");
    expect(atWechat(g.tx)).toHaveLength(0);
    await drainOutbox();
    await refundedOnce(g);
  });

  it("an unsigned answer is not believed; the refund is found by query, once", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ unsignedNext: 1, holdNotify: 1 });
    expect(await issueRefund(ctx, g.refundId)).toMatchObject({
      status: "processing",
      error: { message: expect.stringMatching(/WECHATPAY_SIGNATURE_MISSING/) },
    });
    await drainOutbox();
    await refundedOnce(g);
  });

  it("duplicate and redelivered notifications are recorded once and refund the case once", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ processingFor: 30, duplicateNotify: 1 });
    await issueRefund(ctx, g.refundId);
    await refundedOnce(g);
    const n = sim.notifications().find((x) => x.out_refund_no === g.key);
    expect(n?.deliveries.map((d) => d.status)).toEqual([200, 200]);
    expect(await sim.redeliver(n?.id ?? "")).toBe(true);
    await refundedOnce(g);
    expect(await notificationsFor(g.key)).toHaveLength(1);
  });

  it("a tampered notification is refused and changes nothing; WeChat's genuine retry is applied", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ processingFor: 30, tamperNotify: 1 });
    await issueRefund(ctx, g.refundId);
    await refundedOnce(g);
    expect(
      sim
        .notifications()
        .find((x) => x.out_refund_no === g.key)
        ?.deliveries.map((d) => d.status),
    ).toEqual([400, 200]);
  });

  it("the notification arrives before the send's answer is recorded: still one success", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ notifyBeforeAnswer: 1, processingFor: 60_000 });
    // The answer says PROCESSING; the SUCCESS notification was applied while it was on its way.
    expect((await issueRefund(ctx, g.refundId)).status).toBe("succeeded");
    await refundedOnce(g);
    await drainOutbox();
    await refundedOnce(g);
  });

  it("ABNORMAL is never failed nor succeeded; once handled, SUCCESS settles it; a late ABNORMAL changes nothing", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ abnormalNext: 1, holdNotify: 1 });
    expect((await issueRefund(ctx, g.refundId)).status).toBe("processing");
    await drainOutbox(); // the outbox keeps asking; WeChat keeps saying ABNORMAL
    expect((await refundRow(g.refundId)).status).toBe("processing");
    expect((await findCase(env.ctx.db, g.caseId))?.status).toBe("refunding");
    expect(atWechat(g.tx).map((r) => r.status)).toEqual(["ABNORMAL"]);

    sim.resolveAbnormal(g.key); // someone handled it on the merchant platform
    await refundedOnce(g);
    await sim.releaseHeld(); // REFUND.ABNORMAL delivered after REFUND.SUCCESS
    await refundedOnce(g);
    expect((await notificationsFor(g.key)).map((x) => x.result).sort()).toEqual(["succeeded", "succeeded"]);
  });

  it("CLOSED fails the money leg; the next grant uses a new key and refunds once", async () => {
    const g1 = await grantedWechatRefund();
    sim.faults({ declineNext: 1 });
    expect((await issueRefund(ctx, g1.refundId)).status).toBe("failed");
    expect((await findCase(env.ctx.db, g1.caseId))?.status).toBe("refund_failed");
    const g2 = await grantRefund(ctx, REVIEWER, g1.caseId);
    expect(onlyLeg(g2).idempotency_key).not.toBe(g1.key);
    expect((await issueRefund(ctx, g2.refundId)).status).toBe("succeeded");
    await refundedOnce({ ...g1, refundId: g2.refundId, key: onlyLeg(g2).idempotency_key });
  });

  it("a process that dies between send and record: the next run sends the same key and WeChat returns the same refund", async () => {
    const g = await grantedWechatRefund();
    sim.faults({ holdNotify: 1 });
    await pay.refund(sameRequest(g)); // sent; the answer is lost with the process
    expect((await refundRow(g.refundId)).status).toBe("requested");
    expect((await issueRefund(ctx, g.refundId)).status).toBe("succeeded");
    await refundedOnce(g);

    // Killed before the send: the next run sends it for the first time. Nothing is lost.
    const lost = await grantedWechatRefund();
    await drainOutbox();
    await refundedOnce(lost);
  });

  it("under a random mix of faults, every granted refund is paid exactly once (no double, none lost)", async () => {
    const r = rng(20261101);
    const faults = [
      "none",
      "failNext",
      "timeoutNext",
      "unsignedNext",
      "forgetAnswer",
      "notifyBeforeAnswer",
      "duplicateNotify",
      "tamperNotify",
      "processing",
      "holdNotify",
    ] as const;
    const cases: Granted[] = [];
    // Every fault once, then a seeded random dozen.
    const plan = [...faults, ...Array.from({ length: 12 }, () => r.pick(faults))];
    for (const fault of plan) {
      const g = await grantedWechatRefund();
      cases.push(g);
      if (fault === "forgetAnswer") await pay.refund(sameRequest(g)).catch(() => {});
      else if (fault === "processing") sim.faults({ processingFor: r.int(5, 80) });
      else if (fault === "timeoutNext") sim.faults({ timeoutNext: 1 });
      else if (fault !== "none") sim.faults({ [fault]: 1 });
      if (r.chance(0.7)) await issueRefund(ctx, g.refundId);
      sim.faults({
        processingFor: 0,
        holdNotify: 0,
        duplicateNotify: 0,
        tamperNotify: 0,
        notifyBeforeAnswer: 0,
      });
    }
    await sim.notificationsIdle();
    await drainOutbox();
    await sim.releaseHeld();
    await drainOutbox();
    for (const g of cases) await refundedOnce(g);
  });
});
