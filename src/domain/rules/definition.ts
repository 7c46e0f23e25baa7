import type { SolutionCode } from "../catalogue.ts";
import { AppError } from "../errors.ts";
import { isCurrency } from "../money.ts";
import { type ActionDefinition, outcomeOf, readAction, readSolution } from "./actions.ts";
import { CONDITION_FIELDS, conditionFor } from "./conditions/index.ts";
import { at, type Issue, Issues, isObject, item, readLabel, unknownKeys } from "./issues.ts";
import { OPERATOR_NAMES, operatorFor, operatorsOf, parseOperand } from "./operators.ts";
import { didYouMean, type Label } from "./text.ts";

/**
 * The rule set document (规则集): merchant-editable JSON, stored versioned. `validateRuleSet` is the
 * only way in: it reports every problem at once, each with a path and a message a merchant can act
 * on, and returns the document with its defaults filled in.
 */

export interface RuleSetDefinition {
  /** Amount values in rules are decimal strings in this currency (default CNY). */
  currency?: string;
  rules: RuleDefinition[];
  solutions: SolutionDefinition[];
}

export interface RuleDefinition {
  id: string;
  name: string | Label;
  /** Higher is evaluated first; ties keep list order. */
  priority: number;
  /** Default true. */
  enabled?: boolean;
  when: ConditionNode;
  then: ActionDefinition[];
}

export type ConditionNode =
  | { all: ConditionNode[] }
  | { any: ConditionNode[] }
  | { not: ConditionNode }
  | LeafNode;

export interface LeafNode {
  field: string;
  op: string;
  /** Required by every operator; optional in the type only so the union of nodes stays simple. */
  value?: unknown;
  /** Windowed fields only (days); filled with the field's default. */
  window?: number;
}

/** A solution recommendation (处理方案推荐) used when no matched rule recommends one. */
export interface SolutionDefinition {
  id: string;
  /** Higher is tried first (default 0); ties keep list order. */
  priority?: number;
  when: ConditionNode;
  solution: SolutionCode;
  why: Label;
}

export const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const DEFAULT_CURRENCY = "CNY";
/** Deeper nesting than this is surely a mistake, and would make explanations unreadable. */
export const MAX_DEPTH = 16;

export const isLeaf = (node: ConditionNode): node is LeafNode => "field" in node;

class Reader {
  readonly issues = new Issues();
  readonly currency: string;
  constructor(currency: string) {
    this.currency = currency;
  }

  id(raw: unknown, path: string, what: Label): string | null {
    if (raw === undefined) {
      this.issues.add(path, "MISSING", { en: `${what.en} needs an id`, zh: `${what.zh}需要填写编号` });
      return null;
    }
    if (typeof raw !== "string" || !ID.test(raw)) {
      this.issues.add(path, "INVALID_ID", {
        en: `${JSON.stringify(raw)} is not a valid id: use 1–64 lower-case letters, digits, _ or -, starting with a letter or digit`,
        zh: `${JSON.stringify(raw)} 不是有效的编号：请用 1–64 个小写字母、数字、_ 或 -，以字母或数字开头`,
      });
      return null;
    }
    return raw;
  }

  priority(raw: unknown, path: string, fallback: number | null): number | null {
    if (raw === undefined) {
      if (fallback !== null) return fallback;
      this.issues.add(path, "MISSING", {
        en: "A rule needs a priority (a whole number; higher runs first)",
        zh: "规则需要填写优先级（整数，越大越先判断）",
      });
      return null;
    }
    if (typeof raw !== "number" || !Number.isSafeInteger(raw)) {
      this.issues.add(path, "INVALID_VALUE", {
        en: `Priority must be a whole number, not ${JSON.stringify(raw)}`,
        zh: `优先级应为整数，而不是 ${JSON.stringify(raw)}`,
      });
      return null;
    }
    return raw;
  }

