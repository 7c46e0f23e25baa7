import { type Kysely, sql } from "kysely";
import type {
  CaseSource,
  CaseType,
  CustomerTier,
  ParcelState,
  PolicyCode,
  ReasonCode,
} from "../domain/catalogue.ts";
import type { Channel } from "../domain/order.ts";
import type { RiskProfile } from "../domain/risk/profile.ts";
import type { CaseFacts } from "../domain/rules/facts.ts";
import type { DB } from "./schema.ts";

/** A case's facts for rules, and its profile for risk, as they stood when the case was opened. */
export interface CaseContext {
  caseId: number;
  /** The case's state now (facts are as of its opening; acting on it depends on where it is now). */
  status: string;
  customerId: string | null;
  createdAt: Date;
  /** riskScore is 0 until the risk assessment fills it in. */
  facts: CaseFacts;
  profile: RiskProfile;
}

interface Row {
  id: number;
  status: string;
  type: string;
  reason: string;
  source: string;
  shop_id: string;
  channel: string;
  currency: string;
  requested_amount: number | null;
  order_amount: number;
  created_at: Date;
  customer_id: string | null;
  has_evidence: boolean;
  case_tags: string[];
  item_count: number;
  whole_order: boolean;
  claimed_value: number;
  skus: string[];
  categories: string[];
  policies: string[];
  paid_at: Date | null;
  shipped_at: Date | null;
  signed_at: Date | null;
  ship_status: string | null;
  tier: string | null;
  credit_score: number | null;
  customer_tags: string[] | null;
  r30: number;
  r90: number;
  r365: number;
  o30: number;
  o90: number;
  o365: number;
  ro_after_delivery: number;
  typical: number | null;
  shared_phone: number;
  shared_address: number;
  shared_device: number;
  hour: number;
  cases_on_order: number;
}

const DAY = 86_400_000;
const days = (from: Date | null, to: Date) => (from ? (to.getTime() - from.getTime()) / DAY : null);

/** Coarse parcel state as of `at`: a scan after the case was opened is not something it could see. */
function parcelAt(r: Row): ParcelState {
  if (!r.ship_status || r.ship_status === "unshipped" || (r.shipped_at && r.shipped_at > r.created_at)) {
    return "unshipped";
  }
  if (r.signed_at && r.signed_at <= r.created_at) return "signed";
  if (!r.signed_at && r.ship_status === "delivered") return "signed";
  if (["exception", "intercepted", "returned_to_sender"].includes(r.ship_status)) return "exception";
  return "in_transit";
}

const rate = (refunds: number, orders: number) => (orders > 0 ? refunds / orders : 0);

/**
 * Gather facts for many cases in one statement — the live review asks for one, a backtest for
 * thousands at a time. Customer history counts only what happened before the case was opened.
 */
export async function loadCaseContexts(
  db: Kysely<DB>,
  caseIds: readonly number[],
  timeZone: string,
): Promise<CaseContext[]> {
  if (caseIds.length === 0) return [];
  const { rows } = await sql<Row>`
    select c.id, c.status, c.type, c.reason, c.source, c.shop_id, s.channel, c.currency, c.requested_amount,
           o.paid_total as order_amount, c.created_at, c.customer_id,
           jsonb_array_length(c.evidence) > 0 as has_evidence, c.tags as case_tags,
           it.item_count, it.item_count = it.order_units as whole_order, it.claimed_value, it.skus, it.categories,
           coalesce((select array_agg(distinct p) from catalog_policies cp, unnest(cp.policies) p
                      where (cp.kind = 'sku' and cp.key = any(it.skus))
                         or (cp.kind = 'category' and cp.key = any(it.categories))), '{}') as policies,
           coalesce(o.paid_at, o.placed_at) as paid_at,
           sh.shipped_at, sh.signed_at, sh.status as ship_status,
           cu.tier, cu.credit_score, cu.tags as customer_tags,
           coalesce(h.r30, 0) as r30, coalesce(h.r90, 0) as r90, coalesce(h.r365, 0) as r365,
           coalesce(h.ro_after_delivery, 0) as ro_after_delivery,
           coalesce(oh.o30, 0) as o30, coalesce(oh.o90, 0) as o90, coalesce(oh.o365, 0) as o365, oh.typical,
           -- platforms often send masked numbers (138****1234): those link nobody
           case when cu.phone is null or cu.phone like '%*%' then 0 else
             (select count(*) from customers x where x.phone = cu.phone and x.id <> cu.id) end as shared_phone,
           (select count(distinct x.customer_id) from orders x
             where x.address_key in (select address_key from orders where customer_id = c.customer_id and address_key is not null)
               and x.customer_id <> c.customer_id) as shared_address,
           (select count(distinct x.customer_id) from orders x
             where x.device_id in (select device_id from orders where customer_id = c.customer_id and device_id is not null)
               and x.customer_id <> c.customer_id) as shared_device,
           extract(hour from c.created_at at time zone ${timeZone})::int as hour,
           (select count(*) from cases x where x.order_id = c.order_id and x.id < c.id) as cases_on_order
      from cases c
      join orders o on o.id = c.order_id
      join shops s on s.id = c.shop_id
      left join customers cu on cu.id = c.customer_id
      cross join lateral (
        select sum(ci.quantity)::int as item_count,
               coalesce(sum(l.paid * ci.quantity / l.quantity), 0)::bigint as claimed_value,
               (select sum(quantity) from order_lines where order_id = c.order_id)::int as order_units,
               array_agg(distinct l.sku) as skus,
               coalesce(array_agg(distinct l.category) filter (where l.category is not null), '{}') as categories
          from case_items ci join order_lines l on l.id = ci.order_line_id
         where ci.case_id = c.id) it
      left join lateral (
        select shipped_at, signed_at, status from shipments
         where order_id = c.order_id and direction = 'outbound'
         order by shipped_at desc nulls last, id desc limit 1) sh on true
      left join lateral (
        select count(*) filter (where x.created_at >= c.created_at - interval '30 days') as r30,
               count(*) filter (where x.created_at >= c.created_at - interval '90 days') as r90,
               count(*) as r365,
               count(*) filter (where x.type = 'refund_only' and x.created_at >= c.created_at - interval '90 days'
                 and exists (select 1 from shipments y where y.order_id = x.order_id and y.direction = 'outbound'
                                and y.signed_at < x.created_at)) as ro_after_delivery
          from cases x
         where x.customer_id = c.customer_id and x.id <> c.id
           and x.created_at < c.created_at and x.created_at >= c.created_at - interval '365 days'
           and x.type in ('refund_only', 'return_refund') and x.status not in ('rejected', 'cancelled')) h on true
      left join lateral (
        select count(*) filter (where coalesce(x.paid_at, x.placed_at, x.created_at) >= c.created_at - interval '30 days') as o30,
               count(*) filter (where coalesce(x.paid_at, x.placed_at, x.created_at) >= c.created_at - interval '90 days') as o90,
               count(*) as o365,
               (select percentile_cont(0.5) within group (order by y.paid_total) from orders y
                 where y.customer_id = c.customer_id and y.id <> c.order_id
                   and coalesce(y.paid_at, y.placed_at, y.created_at) < c.created_at)::bigint as typical
          from orders x
         where x.customer_id = c.customer_id
           and coalesce(x.paid_at, x.placed_at, x.created_at) <= c.created_at
           and coalesce(x.paid_at, x.placed_at, x.created_at) >= c.created_at - interval '365 days') oh
        on c.customer_id is not null
     where c.id = any(${caseIds as number[]}::bigint[])
     order by c.id`.execute(db);
  return rows.map(toContext);
}

