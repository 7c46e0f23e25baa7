import { SOLUTIONS } from "../catalogue.ts";
import { describeAction, EVIDENCE_KINDS, outcomeOf, REJECT_REASONS } from "./actions.ts";
import { conditionFor } from "./conditions/index.ts";
import type { Decision, LeafTrace, MatchedRule, Trace } from "./evaluate.ts";
import { formatHours, formatValue, joinList, quote } from "./format.ts";
import { operatorFor } from "./operators.ts";
import type { Lang } from "./text.ts";

/**
 * Decisions in words (审核说明): what a reviewer, a merchant or the customer service reads. Every
 * condition shows its field, what it was compared with, the case's actual value, and ✓ or ✗.
 */

const MARK = (ok: boolean) => (ok ? "✓" : "✗");

function windowText(window: number | null, lang: Lang): string {
  if (window === null) return "";
  return lang === "zh" ? `（近 ${window} 天）` : ` (last ${window} days)`;
}

/** One comparison: `退款金额 ≤ ¥30.00（实际 ¥12.50）✓`. */
function leafText(t: LeafTrace, lang: Lang): string {
  const cond = conditionFor(t.field);
  const operator = cond && operatorFor(cond.type, t.op);
  if (!cond || !operator) {
    // A field or operator this version no longer knows: still say what was stored.
    return `${t.field} ${t.op} ${JSON.stringify(t.value)} (${JSON.stringify(t.actual)}) ${MARK(t.result)}`;
  }
  const ruleCurrency = t.currency ?? "CNY";
  const caseCurrency = t.caseCurrency ?? ruleCurrency;
  const show = (v: unknown, currency: string) => formatValue(cond, v, lang, currency);
  const field = cond.label[lang] + windowText(t.window, lang);
  let expected: string;
  if (operator.flag) {
    expected = (t.value ? operator.flag.true : operator.flag.false)[lang];
  } else if (operator.operand === "range" && Array.isArray(t.value)) {
    const [lo, hi] = t.value as unknown[];
    expected =
      lang === "zh"
        ? `介于 ${show(lo, ruleCurrency)} 至 ${show(hi, ruleCurrency)}`
        : `between ${show(lo, ruleCurrency)} and ${show(hi, ruleCurrency)}`;
  } else {
    expected = `${operator.label[lang]} ${show(t.value, ruleCurrency)}`;
  }
  const notes: string[] = [];
  // Saying the actual value again adds nothing when it equals the one asked for.
  const redundant = t.result && operator.operand === "scalar" && (t.op === "eq" || t.op === "contains");
  if (!redundant)
    notes.push(
      lang === "zh" ? `实际 ${show(t.actual, caseCurrency)}` : `actual ${show(t.actual, caseCurrency)}`,
    );
  if (caseCurrency !== ruleCurrency && operator.compares) {
    notes.push(
      lang === "zh"
        ? `案件币种 ${caseCurrency} 与规则币种 ${ruleCurrency} 不同，无法比较`
        : `the case is in ${caseCurrency}, the rules in ${ruleCurrency}, so they cannot be compared`,
    );
  }
  if (lang === "zh")
    return `${field} ${expected}${notes.length ? `（${notes.join("；")}）` : " "}${MARK(t.result)}`;
  return `${field} ${expected}${notes.length ? ` (${notes.join("; ")})` : ""} ${MARK(t.result)}`;
}

function nested(t: Trace, lang: Lang): string {
  if (t.node === "leaf") return leafText(t, lang);
  if (t.node === "not") {
    return lang === "zh"
      ? `并非（${nested(t.child, lang)}）${MARK(t.result)}`
      : `not (${nested(t.child, lang)}) ${MARK(t.result)}`;
  }
  if (t.children.length === 0) return lang === "zh" ? `无条件 ${MARK(t.result)}` : `always ${MARK(t.result)}`;
  const parts = t.children.map((c) => nested(c, lang));
  if (lang === "zh") {
    const head = t.node === "all" ? "全部满足" : "满足任一";
    return `${head}（${parts.join(t.node === "all" ? "；" : "，或 ")}）${MARK(t.result)}`;
  }
  const head = t.node === "all" ? "all of" : "any of";
  return `${head} (${parts.join(t.node === "all" ? "; " : ", or ")}) ${MARK(t.result)}`;
}

