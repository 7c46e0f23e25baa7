import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import {
  currencyDigits,
  formatMinor,
  formatMoney,
  isCurrency,
  parseMinor,
  parseMoney,
  prorate,
  sum,
} from "../../src/domain/money.ts";
import { expectCode } from "./expect-code.ts";

/** Every currency the domain lists, with its minor-unit digits (ISO 4217). */
const CURRENCIES: readonly [string, number][] = [
  ["CNY", 2],
  ["HKD", 2],
  ["TWD", 2],
  ["USD", 2],
  ["EUR", 2],
  ["GBP", 2],
  ["AUD", 2],
  ["CAD", 2],
  ["SGD", 2],
  ["MYR", 2],
  ["THB", 2],
  ["JPY", 0],
  ["KRW", 0],
  ["VND", 0],
];
const CODES = CURRENCIES.map(([c]) => c);
const RUNS = { numRuns: 300 };
const MAX = Number.MAX_SAFE_INTEGER;

describe("currencies", () => {
  test.each(CURRENCIES)("%s has %i minor digits", (currency, digits) => {
    expect(isCurrency(currency)).toBe(true);
    expect(currencyDigits(currency)).toBe(digits);
  });

  it("rejects currencies it does not know instead of guessing", () => {
    for (const c of ["XXX", "cny", "", "RMB", "BTC", "toString", "constructor"]) {
      expect(isCurrency(c)).toBe(false);
      const err = expectCode(() => currencyDigits(c), "UNKNOWN_CURRENCY");
      expect(err.details).toEqual({ currency: c });
    }
  });
});

