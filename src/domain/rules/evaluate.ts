import type { SolutionCode } from "../catalogue.ts";
import {
  type ActionDefinition,
  DEFAULT_EVIDENCE,
  DEFAULT_PRIORITY,
  DEFAULT_QUEUE,
  EVIDENCE_KIND_CODES,
  type EvidenceKind,
  type Outcome,
  outcomeOf,
  type RejectReasonCode,
} from "./actions.ts";
import { conditionFor } from "./conditions/index.ts";
import {
  type ConditionNode,
  DEFAULT_CURRENCY,
  isLeaf,
  type LeafNode,
  type RuleSetDefinition,
  validateRuleSet,
} from "./definition.ts";
import type { CaseFacts, Window } from "./facts.ts";
import { type Getter, operatorFor, parseOperand, type Test } from "./operators.ts";
import { type Label, toLabel } from "./text.ts";

/**
 * Compile a rule set once into closures, then judge cases with it many times: `decide` is the fast
 * path (backtests: no traces, no strings, no allocation), `evaluate` the full decision with the
 * trace of every matched rule (live review: what a person reads and what is stored).
 */

/** How one condition came out on one case: its result and, for comparisons, the actual value. */
export type Trace = LeafTrace | GroupTrace | NotTrace;

export interface LeafTrace {
  node: "leaf";
  field: string;
  op: string;
  /** What the actual value was compared with; amounts in minor units of `currency`. */
  value: unknown;
  window: number | null;
  /** The case's value (amounts in minor units of `caseCurrency`; null: unknown). */
  actual: unknown;
  result: boolean;
  /** Amount fields: the rule set's currency and the case's; when they differ comparisons fail. */
  currency?: string;
  caseCurrency?: string;
}

export interface GroupTrace {
  node: "all" | "any";
  result: boolean;
  children: Trace[];
}

export interface NotTrace {
  node: "not";
  result: boolean;
  child: Trace;
}

export interface MatchedRule {
  id: string;
  name: Label;
  priority: number;
  actions: ActionDefinition[];
  trace: Trace;
}

export interface Recommendation {
  solution: SolutionCode;
  from: "rule" | "solution";
  id: string;
  why: Label;
}

/** The full automatic-review decision (自动审核结论) of one case, stored with the case. */
export interface Decision {
  ruleSetVersion: number;
  outcome: Outcome;
  /** Id of the rule that set the outcome; null when no rule decided (manual review). */
  decidedBy: string | null;
  rejectReason: RejectReasonCode | null;
  rejectNote: string | null;
  queue: string;
  priority: number;
  /** The smallest set_sla among matched rules. */
  slaHours: number | null;
  evidence: { required: boolean; kinds: EvidenceKind[] };
  /** Union of the add_tags of matched rules, in evaluation order. */
  tags: string[];
  recommendation: Recommendation | null;
  /** Matched rules in evaluation order (priority, highest first). */
  matched: MatchedRule[];
}

/** The fast path's answer; one shared, frozen object per rule, so deciding allocates nothing. */
export interface FastDecision {
  readonly outcome: Outcome;
  /** Index of the deciding rule in the definition's `rules` (-1: none decided). */
  readonly rule: number;
}

export interface CompiledRule {
  /** Position in the definition's `rules`. */
  readonly index: number;
  readonly id: string;
  readonly name: Label;
  readonly priority: number;
  readonly enabled: boolean;
  readonly actions: readonly ActionDefinition[];
  /** What the rule decides when it is the first matched deciding rule; null: it only accumulates. */
  readonly outcome: Outcome | null;
  readonly test: Test;
  readonly trace: (facts: CaseFacts) => Trace;
}

export interface CompiledRuleSet {
  readonly version: number;
  readonly currency: string;
  /** The validated, normalized definition (frozen). */
  readonly definition: RuleSetDefinition;
  /** Every rule, in the definition's order (so `rules[i]` is `definition.rules[i]`). */
  readonly rules: readonly CompiledRule[];
  /** Indices of the enabled rules in evaluation order: priority descending, ties in list order. */
  readonly order: readonly number[];
  /**
   * The fast path. With `matched` (length ≥ rules.length) every enabled rule is tested and
   * `matched[i]` set to 1 or 0; without it, only deciding rules are tested, up to the first match.
   */
  decide(facts: CaseFacts, matched?: Uint8Array): FastDecision;
  evaluate(facts: CaseFacts): Decision;
  /** The trace of any one rule (matched or not) on a case, e.g. to show why a rule did not match. */
  traceRule(index: number, facts: CaseFacts): Trace;
}

