import { sql } from "kysely";
import type { CaseType } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { type Action, type CaseState, transitionsFor } from "../domain/lifecycle.ts";
import { formatMinor } from "../domain/money.ts";
import { claimedAmount } from "../store/cases.ts";
import { autoAssignLocked } from "./assign-case.ts";
import {
  advance,
  checkVersion,
  type Locked,
  type StepOptions,
  type StepResult,
  withCase,
} from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { above, shopReviewOf } from "./settings.ts";

/** Actions that need no facts beyond the machine's own. */
const plain =
  (action: Action) =>
  (ctx: FlowContext, actor: Actor, caseId: number, opts: StepOptions = {}): Promise<StepResult> =>
    withCase(ctx, caseId, (l) => advance(ctx, l, actor, action, {}, { ...opts, commit: true }), opts);

export type ApproveResult = StepResult & { awaitingSecondApproval?: boolean; firstApproval?: string };

/**
 * 审核通过: approve a case. Above the shop's maker–checker threshold a person's approval is only
 * the first of two: the case waits for a second, different person.
 */
export const approveCase = (
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  opts: StepOptions = {},
): Promise<ApproveResult> => withCase(ctx, caseId, (l) => approveLocked(ctx, l, actor, opts), opts);

async function approveLocked(
  ctx: FlowContext,
  l: Locked,
  actor: Actor,
  opts: StepOptions,
): Promise<ApproveResult> {
  const { kase } = l;
  // A stale version first: "someone changed it" says more than "it cannot be approved now".
  await checkVersion(l, opts.expectedVersion);
  transitionsFor(kase.type as CaseType, kase.status as CaseState, "approve");
  const last = { ...opts, commit: true };
  if (actor.kind !== "user") return advance(ctx, l, actor, "approve", {}, last);
  const review = shopReviewOf(l.stored.shopReview);
  if (review.secondApprovalAbove === null) return advance(ctx, l, actor, "approve", {}, last);
  const facts = await sql<{ amount: number; first_approval: string | null }>`
    select ${claimedAmount(kase.id)} as amount, first_approval from cases where id = ${kase.id}`.execute(
    l.tx,
  );
  const { amount, first_approval: first } = facts.rows[0] as {
    amount: number;
    first_approval: string | null;
  };
  if (!above(Number(amount), review.secondApprovalAbove, kase.currency))
    return advance(ctx, l, actor, "approve", {}, last);
  const me = actorName(actor);
  if (first === me) {
    fail("SECOND_APPROVER_REQUIRED", "You gave the first approval; a different person must give the second", {
      firstApproval: first,
      threshold: review.secondApprovalAbove,
      amount: formatMinor(Number(amount), kase.currency),
      currency: kase.currency,
    });
  }
  if (first) {
    return {
      ...(await advance(
        ctx,
        l,
        actor,
        "approve",
        {},
        { ...last, data: { firstApproval: first, secondApproval: me } },
      )),
      firstApproval: first,
    };
  }
  // First of two: record who, keep the state, and make the case's version move so forms reload.
  const now = ctx.now();
  await sql`
    with c as (
      update cases set first_approval = ${me}, version = version + 1, updated_at = ${now}
       where id = ${kase.id} and version = ${kase.version} returning id)
    insert into case_events (case_id, at, actor, action, from_status, to_status, note, data, version)
    select id, ${now}::timestamptz, ${me}::text, 'first_approval', ${kase.status}::text, ${kase.status}::text,
           ${opts.note ?? null}::text, ${JSON.stringify({ threshold: review.secondApprovalAbove, amount })}::jsonb,
           ${kase.version + 1}::int
      from c`.execute(l.tx);
  kase.version += 1;
  // The second approval is someone else's: a case nobody owns goes to the next person who may give it.
  await autoAssignLocked(ctx, l);
  return { status: kase.status as CaseState, version: kase.version, awaitingSecondApproval: true };
}

/** 拒绝: reject a case; the reason is required and goes on the timeline (and to the customer). */
export const rejectCase = plain("reject");
/** 撤销: the customer (or an agent for them) withdraws the case before goods or money moved. */
export const cancelCase = plain("cancel");
/** 完结: close a case whose money or goods have gone out. */
export const closeCase = plain("close");

export interface OverrideInput extends StepOptions {
  decision: "approve" | "reject";
  note: string;
}

/**
 * A person overrides a rule's decision (人工改判): a rule's approval that nothing has followed yet
 * becomes a rejection, a rule's rejection becomes an approval. The timeline keeps both, and the
 * override names the decision it overrode — what backtests learn from.
 */
export async function overrideDecision(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: OverrideInput,
): Promise<ApproveResult> {
  if (input.decision !== "approve" && input.decision !== "reject")
    fail("INVALID_DECISION", `A decision is "approve" or "reject", not "${input.decision}"`, {
      decision: input.decision,
    });
  if (!input.note?.trim()) fail("NOTE_REQUIRED", "Say why the rule's decision is overridden");
  return withCase(
    ctx,
    caseId,
    async (l) => {
      await checkVersion(l, input.expectedVersion);
      const last = await l.tx
        .selectFrom("case_events")
        .select(["id", "actor", "action", "to_status", "data"])
        .where("case_id", "=", caseId)
        .where("action", "in", ["approve", "reject"])
        .orderBy("id", "desc")
        .executeTakeFirst();
      if (!last?.actor.startsWith("rule:") || last.to_status !== l.kase.status) {
        fail(
          "NOTHING_TO_OVERRIDE",
          "Only a rule's decision can be overridden, and only before anything else happened to the case",
          { status: l.kase.status },
        );
      }
      const ruled = (last as { action: string }).action as "approve" | "reject";
      if (ruled === input.decision)
        fail("OVERRIDE_SAME_DECISION", `The rule already decided to ${ruled}; there is nothing to override`, {
          decision: ruled,
        });
      const overrides = { actor: last?.actor, action: ruled, eventId: last?.id };
      const back = ruled === "reject" ? "reopen" : "revoke";
      await advance(ctx, l, actor, back, {}, { ...input, data: { override: true, overrides } });
      if (input.decision === "reject") {
        return advance(
          ctx,
          l,
          actor,
          "reject",
          {},
          { note: input.note, data: { override: true, overrides }, commit: true },
        );
      }
      return approveLocked(ctx, l, actor, { note: input.note });
    },
    input,
  );
}
