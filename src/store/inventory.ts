import { sql } from "kysely";
import { AppError } from "../domain/errors.ts";
import {
  applyDelta,
  type Balance,
  BUCKETS,
  type Bucket,
  type Delta,
  isEmptyDelta,
  type SourceKind,
} from "../domain/inventory.ts";
import type { Tx } from "./orders.ts";

/** Warehouses, stock balances and the inventory ledger (库存台账). */

const BACKORDERS: readonly SourceKind[] = ["reship", "exchange"];

export interface Movement {
  kind: SourceKind;
  /** With `kind`, the movement's identity: the same source never moves stock twice. */
  key: string;
  warehouse: string;
  sku: string;
  delta: Delta;
  caseId?: number | null;
  actor: string;
  note?: string | null;
  at: Date;
}

export const listWarehouses = (db: Tx) => db.selectFrom("warehouses").selectAll().orderBy("id").execute();

export const findWarehouse = (db: Tx, id: string) =>
  db.selectFrom("warehouses").selectAll().where("id", "=", id).executeTakeFirst();

export const defaultWarehouse = (db: Tx) =>
  db.selectFrom("warehouses").selectAll().where("is_default", "=", true).executeTakeFirstOrThrow();

/** The warehouse asked for, or the default one; an unknown code is WAREHOUSE_NOT_FOUND. */
export async function resolveWarehouse(db: Tx, id?: string | null): Promise<string> {
  if (!id) return (await defaultWarehouse(db)).id;
  const w = await findWarehouse(db, id);
  if (!w) throw new AppError("WAREHOUSE_NOT_FOUND", `Warehouse ${id} does not exist`, { warehouse: id });
  return w.id;
}

/** The advisory-lock namespace of per-SKU stock locks (the other key is the SKU's hash). */
const STOCK_LOCK = 7301;

const takes = (m: Movement) => BUCKETS.some((b) => (m.delta[b] ?? 0) < 0);
/** Two names as one string: a warehouse code (or a source kind) holds no tab; what follows may. */
const keyOf = (first: string, second: string) => `${first}\t${second}`;
const split = (k: string) => [k.slice(0, k.indexOf("\t")), k.slice(k.indexOf("\t") + 1)] as const;

/**
 * Apply movements exactly once each, inside the caller's transaction: each is appended to the ledger
 * with its delta (the stock fold job adds deltas into the balances later), and a movement whose source
 * is already in the ledger is skipped (a retry, or a concurrent twin that won). Adding stock waits on
 * nobody. Taking stock is checked against the exact stock (balance + waiting deltas) under a per-SKU
 * lock, so two takers never both spend the same units: exclusive for reships, exchanges and
 * adjustments; shared for inspections, which only move units their own case's receipt put in
 * quarantine (bounded under the case lock), so inspections of one SKU never wait on each other.
 * INSUFFICIENT_STOCK (or NEGATIVE_STOCK) rolls the caller's whole transaction back. Returns how many
 * were new.
 */
