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

  id(raw: unknown, path: string, what: string): string | null {
    if (raw === undefined) {
      this.issues.add(path, "MISSING", `${what} needs an id`);
      return null;
    }
    if (typeof raw !== "string" || !ID.test(raw)) {
      this.issues.add(
        path,
        "INVALID_ID",
        `${JSON.stringify(raw)} is not a valid id: use 1–64 lower-case letters, digits, _ or -, starting with a letter or digit`,
      );
      return null;
    }
    return raw;
  }

  priority(raw: unknown, path: string, fallback: number | null): number | null {
    if (raw === undefined) {
      if (fallback !== null) return fallback;
      this.issues.add(path, "MISSING", "A rule needs a priority (a whole number; higher runs first)");
      return null;
    }
    if (typeof raw !== "number" || !Number.isSafeInteger(raw)) {
      this.issues.add(path, "INVALID_VALUE", `Priority must be a whole number, not ${JSON.stringify(raw)}`);
      return null;
    }
    return raw;
  }

  node(raw: unknown, path: string, depth: number): ConditionNode | null {
    const issues = this.issues;
    if (!isObject(raw)) {
      issues.add(
        path,
        "INVALID_NODE",
        'A condition must be an object: { "field", "op", "value" } or { "all": [...] }, { "any": [...] }, { "not": {...} }',
      );
      return null;
    }
    if (depth > MAX_DEPTH) {
      issues.add(path, "INVALID_NODE", `Conditions are nested more than ${MAX_DEPTH} levels deep`);
      return null;
    }
    const groups = ["all", "any", "not"].filter((k) => k in raw);
    const leaf = ["field", "op", "value", "window"].some((k) => k in raw);
    if (groups.length + (leaf ? 1 : 0) > 1) {
      issues.add(
        path,
        "INVALID_NODE",
        `A condition is exactly one of: a comparison (field, op, value), "all", "any" or "not" — this one mixes ${[...groups, ...(leaf ? ["field"] : [])].join(" and ")}`,
      );
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
        issues.add(at(path, group), "INVALID_NODE", `"${group}" takes a list of conditions`);
        return null;
      }
      if (group === "any" && list.length === 0) {
        issues.add(
          at(path, group),
          "INVALID_NODE",
          '"any" of no conditions never matches; list at least one',
        );
        return null;
      }
      const children = list.map((c, i) => this.node(c, item(at(path, group), i), depth + 1));
      if (children.some((c) => c === null)) return null;
      return group === "all" ? { all: children as ConditionNode[] } : { any: children as ConditionNode[] };
    }
    if (leaf) return this.leaf(raw, path);
    const extra = unknownKeys(raw, ["field", "op", "value", "window", "all", "any", "not"], path, issues);
    if (!extra)
      issues.add(
        path,
        "INVALID_NODE",
        'A condition needs "field", "op" and "value", or one of "all", "any", "not"',
      );
    return null;
  }

  leaf(raw: Record<string, unknown>, path: string): LeafNode | null {
    const issues = this.issues;
    let ok = !unknownKeys(raw, ["field", "op", "value", "window"], path, issues);
    const { field, op, value, window } = raw;
    const cond = typeof field === "string" ? conditionFor(field) : undefined;
    if (field === undefined) {
      issues.add(at(path, "field"), "MISSING", 'A condition needs a "field", e.g. "case.reason"');
    } else if (!cond) {
      const text = typeof field === "string" ? field : JSON.stringify(field);
      issues.add(
        at(path, "field"),
        "UNKNOWN_FIELD",
        `Unknown field "${text}"${didYouMean(text, CONDITION_FIELDS)}`,
      );
    }
    const operator = cond && typeof op === "string" ? operatorFor(cond.type, op) : undefined;
    if (op === undefined) {
      issues.add(at(path, "op"), "MISSING", 'A condition needs an "op" (operator), e.g. "eq"');
    } else if (typeof op !== "string" || !OPERATOR_NAMES.includes(op)) {
      const text = typeof op === "string" ? op : JSON.stringify(op);
      issues.add(
        at(path, "op"),
        "UNKNOWN_OPERATOR",
        `Unknown operator "${text}"${didYouMean(text, cond ? operatorsOf(cond) : OPERATOR_NAMES)}${cond ? ` (${cond.field} takes ${operatorsOf(cond).join(", ")})` : ""}`,
      );
    } else if (cond && (!operator || (operator.nullableOnly && !cond.nullable))) {
      const why = operator
        ? `${cond.field} always has a value, so "${op}" does not apply`
        : `"${op}" does not apply to ${cond.field} (${cond.label.en})`;
      issues.add(
        at(path, "op"),
        "OPERATOR_NOT_FOR_FIELD",
        `${why}; use one of ${operatorsOf(cond).join(", ")}`,
      );
    }
    let win: number | undefined;
    if (cond) {
      if (window === undefined) {
        win = cond.defaultWindow ?? undefined;
      } else if (cond.windows.length === 0) {
        issues.add(
          at(path, "window"),
          "INVALID_WINDOW",
          `${cond.field} is not counted over a window; remove "window"`,
        );
        ok = false;
      } else if (typeof window !== "number" || !(cond.windows as readonly number[]).includes(window)) {
        issues.add(
          at(path, "window"),
          "INVALID_WINDOW",
          `The window of ${cond.field} is one of ${cond.windows.join(", ")} (days), not ${JSON.stringify(window)}`,
        );
        ok = false;
      } else {
        win = window;
      }
    }
    if (!cond || !operator || !ok || (operator.nullableOnly && !cond.nullable)) return null;
    if (value === undefined) {
      issues.add(at(path, "value"), "MISSING", `The condition on ${cond.field} needs a "value"`);
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
      issues.add(path, "MISSING", 'A rule needs "then": the list of its actions');
      return null;
    }
    if (!Array.isArray(raw) || raw.length === 0) {
      issues.add(path, "INVALID_ACTION", 'A rule needs at least one action in "then"');
      return null;
    }
    const actions = raw.map((a, i) => readAction(a, item(path, i), issues));
    let outcome = -1;
    let recommend = -1;
    actions.forEach((a, i) => {
      if (a === null) return;
      if (outcomeOf(a) !== null) {
        if (outcome >= 0)
          issues.add(
            item(path, i),
            "INVALID_ACTION",
            `A rule decides at most once: it already has "${actions[outcome]?.action}" (approve, reject and route each decide)`,
          );
        else outcome = i;
      }
      if (a.action === "recommend") {
        if (recommend >= 0)
          issues.add(item(path, i), "INVALID_ACTION", "A rule recommends at most one solution");
        else recommend = i;
      }
    });
    return actions.some((a) => a === null) ? null : (actions as ActionDefinition[]);
  }

  name(raw: unknown, path: string): string | Label | null {
    if (raw === undefined) {
      this.issues.add(path, "MISSING", "A rule needs a name people can read");
      return null;
    }
    if (typeof raw === "string") {
      if (raw.trim() !== "" && raw.length <= 200) return raw;
      this.issues.add(
        path,
        "INVALID_VALUE",
        "A rule name must be a non-empty text of at most 200 characters",
      );
      return null;
    }
    return readLabel(raw, path, this.issues, "A rule name");
  }

  rule(raw: unknown, path: string): RuleDefinition | null {
    if (!isObject(raw)) {
      this.issues.add(
        path,
        "INVALID_VALUE",
        "Each rule must be an object with id, name, priority, when and then",
      );
      return null;
    }
    unknownKeys(raw, ["id", "name", "priority", "enabled", "when", "then"], path, this.issues);
    const id = this.id(raw.id, at(path, "id"), "A rule");
    const name = this.name(raw.name, at(path, "name"));
    const priority = this.priority(raw.priority, at(path, "priority"), null);
    let enabled = true;
    if (raw.enabled !== undefined) {
      if (typeof raw.enabled === "boolean") enabled = raw.enabled;
      else this.issues.add(at(path, "enabled"), "INVALID_VALUE", '"enabled" is true or false');
    }
    let when: ConditionNode | null = null;
    if (raw.when === undefined)
      this.issues.add(
        at(path, "when"),
        "MISSING",
        'A rule needs "when" (use { "all": [] } to match every case)',
      );
    else when = this.node(raw.when, at(path, "when"), 1);
    const then = this.actions(raw.then, at(path, "then"));
    if (id === null || name === null || priority === null || when === null || then === null) return null;
    return { id, name, priority, enabled, when, then };
  }

  solution(raw: unknown, path: string): SolutionDefinition | null {
    if (!isObject(raw)) {
      this.issues.add(
        path,
        "INVALID_VALUE",
        "Each solution must be an object with id, when, solution and why",
      );
      return null;
    }
    unknownKeys(raw, ["id", "priority", "when", "solution", "why"], path, this.issues);
    const id = this.id(raw.id, at(path, "id"), "A solution");
    const priority = this.priority(raw.priority, at(path, "priority"), 0);
    let when: ConditionNode | null = null;
    if (raw.when === undefined) this.issues.add(at(path, "when"), "MISSING", 'A solution needs "when"');
    else when = this.node(raw.when, at(path, "when"), 1);
    let solution: SolutionCode | null = null;
    if (raw.solution === undefined)
      this.issues.add(
        at(path, "solution"),
        "MISSING",
        'A solution needs "solution", e.g. "refund_without_return"',
      );
    else solution = readSolution(raw.solution, at(path, "solution"), this.issues);
    let why: Label | null = null;
    if (raw.why === undefined)
      this.issues.add(
        at(path, "why"),
        "MISSING",
        'A solution needs "why": { "zh": "…", "en": "…" }, shown to reviewers',
      );
    else why = readLabel(raw.why, at(path, "why"), this.issues, '"why"');
    if (id === null || priority === null || when === null || solution === null || why === null) return null;
    return { id, priority, when, solution, why };
  }

  list<T extends { id: string }>(
    raw: unknown,
    path: string,
    read: (r: unknown, p: string) => T | null,
  ): T[] | null {
    if (!Array.isArray(raw)) {
      this.issues.add(path, "INVALID_VALUE", `"${path}" must be a list`);
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
        this.issues.add(
          at(item(path, i), "id"),
          "DUPLICATE_ID",
          `The id "${id}" is already used by ${item(path, first)}; ids must be unique`,
        );
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
    early.add("", "INVALID_VALUE", 'A rule set must be an object: { "currency", "rules", "solutions" }');
    return invalid(early.list);
  }
  if (input.currency !== undefined) {
    if (typeof input.currency === "string" && isCurrency(input.currency)) currency = input.currency;
    else
      early.add(
        "currency",
        "INVALID_VALUE",
        `Unknown currency ${JSON.stringify(input.currency)}; use a code such as "CNY"`,
      );
  }
  const r = new Reader(currency);
  r.issues.list.push(...early.list);
  unknownKeys(input, ["currency", "rules", "solutions"], "", r.issues);
  let rules: RuleDefinition[] | null = null;
  if (input.rules === undefined)
    r.issues.add("rules", "MISSING", 'A rule set needs "rules" (a list, may be empty)');
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