describe("parseMinor", () => {
  test.each([
    ["19.90", "CNY", 1990],
    ["19.9", "CNY", 1990],
    ["0.1", "CNY", 10],
    ["0.01", "CNY", 1],
    ["7", "CNY", 700],
    ["0", "CNY", 0],
    ["0.00", "USD", 0],
    ["007.50", "EUR", 750],
    ["  12.34 ", "CNY", 1234],
    // values where float arithmetic (x * 100) goes wrong
    ["0.29", "CNY", 29],
    ["4.35", "CNY", 435],
    ["1.15", "USD", 115],
    ["1234567.89", "CNY", 123456789],
    ["90071992547409.91", "CNY", MAX],
    ["100", "JPY", 100],
    ["0", "JPY", 0],
    ["1200", "KRW", 1200],
    ["9007199254740991", "VND", MAX],
  ])("%j %s -> %i", (text, currency, minor) => {
    expect(parseMinor(text, currency)).toBe(minor);
  });

  it("accepts negatives only when asked", () => {
    expect(parseMinor("-1.00", "CNY", { allowNegative: true })).toBe(-100);
    expect(parseMinor("-0.05", "CNY", { allowNegative: true })).toBe(-5);
    expect(parseMinor("-300", "JPY", { allowNegative: true })).toBe(-300);
    // "-0" is zero, never negative zero
    expect(Object.is(parseMinor("-0.00", "CNY", { allowNegative: true }), 0)).toBe(true);
  });

  test.each([
    "",
    " ",
    "abc",
    "1.",
    ".5",
    "1,000.00",
    "1 000",
    "1e3",
    "+1",
    "¥1",
    "1.2.3",
    "NaN",
    "Infinity",
    "- 1",
    "--1",
    "0x10",
    "１２", // full-width digits
  ])("%j is INVALID_AMOUNT", (text) => {
    const err = expectCode(() => parseMinor(text, "CNY"), "INVALID_AMOUNT");
    expect(err.details).toEqual({ value: text });
  });

  it("rejects non-strings as INVALID_AMOUNT rather than reading them as floats", () => {
    expectCode(() => parseMinor(19.9 as unknown as string, "CNY"), "INVALID_AMOUNT");
    expectCode(() => parseMinor(undefined as unknown as string, "CNY"), "INVALID_AMOUNT");
    expectCode(() => parseMinor(null as unknown as string, "CNY"), "INVALID_AMOUNT");
  });

  it("rejects amounts beyond the safe integer range as INVALID_AMOUNT", () => {
    expectCode(() => parseMinor("90071992547409.92", "CNY"), "INVALID_AMOUNT");
    expectCode(() => parseMinor("9007199254740992", "JPY"), "INVALID_AMOUNT");
    expectCode(() => parseMinor("9007199254740993", "JPY"), "INVALID_AMOUNT");
    expectCode(() => parseMinor("1".padEnd(40, "0"), "CNY"), "INVALID_AMOUNT");
  });

  it("accepts trailing zeros beyond the currency's digits, which are exact", () => {
    expect(parseMinor("1.230", "CNY")).toBe(123);
    expect(parseMinor("100.00", "KRW")).toBe(100);
  });

  it("refuses to round: too many decimals is AMOUNT_PRECISION", () => {
    const err = expectCode(() => parseMinor("1.234", "CNY"), "AMOUNT_PRECISION");
    expect(err.details).toMatchObject({ value: "1.234", currency: "CNY", digits: 2 });
    expectCode(() => parseMinor("0.001", "USD"), "AMOUNT_PRECISION");
    expectCode(() => parseMinor("1.5", "JPY"), "AMOUNT_PRECISION");
    expectCode(() => parseMinor("100.5", "KRW"), "AMOUNT_PRECISION");
  });

  it("rejects negative amounts with NEGATIVE_AMOUNT by default", () => {
    expectCode(() => parseMinor("-1.00", "CNY"), "NEGATIVE_AMOUNT");
    expectCode(() => parseMinor("-0.01", "CNY"), "NEGATIVE_AMOUNT");
    expectCode(() => parseMinor("-5", "JPY"), "NEGATIVE_AMOUNT");
    expectCode(() => parseMinor("-1", "CNY", { allowNegative: false }), "NEGATIVE_AMOUNT");
  });

  it("rejects unknown currencies with UNKNOWN_CURRENCY", () => {
    expectCode(() => parseMinor("1.00", "XXX"), "UNKNOWN_CURRENCY");
    expectCode(() => parseMinor("1.00", "cny"), "UNKNOWN_CURRENCY");
    expectCode(() => parseMinor("1.00", ""), "UNKNOWN_CURRENCY");
    // names inherited from Object.prototype are not currencies either
    expectCode(() => parseMinor("12.345", "toString"), "UNKNOWN_CURRENCY");
    expectCode(() => parseMinor("1", "constructor"), "UNKNOWN_CURRENCY");
  });

  it("agrees with exact BigInt arithmetic for any decimal string within the currency's precision", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.nat({ max: 99 }),
        fc.nat({ max: 2 }),
        ([currency, digits], whole, fracValue, fracLen) => {
          const len = Math.min(fracLen, digits);
          const frac = len === 0 ? "" : String(fracValue % 10 ** len).padStart(len, "0");
          const text = frac ? `${whole}.${frac}` : String(whole);
          const expected = whole * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, "0") || "0");
          expect(BigInt(parseMinor(text, currency))).toBe(expected);
        },
      ),
      RUNS,
    );
  });

  it("parseMoney pairs the amount with its currency", () => {
    expect(parseMoney("19.90", "CNY")).toEqual({ amount: 1990, currency: "CNY" });
    expectCode(() => parseMoney("-1", "CNY"), "NEGATIVE_AMOUNT");
  });
});

describe("formatMinor", () => {
  test.each([
    [1990, "CNY", "19.90"],
    [10, "CNY", "0.10"],
    [5, "CNY", "0.05"],
    [0, "CNY", "0.00"],
    [-5, "CNY", "-0.05"],
    [-123456, "USD", "-1234.56"],
    [MAX, "CNY", "90071992547409.91"],
    [100, "JPY", "100"],
    [0, "JPY", "0"],
    [-1200, "KRW", "-1200"],
  ])("%i %s -> %j", (minor, currency, text) => {
    expect(formatMinor(minor, currency)).toBe(text);
  });

  it("never prints negative zero", () => {
    expect(formatMinor(-0, "CNY")).toBe("0.00");
  });

  it("rejects non-integer and unsafe amounts with INVALID_AMOUNT", () => {
    for (const bad of [1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, MAX + 1, -(MAX + 1)]) {
      expectCode(() => formatMinor(bad, "CNY"), "INVALID_AMOUNT");
    }
  });

  it("rejects unknown currencies", () => {
    expectCode(() => formatMinor(100, "XXX"), "UNKNOWN_CURRENCY");
    expectCode(() => formatMinor(1234, "constructor"), "UNKNOWN_CURRENCY");
  });

  it("formatMoney formats a Money", () => {
    expect(formatMoney({ amount: 1990, currency: "CNY" })).toBe("19.90");
    expect(formatMoney({ amount: 1990, currency: "JPY" })).toBe("1990");
  });
});

