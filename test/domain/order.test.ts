import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { currencyDigits, formatMinor } from "../../src/domain/money.ts";
import { type NormalizedOrder, normalizeOrder, type OrderInput } from "../../src/domain/order.ts";
import { expectCode } from "./expect-code.ts";

const RUNS = { numRuns: 300 };

const order = (over: Partial<OrderInput> = {}): OrderInput => ({
  shop: "shop-1",
  externalId: "T-1001",
  currency: "CNY",
  lines: [{ sku: "A", quantity: 1, unitPrice: "100.00" }],
  ...over,
});

const lineSummary = (o: NormalizedOrder) =>
  o.lines.map((l) => ({ lineDiscount: l.lineDiscount, orderDiscount: l.orderDiscount, paid: l.paid }));

describe("normalizeOrder: apportioning order-level discounts", () => {
  it("splits an order discount in proportion to each line's net price", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "A", quantity: 1, unitPrice: "100.00" },
          { sku: "B", quantity: 1, unitPrice: "50.00" },
        ],
        discounts: [{ kind: "coupon", amount: "15.00" }],
        shippingFee: "10.00",
      }),
    );
    expect(lineSummary(o)).toEqual([
      { lineDiscount: 0, orderDiscount: 1000, paid: 9000 },
      { lineDiscount: 0, orderDiscount: 500, paid: 4500 },
    ]);
    expect(o.discountTotal).toBe(1500);
    expect(o.shippingFee).toBe(1000);
    expect(o.paidTotal).toBe(14500);
    expect(o.currency).toBe("CNY");
  });

  it("apportions after line discounts, over quantity x unit price", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "A", quantity: 2, unitPrice: "30.00", discount: "10.00" }, // net 50.00
          { sku: "B", quantity: 1, unitPrice: "25.00" }, // net 25.00
        ],
        discounts: [
          { kind: "coupon", name: "店铺券", amount: "10.00" },
          { kind: "full_reduction", name: "满减", amount: "5.00" },
        ],
      }),
    );
    expect(lineSummary(o)).toEqual([
      { lineDiscount: 1000, orderDiscount: 1000, paid: 4000 },
      { lineDiscount: 0, orderDiscount: 500, paid: 2000 },
    ]);
    expect(o.discountTotal).toBe(1500);
    expect(o.paidTotal).toBe(6000);
  });

  it("is exact to the cent with largest remainder (earliest line takes the odd cent)", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "A", quantity: 1, unitPrice: "1.00" },
          { sku: "B", quantity: 1, unitPrice: "1.00" },
          { sku: "C", quantity: 1, unitPrice: "1.00" },
        ],
        discounts: [{ kind: "coupon", amount: "1.00" }],
      }),
    );
    expect(o.lines.map((l) => l.orderDiscount)).toEqual([34, 33, 33]);
    expect(o.lines.map((l) => l.paid)).toEqual([66, 67, 67]);
    expect(o.paidTotal).toBe(200);
  });

  it("lets a discount equal to the goods total bring every line to zero", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "A", quantity: 3, unitPrice: "9.99" },
          { sku: "B", quantity: 1, unitPrice: "0.03" },
        ],
        discounts: [{ kind: "coupon", amount: "30.00" }],
        shippingFee: "6.00",
      }),
    );
    expect(o.lines.map((l) => l.paid)).toEqual([0, 0]);
    expect(o.paidTotal).toBe(600);
  });

  it("handles free lines (zero price) without dividing by zero", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "GIFT", quantity: 1, unitPrice: "0" },
          { sku: "A", quantity: 1, unitPrice: "20.00" },
        ],
        discounts: [{ kind: "coupon", amount: "5.00" }],
      }),
    );
    expect(lineSummary(o)).toEqual([
      { lineDiscount: 0, orderDiscount: 0, paid: 0 },
      { lineDiscount: 0, orderDiscount: 500, paid: 1500 },
    ]);
    const allFree = normalizeOrder(order({ lines: [{ sku: "GIFT", quantity: 2, unitPrice: "0.00" }] }));
    expect(allFree.lines[0]?.paid).toBe(0);
    expect(allFree.paidTotal).toBe(0);
  });

  it("works in zero-decimal currencies", () => {
    const o = normalizeOrder(
      order({
        currency: "JPY",
        lines: [
          { sku: "A", quantity: 1, unitPrice: "1000" },
          { sku: "B", quantity: 2, unitPrice: "1000" },
        ],
        discounts: [{ kind: "coupon", amount: "100" }],
        shippingFee: "500",
      }),
    );
    expect(o.lines.map((l) => l.orderDiscount)).toEqual([33, 67]);
    expect(o.lines.map((l) => l.paid)).toEqual([967, 1933]);
    expect(o.paidTotal).toBe(3400);
  });

  it("fills in line defaults", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "A", quantity: 1, unitPrice: "1.00" },
          {
            externalId: "L-9",
            sku: "B",
            title: "蓝色T恤",
            category: "apparel",
            quantity: 4,
            unitPrice: "2.50",
          },
        ],
      }),
    );
    expect(o.lines).toEqual([
      {
        lineNo: 1,
        externalId: "1",
        sku: "A",
        title: "A",
        category: null,
        quantity: 1,
        unitPrice: 100,
        lineDiscount: 0,
        orderDiscount: 0,
        paid: 100,
      },
      {
        lineNo: 2,
        externalId: "L-9",
        sku: "B",
        title: "蓝色T恤",
        category: "apparel",
        quantity: 4,
        unitPrice: 250,
        lineDiscount: 0,
        orderDiscount: 0,
        paid: 1000,
      },
    ]);
    expect(o.discountTotal).toBe(0);
    expect(o.shippingFee).toBe(0);
    expect(o.payments).toEqual([]);
  });
});

