import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { REASON_CODES, REASONS, type ReasonCode } from "../../src/domain/catalogue.ts";
import {
  type DeductionInput,
  type Quote,
  type QuoteInput,
  type QuoteLine,
  quoteRefund,
  type ShippingPolicy,
} from "../../src/domain/refund-quote.ts";
import { expectCode } from "./expect-code.ts";

const line = (
  lineId: number,
  quantity: number,
  paid: number,
  refundedQuantity = 0,
  refundedAmount = 0,
): QuoteLine => ({
  lineId,
  quantity,
  paid,
  refundedQuantity,
  refundedAmount,
});

const input = (over: Partial<QuoteInput> = {}): QuoteInput => ({
  currency: "CNY",
  lines: [line(1, 3, 10000), line(2, 1, 5000)],
  shippingFee: 1000,
  shippingRefunded: 0,
  items: [{ lineId: 1, quantity: 1 }],
  reason: "quality",
  ...over,
});

const ALL = [
  { lineId: 1, quantity: 3 },
  { lineId: 2, quantity: 1 },
];

/** Shared invariants of every quote. */
function checkQuote(q: Quote) {
  expect(q.lines.reduce((a, p) => a + p.amount, 0) + q.shipping).toBe(q.total);
  expect(q.goods).toBe(q.lines.reduce((a, p) => a + p.amount, 0));
  expect(q.cap).toBe(q.lines.reduce((a, p) => a + p.computed, 0) + q.shippingComputed);
  expect(q.total).toBeLessThanOrEqual(q.cap);
  expect(q.total).toBeGreaterThanOrEqual(0);
  expect(q.shipping).toBeGreaterThanOrEqual(0);
  expect(q.shipping).toBeLessThanOrEqual(q.shippingComputed);
  for (const p of q.lines) {
    expect(p.amount).toBeGreaterThanOrEqual(0);
    expect(p.amount).toBeLessThanOrEqual(p.computed);
    expect(p.computed).toBeLessThanOrEqual(p.paid - p.alreadyRefunded);
    expect(Number.isSafeInteger(p.amount)).toBe(true);
  }
}

describe("quoteRefund: goods", () => {
  it("quotes a unit's share of what was paid for the line", () => {
    const q = quoteRefund(input({ reason: "changed_mind" }));
    checkQuote(q);
    expect(q.lines).toEqual([
      { lineId: 1, quantity: 1, amount: 3333, computed: 3333, paid: 10000, alreadyRefunded: 0 },
    ]);
    expect(q).toMatchObject({
      currency: "CNY",
      goods: 3333,
      shipping: 0,
      shippingComputed: 0,
      cap: 3333,
      total: 3333,
      overridden: false,
      wholeOrder: false,
      deductions: [],
    });
  });

  it("gives the last units of a line whatever is left, so partial refunds add up exactly", () => {
    const first = quoteRefund(input({ reason: "changed_mind" }));
    expect(first.total).toBe(3333);
    const second = quoteRefund(
      input({ reason: "changed_mind", lines: [line(1, 3, 10000, 1, 3333), line(2, 1, 5000)] }),
    );
    expect(second.lines[0]?.amount).toBe(3333);
    expect(second.lines[0]?.alreadyRefunded).toBe(3333);
    const last = quoteRefund(
      input({ reason: "changed_mind", lines: [line(1, 3, 10000, 2, 6666), line(2, 1, 5000)] }),
    );
    expect(last.lines[0]?.amount).toBe(3334);
    expect(3333 + 3333 + 3334).toBe(10000);
  });

  it("refunds several lines at once", () => {
    const q = quoteRefund(
      input({
        reason: "changed_mind",
        items: [
          { lineId: 2, quantity: 1 },
          { lineId: 1, quantity: 2 },
        ],
      }),
    );
    checkQuote(q);
    expect(q.lines.map((p) => [p.lineId, p.amount])).toEqual([
      [2, 5000],
      [1, 6666],
    ]);
    expect(q.total).toBe(11666);
  });

  it("refunds a free line as zero", () => {
    const q = quoteRefund(
      input({ lines: [line(1, 2, 0), line(2, 1, 100)], items: [{ lineId: 1, quantity: 1 }] }),
    );
    expect(q.total).toBe(0);
    expect(q.lines[0]?.amount).toBe(0);
  });
});