  node(raw: unknown, path: string, depth: number): ConditionNode | null {
    const issues = this.issues;
    if (!isObject(raw)) {
      issues.add(path, "INVALID_NODE", {
        en: 'A condition must be an object: { "field", "op", "value" } or { "all": [...] }, { "any": [...] }, { "not": {...} }',
        zh: '条件应为对象：{ "field", "op", "value" }，或 { "all": [...] }、{ "any": [...] }、{ "not": {...} }',
      });
      return null;
    }
    if (depth > MAX_DEPTH) {
      issues.add(path, "INVALID_NODE", {
        en: `Conditions are nested more than ${MAX_DEPTH} levels deep`,
        zh: `条件嵌套超过 ${MAX_DEPTH} 层`,
      });
      return null;
    }
    const groups = ["all", "any", "not"].filter((k) => k in raw);
    const leaf = ["field", "op", "value", "window"].some((k) => k in raw);
    if (groups.length + (leaf ? 1 : 0) > 1) {
      const mixed = [...groups, ...(leaf ? ["field"] : [])];
      issues.add(path, "INVALID_NODE", {
        en: `A condition is exactly one of: a comparison (field, op, value), "all", "any" or "not" — this one mixes ${mixed.join(" and ")}`,
        zh: `一个条件只能是比较（field、op、value）、"all"、"any" 或 "not" 之一，这里混用了 ${mixed.join("、")}`,
      });
      return null;
    }
    const [group] = groups;
    if (group === "not") {
      unknownKeys(raw, ["not"], path, issues);
      const child = this.node(raw.not, at(path, "not"), depth + 1);
      return child && { not: child };
    }
    if (group === "all" || group === "any") {
      unknownKeys(raw, [group], path, issues);
      const list = raw[group];
      if (!Array.isArray(list)) {
        issues.add(at(path, group), "INVALID_NODE", {
          en: `"${group}" takes a list of conditions`,
          zh: `"${group}" 需要一组条件（列表）`,
        });
        return null;
      }
      if (group === "any" && list.length === 0) {
        issues.add(at(path, group), "INVALID_NODE", {
          en: '"any" of no conditions never matches; list at least one',
          zh: "“满足任一”至少需要一个条件，否则永远不会命中",
        });
        return null;
      }
      const children = list.map((c, i) => this.node(c, item(at(path, group), i), depth + 1));
      if (children.some((c) => c === null)) return null;
      return group === "all" ? { all: children as ConditionNode[] } : { any: children as ConditionNode[] };
    }
    if (leaf) return this.leaf(raw, path);
    const extra = unknownKeys(raw, ["field", "op", "value", "window", "all", "any", "not"], path, issues);
    if (!extra)
      issues.add(path, "INVALID_NODE", {
        en: 'A condition needs "field", "op" and "value", or one of "all", "any", "not"',
        zh: '条件需要 "field"、"op" 和 "value"，或 "all"、"any"、"not" 之一',
      });
    return null;
  }

