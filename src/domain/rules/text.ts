/** Words for people: every label, reason and explanation exists in Chinese and English. */

export type Lang = "zh" | "en";

export interface Label {
  zh: string;
  en: string;
}

/** A label that reads the same in both languages (a merchant's own one-language name). */
export const toLabel = (name: string | Label): Label =>
  typeof name === "string" ? { zh: name, en: name } : name;

/** Edit distance between two short strings (case-insensitive), for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[y.length] ?? 0;
}

/**
 * The candidate closest to `input`, when it is close enough to be what the person meant: a small
 * edit distance ("case.reasn" → "case.reason"), or else a shared start ("refund" → "refund_only").
 */
export function closest(input: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  let prefix: string | null = null;
  let prefixDistance = Number.POSITIVE_INFINITY;
  const limit = Math.max(2, Math.floor(input.length / 3));
  const lower = input.toLowerCase();
  for (const c of candidates) {
    const d = distance(input, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
    const other = c.toLowerCase();
    if (lower.length >= 3 && (other.startsWith(lower) || lower.startsWith(other)) && d < prefixDistance) {
      prefix = c;
      prefixDistance = d;
    }
  }
  return bestDistance <= limit ? best : prefix;
}

/** ` did you mean "x"?` or nothing, in both languages — appended to a message about an unknown name. */
export const didYouMean = (input: string, candidates: Iterable<string>): Label => {
  const hit = closest(input, candidates);
  return hit === null ? { zh: "", en: "" } : { zh: `；是不是“${hit}”？`, en: `; did you mean "${hit}"?` };
};
