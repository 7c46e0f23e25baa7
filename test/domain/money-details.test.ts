import { describe, expect, it } from "vitest";
import { AppError } from "../../src/domain/errors.ts";
import { normalizeOrder } from "../../src/domain/order.ts";
import { type QuoteInput, quoteRefund } from "../../src/domain/refund-quote.ts";
import { shareQuote, splitAcrossTenders } from "../../src/domain/tenders.ts";

/**
 * Money in an error's details is what a person reads (the message catalogue puts it in its
 * sentences): decimal strings in the order's currency with `currency` beside them — never fen.
 */

/** Detail keys that hold money, and the counts whose names only sound like it. */
const MONEY = /^(amount|cap|requested|refund|refundable|deductions|paidTotal|payments|parts|legs|threshold)$/;
const COUNTS: Record<string, readonly string[]> = { QUANTITY_EXCEEDS_REFUNDABLE: ["refundable"] };
const DECIMAL = /^-?\d+(\.\d+)?$/;

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

/** Every money detail is a decimal string next to a currency; no number under a money name. */
function moneyOffences(e: AppError): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string, currency: boolean) => {
    if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`, currency);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const here = currency || typeof o.currency === "string";
      for (const [k, x] of Object.entries(o)) {
        const money = MONEY.test(k) && !(path === "" && COUNTS[e.code]?.includes(k));
        if (money && typeof x === "number") out.push(`${path}.${k} = ${x}`);
        if (money && typeof x === "string" && (!DECIMAL.test(x) || !here)) out.push(`${path}.${k} = "${x}"`);
        walk(x, `${path}.${k}`, here);
      }
    }
  };
  walk(e.details, "", false);
  return out;
}

const quote = (over: Partial<QuoteInput> = {}): QuoteInput => ({
  currency: "CNY",
  lines: [{ lineId: 1, quantity: 3, paid: 10000, refundedQuantity: 0, refundedAmount: 0 }],
  shippingFee: 0,
  shippingRefunded: 0,
  items: [{ lineId: 1, quantity: 1 }],
  reason: "quality",
  ...over,
});

describe("money in error details", () => {
  const failures: [string, () => unknown, Record<string, unknown>][] = [
    [
      "REFUND_ABOVE_CAP",
      () => quoteRefund(quote({ overrideAmount: 3334 })),
      { cap: "33.33", requested: "33.34", currency: "CNY" },
    ],
    [
      "DEDUCTIONS_EXCEED_REFUND",
      () => quoteRefund(quote({ deductions: [{ kind: "other", amount: 5000 }] })),
      { cap: "33.33", deductions: "50.00", currency: "CNY" },
    ],
    // A count of units, not money: it carries no amount to show in any currency.
    [
      "QUANTITY_EXCEEDS_REFUNDABLE",
      () =>
        quoteRefund(
          quote({
            lines: [{ lineId: 1, quantity: 3, paid: 10000, refundedQuantity: 2, refundedAmount: 6667 }],
            items: [{ lineId: 1, quantity: 2 }],
          }),
        ),
      { lineId: 1, refundable: 1 },
    ],
    [
      "REFUND_EXCEEDS_PAYMENT",
      () =>
        splitAcrossTenders({ amount: 123_456, currency: "JPY" }, [
          { paymentId: 1, tender: "alipay", amount: 100_000, refunded: 0 },
        ]),
      { refund: "123456", refundable: "100000", currency: "JPY" },
    ],
    [
      "INVALID_AMOUNT",
      () => shareQuote(quoteRefund(quote({ currency: "USD" })), [1]),
      { parts: "33.33", legs: "0.01", currency: "USD" },
    ],
    [
      "PAYMENT_MISMATCH",
      () =>
        normalizeOrder({
          shop: "s",
          externalId: "o",
          currency: "CNY",
          lines: [{ sku: "A", quantity: 1, unitPrice: "100.00" }],
          payments: [{ tender: "alipay", amount: "99.99" }],
        }),
      { paidTotal: "100.00", payments: "99.99", currency: "CNY" },
    ],
  ];

  it.each(failures)("%s says its amounts as decimal strings with the currency", (code, fn, details) => {
    const e = caught(fn);
    expect(e.code).toBe(code);
    expect(e.details).toEqual(details);
    expect(moneyOffences(e)).toEqual([]);
  });

  it("the check itself catches fen and a missing currency", () => {
    expect(moneyOffences(new AppError("REFUND_ABOVE_CAP", "x", { cap: 5000 }))).toEqual([".cap = 5000"]);
    expect(moneyOffences(new AppError("REFUND_ABOVE_CAP", "x", { cap: "50.00" }))).toEqual([
      '.cap = "50.00"',
    ]);
    expect(
      moneyOffences(
        new AppError("REFUND_PARTLY_PAID", "x", { failed: [{ amount: "1.00" }], currency: "CNY" }),
      ),
    ).toEqual([]);
  });
});
