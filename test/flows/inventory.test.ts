import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectLines } from "../../src/flows/inspect-return.ts";
import {
  adjustStock,
  createWarehouse,
  foldStock,
  setSkuBackorder,
  updateWarehouse,
} from "../../src/flows/inventory.ts";
import { receiveReturn } from "../../src/flows/receive-return.ts";
import { shipReplacement } from "../../src/flows/shipments.ts";
import { findCase } from "../../src/store/cases.ts";
import { applyMovements, caseReceiptLines } from "../../src/store/inventory.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { codeOf, snapshot, WAREHOUSE } from "../support/fixtures.ts";
import { expectLedgerBalanced, freshSkus, movementsOf, returnCase, stock } from "../support/warehouse.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
  await createWarehouse(env.ctx, { id: "sh-01", name: "上海仓" });
});
afterAll(() => env.close());

const reshipCase = (skus: { tee: string; cap: string }, type: "reship" | "exchange" = "reship") =>
  returnCase(env.ctx, { skus, type, reason: type === "reship" ? "missing_item" : "size_fit", items: "tee" });
const parcel = (n: string) => ({ carrier: "ZTO", trackingNo: `ZTO-${n}` });

describe("replacements take sellable stock", () => {
  it("a reship with no stock is INSUFFICIENT_STOCK and changes nothing", async () => {
    const { ctx } = env;
    const skus = freshSkus();
    const c = await reshipCase(skus);
    const before = { db: await snapshot(ctx), stock: await stock(ctx, skus.tee, "sh-01") };
    expect(await codeOf(shipReplacement(ctx, WAREHOUSE, c.id, { ...parcel("1"), warehouse: "sh-01" }))).toBe(
      "INSUFFICIENT_STOCK",
    );
    expect({ db: await snapshot(ctx), stock: await stock(ctx, skus.tee, "sh-01") }).toEqual(before);
    expect(await movementsOf(ctx, skus.tee)).toEqual([]);
    expect((await findCase(ctx.db, c.id))?.status).toBe("approved");

    // Counted in: now it ships, once.
    await adjustStock(ctx, WAREHOUSE, {
      sku: skus.tee,
      warehouse: "sh-01",
      delta: { sellable: 3 },
      key: "count-1",
    });
    await adjustStock(ctx, WAREHOUSE, {
      sku: skus.tee,
      warehouse: "sh-01",
      delta: { sellable: 3 },
      key: "count-1",
    });
    expect(await stock(ctx, skus.tee, "sh-01")).toMatchObject({ sellable: 3 });
    expect((await shipReplacement(ctx, WAREHOUSE, c.id, { ...parcel("2"), warehouse: "sh-01" })).status).toBe(
      "replacement_shipped",
    );
    expect(await stock(ctx, skus.tee, "sh-01")).toMatchObject({ sellable: 1 });
    expect((await movementsOf(ctx, skus.tee)).map((m) => [m.source_kind, m.source_key, m.sellable])).toEqual([
      ["adjustment", "count-1", 3],
      ["reship", `${c.id}:${c.tee.id}`, -2],
    ]);
    await expectLedgerBalanced(ctx);
  });

  it("backorder is per warehouse, and a SKU's own setting wins", async () => {
    const { ctx } = env;
    const skus = freshSkus();
    // The default warehouse allows backorder (stock is not counted in yet): the reship goes out.
    const a = await reshipCase(skus);
    await shipReplacement(ctx, WAREHOUSE, a.id, parcel("a"));
    expect(await stock(ctx, skus.tee)).toMatchObject({ sellable: -2 });
    // This SKU may not backorder there.
    await setSkuBackorder(ctx, { sku: skus.tee, allowBackorder: false });
    const b = await reshipCase(skus);
    expect(await codeOf(shipReplacement(ctx, WAREHOUSE, b.id, parcel("b")))).toBe("INSUFFICIENT_STOCK");
    // …and a SKU allowed to backorder in a strict warehouse ships.
    await setSkuBackorder(ctx, { sku: skus.tee, warehouse: "sh-01", allowBackorder: true });
    expect((await shipReplacement(ctx, WAREHOUSE, b.id, { ...parcel("b"), warehouse: "sh-01" })).status).toBe(
      "replacement_shipped",
    );
    expect(await stock(ctx, skus.tee, "sh-01")).toMatchObject({ sellable: -2 });
    // A stock count never takes a bucket below zero, backorder or not.
    expect(
      await codeOf(
        adjustStock(ctx, WAREHOUSE, { sku: skus.tee, delta: { sellable: -1 }, key: `neg-${skus.tee}` }),
      ),
    ).toBe("INSUFFICIENT_STOCK");
    expect(
      await codeOf(
        adjustStock(ctx, WAREHOUSE, { sku: skus.tee, delta: { defective: -1 }, key: `neg2-${skus.tee}` }),
      ),
    ).toBe("NEGATIVE_STOCK");
  });

  it("an exchange ships the variant asked for, from stock that passed QC", async () => {
    const { ctx } = env;
    const skus = freshSkus();
    const other = `${skus.tee}-L`;
    const c = await reshipCase(skus, "exchange");
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 2, condition: "intact", warehouse: "sh-01" });
    const [line] = await caseReceiptLines(ctx.db, c.id);
    await inspectLines(ctx, WAREHOUSE, c.id, { lines: [{ receiptLineId: line?.id ?? 0, result: "pass" }] });
    expect(await stock(ctx, skus.tee, "sh-01")).toMatchObject({ sellable: 2, quarantine: 0 });
    const swap = { ...parcel("x"), warehouse: "sh-01", replacements: [{ lineId: c.tee.id, sku: other }] };
    expect(await codeOf(shipReplacement(ctx, WAREHOUSE, c.id, swap))).toBe("INSUFFICIENT_STOCK");
    await adjustStock(ctx, WAREHOUSE, {
      sku: other,
      warehouse: "sh-01",
      delta: { sellable: 5 },
      key: `po-${other}`,
    });
    expect((await shipReplacement(ctx, WAREHOUSE, c.id, swap)).status).toBe("replacement_shipped");
    expect(await stock(ctx, other, "sh-01")).toMatchObject({ sellable: 3 });
    expect(await stock(ctx, skus.tee, "sh-01")).toMatchObject({ sellable: 2 });
    expect((await movementsOf(ctx, other)).at(-1)).toMatchObject({ source_kind: "exchange", case_id: c.id });
  });
});

