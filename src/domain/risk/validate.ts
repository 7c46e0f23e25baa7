import { AppError } from "../errors.ts";
import type { Text } from "./text.ts";

/**
 * Settings objects (thresholds) are validated against a table of field kinds: a partial input is
 * merged over the defaults, and every problem is collected so the merchant fixes them in one go.
 */

export interface SettingProblem {
  path: string;
  /** What is wrong, after the path: "refunds30 must be …". */
  message: string;
  /** What a person reads next to the field, in both languages (the API answers in the caller's). */
  text: Text;
}

/** A problem with its message in both languages, as it reads at its field. */
export const problem = (path: string, en: string, zh: string): SettingProblem => ({
  path,
  message: en,
  text: { en, zh },
});

export type FieldKind = "count" | "days" | "minor" | "number" | "rate" | "openRate" | "hour" | "score";

const KINDS: Record<FieldKind, { ok: (v: number) => boolean; message: string; zh: string }> = {
  count: {
    ok: (v) => Number.isInteger(v) && v >= 0,
    message: "must be a whole number, 0 or more",
    zh: "应为不小于 0 的整数",
  },
  days: {
    ok: (v) => Number.isInteger(v) && v >= 1,
    message: "must be a whole number of days, 1 or more",
    zh: "应为不小于 1 的整数天数",
  },
  minor: {
    ok: (v) => Number.isSafeInteger(v) && v >= 0,
    message: "must be a whole amount in minor units (分), 0 or more",
    zh: "应为不小于 0 的金额（以分计的整数）",
  },
  number: { ok: (v) => v >= 0, message: "must not be negative", zh: "不能为负数" },
  rate: { ok: (v) => v >= 0 && v <= 1, message: "must be a rate from 0 to 1", zh: "应为 0 到 1 之间的比例" },
  openRate: {
    ok: (v) => v > 0 && v < 1,
    message: "must be a rate above 0 and below 1",
    zh: "应为大于 0 且小于 1 的比例",
  },
  hour: {
    ok: (v) => Number.isInteger(v) && v >= 0 && v <= 23,
    message: "must be a whole hour from 0 to 23",
    zh: "应为 0 到 23 之间的整点",
  },
  score: {
    ok: (v) => Number.isInteger(v) && v >= 0 && v <= 100,
    message: "must be a whole number from 0 to 100",
    zh: "应为 0 到 100 之间的整数",
  },
};

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Check one value; a problem is pushed and `undefined` returned when it is not acceptable. */
export function checkField(
  kind: FieldKind,
  value: unknown,
  path: string,
  problems: SettingProblem[],
): number | undefined {
  if (typeof value !== "number" || Number.isNaN(value)) {
    problems.push(problem(path, `must be a number, got ${describe(value)}`, "应为数字"));
    return undefined;
  }
  if (!Number.isFinite(value)) {
    problems.push(problem(path, "must be a finite number", "应为有限的数字"));
    return undefined;
  }
  if (value < 0 && kind !== "number") {
    problems.push(
      problem(path, `must not be negative (${KINDS[kind].message})`, `不能为负数（${KINDS[kind].zh}）`),
    );
    return undefined;
  }
  if (!KINDS[kind].ok(value)) {
    problems.push(problem(path, KINDS[kind].message, KINDS[kind].zh));
    return undefined;
  }
  return value;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the text ${JSON.stringify(v)}`;
  if (typeof v === "number") return "NaN";
  return `a ${typeof v}`;
}

/**
 * Merge the flat numeric fields of `input` over `defaults`, each checked against `schema`. Keys the
 * schema does not know are problems; keys named in `nested` are left to the caller.
 */
export function mergeFields<T extends object>(
  defaults: T,
  schema: Readonly<Record<string, FieldKind>>,
  input: Record<string, unknown>,
  problems: SettingProblem[],
  nested: readonly string[] = [],
): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(input)) {
    if (nested.includes(key)) continue;
    if (!Object.hasOwn(schema, key)) {
      problems.push(problem(key, "is not a known setting", "不是已知的设置项"));
      continue;
    }
    if (value === undefined) continue;
    const kind = schema[key] as FieldKind;
    const v = checkField(kind, value, key, problems);
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

/** The error listing every problem: `code`, a readable message, and `details.errors: [{ path, message }]`. */
export function settingsError(code: string, what: string, problems: readonly SettingProblem[]): AppError {
  const list = problems.map((p) => (p.path ? `${p.path} ${p.message}` : p.message)).join("; ");
  return new AppError(code, `Invalid ${what}: ${list}`, {
    errors: problems.map((p) => ({ path: p.path, message: p.message, text: { ...p.text } })),
  });
}

/** Throw `code` listing every problem, if there are any. */
export function throwIfProblems(code: string, what: string, problems: readonly SettingProblem[]): void {
  if (problems.length > 0) throw settingsError(code, what, problems);
}
