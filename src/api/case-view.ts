import type { ReasonCode } from "../domain/catalogue.ts";
import { POLICIES, type PolicyCode, REASONS } from "../domain/catalogue.ts";
import { INTERCEPTION_STATUSES, type InterceptionStatus } from "../domain/interception.ts";
import { formatMinor } from "../domain/money.ts";
import type { Decision } from "../domain/rules/evaluate.ts";
import { explainDecision } from "../domain/rules/explain.ts";
import type { caseSurroundings } from "../store/case-view.ts";
import type { caseDetail } from "../store/views.ts";
import { caseJson, decimalMoney } from "./serialize.ts";

type Detail = NonNullable<Awaited<ReturnType<typeof caseDetail>>>;
type Around = Awaited<ReturnType<typeof caseSurroundings>>;

/** What to put first for each reason: the facts a reviewer checks before anything else. */
const HIGHLIGHTS: Record<ReasonCode, readonly Highlight[]> = {
  wrong_item: ["ordered_vs_received"],
  logistics_delay: ["parcel_progress"],
  logistics_lost: ["parcel_progress"],
  quality: ["evidence", "sku_refund_rate"],
  damaged: ["evidence", "sku_refund_rate"],
  not_as_described: ["evidence", "sku_refund_rate"],
  spoiled: ["evidence", "parcel_progress"],
  not_received: ["delivery_proof"],
  missing_item: ["evidence", "ordered_vs_received"],
  changed_mind: ["policies"],
  size_fit: ["policies"],
  other: [],
};
type Highlight =
  | "ordered_vs_received"
  | "parcel_progress"
  | "evidence"
  | "sku_refund_rate"
  | "delivery_proof"
  | "policies";

const DAY = 86_400_000;
const interceptionLabel = (status: string) => {
  const l = INTERCEPTION_STATUSES[status as InterceptionStatus];
  return l ? { zh: l.zh, en: l.en } : null;
};
const earliest = (a: Date, b: Date | string | null | undefined) =>
  b != null && new Date(b).getTime() < a.getTime() ? new Date(b) : a;
const rate = (claimed: number, sold: number) => (sold > 0 ? claimed / sold : null);