describe("the ledger applies each movement exactly once", () => {
  it("under retries and under concurrency", async () => {
    const { ctx } = env;
    const { tee } = freshSkus();
    const m = {
      kind: "adjustment" as const,
      key: `twice-${tee}`,
      warehouse: "sh-01",
      sku: tee,
      delta: { sellable: 4 },
      actor: "user:test",
      at: new Date(),
    };
    const applied = await Promise.all(
      [1, 2, 3].map(() => ctx.db.transaction().execute((tx) => applyMovements(tx, [m]))),
    );
    expect(applied.reduce((a, n) => a + n, 0)).toBe(1);
    expect(await ctx.db.transaction().execute((tx) => applyMovements(tx, [m]))).toBe(0);
    expect(await stock(ctx, tee, "sh-01")).toMatchObject({ sellable: 4 });
    expect((await movementsOf(ctx, tee)).length).toBe(1);

    // Two people shipping the same reship at the same moment: one parcel, one movement.
    const skus = freshSkus();
    const c = await reshipCase(skus);
    const both = await Promise.allSettled([
      shipReplacement(ctx, WAREHOUSE, c.id, parcel("p1")),
      shipReplacement(ctx, WAREHOUSE, c.id, parcel("p1")),
    ]);
    expect(both.filter((r) => r.status === "fulfilled").length).toBe(1);
    expect((await movementsOf(ctx, skus.tee)).length).toBe(1);
    expect(await stock(ctx, skus.tee)).toMatchObject({ sellable: -2 });
    await expectLedgerBalanced(ctx);
  });

  it("replacements shipped at once never take more than is sellable, while the stock fold runs", async () => {
    const { ctx } = env;
    const skus = freshSkus();
    await adjustStock(ctx, WAREHOUSE, {
      sku: skus.tee,
      warehouse: "sh-01",
      delta: { sellable: 5 },
      key: "c",
    });
    // Eight cases of two tees each against five in a warehouse that does not backorder: two ship.
    const cases = [];
    for (let i = 0; i < 8; i++) cases.push(await reshipCase(skus));
    const shipped = await Promise.allSettled([
      ...cases.map((c, i) =>
        shipReplacement(ctx, WAREHOUSE, c.id, { ...parcel(`x${i}`), warehouse: "sh-01" }),
      ),
      foldStock(ctx),
      foldStock(ctx),
    ]);
    const outcomes = shipped
      .slice(0, cases.length)
      .map((r) => (r.status === "fulfilled" ? "shipped" : (r.reason as { code?: string }).code));
    expect(outcomes.filter((o) => o === "shipped").length).toBe(2);
    expect(outcomes.filter((o) => o === "INSUFFICIENT_STOCK").length).toBe(6);
    expect(await stock(ctx, skus.tee, "sh-01")).toMatchObject({ sellable: 1 });
    await expectLedgerBalanced(ctx);
  });
});

describe("warehouses", () => {
  it("can be created, switched and made the default", async () => {
    const { ctx } = env;
    expect(await codeOf(createWarehouse(ctx, { id: "sh-01", name: "again" }))).toBe("WAREHOUSE_EXISTS");
    expect(await codeOf(createWarehouse(ctx, { id: "bad id!", name: "x" }))).toBe("INVALID_WAREHOUSE");
    await createWarehouse(ctx, { id: "gz-02", name: "广州仓", allowBackorder: true });
    expect(await updateWarehouse(ctx, "gz-02", { allowBackorder: false })).toMatchObject({
      allow_backorder: false,
    });
    expect(await codeOf(updateWarehouse(ctx, "nowhere", { name: "x" }))).toBe("WAREHOUSE_NOT_FOUND");
  });
});

