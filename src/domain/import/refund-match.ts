import type { ImportRow } from "./rows.ts";

/**
 * Which earlier purchase each imported refund line gives money back for (退款匹配). Pure: the caller
 * reads the candidate lines and what was already refunded of them.
 *
 * The rule, per refund line in file order: among the order lines with the same SKU and currency — of
 * the order the refund names, else of the same customer's orders placed at or before the refund — that still have
 * at least the line's units and amount unrefunded, take the latest order (then the higher order id,
 * then its first such line). Lines a refund sends to one order form one case; a shipping line
 * goes with the refund's goods when they all went to one order that has that much shipping left.
 * Anything else is an orphan refund, with the reason it could not be linked.
 */

export interface CandidateLine {
  lineId: number;
  lineNo: number;
  orderId: number;
  orderExternalId: string;
  currency: string;
  customer: string | null;
  sku: string;
  /** When its order was placed, epoch ms. */
  at: number;
  quantity: number;
  paid: number;
  refundedQuantity: number;
  refundedAmount: number;
}

export interface RefundDocument {
  doc: string;
  customer: string | null;
  at: number;
  currency: string;
  orderRef: string | null;
  rows: ImportRow[];
}

export interface MatchedItem {
  lineId: number;
  quantity: number;
  amount: number;
  /** The share of the line's paid amount used up: the remainder when the last units go back. */
  consumed: number;
  paid: number;
  alreadyRefunded: number;
}

export interface MatchedCase {
  doc: string;
  orderId: number;
  orderExternalId: string;
  customer: string | null;
  at: number;
  currency: string;
  items: MatchedItem[];
  goods: number;
  shipping: number;
  rows: number[];
}

export type OrphanReason =
  | "no_customer"
  | "no_earlier_purchase"
  | "not_enough_left"
  | "order_not_found"
  | "discount"
  | "shipping_without_order";

export interface OrphanRefund {
  doc: string;
  rowNo: number;
  lineNo: number;
  kind: string;
  sku: string;
  title: string;
  quantity: number;
  unitPrice: number;
  amount: number;
  currency: string;
  customer: string | null;
  orderRef: string | null;
  at: number;
  reason: OrphanReason;
}

export interface OrderShippingLeft {
  orderId: number;
  /** Shipping fee not yet refunded. */
  left: number;
}

export function matchRefunds(
  docs: readonly RefundDocument[],
  candidates: readonly CandidateLine[],
  shippingLeft: readonly OrderShippingLeft[],
): { cases: MatchedCase[]; orphans: OrphanRefund[] } {
  const lines = candidates.map((c) => ({ ...c }));
  const bySku = new Map<string, typeof lines>();
  for (const l of lines) {
    const k = l.sku.toUpperCase();
    const list = bySku.get(k);
    if (list) list.push(l);
    else bySku.set(k, [l]);
  }
  for (const list of bySku.values())
    list.sort((a, b) => b.at - a.at || b.orderId - a.orderId || a.lineNo - b.lineNo);
  const shipping = new Map(shippingLeft.map((s) => [s.orderId, s.left]));
  const cases: MatchedCase[] = [];
  const orphans: OrphanRefund[] = [];

  for (const d of docs) {
    const byOrder = new Map<number, MatchedCase>();
    const orphan = (r: ImportRow, lineNo: number, reason: OrphanReason) =>
      orphans.push({
        doc: d.doc,
        rowNo: r.rowNo,
        lineNo,
        kind: r.code,
        sku: r.sku,
        title: r.title,
        quantity: r.quantity,
        unitPrice: r.unitPrice,
        amount: r.quantity * r.unitPrice,
        currency: d.currency,
        customer: d.customer,
        orderRef: d.orderRef,
        at: d.at,
        reason,
      });
    const shippingRows: [ImportRow, number][] = [];
    for (const [i, r] of d.rows.entries()) {
      const lineNo = i + 1;
      if (r.code === "shipping") {
        shippingRows.push([r, lineNo]);
        continue;
      }
      if (r.code === "discount" || (!d.orderRef && !d.customer)) {
        orphan(r, lineNo, r.code === "discount" ? "discount" : "no_customer");
        continue;
      }
      const amount = r.quantity * r.unitPrice;
      const same = (bySku.get(r.sku.toUpperCase()) ?? []).filter(
        (l) =>
          l.currency === d.currency &&
          (d.orderRef ? l.orderExternalId === d.orderRef : l.customer === d.customer && l.at <= d.at),
      );
      const line = same.find(
        (l) => l.quantity - l.refundedQuantity >= r.quantity && l.paid - l.refundedAmount >= amount,
      );
      if (!line) {
        orphan(
          r,
          lineNo,
          same.length > 0 ? "not_enough_left" : d.orderRef ? "order_not_found" : "no_earlier_purchase",
        );
        continue;
      }
      const lastUnits = line.quantity - line.refundedQuantity === r.quantity;
      const consumed = lastUnits ? line.paid - line.refundedAmount : amount;
      let c = byOrder.get(line.orderId);
      if (!c) {
        c = {
          doc: d.doc,
          orderId: line.orderId,
          orderExternalId: line.orderExternalId,
          customer: d.customer,
          at: d.at,
          currency: d.currency,
          items: [],
          goods: 0,
          shipping: 0,
          rows: [],
        };
        byOrder.set(line.orderId, c);
      }
      // Two rows refunding the same line are one case item (a case lists each line once).
      const item = c.items.find((x) => x.lineId === line.lineId);
      if (item) {
        item.quantity += r.quantity;
        item.amount += amount;
        item.consumed += consumed;
      } else {
        c.items.push({
          lineId: line.lineId,
          quantity: r.quantity,
          amount,
          consumed,
          paid: line.paid,
          alreadyRefunded: line.refundedAmount,
        });
      }
      c.goods += amount;
      c.rows.push(r.rowNo);
      line.refundedQuantity += r.quantity;
      line.refundedAmount += consumed;
    }
    const only = byOrder.size === 1 ? [...byOrder.values()][0] : undefined;
    for (const [r, lineNo] of shippingRows) {
      const amount = r.quantity * r.unitPrice;
      const left = only ? (shipping.get(only.orderId) ?? 0) : 0;
      if (!only || left < amount) {
        orphan(r, lineNo, "shipping_without_order");
        continue;
      }
      only.shipping += amount;
      only.rows.push(r.rowNo);
      shipping.set(only.orderId, left - amount);
    }
    cases.push(...byOrder.values());
  }
  return { cases, orphans };
}
