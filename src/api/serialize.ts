import { REASONS, type ReasonCode } from "../domain/catalogue.ts";
import { CASE_STATES, type CaseState } from "../domain/lifecycle.ts";
import { formatMinor, isCurrency } from "../domain/money.ts";
import { ORDER_AFTERSALES_STATUSES, type OrderAftersalesStatus } from "../domain/order-status.ts";
import type { Quote } from "../domain/refund-quote.ts";
import type { Decision, Trace } from "../domain/rules/evaluate.ts";
import type { CaseFacts } from "../domain/rules/facts.ts";
import type { QueueRow } from "../store/queue.ts";
import type { caseDetail, listCases, orderDetail } from "../store/views.ts";

/** API shapes: amounts leave as exact decimal strings in the order's currency, like they came in. */

const m = (amount: number | null | undefined, currency: string) =>
  amount === null || amount === undefined ? null : formatMinor(Number(amount), currency);
/** Minor units (a number, or a bigint column read as text) → decimal string in `currency`; null stays null. */
export const money = m;

/** Keys under which stored JSON (timeline data, risk signal data) holds minor units. */
const MONEY_KEYS = new Set([
  "amount",
  "cap",
  "goods",
  "shipping",
  "requested",
  "requestedAmount",
  "paid",
  "typicalOrderAmount",
]);

/**
 * Stored JSON written with minor units (a timeline event's data, a risk signal's data) as the API
 * speaks it: every integer under a money key becomes a decimal string, and an object that held one
 * says its `currency`. Strings (already decimal) and everything else pass unchanged.
 */
export function decimalMoney(value: unknown, currency: string): unknown {
  if (Array.isArray(value)) return value.map((v) => decimalMoney(v, currency));
  if (value === null || typeof value !== "object") return value;
  let converted = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (MONEY_KEYS.has(k) && Number.isSafeInteger(v)) {
      out[k] = formatMinor(v as number, currency);
      converted = true;
    } else out[k] = decimalMoney(v, currency);
  }
  if (converted && !("currency" in out)) out.currency = currency;
  return out;
}

const amountIn = (v: unknown, currency: string | undefined): unknown =>
  Array.isArray(v)
    ? v.map((x) => amountIn(x, currency))
    : currency !== undefined && isCurrency(currency) && Number.isSafeInteger(v)
      ? formatMinor(v as number, currency)
      : v;

/** A rule's trace with its amounts (the rule's value, the case's actual) as decimal strings. */
export function traceJson(t: Trace): Trace {
  if (t.node === "leaf")
    return { ...t, value: amountIn(t.value, t.currency), actual: amountIn(t.actual, t.caseCurrency) };
  if (t.node === "not") return { ...t, child: traceJson(t.child) };
  return { ...t, children: t.children.map(traceJson) };
}

export const decisionJson = (d: Decision) => ({
  ...d,
  matched: d.matched.map((r) => ({ ...r, trace: traceJson(r.trace) })),
});

/** What rules look at about a case, its amounts as decimal strings in the case's currency. */
export const factsJson = (f: CaseFacts) => ({
  ...f,
  requestedAmount: m(f.requestedAmount, f.currency),
  quotedAmount: m(f.quotedAmount, f.currency),
  orderAmount: m(f.orderAmount, f.currency),
});

export function orderJson(d: NonNullable<Awaited<ReturnType<typeof orderDetail>>>) {
  const { order: o } = d;
  const c = o.currency;
  const status = o.aftersales_status as OrderAftersalesStatus;
  return {
    id: o.id,
    shop: o.shop_id,
    externalId: o.external_id,
    customerId: o.customer_id,
    currency: c,
    discountTotal: m(o.discount_total, c),
    shippingFee: m(o.shipping_fee, c),
    paidTotal: m(o.paid_total, c),
    refundedTotal: m(o.refunded_total, c),
    aftersalesStatus: status,
    aftersalesStatusLabel: ORDER_AFTERSALES_STATUSES[status],
    placedAt: o.placed_at,
    paidAt: o.paid_at,
    version: o.version,
    lines: d.lines.map((l) => ({
      id: l.id,
      lineNo: l.line_no,
      externalId: l.external_id,
      sku: l.sku,
      title: l.title,
      category: l.category,
      quantity: l.quantity,
      unitPrice: m(l.unit_price, c),
      lineDiscount: m(l.line_discount, c),
      orderDiscount: m(l.order_discount, c),
      paid: m(l.paid, c),
    })),
    payments: d.payments.map((p) => ({
      id: p.id,
      tender: p.tender,
      amount: m(p.amount, c),
      transactionId: p.transaction_id,
    })),
    shipments: d.shipments.map(shipmentJson),
    cases: d.cases.map((k) => ({
      id: k.id,
      type: k.type,
      status: k.status,
      reason: k.reason,
      createdAt: k.created_at,
    })),
  };
}

const shipmentJson = (s: {
  id: number;
  direction: string;
  carrier: string;
  tracking_no: string;
  status: string;
  shipped_at: Date | null;
  case_id: number | null;
}) => ({
  id: s.id,
  direction: s.direction,
  carrier: s.carrier,
  trackingNo: s.tracking_no,
  status: s.status,
  shippedAt: s.shipped_at,
  caseId: s.case_id,
});