function toContext(r: Row): CaseContext {
  const parcel = parcelAt(r);
  const at = r.created_at;
  const signedAt = parcel === "signed" ? r.signed_at : null;
  const refunds = { 30: Number(r.r30), 90: Number(r.r90), 365: Number(r.r365) };
  const orders = { 30: Number(r.o30), 90: Number(r.o90), 365: Number(r.o365) };
  const quoted = Number(r.claimed_value);
  const facts: CaseFacts = {
    caseType: r.type as CaseType,
    reason: r.reason as ReasonCode,
    source: r.source as CaseSource,
    shop: r.shop_id,
    channel: r.channel as Channel,
    currency: r.currency,
    requestedAmount: r.requested_amount,
    quotedAmount: quoted,
    orderAmount: r.order_amount,
    itemCount: r.item_count,
    wholeOrder: r.whole_order,
    daysSincePayment: days(r.paid_at, at),
    daysSinceShipment: parcel === "unshipped" ? null : days(r.shipped_at, at),
    daysSinceDelivery: days(signedAt, at),
    parcel,
    customerTier: (r.tier ?? "normal") as CustomerTier,
    creditScore: r.credit_score,
    customerRefunds: refunds,
    customerRefundRate: {
      30: rate(refunds[30], orders[30]),
      90: rate(refunds[90], orders[90]),
      365: rate(refunds[365], orders[365]),
    },
    customerTags: r.customer_tags ?? [],
    skus: r.skus,
    categories: r.categories,
    policies: r.policies as PolicyCode[],
    casesOnOrder: Number(r.cases_on_order),
    hasEvidence: r.has_evidence,
    submittedHour: r.hour,
    riskScore: 0,
    tags: r.case_tags,
  };
  const profile: RiskProfile = {
    caseType: facts.caseType,
    reason: facts.reason,
    amount: r.requested_amount ?? quoted,
    parcel,
    minutesSinceSigned: signedAt ? (at.getTime() - signedAt.getTime()) / 60_000 : null,
    submittedHour: r.hour,
    casesOnOrder: facts.casesOnOrder,
    customer: {
      refunds,
      orders,
      refundOnlyAfterDelivery90: Number(r.ro_after_delivery),
      typicalOrderAmount: r.typical === null ? null : Number(r.typical),
      sharedPhone: Number(r.shared_phone),
      sharedAddress: Number(r.shared_address),
      sharedDevice: Number(r.shared_device),
    },
  };
  return { caseId: r.id, status: r.status, customerId: r.customer_id, createdAt: at, facts, profile };
}

/**
 * The facts live review recorded when it first judged each case (its case_decisions row), for the cases
 * that have one: what the rules saw then, read back without gathering anything again. Sent as text and
 * parsed here, which is quicker than the driver's jsonb parsing for a whole history.
 */
export async function firstReviewFacts(
  db: Kysely<DB>,
  caseIds: readonly number[],
): Promise<Map<number, CaseFacts>> {
  if (caseIds.length === 0) return new Map();
  const { rows } = await sql<{ case_id: string | number; facts: string }>`
    select distinct on (case_id) case_id, facts::text as facts
      from case_decisions where case_id = any(${caseIds as number[]}::bigint[])
     order by case_id, id`.execute(db);
  return new Map(rows.map((r) => [Number(r.case_id), JSON.parse(r.facts) as CaseFacts]));
}
