import type { CaseType } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { type CaseState, transitionsFor } from "../domain/lifecycle.ts";
import { caseItems } from "../store/cases.ts";
import { orderPayments } from "../store/orders.ts";
import { enqueue } from "../store/outbox.ts";
import { countCaseRefunds, refundKey } from "../store/refunds.ts";
import { advance, type StepOptions, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";
import { type QuoteRequest, quoteForOrder } from "./quote-refund.ts";

export type GrantInput = StepOptions & Pick<QuoteRequest, "amount" | "deductions" | "shippingPolicy">;

/** Tenders that are not money and cannot take a refund back. */
const NOT_REFUNDABLE = new Set(["coupon", "points"]);

/**
 * 同意退款: decide the refund. Writes the refund (status requested) with its idempotency key and an
 * outbox message that sends it — both in the case's transaction, so a decided refund is never lost
 * and its key never changes, however often sending is retried.
 */
export const grantRefund = (ctx: FlowContext, actor: Actor, caseId: number, input: GrantInput = {}) =>
  withCase(ctx, caseId, async (tx, kase, order) => {
    // A case that cannot take a refund now says so before any amount is worked out.
    transitionsFor(kase.type as CaseType, kase.status as CaseState, "grant_refund");
    const items = (await caseItems(tx, kase.id)).map((i) => ({
      lineId: i.order_line_id,
      quantity: i.quantity,
    }));
    const quote = await quoteForOrder(tx, ctx, order, {
      items,
      reason: kase.reason as QuoteRequest["reason"],
      ...(input.amount !== undefined ? { amount: input.amount } : {}),
      ...(input.deductions ? { deductions: input.deductions } : {}),
      ...(input.shippingPolicy ? { shippingPolicy: input.shippingPolicy } : {}),
    });
    const status = await advance(
      tx,
      ctx,
      kase,
      order,
      actor,
      "grant_refund",
      { caseQuantity: 0, receivedQuantity: 0, refundAmount: quote.total },
      { ...input, data: { amount: quote.total, cap: quote.cap, overridden: quote.overridden } },
    );
    const payment = (await orderPayments(tx, order.id))
      .filter((p) => !NOT_REFUNDABLE.has(p.tender))
      .sort((a, b) => b.amount - a.amount)[0];
    if (payment && quote.total > payment.amount) {
      fail("REFUND_EXCEEDS_PAYMENT", "The refund is larger than the payment it would go back to", {
        payment: payment.amount,
        refund: quote.total,
      });
    }
    const now = ctx.now();
    const key = await refundKey(tx, kase.id, (await countCaseRefunds(tx, kase.id)) + 1);
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
        quote.lines.map((l) => ({
          refund_id: refund.id,
          order_line_id: l.lineId,
          quantity: l.quantity,
          amount: l.amount,
          consumed: l.computed,
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
    return { status, refundId: refund.id, quote };
  });
