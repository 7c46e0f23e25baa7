import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CodeKind } from "../../src/domain/import/codes.ts";
import {
  type CandidateLine,
  matchRefunds,
  type RefundDocument,
} from "../../src/domain/import/refund-match.ts";
import { parseTime } from "../../src/domain/import/rows.ts";

const SKUS = ["A", "B", "C", "POST"];
const CUSTOMERS = ["c1", "c2", null];

const line = fc.record({
  orderId: fc.integer({ min: 1, max: 6 }),
  lineNo: fc.integer({ min: 1, max: 3 }),
  customer: fc.constantFrom(...CUSTOMERS),
  sku: fc.constantFrom(...SKUS),
  at: fc.integer({ min: 0, max: 10 }),
  quantity: fc.integer({ min: 1, max: 5 }),
  unit: fc.integer({ min: 1, max: 500 }),
  refundedQuantity: fc.integer({ min: 0, max: 5 }),
});

const doc = fc.record({
  customer: fc.constantFrom(...CUSTOMERS),
  at: fc.integer({ min: 0, max: 12 }),
  rows: fc.array(
    fc.record({
      sku: fc.constantFrom(...SKUS),
      quantity: fc.integer({ min: 1, max: 4 }),
      unitPrice: fc.integer({ min: 1, max: 600 }),
      code: fc.constantFrom<CodeKind>("goods", "goods", "shipping", "discount"),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

describe("linking imported refunds to earlier purchases", () => {
  it("never refunds a line beyond its units or what is left of its paid amount, and loses no refund row", () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 12 }),
        fc.array(doc, { maxLength: 5 }),
        fc.integer({ min: 0, max: 800 }),
        (ls, ds, shipping) => {
          const candidates: CandidateLine[] = ls.map((l, i) => {
            const refundedQuantity = Math.min(l.refundedQuantity, l.quantity);
            return {
              lineId: i + 1,
              lineNo: l.lineNo,
              orderId: l.orderId,
              orderExternalId: `O${l.orderId}`,
              currency: "GBP",
              customer: l.customer,
              sku: l.sku,
              at: l.at,
              quantity: l.quantity,
              paid: l.quantity * l.unit,
              refundedQuantity,
              refundedAmount: refundedQuantity * l.unit,
            };
          });
          let rowNo = 0;
          const docs: RefundDocument[] = ds.map((d, i) => ({
            doc: `C${i}`,
            customer: d.customer,
            at: d.at,
            currency: "GBP",
            orderRef: null,
            rows: d.rows.map((r) => ({
              rowNo: ++rowNo,
              kind: "refund" as const,
              doc: `C${i}`,
              orderRef: null,
              sku: r.code === "shipping" ? "POST" : r.sku,
              title: r.sku,
              code: r.code,
              quantity: r.quantity,
              unitPrice: r.unitPrice,
              currency: "GBP",
              customer: d.customer,
              at: d.at,
              country: null,
            })),
          }));
          const orderIds = [...new Set(candidates.map((c) => c.orderId))];
          const { cases, orphans } = matchRefunds(
            docs,
            candidates,
            orderIds.map((orderId) => ({ orderId, left: shipping })),
          );

          // Every refund row is in exactly one case or orphan, with its whole amount.
          const rows = docs.flatMap((d) => d.rows);
          const placed = [...cases.flatMap((c) => c.rows), ...orphans.map((o) => o.rowNo)].sort(
            (a, b) => a - b,
          );
          expect(placed).toEqual(rows.map((r) => r.rowNo));
          const total = rows.reduce((a, r) => a + r.quantity * r.unitPrice, 0);
          expect(
            cases.reduce((a, c) => a + c.goods + c.shipping, 0) + orphans.reduce((a, o) => a + o.amount, 0),
          ).toBe(total);

          for (const l of candidates) {
            const items = cases.flatMap((c) => c.items.filter((i) => i.lineId === l.lineId));
            const qty = items.reduce((a, i) => a + i.quantity, 0);
            const consumed = items.reduce((a, i) => a + i.consumed, 0);
            expect(l.refundedQuantity + qty).toBeLessThanOrEqual(l.quantity);
            expect(l.refundedAmount + consumed).toBeLessThanOrEqual(l.paid);
            // The last units take the remainder, so a fully refunded line is fully consumed.
            if (l.refundedQuantity + qty === l.quantity && qty > 0)
              expect(l.refundedAmount + consumed).toBe(l.paid);
            for (const i of items) expect(i.consumed).toBeGreaterThanOrEqual(i.amount);
          }
          for (const c of cases) {
            const d = docs.find((x) => x.doc === c.doc) as RefundDocument;
            for (const i of c.items) {
              const l = candidates.find((x) => x.lineId === i.lineId) as CandidateLine;
              // Only the same customer's purchases, placed at or before the refund.
              expect(l.customer).toBe(d.customer);
              expect(l.at).toBeLessThanOrEqual(d.at);
            }
          }
          for (const id of orderIds) {
            const shipped = cases.filter((c) => c.orderId === id).reduce((a, c) => a + c.shipping, 0);
            expect(shipped).toBeLessThanOrEqual(shipping);
          }
        },
      ),
    );
  });

  it("takes the latest earlier order of the customer that has enough left", () => {
    const base = {
      currency: "GBP",
      customer: "c1",
      sku: "A",
      quantity: 2,
      paid: 200,
      refundedQuantity: 0,
      refundedAmount: 0,
      lineNo: 1,
    };
    const candidates: CandidateLine[] = [
      { ...base, lineId: 1, orderId: 1, orderExternalId: "1", at: 1 },
      { ...base, lineId: 2, orderId: 2, orderExternalId: "2", at: 5, quantity: 1, paid: 100 },
      { ...base, lineId: 3, orderId: 3, orderExternalId: "3", at: 9 }, // after the refund
    ];
    const row = {
      rowNo: 1,
      kind: "refund" as const,
      doc: "C1",
      orderRef: null,
      sku: "A",
      title: "A",
      code: "goods" as const,
      quantity: 2,
      unitPrice: 100,
      currency: "GBP",
      customer: "c1",
      at: 6,
      country: null,
    };
    const { cases } = matchRefunds(
      [{ doc: "C1", customer: "c1", at: 6, currency: "GBP", orderRef: null, rows: [row] }],
      candidates,
      [],
    );
    expect(cases.map((c) => c.orderId)).toEqual([1]);
  });
});

describe("reading wall-clock times", () => {
  it("applies the zone's offset at that date, and takes ISO offsets as written", () => {
    expect(new Date(parseTime("2010-12-01 08:26:00", "Europe/London") as number).toISOString()).toBe(
      "2010-12-01T08:26:00.000Z",
    );
    expect(new Date(parseTime("2011-07-01 08:26", "Europe/London") as number).toISOString()).toBe(
      "2011-07-01T07:26:00.000Z",
    );
    expect(new Date(parseTime("2026-03-01 10:15:00", "Asia/Shanghai") as number).toISOString()).toBe(
      "2026-03-01T02:15:00.000Z",
    );
    expect(new Date(parseTime("2026-03-02T09:00:00+08:00", "Europe/London") as number).toISOString()).toBe(
      "2026-03-02T01:00:00.000Z",
    );
    expect(parseTime("2011-02-30 10:00:00", "Europe/London")).toBeUndefined();
    expect(parseTime("1/12/2010 8:26", "Europe/London")).toBeUndefined();
  });
});