export async function applyMovements(tx: Tx, movements: readonly Movement[]): Promise<number> {
  const moves = movements
    .filter((m) => !isEmptyDelta(m.delta))
    .toSorted((a, b) => a.warehouse.localeCompare(b.warehouse) || a.sku.localeCompare(b.sku));
  if (moves.length === 0) return 0;
  const taking = moves.filter(takes);
  const checked = [...new Set(taking.map((m) => keyOf(m.warehouse, m.sku)))].sort();
  if (checked.length > 0) {
    const exclusive = taking.some((m) => m.kind !== "inspection");
    // In key order, so two transactions never wait on each other crosswise; a lock taken in its own
    // statement, so the read below (a later snapshot) sees every taker that committed before us.
    await sql`select ${exclusive ? sql`pg_advisory_xact_lock` : sql`pg_advisory_xact_lock_shared`}(${STOCK_LOCK}, hashtext(k))
                from unnest(${checked}::text[]) as k order by k`.execute(tx);
  }
  const col = <T>(f: (m: Movement) => T) => moves.map(f);
  const d = (b: Bucket) => col((m) => m.delta[b] ?? 0);
  // One round trip: the movements (new ones only), their deltas, a balance row for a SKU new to the
  // warehouse, and — for the SKUs taken from — the exact stock as it was before these movements.
  const { rows } = await sql<
    | { what: "new"; kind: string; key: string; warehouse: string; sku: string }
    | ({ what: "stock"; warehouse: string; sku: string; allow: boolean } & Balance)
  >`
    with input as (
      select * from unnest(${col((m) => m.kind)}::text[], ${col((m) => m.key)}::text[],
                           ${col((m) => m.warehouse)}::text[], ${col((m) => m.sku)}::text[],
                           ${d("sellable")}::int[], ${d("quarantine")}::int[], ${d("defective")}::int[],
                           ${d("scrapped")}::int[], ${d("returned_to_vendor")}::int[],
                           ${col((m) => m.caseId ?? null)}::bigint[], ${col((m) => m.actor)}::text[],
                           ${col((m) => m.note ?? null)}::text[], ${col((m) => m.at)}::timestamptz[])
        as t(kind, key, warehouse, sku, sellable, quarantine, defective, scrapped, returned_to_vendor,
             case_id, actor, note, at)
    ), m as (
      insert into inventory_movements (source_kind, source_key, warehouse_id, sku, sellable, quarantine,
                                       defective, scrapped, returned_to_vendor, case_id, actor, note, at)
      select * from input
      on conflict (source_kind, source_key) do nothing
      returning source_kind, source_key, warehouse_id, sku, sellable, quarantine, defective, scrapped,
                returned_to_vendor, at
    ), deltas as (
      insert into inventory_deltas (warehouse_id, sku, sellable, quarantine, defective, scrapped,
                                    returned_to_vendor, at)
      select warehouse_id, sku, sellable, quarantine, defective, scrapped, returned_to_vendor, at from m
    ), balances as (
      insert into inventory_balances (warehouse_id, sku)
      select distinct warehouse_id, sku from m order by 1, 2
      on conflict (warehouse_id, sku) do nothing
    )
    select 'new' as what, source_kind as kind, source_key as key, warehouse_id as warehouse, sku,
           null::bigint as sellable, null::bigint as quarantine, null::bigint as defective,
           null::bigint as scrapped, null::bigint as returned_to_vendor, null::boolean as allow
      from m
    union all
    select 'stock', null, null, w.id, k.sku, coalesce(s.sellable, 0), coalesce(s.quarantine, 0),
           coalesce(s.defective, 0), coalesce(s.scrapped, 0), coalesce(s.returned_to_vendor, 0),
           coalesce(s.allow_backorder, w.allow_backorder)
      from unnest(${checked.map((k) => split(k)[0])}::text[],
                  ${checked.map((k) => split(k)[1])}::text[]) as k(warehouse, sku)
      join warehouses w on w.id = k.warehouse
      left join inventory_stock s on s.warehouse_id = k.warehouse and s.sku = k.sku`.execute(tx);
  const fresh = new Set(rows.flatMap((r) => (r.what === "new" ? [keyOf(r.kind, r.key)] : [])));
  // Under the lock: what the new movements take, against the stock before them, by the domain's rules.
  for (const r of rows) {
    if (r.what !== "stock") continue;
    const mine = taking.filter(
      (m) => m.warehouse === r.warehouse && m.sku === r.sku && fresh.has(keyOf(m.kind, m.key)),
    );
    let balance: Balance = r;
    for (const m of mine) {
      // Only a replacement going out may backorder; a count or a QC move says what is physically there.
      const allowBackorder = r.allow && BACKORDERS.includes(m.kind);
      balance = applyDelta(balance, m.delta, { sku: m.sku, warehouse: m.warehouse, allowBackorder });
    }
  }
  return fresh.size;
}

/**
 * Stock is the merchant's, shared by its shops; a caller limited to some shops sees the SKUs those
 * shops sell, and the movements of their cases (or of no case, for such a SKU).
 */
const soldIn = (shops: readonly string[], sku: ReturnType<typeof sql.ref>) =>
  sql<boolean>`exists (select 1 from order_lines l join orders o on o.id = l.order_id
                        where l.sku = ${sku} and o.shop_id = any(${[...shops]}::text[]))`;

