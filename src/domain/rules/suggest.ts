// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { formatMinor, parseMinor } from "../money.ts";
import { type BacktestReport, createBacktest, type HumanDecision } from "./backtest.ts";
import type { Condition } from "./condition.ts";
import { CONDITIONS } from "./conditions/index.ts";
import { type LeafNode, type RuleDefinition, type RuleSetDefinition, validateRuleSet } from "./definition.ts";
import { type CompiledRuleSet, compileRuleSet } from "./evaluate.ts";
import type { CaseFacts } from "./facts.ts";
import { formatValue, joinList } from "./format.ts";
import { OPERATORS, type Test } from "./operators.ts";
import type { Label, Lang } from "./text.ts";

/**
 * Rules learned from history (规则建议): from the cases people decided and the live rules left to them,
 * propose approval rules — conditions over the same facts the engine reads — that would have decided
 * more of them automatically while agreeing with the people. Fitted on part of history, judged on the
 * rest (held out by case id, so a rerun holds out the same cases), and every number reported comes from
 * the engine's own backtest of the rule set with the suggestions added, not from the search.
 *
 * Only approvals are proposed: a rejection needs a reason the customer is told, which history's
 * labels do not carry, and a wrong automatic rejection costs a customer; those stay with people.
 */

export interface LabelledCase {
  id: string;
  facts: CaseFacts;
  human: HumanDecision;
}

export interface SuggestOptions {
  /** Share of history held out of fitting, to judge suggestions on (default 0.3). */
  holdOut?: number;
  /** Agreement with people a suggestion must reach on the fitted and on the held-out cases (0.995). */
  minAgreement?: number;
  /** Fewest fitted cases a suggestion must decide (20). */
  minSupport?: number;
  /** Fewest held-out cases it must decide to be judged at all (5). */
  minHeldOut?: number;
  /** Most conditions in one suggestion (3): more reads as overfitting and is hard to trust. */
  maxConditions?: number;
  maxSuggestions?: number;
  /** Fingerprints of suggestions the merchant dismissed: never proposed again. */
  dismissed?: ReadonlySet<string>;
}

export interface Suggestion {
  /** Stable identity of the conditions (dismissing remembers it). */
  fingerprint: string;
  /** Ready to add to the rule set: below every live rule, so it only decides what they leave to people. */
  rule: RuleDefinition;
  /** "申请金额 ≤ ¥50.00 且 售后类型 = 仅退款 → 自动同意" */
  text: Label;
  /** The engine's backtest of the rule on the cases it was fitted to, and on the held-out ones. */
  fitted: SuggestionScore;
  heldOut: SuggestionScore;
  /** Case ids it would have decided, held-out ones first (at most 20). */
  examples: string[];
}

export interface SuggestionScore {
  decided: number;
  agreed: number;
  falseApprovals: number;
  /** agreed / decided; null when it decided nothing. */
  agreementRate: number | null;
}

export interface SuggestionReport {
  cases: number;
  fitted: number;
  heldOut: number;
  /** The live rules, and the live rules with every suggestion, on the held-out cases. */
  live: Pick<BacktestReport, "automationRate" | "agreementRate" | "automated" | "falseApprovals">;
  withSuggestions: Pick<BacktestReport, "automationRate" | "agreementRate" | "automated" | "falseApprovals">;
  suggestions: Suggestion[];
}

interface Literal {
  node: LeafNode;
  field: string;
  test: Test;
}

const APPROVE: Label = { zh: "自动同意", en: "approve automatically" };
const AND: Label = { zh: " 且 ", en: " and " };

/**
 * The agreement one can be 95 % sure of (one-sided) after `agreed` of `n`: the Wilson score lower bound.
 * A few dozen cases that happen to agree prove little when people are inconsistent; a rule is only
 * proposed once its fitted cases make the target credible, not merely reached.
 */
export function agreementLowerBound(agreed: number, n: number, z = 1.645): number {
  if (n === 0) return 0;
  const p = agreed / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/** FNV-1a of the id: which cases are held out depends on nothing but the case. */
function heldOut(id: string, share: number): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % 1000) / 1000 < share;
}

/** Thresholds read better round: whole yuan, tenths of days, percents, whole scores. */
function roundFor(cond: Condition, v: number): number {
  switch (cond.type) {
    case "amount":
      return v >= 100 ? Math.round(v / 100) * 100 : v;
    case "days":
      return Math.round(v * 10) / 10;
    case "ratio":
      return Math.round(v * 100) / 100;
    default:
      return Math.round(v);
  }
}

/** The value a leaf compares with, as a rule set writes it (amounts as decimal text). */
const written = (cond: Condition, v: number, currency: string): unknown =>
  cond.type === "amount" ? formatMinor(v, currency) : v;

