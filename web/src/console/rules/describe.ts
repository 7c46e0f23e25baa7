import { formatMoney, parseMoneyInput } from "../../shared/money.ts";
import {
  type Action,
  childrenOf,
  groupKind,
  isGroup,
  isLeaf,
  type Label,
  type Leaf,
  type Node,
  type ParamSpec,
  type Vocabulary,
} from "./model.ts";

/**
 * A rule in the merchant's words — 退款金额 ≤ ¥30.00 且 仅退款 且 未发货 → 自动同意 — built only from the
 * vocabulary: each field's label, type and values, each operator's label or phrase, each action's label
 * and parameters. A new condition or action reads right here without a change to this file.
 */

export type Lang = "zh" | "en";

const WORDS = {
  zh: {
    and: " 且 ",
    or: " 或 ",
    not: (x: string) => `并非（${x}）`,
    always: "所有售后单",
    between: (a: string, b: string) => `介于 ${a} 至 ${b}`,
    window: (n: number) => `（近 ${n} 天）`,
    days: (n: string) => `${n} 天`,
    yes: "是",
    no: "否",
    list: "、",
    quote: (s: string) => `「${s}」`,
    params: (s: string) => `（${s}）`,
    paramSep: "，",
    actionSep: "，",
    none: "（无）",
  },
  en: {
    and: " and ",
    or: " or ",
    not: (x: string) => `not (${x})`,
    always: "every case",
    between: (a: string, b: string) => `between ${a} and ${b}`,
    window: (n: number) => ` (last ${n} days)`,
    days: (n: string) => `${n} ${n === "1" ? "day" : "days"}`,
    yes: "yes",
    no: "no",
    list: ", ",
    quote: (s: string) => `"${s}"`,
    params: (s: string) => ` (${s})`,
    paramSep: ", ",
    actionSep: "; ",
    none: "(none)",
  },
} as const;

const said = (l: Label | null | undefined, lang: Lang, fallback = "") => (l ? l[lang] : fallback);
const num = (v: unknown) => (typeof v === "number" ? String(Number(v.toFixed(4))) : String(v));

/** One value of a field as people read it: amounts as money, days with units, ratios in %, codes by label. */
export function valueText(
  vocab: Vocabulary,
  field: string,
  value: unknown,
  lang: Lang,
  currency = "CNY",
): string {
  const f = vocab.fields.find((x) => x.field === field);
  const w = WORDS[lang];
  if (value === null || value === undefined) return f ? said(f.nullLabel, lang) : "—";
  if (Array.isArray(value)) {
    if (value.length === 0) return w.none;
    return value.map((v) => valueText(vocab, field, v, lang, currency)).join(w.list);
  }
  if (!f) return JSON.stringify(value);
  switch (f.type) {
    case "amount":
      return formatMoney({ amount: parseMoneyInput(String(value), currency) ?? String(value), currency });
    case "days":
      return w.days(num(value));
    case "ratio":
      return typeof value === "number" ? `${num(value * 100)}%` : String(value);
    case "boolean":
      return value === true ? w.yes : value === false ? w.no : String(value);
    case "string":
      return w.quote(String(value));
    case "enum":
    case "set": {
      const l = f.values?.[String(value)];
      return l ? l[lang] : String(value);
    }
    default:
      return num(value);
  }
}

/** One comparison: 退款金额 ≤ ¥30.00, 仅退款, 签收至今（近 90 天）介于 0 天 至 7 天. */
export function leafText(vocab: Vocabulary, leaf: Leaf, lang: Lang, currency?: string) {
  const f = vocab.fields.find((x) => x.field === leaf.field);
  const o = f?.operators.find((x) => x.op === leaf.op);
  if (!f || !o) return `${leaf.field} ${leaf.op} ${JSON.stringify(leaf.value)}`;
  const w = WORDS[lang];
  const name =
    f.label[lang] + (leaf.window !== undefined && f.windows.length > 0 ? w.window(leaf.window) : "");
  const show = (v: unknown) => valueText(vocab, f.field, v, lang, currency);
  if (o.flag) return `${name} ${(leaf.value === false ? o.flag.false : o.flag.true)[lang]}`;
  if (o.op === "eq" && f.equalsReadsAsValue && typeof leaf.value === "string") return show(leaf.value);
  if (o.operand === "range" && Array.isArray(leaf.value))
    return `${name} ${w.between(show(leaf.value[0]), show(leaf.value[1]))}`;
  return `${name} ${o.label[lang]} ${show(leaf.value)}`;
}

/** A condition tree in one line; groups inside groups are bracketed. */
export function conditionText(
  vocab: Vocabulary,
  node: Node,
  lang: Lang,
  currency?: string,
  nested = false,
): string {
  const w = WORDS[lang];
  if (isLeaf(node)) return leafText(vocab, node, lang, currency);
  if ("not" in node) return w.not(conditionText(vocab, node.not, lang, currency, false));
  if (!isGroup(node)) return JSON.stringify(node);
  const children = childrenOf(node);
  if (children.length === 0) return w.always;
  const parts = children.map((c) => conditionText(vocab, c, lang, currency, true));
  const text = parts.join(groupKind(node) === "all" ? w.and : w.or);
  return nested && children.length > 1 ? `(${text})` : text;
}

function paramText(vocab: Vocabulary, p: ParamSpec, v: unknown, lang: Lang): string | null {
  if (v === undefined || v === null || v === "") return null;
  const w = WORDS[lang];
  const listed = p.values ? (vocab[p.values] as Record<string, Label>) : undefined;
  const code = (c: unknown) => listed?.[String(c)]?.[lang] ?? String(c);
  switch (p.kind) {
    case "choice":
      return code(v);
    case "choices":
    case "texts":
      return Array.isArray(v) ? v.map(code).join(w.list) : code(v);
    case "text":
      return `${p.label[lang]} ${String(v)}`;
    default:
      return p.unit ? `${num(v)} ${p.unit[lang]}` : `${p.label[lang]} ${num(v)}`;
  }
}

/** One action: 自动同意, 转人工审核（队列 risk，优先级 90）, 要求上传凭证（照片、视频）. */
export function actionText(vocab: Vocabulary, action: Action, lang: Lang): string {
  const spec = vocab.actions.find((a) => a.action === action.action);
  if (!spec) return action.action;
  const w = WORDS[lang];
  const params = spec.params
    .map((p) => paramText(vocab, p, action[p.name] ?? p.default, lang))
    .filter((x): x is string => x !== null);
  return spec.label[lang] + (params.length > 0 ? w.params(params.join(w.paramSep)) : "");
}

/** A whole rule: conditions → actions. */
export const ruleText = (
  vocab: Vocabulary,
  rule: { when: Node; then: readonly Action[] },
  lang: Lang,
  currency?: string,
) =>
  `${conditionText(vocab, rule.when, lang, currency)} → ${rule.then.map((a) => actionText(vocab, a, lang)).join(WORDS[lang].actionSep)}`;

/** A rule's name in `lang` (a plain string reads the same in both). */
export const nameText = (name: string | Label | undefined, lang: Lang) =>
  typeof name === "string" ? name : (name?.[lang] ?? "");