export interface BalanceFilter {
  shops?: readonly string[] | null;
  sku?: string;
  warehouse?: string;
  /** Keyset cursor: the last row of the previous page, "warehouse/sku". */
  after?: { warehouse: string; sku: string };
  limit: number;
}

export async function listBalances(db: Tx, f: BalanceFilter) {
  let q = db
    .selectFrom("inventory_stock as b")
    .innerJoin("warehouses as w", "w.id", "b.warehouse_id")
    .select([
      "b.warehouse_id",
      "b.sku",
      "b.sellable",
      "b.quarantine",
      "b.defective",
      "b.scrapped",
      "b.returned_to_vendor",
      "b.allow_backorder",
      "w.allow_backorder as warehouse_allows_backorder",
      "b.updated_at",
    ])
    .orderBy("b.warehouse_id")
    .orderBy("b.sku")
    .limit(f.limit + 1);
  if (f.shops) q = q.where(soldIn(f.shops, sql.ref("b.sku")));
  if (f.sku) q = q.where("b.sku", "=", f.sku);
  if (f.warehouse) q = q.where("b.warehouse_id", "=", f.warehouse);
  if (f.after) {
    const a = f.after;
    q = q.where(sql<boolean>`(b.warehouse_id, b.sku) > (${a.warehouse}, ${a.sku})`);
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  const last = page.at(-1);
  return { items: page, next: more && last ? { warehouse: last.warehouse_id, sku: last.sku } : undefined };
}

export interface MovementFilter {
  shops?: readonly string[] | null;
  sku?: string;
  warehouse?: string;
  sourceKind?: string;
  sourceKey?: string;
  caseId?: number;
  from?: Date;
  to?: Date;
  /** Keyset cursor: the last id of the previous page (newest first). */
  cursor?: number;
  limit: number;
}

export async function listMovements(db: Tx, f: MovementFilter) {
  let q = db
    .selectFrom("inventory_movements")
    .selectAll()
    .orderBy("id", "desc")
    .limit(f.limit + 1);
  const shops = f.shops;
  if (shops) {
    q = q.where((eb) =>
      eb.or([
        eb(
          "case_id",
          "in",
          eb
            .selectFrom("cases")
            .select("id")
            .where("shop_id", "in", shops.length ? [...shops] : [""]),
        ),
        eb.and([eb("case_id", "is", null), soldIn(shops, sql.ref("inventory_movements.sku"))]),
      ]),
    );
  }
  if (f.sku) q = q.where("sku", "=", f.sku);
  if (f.warehouse) q = q.where("warehouse_id", "=", f.warehouse);
  if (f.sourceKind) q = q.where("source_kind", "=", f.sourceKind);
  if (f.sourceKey) q = q.where("source_key", "=", f.sourceKey);
  if (f.caseId !== undefined) q = q.where("case_id", "=", f.caseId);
  if (f.from) q = q.where("at", ">=", f.from);
  if (f.to) q = q.where("at", "<", f.to);
  if (f.cursor !== undefined) q = q.where("id", "<", f.cursor);
  const rows = await q.execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.id : undefined };
}

/** A case's receipt lines with what is still to inspect, oldest first. */
export const caseReceiptLines = (db: Tx, caseId: number) =>
  db
    .selectFrom("receipt_lines as rl")
    .innerJoin("receipts as r", "r.id", "rl.receipt_id")
    .select([
      "rl.id",
      "rl.receipt_id",
      "rl.order_line_id",
      "rl.sku",
      "rl.quantity",
      "rl.condition",
      "rl.photos",
      "rl.stocked",
      "rl.quality_hold",
      "rl.inspected",
      "r.warehouse_id",
      "r.received_at",
    ])
    .where("rl.case_id", "=", caseId)
    .orderBy("rl.id")
    .execute();

export const caseInspections = (db: Tx, caseId: number) =>
  db.selectFrom("inspections").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

/** Add up to `batch` waiting stock deltas into the balances (migration 022's inventory_fold); how many. */
export async function foldBalances(db: Tx, batch: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`select inventory_fold(${batch}::int) as n`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
