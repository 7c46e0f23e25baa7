import { ChannelUnavailableError, type RefundOutcome } from "../channels/payments/channel.ts";
import { fail } from "../domain/errors.ts";
import { findOrder } from "../store/orders.ts";
import { findRefund, lockRefund } from "../store/refunds.ts";
import { advance, withCase } from "./case-step.ts";
import type { FlowContext } from "./context.ts";
import { crashPoint } from "./crash-point.ts";

export type IssueResult = { refundId: number; status: "succeeded" | "failed" | "processing"; error?: string };

/**
 * Send a granted refund through its payment channel and record the outcome — safe to run any number
 * of times, from any number of processes. The idempotency key never changes, and a refund that may
 * already have reached the channel is looked up there before it is sent again: never twice, never lost.
 */
export async function issueRefund(ctx: FlowContext, refundId: number): Promise<IssueResult> {
  const claimed = await ctx.db.transaction().execute(async (tx) => {
    const r =
      (await lockRefund(tx, refundId)) ?? fail("REFUND_NOT_FOUND", `Refund ${refundId} does not exist`);
    if (r.status === "succeeded" || r.status === "failed")
      return { refund: r, done: true, mayHaveSent: true };
    const mayHaveSent = r.status === "processing";
    await tx
      .updateTable("refunds")
      .set({ status: "processing", attempts: r.attempts + 1, updated_at: ctx.now() })
      .where("id", "=", r.id)
      .execute();
    return { refund: r, done: false, mayHaveSent };
  });
  const r = claimed.refund;
  if (claimed.done) return { refundId, status: r.status as "succeeded" | "failed" };

  crashPoint("before_send");
  const channel = ctx.payments.get(r.channel);
  const order = await findOrder(ctx.db, r.order_id);
  const transactionId = r.payment_id
    ? ((
        await ctx.db
          .selectFrom("payments")
          .select("transaction_id")
          .where("id", "=", r.payment_id)
          .executeTakeFirst()
      )?.transaction_id ?? null)
    : null;
  let outcome: RefundOutcome;
  try {
    const known = claimed.mayHaveSent
      ? await channel.query(r.idempotency_key)
      : { status: "not_found" as const };
    outcome =
      known.status !== "not_found"
        ? known
        : await channel.refund({
            idempotencyKey: r.idempotency_key,
            transactionId,
            orderRef: order?.external_id ?? String(r.order_id),
            amount: r.amount,
            total: order?.paid_total ?? r.amount,
            currency: r.currency,
          });
  } catch (e) {
    // Unknown outcome: keep it processing; the next attempt queries first.
    const message = e instanceof Error ? e.message : String(e);
    await ctx.db
      .updateTable("refunds")
      .set({ last_error: message, updated_at: ctx.now() })
      .where("id", "=", r.id)
      .execute();
    if (e instanceof ChannelUnavailableError) return { refundId, status: "processing", error: message };
    throw e;
  }
  crashPoint("after_send");
  return recordOutcome(ctx, refundId, outcome);
}

/** Record what the channel said, once: a refund already settled is left as it is. */
export async function recordOutcome(
  ctx: FlowContext,
  refundId: number,
  outcome: RefundOutcome,
): Promise<IssueResult> {
  const r =
    (await findRefund(ctx.db, refundId)) ?? fail("REFUND_NOT_FOUND", `Refund ${refundId} does not exist`);
  return withCase(ctx, r.case_id, async (tx, kase, order) => {
    const refund =
      (await lockRefund(tx, refundId)) ?? fail("REFUND_NOT_FOUND", `Refund ${refundId} does not exist`);
    if (refund.status === "succeeded" || refund.status === "failed") {
      return { refundId, status: refund.status as "succeeded" | "failed" };
    }
    const now = ctx.now();
    const actor = { kind: "channel" as const, id: refund.channel };
    if (outcome.status === "processing") {
      await tx
        .updateTable("refunds")
        .set({ channel_refund_id: outcome.channelRefundId, updated_at: now })
        .where("id", "=", refundId)
        .execute();
      return { refundId, status: "processing" };
    }
    if (outcome.status === "succeeded") {
      await tx
        .updateTable("refunds")
        .set({
          status: "succeeded",
          channel_refund_id: outcome.channelRefundId,
          succeeded_at: now,
          updated_at: now,
          last_error: null,
        })
        .where("id", "=", refundId)
        .execute();
      order.refunded_total += refund.amount;
      await tx
        .updateTable("orders")
        .set({ refunded_total: order.refunded_total })
        .where("id", "=", order.id)
        .execute();
      await advance(
        tx,
        ctx,
        kase,
        order,
        actor,
        "refund_succeeded",
        { caseQuantity: 0, receivedQuantity: 0 },
        {
          data: { refundId, amount: refund.amount, channelRefundId: outcome.channelRefundId },
        },
      );
      return { refundId, status: "succeeded" };
    }
    await tx
      .updateTable("refunds")
      .set({ status: "failed", last_error: `${outcome.code}: ${outcome.message}`, updated_at: now })
      .where("id", "=", refundId)
      .execute();
    await advance(
      tx,
      ctx,
      kase,
      order,
      actor,
      "refund_failed",
      { caseQuantity: 0, receivedQuantity: 0 },
      {
        note: outcome.message,
        data: { refundId, code: outcome.code },
      },
    );
    return { refundId, status: "failed", error: outcome.message };
  });
}
