/** Automatic-review rules (自动审核规则): pure domain code — validate, compile, decide, explain, backtest. */
export {
  ACTION_KINDS,
  type ActionDefinition,
  type ActionKind,
  DEFAULT_PRIORITY,
  DEFAULT_QUEUE,
  EVIDENCE_KINDS,
  type EvidenceKind,
  type Outcome,
  REJECT_REASON_CODES,
  REJECT_REASONS,
  type RejectReasonCode,
} from "./actions.ts";
export {
  type Backtest,
  type BacktestReport,
  createBacktest,
  type Disagreement,
  type HumanDecision,
  type RuleBacktest,
} from "./backtest.ts";
export { type Condition, defineCondition, type ValueType } from "./condition.ts";
export { CONDITION_FIELDS, CONDITIONS, conditionFor } from "./conditions/index.ts";
export { DEFAULT_RULE_SET } from "./default-rules.ts";
export {
  type ConditionNode,
  type LeafNode,
  type RuleDefinition,
  type RuleSetDefinition,
  type SolutionDefinition,
  validateRuleSet,
} from "./definition.ts";
export {
  type CompiledRule,
  type CompiledRuleSet,
  compileRuleSet,
  type Decision,
  type FastDecision,
  type MatchedRule,
  type Recommendation,
  type Trace,
} from "./evaluate.ts";
export { explainDecision, explainTrace } from "./explain.ts";
export type { CaseFacts, PerWindow, Window } from "./facts.ts";
export type { Issue, IssueCode } from "./issues.ts";
export { OPERATORS, type Operator } from "./operators.ts";
export type { Label, Lang } from "./text.ts";
