import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { expect } from "vitest";
import type { CaseType, ReasonCode } from "../../src/domain/catalogue.ts";
import { type Balance, BUCKETS, EMPTY_BALANCE } from "../../src/domain/inventory.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { foldStock } from "../../src/flows/inventory.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { recordReturnShipment } from "../../src/flows/shipments.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { placeOrder, REVIEWER } from "./fixtures.ts";

/** SKUs no other test uses, so matching by barcode sees only this test's cases. */
export const freshSkus = () => {
  const tag = randomBytes(4).toString("hex").toUpperCase();
  return { tee: `TEE-${tag}`, cap: `CAP-${tag}` };
};

/**
 * An approved return case on a sample order (2 × tee at 99.00, 1 × cap at 59.90, 20.00 coupon), with
 * its own SKUs; `tracking` records the buyer's return parcel.
 */
export async function returnCase(
  ctx: FlowContext,
  opts: {
    skus?: { tee: string; cap: string };
    reason?: ReasonCode;
    type?: CaseType;
    tracking?: string;
    items?: "all" | "tee" | "cap";
  } = {},
) {
  const skus = opts.skus ?? freshSkus();
  const { orderId, lines } = await placeOrder(ctx, {
    lines: [
      { externalId: "L1", sku: skus.tee, title: "T恤", quantity: 2, unitPrice: "99.00" },
      { externalId: "L2", sku: skus.cap, title: "棒球帽", quantity: 1, unitPrice: "59.90" },
    ],
  });
  const [tee, cap] = lines as [(typeof lines)[number], (typeof lines)[number]];
  const which = opts.items ?? "all";
  const items = [
    ...(which !== "cap" ? [{ lineId: tee.id, quantity: 2 }] : []),
    ...(which !== "tee" ? [{ lineId: cap.id, quantity: 1 }] : []),
  ];
  const { id } = await submitCase(ctx, REVIEWER, {
    orderId,
    type: opts.type ?? "return_refund",
    reason: opts.reason ?? "changed_mind",
    source: "chat",
    items,
  });
  await approveCase(ctx, REVIEWER, id);
  if (opts.tracking)
    await recordReturnShipment(ctx, REVIEWER, id, { carrier: "SF", trackingNo: opts.tracking });
  return { id, orderId, tee, cap, skus };
}

export const trackingNo = () => `SF${randomBytes(5).toString("hex").toUpperCase()}`;

export async function stock(ctx: FlowContext, sku: string, warehouse = "default"): Promise<Balance> {
  const row = await ctx.db
    .selectFrom("inventory_stock")
    .select([...BUCKETS])
    .where("sku", "=", sku)
    .where("warehouse_id", "=", warehouse)
    .executeTakeFirst();
  return row ?? { ...EMPTY_BALANCE };
}

export const movementsOf = (ctx: FlowContext, sku: string) =>
  ctx.db.selectFrom("inventory_movements").selectAll().where("sku", "=", sku).orderBy("id").execute();

/**
 * Every exact stock (balance with its waiting deltas) equals the sum of its movements — the ledger's one
 * invariant; and once the stock fold job has run, every balance row alone does.
 */
export async function expectLedgerBalanced(ctx: FlowContext) {
  await expectStockIs(ctx, "inventory_stock");
  await foldStock(ctx);
  await expectStockIs(ctx, "inventory_balances");
}

async function expectStockIs(ctx: FlowContext, table: "inventory_stock" | "inventory_balances") {
  const { rows } = await sql<Record<string, number | string | null>>`
    select b.*, ${sql.join(BUCKETS.map((k) => sql`m.${sql.ref(k)} as ${sql.ref(`m_${k}`)}`))}
      from ${sql.table(table)} b
      left join (select warehouse_id, sku, ${sql.join(BUCKETS.map((k) => sql`sum(${sql.ref(k)}) as ${sql.ref(k)}`))}
                   from inventory_movements group by 1, 2) m
        on m.warehouse_id = b.warehouse_id and m.sku = b.sku`.execute(ctx.db);
  for (const r of rows) {
    for (const b of BUCKETS) expect([r.sku, b, Number(r[b])]).toEqual([r.sku, b, Number(r[`m_${b}`] ?? 0)]);
  }
}