/** A rule's whole condition as one line; the top-level "all" reads as a plain list. */
export function explainTrace(trace: Trace, lang: Lang): string {
  if (trace.node === "all") {
    if (trace.children.length === 0)
      return lang === "zh" ? "无条件（适用于所有售后单）" : "always (every case)";
    return trace.children.map((c) => nested(c, lang)).join(lang === "zh" ? "；" : "; ");
  }
  return nested(trace, lang);
}

function ruleLine(rule: MatchedRule, decision: Decision, lang: Lang): string {
  const decided = decision.decidedBy === rule.id;
  const actions = rule.actions.map((a) => {
    const text = describeAction(a, lang);
    if (outcomeOf(a) === null || decided) return text;
    return lang === "zh"
      ? `${text}（未生效：已由更高优先级的规则决定）`
      : `${text} (not applied: an earlier rule decided)`;
  });
  const conditions = explainTrace(rule.trace, lang);
  const joined = joinList(actions, lang);
  return lang === "zh"
    ? `规则${quote(rule.name.zh, lang)}命中：${conditions} → ${joined}`
    : `Rule ${quote(rule.name.en, lang)} matched: ${conditions} → ${joined}`;
}

function outcomeLine(d: Decision, lang: Lang): string {
  const rule = d.decidedBy === null ? undefined : d.matched.find((m) => m.id === d.decidedBy);
  const by = rule
    ? lang === "zh"
      ? `（由规则${quote(rule.name.zh, lang)}决定）`
      : `, decided by the rule ${quote(rule.name.en, lang)}`
    : "";
  const queue =
    lang === "zh"
      ? `队列${quote(d.queue, lang)}，优先级 ${d.priority}`
      : `queue ${quote(d.queue, lang)}, priority ${d.priority}`;
  if (d.outcome === "approve")
    return lang === "zh" ? `结论：自动同意${by}` : `Outcome: approved automatically${by}`;
  if (d.outcome === "reject") {
    const reason = d.rejectReason ? REJECT_REASONS[d.rejectReason][lang] : "";
    const note = d.rejectNote ? (lang === "zh" ? `：${d.rejectNote}` : `: ${d.rejectNote}`) : "";
    return lang === "zh"
      ? `结论：自动拒绝，原因：${reason}${note}${by}`
      : `Outcome: rejected automatically (${reason}${note})${by}`;
  }
  if (rule)
    return lang === "zh" ? `结论：转人工审核，${queue}${by}` : `Outcome: manual review (${queue})${by}`;
  return lang === "zh"
    ? `结论：没有规则作出决定，转人工审核（${queue}）`
    : `Outcome: no rule decided, so the case goes to manual review (${queue})`;
}

/**
 * A decision in lines: first the outcome and the rule that decided it, then each matched rule with
 * its conditions and actions, then what the case needs (evidence, time limit, tags, a solution).
 */
export function explainDecision(decision: Decision, lang: Lang): string[] {
  const lines = [outcomeLine(decision, lang)];
  if (decision.matched.length === 0) lines.push(lang === "zh" ? "没有规则命中。" : "No rule matched.");
  for (const m of decision.matched) lines.push(ruleLine(m, decision, lang));
  if (decision.evidence.required) {
    const kinds = joinList(
      decision.evidence.kinds.map((k) => EVIDENCE_KINDS[k][lang]),
      lang,
    );
    lines.push(lang === "zh" ? `需要顾客补充凭证：${kinds}` : `The customer must provide evidence: ${kinds}`);
  }
  if (decision.slaHours !== null) {
    const h = formatHours(decision.slaHours, lang);
    lines.push(lang === "zh" ? `处理时限：${h}` : `Handle within ${h}`);
  }
  if (decision.tags.length > 0) {
    lines.push(
      lang === "zh" ? `标签：${joinList(decision.tags, lang)}` : `Tags: ${joinList(decision.tags, lang)}`,
    );
  }
  const rec = decision.recommendation;
  if (rec) {
    const label = SOLUTIONS[rec.solution][lang];
    lines.push(
      lang === "zh" ? `推荐方案：${label}——${rec.why.zh}` : `Recommended solution: ${label} — ${rec.why.en}`,
    );
  }
  return lines;
}
