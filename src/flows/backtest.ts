import { setImmediate } from "node:timers/promises";
import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { assessRisk } from "../domain/risk/assess.ts";
import { type BacktestReport, createBacktest, type HumanDecision } from "../domain/rules/backtest.ts";
import { validateRuleSet } from "../domain/rules/definition.ts";
import { type CompiledRuleSet, compileRuleSet } from "../domain/rules/evaluate.ts";
import type { CaseFacts } from "../domain/rules/facts.ts";
import { firstReviewFacts, loadCaseContexts } from "../store/facts.ts";
import type { FlowContext } from "./context.ts";
import { compiledVersion, liveRules } from "./rules.ts";
import { riskThresholds, timeZone } from "./settings.ts";

export interface BacktestInput extends HistoryInput {
  /** A stored version; neither this nor a definition: the live rule set. */
  version?: number;
  /** A rule set not saved yet (a draft being edited). */
  definition?: unknown;
  /** After each batch: cases replayed so far, of how many. */
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 5_000;
const MIN_BATCH = 500;
/** Batches read ahead of the one being judged. */
const READ_AHEAD = 2;
/** Disagreements kept as examples (links to cases): in all, and per rule and kind. */
const EXAMPLES = { maxDisagreements: 2_000, maxPerRule: 20 };

/** The rule set a backtest replays: a draft's definition, a stored version, or the live one. */
async function ruleSetOf(ctx: FlowContext, input: Pick<BacktestInput, "version" | "definition">) {
  return input.definition !== undefined
    ? compileRuleSet(validateRuleSet(input.definition), 0)
    : input.version !== undefined
      ? await compiledVersion(ctx, input.version)
      : (await liveRules(ctx)).rules;
}

/**
 * 规则回测: replay a rule set over past cases that people decided, as they stood when each was
 * opened, and compare. Facts are gathered in batches, so history of any size streams through.
 */
export async function backtestRules(ctx: FlowContext, input: BacktestInput = {}): Promise<BacktestReport> {
  const [report] = await replay(ctx, [await ruleSetOf(ctx, input)], input);
  return report as BacktestReport;
}

/**
 * A draft (or version) and the live rule set replayed side by side in one pass over history — what a
 * supervisor looks at before activating. `live` is null when no version is live (every case would go
 * to a person).
 */
export async function backtestAgainstLive(
  ctx: FlowContext,
  input: BacktestInput = {},
): Promise<{ report: BacktestReport; live: BacktestReport | null; liveVersion: number | null }> {
  const subject = await ruleSetOf(ctx, input);
  const live = await liveRules(ctx);
  const [report, baseline] = await replay(
    ctx,
    live.version === null ? [subject] : [subject, live.rules],
    input,
  );
  return { report: report as BacktestReport, live: baseline ?? null, liveVersion: live.version };
}

async function replay(
  ctx: FlowContext,
  sets: readonly CompiledRuleSet[],
  input: BacktestInput,
): Promise<BacktestReport[]> {
  const bts = sets.map((s) => createBacktest(s, EXAMPLES));
  await forEachDecided(
    ctx,
    input,
    (caseId, facts, human) => {
      for (const bt of bts) bt.add(caseId, facts, human);
    },
    input.onProgress,
  );
  return bts.map((bt) => bt.report());
}

/** Which past cases: opened in [from, to), in these shops (null: all). */
export interface HistoryInput {
  from?: string | undefined;
  to?: string | undefined;
  shops?: readonly string[] | null | undefined;
  /** The most recent this many decided cases only. */
  limit?: number;
  /** Stop between batches (the person went away); the walk then fails with BACKTEST_ABORTED. */
  signal?: AbortSignal | undefined;
}

/**
 * Each past case a person decided, with the facts the rules saw when it was first reviewed, and that
 * person's last decision, in batches. Live review records those facts (case_decisions); a case with no
 * record (imported, or from before review recorded them) has its facts gathered as they stood when it was
 * opened, its risk scored as live review scores it.
 */
export async function forEachDecided(
  ctx: FlowContext,
  input: HistoryInput,
  each: (caseId: string, facts: CaseFacts, human: HumanDecision) => void,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  // Each case's last decision by a person — the answer the rules are measured against.
  const { rows: labels } = await sql<{ case_id: number; action: HumanDecision }>`
    select * from (
      select distinct on (e.case_id) e.case_id, e.action
        from case_events e join cases c on c.id = e.case_id
       where e.action in ('approve', 'reject') and e.actor like 'user:%'
         ${input.from ? sql`and c.created_at >= ${new Date(input.from)}` : sql``}
         ${input.to ? sql`and c.created_at < ${new Date(input.to)}` : sql``}
         ${input.shops ? sql`and c.shop_id = any(${[...input.shops]}::text[])` : sql``}
       order by e.case_id desc, e.id desc
       ${input.limit ? sql`limit ${input.limit}` : sql``}) d
     order by case_id`.execute(ctx.db);
  const tz = await timeZone(ctx);
  const thresholds = await riskThresholds(ctx);
  // About twenty steps for the progress bar, but never batches so small that round trips dominate.
  const batch = Math.min(BATCH, Math.max(MIN_BATCH, Math.ceil(labels.length / 20)));
  const factsOf = async (from: number) => {
    const ids = labels.slice(from, from + batch).map((l) => Number(l.case_id));
    const facts = await firstReviewFacts(ctx.db, ids);
    const missing = ids.filter((id) => !facts.has(id));
    for (const c of await loadCaseContexts(ctx.db, missing, tz)) {
      c.facts.riskScore = assessRisk(c.profile, thresholds, c.facts.currency).score;
      facts.set(c.caseId, c.facts);
    }
    return facts;
  };
  onProgress?.(0, labels.length);
  // The database reads the next batches (two connections, two cores) while this one is judged.
  const ahead: Promise<Map<number, CaseFacts>>[] = [];
  const ask = (from: number) => {
    if (from < labels.length) ahead.push(factsOf(from));
  };
  for (let k = 0; k < READ_AHEAD; k++) ask(k * batch);
  for (let i = 0; i < labels.length; i += batch) {
    // Reads still under way when this one fails (or the person stops) are let go quietly.
    const letGo = () => {
      for (const p of ahead) p.catch(() => undefined);
    };
    const facts = await (ahead.shift() as Promise<Map<number, CaseFacts>>).catch((e: unknown) => {
      letGo();
      throw e;
    });
    ask(i + READ_AHEAD * batch);
    if (input.signal?.aborted) {
      letGo();
      fail("BACKTEST_ABORTED", "The backtest was stopped");
    }
    for (const l of labels.slice(i, i + batch)) {
      const f = facts.get(Number(l.case_id));
      if (f) each(String(l.case_id), f, l.action);
    }
    onProgress?.(Math.min(i + batch, labels.length), labels.length);
    // Let the process breathe between batches: with the embedded database every query runs on this
    // thread, and without a turn of the event loop neither the progress nor any other request would
    // leave until the whole history had been replayed.
    await setImmediate();
  }
}