describe("quoteRefund: shipping policy", () => {
  const SHIPPING_CASES: [string, ReasonCode, ShippingPolicy | undefined, boolean, number][] = [
    ["seller fault, whole order, default policy", "quality", undefined, true, 1000],
    ["seller fault, part of the order, default policy", "quality", undefined, false, 0],
    ["wrong item, whole order", "wrong_item", "seller_fault_full_return", true, 1000],
    ["carrier fault (lost), whole order, default policy", "logistics_lost", undefined, true, 1000],
    ["changed mind, whole order, default policy", "changed_mind", undefined, true, 0],
    ["size/fit (buyer), whole order, default policy", "size_fit", undefined, true, 0],
    ["changed mind, whole order, always_full_return", "changed_mind", "always_full_return", true, 1000],
    ["changed mind, part of the order, always_full_return", "changed_mind", "always_full_return", false, 0],
    ["quality, whole order, never", "quality", "never", true, 0],
    ["quality, part of the order, never", "quality", "never", false, 0],
  ];
  test.each(SHIPPING_CASES)("%s", (_name, reason, shippingPolicy, whole, expectedShipping) => {
    const q = quoteRefund(
      input({
        reason,
        ...(shippingPolicy ? { shippingPolicy } : {}),
        items: whole ? ALL : [{ lineId: 1, quantity: 3 }],
      }),
    );
    checkQuote(q);
    expect(q.wholeOrder).toBe(whole);
    expect(q.shippingComputed).toBe(expectedShipping);
    expect(q.shipping).toBe(expectedShipping);
    expect(q.total).toBe((whole ? 15000 : 10000) + expectedShipping);
  });

  it("refunds only the shipping not already refunded", () => {
    const q = quoteRefund(input({ items: ALL, shippingRefunded: 300 }));
    expect(q.shipping).toBe(700);
    expect(q.total).toBe(15700);
  });

  it("counts the rest of the order coming back as the whole order", () => {
    // line 1 went back earlier; now all of line 2 comes back for a seller fault
    const q = quoteRefund(
      input({ lines: [line(1, 3, 10000, 3, 10000), line(2, 1, 5000)], items: [{ lineId: 2, quantity: 1 }] }),
    );
    expect(q.wholeOrder).toBe(true);
    expect(q.shipping).toBe(1000);
    expect(q.total).toBe(6000);
  });

  it("does not refund shipping when one unit of a line stays with the buyer", () => {
    const q = quoteRefund(
      input({
        items: [
          { lineId: 1, quantity: 2 },
          { lineId: 2, quantity: 1 },
        ],
      }),
    );
    expect(q.wholeOrder).toBe(false);
    expect(q.shipping).toBe(0);
  });
});

