import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlipayChannel, alipayChannel } from "../../src/channels/payments/alipay/adapter.ts";
import { type AlipaySimulator, startAlipaySimulator } from "../../src/channels/payments/alipay/simulator.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
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
import { onlyLeg, REVIEWER, refundOnlyCase } from "../support/fixtures.ts";

/**
 * The real refund flows against the Alipay simulator: orders paid with tender `alipay`, the registry
 * sending `alipay` to the Alipay adapter (and nothing else anywhere), counted at the simulator.
 */

let env: TestEnv;
let sim: AlipaySimulator;
let alipay: AlipayChannel;
let ctx: FlowContext;

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 10_000 });
  sim = await startAlipaySimulator();
  alipay = alipayChannel({ ...sim.merchantConfig, timeoutMs: 2_000 });
  ctx = { ...env.ctx, payments: createPaymentRegistry({ alipay }) };
});
afterAll(async () => {
  await sim.close();
  await env.close();
});

/** An approved refund-only case whose order was paid through Alipay; the simulator knows the trade. */
async function alipayCase(opts: { line?: number } = {}) {
  const kase = await refundOnlyCase(ctx, opts);
  const order = await findOrder(ctx.db, kase.orderId);
  const payment = await ctx.db
    .selectFrom("payments")
    .select(["tender", "transaction_id", "amount"])
    .where("order_id", "=", kase.orderId)
    .executeTakeFirstOrThrow();
  expect(payment.tender).toBe("alipay");
  const tradeNo = payment.transaction_id ?? "";
  sim.openTrade({ tradeNo, outTradeNo: order?.external_id ?? "", total: Number(payment.amount) });
  return { ...kase, tradeNo, externalId: order?.external_id ?? "" };
}

