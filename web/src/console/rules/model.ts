// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import type { components, paths } from "../../shared/api-types.ts";

/**
 * The rule set document as the API takes it (docs/rules.md), and what the vocabulary says about it.
 * The editor keeps a draft as this plain document, so the form and the JSON view edit the same thing.
 */

export type Vocabulary =
  paths["/api/v1/rules/vocabulary"]["get"]["responses"][200]["content"]["application/json"];
export type FieldSpec = Vocabulary["fields"][number];
export type OperatorSpec = FieldSpec["operators"][number];
export type ActionSpec = Vocabulary["actions"][number];
export type ParamSpec = ActionSpec["params"][number];
export type Label = { zh: string; en: string };

export type RuleVersion = components["schemas"]["RuleVersion"];
export type RulesList = paths["/api/v1/rules"]["get"]["responses"][200]["content"]["application/json"];
export type BacktestResult =
  paths["/api/v1/rules/backtests"]["post"]["responses"][200]["content"]["application/json"];
export type BacktestReport = Omit<BacktestResult, "live" | "liveVersion">;
export type SuggestionReport =
  paths["/api/v1/rules/suggestions"]["post"]["responses"][200]["content"]["application/json"];
export type Suggestion = SuggestionReport["suggestions"][number];

export interface Leaf {
  field: string;
  op: string;
  value?: unknown;
  window?: number;
}
export type Node = { all: Node[] } | { any: Node[] } | { not: Node } | Leaf;
export interface Action {
  action: string;
  [param: string]: unknown;
}
export interface Rule {
  id: string;
  name: string | Label;
  priority: number;
  enabled?: boolean;
  when: Node;
  then: Action[];
}
export interface Solution {
  id: string;
  priority?: number;
  when: Node;
  solution: string;
  why: Label;
}
export interface RuleSet {
  currency?: string;
  rules: Rule[];
  solutions?: Solution[];
}

export const isLeaf = (n: Node): n is Leaf => "field" in n;
export const isGroup = (n: Node): n is { all: Node[] } | { any: Node[] } => "all" in n || "any" in n;
export const groupKind = (n: { all: Node[] } | { any: Node[] }): "all" | "any" =>
  "all" in n ? "all" : "any";
export const childrenOf = (n: { all: Node[] } | { any: Node[] }): Node[] => ("all" in n ? n.all : n.any);

/** Rules in the order the engine tries them: higher priority first, ties in list order. */
export const inOrder = (rules: readonly Rule[]) =>
  rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index);

/** A document from the API (any shape) as a rule set the editor can show; nothing is dropped. */
export const asRuleSet = (definition: unknown): RuleSet => {
  const d = (definition ?? {}) as Partial<RuleSet>;
  return { ...d, rules: Array.isArray(d.rules) ? d.rules : [] } as RuleSet;
};

/** A problem the API found in a draft, at its path (rules[2].when.all[0].value). */
export interface Issue {
  path: string;
  code?: string;
  message: string;
}
/** Problems by path; a form field shows the ones at its own path. */
export type Issues = ReadonlyMap<string, string[]>;
export const issuesByPath = (list: readonly Issue[]): Issues => {
  const m = new Map<string, string[]>();
  for (const i of list) m.set(i.path, [...(m.get(i.path) ?? []), i.message]);
  return m;
};
/** Problems at `path` or below it. */
export const issuesUnder = (issues: Issues, path: string) =>
  [...issues.entries()].filter(([p]) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`));

/** A new rule's id, unique in the set: rule-1, rule-2, … */
export function freshId(rules: readonly Rule[], stem = "rule") {
  const taken = new Set(rules.map((r) => r.id));
  for (let n = rules.length + 1; ; n++) if (!taken.has(`${stem}-${n}`)) return `${stem}-${n}`;
}
