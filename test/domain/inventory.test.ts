import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FINDING_CODES, type InspectedUnits, recommendRefund } from "../../src/domain/inspection.ts";
import {
  applyDelta,
  type Balance,
  BUCKETS,
  type Delta,
  DISPOSITIONS,
  EMPTY_BALANCE,
  inspectionDelta,
  receiptDelta,
  shipmentDelta,
  sumDeltas,
} from "../../src/domain/inventory.ts";

const where = (allowBackorder: boolean) => ({ sku: "SKU", warehouse: "default", allowBackorder });

/** A movement as the flows make them: receipts, inspections, shipments and counts. */
const AMovement = fc.oneof(
  fc.integer({ min: 1, max: 5 }).map((q) => receiptDelta("intact", q) as Delta),
  fc
    .tuple(fc.constantFrom(...DISPOSITIONS), fc.integer({ min: 1, max: 3 }))
    .map(([d, q]) => inspectionDelta(d, q)),
  fc.integer({ min: 1, max: 4 }).map(shipmentDelta),
  fc.integer({ min: -3, max: 6 }).map((q): Delta => ({ sellable: q })),
);

describe("stock balances (property)", () => {
  it("are the sum of the movements they took, and refuse any that would go below zero", () => {
    fc.assert(
      fc.property(fc.array(AMovement, { maxLength: 40 }), fc.boolean(), (moves, backorder) => {
        let balance: Balance = { ...EMPTY_BALANCE };
        const taken: Delta[] = [];
        for (const d of moves) {
          try {
            balance = applyDelta(balance, d, where(backorder));
            taken.push(d);
          } catch (e) {
            expect(["INSUFFICIENT_STOCK", "NEGATIVE_STOCK"]).toContain((e as { code: string }).code);
          }
          expect(balance).toEqual(sumDeltas(taken));
          for (const b of BUCKETS) if (b !== "sellable") expect(balance[b]).toBeGreaterThanOrEqual(0);
          if (!backorder) expect(balance.sellable).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it("an inspection only moves units out of quarantine; only a pass adds to sellable", () => {
    for (const d of DISPOSITIONS) {
      const delta = inspectionDelta(d, 2);
      expect(delta.quarantine).toBe(-2);
      expect(delta.sellable ?? 0).toBe(d === "sellable" ? 2 : 0);
    }
    expect(receiptDelta("empty_box", 1)).toBeNull();
    expect(receiptDelta("wrong_item", 1)).toBeNull();
    expect(receiptDelta("damaged", 1)).toEqual({ quarantine: 1 });
  });
});

describe("QC's refund recommendation (property)", () => {
  const Units = fc.array(
    fc.record({
      sku: fc.constantFrom("A", "B"),
      quantity: fc.integer({ min: 1, max: 3 }),
      finding: fc.constantFrom(...FINDING_CODES),
      paid: fc.integer({ min: 0, max: 100_000 }),
      deduction: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: null }),
    }),
    { maxLength: 6 },
  );
  it("refuses whenever an empty box or a wrong item came back; otherwise never deducts more than was paid", () => {
    fc.assert(
      fc.property(Units, (units: InspectedUnits[]) => {
        const r = recommendRefund(units);
        if (units.some((u) => u.finding === "empty_box" || u.finding === "wrong_item")) {
          expect(r.kind).toBe("refuse");
          return;
        }
        const total = r.deductions.reduce((a, d) => a + d.amount, 0);
        expect(total).toBeLessThanOrEqual(units.reduce((a, u) => a + u.paid, 0));
        for (const d of r.deductions) expect(Number.isSafeInteger(d.amount) && d.amount > 0).toBe(true);
        expect(r.kind).toBe(r.deductions.length > 0 ? "deduct" : "full");
      }),
    );
  });
});
