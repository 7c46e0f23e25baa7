import { fail } from "../errors.ts";
import type { CompiledRuleSet } from "./evaluate.ts";
import type { CaseFacts } from "./facts.ts";
import type { Label } from "./text.ts";

/**
 * Backtest (回测): replay past cases through a rule set and compare with what people decided.
 * An accumulator, so callers stream any number of cases in batches; it keeps counters only (and at
 * most `maxDisagreements` examples), and judges with the allocation-free `decide`.
 */

export type HumanDecision = "approve" | "reject";

export interface RuleBacktest {
  id: string;
  name: Label;
  /** Cases the rule matched. */
  hits: number;
  /** Cases whose outcome it set (approve, reject, or route to manual). */
  decided: number;
  agreed: number;
  falseApprovals: number;
  falseRejections: number;
}

export interface Disagreement {
  caseId: string;
  ruleId: string;
  rule: HumanDecision;
  human: HumanDecision;
}

export interface BacktestReport {
  ruleSetVersion: number;
  cases: number;
  /** Cases the rules approved or rejected on their own. */
  automated: number;
  automationRate: number;
  agreed: number;
  /** agreed / automated; null when nothing was automated. */
  agreementRate: number | null;
  /** The rules approved, a person rejected. */
  falseApprovals: number;
  /** The rules rejected, a person approved. */
  falseRejections: number;
  manual: number;
  /** Enabled rules in evaluation order. */
  perRule: RuleBacktest[];
  /** The first disagreements: up to `maxDisagreements` in all, and `maxPerRule` of each kind per rule. */
  disagreements: Disagreement[];
}

export interface Backtest {
  add(caseId: string, facts: CaseFacts, human: HumanDecision): void;
  report(): BacktestReport;
}

export function createBacktest(
  compiled: CompiledRuleSet,
  options: { maxDisagreements?: number; maxPerRule?: number } = {},
): Backtest {
  const maxDisagreements = options.maxDisagreements ?? 200;
  const maxPerRule = options.maxPerRule ?? maxDisagreements;
  for (const n of [maxDisagreements, maxPerRule])
    if (!Number.isSafeInteger(n) || n < 0)
      fail("INVALID_BACKTEST", "maxDisagreements must be a whole number, 0 or more");
  const n = compiled.rules.length;
  const order = compiled.order;
  const matched = new Uint8Array(n);
  const hits = new Float64Array(n);
  const decided = new Float64Array(n);
  const agreed = new Float64Array(n);
  const falseApprovals = new Float64Array(n);
  const falseRejections = new Float64Array(n);
  const disagreements: Disagreement[] = [];
  let cases = 0;
  let manual = 0;

  function add(caseId: string, facts: CaseFacts, human: HumanDecision): void {
    if (human !== "approve" && human !== "reject")
      fail("INVALID_BACKTEST", `Case ${caseId}: the person's decision must be "approve" or "reject"`, {
        caseId,
      });
    const d = compiled.decide(facts, matched);
    cases++;
    for (let k = 0; k < order.length; k++) {
      const i = order[k] as number;
      hits[i] = (hits[i] as number) + (matched[i] as number);
    }
    const i = d.rule;
    if (i >= 0) decided[i] = (decided[i] as number) + 1;
    if (d.outcome === "manual") {
      manual++;
      return;
    }
    if (d.outcome === human) {
      agreed[i] = (agreed[i] as number) + 1;
      return;
    }
    let seen: number;
    if (d.outcome === "approve") seen = falseApprovals[i] = (falseApprovals[i] as number) + 1;
    else seen = falseRejections[i] = (falseRejections[i] as number) + 1;
    if (disagreements.length < maxDisagreements && seen <= maxPerRule) {
      disagreements.push({ caseId, ruleId: compiled.rules[i]?.id ?? "", rule: d.outcome, human });
    }
  }

  function report(): BacktestReport {
    let totalAgreed = 0;
    let totalFalseApprovals = 0;
    let totalFalseRejections = 0;
    const perRule = order.map((i): RuleBacktest => {
      const rule = compiled.rules[i];
      totalAgreed += agreed[i] as number;
      totalFalseApprovals += falseApprovals[i] as number;
      totalFalseRejections += falseRejections[i] as number;
      return {
        id: rule?.id ?? "",
        name: { zh: rule?.name.zh ?? "", en: rule?.name.en ?? "" },
        hits: hits[i] as number,
        decided: decided[i] as number,
        agreed: agreed[i] as number,
        falseApprovals: falseApprovals[i] as number,
        falseRejections: falseRejections[i] as number,
      };
    });
    const automated = cases - manual;
    return {
      ruleSetVersion: compiled.version,
      cases,
      automated,
      automationRate: cases === 0 ? 0 : automated / cases,
      agreed: totalAgreed,
      agreementRate: automated === 0 ? null : totalAgreed / automated,
      falseApprovals: totalFalseApprovals,
      falseRejections: totalFalseRejections,
      manual,
      perRule,
      disagreements: disagreements.map((x) => ({ ...x })),
    };
  }

  return { add, report };
}