  leaf(raw: Record<string, unknown>, path: string): LeafNode | null {
    const issues = this.issues;
    let ok = !unknownKeys(raw, ["field", "op", "value", "window"], path, issues);
    const { field, op, value, window } = raw;
    const cond = typeof field === "string" ? conditionFor(field) : undefined;
    if (field === undefined) {
      issues.add(at(path, "field"), "MISSING", {
        en: 'A condition needs a "field", e.g. "case.reason"',
        zh: "请选择条件字段",
      });
    } else if (!cond) {
      const text = typeof field === "string" ? field : JSON.stringify(field);
      const hint = didYouMean(text, CONDITION_FIELDS);
      issues.add(at(path, "field"), "UNKNOWN_FIELD", {
        en: `Unknown field "${text}"${hint.en}`,
        zh: `没有“${text}”这个条件字段${hint.zh}`,
      });
    }
    const operator = cond && typeof op === "string" ? operatorFor(cond.type, op) : undefined;
    if (op === undefined) {
      issues.add(at(path, "op"), "MISSING", {
        en: 'A condition needs an "op" (operator), e.g. "eq"',
        zh: "请选择运算符",
      });
    } else if (typeof op !== "string" || !OPERATOR_NAMES.includes(op)) {
      const text = typeof op === "string" ? op : JSON.stringify(op);
      const hint = didYouMean(text, cond ? operatorsOf(cond) : OPERATOR_NAMES);
      issues.add(at(path, "op"), "UNKNOWN_OPERATOR", {
        en: `Unknown operator "${text}"${hint.en}${cond ? ` (${cond.field} takes ${operatorsOf(cond).join(", ")})` : ""}`,
        zh: `没有“${text}”这个运算符${hint.zh}${cond ? `（「${cond.label.zh}」可用：${operatorsOf(cond).join("、")}）` : ""}`,
      });
    } else if (cond && (!operator || (operator.nullableOnly && !cond.nullable))) {
      const why = operator
        ? {
            en: `${cond.field} always has a value, so "${op}" does not apply`,
            zh: `「${cond.label.zh}」总是有值，不能用“${op}”`,
          }
        : {
            en: `"${op}" does not apply to ${cond.field} (${cond.label.en})`,
            zh: `「${cond.label.zh}」不能用“${op}”`,
          };
      issues.add(at(path, "op"), "OPERATOR_NOT_FOR_FIELD", {
        en: `${why.en}; use one of ${operatorsOf(cond).join(", ")}`,
        zh: `${why.zh}；可用：${operatorsOf(cond).join("、")}`,
      });
    }
    let win: number | undefined;
    if (cond) {
      if (window === undefined) {
        win = cond.defaultWindow ?? undefined;
      } else if (cond.windows.length === 0) {
        issues.add(at(path, "window"), "INVALID_WINDOW", {
          en: `${cond.field} is not counted over a window; remove "window"`,
          zh: `「${cond.label.zh}」不按时间窗口统计，请去掉 "window"`,
        });
        ok = false;
      } else if (typeof window !== "number" || !(cond.windows as readonly number[]).includes(window)) {
        issues.add(at(path, "window"), "INVALID_WINDOW", {
          en: `The window of ${cond.field} is one of ${cond.windows.join(", ")} (days), not ${JSON.stringify(window)}`,
          zh: `「${cond.label.zh}」的统计窗口只能是 ${cond.windows.join("、")} 天，而不是 ${JSON.stringify(window)}`,
        });
        ok = false;
      } else {
        win = window;
      }
    }
    if (!cond || !operator || !ok || (operator.nullableOnly && !cond.nullable)) return null;
    if (value === undefined) {
      issues.add(at(path, "value"), "MISSING", {
        en: `The condition on ${cond.field} needs a "value"`,
        zh: `「${cond.label.zh}」的条件需要填写值`,
      });
      return null;
    }
    const parsed = parseOperand(cond, operator, value, this.currency);
    if (!parsed.ok) {
      issues.add(at(path, "value"), "INVALID_VALUE", parsed.message);
      return null;
    }
    const node: LeafNode = { field: cond.field, op: op as string, value: parsed.value };
    if (win !== undefined) node.window = win;
    return node;
  }

  actions(raw: unknown, path: string): ActionDefinition[] | null {
    const issues = this.issues;
    if (raw === undefined) {
      issues.add(path, "MISSING", {
        en: 'A rule needs "then": the list of its actions',
        zh: "规则需要至少一个动作",
      });
      return null;
    }
    if (!Array.isArray(raw) || raw.length === 0) {
      issues.add(path, "INVALID_ACTION", {
        en: 'A rule needs at least one action in "then"',
        zh: "规则需要至少一个动作",
      });
      return null;
    }
    const actions = raw.map((a, i) => readAction(a, item(path, i), issues));
    let outcome = -1;
    let recommend = -1;
    actions.forEach((a, i) => {
      if (a === null) return;
      if (outcomeOf(a) !== null) {
        if (outcome >= 0)
          issues.add(item(path, i), "INVALID_ACTION", {
            en: `A rule decides at most once: it already has "${actions[outcome]?.action}" (approve, reject and route each decide)`,
            zh: `一条规则最多作出一个决定：已有“${actions[outcome]?.action}”（同意、拒绝、转人工都算决定）`,
          });
        else outcome = i;
      }
      if (a.action === "recommend") {
        if (recommend >= 0)
          issues.add(item(path, i), "INVALID_ACTION", {
            en: "A rule recommends at most one solution",
            zh: "一条规则最多推荐一个方案",
          });
        else recommend = i;
      }
    });
    return actions.some((a) => a === null) ? null : (actions as ActionDefinition[]);
  }