describe("normalizeOrder: the channel's own per-line paid amounts", () => {
  it("win over our apportionment when every line has one", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "A", quantity: 1, unitPrice: "100.00", paid: "88.00" },
          { sku: "B", quantity: 2, unitPrice: "25.00", discount: "5.00", paid: "40.00" },
        ],
        discounts: [{ kind: "coupon", amount: "17.00" }],
        shippingFee: "8.00",
      }),
    );
    // our own split would have been 1133 / 567; the channel's numbers win
    expect(lineSummary(o)).toEqual([
      { lineDiscount: 0, orderDiscount: 1200, paid: 8800 },
      { lineDiscount: 500, orderDiscount: 500, paid: 4000 },
    ]);
    expect(o.discountTotal).toBe(1700);
    expect(o.paidTotal).toBe(8800 + 4000 + 800);
  });

  it("are ignored unless every line has one (we apportion instead)", () => {
    const o = normalizeOrder(
      order({
        lines: [
          { sku: "A", quantity: 1, unitPrice: "100.00", paid: "99.00" },
          { sku: "B", quantity: 1, unitPrice: "100.00" },
        ],
        discounts: [{ kind: "coupon", amount: "10.00" }],
      }),
    );
    expect(o.lines.map((l) => l.paid)).toEqual([9500, 9500]);
  });

  it("are checked against the payments", () => {
    expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [{ sku: "A", quantity: 1, unitPrice: "100.00", paid: "88.00" }],
            payments: [{ tender: "alipay", amount: "100.00" }],
          }),
        ),
      "PAYMENT_MISMATCH",
    );
  });

  it("still go through exact money parsing", () => {
    expectCode(
      () => normalizeOrder(order({ lines: [{ sku: "A", quantity: 1, unitPrice: "1.00", paid: "0.999" }] })),
      "AMOUNT_PRECISION",
    );
  });
});

