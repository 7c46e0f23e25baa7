import { AppError } from "../errors.ts";
import { parseMinor } from "../money.ts";
import type { Condition, ValueType } from "./condition.ts";
import type { CaseFacts } from "./facts.ts";
import { didYouMean, type Label } from "./text.ts";

/**
 * Condition operators (运算符), as a table keyed by value type. Each builds a closure once, at compile
 * time, from a getter and an already parsed value; the closure is what runs for every case.
 */

export type Test = (facts: CaseFacts) => boolean;
export type Getter = (facts: CaseFacts) => unknown;

/** The shape of an operator's value: one value, [lo, hi], a non-empty list, or true/false. */
export type Operand = "scalar" | "range" | "list" | "flag";

export interface Operator {
  readonly operand: Operand;
  /** How it reads between the field and the value. */
  readonly label: Label;
  /** flag operators: the phrase for true and for false, which stands for both operator and value. */
  readonly flag?: { readonly true: Label; readonly false: Label };
  /** Only for fields whose value may be unknown (null). */
  readonly nullableOnly?: boolean;
  /** Compares the value, so an amount in another currency than the rule set's never passes. */
  readonly compares: boolean;
  readonly build: (get: Getter, value: never) => Test;
}

type NumGet = (facts: CaseFacts) => number | null;
type StrGet = (facts: CaseFacts) => string;
type SetGet = (facts: CaseFacts) => readonly string[];

const op = <V>(
  operand: Operand,
  label: Label,
  build: (get: Getter, value: V) => Test,
  extra: Partial<Pick<Operator, "flag" | "nullableOnly" | "compares">> = {},
): Operator => ({
  operand,
  label,
  compares: true,
  ...extra,
  build: build as (get: Getter, value: never) => Test,
});

const NUMERIC: Readonly<Record<string, Operator>> = {
  eq: op<number>("scalar", { zh: "=", en: "=" }, (get, x) => (f) => (get as NumGet)(f) === x),
  ne: op<number>("scalar", { zh: "≠", en: "≠" }, (get, x) => (f) => {
    const v = (get as NumGet)(f);
    return v !== null && v !== x;
  }),
  gt: op<number>("scalar", { zh: ">", en: ">" }, (get, x) => (f) => {
    const v = (get as NumGet)(f);
    return v !== null && v > x;
  }),
  gte: op<number>("scalar", { zh: "≥", en: "≥" }, (get, x) => (f) => {
    const v = (get as NumGet)(f);
    return v !== null && v >= x;
  }),
  lt: op<number>("scalar", { zh: "<", en: "<" }, (get, x) => (f) => {
    const v = (get as NumGet)(f);
    return v !== null && v < x;
  }),
  lte: op<number>("scalar", { zh: "≤", en: "≤" }, (get, x) => (f) => {
    const v = (get as NumGet)(f);
    return v !== null && v <= x;
  }),
  between: op<readonly [number, number]>("range", { zh: "介于", en: "between" }, (get, [lo, hi]) => (f) => {
    const v = (get as NumGet)(f);
    return v !== null && v >= lo && v <= hi;
  }),
  exists: op<boolean>(
    "flag",
    { zh: "有值", en: "is known" },
    (get, known) => (known ? (f) => get(f) !== null : (f) => get(f) === null),
    {
      nullableOnly: true,
      compares: false,
      flag: { true: { zh: "有值", en: "is known" }, false: { zh: "为空", en: "is unknown" } },
    },
  ),
};

const CHOICE: Readonly<Record<string, Operator>> = {
  eq: op<string>("scalar", { zh: "等于", en: "is" }, (get, x) => (f) => (get as StrGet)(f) === x),
  ne: op<string>("scalar", { zh: "不等于", en: "is not" }, (get, x) => (f) => (get as StrGet)(f) !== x),
  in: op<readonly string[]>("list", { zh: "属于", en: "is one of" }, (get, xs) => {
    const s = new Set(xs);
    return (f) => s.has((get as StrGet)(f));
  }),
  not_in: op<readonly string[]>("list", { zh: "不属于", en: "is none of" }, (get, xs) => {
    const s = new Set(xs);
    return (f) => !s.has((get as StrGet)(f));
  }),
};

