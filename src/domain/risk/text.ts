/** Small helpers for the sentences reviewers read: bilingual text, percentages, durations. */

/** One sentence in both console languages. */
export interface Text {
  readonly zh: string;
  readonly en: string;
}

/** A rate as a percentage with one decimal: 0.1791 → "17.9%". */
export const pct = (rate: number): string => `${(rate * 100).toFixed(1)}%`;

/** A multiple with one decimal: 4.26 → "4.3". */
export const times = (x: number): string => x.toFixed(1);

/** Round for the machine-readable `data` of a hit, so it stays short and stable. */
export const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** "1 refund", "4 refunds". */
export const counted = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** An hour of the day as a clock reading: 3 → "03:00", 24 → "00:00". */
export const clock = (hour: number): string => `${String(hour % 24).padStart(2, "0")}:00`;

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Several findings of one signal as one sentence each way, in the order given. */
export const joinText = (parts: readonly Text[]): Text => ({
  zh: parts.map((p) => p.zh).join("；"),
  en: capitalise(parts.map((p) => p.en).join("; ")),
});

/** A whole number of minutes, hours or days, whichever reads best (rounded down). */
export function duration(minutes: number): Text {
  const m = Math.max(0, Math.floor(minutes));
  if (m < 60) return { zh: `${m} 分钟`, en: counted(m, "minute") };
  if (m < 24 * 60) {
    const h = Math.floor(m / 60);
    return { zh: `${h} 小时`, en: counted(h, "hour") };
  }
  const d = Math.floor(m / (24 * 60));
  return { zh: `${d} 天`, en: counted(d, "day") };
}