describe("normalizeOrder: payments", () => {
  it("keeps payments that add up to the paid total", () => {
    const o = normalizeOrder(
      order({
        lines: [{ sku: "A", quantity: 2, unitPrice: "50.00" }],
        discounts: [{ kind: "coupon", amount: "10.00" }],
        shippingFee: "5.00",
        payments: [
          { tender: "alipay", amount: "80.00", transactionId: "2024A1" },
          { tender: "points", amount: "15.00" },
        ],
      }),
    );
    expect(o.paidTotal).toBe(9500);
    expect(o.payments).toEqual([
      { tender: "alipay", amount: 8000, transactionId: "2024A1" },
      { tender: "points", amount: 1500, transactionId: null },
    ]);
  });

  it("rejects payments that do not add up with PAYMENT_MISMATCH", () => {
    const err = expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [{ sku: "A", quantity: 1, unitPrice: "100.00" }],
            shippingFee: "10.00",
            payments: [{ tender: "wechat_pay", amount: "100.00" }],
          }),
        ),
      "PAYMENT_MISMATCH",
    );
    expect(err.details).toEqual({ paidTotal: "110.00", payments: "100.00", currency: "CNY" });
    expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [{ sku: "A", quantity: 1, unitPrice: "100.00" }],
            payments: [{ tender: "wechat_pay", amount: "100.01" }],
          }),
        ),
      "PAYMENT_MISMATCH",
    );
  });
});