interface CompiledNode {
  test: Test;
  trace: (facts: CaseFacts) => Trace;
}

const ALWAYS: Test = () => true;

function compileLeaf(node: LeafNode, currency: string): CompiledNode {
  const cond = conditionFor(node.field);
  const operator = cond && operatorFor(cond.type, node.op);
  if (!cond || !operator) throw new Error(`Unvalidated condition ${node.field} ${node.op}`);
  const parsed = parseOperand(cond, operator, node.value, currency);
  if (!parsed.ok) throw new Error(parsed.message.en);
  const window = (node.window ?? cond.defaultWindow) as Window | null;
  const get: Getter = window === null ? (cond.get as Getter) : (f) => cond.get(f, window);
  const inner = operator.build(get, parsed.compiled as never);
  const isAmount = cond.type === "amount";
  // An amount in another currency is not comparable with the rule's: the comparison fails.
  const test: Test = isAmount && operator.compares ? (f) => f.currency === currency && inner(f) : inner;
  const { field, op } = node;
  const value = parsed.compiled;
  return {
    test,
    trace: (f) => {
      const actual = get(f);
      const t: LeafTrace = {
        node: "leaf",
        field,
        op,
        value: Array.isArray(value) ? [...value] : value,
        window,
        actual: Array.isArray(actual) ? [...actual] : actual,
        result: test(f),
      };
      if (isAmount) {
        t.currency = currency;
        t.caseCurrency = f.currency;
      }
      return t;
    },
  };
}

function allOf(tests: Test[]): Test {
  const [a, b, c] = tests;
  if (tests.length === 0) return ALWAYS;
  if (tests.length === 1 && a) return a;
  if (tests.length === 2 && a && b) return (f) => a(f) && b(f);
  if (tests.length === 3 && a && b && c) return (f) => a(f) && b(f) && c(f);
  return (f) => {
    for (let i = 0; i < tests.length; i++) if (!(tests[i] as Test)(f)) return false;
    return true;
  };
}

function anyOf(tests: Test[]): Test {
  const [a, b, c] = tests;
  if (tests.length === 1 && a) return a;
  if (tests.length === 2 && a && b) return (f) => a(f) || b(f);
  if (tests.length === 3 && a && b && c) return (f) => a(f) || b(f) || c(f);
  return (f) => {
    for (let i = 0; i < tests.length; i++) if ((tests[i] as Test)(f)) return true;
    return false;
  };
}

