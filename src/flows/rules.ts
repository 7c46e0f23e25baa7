import { fail } from "../domain/errors.ts";
import { validateRuleSet } from "../domain/rules/definition.ts";
import { type CompiledRuleSet, compileRuleSet } from "../domain/rules/evaluate.ts";
import type { Tx } from "../store/orders.ts";
import {
  activateVersion,
  activeRuleVersion,
  deleteDraft,
  findRuleVersion,
  insertRuleVersion,
  requestActivation,
  updateDraft,
} from "../store/rules.ts";
import { audit, SYSTEM_ACTOR } from "./audit.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { rulesActivation } from "./settings.ts";

/** Rule set versions (规则版本): write drafts, activate one, keep every version ever used. */

export interface RuleDraftInput {
  definition: unknown;
  note?: string;
}

/** What the audit log keeps of a version: its rules and note. */
const auditView = (v: { definition: unknown; note: string | null; status?: string } | undefined) =>
  v ? { definition: v.definition, note: v.note, ...(v.status ? { status: v.status } : {}) } : null;

export async function createRuleDraft(ctx: FlowContext, actor: Actor, input: RuleDraftInput) {
  const definition = validateRuleSet(input.definition);
  return ctx.db.transaction().execute(async (tx) => {
    const row = await insertRuleVersion(tx, {
      definition,
      note: input.note ?? null,
      createdBy: actorName(actor),
    });
    const after = auditView(row);
    await audit(tx, ctx, actor, {
      action: "rules.draft.create",
      subject: `${row.version}`,
      before: null,
      after,
    });
    return row;
  });
}

export async function updateRuleDraft(
  ctx: FlowContext,
  version: number,
  input: RuleDraftInput,
  actor: Actor = SYSTEM_ACTOR,
) {
  const definition = validateRuleSet(input.definition);
  return ctx.db.transaction().execute(async (tx) => {
    const before = await findRuleVersion(tx, version);
    const row = await updateDraft(tx, version, {
      definition,
      note: input.note ?? null,
      by: actorName(actor),
    });
    if (!row) return notDraft(tx, version);
    await audit(tx, ctx, actor, {
      action: "rules.draft.update",
      subject: `${version}`,
      before: auditView(before),
      after: auditView(row),
    });
    return row;
  });
}

export async function removeRuleDraft(ctx: FlowContext, version: number, actor: Actor = SYSTEM_ACTOR) {
  await ctx.db.transaction().execute(async (tx) => {
    const before = await findRuleVersion(tx, version);
    if (!(await deleteDraft(tx, version))) await notDraft(tx, version);
    await audit(tx, ctx, actor, {
      action: "rules.draft.delete",
      subject: `${version}`,
      before: auditView(before),
      after: null,
    });
  });
}

async function notDraft(db: Tx, version: number): Promise<never> {
  const existing = await findRuleVersion(db, version);
  if (!existing)
    return fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`, { version });
  return fail(
    "RULE_VERSION_NOT_DRAFT",
    `Version ${version} is ${existing.status}; versions that were ever active cannot change — create a new draft instead`,
  );
}

/** Make `version` the live rule set (an earlier one too: that is how a merchant rolls back). */
export async function activateRules(ctx: FlowContext, actor: Actor, version: number) {
  return ctx.db.transaction().execute(async (tx) => {
    const existing = await findRuleVersion(tx, version);
    if (!existing)
      return fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`, { version });
    // Stored drafts were validated when written, but the vocabulary may have changed since.
    validateRuleSet(existing.definition);
    // Maker–checker: a draft goes live by someone who did not write it. A version that was live before
    // was checked then, so rolling back to it needs no second person.
    const me = actorName(actor);
    if (
      existing.status === "draft" &&
      existing.authors.includes(me) &&
      (await rulesActivation(tx)).secondPerson
    )
      fail(
        "RULES_SECOND_PERSON_REQUIRED",
        `You wrote version ${version}; a different person must activate it`,
        {
          version,
          authors: existing.authors,
        },
      );
    const active = await activeRuleVersion(tx);
    const row = await activateVersion(tx, version, actorName(actor), ctx.now());
    if (!row)
      return fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`, { version });
    await audit(tx, ctx, actor, {
      action: "rules.activate",
      subject: `${version}`,
      before: { active: active?.version ?? null },
      after: { active: version },
    });
    return row;
  });
}

/**
 * An author asks for the draft to be activated by someone else: the other supervisors see it waiting
 * for them. Changing the draft afterwards withdraws the request.
 */
export async function requestRulesActivation(ctx: FlowContext, actor: Actor, version: number) {
  return ctx.db.transaction().execute(async (tx) => {
    const row = await requestActivation(tx, version, actorName(actor), ctx.now());
    if (!row) return notDraft(tx, version);
    await audit(tx, ctx, actor, {
      action: "rules.request_activation",
      subject: `${version}`,
      before: null,
      after: { requestedBy: row.requested_by },
    });
    return row;
  });
}

/** Per database: a process may hold several (the tests do), each numbering its versions from 1. */
const compiled = new WeakMap<object, Map<number, CompiledRuleSet>>();
const EMPTY = compileRuleSet(validateRuleSet({ rules: [], solutions: [] }), 0);

/** A version's rules, compiled; versions that went live never change, so those are compiled once. */
export async function compiledVersion(
  ctx: FlowContext,
  version: number,
  /** Where to read it on a miss: a transaction's own connection (the embedded database has one). */
  db: Pick<FlowContext, "db">["db"] = ctx.db,
): Promise<CompiledRuleSet> {
  const cache = compiled.get(ctx.db) ?? new Map<number, CompiledRuleSet>();
  compiled.set(ctx.db, cache);
  const hit = cache.get(version);
  if (hit) return hit;
  const row =
    (await findRuleVersion(db, version)) ??
    fail("RULE_VERSION_NOT_FOUND", `Rule set version ${version} does not exist`, { version });
  const rules = compileRuleSet(validateRuleSet(row.definition), version);
  if (row.status !== "draft") cache.set(version, rules);
  return rules;
}

/** The live rule set, or an empty one (everything to manual review) when none is active. */
export async function liveRules(
  ctx: FlowContext,
  /** The active version when the caller already read it (undefined: look it up). */
  known?: number | null,
  db: Pick<FlowContext, "db">["db"] = ctx.db,
): Promise<{ version: number | null; rules: CompiledRuleSet }> {
  const version = known === undefined ? ((await activeRuleVersion(db))?.version ?? null) : known;
  if (version === null) return { version: null, rules: EMPTY };
  return { version, rules: await compiledVersion(ctx, version, db) };
}
