import type { ReasonCode } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { parseMinor } from "../domain/money.ts";
import { type DeductionInput, type Quote, quoteRefund, type ShippingPolicy } from "../domain/refund-quote.ts";
import { findOrder, linesWithConsumed, type Tx } from "../store/orders.ts";
import type { FlowContext } from "./context.ts";

export interface QuoteRequest {
  items: { lineId: number; quantity: number }[];
  reason: ReasonCode;
  /** Decimal string: a person's amount instead of the computed one. */
  amount?: string;
  deductions?: { kind: DeductionInput["kind"]; amount: string; note?: string }[];
  shippingPolicy?: ShippingPolicy;
  /** Decimal string: the part of the shipping fee to give back, instead of the policy's. */
  shipping?: string;
}

/** Quote a refund against an order as it stands now: what was paid, minus what refunds already hold. */
export async function quoteForOrder(
  tx: Tx,
  ctx: FlowContext,
  order: { id: number; currency: string; shipping_fee: number },
  req: QuoteRequest,
): Promise<Quote> {
  return quoteFrom(await linesWithConsumed(tx, order.id), ctx, order, req);
}

/** The quote from what refunds already hold of the order (linesWithConsumed), read by the caller. */
export function quoteFrom(
  consumed: Awaited<ReturnType<typeof linesWithConsumed>>,
  ctx: FlowContext,
  order: { currency: string; shipping_fee: number },
  req: QuoteRequest,
): Quote {
  const cur = order.currency;
  return quoteRefund({
    currency: cur,
    lines: consumed.lines,
    shippingFee: order.shipping_fee,
    shippingRefunded: consumed.shipping,
    items: req.items,
    reason: req.reason,
    shippingPolicy: req.shippingPolicy ?? ctx.settings.shippingPolicy,
    deductions: (req.deductions ?? []).map((d) => ({
      kind: d.kind,
      amount: parseMinor(d.amount, cur),
      ...(d.note ? { note: d.note } : {}),
    })),
    ...(req.amount !== undefined ? { overrideAmount: parseMinor(req.amount, cur) } : {}),
    ...(req.shipping !== undefined ? { shipping: parseMinor(req.shipping, cur) } : {}),
  });
}

/** `POST /refund-quotes`: a quote without a case. Reads only. */
export async function previewRefund(ctx: FlowContext, orderId: number, req: QuoteRequest): Promise<Quote> {
  const order =
    (await findOrder(ctx.db, orderId)) ??
    fail("ORDER_NOT_FOUND", `Order ${orderId} does not exist`, { orderId });
  return quoteForOrder(ctx.db, ctx, order, req);
}
