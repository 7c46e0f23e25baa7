// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { expect } from "vitest";
import type { ActionDefinition } from "../../../src/domain/rules/actions.ts";
import type {
  ConditionNode,
  RuleDefinition,
  RuleSetDefinition,
  SolutionDefinition,
} from "../../../src/domain/rules/definition.ts";
import { type CompiledRuleSet, compileRuleSet } from "../../../src/domain/rules/evaluate.ts";
import type { CaseFacts } from "../../../src/domain/rules/facts.ts";

/** A rule with readable defaults: named after its id, priority 0, enabled. */
export const rule = (
  id: string,
  when: ConditionNode,
  then: ActionDefinition[],
  extra: Partial<RuleDefinition> = {},
): RuleDefinition => ({ id, name: { zh: `规则${id}`, en: `Rule ${id}` }, priority: 0, when, then, ...extra });

export const solution = (
  id: string,
  when: ConditionNode,
  code: SolutionDefinition["solution"],
  priority?: number,
): SolutionDefinition => ({
  id,
  when,
  solution: code,
  why: { zh: `理由${id}`, en: `because ${id}` },
  ...(priority === undefined ? {} : { priority }),
});

export const ALWAYS: ConditionNode = { all: [] };

export const compile = (
  rules: RuleDefinition[],
  solutions: SolutionDefinition[] = [],
  currency?: string,
  version = 1,
): CompiledRuleSet => {
  const def: RuleSetDefinition = { rules, solutions };
  if (currency !== undefined) def.currency = currency;
  return compileRuleSet(def, version);
};

/**
 * Whether `when` matches the case, asked both ways (fast `decide` and full `evaluate`), which must
 * agree.
 */
export function matches(when: ConditionNode, f: CaseFacts, currency?: string): boolean {
  const c = compile([rule("r", when, [{ action: "approve" }])], [], currency);
  const fast = c.decide(f).outcome === "approve";
  const full = c.evaluate(f);
  expect(full.outcome === "approve", "decide and evaluate disagree").toBe(fast);
  expect(full.matched[0]?.trace.result ?? false).toBe(fast);
  return fast;
}
