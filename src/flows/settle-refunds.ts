import type { FlowContext } from "./context.ts";
import { issueRefund } from "./issue-refund.ts";

/**
 * 退款对账轮询: refunds still unsettled long after they were decided — their outbox message gave up,
 * the channel said PROCESSING or ABNORMAL for hours, a platform confirms later — are asked about
 * again. issueRefund queries the channel by the refund's key before it would ever send, so this can
 * run anywhere, any number of times, without a second refund.
 */
export async function settleStaleRefunds(ctx: FlowContext, olderThanMs = 10 * 60_000, batch = 50) {
  const cutoff = new Date(ctx.now().getTime() - olderThanMs);
  const stale = await ctx.db
    .selectFrom("refunds")
    .select("id")
    .where("status", "in", ["requested", "processing"])
    .where("updated_at", "<", cutoff)
    .orderBy("updated_at")
    .limit(batch)
    .execute();
  const settled = { checked: stale.length, succeeded: 0, failed: 0, pending: 0 };
  for (const r of stale) {
    const res = await issueRefund(ctx, r.id).catch(() => ({ status: "processing" as const }));
    if (res.status === "succeeded") settled.succeeded++;
    else if (res.status === "failed") settled.failed++;
    else settled.pending++;
  }
  return settled;
}
