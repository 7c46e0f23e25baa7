import { fail } from "./errors.ts";

/**
 * Analytics over the rollups: percentiles from duration histograms and the shapes of the answers. Pure.
 * A bucket b holds durations of s seconds with floor(4·log2(s + 1)) = b (see migration 012).
 */
export const bucketLow = (b: number) => 2 ** (b / 4) - 1;
export const bucketHigh = (b: number) => 2 ** ((b + 1) / 4) - 1;

/**
 * The q-quantile (0 < q < 1) of a histogram, interpolated geometrically inside its bucket — within the
 * bucket's width (about 19%) of the exact value.
 */
export function quantile(buckets: readonly { bucket: number; n: number }[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b.n, 0);
  if (total === 0) return null;
  const sorted = [...buckets].sort((a, b) => a.bucket - b.bucket);
  const rank = q * total;
  let seen = 0;
  for (const b of sorted) {
    if (seen + b.n >= rank) {
      const within = b.n === 0 ? 0 : (rank - seen) / b.n;
      const lo = bucketLow(b.bucket) + 1;
      const hi = bucketHigh(b.bucket) + 1;
      return lo * (hi / lo) ** within - 1;
    }
    seen += b.n;
  }
  return bucketHigh((sorted.at(-1) as { bucket: number }).bucket);
}

export const REFUND_RATE_DIMENSIONS = ["sku", "category", "shop", "month"] as const;
export type RefundRateDimension = (typeof REFUND_RATE_DIMENSIONS)[number];

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A month range "YYYY-MM" to "YYYY-MM" (inclusive), as first days; both optional. */
export function monthRange(from?: string, to?: string): { from: string | null; to: string | null } {
  for (const [name, v] of [
    ["from", from],
    ["to", to],
  ] as const) {
    if (v !== undefined && !MONTH.test(v))
      fail("INVALID_MONTH", `"${name}" is a month, YYYY-MM`, { [name]: v });
  }
  if (from && to && from > to) fail("INVALID_DATE_RANGE", "The range ends before it starts", { from, to });
  return { from: from ? `${from}-01` : null, to: to ? `${to}-01` : null };
}

/** A rate that is honest about small numbers: null when nothing was sold. */
export const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);
