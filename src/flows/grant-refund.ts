import { sql } from "kysely";
import type { CaseType } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { refundHold } from "../domain/interception.ts";
import { type CaseState, transitionsFor } from "../domain/lifecycle.ts";
import type { Quote } from "../domain/refund-quote.ts";
import { installationId, refundKey } from "../store/refunds.ts";
import { advance, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";
import type { RefundToSend } from "./issue-refund.ts";
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
): Promise<StepResult & { refundId: number; quote: Quote; send: RefundToSend }> {
  const installation = await installationId(ctx.db);
  return withCase(
    ctx,
    caseId,
    async (l) => {
      const { tx, kase, order } = l;
      // A case that cannot take a refund now says so before any amount is worked out.
      transitionsFor(kase.type as CaseType, kase.status as CaseState, "grant_refund");
      // 拦截中: the parcel is being stopped; its refund goes out once it is back (interception-outcome).
      const hold = refundHold(l.interceptionStatus);
      if (hold) fail("PARCEL_BEING_INTERCEPTED", hold, { interception: l.interceptionStatus });
      const quote = await quoteForOrder(tx, ctx, order, {
        items: l.items,
        reason: kase.reason as QuoteRequest["reason"],
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
        ...(input.deductions ? { deductions: input.deductions } : {}),
        ...(input.shippingPolicy ? { shippingPolicy: input.shippingPolicy } : {}),
      });
      // The refund goes back to the largest real-money payment of the order.
      const payment = await tx
        .selectFrom("payments")
        .select(["id", "tender", "amount", "transaction_id"])
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
      const sendAt = new Date(now.getTime() + ctx.settings.refundSendGraceMs);
      // The refund, its per-line shares and the outbox message that sends it, in one statement.
      const refund = await sql<{ id: number; case_external_id: string | null }>`
        with r as (
          insert into refunds (case_id, order_id, payment_id, channel, currency, amount, goods_amount, shipping_amount,
                               idempotency_key, status, quote, created_at, updated_at)
          values (${kase.id}, ${order.id}, ${payment?.id ?? null}, ${payment?.tender ?? "platform"}, ${order.currency},
                  ${quote.total}, ${quote.goods}, ${quote.shipping}, ${key}, 'requested', ${JSON.stringify(quote)}::jsonb,
                  ${now}, ${now})
          returning id),
        lines as (
          insert into refund_lines (refund_id, order_line_id, quantity, amount, consumed)
          select r.id, x.line, x.qty, x.amount, x.consumed
            from r, unnest(${quote.lines.map((x) => x.lineId)}::bigint[], ${quote.lines.map((x) => x.quantity)}::int[],
                           ${quote.lines.map((x) => x.amount)}::bigint[], ${quote.lines.map((x) => x.computed)}::bigint[])
                    as x(line, qty, amount, consumed)),
        msg as (
          insert into outbox (topic, key, payload, available_at)
          select 'refund.send', ${key}, jsonb_build_object('refundId', r.id), ${sendAt}::timestamptz from r)
        select id, (select external_id from cases where id = ${kase.id}) as case_external_id from r`
        .execute(tx)
        .then((res) => res.rows[0] as { id: number; case_external_id: string | null });
      const send: RefundToSend = {
        id: refund.id,
        case_id: kase.id,
        status: "requested",
        channel: payment?.tender ?? "platform",
        idempotency_key: key,
        amount: quote.total,
        currency: order.currency,
        external_id: order.external_id,
        paid_total: order.paid_total,
        transaction_id: payment?.transaction_id ?? null,
        payment_amount: payment?.amount ?? null,
        shop_id: order.shop_id,
        case_external_id: refund.case_external_id,
      };
      return { ...result, refundId: refund.id, quote, send };
    },
    input,
  );
}
