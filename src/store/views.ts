import { sql } from "kysely";
import { caseEvents, caseItems, caseReceipts, caseShipments, findCase } from "./cases.ts";
import { findOrder, orderLines, orderPayments, orderShipments, type Tx } from "./orders.ts";
import { caseRefunds } from "./refunds.ts";

/** Read models: everything one screen or one API response needs, fetched together. */

export async function orderDetail(db: Tx, id: number) {
  const order = await findOrder(db, id);
  if (!order) return undefined;
  const [lines, payments, shipments, cases] = [
    await orderLines(db, id),
    await orderPayments(db, id),
    await orderShipments(db, id),
    await db
      .selectFrom("cases")
      .select(["id", "type", "status", "reason", "created_at"])
      .where("order_id", "=", id)
      .orderBy("id")
      .execute(),
  ];
  return { order, lines, payments, shipments, cases };
}

export async function caseDetail(db: Tx, id: number) {
  const kase = await findCase(db, id);
  if (!kase) return undefined;
  const order = await findOrder(db, kase.order_id);
  if (!order) return undefined;
  const [owner, items, events, receipts, shipments, refunds, orderLinesOf, payments] = [
    await caseOwner(db, kase.owner_id),
    await caseItems(db, id),
    await caseEvents(db, id),
    await caseReceipts(db, id),
    await caseShipments(db, id),
    await caseRefunds(db, id),
    await orderLines(db, kase.order_id),
    await orderPayments(db, kase.order_id),
  ];
  return {
    kase,
    owner,
    order,
    items,
    events,
    receipts,
    shipments,
    refunds,
    orderLines: orderLinesOf,
    payments,
  };
}

/** Who works on a case (its owner), as every case answer names them. */
const caseOwner = async (db: Tx, ownerId: number | null) =>
  ownerId === null
    ? null
    : ((await db
        .selectFrom("users")
        .select(["id", "login", "name"])
        .where("id", "=", ownerId)
        .executeTakeFirst()) ?? null);

/** The columns of a case list row (queue, kanban card). */
const SUMMARY = [
  "c.id",
  "c.order_id",
  "o.external_id as order_external_id",
  "c.shop_id",
  "c.customer_id",
  "c.type",
  "c.status",
  "c.reason",
  "c.source",
  "c.currency",
  "c.requested_amount",
  "c.version",
  "c.status_since",
  "c.created_at",
  "c.updated_at",
  "c.owner_id",
  "u.login as owner_login",
  "u.name as owner_name",
] as const;

export interface CaseFilter {
  shops?: string[] | null;
  status?: string;
  type?: string;
  shop?: string;
  reason?: string;
  from?: string;
  to?: string;
  /** Keyset cursor: the last id of the previous page (newest first). */
  cursor?: number;
  limit: number;
}

export async function listCases(db: Tx, f: CaseFilter) {
  let q = db
    .selectFrom("cases as c")
    .innerJoin("orders as o", "o.id", "c.order_id")
    .leftJoin("users as u", "u.id", "c.owner_id")
    .select(SUMMARY)
    .orderBy("c.id", "desc")
    .limit(f.limit + 1);
  if (f.shops) q = q.where("c.shop_id", "in", f.shops.length ? f.shops : [""]);
  if (f.status) q = q.where("c.status", "=", f.status);
  if (f.type) q = q.where("c.type", "=", f.type);
  if (f.shop) q = q.where("c.shop_id", "=", f.shop);
  if (f.reason) q = q.where("c.reason", "=", f.reason);
  if (f.from) q = q.where("c.created_at", ">=", new Date(f.from));
  if (f.to) q = q.where("c.created_at", "<", new Date(f.to));
  if (f.cursor !== undefined) q = q.where("c.id", "<", f.cursor);
  const rows = await q.execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.id : undefined };
}

/** 待审队列: cases awaiting review in one queue, most urgent first (priority, then SLA, then age). */
export async function reviewQueue(
  db: Tx,
  f: { queue?: string; shops?: string[] | null; limit: number; offset: number },
) {
  let q = db
    .selectFrom("cases as c")
    .innerJoin("orders as o", "o.id", "c.order_id")
    .leftJoin("users as u", "u.id", "c.owner_id")
    .select(SUMMARY)
    .select(["c.queue", "c.priority", "c.sla_due_at", "c.risk_score", "c.tags", "c.first_approval"])
    .where("c.status", "=", "requested")
    .orderBy("c.priority", "desc")
    .orderBy(sql`c.sla_due_at asc nulls last`)
    .orderBy("c.id")
    .limit(f.limit)
    .offset(f.offset);
  if (f.queue) q = q.where("c.queue", "=", f.queue);
  if (f.shops) q = q.where("c.shop_id", "in", f.shops.length ? f.shops : [""]);
  let counts = db
    .selectFrom("cases")
    .select(["queue", db.fn.countAll<number>().as("n")])
    .where("status", "=", "requested")
    .groupBy("queue");
  if (f.shops) counts = counts.where("shop_id", "in", f.shops.length ? f.shops : [""]);
  return { items: await q.execute(), queues: await counts.execute() };
}
