import { fail } from "../domain/errors.ts";
import { validateRuleSet } from "../domain/rules/definition.ts";
import { type CompiledRuleSet, compileRuleSet } from "../domain/rules/evaluate.ts";
import {
  activateVersion,
  activeRuleVersion,
  deleteDraft,
  findRuleVersion,
  insertRuleVersion,
  updateDraft,
} from "../store/rules.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/** Rule set versions (规则版本): write drafts, activate one, keep every version ever used. */

export interface RuleDraftInput {
  definition: unknown;
  note?: string;
}

export async function createRuleDraft(ctx: FlowContext, actor: Actor, input: RuleDraftInput) {
  const definition = validateRuleSet(input.definition);
  return insertRuleVersion(ctx.db, { definition, note: input.note ?? null, createdBy: actorName(actor) });
}

export async function updateRuleDraft(ctx: FlowContext, version: number, input: RuleDraftInput) {
  const definition = validateRuleSet(input.definition);
  const row = await updateDraft(ctx.db, version, { definition, note: input.note ?? null });
  if (row) return row;
  return notDraft(ctx, version);
}

export async function removeRuleDraft(ctx: FlowContext, version: number) {
  if (!(await deleteDraft(ctx.db, version))) await notDraft(ctx, version);
}

async function notDraft(ctx: FlowContext, version: number): Promise<never> {
  const existing = await findRuleVersion(ctx.db, version);
  if (!existing) return fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`);
  return fail(
    "RULE_VERSION_NOT_DRAFT",
    `Version ${version} is ${existing.status}; versions that were ever active cannot change — create a new draft instead`,
  );
}

/** Make `version` the live rule set (an earlier one too: that is how a merchant rolls back). */
export async function activateRules(ctx: FlowContext, actor: Actor, version: number) {
  return ctx.db.transaction().execute(async (tx) => {
    const existing = await findRuleVersion(tx, version);
    if (!existing) return fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`);
    // Stored drafts were validated when written, but the vocabulary may have changed since.
    validateRuleSet(existing.definition);
    const row = await activateVersion(tx, version, actorName(actor), ctx.now());
    return row ?? fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`);
  });
}

const compiled = new Map<number, CompiledRuleSet>();
const EMPTY = compileRuleSet(validateRuleSet({ rules: [], solutions: [] }), 0);

/** A version's rules, compiled; versions that went live never change, so those are compiled once. */
export async function compiledVersion(ctx: FlowContext, version: number): Promise<CompiledRuleSet> {
  const hit = compiled.get(version);
  if (hit) return hit;
  const row =
    (await findRuleVersion(ctx.db, version)) ??
    fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`);
  const rules = compileRuleSet(validateRuleSet(row.definition), version);
  if (row.status !== "draft") compiled.set(version, rules);
  return rules;
}

/** The live rule set, or an empty one (everything to manual review) when none is active. */
export async function liveRules(
  ctx: FlowContext,
  /** The active version when the caller already read it (undefined: look it up). */
  known?: number | null,
): Promise<{ version: number | null; rules: CompiledRuleSet }> {
  const version = known === undefined ? ((await activeRuleVersion(ctx.db))?.version ?? null) : known;
  if (version === null) return { version: null, rules: EMPTY };
  return { version, rules: await compiledVersion(ctx, version) };
}