/** Every condition worth trying over these cases, compiled by the engine itself. */
function literals(cases: readonly LabelledCase[], currency: string): Literal[] {
  const nodes: LeafNode[] = [];
  for (const cond of CONDITIONS) {
    const window = cond.defaultWindow ?? 30;
    switch (cond.type) {
      case "enum":
        for (const v of Object.keys(cond.values ?? {})) nodes.push({ field: cond.field, op: "eq", value: v });
        break;
      case "boolean":
        for (const v of [true, false]) nodes.push({ field: cond.field, op: "eq", value: v });
        break;
      case "set": {
        const counts = new Map<string, number>();
        for (const c of cases)
          for (const v of cond.get(c.facts, window) as readonly string[])
            counts.set(v, (counts.get(v) ?? 0) + 1);
        const values = cond.values
          ? Object.keys(cond.values)
          : [...counts.entries()]
              .sort((a, b) => b[1] - a[1])
              .slice(0, 12)
              .map(([v]) => v);
        for (const v of values) {
          if (!counts.has(v)) continue;
          nodes.push({ field: cond.field, op: "contains", value: v });
          nodes.push({ field: cond.field, op: "contains_none", value: [v] });
        }
        break;
      }
      case "number":
      case "amount":
      case "days":
      case "ratio": {
        const values = cases
          .map((c) => cond.get(c.facts, window) as number | null)
          .filter((v): v is number => v !== null)
          .sort((a, b) => a - b);
        if (values.length === 0) break;
        const thresholds = new Set<number>();
        for (let q = 1; q < 20; q++)
          thresholds.add(roundFor(cond, values[Math.floor((q / 20) * (values.length - 1))] as number));
        for (const t of thresholds) {
          nodes.push({ field: cond.field, op: "lte", value: written(cond, t, currency) });
          nodes.push({ field: cond.field, op: "gte", value: written(cond, t, currency) });
        }
        break;
      }
      default:
        break; // free text: nothing general to learn from it
    }
  }
  const out: Literal[] = [];
  for (const node of nodes) {
    try {
      const def = validateRuleSet({ currency, rules: [ruleOf("probe", [node], 0)], solutions: [] });
      out.push({ node, field: node.field, test: (compileRuleSet(def, 0).rules[0] as { test: Test }).test });
    } catch {
      // A value the field refuses (e.g. a negative number of days): not a condition to propose.
    }
  }
  return out;
}

function ruleOf(id: string, when: readonly LeafNode[], priority: number, n = 1): RuleDefinition {
  return {
    id,
    name: { zh: `建议 ${n}：自动同意`, en: `Suggestion ${n}: approve automatically` },
    priority,
    when: when.length === 1 ? (when[0] as LeafNode) : { all: [...when] },
    then: [{ action: "approve" }],
  };
}

const fingerprintOf = (when: readonly LeafNode[]) =>
  when
    .map((n) => JSON.stringify([n.field, n.op, n.value]))
    .sort()
    .join("&");

function textOf(when: readonly LeafNode[], currency: string): Label {
  const say = (lang: Lang) => {
    const parts = when.map((n) => {
      const cond = CONDITIONS.find((c) => c.field === n.field) as Condition;
      const op = OPERATORS[cond.type][n.op];
      const value =
        cond.type === "amount" && typeof n.value === "string"
          ? formatValue(cond, parseMinor(n.value, currency), lang, currency)
          : formatValue(cond, n.value, lang, currency);
      return `${cond.label[lang]} ${op?.label[lang] ?? n.op} ${value}`;
    });
    return `${lang === "zh" ? parts.join(AND.zh) : joinList(parts, "en")} → ${APPROVE[lang]}`;
  };
  return { zh: say("zh"), en: say("en") };
}

/** Cases in `mask` (1 = in) that `lit` matches, as a new mask; and how many, and how many people approved. */
function narrow(mask: Uint8Array, hits: Uint8Array, approve: Uint8Array): { n: number; pos: number } {
  let n = 0;
  let pos = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i] && hits[i]) {
      n++;
      pos += approve[i] as number;
    }
  return { n, pos };
}

