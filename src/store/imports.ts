import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/**
 * Bulk imports (导入历史订单): the import's record and progress, and the set-based writes one batch of
 * a file makes — many orders, cases and refunds per statement (`insert … select from unnest(…)`).
 */

export const findImport = (db: Tx, shopId: string, sha256: string) =>
  db
    .selectFrom("imports")
    .selectAll()
    .where("shop_id", "=", shopId)
    .where("file_sha256", "=", sha256)
    .executeTakeFirst();

export async function startImport(
  db: Tx,
  v: {
    shopId: string;
    sha256: string;
    fileName: string;
    fileSize: number;
    format: string;
    mapping: unknown;
    now: Date;
  },
) {
  await db
    .insertInto("imports")
    .values({
      shop_id: v.shopId,
      file_sha256: v.sha256,
      file_name: v.fileName,
      file_size: v.fileSize,
      format: v.format,
      mapping: JSON.stringify(v.mapping),
      status: "running",
      started_at: v.now,
      updated_at: v.now,
    })
    .onConflict((oc) => oc.columns(["shop_id", "file_sha256"]).doNothing())
    .execute();
  return (await findImport(db, v.shopId, v.sha256)) ?? Promise.reject(new Error("import row vanished"));
}

/** Lock the import's row for a batch: two processes importing one file take turns, and can tell. */
export const lockImport = (tx: Tx, id: number) =>
  tx
    .selectFrom("imports")
    .select(["rows_done", "status"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirstOrThrow();

/** A run of the import begins (a new one, or resuming a stopped, failed or killed one): its job is running. */
export async function beginRun(db: Tx, id: number, v: { now: Date; rowsTotal?: number | null }) {
  await db
    .updateTable("imports")
    .set({
      status: "running",
      error: null,
      run_started_at: v.now,
      run_start_row: sql`rows_done`,
      ...(v.rowsTotal != null ? { rows_total: v.rowsTotal } : {}),
    })
    .where("id", "=", id)
    .where("status", "!=", "completed")
    .execute();
}

/** A run ends without finishing: asked to stop, or failed (with the error people read). */
export async function endRun(
  db: Tx,
  id: number,
  v: { status: "stopped" | "failed"; now: Date; error?: { code: string; message: string } },
) {
  await db
    .updateTable("imports")
    .set({ status: v.status, updated_at: v.now, error: v.error ? JSON.stringify(v.error) : null })
    .where("id", "=", id)
    .where("status", "=", "running")
    .execute();
}

/**
 * Runs no process is doing: on the embedded database only the process holding DATA_DIR can run one, so
 * at its start any "running" import was killed with its process. They are stopped; the same file resumes.
 */
export const stopOrphanedRuns = (db: Tx, now: Date) =>
  db
    .updateTable("imports")
    .set({ status: "stopped", updated_at: now })
    .where("status", "=", "running")
    .execute();

export const setRowsTotal = (db: Tx, id: number, rows: number) =>
  db.updateTable("imports").set({ rows_total: rows }).where("id", "=", id).execute();

export const findImportById = (db: Tx, id: number) =>
  db.selectFrom("imports").selectAll().where("id", "=", id).executeTakeFirst();

/** Imports newest first, in some shops (null: all). */
const inShops = (db: Tx, shops: readonly string[] | null) =>
  db
    .selectFrom("imports")
    .$if(shops !== null, (q) => q.where("shop_id", "in", shops?.length ? [...(shops ?? [])] : [""]));

export const listImports = (
  db: Tx,
  v: { shops: readonly string[] | null; limit: number; before?: number; offset?: number },
) =>
  inShops(db, v.shops)
    .selectAll()
    .$if(v.before !== undefined, (q) => q.where("id", "<", v.before as number))
    .orderBy("id", "desc")
    .limit(v.limit)
    .$if(Boolean(v.offset), (q) => q.offset(v.offset as number))
    .execute();

/** How many imports these shops have (every page). */
export const countImports = async (db: Tx, shops: readonly string[] | null) =>
  Number(
    (
      await inShops(db, shops)
        .select((e) => e.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

export async function saveProgress(
  tx: Tx,
  id: number,
  p: {
    byteOffset: number;
    bytesRead: number;
    rowsDone: number;
    counts: Record<string, number>;
    now: Date;
    completed: boolean;
  },
) {
  await tx
    .updateTable("imports")
    .set({
      byte_offset: p.byteOffset,
      bytes_read: p.bytesRead,
      rows_done: p.rowsDone,
      counts: JSON.stringify(p.counts) as never,
      batches: sql`batches + 1`,
      updated_at: p.now,
      ...(p.completed ? { status: "completed", completed_at: p.now } : {}),
    })
    .where("id", "=", id)
    .execute();
}

export async function insertRejects(
  tx: Tx,
  importId: number,
  rows: readonly { rowNo: number; reason: string; message: string; cells: readonly string[] }[],
) {
  if (rows.length === 0) return 0;
  const r = await sql<{ n: number }>`
    with ins as (
      insert into import_rejects (import_id, row_no, reason, message, cells)
      select ${importId}, x.row_no, x.reason, x.message, ${sql`string_to_array(x.cells, chr(31))`}
        from unnest(${rows.map((x) => x.rowNo)}::int[], ${rows.map((x) => x.reason)}::text[],
                    ${rows.map((x) => x.message)}::text[], ${rows.map((x) => x.cells.join("\u001f"))}::text[])
               as x(row_no, reason, message, cells)
      on conflict do nothing
      returning 1)
    select count(*)::int as n from ins`.execute(tx);
  return r.rows[0]?.n ?? 0;
}

export const rejectSummary = (db: Tx, importId: number) =>
  db
    .selectFrom("import_rejects")
    .select(["reason", (eb) => eb.fn.countAll<number>().as("rows")])
    .where("import_id", "=", importId)
    .groupBy("reason")
    .orderBy("rows", "desc")
    .orderBy("reason")
    .execute();

export const importRejects = (db: Tx, importId: number) =>
  db.selectFrom("import_rejects").selectAll().where("import_id", "=", importId).orderBy("row_no").execute();

export const insertCustomers = async (tx: Tx, ids: readonly string[]) => {
  if (ids.length === 0) return;
  await sql`insert into customers (id) select unnest(${ids}::text[]) on conflict do nothing`.execute(tx);
};

export interface OrderRow {
  externalId: string;
  customerId: string | null;
  currency: string;
  discountTotal: number;
  shippingFee: number;
  paidTotal: number;
  placedAt: string;
  contentHash: string;
  country: string | null;
  lines: {
    lineNo: number;
    externalId: string;
    sku: string;
    title: string;
    category: string | null;
    quantity: number;
    unitPrice: number;
    lineDiscount: number;
    orderDiscount: number;
    paid: number;
  }[];
}

/** Orders and their lines in one statement; orders already there are left as they are. Returns the new ones. */
export async function insertOrders(tx: Tx, shopId: string, orders: readonly OrderRow[], now: Date) {
  if (orders.length === 0) return [];
  const lines = orders.flatMap((o) => o.lines.map((l) => ({ order: o.externalId, ...l })));
  const col = <T>(f: (o: OrderRow) => T) => orders.map(f);
  const lcol = <T>(f: (l: (typeof lines)[number]) => T) => lines.map(f);
  const r = await sql<{ id: number; external_id: string }>`
    with o as (
      insert into orders (shop_id, external_id, customer_id, currency, discount_total, shipping_fee, paid_total,
                          placed_at, content_hash, country, created_at, updated_at)
      select ${shopId}, x.ext, x.cust, x.cur, x.disc, x.ship, x.paid, x.placed, x.hash, x.country,
             ${now}::timestamptz, ${now}::timestamptz
        from unnest(${col((o) => o.externalId)}::text[], ${col((o) => o.customerId)}::text[],
                    ${col((o) => o.currency)}::text[], ${col((o) => o.discountTotal)}::bigint[],
                    ${col((o) => o.shippingFee)}::bigint[], ${col((o) => o.paidTotal)}::bigint[],
                    ${col((o) => o.placedAt)}::timestamptz[], ${col((o) => o.contentHash)}::text[],
                    ${col((o) => o.country)}::text[])
               as x(ext, cust, cur, disc, ship, paid, placed, hash, country)
      on conflict (shop_id, external_id) do nothing
      returning id, external_id),
    l as (
      insert into order_lines (order_id, line_no, external_id, sku, title, category, quantity, unit_price,
                               line_discount, order_discount, paid)
      select o.id, y.line_no, y.ext, y.sku, y.title, y.cat, y.qty, y.price, y.ld, y.od, y.paid
        from unnest(${lcol((l) => l.order)}::text[], ${lcol((l) => l.lineNo)}::int[], ${lcol((l) => l.externalId)}::text[],
                    ${lcol((l) => l.sku)}::text[], ${lcol((l) => l.title)}::text[], ${lcol((l) => l.category)}::text[],
                    ${lcol((l) => l.quantity)}::int[], ${lcol((l) => l.unitPrice)}::bigint[],
                    ${lcol((l) => l.lineDiscount)}::bigint[], ${lcol((l) => l.orderDiscount)}::bigint[],
                    ${lcol((l) => l.paid)}::bigint[])
               with ordinality as y(order_ext, line_no, ext, sku, title, cat, qty, price, ld, od, paid, n)
        join o on o.external_id = y.order_ext
       -- line ids in file order, whichever way the join ran
       order by y.n)
    select id, external_id from o`.execute(tx);
  return r.rows;
}

/** Claim refund documents for this import; returns the ones not imported before. */
export async function claimRefunds(tx: Tx, shopId: string, importId: number, docs: readonly string[]) {
  if (docs.length === 0) return new Set<string>();
  const r = await sql<{ external_id: string }>`
    insert into imported_refunds (shop_id, external_id, import_id)
    select ${shopId}, unnest(${docs}::text[]), ${importId}
    on conflict do nothing
    returning external_id`.execute(tx);
  return new Set(r.rows.map((x) => x.external_id));
}

/**
 * Order lines a batch's refunds may link to — the lines with each refund line's SKU (upper case) of
 * its customer's orders, or of the order it names — with what earlier refunds (not failed) consumed.
 */
export async function refundCandidates(
  tx: Tx,
  shopId: string,
  byCustomer: readonly { customer: string; sku: string }[],
  byOrder: readonly { order: string; sku: string }[],
) {
  const lines = await sql<{
    line_id: number;
    order_id: number;
    line_no: number;
    external_id: string;
    currency: string;
    customer_id: string | null;
    sku: string;
    placed_at: Date | null;
    quantity: number;
    paid: number;
    refunded_qty: number;
    refunded_amount: number;
  }>`
    with wanted as (
      select o.id as order_id, p.sku
        from unnest(${byCustomer.map((x) => x.customer)}::text[], ${byCustomer.map((x) => x.sku)}::text[]) as p(cust, sku)
        join orders o on o.shop_id = ${shopId} and o.customer_id = p.cust
      union
      select o.id, p.sku
        from unnest(${byOrder.map((x) => x.order)}::text[], ${byOrder.map((x) => x.sku)}::text[]) as p(ext, sku)
        join orders o on o.shop_id = ${shopId} and o.external_id = p.ext)
    select l.id as line_id, l.order_id, l.line_no, o.external_id, o.currency, o.customer_id, l.sku, o.placed_at,
           l.quantity, l.paid,
           coalesce(c.qty, 0)::bigint as refunded_qty, coalesce(c.amount, 0)::bigint as refunded_amount
      from wanted w
      join orders o on o.id = w.order_id
      join order_lines l on l.order_id = w.order_id and upper(l.sku) = w.sku
      left join lateral (
        select sum(rl.quantity) as qty, sum(rl.consumed) as amount
          from refund_lines rl join refunds r on r.id = rl.refund_id
         where rl.order_line_id = l.id and r.status <> 'failed') c on true`.execute(tx);
  const orderIds = [...new Set(lines.rows.map((l) => l.order_id))];
  const shipping = orderIds.length
    ? await sql<{ id: number; left: number }>`
        select o.id, o.shipping_fee - coalesce((select sum(r.shipping_amount) from refunds r
                                                 where r.order_id = o.id and r.status <> 'failed'), 0) as left
          from orders o where o.id = any(${orderIds}::bigint[])`.execute(tx)
    : { rows: [] };
  return { lines: lines.rows, shipping: shipping.rows };
}

export interface ImportedCase {
  externalId: string;
  orderId: number;
  customerId: string | null;
  currency: string;
  at: string;
  goods: number;
  shipping: number;
  quote: unknown;
  note: string;
  data: unknown;
  items: { lineId: number; quantity: number; amount: number; consumed: number }[];
}

/**
 * Closed refund_only cases with their items, one timeline event each, and one succeeded refund each
 * with its per-line shares — all in one statement. The refund's key has the usual form
 * (AS<installation>C<case>R1), so it can never collide with one a live channel saw.
 */
export async function insertImportedCases(
  tx: Tx,
  shopId: string,
  installation: string,
  cases: readonly ImportedCase[],
  now: Date,
) {
  if (cases.length === 0) return 0;
  const c = <T>(f: (x: ImportedCase) => T) => cases.map(f);
  const items = cases.flatMap((k) => k.items.map((i) => ({ ext: k.externalId, ...i })));
  const i = <T>(f: (x: (typeof items)[number]) => T) => items.map(f);
  const r = await sql<{ n: number }>`
    with x as (
      select * from unnest(${c((k) => k.externalId)}::text[], ${c((k) => k.orderId)}::bigint[],
                           ${c((k) => k.customerId)}::text[], ${c((k) => k.currency)}::text[],
                           ${c((k) => k.at)}::timestamptz[], ${c((k) => k.goods)}::bigint[],
                           ${c((k) => k.shipping)}::bigint[], ${c((k) => JSON.stringify(k.quote))}::jsonb[],
                           ${c((k) => k.note)}::text[], ${c((k) => JSON.stringify(k.data))}::jsonb[])
               as x(ext, order_id, cust, cur, at, goods, shipping, quote, note, data)),
    y as (
      select * from unnest(${i((x) => x.ext)}::text[], ${i((x) => x.lineId)}::bigint[], ${i((x) => x.quantity)}::int[],
                           ${i((x) => x.amount)}::bigint[], ${i((x) => x.consumed)}::bigint[])
               as y(ext, line_id, qty, amount, consumed)),
    c as (
      insert into cases (order_id, shop_id, customer_id, external_id, type, status, reason, source, currency,
                         requested_amount, status_since, created_at, updated_at, tags)
      select x.order_id, ${shopId}, x.cust, x.ext, 'refund_only', 'closed', 'other', 'import', x.cur,
             x.goods + x.shipping, x.at, x.at, ${now}::timestamptz, '{imported}'
        from x
      returning id, external_id),
    items as (
      insert into case_items (case_id, order_line_id, quantity)
      select c.id, y.line_id, y.qty from y join c on c.external_id = y.ext),
    events as (
      insert into case_events (case_id, at, actor, action, from_status, to_status, note, data)
      select c.id, x.at, 'system:import', 'imported', null, 'closed', x.note, x.data
        from x join c on c.external_id = x.ext),
    r as (
      insert into refunds (case_id, order_id, payment_id, channel, currency, amount, goods_amount, shipping_amount,
                           idempotency_key, status, quote, grant_no, created_at, updated_at, succeeded_at)
      select c.id, x.order_id, null, 'offline', x.cur, x.goods + x.shipping, x.goods, x.shipping,
             'AS' || ${installation}::text || 'C' || c.id || 'R1', 'succeeded', x.quote, 1, x.at, ${now}::timestamptz, x.at
        from x join c on c.external_id = x.ext
      returning id, case_id),
    rl as (
      insert into refund_lines (refund_id, order_line_id, quantity, amount, consumed)
      select r.id, y.line_id, y.qty, y.amount, y.consumed
        from y join c on c.external_id = y.ext join r on r.case_id = c.id),
    -- The money that went back enters the finance ledger (and, through it, the analytics rollups).
    ledger as (
      insert into ledger_entries (source, kind, tender, case_id, order_id, refund_id, shop_id, reason, currency,
                                  amount, actor, occurred_at)
      select 'refund:' || r.id || ':' || k.part, 'refund_' || k.part, 'offline', r.case_id, x.order_id, r.id,
             ${shopId}, 'other', x.cur, k.amount, 'system:import', x.at
        from r join c on c.id = r.case_id join x on x.ext = c.external_id
       cross join lateral (values ('goods', x.goods), ('shipping', x.shipping)) as k(part, amount)
       where k.amount <> 0)
    select count(*)::int as n from c`.execute(tx);
  return r.rows[0]?.n ?? 0;
}

export interface OrphanRow {
  externalId: string;
  customerId: string | null;
  orderRef: string | null;
  kind: string;
  sku: string;
  title: string;
  quantity: number;
  unitPrice: number;
  amount: number;
  currency: string;
  reason: string;
  at: string;
}

export async function insertOrphans(tx: Tx, shopId: string, importId: number, rows: readonly OrphanRow[]) {
  if (rows.length === 0) return 0;
  const c = <T>(f: (x: OrphanRow) => T) => rows.map(f);
  const r = await sql<{ n: number }>`
    with ins as (
      insert into orphan_refunds (shop_id, external_id, import_id, customer_id, order_ref, kind, sku, title, quantity,
                                  unit_price, amount, currency, reason, refunded_at)
      select ${shopId}, x.ext, ${importId}, x.cust, x.ref, x.kind, x.sku, x.title, x.qty, x.price, x.amount, x.cur,
             x.reason, x.at
        from unnest(${c((o) => o.externalId)}::text[], ${c((o) => o.customerId)}::text[], ${c((o) => o.orderRef)}::text[],
                    ${c((o) => o.kind)}::text[], ${c((o) => o.sku)}::text[], ${c((o) => o.title)}::text[],
                    ${c((o) => o.quantity)}::int[], ${c((o) => o.unitPrice)}::bigint[], ${c((o) => o.amount)}::bigint[],
                    ${c((o) => o.currency)}::text[], ${c((o) => o.reason)}::text[], ${c((o) => o.at)}::timestamptz[])
               as x(ext, cust, ref, kind, sku, title, qty, price, amount, cur, reason, at)
      on conflict (shop_id, external_id) do nothing
      returning 1)
    select count(*)::int as n from ins`.execute(tx);
  return r.rows[0]?.n ?? 0;
}

/** What the order's after-sales status is derived from, for orders that just got refunds. */
export async function orderStatusInputs(
  tx: Tx,
  orderIds: readonly number[],
  openInterception: readonly string[],
) {
  if (orderIds.length === 0) return [];
  const r = await sql<{
    id: number;
    refunded_total: number;
    paid_total: number;
    aftersales_status: string;
    statuses: string[];
    open_interception: boolean;
  }>`
    select o.id, o.refunded_total, o.paid_total, o.aftersales_status,
           array(select c.status from cases c where c.order_id = o.id) as statuses,
           exists (select 1 from interceptions i where i.order_id = o.id
                      and i.status = any(${openInterception}::text[])) as open_interception
      from orders o where o.id = any(${orderIds}::bigint[])`.execute(tx);
  return r.rows;
}

export async function updateOrderRefunds(
  tx: Tx,
  rows: readonly { id: number; refundedTotal: number; status: string }[],
  now: Date,
) {
  if (rows.length === 0) return;
  await sql`
    update orders o set refunded_total = x.total, aftersales_status = x.status, updated_at = ${now}::timestamptz,
                        version = o.version + 1
      from unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.refundedTotal)}::bigint[],
                  ${rows.map((r) => r.status)}::text[]) as x(id, total, status)
     where o.id = x.id`.execute(tx);
}
