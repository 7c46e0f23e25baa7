import { fail } from "./errors.ts";

/** Integer minor units (分, cents) of one currency. Never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Minor-unit digits per ISO 4217 currency; anything unlisted is rejected rather than guessed. */
const DIGITS: Readonly<Record<string, number>> = {
  CNY: 2,
  HKD: 2,
  TWD: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  AUD: 2,
  CAD: 2,
  SGD: 2,
  MYR: 2,
  THB: 2,
  JPY: 0,
  KRW: 0,
  VND: 0,
};

// Own keys only: "toString" or "constructor" must not pass as a currency via the prototype.
export const currencyDigits = (currency: string): number =>
  (Object.hasOwn(DIGITS, currency) ? DIGITS[currency] : undefined) ??
  fail("UNKNOWN_CURRENCY", `Unknown currency "${currency}"`, { currency });

export const isCurrency = (currency: string): boolean => Object.hasOwn(DIGITS, currency);

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parse a decimal string ("19.90", "0.1", "7") into minor units exactly, by string arithmetic.
 * More fraction digits than the currency has is an error, never a rounding.
 */
export function parseMinor(text: string, currency: string, opts: { allowNegative?: boolean } = {}): number {
  const digits = currencyDigits(currency);
  const m = DECIMAL.exec(typeof text === "string" ? text.trim() : "");
  if (!m) return fail("INVALID_AMOUNT", `"${text}" is not a decimal amount`, { value: text });
  const [, sign, whole = "", rawFrac = ""] = m;
  // Trailing zeros beyond the currency's digits are exact ("1.230" is 1.23); anything else is not.
  const frac =
    rawFrac.length > digits && /^0*$/.test(rawFrac.slice(digits)) ? rawFrac.slice(0, digits) : rawFrac;
  if (frac.length > digits) {
    return fail("AMOUNT_PRECISION", `"${text}" has ${frac.length} decimals; ${currency} allows ${digits}`, {
      value: text,
      currency,
      digits,
    });
  }
  if (sign && !opts.allowNegative) return fail("NEGATIVE_AMOUNT", `"${text}" is negative`, { value: text });
  const minor = Number(whole + frac.padEnd(digits, "0"));
  if (!Number.isSafeInteger(minor)) return fail("INVALID_AMOUNT", `"${text}" is too large`, { value: text });
  return sign && minor !== 0 ? -minor : minor;
}

export const parseMoney = (text: string, currency: string): Money => ({
  amount: parseMinor(text, currency),
  currency,
});

/** Format minor units as a plain decimal string ("19.90", "-0.05", "1200"). */
export function formatMinor(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount)) return fail("INVALID_AMOUNT", `${amount} is not an integer amount`);
  const digits = currencyDigits(currency);
  const sign = amount < 0 ? "-" : "";
  const abs = String(Math.abs(amount));
  if (digits === 0) return sign + abs;
  const padded = abs.padStart(digits + 1, "0");
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

export const formatMoney = (m: Money): string => formatMinor(m.amount, m.currency);

/**
 * Amounts for an error's details, as the API speaks money: decimal strings in `currency`, with the
 * currency beside them. (An amount that is not a whole number of minor units is shown as it is.)
 */
export function moneyDetails(currency: string, amounts: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(amounts))
    out[k] = Number.isSafeInteger(v) && isCurrency(currency) ? formatMinor(v, currency) : String(v);
  return { ...out, currency };
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * Split `total` over integer `weights` by the largest-remainder method: every share is within one
 * minor unit of its exact proportion and the shares add up to `total` exactly. The sign of `total` is
 * kept; when all weights are zero the total is split evenly. Ties go to the earlier index, so the
 * result is deterministic.
 */
export function prorate(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total)) return fail("INVALID_AMOUNT", `${total} is not an integer amount`);
  if (weights.length === 0) {
    return total === 0 ? [] : fail("PRORATE_NO_WEIGHTS", "Cannot split a non-zero amount over nothing");
  }
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0)) {
    return fail("PRORATE_BAD_WEIGHT", "Weights must be non-negative integers");
  }
  const w = weights.some((x) => x > 0) ? weights : weights.map(() => 1);
  // BigInt keeps |total| * weight exact beyond 2^53.
  const num = BigInt(Math.abs(total));
  const den = w.reduce((a, x) => a + BigInt(x), 0n);
  const parts = w.map((x, i) => ({ i, q: (num * BigInt(x)) / den, r: (num * BigInt(x)) % den }));
  let left = num - parts.reduce((a, p) => a + p.q, 0n);
  const byRemainder = [...parts].sort((a, b) => (b.r > a.r ? 1 : b.r < a.r ? -1 : a.i - b.i));
  for (const p of byRemainder) {
    if (left <= 0n) break;
    p.q += 1n;
    left -= 1n;
  }
  const sign = total < 0 ? -1 : 1;
  return parts.map((p) => (p.q === 0n ? 0 : Number(p.q) * sign));
}
