import { fail } from "../domain/errors.ts";
import { type LabelledCase, type SuggestionReport, suggestRules } from "../domain/rules/suggest.ts";
import { getSetting, putSetting } from "../store/settings.ts";
import { audit } from "./audit.ts";
import { forEachDecided, type HistoryInput } from "./backtest.ts";
import type { Actor, FlowContext } from "./context.ts";
import { liveRules } from "./rules.ts";

/** Suggestions learn from the most recent decided cases only: enough to be sure, bounded in memory. */
export const SUGGEST_HISTORY_LIMIT = 100_000;
const DISMISSED = "rules.dismissedSuggestions";

export interface SuggestInput extends HistoryInput {
  /** Agreement with people each suggestion must reach (default 0.995). */
  minAgreement?: number;
  onProgress?: (done: number, total: number) => void;
}

/** 规则建议: approval rules learned from what people decided that the live rules left to them. */
export async function suggestFromHistory(
  ctx: FlowContext,
  input: SuggestInput = {},
): Promise<SuggestionReport> {
  const { rules } = await liveRules(ctx);
  const cases: LabelledCase[] = [];
  await forEachDecided(
    ctx,
    { ...input, limit: Math.min(input.limit ?? SUGGEST_HISTORY_LIMIT, SUGGEST_HISTORY_LIMIT) },
    (id, facts, human) => cases.push({ id, facts, human }),
    input.onProgress,
  );
  return suggestRules(rules, cases, {
    dismissed: new Set(await dismissedSuggestions(ctx)),
    ...(input.minAgreement !== undefined ? { minAgreement: input.minAgreement } : {}),
  });
}

export async function dismissedSuggestions(ctx: FlowContext): Promise<string[]> {
  const stored = await getSetting(ctx.db, DISMISSED);
  return Array.isArray(stored) ? stored.filter((s): s is string => typeof s === "string") : [];
}

/** Never propose these conditions again (the supervisor said no); kept in the audit log like any setting. */
export async function dismissSuggestion(
  ctx: FlowContext,
  fingerprint: string,
  actor: Actor,
): Promise<string[]> {
  if (typeof fingerprint !== "string" || fingerprint === "" || fingerprint.length > 2000)
    fail("INVALID_ARGUMENTS", "A suggestion's fingerprint is a non-empty text of at most 2000 characters", {
      field: "fingerprint",
    });
  return ctx.db.transaction().execute(async (tx) => {
    const before = await dismissedSuggestions({ ...ctx, db: tx });
    if (before.includes(fingerprint)) return before;
    const after = [...before, fingerprint].slice(-500);
    await putSetting(tx, DISMISSED, after);
    await audit(tx, ctx, actor, {
      action: "rules.suggestion.dismiss",
      subject: fingerprint,
      before: null,
      after: { fingerprint, dismissed: after.length },
    });
    return after;
  });
}