describe("quoteRefund: deductions", () => {
  it("takes deductions off the total and spreads the reduction over lines and shipping", () => {
    const deductions: DeductionInput[] = [
      { kind: "restocking_fee", amount: 600, note: "拆封" },
      { kind: "return_shipping", amount: 400 },
    ];
    const q = quoteRefund(input({ items: ALL, deductions }));
    checkQuote(q);
    expect(q.cap).toBe(16000);
    expect(q.total).toBe(15000);
    expect(q.deductions).toEqual(deductions);
    // 15000 over weights 10000 / 5000 / 1000 (shipping)
    expect(q.lines.map((p) => p.amount)).toEqual([9375, 4688]);
    expect(q.shipping).toBe(937);
  });

  it("allows deductions that take the whole refund, and no more", () => {
    const q = quoteRefund(input({ deductions: [{ kind: "other", amount: 3333 }] }));
    expect(q.total).toBe(0);
    expect(q.lines[0]?.amount).toBe(0);
    const err = expectCode(
      () => quoteRefund(input({ deductions: [{ kind: "other", amount: 3334 }] })),
      "DEDUCTIONS_EXCEED_REFUND",
    );
    expect(err.details).toEqual({ cap: "33.33", deductions: "33.34", currency: "CNY" });
  });

  it("rejects negative or fractional deductions", () => {
    expectCode(() => quoteRefund(input({ deductions: [{ kind: "other", amount: -1 }] })), "INVALID_AMOUNT");
    expectCode(() => quoteRefund(input({ deductions: [{ kind: "other", amount: 0.5 }] })), "INVALID_AMOUNT");
  });
});

describe("quoteRefund: a person's amount (override)", () => {
  it("replaces the computed total and is spread so no line gets more than computed", () => {
    const q = quoteRefund(input({ items: ALL, overrideAmount: 8000 }));
    checkQuote(q);
    expect(q.overridden).toBe(true);
    expect(q.cap).toBe(16000);
    expect(q.total).toBe(8000);
    expect(q.lines.map((p) => p.amount)).toEqual([5000, 2500]);
    expect(q.shipping).toBe(500);
  });

  it("may equal the cap or be zero", () => {
    expect(quoteRefund(input({ items: ALL, overrideAmount: 16000 })).total).toBe(16000);
    const zero = quoteRefund(input({ items: ALL, overrideAmount: 0 }));
    expect(zero.total).toBe(0);
    expect(zero.overridden).toBe(true);
    expect(zero.lines.every((p) => p.amount === 0)).toBe(true);
  });

  it("REFUND_ABOVE_CAP above the cap", () => {
    const err = expectCode(() => quoteRefund(input({ overrideAmount: 3334 })), "REFUND_ABOVE_CAP");
    expect(err.details).toEqual({ cap: "33.33", requested: "33.34", currency: "CNY" });
    // shipping is not part of the cap when the policy does not refund it
    expectCode(
      () => quoteRefund(input({ reason: "changed_mind", items: ALL, overrideAmount: 15001 })),
      "REFUND_ABOVE_CAP",
    );
  });

  it("rejects negative or fractional amounts", () => {
    expectCode(() => quoteRefund(input({ overrideAmount: -1 })), "INVALID_AMOUNT");
    expectCode(() => quoteRefund(input({ overrideAmount: 1.5 })), "INVALID_AMOUNT");
    expectCode(() => quoteRefund(input({ overrideAmount: Number.NaN })), "INVALID_AMOUNT");
  });

  it("never gives any line more than its computed amount, for any override up to the cap", () => {
    fc.assert(
      fc.property(fc.nat({ max: 16000 }), (overrideAmount) => {
        const q = quoteRefund(input({ items: ALL, overrideAmount }));
        checkQuote(q);
        expect(q.total).toBe(overrideAmount);
      }),
      { numRuns: 200 },
    );
  });
});