export function quoteJson(q: Quote) {
  const c = q.currency;
  return {
    currency: c,
    total: m(q.total, c),
    cap: m(q.cap, c),
    goods: m(q.goods, c),
    shipping: m(q.shipping, c),
    shippingComputed: m(q.shippingComputed, c),
    wholeOrder: q.wholeOrder,
    overridden: q.overridden,
    lines: q.lines.map((l) => ({
      lineId: l.lineId,
      quantity: l.quantity,
      amount: m(l.amount, c),
      computed: m(l.computed, c),
      paid: m(l.paid, c),
      alreadyRefunded: m(l.alreadyRefunded, c),
    })),
    deductions: q.deductions.map((d) => ({ kind: d.kind, amount: m(d.amount, c), note: d.note ?? null })),
  };
}

/** Who works on a case: { id, login, name }, or null. */
export const ownerJson = (id: number | null, login: string | null, name: string | null) =>
  id === null ? null : { id: Number(id), login: login ?? "", name: name ?? "" };

/** `actions`: what the caller could do to the case now (routes/cases.ts availableActions). */
export function caseJson(
  d: NonNullable<Awaited<ReturnType<typeof caseDetail>>>,
  preview: Quote | null,
  actions: string[] = [],
) {
  const k = d.kase;
  const c = k.currency;
  const status = k.status as CaseState;
  const latest = d.refunds.at(-1);
  return {
    id: k.id,
    orderId: k.order_id,
    orderExternalId: d.order.external_id,
    shop: k.shop_id,
    customerId: k.customer_id,
    externalId: k.external_id,
    type: k.type,
    status,
    statusLabel: { zh: CASE_STATES[status].zh, en: CASE_STATES[status].en },
    statusSince: k.status_since,
    reason: k.reason,
    reasonLabel: REASONS[k.reason as ReasonCode]
      ? { zh: REASONS[k.reason as ReasonCode].zh, en: REASONS[k.reason as ReasonCode].en }
      : null,
    source: k.source,
    description: k.description,
    evidence: k.evidence,
    currency: c,
    requestedAmount: m(k.requested_amount, c),
    version: k.version,
    createdAt: k.created_at,
    updatedAt: k.updated_at,
    owner: d.owner ? ownerJson(d.owner.id, d.owner.login, d.owner.name) : null,
    availableActions: actions,
    items: d.items.map((i) => ({
      lineId: i.order_line_id,
      sku: i.sku,
      title: i.title,
      quantity: i.quantity,
      bought: i.bought,
      paid: m(i.paid, c),
    })),
    quote: latest ? quoteJson(latest.quote as Quote) : preview ? quoteJson(preview) : null,
    // A grant split over tenders is several refunds with one grant number, one per tender.
    refunds: d.refunds.map((r) => ({
      id: r.id,
      grant: r.grant_no,
      amount: m(r.amount, c),
      goods: m(r.goods_amount, c),
      shipping: m(r.shipping_amount, c),
      channel: r.channel,
      idempotencyKey: r.idempotency_key,
      status: r.status,
      channelRefundId: r.channel_refund_id,
      attempts: r.attempts,
      lastError: r.last_error,
      createdAt: r.created_at,
      succeededAt: r.succeeded_at,
    })),
    receipts: d.receipts.map((r) => ({
      id: r.id,
      quantity: r.quantity,
      condition: r.condition,
      qcResult: r.qc_result,
      qcNote: r.qc_note,
      receivedAt: r.received_at,
      inspectedAt: r.inspected_at,
    })),
    shipments: d.shipments.map(shipmentJson),
    timeline: d.events.map((e) => ({
      id: e.id,
      at: e.at,
      actor: e.actor,
      action: e.action,
      from: e.from_status,
      to: e.to_status,
      note: e.note,
      data: decimalMoney(e.data, c),
    })),
  };
}

/** One row of the case list: enough for a queue or a kanban card. */
export function caseSummaryJson(k: Awaited<ReturnType<typeof listCases>>["items"][number]) {
  const status = k.status as CaseState;
  return {
    id: k.id,
    orderId: k.order_id,
    orderExternalId: k.order_external_id,
    shop: k.shop_id,
    customerId: k.customer_id,
    type: k.type,
    status,
    statusLabel: { zh: CASE_STATES[status].zh, en: CASE_STATES[status].en },
    statusSince: k.status_since,
    reason: k.reason,
    source: k.source,
    currency: k.currency,
    requestedAmount: m(k.requested_amount, k.currency),
    version: k.version,
    createdAt: k.created_at,
    updatedAt: k.updated_at,
    owner: ownerJson(k.owner_id, k.owner_login, k.owner_name),
  };
}

/** A line of the reviewer queue, a card of the kanban. */
export function queueItemJson(r: QueueRow) {
  const status = r.status as CaseState;
  return {
    id: Number(r.id),
    version: r.version,
    status,
    statusLabel: { zh: CASE_STATES[status].zh, en: CASE_STATES[status].en },
    type: r.type,
    reason: r.reason,
    shop: r.shop_id,
    source: r.source,
    riskScore: r.risk_score,
    amount:
      r.requested_amount === null
        ? null
        : { amount: formatMinor(Number(r.requested_amount), r.currency), currency: r.currency },
    customer: r.customer_id
      ? { id: r.customer_id, name: r.customer_name, tier: r.customer_tier ?? "normal" }
      : null,
    owner: ownerJson(r.owner_id, r.owner_login, r.owner_name),
    slaDueAt: r.sla_due_at,
    createdAt: r.created_at,
    statusSince: r.status_since,
    orderId: Number(r.order_id),
    orderExternalId: r.order_external_id,
    externalId: r.external_id,
    trackingNo: r.tracking_no,
    awaitingSecondApproval: r.first_approval !== null && status === "requested",
    tags: r.tags,
  };
}
