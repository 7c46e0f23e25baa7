import { REASONS, type ReasonCode } from "./catalogue.ts";
import { fail } from "./errors.ts";
import { moneyDetails, prorate, sum } from "./money.ts";

/**
 * The refund quote (退款金额计算): what a case may give back, part by part. Pure: the caller passes
 * what was paid and what earlier refunds (pending or done) already took.
 */

export interface QuoteLine {
  lineId: number;
  quantity: number; // bought
  paid: number; // paid for the whole line, after every discount
  refundedQuantity: number;
  /** The part of `paid` earlier refunds consumed — including deductions the merchant kept. */
  refundedAmount: number;
}

export type ShippingPolicy = "seller_fault_full_return" | "always_full_return" | "never";

export interface DeductionInput {
  kind: "restocking_fee" | "return_shipping" | "other";
  amount: number;
  note?: string;
}

export interface QuoteInput {
  currency: string;
  lines: readonly QuoteLine[];
  shippingFee: number;
  shippingRefunded: number;
  items: readonly { lineId: number; quantity: number }[];
  reason: ReasonCode;
  shippingPolicy?: ShippingPolicy;
  deductions?: readonly DeductionInput[];
  /** A person's amount instead of the computed one; must not exceed the cap. */
  overrideAmount?: number;
  /**
   * The merchant's share of the shipping fee to give back (部分退运费), instead of the policy's: at most
   * the shipping paid minus what earlier refunds gave back, so the last one may take exactly the rest.
   */
  shipping?: number;
}

export interface QuotePart {
  lineId: number;
  quantity: number;
  amount: number; // what this refund gives back for the line
  computed: number; // before deductions and override
  paid: number;
  alreadyRefunded: number;
}

export interface Quote {
  currency: string;
  lines: QuotePart[];
  goods: number;
  shipping: number;
  shippingComputed: number;
  deductions: DeductionInput[];
  /** The most this case may refund: goods + shipping before deductions. */
  cap: number;
  total: number;
  overridden: boolean;
  wholeOrder: boolean;
}

const shippingRefundable = (policy: ShippingPolicy, reason: ReasonCode, wholeOrder: boolean): boolean =>
  wholeOrder &&
  (policy === "always_full_return" ||
    (policy === "seller_fault_full_return" && REASONS[reason].fault !== "buyer"));

export function quoteRefund(input: QuoteInput): Quote {
  const byId = new Map(input.lines.map((l) => [l.lineId, l]));
  const seen = new Set<number>();
  const parts = input.items.map((item) => {
    const line =
      byId.get(item.lineId) ??
      fail("UNKNOWN_LINE", `Line ${item.lineId} is not on this order`, { lineId: item.lineId });
    if (seen.has(item.lineId))
      fail("DUPLICATE_LINE", `Line ${item.lineId} appears twice`, { lineId: item.lineId });
    seen.add(item.lineId);
    if (!Number.isSafeInteger(item.quantity) || item.quantity <= 0) {
      fail("INVALID_QUANTITY", "Quantities must be positive integers", { lineId: item.lineId });
    }
    const remainingQty = line.quantity - line.refundedQuantity;
    const remaining = line.paid - line.refundedAmount;
    if (item.quantity > remainingQty) {
      fail(
        "QUANTITY_EXCEEDS_REFUNDABLE",
        `Only ${remainingQty} of line ${item.lineId} can still be refunded`,
        {
          lineId: item.lineId,
          refundable: remainingQty,
        },
      );
    }
    // The last units of a line take whatever is left, so partial refunds add up to what was paid.
    const computed =
      item.quantity === remainingQty ? remaining : Math.floor((remaining * item.quantity) / remainingQty);
    return {
      lineId: item.lineId,
      quantity: item.quantity,
      computed,
      amount: computed,
      paid: line.paid,
      alreadyRefunded: line.refundedAmount,
    };
  });
  if (parts.length === 0) fail("NO_ITEMS", "A refund needs at least one item");

  const taken = new Map(parts.map((p) => [p.lineId, p.quantity]));
  const wholeOrder = input.lines.every((l) => l.quantity - l.refundedQuantity === (taken.get(l.lineId) ?? 0));
  const shippingLeft = input.shippingFee - input.shippingRefunded;
  if (input.shipping !== undefined) {
    if (!Number.isSafeInteger(input.shipping) || input.shipping < 0)
      fail("INVALID_AMOUNT", "The shipping to refund must be a non-negative amount");
    if (input.shipping > shippingLeft)
      fail(
        "SHIPPING_EXCEEDS_REFUNDABLE",
        "The shipping to refund exceeds the shipping paid minus what was already refunded",
        moneyDetails(input.currency, {
          refundable: shippingLeft,
          requested: input.shipping,
          paid: input.shippingFee,
          refunded: input.shippingRefunded,
        }),
      );
  }
  const shippingComputed =
    input.shipping ??
    (shippingRefundable(input.shippingPolicy ?? "seller_fault_full_return", input.reason, wholeOrder)
      ? shippingLeft
      : 0);
  const goods = sum(parts.map((p) => p.computed));
  const cap = goods + shippingComputed;
  const deductions = [...(input.deductions ?? [])];
  for (const d of deductions) {
    if (!Number.isSafeInteger(d.amount) || d.amount < 0)
      fail("INVALID_AMOUNT", "Deductions must be non-negative");
  }
  let total = cap - sum(deductions.map((d) => d.amount));
  if (total < 0)
    fail(
      "DEDUCTIONS_EXCEED_REFUND",
      "Deductions exceed the refundable amount",
      moneyDetails(input.currency, { cap, deductions: cap - total }),
    );
  const overridden = input.overrideAmount !== undefined;
  if (input.overrideAmount !== undefined) {
    if (!Number.isSafeInteger(input.overrideAmount) || input.overrideAmount < 0) {
      fail("INVALID_AMOUNT", "The refund amount must be a non-negative amount");
    }
    if (input.overrideAmount > cap) {
      fail(
        "REFUND_ABOVE_CAP",
        "The refund amount exceeds what may be refunded",
        moneyDetails(input.currency, { cap, requested: input.overrideAmount }),
      );
    }
    total = input.overrideAmount;
  }
  // Spread a reduced total over the parts it came from, so no line ever records more than it paid.
  const split = prorate(total, [...parts.map((p) => p.computed), shippingComputed]);
  parts.forEach((p, i) => {
    p.amount = split[i] ?? 0;
  });
  const shipping = split[parts.length] ?? 0;
  return {
    currency: input.currency,
    lines: parts,
    goods: sum(parts.map((p) => p.amount)),
    shipping,
    shippingComputed,
    deductions,
    cap,
    total,
    overridden,
    wholeOrder,
  };
}