describe("quoteRefund: bad requests", () => {
  it("QUANTITY_EXCEEDS_REFUNDABLE", () => {
    const err = expectCode(
      () => quoteRefund(input({ items: [{ lineId: 1, quantity: 4 }] })),
      "QUANTITY_EXCEEDS_REFUNDABLE",
    );
    expect(err.details).toEqual({ lineId: 1, refundable: 3 });
    // two of three already refunded: only one left
    const after = expectCode(
      () => quoteRefund(input({ lines: [line(1, 3, 10000, 2, 6666)], items: [{ lineId: 1, quantity: 2 }] })),
      "QUANTITY_EXCEEDS_REFUNDABLE",
    );
    expect(after.details).toEqual({ lineId: 1, refundable: 1 });
    expectCode(
      () => quoteRefund(input({ lines: [line(1, 3, 10000, 3, 10000)], items: [{ lineId: 1, quantity: 1 }] })),
      "QUANTITY_EXCEEDS_REFUNDABLE",
    );
  });

  it("UNKNOWN_LINE, DUPLICATE_LINE, INVALID_QUANTITY, NO_ITEMS", () => {
    expectCode(() => quoteRefund(input({ items: [{ lineId: 9, quantity: 1 }] })), "UNKNOWN_LINE");
    expectCode(
      () =>
        quoteRefund(
          input({
            items: [
              { lineId: 1, quantity: 1 },
              { lineId: 1, quantity: 1 },
            ],
          }),
        ),
      "DUPLICATE_LINE",
    );
    for (const quantity of [0, -1, 1.5, Number.NaN]) {
      expectCode(() => quoteRefund(input({ items: [{ lineId: 1, quantity }] })), "INVALID_QUANTITY");
    }
    expectCode(() => quoteRefund(input({ items: [] })), "NO_ITEMS");
  });
});

// ---------------------------------------------------------------------------------------------------
// properties: sequences of partial refunds

interface Plan {
  lines: QuoteLine[];
  shippingFee: number;
  reason: ReasonCode;
  policy: ShippingPolicy;
  steps: { mask: number; fracs: number[]; deduct: number; override: number | null }[];
}

const planArb = (noisy: boolean): fc.Arbitrary<Plan> =>
  fc.record({
    lines: fc
      .array(
        fc.record({
          quantity: fc.integer({ min: 1, max: 12 }),
          paid: fc.oneof(fc.nat({ max: 20 }), fc.nat({ max: 2_000_000 })),
        }),
        { minLength: 1, maxLength: 5 },
      )
      .map((ls) => ls.map((l, i) => line(i + 1, l.quantity, l.paid))),
    shippingFee: fc.oneof(fc.constant(0), fc.nat({ max: 3000 })),
    reason: fc.constantFrom(...REASON_CODES),
    policy: fc.constantFrom<ShippingPolicy>("seller_fault_full_return", "always_full_return", "never"),
    steps: fc.array(
      fc.record({
        mask: fc.nat({ max: 31 }),
        fracs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
        deduct: noisy ? fc.double({ min: 0, max: 1, noNaN: true }) : fc.constant(0),
        override: noisy
          ? fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 2 })
          : fc.constant<number | null>(null),
      }),
      { maxLength: 15 },
    ),
  });

/** Pick the next step's items from what is still refundable; an exhausted plan refunds everything left. */
function pickItems(lines: readonly QuoteLine[], step: Plan["steps"][number] | undefined) {
  const open = lines.filter((l) => l.quantity > l.refundedQuantity);
  if (!step) return open.map((l) => ({ lineId: l.lineId, quantity: l.quantity - l.refundedQuantity }));
  let chosen = open.filter((l) => step.mask & (1 << (l.lineId - 1)));
  if (chosen.length === 0) chosen = open.slice(0, 1);
  return chosen.map((l) => {
    const left = l.quantity - l.refundedQuantity;
    const frac = step.fracs[l.lineId - 1] ?? 1;
    return { lineId: l.lineId, quantity: Math.min(left, 1 + Math.floor(frac * left)) };
  });
}