const atAlipay = (tradeNo: string) => sim.refunds().filter((r) => r.trade_no === tradeNo);
const refundRow = (id: number) =>
  ctx.db
    .selectFrom("refunds")
    .select(["status", "idempotency_key", "channel", "channel_refund_id", "amount"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
const refundedTotal = async (orderId: number) => (await findOrder(ctx.db, orderId))?.refunded_total;

/** Let the outbox run as a worker would, with the clock past every backoff. */
async function drainOutbox(rounds = 6) {
  for (let i = 0; i < rounds; i++) {
    env.clock.advance(30 * 60_000);
    await dispatchOnce(ctx);
  }
}

describe("refunds through Alipay with the real flows", () => {
  it("refunds once, in fen exactly, keyed by the refund's idempotency key", async () => {
    const { id, orderId, tradeNo } = await alipayCase();
    const g = await grantRefund(ctx, REVIEWER, id);
    expect((await issueRefund(ctx, g.refundId)).status).toBe("succeeded");
    const row = await refundRow(g.refundId);
    expect(row).toMatchObject({ status: "succeeded", channel: "alipay" });
    expect(row.channel_refund_id).toBe(`${tradeNo}:${row.idempotency_key}`);
    expect(atAlipay(tradeNo)).toMatchObject([{ out_request_no: row.idempotency_key, amount: g.quote.total }]);
    expect(await refundedTotal(orderId)).toBe(g.quote.total);
    // The outbox message finds it settled and sends nothing.
    await drainOutbox(2);
    expect(atAlipay(tradeNo)).toHaveLength(1);
  });

  it("a crash between send and record (the answer is lost, the refund stays requested): no double, none lost", async () => {
    const { id, orderId, tradeNo } = await alipayCase();
    const g = await grantRefund(ctx, REVIEWER, id);
    // What issueRefund sends — then the process dies before it records anything.
    await alipay.refund({
      idempotencyKey: onlyLeg(g).idempotency_key,
      transactionId: onlyLeg(g).transaction_id,
      orderRef: onlyLeg(g).external_id,
      amount: onlyLeg(g).amount,
      total: onlyLeg(g).payment_amount ?? onlyLeg(g).paid_total,
      currency: onlyLeg(g).currency,
    });
    expect((await refundRow(g.refundId)).status).toBe("requested");
    expect(atAlipay(tradeNo)).toHaveLength(1);
    // After the restart the same refund is sent again: Alipay says fund_change=N, the query confirms it.
    expect((await issueRefund(ctx, g.refundId)).status).toBe("succeeded");
    expect((await issueRefund(ctx, g.refundId)).status).toBe("succeeded");
    await drainOutbox(2);
    expect(atAlipay(tradeNo).map((r) => r.amount)).toEqual([g.quote.total]);
    expect(await refundedTotal(orderId)).toBe(g.quote.total);
    expect((await findCase(ctx.db, id))?.status).toBe("refunded");
  });

  it("two partial refunds on one trade with their own out_request_no both go through; retrying the second makes no third", async () => {
    const first = await alipayCase({ line: 0 });
    const g1 = await grantRefund(ctx, REVIEWER, first.id);
    expect((await issueRefund(ctx, g1.refundId)).status).toBe("succeeded");

    // A second case on the same order (the cap), refunded against the same Alipay trade.
    const lines = first.lines;
    const second = await submitCase(ctx, REVIEWER, {
      orderId: first.orderId,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: lines[1]?.id ?? 0, quantity: 1 }],
    });
    await approveCase(ctx, REVIEWER, second.id);
    const g2 = await grantRefund(ctx, REVIEWER, second.id);
    expect(onlyLeg(g2).idempotency_key).not.toBe(onlyLeg(g1).idempotency_key);
    expect((await issueRefund(ctx, g2.refundId)).status).toBe("succeeded");

    // The second is sent again at the channel (a lost answer, a second worker): it is the second again.
    const again = await alipay.refund({
      idempotencyKey: onlyLeg(g2).idempotency_key,
      transactionId: onlyLeg(g2).transaction_id,
      orderRef: onlyLeg(g2).external_id,
      amount: onlyLeg(g2).amount,
      total: onlyLeg(g2).payment_amount ?? onlyLeg(g2).paid_total,
      currency: onlyLeg(g2).currency,
    });
    expect(again).toMatchObject({
      status: "succeeded",
      channelRefundId: (await refundRow(g2.refundId)).channel_refund_id,
    });
    expect((await issueRefund(ctx, g2.refundId)).status).toBe("succeeded");

    const refunds = atAlipay(first.tradeNo);
    expect(refunds.map((r) => [r.out_request_no, r.amount])).toEqual([
      [onlyLeg(g1).idempotency_key, g1.quote.total],
      [onlyLeg(g2).idempotency_key, g2.quote.total],
    ]);
    expect(await refundedTotal(first.orderId)).toBe(g1.quote.total + g2.quote.total);
  });

  it("a declined refund (seller balance) fails the money leg; a new grant uses a new key and refunds once", async () => {
    const { id, orderId, tradeNo } = await alipayCase();
    const g1 = await grantRefund(ctx, REVIEWER, id);
    sim.faults({ declineNext: 1 });
    const r1 = await issueRefund(ctx, g1.refundId);
    expect(r1).toMatchObject({
      status: "failed",
      error: { message: expect.stringContaining("卖家余额不足") },
    });
    expect((await findCase(ctx.db, id))?.status).toBe("refund_failed");
    expect(atAlipay(tradeNo)).toHaveLength(0);
    const g2 = await grantRefund(ctx, REVIEWER, id);
    expect((await issueRefund(ctx, g2.refundId)).status).toBe("succeeded");
    expect(atAlipay(tradeNo).map((r) => r.out_request_no)).toEqual([onlyLeg(g2).idempotency_key]);
    expect(await refundedTotal(orderId)).toBe(g2.quote.total);
  });

  it("Alipay's notification settles a refund whose answer was lost; its repeat changes nothing", async () => {
    const { id, orderId, tradeNo } = await alipayCase();
    const g = await grantRefund(ctx, REVIEWER, id);
    sim.faults({ timeoutNext: 1 });
    expect((await issueRefund(ctx, g.refundId)).status).toBe("processing");
    expect(atAlipay(tradeNo)).toHaveLength(1);
    const { body } = sim.notification(onlyLeg(g).idempotency_key, tradeNo);
    const n = alipay.parseNotification?.({}, body);
    if (!n) throw new Error("the adapter takes notifications");
    expect(await applyRefundNotification(ctx, "alipay", n)).toMatchObject({
      status: "applied",
      refund: { status: "succeeded" },
    });
    expect(await applyRefundNotification(ctx, "alipay", n)).toEqual({ status: "duplicate" });
    expect(await refundedTotal(orderId)).toBe(g.quote.total);
    expect(atAlipay(tradeNo)).toHaveLength(1);
  });
});

