import type { CaseType } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { type CaseState, transitionsFor } from "../domain/lifecycle.ts";
import type { Quote } from "../domain/refund-quote.ts";
import { enqueue } from "../store/outbox.ts";
import { installationId, refundKey } from "../store/refunds.ts";
import { advance, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";
import { type QuoteRequest, quoteForOrder } from "./quote-refund.ts";

export type GrantInput = StepOptions & Pick<QuoteRequest, "amount" | "deductions" | "shippingPolicy">;

/** Tenders that are not money and cannot take a refund back. */
const NOT_REFUNDABLE = ["coupon", "points"];

/**
 * 同意退款: decide the refund. Writes the refund (status requested) with its idempotency key and an
 * outbox message that sends it — both in the case's transaction, so a decided refund is never lost
 * and its key never changes, however often sending is retried.
 */
export async function grantRefund(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: GrantInput = {},
): Promise<StepResult & { refundId: number; quote: Quote }> {
  const installation = await installationId(ctx.db);
  return withCase(
    ctx,
    caseId,
    async (l) => {
      const { tx, kase, order } = l;
      // A case that cannot take a refund now says so before any amount is worked out.
      transitionsFor(kase.type as CaseType, kase.status as CaseState, "grant_refund");
      const items = await tx
        .selectFrom("case_items")
        .select(["order_line_id as lineId", "quantity"])
        .where("case_id", "=", kase.id)
        .execute();
      const quote = await quoteForOrder(tx, ctx, order, {
        items,
        reason: kase.reason as QuoteRequest["reason"],
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
        ...(input.deductions ? { deductions: input.deductions } : {}),
        ...(input.shippingPolicy ? { shippingPolicy: input.shippingPolicy } : {}),
      });
      // The refund goes back to the largest real-money payment of the order.
      const payment = await tx
        .selectFrom("payments")
        .select(["id", "tender", "amount"])
        .where("order_id", "=", order.id)
        .where("tender", "not in", NOT_REFUNDABLE)
        .orderBy("amount", "desc")
        .orderBy("id")
        .limit(1)
        .executeTakeFirst();
      if (payment && quote.total > payment.amount) {
        fail("REFUND_EXCEEDS_PAYMENT", "The refund is larger than the payment it would go back to", {
          payment: payment.amount,
          refund: quote.total,
        });
      }
      const result = await advance(
        ctx,
        l,
        actor,
        "grant_refund",
        { refundAmount: quote.total },
        { ...input, data: { amount: quote.total, cap: quote.cap, overridden: quote.overridden } },
      );
      const now = ctx.now();
      const key = refundKey(installation, kase.id, l.refundCount + 1);
      const refund = await tx
        .insertInto("refunds")
        .values({
          case_id: kase.id,
          order_id: order.id,
          payment_id: payment?.id ?? null,
          channel: payment?.tender ?? "platform",
          currency: order.currency,
          amount: quote.total,
          goods_amount: quote.goods,
          shipping_amount: quote.shipping,
          idempotency_key: key,
          status: "requested",
          quote: JSON.stringify(quote),
          created_at: now,
          updated_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await tx
        .insertInto("refund_lines")
        .values(
          quote.lines.map((line) => ({
            refund_id: refund.id,
            order_line_id: line.lineId,
            quantity: line.quantity,
            amount: line.amount,
            consumed: line.computed,
          })),
        )
        .execute();
      await enqueue(
        tx,
        "refund.send",
        key,
        { refundId: refund.id },
        new Date(now.getTime() + ctx.settings.refundSendGraceMs),
      );
      return { ...result, refundId: refund.id, quote };
    },
    input,
  );
}