export function suggestRules(
  live: CompiledRuleSet,
  cases: readonly LabelledCase[],
  options: SuggestOptions = {},
): SuggestionReport {
  const share = options.holdOut ?? 0.3;
  const target = options.minAgreement ?? 0.995;
  const minSupport = options.minSupport ?? 20;
  const minHeldOut = options.minHeldOut ?? 5;
  const maxConditions = options.maxConditions ?? 3;
  const maxSuggestions = options.maxSuggestions ?? 5;
  const currency = live.currency;
  const fitted: LabelledCase[] = [];
  const held: LabelledCase[] = [];
  for (const c of cases) (heldOut(c.id, share) ? held : fitted).push(c);

  // What the live rules leave to people: no deciding rule matched. Only there can a rule placed
  // below all of them decide anything.
  const open = fitted.filter((c) => live.decide(c.facts).rule < 0);
  const lits = literals(open, currency);
  const hits = lits.map((l) => Uint8Array.from(open, (c) => (l.test(c.facts) ? 1 : 0)));
  const approve = Uint8Array.from(open, (c) => (c.human === "approve" ? 1 : 0));
  const remaining = new Uint8Array(open.length).fill(1);
  const lowest = Math.min(0, ...live.definition.rules.map((r) => r.priority));
  const tried = new Set<string>(options.dismissed ?? []);

  const found: LeafNode[][] = [];
  for (let attempt = 0; found.length < maxSuggestions && attempt < maxSuggestions * 4; attempt++) {
    // Greedy: add the condition that keeps the most cases while the target agreement stays credible
    // (its lower bound reaches it), or, until one does, the one whose lower bound is highest.
    const mask = remaining.slice();
    const chosen: number[] = [];
    let reached = false;
    for (let depth = 0; depth < maxConditions && !reached; depth++) {
      let best = -1;
      let bestKey: [number, number] = [-1, -1];
      for (let j = 0; j < lits.length; j++) {
        const lit = lits[j] as Literal;
        if (chosen.some((k) => (lits[k] as Literal).field === lit.field)) continue;
        const { n, pos } = narrow(mask, hits[j] as Uint8Array, approve);
        if (n < minSupport) continue;
        const lower = agreementLowerBound(pos, n);
        const meets = lower >= target ? 1 : 0;
        if (tried.has(fingerprintOf([...chosen.map((k) => (lits[k] as Literal).node), lit.node])) && meets)
          continue;
        const key: [number, number] = meets ? [1, n] : [0, lower];
        if (key[0] > bestKey[0] || (key[0] === bestKey[0] && key[1] > bestKey[1])) {
          best = j;
          bestKey = key;
        }
      }
      if (best < 0) break;
      chosen.push(best);
      const h = hits[best] as Uint8Array;
      for (let i = 0; i < mask.length; i++) mask[i] = (mask[i] as number) & (h[i] as number);
      reached = bestKey[0] === 1;
    }
    if (!reached) break; // nothing left that people decide consistently enough
    const when = chosen.map((k) => (lits[k] as Literal).node);
    tried.add(fingerprintOf(when));
    // Judge it on the held-out cases, with the live rules and the suggestions already kept above it.
    const withIt = compileWith(live, [...found, when], lowest);
    const index = withIt.definition.rules.length - 1;
    let decided = 0;
    let agreed = 0;
    for (const c of held) {
      if (withIt.decide(c.facts).rule !== index) continue;
      decided++;
      if (c.human === "approve") agreed++;
    }
    if (decided < minHeldOut || agreed / decided < target) continue;
    found.push(when);
    for (let i = 0; i < mask.length; i++) if (mask[i]) remaining[i] = 0;
  }

  const all = compileWith(live, found, lowest);
  const score = (set: readonly LabelledCase[]) => {
    const bt = createBacktest(all, { maxDisagreements: 0 });
    for (const c of set) bt.add(c.id, c.facts, c.human);
    return bt.report();
  };
  const onFitted = score(fitted);
  const onHeld = score(held);
  const liveHeld = createBacktest(live, { maxDisagreements: 0 });
  for (const c of held) liveHeld.add(c.id, c.facts, c.human);
  const base = liveHeld.report();
  const summary = (r: BacktestReport) => ({
    automationRate: r.automationRate,
    agreementRate: r.agreementRate,
    automated: r.automated,
    falseApprovals: r.falseApprovals,
  });
  const first = live.definition.rules.length;
  const suggestions = found.map((when, k): Suggestion => {
    const rule = all.definition.rules[first + k] as RuleDefinition;
    const scoreOf = (r: BacktestReport): SuggestionScore => {
      const s = r.perRule.find((p) => p.id === rule.id);
      const decided = s?.decided ?? 0;
      const agreed = s?.agreed ?? 0;
      return {
        decided,
        agreed,
        falseApprovals: s?.falseApprovals ?? 0,
        agreementRate: decided ? agreed / decided : null,
      };
    };
    const examples: string[] = [];
    for (const c of [...held, ...fitted]) {
      if (examples.length >= 20) break;
      if (all.decide(c.facts).rule === first + k) examples.push(c.id);
    }
    return {
      fingerprint: fingerprintOf(when),
      rule,
      text: textOf(when, currency),
      fitted: scoreOf(onFitted),
      heldOut: scoreOf(onHeld),
      examples,
    };
  });
  return {
    cases: cases.length,
    fitted: fitted.length,
    heldOut: held.length,
    live: summary(base),
    withSuggestions: summary(onHeld),
    suggestions,
  };
}

/** The live rule set with suggestions appended below its lowest rule, in the order they were found. */
function compileWith(
  live: CompiledRuleSet,
  found: readonly (readonly LeafNode[])[],
  lowest: number,
): CompiledRuleSet {
  const taken = new Set(live.definition.rules.map((r) => r.id));
  const rules = found.map((when, k) => {
    let id = `suggested-${k + 1}`;
    for (let n = 2; taken.has(id); n++) id = `suggested-${k + 1}-${n}`;
    taken.add(id);
    return ruleOf(id, when, lowest - 1 - k, k + 1);
  });
  const def: RuleSetDefinition = validateRuleSet({
    ...live.definition,
    rules: [...live.definition.rules, ...rules],
  });
  return compileRuleSet(def, live.version);
}
