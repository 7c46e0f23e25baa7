import { type CaseFacts, WINDOWS, type Window } from "./facts.ts";
import type { Label } from "./text.ts";

/**
 * What a rule condition can look at (条件字段). Each field is one file in `conditions/` exporting a
 * definition made with `defineCondition`, plus one line in `conditions/index.ts`.
 */

/**
 * The kind of value a field holds; it decides which operators apply and how values are written and
 * shown. amount: integer minor units in the case's currency (rules write decimal strings);
 * days: fractional days; ratio: 0..1, shown as a percentage; enum: one of a known list;
 * set: a list of strings (of a known list when `values` is given).
 */
export type ValueType = "number" | "amount" | "days" | "ratio" | "enum" | "string" | "set" | "boolean";
export const VALUE_TYPES: readonly ValueType[] = [
  "number",
  "amount",
  "days",
  "ratio",
  "enum",
  "string",
  "set",
  "boolean",
];

/** What `get` returns for each value type. */
export interface ValueOf {
  number: number | null;
  amount: number | null;
  days: number | null;
  ratio: number | null;
  enum: string;
  string: string;
  set: readonly string[];
  boolean: boolean;
}

export const NUMERIC_TYPES: ReadonlySet<ValueType> = new Set(["number", "amount", "days", "ratio"]);

export interface ConditionSpec<T extends ValueType> {
  /** Dotted name rules use, e.g. `case.reason`. */
  field: string;
  type: T;
  label: Label;
  /** Numeric fields only: the value may be unknown (null), e.g. days since delivery before delivery. */
  nullable?: boolean;
  /** How an unknown (null) value reads, e.g. "not delivered yet". */
  nullLabel?: Label;
  /** enum (required) and set (optional): the known values with their labels. */
  values?: Readonly<Record<string, Label>>;
  /**
   * enum only: "is X" reads as X's label alone in a rule's summary — 仅退款, 未发货 — because the value
   * says which field it is (default: 售后类型 等于 仅退款).
   */
  equalsReadsAsValue?: boolean;
  /** Windowed fields: the windows (days) a rule may pick, and the one used when it picks none. */
  windows?: readonly Window[];
  defaultWindow?: Window;
  /** Read the value from the facts. Pure and cheap: it runs for every case. */
  get: (facts: CaseFacts, window: Window) => ValueOf[T];
}

/** A registered condition field, with every optional part filled in. */
export interface Condition {
  readonly field: string;
  readonly type: ValueType;
  readonly label: Label;
  readonly nullable: boolean;
  readonly nullLabel: Label;
  readonly values: Readonly<Record<string, Label>> | null;
  readonly equalsReadsAsValue: boolean;
  readonly windows: readonly Window[];
  readonly defaultWindow: Window | null;
  readonly get: (facts: CaseFacts, window: Window) => unknown;
}

const FIELD = /^[a-z]+(\.[a-z0-9_]+)+$/;
const UNKNOWN: Label = { zh: "无", en: "none" };

export function defineCondition<const T extends ValueType>(spec: ConditionSpec<T>): Condition {
  const bad = (why: string): never => {
    throw new Error(`Condition "${spec.field}": ${why}`);
  };
  if (!FIELD.test(spec.field)) bad("the field name must be dotted lower case, e.g. case.reason");
  if (spec.type === "enum" && !spec.values) bad("an enum needs its values");
  if (spec.values && spec.type !== "enum" && spec.type !== "set") bad("only enum and set fields list values");
  if (spec.nullable && !NUMERIC_TYPES.has(spec.type)) bad("only numeric fields can be nullable");
  if (spec.equalsReadsAsValue && spec.type !== "enum") bad("only an enum reads as its value");
  const windows = spec.windows ?? [];
  if (windows.some((w) => !WINDOWS.includes(w))) bad(`windows must be among ${WINDOWS.join(", ")}`);
  if (windows.length > 0 && (spec.defaultWindow === undefined || !windows.includes(spec.defaultWindow)))
    bad("a windowed field needs a default window among its windows");
  if (windows.length === 0 && spec.defaultWindow !== undefined) bad("a default window needs windows");
  return Object.freeze({
    field: spec.field,
    type: spec.type,
    label: spec.label,
    nullable: spec.nullable ?? false,
    nullLabel: spec.nullLabel ?? UNKNOWN,
    values: spec.values ?? null,
    equalsReadsAsValue: spec.equalsReadsAsValue ?? false,
    windows,
    defaultWindow: spec.defaultWindow ?? null,
    get: spec.get,
  });
}

/** Labels for a plain list of codes, checked complete by the compiler at the call site. */
export const labelsOf = <K extends string>(labels: Record<K, Label>): Readonly<Record<K, Label>> => labels;
