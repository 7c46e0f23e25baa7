import { fail } from "../domain/errors.ts";
import type { Actor, FlowContext } from "./context.ts";
import { type IssueResult, recordOutcome } from "./issue-refund.ts";

/**
 * 线下退款登记: finance paid a refund outside any channel (bank transfer, wallet) and records the
 * transfer's reference; the refund succeeds with it, once. Channel refunds cannot be settled by hand.
 */
export async function settleOfflineRefund(
  ctx: FlowContext,
  actor: Actor,
  refundId: number,
  input: { reference: string; shops?: readonly string[] | null },
): Promise<IssueResult> {
  const reference = input.reference?.trim();
  if (!reference) fail("REFERENCE_REQUIRED", "Give the bank transfer's (or wallet's) reference");
  const r = await ctx.db
    .selectFrom("refunds as r")
    .innerJoin("cases as c", "c.id", "r.case_id")
    .select(["r.id", "r.case_id", "r.channel", "r.amount", "r.status", "c.shop_id"])
    .where("r.id", "=", refundId)
    .executeTakeFirst();
  if (!r || (input.shops && !input.shops.includes(r.shop_id)))
    return fail("REFUND_NOT_FOUND", `Refund ${refundId} does not exist`, { refundId });
  if (!ctx.payments.get(r.channel).awaitsPerson)
    fail(
      "NOT_AN_OFFLINE_REFUND",
      `Refund ${refundId} goes through ${r.channel}; the channel settles it, not a person`,
    );
  if (r.status === "succeeded" || r.status === "failed")
    fail("REFUND_ALREADY_SETTLED", `Refund ${refundId} is already ${r.status}`, {
      refundId,
      status: r.status,
    });
  return recordOutcome(
    ctx,
    r.id,
    { status: "succeeded", channelRefundId: reference, succeededAt: ctx.now().toISOString() },
    { case_id: r.case_id, channel: r.channel, amount: r.amount },
    actor,
  );
}
