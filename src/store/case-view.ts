import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/**
 * Everything a reviewer needs beside the case itself — the parcel with its scans, the customer's
 * history, the products' policies and refund rates, the order's other cases and the latest automatic
 * decision — each one query, so the integrated view is a handful of round trips.
 */
export async function caseSurroundings(
  db: Tx,
  c: { id: number; order_id: number; customer_id: string | null },
  now: Date,
  /** The shops the caller may see (null: all): a buyer's history elsewhere counts only those. */
  shops: readonly string[] | null = null,
) {
  // The case's own order is in a visible shop; the buyer's other orders and cases may not be.
  const inShops = (column: string) =>
    shops ? sql`and ${sql.ref(column)} = any(${[...shops]}::text[])` : sql``;
  const parcels = await sql<{
    id: number;
    direction: string;
    carrier: string;
    tracking_no: string;
    status: string;
    shipped_at: Date | null;
    signed_at: Date | null;
    eta: Date | null;
    case_id: number | null;
    events: { at: string; status: string; description: string; location: string | null }[];
    interception: {
      case_id: number;
      method: string;
      status: string;
      requested_at: string;
      resolved_at: string | null;
      last_error: string | null;
    } | null;
  }>`
    select s.id, s.direction, s.carrier, s.tracking_no, s.status, s.shipped_at, s.signed_at, s.eta, s.case_id,
           coalesce((select json_agg(e order by e.at desc) from (
              select at, status, description, location from tracking_events t
               where t.tracking_no = s.tracking_no and t.carrier = s.carrier
               order by at desc, id desc limit 20) e), '[]') as events,
           -- The latest attempt to stop this parcel (快递拦截), or to cancel an outbound one before it leaves.
           (select json_build_object('case_id', i.case_id, 'method', i.method, 'status', i.status,
                     'requested_at', i.requested_at, 'resolved_at', i.resolved_at, 'last_error', i.last_error)
              from interceptions i
             where i.order_id = s.order_id
               and ((i.tracking_no = s.tracking_no and i.carrier = s.carrier)
                    or (i.tracking_no is null and s.direction = 'outbound'))
             order by i.id desc limit 1) as interception
      from shipments s
     where s.order_id = ${c.order_id}
     order by s.id`.execute(db);

  // Per order line: units received back (any case of the order) and what refunds hold (not failed).
  const lineFacts = await sql<{ id: number; returned: number; refunded_qty: number; refunded: number }>`
    select l.id,
           coalesce((select sum(rl.quantity) from receipt_lines rl where rl.order_line_id = l.id), 0)::int as returned,
           coalesce((select sum(fl.quantity) from refund_lines fl join refunds r on r.id = fl.refund_id
                      where fl.order_line_id = l.id and r.status <> 'failed'), 0)::int as refunded_qty,
           coalesce((select sum(fl.consumed) from refund_lines fl join refunds r on r.id = fl.refund_id
                      where fl.order_line_id = l.id and r.status <> 'failed'), 0)::bigint as refunded
      from order_lines l
     where l.order_id = ${c.order_id}`.execute(db);

  const customer = c.customer_id
    ? await db
        .selectFrom("customers")
        .select(["id", "name", "tier", "credit_score", "tags", "created_at"])
        .where("id", "=", c.customer_id)
        .executeTakeFirst()
    : undefined;
  const history = c.customer_id
    ? await sql<{
        orders: number;
        orders_365: number;
        money_cases_365: number;
        paid_total: number;
        refunded_total: number;
        first_order_at: Date | null;
      }>`
        select (select count(*) from orders where customer_id = ${c.customer_id} ${inShops("shop_id")})::int as orders,
               (select count(*) from orders where customer_id = ${c.customer_id} ${inShops("shop_id")}
                  and coalesce(paid_at, placed_at, created_at) >= ${now}::timestamptz - interval '365 days')::int as orders_365,
               (select count(*) from cases where customer_id = ${c.customer_id} and id <> ${c.id} ${inShops("shop_id")}
                  and type in ('refund_only', 'return_refund') and status not in ('rejected', 'cancelled')
                  and created_at >= ${now}::timestamptz - interval '365 days')::int as money_cases_365,
               (select coalesce(sum(paid_total), 0) from orders where customer_id = ${c.customer_id} ${inShops("shop_id")})::bigint as paid_total,
               (select coalesce(sum(refunded_total), 0) from orders where customer_id = ${c.customer_id} ${inShops("shop_id")})::bigint as refunded_total,
               (select min(coalesce(placed_at, paid_at, created_at)) from orders
                 where customer_id = ${c.customer_id} ${inShops("shop_id")}) as first_order_at`
        .execute(db)
        .then((r) => r.rows[0])
    : undefined;
  const recentOrders = c.customer_id
    ? await db
        .selectFrom("orders")
        .$if(shops !== null, (q) => q.where("shop_id", "in", shops?.length ? [...shops] : [""]))
        .select([
          "id",
          "shop_id",
          "external_id",
          "currency",
          "paid_total",
          "refunded_total",
          "aftersales_status",
          "placed_at",
        ])
        .where("customer_id", "=", c.customer_id)
        .orderBy("id", "desc")
        .limit(10)
        .execute()
    : [];
  const earlierCases = c.customer_id
    ? await sql<{
        id: number;
        order_id: number;
        type: string;
        reason: string;
        status: string;
        currency: string;
        created_at: Date;
        refunded: number;
      }>`
        select k.id, k.order_id, k.type, k.reason, k.status, k.currency, k.created_at,
               coalesce((select sum(amount) from refunds r where r.case_id = k.id and r.status = 'succeeded'), 0)::bigint as refunded
          from cases k
         where k.customer_id = ${c.customer_id} and k.id <> ${c.id} ${inShops("k.shop_id")}
         order by k.id desc limit 20`
        .execute(db)
        .then((r) => r.rows)
    : [];

  const sameOrder = await db
    .selectFrom("cases")
    .select(["id", "type", "reason", "status", "created_at"])
    .where("order_id", "=", c.order_id)
    .where("id", "!=", c.id)
    .orderBy("id")
    .execute();

  // Per SKU of the case: its policies (own and its category's) and its refund rate over 90 days.
  const products = await sql<{
    sku: string;
    title: string;
    category: string | null;
    policies: string[];
    sold_90: number;
    claimed_90: number;
  }>`
    select distinct on (l.sku) l.sku, l.title, l.category,
           coalesce((select array_agg(distinct p) from catalog_policies cp, unnest(cp.policies) p
                      where (cp.kind = 'sku' and cp.key = l.sku) or (cp.kind = 'category' and cp.key = l.category)), '{}') as policies,
           (select coalesce(sum(x.quantity), 0) from order_lines x join orders o on o.id = x.order_id
             where x.sku = l.sku ${inShops("o.shop_id")}
               and coalesce(o.paid_at, o.placed_at, o.created_at) >= ${now}::timestamptz - interval '90 days')::int as sold_90,
           (select coalesce(sum(ci.quantity), 0) from case_items ci join order_lines x on x.id = ci.order_line_id
              join cases k on k.id = ci.case_id
             where x.sku = l.sku ${inShops("k.shop_id")} and k.created_at >= ${now}::timestamptz - interval '90 days'
               and k.type in ('refund_only', 'return_refund', 'exchange') and k.status not in ('rejected', 'cancelled'))::int as claimed_90
      from case_items ci join order_lines l on l.id = ci.order_line_id
     where ci.case_id = ${c.id}
     order by l.sku`.execute(db);

  const decision = await db
    .selectFrom("case_decisions")
    .select(["id", "at", "trigger", "rule_version", "outcome", "decided_by", "applied", "risk", "decision"])
    .where("case_id", "=", c.id)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();

  // What the customer was told (通知), per timeline event, with what became of each message.
  const messages = await db
    .selectFrom("notifications")
    .select([
      "id",
      "event_id",
      "kind",
      "channel",
      "recipient",
      "status",
      "due_at",
      "sent_at",
      "error",
      "cost",
      "currency",
    ])
    .where("case_id", "=", c.id)
    .orderBy("id")
    .execute();

  return {
    parcels: parcels.rows,
    messages,
    lineFacts: lineFacts.rows,
    customer,
    history,
    recentOrders,
    earlierCases,
    sameOrder,
    products: products.rows,
    decision,
  };
}
