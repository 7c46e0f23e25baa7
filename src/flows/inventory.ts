import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { BUCKETS, type Bucket, type Delta, validateWarehouseId } from "../domain/inventory.ts";
import { applyMovements, findWarehouse, foldBalances, resolveWarehouse } from "../store/inventory.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/** Warehouses, backorder settings and stock counts (盘点) — the ledger's own writes. */

export async function createWarehouse(
  ctx: FlowContext,
  input: { id: string; name: string; allowBackorder?: boolean },
) {
  const id = validateWarehouseId(input.id);
  const name = input.name?.trim();
  if (!name) fail("INVALID_WAREHOUSE", "A warehouse has a name");
  const row = await ctx.db
    .insertInto("warehouses")
    .values({ id, name, allow_backorder: input.allowBackorder ?? false })
    .onConflict((oc) => oc.column("id").doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ?? fail("WAREHOUSE_EXISTS", `Warehouse ${id} already exists`, { warehouse: id });
}

/** Rename, switch backorder, or make this the default warehouse (one default at a time). */
export async function updateWarehouse(
  ctx: FlowContext,
  id: string,
  input: { name?: string; allowBackorder?: boolean; isDefault?: true },
) {
  return ctx.db.transaction().execute(async (tx) => {
    if (!(await findWarehouse(tx, id)))
      fail("WAREHOUSE_NOT_FOUND", `Warehouse ${id} does not exist`, { warehouse: id });
    if (input.isDefault)
      await tx.updateTable("warehouses").set({ is_default: false }).where("is_default", "=", true).execute();
    return tx
      .updateTable("warehouses")
      .set({
        ...(input.name?.trim() ? { name: input.name.trim() } : {}),
        ...(input.allowBackorder !== undefined ? { allow_backorder: input.allowBackorder } : {}),
        ...(input.isDefault ? { is_default: true } : {}),
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** A SKU's own backorder setting in a warehouse; null goes back to the warehouse's. */
export async function setSkuBackorder(
  ctx: FlowContext,
  input: { sku: string; warehouse?: string; allowBackorder: boolean | null },
) {
  const sku = input.sku?.trim();
  if (!sku) fail("INVALID_SKU", "Name the SKU");
  return ctx.db.transaction().execute(async (tx) => {
    const warehouse = await resolveWarehouse(tx, input.warehouse);
    await sql`insert into inventory_balances (warehouse_id, sku, allow_backorder) values (${warehouse}, ${sku}, ${input.allowBackorder})
              on conflict (warehouse_id, sku) do update set allow_backorder = excluded.allow_backorder`.execute(
      tx,
    );
    return { warehouse, sku, allowBackorder: input.allowBackorder };
  });
}

export interface AdjustmentInput {
  sku: string;
  warehouse?: string;
  /** Signed changes per bucket, e.g. { sellable: 20 } for goods counted in. */
  delta: Delta;
  /** The count sheet's or document's id: the same key never adjusts twice. */
  key: string;
  note?: string;
}

/**
 * 库存调整: stock counted in or out (opening stock, a count, a purchase receipt). Keyed by the caller's
 * document id, so a retried request adjusts once; no bucket may go below zero by it.
 */
export async function adjustStock(ctx: FlowContext, actor: Actor, input: AdjustmentInput) {
  const sku = input.sku?.trim();
  if (!sku) fail("INVALID_SKU", "Name the SKU");
  const key = input.key?.trim();
  if (!key) fail("KEY_REQUIRED", "An adjustment is keyed by its document (count sheet, receipt) id");
  for (const [b, v] of Object.entries(input.delta ?? {})) {
    if (!BUCKETS.includes(b as Bucket)) fail("INVALID_BUCKET", `Unknown stock bucket "${b}"`, { bucket: b });
    if (!Number.isSafeInteger(v)) fail("INVALID_QUANTITY", "Adjustments are whole units");
  }
  return ctx.db.transaction().execute(async (tx) => {
    const warehouse = await resolveWarehouse(tx, input.warehouse);
    const applied = await applyMovements(tx, [
      {
        kind: "adjustment",
        key,
        warehouse,
        sku,
        delta: input.delta,
        actor: actorName(actor),
        note: input.note ?? null,
        at: ctx.now(),
      },
    ]);
    return { warehouse, sku, applied: applied === 1 };
  });
}

/** Stock deltas one fold transaction takes. */
const FOLD_BATCH = 5000;

/**
 * Add the movements' waiting deltas into the balance rows, batch after batch, until none wait (or
 * `maxBatches` were folded). What anyone reads as stock is exact either way (inventory_stock); this keeps
 * the deltas few. Returns how many were folded.
 */
export async function foldStock(ctx: FlowContext, maxBatches = 20): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await ctx.db.transaction().execute((tx) => foldBalances(tx, FOLD_BATCH));
    total += n;
    if (n < FOLD_BATCH) break;
  }
  return total;
}