/**
 * issue-refund's "processing → query before resending" path: Alipay's query needs the trade, which the
 * flow hands to channel.query with the refund request.
 */
describe("unknown outcomes resolved by query before resending", () => {
  it("a timeout after Alipay took the money is resolved by query, not by a second refund", async () => {
    const { id, orderId, tradeNo } = await alipayCase();
    const g = await grantRefund(ctx, REVIEWER, id);
    sim.faults({ timeoutNext: 1 });
    expect((await issueRefund(ctx, g.refundId)).status).toBe("processing");
    expect(atAlipay(tradeNo)).toHaveLength(1);
    await drainOutbox();
    expect((await refundRow(g.refundId)).status).toBe("succeeded");
    expect(atAlipay(tradeNo)).toHaveLength(1);
    expect((await findCase(ctx.db, id))?.status).toBe("refunded");
    expect(await refundedTotal(orderId)).toBe(g.quote.total);
    // Query, not a resend: Alipay saw one refund call for this key.
    const calls = sim.requests().filter((r) => r.biz?.out_request_no === onlyLeg(g).idempotency_key);
    expect(calls.map((c) => c.params.method)).toEqual([
      "alipay.trade.refund",
      "alipay.trade.fastpay.refund.query",
    ]);
  });

  it("HTTP 500: the refund stays processing; the outbox queries, finds nothing, resends the same out_request_no once", async () => {
    const { id, orderId, tradeNo } = await alipayCase();
    const g = await grantRefund(ctx, REVIEWER, id);
    sim.faults({ failNext: 1 });
    expect((await issueRefund(ctx, g.refundId)).status).toBe("processing");
    expect(atAlipay(tradeNo)).toHaveLength(0);
    expect((await findCase(ctx.db, id))?.status).toBe("refunding");
    await drainOutbox();
    expect(atAlipay(tradeNo).map((r) => r.out_request_no)).toEqual([onlyLeg(g).idempotency_key]);
    expect((await refundRow(g.refundId)).status).toBe("succeeded");
    expect(await refundedTotal(orderId)).toBe(g.quote.total);
  });

  it("ACQ.SYSTEM_ERROR and an unsigned answer are unknown outcomes, never failures: one refund each", async () => {
    for (const fault of [{ systemErrorNext: 1 }, { unsignedNext: 1 }]) {
      const { id, orderId, tradeNo } = await alipayCase();
      const g = await grantRefund(ctx, REVIEWER, id);
      sim.faults(fault);
      const r = await issueRefund(ctx, g.refundId);
      expect(r.status).toBe("processing");
      expect(r.error?.message).toMatch(fault.systemErrorNext ? /ACQ.SYSTEM_ERROR/ : /ALIPAY_SIGN_MISSING/);
      await drainOutbox();
      expect(atAlipay(tradeNo)).toHaveLength(1);
      expect((await refundRow(g.refundId)).status).toBe("succeeded");
      expect(await refundedTotal(orderId)).toBe(g.quote.total);
    }
  });

  it("the second of two partial refunds times out after the money moved: resolved by query, no third", async () => {
    const first = await alipayCase({ line: 0 });
    const g1 = await grantRefund(ctx, REVIEWER, first.id);
    expect((await issueRefund(ctx, g1.refundId)).status).toBe("succeeded");
    const second = await submitCase(ctx, REVIEWER, {
      orderId: first.orderId,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: first.lines[0]?.id ?? 0, quantity: 1 }],
    });
    await approveCase(ctx, REVIEWER, second.id);
    const g2 = await grantRefund(ctx, REVIEWER, second.id);
    sim.faults({ timeoutNext: 1 });
    expect((await issueRefund(ctx, g2.refundId)).status).toBe("processing");
    await drainOutbox();
    expect((await refundRow(g2.refundId)).status).toBe("succeeded");
    expect(atAlipay(first.tradeNo).map((r) => r.amount)).toEqual([g1.quote.total, g2.quote.total]);
    expect(await refundedTotal(first.orderId)).toBe(g1.quote.total + g2.quote.total);
  });
});