function compileNode(node: ConditionNode, currency: string): CompiledNode {
  if (isLeaf(node)) return compileLeaf(node, currency);
  if ("not" in node) {
    const child = compileNode(node.not, currency);
    const t = child.test;
    return {
      test: (f) => !t(f),
      trace: (f) => {
        const c = child.trace(f);
        return { node: "not", result: !c.result, child: c };
      },
    };
  }
  const kind = "all" in node ? "all" : "any";
  const children = ("all" in node ? node.all : node.any).map((c) => compileNode(c, currency));
  const tests = children.map((c) => c.test);
  return {
    test: kind === "all" ? allOf(tests) : anyOf(tests),
    trace: (f) => {
      const traces = children.map((c) => c.trace(f));
      const result = kind === "all" ? traces.every((t) => t.result) : traces.some((t) => t.result);
      return { node: kind, result, children: traces };
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const cloneAction = (a: ActionDefinition): ActionDefinition => {
  if (a.action === "add_tags") return { ...a, tags: [...a.tags] };
  if (a.action === "require_evidence") return { ...a, kinds: [...(a.kinds ?? DEFAULT_EVIDENCE)] };
  return { ...a };
};

const NO_DECISION: FastDecision = Object.freeze({ outcome: "manual", rule: -1 });

/** Validate (again — it is cheap and makes hand-written sets safe) and compile a rule set. */
export function compileRuleSet(def: RuleSetDefinition, version: number): CompiledRuleSet {
  const definition = deepFreeze(validateRuleSet(def));
  const currency = definition.currency ?? DEFAULT_CURRENCY;
  const rules: CompiledRule[] = definition.rules.map((r, index) => {
    const node = compileNode(r.when, currency);
    const outcomeAction = r.then.find((a) => outcomeOf(a) !== null);
    return Object.freeze({
      index,
      id: r.id,
      name: toLabel(r.name),
      priority: r.priority,
      enabled: r.enabled !== false,
      actions: r.then,
      outcome: outcomeAction ? outcomeOf(outcomeAction) : null,
      test: node.test,
      trace: node.trace,
    });
  });
  const order = rules
    .filter((r) => r.enabled)
    .sort((a, b) => b.priority - a.priority)
    .map((r) => r.index);
  const solutions = definition.solutions
    .map((s) => ({ ...s, test: compileNode(s.when, currency).test }))
    .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));

  // Fast-path tables, in evaluation order.
  const n = rules.length;
  const tests = order.map((i) => (rules[i] as CompiledRule).test);
  const results = order.map((i) => {
    const outcome = (rules[i] as CompiledRule).outcome;
    return outcome === null ? null : Object.freeze({ outcome, rule: i });
  });
  const deciding = order.filter((i) => (rules[i] as CompiledRule).outcome !== null);
  const decidingTests = deciding.map((i) => (rules[i] as CompiledRule).test);
  const decidingResults = deciding.map((i) => results[order.indexOf(i)] as FastDecision);

  function decide(facts: CaseFacts, matched?: Uint8Array): FastDecision {
    if (matched === undefined) {
      for (let k = 0; k < decidingTests.length; k++) {
        if ((decidingTests[k] as Test)(facts)) return decidingResults[k] as FastDecision;
      }
      return NO_DECISION;
    }
    if (matched.length < n) throw new RangeError(`matched needs room for ${n} rules`);
    matched.fill(0, 0, n);
    let result = NO_DECISION;
    for (let k = 0; k < tests.length; k++) {
      if (!(tests[k] as Test)(facts)) continue;
      matched[order[k] as number] = 1;
      const r = results[k];
      if (r && result === NO_DECISION) result = r;
    }
    return result;
  }

  function evaluate(facts: CaseFacts): Decision {
    const decision: Decision = {
      ruleSetVersion: version,
      outcome: "manual",
      decidedBy: null,
      rejectReason: null,
      rejectNote: null,
      queue: DEFAULT_QUEUE,
      priority: DEFAULT_PRIORITY,
      slaHours: null,
      evidence: { required: false, kinds: [] },
      tags: [],
      recommendation: null,
      matched: [],
    };
    const kinds = new Set<EvidenceKind>();
    for (const i of order) {
      const rule = rules[i] as CompiledRule;
      const trace = rule.trace(facts);
      if (!trace.result) continue;
      decision.matched.push({
        id: rule.id,
        name: { ...rule.name },
        priority: rule.priority,
        actions: rule.actions.map(cloneAction),
        trace,
      });
      const deciding = decision.decidedBy === null && rule.outcome !== null;
      if (deciding) decision.decidedBy = rule.id;
      for (const a of rule.actions) {
        switch (a.action) {
          case "approve":
            if (deciding) decision.outcome = "approve";
            break;
          case "reject":
            if (deciding) {
              decision.outcome = "reject";
              decision.rejectReason = a.reason;
              decision.rejectNote = a.note ?? null;
            }
            break;
          case "route":
            if (deciding) {
              decision.outcome = "manual";
              decision.queue = a.queue;
              decision.priority = a.priority ?? DEFAULT_PRIORITY;
            }
            break;
          case "require_evidence":
            decision.evidence.required = true;
            for (const k of a.kinds ?? DEFAULT_EVIDENCE) kinds.add(k);
            break;
          case "set_sla":
            if (decision.slaHours === null || a.hours < decision.slaHours) decision.slaHours = a.hours;
            break;
          case "add_tags":
            for (const t of a.tags) if (!decision.tags.includes(t)) decision.tags.push(t);
            break;
          case "recommend":
            decision.recommendation ??= {
              solution: a.solution,
              from: "rule",
              id: rule.id,
              why: {
                zh: `规则「${rule.name.zh}」推荐此方案`,
                en: `Recommended by the rule "${rule.name.en}"`,
              },
            };
            break;
        }
      }
    }
    decision.evidence.kinds = EVIDENCE_KIND_CODES.filter((k) => kinds.has(k));
    if (decision.recommendation === null) {
      const s = solutions.find((x) => x.test(facts));
      if (s)
        decision.recommendation = { solution: s.solution, from: "solution", id: s.id, why: { ...s.why } };
    }
    return decision;
  }

  function traceRule(index: number, facts: CaseFacts): Trace {
    const rule = rules[index];
    if (!rule) throw new RangeError(`No rule at index ${index}`);
    return rule.trace(facts);
  }

  return Object.freeze({ version, currency, definition, rules, order, decide, evaluate, traceRule });
}
