import { fail } from "./errors.ts";
import { type Money, moneyDetails, sum } from "./money.ts";
import { TENDERS, type Tender } from "./order.ts";

/**
 * Which of an order's payments a refund goes back to first (退款顺序). An order paid with WeChat Pay
 * plus points or a store coupon gives the money back tender by tender in this order, each up to what
 * that payment has left: by default real money first, so a partial refund never hands back points
 * while the customer's cash stays with the merchant.
 */
export const DEFAULT_TENDER_ORDER: readonly Tender[] = [
  "wechat_pay",
  "alipay",
  "card",
  "platform",
  "wallet",
  "bank_transfer",
  "points",
  "coupon",
];

/** A merchant's stated order: known tenders, each once; tenders it leaves out come after, in the default order. */
export function validateTenderOrder(input: unknown): Tender[] {
  if (!Array.isArray(input) || input.length === 0)
    fail("INVALID_TENDER_ORDER", "The tender order is a non-empty list of tenders", { tenders: TENDERS });
  const list = input as unknown[];
  const unknown = list.filter((t) => !TENDERS.includes(t as Tender));
  if (unknown.length > 0)
    fail("INVALID_TENDER_ORDER", `Unknown tender "${String(unknown[0])}"; known: ${TENDERS.join(", ")}`, {
      unknown,
    });
  if (new Set(list).size !== list.length)
    fail("INVALID_TENDER_ORDER", "A tender appears twice in the order", { order: list });
  const stated = list as Tender[];
  return [...stated, ...DEFAULT_TENDER_ORDER.filter((t) => !stated.includes(t))];
}

/** A payment of the order and what it still holds: its amount less the refunds not failed on it. */
export interface TenderBalance {
  paymentId: number;
  tender: Tender;
  amount: number;
  refunded: number;
}

export interface RefundLeg {
  paymentId: number;
  tender: Tender;
  amount: number;
}

/**
 * Split a refund over the order's payments in the stated order, each leg taking what its payment
 * has left before the next is touched. Two payments of one tender: the larger first. The legs add
 * up to the amount exactly, or nothing is decided.
 */
export function splitAcrossTenders(
  refund: Money,
  payments: readonly TenderBalance[],
  order: readonly Tender[] = DEFAULT_TENDER_ORDER,
): RefundLeg[] {
  const { amount, currency } = refund;
  if (!Number.isSafeInteger(amount) || amount <= 0)
    fail("INVALID_AMOUNT", "A refund to split must be a positive amount", moneyDetails(currency, { amount }));
  const rank = (t: Tender) => {
    const i = order.indexOf(t);
    return i < 0 ? order.length : i;
  };
  const queue = [...payments].sort(
    (a, b) => rank(a.tender) - rank(b.tender) || b.amount - a.amount || a.paymentId - b.paymentId,
  );
  const left = sum(queue.map((p) => Math.max(0, p.amount - p.refunded)));
  if (left < amount)
    fail(
      "REFUND_EXCEEDS_PAYMENT",
      "The refund is larger than what the order's payments have left",
      moneyDetails(currency, { refund: amount, refundable: left }),
    );
  const legs: RefundLeg[] = [];
  let rest = amount;
  for (const p of queue) {
    if (rest === 0) break;
    const take = Math.min(rest, Math.max(0, p.amount - p.refunded));
    if (take > 0) legs.push({ paymentId: p.paymentId, tender: p.tender, amount: take });
    rest -= take;
  }
  return legs;
}

/** What one leg of a refund gives back per line, and how much of each line it consumes. */
export interface LegLine {
  lineId: number;
  quantity: number;
  amount: number;
  consumed: number;
}

export interface LegShare {
  goods: number;
  shipping: number;
  lines: LegLine[];
}

/**
 * Divide a quote's parts (its lines, then shipping) among the legs, as one tape cut in the legs'
 * order: exact in integers, every line's amounts add up across legs, every leg adds up to its amount.
 * The first leg carries the units and whatever a deduction kept of each line, so the refund as a
 * whole consumes each line exactly as the quote says.
 */
export function shareQuote(
  quote: {
    currency: string;
    lines: readonly { lineId: number; quantity: number; amount: number; computed: number }[];
    shipping: number;
  },
  legAmounts: readonly number[],
): LegShare[] {
  const parts = [...quote.lines.map((l) => l.amount), quote.shipping];
  if (sum(parts) !== sum(legAmounts))
    fail(
      "INVALID_AMOUNT",
      "The legs do not add up to the refund",
      moneyDetails(quote.currency, { parts: sum(parts), legs: sum(legAmounts) }),
    );
  const shares: LegShare[] = legAmounts.map(() => ({ goods: 0, shipping: 0, lines: [] }));
  let leg = 0;
  let room = legAmounts[0] ?? 0;
  parts.forEach((value, p) => {
    let rest = value;
    while (rest > 0) {
      while (room === 0) room = legAmounts[++leg] ?? 0;
      const take = Math.min(rest, room);
      const share = shares[leg] as LegShare;
      const line = quote.lines[p];
      if (line) share.lines.push({ lineId: line.lineId, quantity: 0, amount: take, consumed: take });
      else share.shipping += take;
      rest -= take;
      room -= take;
    }
  });
  // The first leg holds the units and the kept part of every line, even a line it gives nothing for.
  const first = shares[0] as LegShare;
  for (const line of quote.lines) {
    const own = first.lines.find((x) => x.lineId === line.lineId);
    const kept = line.computed - line.amount;
    if (own) {
      own.quantity = line.quantity;
      own.consumed += kept;
    } else first.lines.push({ lineId: line.lineId, quantity: line.quantity, amount: 0, consumed: kept });
  }
  for (const s of shares) s.goods = sum(s.lines.map((l) => l.amount));
  return shares;
}
