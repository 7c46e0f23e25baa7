import { sql } from "kysely";
import { AppError } from "../domain/errors.ts";
import {
  applyDelta,
  type Balance,
  type BUCKETS,
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

/**
 * Apply movements exactly once each, with their balances, inside the caller's transaction. Each balance
 * row is locked first (in a fixed order, so two transactions never wait on each other crosswise); a
 * movement whose source is already in the ledger is skipped (a retry, or a concurrent twin that won).
 * INSUFFICIENT_STOCK rolls the caller's whole transaction back. Returns how many were new.
 */
export async function applyMovements(tx: Tx, movements: readonly Movement[]): Promise<number> {
  const sorted = movements
    .filter((m) => !isEmptyDelta(m.delta))
    .toSorted((a, b) => a.warehouse.localeCompare(b.warehouse) || a.sku.localeCompare(b.sku));
  let applied = 0;
  for (const m of sorted) {
    // Lock the balance row (creating it if new) and read it, with the backorder setting that applies.
    const row = (
      await sql<Balance & { allow: boolean }>`
        insert into inventory_balances as b (warehouse_id, sku) values (${m.warehouse}, ${m.sku})
        on conflict (warehouse_id, sku) do update set updated_at = b.updated_at
        returning b.sellable, b.quarantine, b.defective, b.scrapped, b.returned_to_vendor,
                  coalesce(b.allow_backorder,
                           (select w.allow_backorder from warehouses w where w.id = b.warehouse_id)) as allow`.execute(
        tx,
      )
    ).rows[0] as Balance & { allow: boolean };
    // Under that lock: a source already in the ledger is a retry, or a concurrent twin that won.
    const d = (b: (typeof BUCKETS)[number]) => m.delta[b] ?? 0;
    const inserted = await sql`
      insert into inventory_movements (source_kind, source_key, warehouse_id, sku, sellable, quarantine, defective,
                                       scrapped, returned_to_vendor, case_id, actor, note, at)
      values (${m.kind}, ${m.key}, ${m.warehouse}, ${m.sku}, ${d("sellable")}, ${d("quarantine")}, ${d("defective")},
              ${d("scrapped")}, ${d("returned_to_vendor")}, ${m.caseId ?? null}, ${m.actor}, ${m.note ?? null}, ${m.at})
      on conflict (source_kind, source_key) do nothing
      returning id`.execute(tx);
    if (inserted.rows.length === 0) continue;
    // Only a replacement going out may backorder; a count or a QC move says what is physically there.
    // Refusing here throws, which rolls the movement back with the rest of the caller's transaction.
    const allowBackorder = row.allow && BACKORDERS.includes(m.kind);
    const next = applyDelta(row, m.delta, { sku: m.sku, warehouse: m.warehouse, allowBackorder });
    await sql`update inventory_balances
                 set sellable = ${next.sellable}, quarantine = ${next.quarantine}, defective = ${next.defective},
                     scrapped = ${next.scrapped}, returned_to_vendor = ${next.returned_to_vendor}, updated_at = ${m.at}
               where warehouse_id = ${m.warehouse} and sku = ${m.sku}`.execute(tx);
    applied++;
  }
  return applied;
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
    .selectFrom("inventory_balances as b")
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