describe("normalizeOrder: bad input", () => {
  it("ORDER_NO_LINES", () => {
    expectCode(() => normalizeOrder(order({ lines: [] })), "ORDER_NO_LINES");
  });

  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("INVALID_QUANTITY for %s", (quantity) => {
    const err = expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [
              { sku: "A", quantity: 1, unitPrice: "1.00" },
              { sku: "B", quantity, unitPrice: "1.00" },
            ],
          }),
        ),
      "INVALID_QUANTITY",
    );
    expect(err.details).toEqual({ line: 2 });
  });

  it("DISCOUNT_EXCEEDS_PRICE when a line discount exceeds the line", () => {
    expectCode(
      () =>
        normalizeOrder(order({ lines: [{ sku: "A", quantity: 2, unitPrice: "5.00", discount: "10.01" }] })),
      "DISCOUNT_EXCEEDS_PRICE",
    );
    // also when other lines could have absorbed it
    expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [
              { sku: "A", quantity: 1, unitPrice: "5.00", discount: "5.01" },
              { sku: "B", quantity: 1, unitPrice: "500.00" },
            ],
          }),
        ),
      "DISCOUNT_EXCEEDS_PRICE",
    );
    // equal is fine: a free line
    const o = normalizeOrder(
      order({ lines: [{ sku: "A", quantity: 2, unitPrice: "5.00", discount: "10.00" }] }),
    );
    expect(o.lines[0]?.paid).toBe(0);
  });

  it("DISCOUNT_EXCEEDS_PRICE when order discounts exceed the goods total", () => {
    expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [
              { sku: "A", quantity: 1, unitPrice: "10.00", discount: "2.00" },
              { sku: "B", quantity: 1, unitPrice: "10.00" },
            ],
            discounts: [
              { kind: "coupon", amount: "10.00" },
              { kind: "coupon", amount: "8.01" },
            ],
            shippingFee: "100.00", // shipping is not goods: it cannot absorb a discount
          }),
        ),
      "DISCOUNT_EXCEEDS_PRICE",
    );
  });

  it("DUPLICATE_LINE when two lines share an id, given or defaulted", () => {
    expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [
              { externalId: "X", sku: "A", quantity: 1, unitPrice: "1.00" },
              { externalId: "X", sku: "B", quantity: 1, unitPrice: "1.00" },
            ],
          }),
        ),
      "DUPLICATE_LINE",
    );
    expectCode(
      () =>
        normalizeOrder(
          order({
            lines: [
              { externalId: "2", sku: "A", quantity: 1, unitPrice: "1.00" },
              { sku: "B", quantity: 1, unitPrice: "1.00" }, // defaults to "2"
            ],
          }),
        ),
      "DUPLICATE_LINE",
    );
  });

  it("LINE_PAID_EXCEEDS_PRICE when the channel says a line paid more than its price", () => {
    expectCode(
      () =>
        normalizeOrder(
          order({ lines: [{ sku: "A", quantity: 1, unitPrice: "10.00", discount: "1.00", paid: "9.50" }] }),
        ),
      "LINE_PAID_EXCEEDS_PRICE",
    );
  });

  it("passes money errors through", () => {
    expectCode(
      () => normalizeOrder(order({ lines: [{ sku: "A", quantity: 1, unitPrice: "1.234" }] })),
      "AMOUNT_PRECISION",
    );
    expectCode(
      () => normalizeOrder(order({ lines: [{ sku: "A", quantity: 1, unitPrice: "abc" }] })),
      "INVALID_AMOUNT",
    );
    expectCode(
      () => normalizeOrder(order({ discounts: [{ kind: "coupon", amount: "-5.00" }] })),
      "NEGATIVE_AMOUNT",
    );
    expectCode(() => normalizeOrder(order({ shippingFee: "-1" })), "NEGATIVE_AMOUNT");
    expectCode(() => normalizeOrder(order({ currency: "XXX" })), "UNKNOWN_CURRENCY");
    expectCode(
      () => normalizeOrder(order({ currency: "JPY", lines: [{ sku: "A", quantity: 1, unitPrice: "1.50" }] })),
      "AMOUNT_PRECISION",
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// properties over random orders

const CURRENCIES = ["CNY", "USD", "JPY", "KRW"];

interface GenLine {
  quantity: number;
  unitPrice: number;
  discount: number;
  channelPaid: number;
}
interface GenOrder {
  currency: string;
  lines: GenLine[];
  discountParts: number[];
  shipping: number;
  paymentSplit: number[];
}

const lineArb: fc.Arbitrary<GenLine> = fc
  .record({
    quantity: fc.integer({ min: 1, max: 50 }),
    unitPrice: fc.oneof(fc.nat({ max: 100 }), fc.nat({ max: 1_000_000 })),
    discountFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    paidFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ quantity, unitPrice, discountFrac, paidFrac }) => {
    const gross = quantity * unitPrice;
    const discount = Math.floor(gross * discountFrac);
    return { quantity, unitPrice, discount, channelPaid: Math.floor((gross - discount) * paidFrac) };
  });

const orderArb: fc.Arbitrary<GenOrder> = fc
  .record({
    currency: fc.constantFrom(...CURRENCIES),
    lines: fc.array(lineArb, { minLength: 1, maxLength: 8 }),
    discountFrac: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
    discountCuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
    shipping: fc.oneof(fc.constant(0), fc.nat({ max: 5000 })),
    paymentCuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
  })
  .map(({ currency, lines, discountFrac, discountCuts, shipping, paymentCuts }) => {
    const net = lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0);
    const discount = Math.floor(net * discountFrac);
    return {
      currency,
      lines,
      discountParts: cut(discount, discountCuts),
      shipping,
      paymentSplit: paymentCuts,
    };
  });

/** Split a whole number into 1 + cuts.length non-negative integer parts that add up to it. */
function cut(total: number, cuts: readonly number[]): number[] {
  const points = cuts.map((c) => Math.floor(total * c)).sort((a, b) => a - b);
  const edges = [0, ...points, total];
  return edges.slice(1).map((e, i) => e - (edges[i] as number));
}

const toInput = (g: GenOrder, withChannelPaid: boolean, paidTotal?: number): OrderInput => {
  const fmt = (n: number) => formatMinor(n, g.currency);
  return {
    shop: "s",
    externalId: "o",
    currency: g.currency,
    lines: g.lines.map((l, i) => ({
      externalId: `L${i}`,
      sku: `SKU${i}`,
      quantity: l.quantity,
      unitPrice: fmt(l.unitPrice),
      ...(l.discount > 0 || i % 2 === 0 ? { discount: fmt(l.discount) } : {}),
      ...(withChannelPaid ? { paid: fmt(l.channelPaid) } : {}),
    })),
    discounts: g.discountParts.map((amount, i) => ({
      kind: i === 0 ? "coupon" : "promotion",
      amount: fmt(amount),
    })),
    shippingFee: fmt(g.shipping),
    ...(paidTotal === undefined
      ? {}
      : {
          payments: cut(paidTotal, g.paymentSplit).map((amount, i) => ({
            tender: i === 0 ? ("alipay" as const) : ("coupon" as const),
            amount: fmt(amount),
          })),
        }),
  };
};

describe("normalizeOrder properties", () => {
  it("apportioned order: lines + shipping add up to the paid total, no line below zero, discounts exact", () => {
    fc.assert(
      fc.property(orderArb, (g) => {
        expect(currencyDigits(g.currency)).toBeGreaterThanOrEqual(0);
        const o = normalizeOrder(toInput(g, false));
        const discountTotal = g.discountParts.reduce((a, b) => a + b, 0);
        const netTotal = g.lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0);

        expect(o.lines.reduce((a, l) => a + l.paid, 0) + o.shippingFee).toBe(o.paidTotal);
        expect(o.paidTotal).toBe(netTotal - discountTotal + g.shipping);
        expect(o.lines.reduce((a, l) => a + l.orderDiscount, 0)).toBe(discountTotal);
        expect(o.discountTotal).toBe(discountTotal);
        o.lines.forEach((l, i) => {
          const src = g.lines[i] as GenLine;
          const net = src.quantity * src.unitPrice - src.discount;
          expect(l.paid).toBeGreaterThanOrEqual(0);
          expect(l.orderDiscount).toBeGreaterThanOrEqual(0);
          expect(l.lineDiscount).toBe(src.discount);
          expect(l.paid).toBe(src.quantity * src.unitPrice - l.lineDiscount - l.orderDiscount);
          // each share within one minor unit of its exact proportion: |d*N - D*net| < N
          if (netTotal > 0) {
            const diff = BigInt(l.orderDiscount) * BigInt(netTotal) - BigInt(discountTotal) * BigInt(net);
            expect(diff < 0n ? -diff : diff).toBeLessThan(BigInt(netTotal));
          }
        });
      }),
      RUNS,
    );
  });

  it("accepts payments exactly equal to the paid total and rejects them one minor unit off", () => {
    fc.assert(
      fc.property(orderArb, fc.constantFrom(-1, 1), (g, off) => {
        const { paidTotal } = normalizeOrder(toInput(g, false));
        const o = normalizeOrder(toInput(g, false, paidTotal));
        expect(o.payments.reduce((a, p) => a + p.amount, 0)).toBe(paidTotal);
        if (paidTotal + off >= 0) {
          expectCode(() => normalizeOrder(toInput(g, false, paidTotal + off)), "PAYMENT_MISMATCH");
        }
      }),
      { numRuns: 200 },
    );
  });

  it("channel-apportioned order: each line's paid amount is the channel's, totals still add up", () => {
    fc.assert(
      fc.property(orderArb, (g) => {
        const o = normalizeOrder(toInput(g, true));
        o.lines.forEach((l, i) => {
          const src = g.lines[i] as GenLine;
          expect(l.paid).toBe(src.channelPaid);
          expect(l.orderDiscount).toBe(src.quantity * src.unitPrice - src.discount - src.channelPaid);
          expect(l.paid).toBe(src.quantity * src.unitPrice - l.lineDiscount - l.orderDiscount);
        });
        expect(o.lines.reduce((a, l) => a + l.paid, 0) + o.shippingFee).toBe(o.paidTotal);
        expect(o.discountTotal).toBe(o.lines.reduce((a, l) => a + l.orderDiscount, 0));
      }),
      RUNS,
    );
  });

  it("order discounts above the goods total are always rejected", () => {
    fc.assert(
      fc.property(orderArb, fc.integer({ min: 1, max: 1000 }), (g, extra) => {
        const net = g.lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0);
        const over = { ...g, discountParts: [net + extra] };
        expectCode(() => normalizeOrder(toInput(over, false)), "DISCOUNT_EXCEEDS_PRICE");
      }),
      { numRuns: 200 },
    );
  });
});