/**
 * Random sequences of receiving, inspecting, counting and reshipping one SKU in a warehouse without
 * backorder: sellable is exactly what was counted in plus what passed QC minus what shipped (so no
 * uninspected unit, quality-reason or not, is ever sellable), quarantine is exactly what arrived and
 * awaits QC, nothing goes below zero, and every balance is the sum of its movements.
 */
describe("stock never lies (property)", () => {
  it("holds for random receive / inspect / count / reship sequences", async () => {
    const { ctx } = env;
    const Step = fc.oneof(
      fc.record({
        op: fc.constant("receive" as const),
        which: fc.nat(1),
        condition: fc.constantFrom(
          "intact" as const,
          "damaged" as const,
          "empty_box" as const,
          "missing_parts" as const,
        ),
      }),
      fc.record({
        op: fc.constant("inspect" as const),
        which: fc.nat(1),
        pass: fc.boolean(),
        scrap: fc.boolean(),
      }),
      fc.record({ op: fc.constant("count" as const), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ op: fc.constant("reship" as const) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(Step, { minLength: 1, maxLength: 12 }), async (steps) => {
        run++;
        const skus = freshSkus();
        const W = "sh-01";
        const returns = [
          await returnCase(ctx, { skus, reason: "quality", items: "tee" }),
          await returnCase(ctx, { skus, reason: "changed_mind", items: "tee" }),
        ];
        const model = { counted: 0, shipped: 0 };
        for (const [i, s] of steps.entries()) {
          const before = await stock(ctx, skus.tee, W);
          if (s.op === "receive") {
            const c = returns[s.which] as (typeof returns)[number];
            await receiveReturn(ctx, WAREHOUSE, c.id, {
              quantity: 1,
              condition: s.condition,
              warehouse: W,
            }).catch((e) => expect(e.code).toBe("RECEIPT_EXCEEDS_CASE"));
          } else if (s.op === "inspect") {
            const c = returns[s.which] as (typeof returns)[number];
            const line = (await caseReceiptLines(ctx.db, c.id)).find((x) => x.inspected < x.quantity);
            if (line) {
              await inspectLines(ctx, WAREHOUSE, c.id, {
                lines: [
                  s.pass && line.stocked
                    ? { receiptLineId: line.id, quantity: 1, result: "pass" }
                    : {
                        receiptLineId: line.id,
                        quantity: 1,
                        result: "fail",
                        ...(s.scrap ? { disposition: "scrap" as const } : {}),
                      },
                ],
              });
            }
          } else if (s.op === "count") {
            await adjustStock(ctx, WAREHOUSE, {
              sku: skus.tee,
              warehouse: W,
              delta: { sellable: s.n },
              key: `prop-${run}-${i}-${skus.tee}`,
            });
            model.counted += s.n;
          } else {
            const c = await reshipCase(skus);
            const shipped = await shipReplacement(ctx, WAREHOUSE, c.id, {
              ...parcel(`${run}-${i}`),
              warehouse: W,
            })
              .then(() => true)
              .catch((e) => {
                expect(e.code).toBe("INSUFFICIENT_STOCK");
                return false;
              });
            // It ships exactly when two units were sellable.
            expect(shipped).toBe(before.sellable >= 2);
            if (shipped) model.shipped += 2;
          }
          const now = await stock(ctx, skus.tee, W);
          const passed = await ctx.db
            .selectFrom("inspections as q")
            .innerJoin("receipt_lines as rl", "rl.id", "q.receipt_line_id")
            .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("q.quantity"), eb.lit(0)).as("n"))
            .where("rl.sku", "=", skus.tee)
            .where("q.result", "=", "pass")
            .executeTakeFirstOrThrow();
          const waiting = await ctx.db
            .selectFrom("receipt_lines")
            .select((eb) =>
              eb.fn.coalesce(eb.fn.sum<number>(eb("quantity", "-", eb.ref("inspected"))), eb.lit(0)).as("n"),
            )
            .where("sku", "=", skus.tee)
            .where("stocked", "=", true)
            .executeTakeFirstOrThrow();
          expect(now.sellable).toBe(model.counted + Number(passed.n) - model.shipped);
          expect(now.quarantine).toBe(Number(waiting.n));
          for (const v of Object.values(now)) expect(v).toBeGreaterThanOrEqual(0);
        }
        await expectLedgerBalanced(ctx);
      }),
      { numRuns: 20 },
    );
    // Twenty sequences of real flows: seconds each on a loaded machine.
  }, 120_000);
});