/** The integrated case view (售后全景): the case and every fact around it, in one response. */
export function caseViewJson(d: Detail, a: Around, now: Date, actions: string[] = []) {
  const c = d.kase.currency;
  const m = (v: number | null | undefined) =>
    v === null || v === undefined ? null : formatMinor(Number(v), c);
  const outbound = a.parcels.filter((p) => p.direction === "outbound").at(-1);
  const parcelJson = (p: Around["parcels"][number]) => ({
    id: p.id,
    direction: p.direction,
    carrier: p.carrier,
    trackingNo: p.tracking_no,
    status: p.status,
    shippedAt: p.shipped_at,
    signedAt: p.signed_at,
    eta: p.eta,
    overdue: Boolean(p.eta && !p.signed_at && new Date(p.eta) < now),
    caseId: p.case_id,
    events: p.events,
    interception: p.interception
      ? {
          caseId: p.interception.case_id,
          method: p.interception.method,
          status: p.interception.status,
          label: interceptionLabel(p.interception.status),
          requestedAt: p.interception.requested_at,
          resolvedAt: p.interception.resolved_at,
          lastError: p.interception.last_error,
        }
      : null,
  });
  // A parcel that left carries every line of the order (shipments are per order, not per line).
  const shipped = a.parcels.some((p) => p.direction === "outbound" && p.status !== "unshipped");
  const facts = new Map(a.lineFacts.map((f) => [Number(f.id), f]));
  const products = a.products.map((p) => ({
    sku: p.sku,
    title: p.title,
    category: p.category,
    policies: p.policies.map((code) => ({
      code,
      ...(POLICIES[code as PolicyCode] ?? { zh: code, en: code }),
    })),
    refundRate90d: rate(p.claimed_90, p.sold_90),
    sold90d: p.sold_90,
    claimed90d: p.claimed_90,
  }));
  const decision = a.decision?.decision as Decision | undefined;
  const reason = d.kase.reason as ReasonCode;

  const highlight = (h: Highlight) => {
    switch (h) {
      case "ordered_vs_received": {
        const claim = (d.kase.claim ?? {}) as { receivedSku?: string; receivedTitle?: string };
        return {
          kind: h,
          ordered: d.items.map((i) => ({ sku: i.sku, title: i.title, quantity: i.quantity })),
          received: {
            sku: claim.receivedSku ?? null,
            title: claim.receivedTitle ?? null,
            warehouseConditions: d.receipts.map((r) => r.condition),
          },
        };
      }
      case "parcel_progress": {
        const last = outbound?.events[0];
        return {
          kind: h,
          status: outbound?.status ?? "unshipped",
          lastEvent: last ?? null,
          eta: outbound?.eta ?? null,
          overdue: Boolean(outbound?.eta && !outbound.signed_at && new Date(outbound.eta) < now),
          daysInTransit: outbound?.shipped_at
            ? Number(((now.getTime() - new Date(outbound.shipped_at).getTime()) / DAY).toFixed(1))
            : null,
        };
      }
      case "evidence":
        return { kind: h, items: d.kase.evidence, description: d.kase.description };
      case "sku_refund_rate":
        return {
          kind: h,
          skus: products.map((p) => ({
            sku: p.sku,
            refundRate90d: p.refundRate90d,
            claimed: p.claimed90d,
            sold: p.sold90d,
          })),
        };
      case "delivery_proof": {
        const signed = outbound?.events.find((e) => e.status === "delivered");
        return {
          kind: h,
          signed: Boolean(outbound?.signed_at),
          signedAt: outbound?.signed_at ?? null,
          proof: signed ?? null,
          carrier: outbound?.carrier ?? null,
          trackingNo: outbound?.tracking_no ?? null,
        };
      }
      case "policies":
        return { kind: h, products: products.map((p) => ({ sku: p.sku, policies: p.policies })) };
    }
  };

  const history = a.history;
  return {
    // The order's (and the case's) currency; the customer's other orders and cases state their own.
    currency: c,
    case: caseJson(d, null, actions),
    // What the queue sorts by, for the header: deadline, risk, routing, the two-person rule.
    review: {
      slaDueAt: d.kase.sla_due_at,
      platformDueAt: d.kase.platform_due_at,
      riskScore: d.kase.risk_score,
      queue: d.kase.queue,
      priority: d.kase.priority,
      tags: d.kase.tags,
      awaitingSecondApproval: d.kase.first_approval !== null,
      firstApproval: d.kase.first_approval,
    },
    order: {
      id: d.order.id,
      externalId: d.order.external_id,
      shop: d.order.shop_id,
      paidTotal: m(d.order.paid_total),
      refundedTotal: m(d.order.refunded_total),
      aftersalesStatus: d.order.aftersales_status,
      placedAt: d.order.placed_at,
      paidAt: d.order.paid_at,
    },
    lines: d.orderLines.map((l) => ({
      id: l.id,
      sku: l.sku,
      title: l.title,
      category: l.category,
      quantity: l.quantity,
      unitPrice: m(l.unit_price),
      paid: m(l.paid),
      inCase: d.items.some((i) => i.order_line_id === l.id),
      caseQuantity: d.items.find((i) => i.order_line_id === l.id)?.quantity ?? 0,
      shipped: shipped ? l.quantity : 0,
      returned: Number(facts.get(l.id)?.returned ?? 0),
      refundedQuantity: Number(facts.get(l.id)?.refunded_qty ?? 0),
      refunded: m(facts.get(l.id)?.refunded ?? 0),
    })),
    payments: d.payments.map((p) => ({
      id: p.id,
      tender: p.tender,
      amount: m(p.amount),
      transactionId: p.transaction_id,
    })),
    parcel: outbound ? parcelJson(outbound) : null,
    parcels: a.parcels.map(parcelJson),
    customer: a.customer
      ? {
          id: a.customer.id,
          name: a.customer.name,
          tier: a.customer.tier,
          creditScore: a.customer.credit_score,
          tags: a.customer.tags,
          // A customer of ours since their first order, though we may have learnt of them later (an import).
          since: earliest(a.customer.created_at, history?.first_order_at),
          orders: history?.orders ?? 0,
          refundRate365d: history ? rate(history.money_cases_365, history.orders_365) : null,
          paidTotal: m(history?.paid_total),
          refundedTotal: m(history?.refunded_total),
          recentOrders: a.recentOrders.map((o) => ({
            id: o.id,
            shop: o.shop_id,
            externalId: o.external_id,
            currency: o.currency,
            paidTotal: formatMinor(o.paid_total, o.currency),
            refundedTotal: formatMinor(o.refunded_total, o.currency),
            aftersalesStatus: o.aftersales_status,
            placedAt: o.placed_at,
          })),
          earlierCases: a.earlierCases.map((k) => ({
            id: k.id,
            orderId: k.order_id,
            type: k.type,
            reason: k.reason,
            status: k.status,
            currency: k.currency,
            refunded: formatMinor(Number(k.refunded), k.currency),
            createdAt: k.created_at,
          })),
        }
      : null,
    products,
    messages: a.messages.map((n) => ({
      id: n.id,
      eventId: n.event_id,
      kind: n.kind,
      channel: n.channel,
      to: maskContact(n.channel, n.recipient),
      status: n.status,
      dueAt: n.due_at,
      sentAt: n.sent_at,
      error: n.error,
      cost:
        n.cost === null || !n.currency
          ? null
          : { amount: formatMinor(Number(n.cost), n.currency), currency: n.currency },
    })),
    sameOrderCases: a.sameOrder.map((k) => ({
      id: k.id,
      type: k.type,
      reason: k.reason,
      status: k.status,
      resolved: ["closed", "rejected", "cancelled", "refunded"].includes(k.status),
      createdAt: k.created_at,
    })),
    risk: decimalMoney(a.decision?.risk ?? null, c),
    decision: a.decision
      ? {
          id: a.decision.id,
          at: a.decision.at,
          trigger: a.decision.trigger,
          ruleVersion: a.decision.rule_version,
          outcome: a.decision.outcome,
          decidedBy: a.decision.decided_by,
          applied: a.decision.applied,
          queue: decision?.queue ?? null,
          priority: decision?.priority ?? null,
          slaHours: decision?.slaHours ?? null,
          evidence: decision?.evidence ?? null,
          tags: decision?.tags ?? [],
          explanation: decision
            ? { zh: explainDecision(decision, "zh"), en: explainDecision(decision, "en") }
            : null,
        }
      : null,
    recommendation: decision?.recommendation ?? null,
    highlights: {
      reason,
      reasonLabel: REASONS[reason] ? { zh: REASONS[reason].zh, en: REASONS[reason].en } : null,
      items: (HIGHLIGHTS[reason] ?? []).map(highlight),
    },
  };
}

/** A customer's contact as staff see it beside a message: enough to recognise, not to copy (138****8000). */
export function maskContact(channel: string, to: string): string {
  if (channel === "email") {
    const [user = "", domain = ""] = to.split("@");
    return `${user.slice(0, 1)}***@${domain}`;
  }
  if (channel === "sms") return to.length > 7 ? `${to.slice(0, 3)}****${to.slice(-4)}` : "****";
  return to.length > 6 ? `${to.slice(0, 3)}***${to.slice(-3)}` : "***";
}