describe("parse/format round-trip", () => {
  test.each(CODES)("%s: parse(format(n)) === n for every safe integer", (currency) => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -MAX, max: MAX }), fc.integer({ min: -1000, max: 1000 })),
        (n) => {
          const text = formatMinor(n, currency);
          expect(parseMinor(text, currency, { allowNegative: true })).toBe(n);
          // the printed form always has exactly the currency's number of decimals
          const digits = currencyDigits(currency);
          expect(text).toMatch(digits === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${digits}}$`));
        },
      ),
      { numRuns: 200 },
    );
  });

  test.each(CURRENCIES)("%s: format(parse(s)) === s for canonical decimal strings", (currency, digits) => {
    const canonical = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** BigInt(digits) - 1n }))
      .map(([whole, frac]) =>
        digits === 0 ? String(whole) : `${whole}.${String(frac).padStart(digits, "0")}`,
      );
    fc.assert(
      fc.property(canonical, (text) => {
        expect(formatMinor(parseMinor(text, currency), currency)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});

describe("sum", () => {
  it("adds integers and is 0 for nothing", () => {
    expect(sum([])).toBe(0);
    expect(sum([1, 2, 3, -4])).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------
// prorate

/** The weights prorate actually uses: all zero means an even split. */
const effective = (weights: readonly number[]): bigint[] =>
  weights.some((w) => w > 0) ? weights.map(BigInt) : weights.map(() => 1n);

const totalArb = fc.oneof(
  fc.integer({ min: -MAX, max: MAX }),
  fc.integer({ min: -10_000, max: 10_000 }),
  fc.integer({ min: -5, max: 5 }),
);
const weightArb = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 1000 }) },
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.nat({ max: MAX }) },
);
const weightsArb = fc.array(weightArb, { minLength: 1, maxLength: 12 });

describe("prorate", () => {
  test.each([
    [100, [1, 1, 1], [34, 33, 33]],
    [-100, [1, 1, 1], [-34, -33, -33]],
    [10, [3, 3, 4], [3, 3, 4]],
    [1, [1, 2], [0, 1]],
    [1, [1, 1], [1, 0]], // tie goes to the earlier index
    [1000, [1999, 1], [1000, 0]], // 999.5 vs 0.5: equal remainders, earlier index wins
    [10, [0, 0], [5, 5]],
    [1, [0, 0, 0], [1, 0, 0]],
    [2, [0, 0, 0], [1, 1, 0]],
    [7, [0, 3, 0, 4], [0, 3, 0, 4]],
    [5, [0, 7, 0], [0, 5, 0]],
    [0, [1, 2, 3], [0, 0, 0]],
    [0, [], []],
    [1990, [5000, 3000, 2000], [995, 597, 398]],
  ])("prorate(%i, %j) = %j", (total, weights, expected) => {
    expect(prorate(total, weights)).toEqual(expected);
  });

  it("keeps exact shares beyond 2^53 intermediate products", () => {
    expect(prorate(MAX, [MAX, MAX])).toEqual([(MAX + 1) / 2, (MAX - 1) / 2]);
    expect(prorate(MAX, [1, MAX - 1])).toEqual([1, MAX - 1]);
  });

  it("rejects bad input", () => {
    expectCode(() => prorate(1.5, [1]), "INVALID_AMOUNT");
    expectCode(() => prorate(Number.NaN, [1]), "INVALID_AMOUNT");
    expectCode(() => prorate(MAX + 1, [1]), "INVALID_AMOUNT");
    expectCode(() => prorate(1, []), "PRORATE_NO_WEIGHTS");
    expectCode(() => prorate(10, [1, -1]), "PRORATE_BAD_WEIGHT");
    expectCode(() => prorate(10, [1, 0.5]), "PRORATE_BAD_WEIGHT");
    expectCode(() => prorate(10, [Number.NaN]), "PRORATE_BAD_WEIGHT");
  });

  it("shares always add up exactly to the total", () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, weights) => {
        const shares = prorate(total, weights);
        expect(shares).toHaveLength(weights.length);
        expect(shares.every(Number.isSafeInteger)).toBe(true);
        expect(shares.reduce((a, s) => a + BigInt(s), 0n)).toBe(BigInt(total));
      }),
      RUNS,
    );
  });

  it("keeps the sign of the total and never yields negative zero", () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, weights) => {
        for (const s of prorate(total, weights)) {
          if (total >= 0) expect(s).toBeGreaterThanOrEqual(0);
          else expect(s).toBeLessThanOrEqual(0);
          expect(Object.is(s, -0)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it("gives every share within one minor unit of its exact proportion (rational comparison)", () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, weights) => {
        const shares = prorate(total, weights);
        const w = effective(weights);
        const den = w.reduce((a, x) => a + x, 0n);
        shares.forEach((s, i) => {
          // |s - total * w_i / den| < 1  <=>  |s * den - total * w_i| < den
          const diff = BigInt(s) * den - BigInt(total) * (w[i] as bigint);
          expect(diff < 0n ? -diff : diff).toBeLessThan(den);
        });
      }),
      RUNS,
    );
  });

  it("hands the leftover units to the largest remainders, ties to the earlier index", () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, weights) => {
        const shares = prorate(total, weights);
        const w = effective(weights);
        const den = w.reduce((a, x) => a + x, 0n);
        const abs = BigInt(Math.abs(total));
        const info = w.map((x, i) => {
          const floor = (abs * x) / den;
          const got = BigInt(Math.abs(shares[i] as number));
          return { i, rem: (abs * x) % den, bumped: got === floor + 1n, got, floor };
        });
        for (const a of info) expect(a.bumped || a.got === a.floor).toBe(true);
        for (const a of info.filter((x) => x.bumped)) {
          for (const b of info.filter((x) => !x.bumped)) {
            expect(a.rem > b.rem || (a.rem === b.rem && a.i < b.i)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it("splits evenly when every weight is zero, larger shares first", () => {
    fc.assert(
      fc.property(totalArb, fc.integer({ min: 1, max: 12 }), (total, n) => {
        const shares = prorate(total, Array(n).fill(0));
        const abs = shares.map((s) => Math.abs(s));
        expect(Math.max(...abs) - Math.min(...abs)).toBeLessThanOrEqual(1);
        for (let i = 1; i < abs.length; i++) expect(abs[i]).toBeLessThanOrEqual(abs[i - 1] as number);
        expect(shares.reduce((a, s) => a + BigInt(s), 0n)).toBe(BigInt(total));
      }),
      RUNS,
    );
  });

  it("gives zero-weight entries nothing when some weight is positive", () => {
    fc.assert(
      fc.property(
        totalArb,
        weightsArb.filter((ws) => ws.some((w) => w > 0)),
        (total, weights) => {
          const shares = prorate(total, weights);
          weights.forEach((w, i) => {
            if (w === 0) expect(shares[i]).toBe(0);
          });
        },
      ),
      RUNS,
    );
  });

  it("is deterministic and leaves its input alone", () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, weights) => {
        const copy = [...weights];
        const a = prorate(total, weights);
        const b = prorate(total, weights);
        expect(b).toEqual(a);
        expect(weights).toEqual(copy);
        // negating the total mirrors the split exactly
        expect(prorate(-total, weights).map((s) => -s || 0)).toEqual(a.map((s) => s || 0));
      }),
      RUNS,
    );
  });
});