function anyOf(get: Getter, xs: readonly string[]): Test {
  const s = new Set(xs);
  return (f) => {
    const a = (get as SetGet)(f);
    for (let i = 0; i < a.length; i++) if (s.has(a[i] as string)) return true;
    return false;
  };
}

const SET: Readonly<Record<string, Operator>> = {
  contains: op<string>(
    "scalar",
    { zh: "包含", en: "includes" },
    (get, x) => (f) => (get as SetGet)(f).includes(x),
  ),
  contains_any: op<readonly string[]>("list", { zh: "包含任一", en: "includes any of" }, anyOf),
  contains_all: op<readonly string[]>("list", { zh: "包含全部", en: "includes all of" }, (get, xs) => (f) => {
    const a = (get as SetGet)(f);
    for (let i = 0; i < xs.length; i++) if (!a.includes(xs[i] as string)) return false;
    return true;
  }),
  contains_none: op<readonly string[]>("list", { zh: "不包含任何", en: "includes none of" }, (get, xs) => {
    const any = anyOf(get, xs);
    return (f) => !any(f);
  }),
  is_empty: op<boolean>(
    "flag",
    { zh: "为空", en: "is empty" },
    (get, empty) => (f) => ((get as SetGet)(f).length === 0) === empty,
    { flag: { true: { zh: "为空", en: "is empty" }, false: { zh: "不为空", en: "is not empty" } } },
  ),
};

const BOOLEAN: Readonly<Record<string, Operator>> = {
  eq: op<boolean>("scalar", { zh: "为", en: "is" }, (get, x) => (f) => get(f) === x),
};

export const OPERATORS: Readonly<Record<ValueType, Readonly<Record<string, Operator>>>> = {
  number: NUMERIC,
  amount: NUMERIC,
  days: NUMERIC,
  ratio: NUMERIC,
  enum: CHOICE,
  string: CHOICE,
  set: SET,
  boolean: BOOLEAN,
};

/** Every operator name of any type, to tell a typo from an operator that does not fit the field. */
export const OPERATOR_NAMES: readonly string[] = [
  ...new Set(Object.values(OPERATORS).flatMap((table) => Object.keys(table))),
];

export const operatorFor = (type: ValueType, name: string): Operator | undefined =>
  Object.hasOwn(OPERATORS[type], name) ? OPERATORS[type][name] : undefined;

/** The operators a field accepts (without `exists` where its value is never unknown). */
export const operatorsOf = (cond: Condition): string[] =>
  Object.entries(OPERATORS[cond.type])
    .filter(([, o]) => cond.nullable || !o.nullableOnly)
    .map(([name]) => name);

/** A value as written in the rule set (`value`), and as the closure compares it (`compiled`). */
export type Parsed = { ok: true; value: unknown; compiled: unknown } | { ok: false; message: Label };

const show = (raw: unknown): string =>
  typeof raw === "string" ? `"${raw}"` : (JSON.stringify(raw) ?? String(raw));
const no = (message: Label): Parsed => ({ ok: false, message });
const yes = (value: unknown, compiled: unknown = value): Parsed => ({ ok: true, value, compiled });