  name(raw: unknown, path: string): string | Label | null {
    if (raw === undefined) {
      this.issues.add(path, "MISSING", { en: "A rule needs a name people can read", zh: "请填写规则名称" });
      return null;
    }
    if (typeof raw === "string") {
      if (raw.trim() !== "" && raw.length <= 200) return raw;
      this.issues.add(path, "INVALID_VALUE", {
        en: "A rule name must be a non-empty text of at most 200 characters",
        zh: "规则名称应为不超过 200 字的非空文字",
      });
      return null;
    }
    return readLabel(raw, path, this.issues, { en: "A rule name", zh: "规则名称" });
  }

  rule(raw: unknown, path: string): RuleDefinition | null {
    if (!isObject(raw)) {
      this.issues.add(path, "INVALID_VALUE", {
        en: "Each rule must be an object with id, name, priority, when and then",
        zh: "每条规则应为含 id、name、priority、when、then 的对象",
      });
      return null;
    }
    unknownKeys(raw, ["id", "name", "priority", "enabled", "when", "then"], path, this.issues);
    const id = this.id(raw.id, at(path, "id"), { en: "A rule", zh: "规则" });
    const name = this.name(raw.name, at(path, "name"));
    const priority = this.priority(raw.priority, at(path, "priority"), null);
    let enabled = true;
    if (raw.enabled !== undefined) {
      if (typeof raw.enabled === "boolean") enabled = raw.enabled;
      else
        this.issues.add(at(path, "enabled"), "INVALID_VALUE", {
          en: '"enabled" is true or false',
          zh: '"enabled" 只能是 true 或 false',
        });
    }
    let when: ConditionNode | null = null;
    if (raw.when === undefined)
      this.issues.add(at(path, "when"), "MISSING", {
        en: 'A rule needs "when" (use { "all": [] } to match every case)',
        zh: '规则需要 "when"（用 { "all": [] } 表示适用于所有售后单）',
      });
    else when = this.node(raw.when, at(path, "when"), 1);
    const then = this.actions(raw.then, at(path, "then"));
    if (id === null || name === null || priority === null || when === null || then === null) return null;
    return { id, name, priority, enabled, when, then };
  }

  solution(raw: unknown, path: string): SolutionDefinition | null {
    if (!isObject(raw)) {
      this.issues.add(path, "INVALID_VALUE", {
        en: "Each solution must be an object with id, when, solution and why",
        zh: "每个方案推荐应为含 id、when、solution、why 的对象",
      });
      return null;
    }
    unknownKeys(raw, ["id", "priority", "when", "solution", "why"], path, this.issues);
    const id = this.id(raw.id, at(path, "id"), { en: "A solution", zh: "方案推荐" });
    const priority = this.priority(raw.priority, at(path, "priority"), 0);
    let when: ConditionNode | null = null;
    if (raw.when === undefined)
      this.issues.add(at(path, "when"), "MISSING", {
        en: 'A solution needs "when"',
        zh: '方案推荐需要 "when"',
      });
    else when = this.node(raw.when, at(path, "when"), 1);
    let solution: SolutionCode | null = null;
    if (raw.solution === undefined)
      this.issues.add(at(path, "solution"), "MISSING", {
        en: 'A solution needs "solution", e.g. "refund_without_return"',
        zh: "请选择推荐的方案",
      });
    else solution = readSolution(raw.solution, at(path, "solution"), this.issues);
    let why: Label | null = null;
    if (raw.why === undefined)
      this.issues.add(at(path, "why"), "MISSING", {
        en: 'A solution needs "why": { "zh": "…", "en": "…" }, shown to reviewers',
        zh: '方案推荐需要 "why"：{ "zh": "…", "en": "…" }，审核员会看到',
      });
    else why = readLabel(raw.why, at(path, "why"), this.issues, { en: '"why"', zh: '"why"' });
    if (id === null || priority === null || when === null || solution === null || why === null) return null;
    return { id, priority, when, solution, why };
  }

