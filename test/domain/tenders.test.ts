import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TENDERS, type Tender } from "../../src/domain/order.ts";
import { quoteRefund } from "../../src/domain/refund-quote.ts";
import {
  DEFAULT_TENDER_ORDER,
  shareQuote,
  splitAcrossTenders,
  type TenderBalance,
  validateTenderOrder,
} from "../../src/domain/tenders.ts";
import { expectCode } from "./expect-code.ts";

const pay = (paymentId: number, tender: Tender, amount: number, refunded = 0): TenderBalance => ({
  paymentId,
  tender,
  amount,
  refunded,
});

const cny = (amount: number) => ({ amount, currency: "CNY" });

describe("splitting a refund across tenders", () => {
  it("gives cash back first by default: points only once the cash is used up", () => {
    const paid = [pay(1, "points", 2000), pay(2, "wechat_pay", 8000)];
    expect(splitAcrossTenders(cny(5000), paid)).toEqual([
      { paymentId: 2, tender: "wechat_pay", amount: 5000 },
    ]);
    expect(splitAcrossTenders(cny(9000), paid)).toEqual([
      { paymentId: 2, tender: "wechat_pay", amount: 8000 },
      { paymentId: 1, tender: "points", amount: 1000 },
    ]);
  });

  it("follows the merchant's stated order, and skips what earlier refunds already took", () => {
    const order = validateTenderOrder(["coupon", "points"]);
    const paid = [pay(1, "alipay", 10000), pay(2, "coupon", 1500, 500), pay(3, "points", 300)];
    expect(splitAcrossTenders(cny(2000), paid, order)).toEqual([
      { paymentId: 2, tender: "coupon", amount: 1000 },
      { paymentId: 3, tender: "points", amount: 300 },
      { paymentId: 1, tender: "alipay", amount: 700 },
    ]);
  });

  it("refuses more than the payments have left, naming what is left", () => {
    const err = expectCode(
      () => splitAcrossTenders(cny(9001), [pay(1, "wechat_pay", 8000, 0), pay(2, "points", 2000, 1000)]),
      "REFUND_EXCEEDS_PAYMENT",
    );
    expect(err.details).toEqual({ refund: "90.01", refundable: "90.00", currency: "CNY" });
  });

  it("rejects a stated order with unknown or repeated tenders", () => {
    expectCode(() => validateTenderOrder(["cash"]), "INVALID_TENDER_ORDER");
    expectCode(() => validateTenderOrder(["points", "points"]), "INVALID_TENDER_ORDER");
    expectCode(() => validateTenderOrder([]), "INVALID_TENDER_ORDER");
    expect(validateTenderOrder(["points"])).toEqual([
      "points",
      ...DEFAULT_TENDER_ORDER.filter((t) => t !== "points"),
    ]);
  });

  const balances = fc.array(
    fc.record({
      tender: fc.constantFrom(...TENDERS),
      amount: fc.integer({ min: 1, max: 1_000_000 }),
      refundedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { minLength: 1, maxLength: 5 },
  );

  it("property: legs add up exactly, stay within each payment, and fill in the stated order", () => {
    fc.assert(
      fc.property(
        balances,
        fc.shuffledSubarray([...TENDERS], { minLength: 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (raw, stated, share) => {
          const payments = raw.map((p, i) =>
            pay(i + 1, p.tender, p.amount, Math.floor(p.amount * p.refundedShare)),
          );
          const left = payments.reduce((a, p) => a + p.amount - p.refunded, 0);
          fc.pre(left > 0);
          const amount = Math.max(1, Math.floor(left * share));
          const order = validateTenderOrder(stated);
          const legs = splitAcrossTenders(cny(amount), payments, order);
          expect(legs.reduce((a, l) => a + l.amount, 0)).toBe(amount);
          for (const leg of legs) {
            const p = payments.find((x) => x.paymentId === leg.paymentId) as TenderBalance;
            expect(leg.amount).toBeGreaterThan(0);
            expect(leg.amount).toBeLessThanOrEqual(p.amount - p.refunded);
          }
          // Every leg but the last empties its payment: nothing later is touched while earlier money is left.
          for (const leg of legs.slice(0, -1)) {
            const p = payments.find((x) => x.paymentId === leg.paymentId) as TenderBalance;
            expect(leg.amount).toBe(p.amount - p.refunded);
          }
          const ranks = legs.map((l) => order.indexOf(l.tender));
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        },
      ),
    );
  });
});

describe("sharing a quote among the legs", () => {
  const quote = quoteRefund({
    currency: "CNY",
    lines: [
      { lineId: 1, quantity: 2, paid: 17800, refundedQuantity: 0, refundedAmount: 0 },
      { lineId: 2, quantity: 1, paid: 5990, refundedQuantity: 0, refundedAmount: 0 },
    ],
    shippingFee: 800,
    shippingRefunded: 0,
    items: [
      { lineId: 1, quantity: 2 },
      { lineId: 2, quantity: 1 },
    ],
    reason: "quality",
    deductions: [{ kind: "other", amount: 1000 }],
  });

  it("keeps the units and what a deduction kept on the first leg", () => {
    const [cash, points] = shareQuote(quote, [quote.total - 3000, 3000]);
    expect(cash?.lines.every((l) => l.quantity > 0)).toBe(true);
    expect(points?.lines.every((l) => l.quantity === 0 && l.consumed === l.amount)).toBe(true);
    expect((cash?.goods ?? 0) + (cash?.shipping ?? 0)).toBe(quote.total - 3000);
    expect((points?.goods ?? 0) + (points?.shipping ?? 0)).toBe(3000);
  });

  it("property: per line, the legs add up to the quote's amount, consumption and units", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 4 }),
        (weights) => {
          // Cut the total into legs of random positive sizes.
          const total = quote.total;
          const cuts = weights.map((w) => w / weights.reduce((a, x) => a + x, 0));
          const legs = cuts.map((c) => Math.floor(c * total));
          legs[0] = (legs[0] ?? 0) + total - legs.reduce((a, x) => a + x, 0);
          fc.pre(legs.every((x) => x > 0));
          const shares = shareQuote(quote, legs);
          shares.forEach((s, i) => {
            expect(s.goods + s.shipping).toBe(legs[i]);
            expect(s.lines.every((l) => l.amount >= 0 && l.consumed >= l.amount)).toBe(true);
          });
          for (const line of quote.lines) {
            const parts = shares.flatMap((s) => s.lines.filter((l) => l.lineId === line.lineId));
            expect(parts.reduce((a, l) => a + l.amount, 0)).toBe(line.amount);
            expect(parts.reduce((a, l) => a + l.consumed, 0)).toBe(line.computed);
            expect(parts.reduce((a, l) => a + l.quantity, 0)).toBe(line.quantity);
          }
          expect(shares.reduce((a, s) => a + s.shipping, 0)).toBe(quote.shipping);
        },
      ),
    );
  });
});