function parseScalar(cond: Condition, raw: unknown, currency: string): Parsed {
  const name = `${cond.field} (${cond.label.en})`;
  const zh = `「${cond.label.zh}」`;
  switch (cond.type) {
    case "number":
      return typeof raw === "number" && Number.isFinite(raw)
        ? yes(raw)
        : no({
            en: `${name} needs a number, not ${show(raw)}`,
            zh: `${zh}需要填写数字，而不是 ${show(raw)}`,
          });
    case "days":
      return typeof raw === "number" && Number.isFinite(raw) && raw >= 0
        ? yes(raw)
        : no({
            en: `${name} needs a number of days (0 or more), not ${show(raw)}`,
            zh: `${zh}需要填写天数（不小于 0），而不是 ${show(raw)}`,
          });
    case "ratio":
      return typeof raw === "number" && Number.isFinite(raw) && raw >= 0 && raw <= 1
        ? yes(raw)
        : no({
            en: `${name} is a ratio: a number from 0 to 1 (0.25 is 25%), not ${show(raw)}`,
            zh: `${zh}是比例：0 到 1 之间的数（0.25 即 25%），而不是 ${show(raw)}`,
          });
    case "amount": {
      if (!(typeof raw === "string" || (typeof raw === "number" && Number.isFinite(raw))))
        return no({
          en: `${name} needs an amount in ${currency} written as text, e.g. "30.00", not ${show(raw)}`,
          zh: `${zh}需要填写 ${currency} 金额（文字形式，例如 "30.00"），而不是 ${show(raw)}`,
        });
      try {
        return yes(raw, parseMinor(String(raw), currency));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return no({
          en: `${show(raw)} is not a valid amount in ${currency} for ${name}: ${err.message}`,
          zh: `${zh}：${show(raw)} 不是有效的 ${currency} 金额，最多两位小数，例如 30.00`,
        });
      }
    }
    case "boolean":
      return typeof raw === "boolean"
        ? yes(raw)
        : no({
            en: `${name} needs true or false, not ${show(raw)}`,
            zh: `${zh}只能是“是”或“否”（true / false），而不是 ${show(raw)}`,
          });
    case "string":
      return typeof raw === "string" && raw !== "" && raw.length <= 200
        ? yes(raw)
        : no({
            en: `${name} needs a non-empty text of at most 200 characters, not ${show(raw)}`,
            zh: `${zh}需要填写不超过 200 字的文字，而不是 ${show(raw)}`,
          });
    case "enum":
    case "set": {
      const known = cond.values;
      if (typeof raw !== "string" || raw === "" || raw.length > 200)
        return no({
          en: `${name} needs a non-empty text value, not ${show(raw)}`,
          zh: `${zh}需要选择或填写一个值，而不是 ${show(raw)}`,
        });
      if (known === null || Object.hasOwn(known, raw)) return yes(raw);
      const codes = Object.keys(known);
      const hint = didYouMean(raw, codes);
      return no({
        en: `Unknown value "${raw}" for ${name}${hint.en} (known: ${codes.join(", ")})`,
        zh: `${zh}没有“${raw}”这个值${hint.zh}（可选：${codes.join("、")}）`,
      });
    }
  }
}

/** Check the value a condition compares with, for its field and operator. */
export function parseOperand(cond: Condition, operator: Operator, raw: unknown, currency: string): Parsed {
  switch (operator.operand) {
    case "scalar":
      return parseScalar(cond, raw, currency);
    case "flag":
      return typeof raw === "boolean"
        ? yes(raw)
        : no({
            en: `This operator takes true or false, not ${show(raw)}`,
            zh: `这个运算符只取 true 或 false，而不是 ${show(raw)}`,
          });
    case "range": {
      if (!Array.isArray(raw) || raw.length !== 2)
        return no({
          en: `"between" takes [low, high], not ${show(raw)}`,
          zh: `“介于”需要 [下限, 上限]，而不是 ${show(raw)}`,
        });
      const lo = parseScalar(cond, raw[0], currency);
      const hi = parseScalar(cond, raw[1], currency);
      if (!lo.ok) return lo;
      if (!hi.ok) return hi;
      if ((lo.compiled as number) > (hi.compiled as number))
        return no({
          en: `"between" takes [low, high] with low ≤ high; ${show(raw[0])} is above ${show(raw[1])}`,
          zh: `“介于”的下限不能高于上限：${show(raw[0])} 大于 ${show(raw[1])}`,
        });
      return yes([lo.value, hi.value], [lo.compiled, hi.compiled]);
    }
    case "list": {
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > 1000)
        return no({
          en: `This operator takes a non-empty list of values, not ${show(raw)}`,
          zh: `这个运算符需要至少一个值（列表），而不是 ${show(raw)}`,
        });
      const values: unknown[] = [];
      const compiled: unknown[] = [];
      for (const r of raw) {
        const p = parseScalar(cond, r, currency);
        if (!p.ok) return p;
        values.push(p.value);
        compiled.push(p.compiled);
      }
      return yes(values, compiled);
    }
  }
}
