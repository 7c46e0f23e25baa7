import { sql } from "kysely";
import type { RefundNotification } from "../channels/payments/channel.ts";
import type { FlowContext } from "./context.ts";
import { type IssueResult, recordOutcome } from "./issue-refund.ts";

export type NotificationResult =
  | { status: "applied"; refund: IssueResult }
  | { status: "duplicate" }
  | { status: "unknown_refund" };

/**
 * A payment channel's verified callback about a refund (退款结果通知). A repeat of a notification
 * already taken is acknowledged and changes nothing; a late one cannot undo a settled refund
 * (recordOutcome only moves refunds not settled yet). The notification is written down only after
 * its outcome was recorded, so a crash in between means the channel's retry applies it again —
 * harmlessly — instead of being swallowed as a duplicate. A refund we do not know is acknowledged
 * (the channel would retry for a day) and kept for reconciliation.
 */
export async function applyRefundNotification(
  ctx: FlowContext,
  channel: string,
  n: RefundNotification,
): Promise<NotificationResult> {
  const seen = await ctx.db
    .selectFrom("channel_notifications")
    .select("id")
    .where("channel", "=", channel)
    .where("notification_id", "=", n.notificationId)
    .executeTakeFirst();
  if (seen) return { status: "duplicate" };
  const refund = await ctx.db
    .selectFrom("refunds")
    .select(["id", "case_id", "channel", "amount"])
    .where("idempotency_key", "=", n.idempotencyKey)
    .executeTakeFirst();
  const result = refund ? await recordOutcome(ctx, refund.id, n.outcome, refund) : undefined;
  await sql`
    insert into channel_notifications (channel, notification_id, received_at, payload, result)
    values (${channel}, ${n.notificationId}, ${ctx.now()}, ${JSON.stringify(n.payload)}::jsonb,
            ${result?.status ?? "unknown_refund"})
    on conflict (channel, notification_id) do nothing`.execute(ctx.db);
  return result ? { status: "applied", refund: result } : { status: "unknown_refund" };
}
