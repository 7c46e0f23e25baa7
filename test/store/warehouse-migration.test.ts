import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectReturn, receiveReturn } from "../../src/flows/receive-return.ts";
import { migrate } from "../../src/store/migrate.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { WAREHOUSE } from "../support/fixtures.ts";
import { expectLedgerBalanced, movementsOf, returnCase, stock } from "../support/warehouse.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

/**
 * Take the database back to before 010_warehouse.sql, keeping the receipts rows as they were then (and
 * without 022's stock deltas, which build on 010's tables; migrate applies both again).
 */
async function rewind() {
  for (const stmt of [
    "DROP VIEW inventory_stock",
    "DROP TABLE inventory_deltas",
    "DROP FUNCTION inventory_fold(integer)",
    "DELETE FROM schema_migrations WHERE name = '022_inventory_deltas.sql'",
    "DROP TABLE inventory_movements, inventory_balances, unidentified_parcels, inspections, receipt_lines",
    "DROP INDEX receipts_key_idx",
    `ALTER TABLE receipts DROP COLUMN warehouse_id, DROP COLUMN key, DROP COLUMN scanned, DROP COLUMN carrier,
       DROP COLUMN tracking_no, DROP COLUMN photos, DROP COLUMN received_by`,
    "DROP TABLE warehouses",
    "DELETE FROM schema_migrations WHERE name = '010_warehouse.sql'",
  ])
    await sql.raw(stmt).execute(env.ctx.db);
}

describe("010_warehouse on existing receipts", () => {
  it("spreads them over the case's items, keeps their QC, and starts the ledger from them", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { reason: "changed_mind" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 1, condition: "intact" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 2, condition: "damaged" });
    const empty = await returnCase(ctx, { items: "cap" });
    await receiveReturn(ctx, WAREHOUSE, empty.id, { quantity: 1, condition: "empty_box" });
    await rewind();
    // As the old flow left them: the first receipt of the case inspected, and the empty box failed.
    const [first] = await sql<{ id: number }>`select id from receipts where case_id = ${c.id} order by id`
      .execute(ctx.db)
      .then((r) => r.rows);
    await sql`update receipts set qc_result = 'pass', inspected_at = received_at where id = ${first?.id}`.execute(
      ctx.db,
    );
    await sql`update receipts set qc_result = 'fail', qc_note = '空包', inspected_at = received_at
               where case_id = ${empty.id}`.execute(ctx.db);

    expect(await migrate(ctx.db)).toEqual(["010_warehouse.sql", "022_inventory_deltas.sql"]);

    const lines = await ctx.db
      .selectFrom("receipt_lines")
      .select(["receipt_id", "order_line_id", "quantity", "condition", "stocked", "inspected"])
      .where("case_id", "in", [c.id, empty.id])
      .orderBy("id")
      .execute();
    expect(lines.map((l) => [l.order_line_id, l.quantity, l.condition, l.stocked, l.inspected])).toEqual([
      [c.tee.id, 1, "intact", true, 1],
      [c.tee.id, 1, "damaged", true, 0],
      [c.cap.id, 1, "damaged", true, 0],
      [empty.cap.id, 1, "empty_box", false, 1],
    ]);
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ sellable: 1, quarantine: 1 });
    expect(await stock(ctx, c.skus.cap)).toMatchObject({ sellable: 0, quarantine: 1 });
    expect(await movementsOf(ctx, empty.skus.cap)).toEqual([]);
    await expectLedgerBalanced(ctx);

    // The case carries on under the new flows.
    expect((await inspectReturn(ctx, WAREHOUSE, c.id, { result: "pass" })).status).toBe("inspected");
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ sellable: 2, quarantine: 0 });
    expect(await stock(ctx, c.skus.cap)).toMatchObject({ sellable: 1, quarantine: 0 });
    const receipts = await ctx.db.selectFrom("receipts").selectAll().where("case_id", "=", c.id).execute();
    expect(receipts.every((r) => r.warehouse_id === "default" && r.qc_result === "pass")).toBe(true);
    await expectLedgerBalanced(ctx);
  });
});