  list<T extends { id: string }>(
    raw: unknown,
    path: string,
    read: (r: unknown, p: string) => T | null,
  ): T[] | null {
    if (!Array.isArray(raw)) {
      this.issues.add(path, "INVALID_VALUE", { en: `"${path}" must be a list`, zh: `"${path}" 应为列表` });
      return null;
    }
    const out = raw.map((r, i) => read(r, item(path, i)));
    const seen = new Map<string, number>();
    raw.forEach((r, i) => {
      const id = isObject(r) && typeof r.id === "string" && ID.test(r.id) ? r.id : null;
      if (id === null) return;
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else
        this.issues.add(at(item(path, i), "id"), "DUPLICATE_ID", {
          en: `The id "${id}" is already used by ${item(path, first)}; ids must be unique`,
          zh: `编号“${id}”已被 ${item(path, first)} 使用，编号不能重复`,
        });
    });
    return out.some((x) => x === null) ? null : (out as T[]);
  }
}

/**
 * Check a rule set document and return it normalized (defaults filled, unknown parts refused).
 * Throws one RULES_INVALID error listing every problem as `{ path, code, message }`.
 */
export function validateRuleSet(input: unknown): RuleSetDefinition {
  let currency = DEFAULT_CURRENCY;
  const early = new Issues();
  if (!isObject(input)) {
    early.add("", "INVALID_VALUE", {
      en: 'A rule set must be an object: { "currency", "rules", "solutions" }',
      zh: '规则集应为对象：{ "currency", "rules", "solutions" }',
    });
    return invalid(early.list);
  }
  if (input.currency !== undefined) {
    if (typeof input.currency === "string" && isCurrency(input.currency)) currency = input.currency;
    else
      early.add("currency", "INVALID_VALUE", {
        en: `Unknown currency ${JSON.stringify(input.currency)}; use a code such as "CNY"`,
        zh: `不认识的币种 ${JSON.stringify(input.currency)}，请用币种代码，例如 "CNY"`,
      });
  }
  const r = new Reader(currency);
  r.issues.list.push(...early.list);
  unknownKeys(input, ["currency", "rules", "solutions"], "", r.issues);
  let rules: RuleDefinition[] | null = null;
  if (input.rules === undefined)
    r.issues.add("rules", "MISSING", {
      en: 'A rule set needs "rules" (a list, may be empty)',
      zh: '规则集需要 "rules"（列表，可以为空）',
    });
  else rules = r.list(input.rules, "rules", (x, p) => r.rule(x, p));
  const solutions =
    input.solutions === undefined ? [] : r.list(input.solutions, "solutions", (x, p) => r.solution(x, p));
  if (r.issues.list.length > 0 || rules === null || solutions === null) return invalid(r.issues.list);
  return { currency, rules, solutions };
}

function invalid(errors: Issue[]): never {
  const n = errors.length;
  const shown = errors
    .slice(0, 5)
    .map((e) => (e.path ? `${e.path}: ${e.message}` : e.message))
    .join("; ");
  throw new AppError(
    "RULES_INVALID",
    `The rule set has ${n} problem${n === 1 ? "" : "s"}: ${shown}${n > 5 ? `; and ${n - 5} more` : ""}`,
    { errors },
  );
}