/** Run a plan to the end, checking every quote; returns the final ledger and the shipping given back. */
function runPlan(plan: Plan) {
  let lines = plan.lines.map((l) => ({ ...l }));
  let shippingRefunded = 0;
  const shippingByStep: number[] = [];
  for (let i = 0; lines.some((l) => l.quantity > l.refundedQuantity); i++) {
    const step = plan.steps[i];
    const items = pickItems(lines, step);
    const base: QuoteInput = {
      currency: "CNY",
      lines,
      shippingFee: plan.shippingFee,
      shippingRefunded,
      items,
      reason: plan.reason,
      shippingPolicy: plan.policy,
    };
    const plain = quoteRefund(base);
    let q = plain;
    if (step && (step.deduct > 0 || step.override !== null)) {
      q =
        step.override !== null
          ? quoteRefund({ ...base, overrideAmount: Math.floor(plain.cap * step.override) })
          : quoteRefund({
              ...base,
              deductions: [{ kind: "other", amount: Math.floor(plain.cap * step.deduct) }],
            });
      expect(q.cap).toBe(plain.cap);
    }
    checkQuote(q);
    expect(q.lines.map((p) => p.lineId)).toEqual(items.map((it) => it.lineId));
    for (const p of q.lines) {
      const l = lines.find((x) => x.lineId === p.lineId) as QuoteLine;
      const leftQty = l.quantity - l.refundedQuantity;
      const leftAmount = l.paid - l.refundedAmount;
      expect(p.alreadyRefunded).toBe(l.refundedAmount);
      if (p.quantity === leftQty) expect(p.computed).toBe(leftAmount);
      else {
        // floor of the exact per-unit share of what is left
        expect(p.computed * leftQty).toBeLessThanOrEqual(leftAmount * p.quantity);
        expect((p.computed + 1) * leftQty).toBeGreaterThan(leftAmount * p.quantity);
      }
    }
    lines = lines.map((l) => {
      const p = q.lines.find((x) => x.lineId === l.lineId);
      return p
        ? {
            ...l,
            refundedQuantity: l.refundedQuantity + p.quantity,
            refundedAmount: l.refundedAmount + p.amount,
          }
        : l;
    });
    for (const l of lines) {
      expect(l.refundedAmount).toBeLessThanOrEqual(l.paid);
      expect(l.refundedAmount).toBeGreaterThanOrEqual(0);
    }
    shippingRefunded += q.shipping;
    expect(shippingRefunded).toBeLessThanOrEqual(plan.shippingFee);
    shippingByStep.push(q.shipping);
  }
  return { lines, shippingRefunded, shippingByStep };
}

describe("quoteRefund properties", () => {
  it("any sequence of partial refunds that returns every unit adds up exactly to what was paid", () => {
    fc.assert(
      fc.property(planArb(false), (plan) => {
        const { lines, shippingRefunded, shippingByStep } = runPlan(plan);
        lines.forEach((l, i) => {
          expect(l.refundedQuantity).toBe(l.quantity);
          expect(l.refundedAmount).toBe(plan.lines[i]?.paid);
        });
        // shipping comes back once, with the step that completes the order, if the policy allows it
        const refundsShipping =
          plan.policy === "always_full_return" ||
          (plan.policy === "seller_fault_full_return" && REASONS[plan.reason].fault !== "buyer");
        expect(shippingRefunded).toBe(refundsShipping ? plan.shippingFee : 0);
        expect(shippingByStep.slice(0, -1).every((s) => s === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("with deductions and overrides along the way, no line is ever refunded beyond what was paid", () => {
    fc.assert(
      fc.property(planArb(true), (plan) => {
        runPlan(plan);
      }),
      { numRuns: 300 },
    );
  });

  it("an override above the cap is always refused", () => {
    fc.assert(
      fc.property(planArb(false), fc.integer({ min: 1, max: 1000 }), (plan, extra) => {
        const items = pickItems(plan.lines, plan.steps[0]);
        const base: QuoteInput = {
          currency: "CNY",
          lines: plan.lines,
          shippingFee: plan.shippingFee,
          shippingRefunded: 0,
          items,
          reason: plan.reason,
          shippingPolicy: plan.policy,
        };
        const { cap } = quoteRefund(base);
        expectCode(() => quoteRefund({ ...base, overrideAmount: cap + extra }), "REFUND_ABOVE_CAP");
      }),
      { numRuns: 200 },
    );
  });
});
