import { type Kysely, sql } from "kysely";
import { AppError, fail } from "../domain/errors.ts";
import { formatMinor } from "../domain/money.ts";
import { assessRisk, type RiskAssessment } from "../domain/risk/assess.ts";
import { REJECT_REASONS } from "../domain/rules/actions.ts";
import type { Decision } from "../domain/rules/evaluate.ts";
import { explainDecision } from "../domain/rules/explain.ts";
import { claimedAmount } from "../store/cases.ts";
import { type CaseContext, loadCaseContexts } from "../store/facts.ts";
import type { DB } from "../store/schema.ts";
import { type AssignFacts, assignFacts, autoAssign } from "./assign-case.ts";
import { advance, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";
import { grantRefund } from "./grant-refund.ts";
import { issueRefunds } from "./issue-refund.ts";
import { liveRules } from "./rules.ts";
import {
  above,
  getShopReview,
  isTimeZone,
  reviewSettings,
  reviewSettingsOf,
  type StoredReviewSettings,
  timeZoneOf,
} from "./settings.ts";

/** What made us look at a case (again). */
export type ReviewTrigger = "submitted" | "parcel_signed" | "return_received" | "manual";

export interface AutoReviewResult {
  decisionId: number;
  decision: Decision;
  risk: RiskAssessment;
  /** What the decision did to the case: it approved or rejected it, or left it to people. */
  applied: "approve" | "reject" | null;
  refundId?: number;
}

/**
 * One statement that stores the decision and annotates the case with it — queue, priority, SLA, tags,
 * risk, evidence, recommendation — and raises an alert for a high risk. Annotations are not a change
 * of state: the case's version stays, so a reviewer's open form stays valid.
 */
function recordDecision(
  ctx: FlowContext,
  context: CaseContext,
  trigger: ReviewTrigger,
  version: number | null,
  decision: Decision,
  risk: RiskAssessment,
) {
  const now = ctx.now();
  const caseId = context.caseId;
  const sla =
    decision.slaHours === null ? null : new Date(context.createdAt.getTime() + decision.slaHours * 3_600_000);
  const alert =
    risk.level === "high"
      ? sql`, alert as (
          insert into alerts (kind, subject, severity, dedupe_key, case_id, shop_id, reason, data, created_at, updated_at)
          values ('case_risk', ${context.customerId ?? `case:${caseId}`}, 'critical', ${`case_risk:${caseId}`}, ${caseId},
                  (select shop_id from cases where id = ${caseId}),
                  ${JSON.stringify({
                    zh: risk.signals.map((x) => x.reason.zh).join("；"),
                    en: risk.signals.map((x) => x.reason.en).join("; "),
                  })}::jsonb,
                  ${JSON.stringify({ score: risk.score, signals: risk.signals.map((x) => x.code) })}::jsonb, ${now}, ${now})
          on conflict (dedupe_key) do update
            set reason = excluded.reason, data = excluded.data, updated_at = excluded.updated_at)`
      : sql``;
  // With what autoAssign decides from, as the case was before this statement (it changes neither).
  return sql<{ id: number } & AssignFacts>`
    with d as (
      insert into case_decisions (case_id, at, trigger, rule_version, outcome, decided_by, facts, risk, decision)
      values (${caseId}, ${now}, ${trigger}, ${version}, ${decision.outcome}, ${decision.decidedBy},
              ${JSON.stringify(context.facts)}::jsonb, ${JSON.stringify(risk)}::jsonb, ${JSON.stringify(decision)}::jsonb)
      returning id),
    c as (
      update cases set queue = ${decision.queue}, priority = ${decision.priority}, sla_due_at = ${sla},
                       tags = array(select distinct t from unnest(tags || ${decision.tags}::text[]) t order by t),
                       risk_score = ${risk.score}, evidence_required = ${decision.evidence.required},
                       recommendation = ${decision.recommendation ? JSON.stringify(decision.recommendation) : null}::jsonb,
                       decision_id = (select id from d)
       where id = ${caseId})
    ${alert}
    select d.id, ${assignFacts("x")} from d, cases x where x.id = ${caseId}`;
}

/** The queue for cases a rule would approve but that need two people. */
export const APPROVAL_QUEUE = "approval";

/**
 * 自动审核: judge a case by the live rules and its risk, store the decision with its explanation,
 * annotate the case (queue, priority, SLA, tags, evidence, recommendation) and, while the case is
 * still awaiting review, carry the decision out. Small rule-approved refund_only cases go straight on
 * to the refund. Runs on submission and again whenever the case's facts change.
 */
export async function autoReview(
  ctx: FlowContext,
  caseId: number,
  trigger: ReviewTrigger,
): Promise<AutoReviewResult> {
  return (await judge(ctx, caseId, trigger)).result;
}

/** autoReview, and whether it left the case's status and version as they were (it annotated only). */
async function judge(
  ctx: FlowContext,
  caseId: number,
  trigger: ReviewTrigger,
  read?: ReviewRead,
): Promise<{ result: AutoReviewResult; unchanged: boolean }> {
  return carryOut(ctx, caseId, await judgement(ctx, caseId, trigger, read));
}

/** What the rules and the risk make of a case, and the statement that records it. */
interface Judgement {
  decision: Decision;
  risk: RiskAssessment;
  version: number | null;
  record: ReturnType<typeof recordDecision>;
  /** The decision approves or rejects a case still awaiting review: carrying it out takes the lock. */
  acts: boolean;
}

async function judgement(
  ctx: FlowContext,
  caseId: number,
  trigger: ReviewTrigger,
  read?: ReviewRead,
  /** Where to read what is missing: the step's transaction, when judged inside it. */
  db: Kysely<DB> = ctx.db,
): Promise<Judgement> {
  const settings = read ? reviewSettingsOf(read.stored) : await reviewSettings(ctx, caseId);
  const [context] = read?.contexts ?? (await loadCaseContexts(ctx.db, [caseId], settings.timeZone));
  if (!context) return fail("CASE_NOT_FOUND", `Case ${caseId} does not exist`, { caseId });
  const { facts } = context;
  const risk = assessRisk(context.profile, settings.risk, facts.currency);
  facts.riskScore = risk.score;
  const live = await liveRules(ctx, settings.ruleVersion, db);
  const decision = live.rules.evaluate(facts);
  const amount = facts.requestedAmount ?? facts.quotedAmount;
  // Maker–checker: what needs two people is never approved by a rule alone.
  if (decision.outcome === "approve" && above(amount, settings.review.secondApprovalAbove, facts.currency)) {
    decision.outcome = "manual";
    decision.queue = APPROVAL_QUEUE;
  }
  return {
    decision,
    risk,
    version: live.version,
    record: recordDecision(ctx, context, trigger, live.version, decision, risk),
    acts: decision.outcome !== "manual" && decision.decidedBy !== null && context.status === "requested",
  };
}

/** Record a judgement (unless its step's transaction did) and carry it out. */
async function carryOut(
  ctx: FlowContext,
  caseId: number,
  j: Judgement,
  /** What recording it in the step's transaction answered. */
  recorded?: { id: number } & AssignFacts,
): Promise<{ result: AutoReviewResult; unchanged: boolean }> {
  const { decision, risk, record } = j;
  // Most decisions only annotate the case: one statement, no lock. Acting on it takes the lock.
  if (!j.acts) {
    const row = recorded ?? (await record.execute(ctx.db)).rows[0];
    // Left for people: the case gets a person (when assignment is automatic and it has none).
    const owner = await autoAssign(ctx, caseId, row);
    return {
      result: { decisionId: row?.id as number, decision, risk, applied: null },
      unchanged: !owner,
    };
  }
  const { decisionId, applied } = await withCase(ctx, caseId, async (l) => {
    const decisionId = (await record.execute(l.tx)).rows[0]?.id as number;
    if (l.kase.status !== "requested") return { decisionId, applied: null };
    const actor: Actor = { kind: "rule", id: `${decision.decidedBy}@v${j.version}` };
    const outcome = decision.outcome as "approve" | "reject";
    const note =
      outcome === "reject"
        ? [decision.rejectReason ? REJECT_REASONS[decision.rejectReason].zh : null, decision.rejectNote]
            .filter(Boolean)
            .join("：")
        : explainDecision(decision, "zh")[0];
    await advance(
      ctx,
      l,
      actor,
      outcome,
      {},
      {
        note: note || undefined,
        data: { decisionId, ruleVersion: j.version },
        also: [sql`update case_decisions set applied = ${outcome} where id = ${decisionId}`],
        commit: true,
      },
    );
    return { decisionId, applied: outcome };
  });

  const result: AutoReviewResult = { decisionId, decision, risk, applied };
  if (applied === "approve") result.refundId = await autoRefund(ctx, caseId);
  // Acting took the lock: whether the rule moved the case or someone else had, it is read again.
  return { result, unchanged: false };
}

/**
 * What a step that changed a case's facts (a new case, everything back) did about its review, inside
 * its own transaction: see judgeInStep.
 */
export type InStep =
  | { judgement: Judgement; recorded?: { id: number } & AssignFacts }
  | { read: ReviewRead }
  | { error: unknown };

/**
 * Judge a case inside the step that changed its facts, before that step commits: a decision that only
 * annotates the case is recorded with the step (one commit, not two), behind a savepoint so that a
 * failing record cannot undo the step. Carrying out a decision that acts takes the case's lock, so
 * it waits for the commit (finishInStep), as does everything when the settings cannot be read here.
 */
export async function judgeInStep(
  ctx: FlowContext,
  tx: Kysely<DB>,
  caseId: number,
  trigger: ReviewTrigger,
  stored: StoredReviewSettings,
): Promise<InStep> {
  let j: Judgement;
  try {
    const read = await readForReview(tx, caseId, stored);
    // A time zone we do not know: the review after the commit reads the facts and says what is wrong.
    if (!read.contexts) return { read };
    j = await judgement(ctx, caseId, trigger, read, tx);
  } catch (e) {
    return { error: e };
  }
  if (j.acts) return { judgement: j };
  await SAVEPOINT.execute(tx);
  try {
    return { judgement: j, recorded: (await j.record.execute(tx)).rows[0] };
  } catch {
    // Recorded after the commit instead, where a failure is reported and the sweep tries again.
    await ROLLBACK_TO.execute(tx);
    return { judgement: j };
  }
}

const SAVEPOINT = sql`savepoint review`;
const ROLLBACK_TO = sql`rollback to savepoint review`;

/** After the step committed: carry out what judgeInStep decided, and report rather than throw. */
export async function finishInStep(
  ctx: FlowContext,
  caseId: number,
  trigger: ReviewTrigger,
  inStep: InStep,
): Promise<{ review: AutoReviewResult | { error: { code: string; message: string } }; unchanged: boolean }> {
  if ("read" in inStep) return judgeAfterCommit(ctx, caseId, trigger, inStep.read);
  return reported(caseId, async () => {
    if ("error" in inStep) throw inStep.error;
    return carryOut(ctx, caseId, inStep.judgement, inStep.recorded);
  });
}

async function reported(
  caseId: number,
  run: () => Promise<{ result: AutoReviewResult; unchanged: boolean }>,
): Promise<{ review: AutoReviewResult | { error: { code: string; message: string } }; unchanged: boolean }> {
  try {
    const { result, unchanged } = await run();
    return { review: result, unchanged };
  } catch (e) {
    if (!(e instanceof AppError)) console.error(`automatic review of case ${caseId}:`, e);
    const error =
      e instanceof AppError ? { code: e.code, message: e.message } : { code: "INTERNAL", message: String(e) };
    return { review: { error }, unchanged: false };
  }
}

/**
 * Judge a case again after a step that already committed (a new case, goods back, a parcel signed):
 * the step stands whatever the rules say, so a failure here is reported, not thrown. A case left
 * unjudged is judged by the review sweep.
 */
export async function reviewAfterCommit(
  ctx: FlowContext,
  caseId: number,
  trigger: ReviewTrigger,
  /** What the step read for the review in its own transaction (readForReview). */
  read?: ReviewRead,
): Promise<AutoReviewResult | { error: { code: string; message: string } }> {
  return (await judgeAfterCommit(ctx, caseId, trigger, read)).review;
}

/** What a step reads for the review that follows it: the settings as stored, and the case's facts. */
export interface ReviewRead {
  stored: StoredReviewSettings;
  contexts?: CaseContext[];
}

/**
 * Read, inside the step's transaction, the case's facts for the review that follows its commit — where
 * its statements plan generically (GENERIC_PLANS; a pooled read of the facts is planned anew each time,
 * ≈ 1.5 ms of PostgreSQL's CPU). With a stored time zone we do not know, the review reads the facts itself
 * and reports what is wrong, as it does for any other setting.
 */
export async function readForReview(
  tx: Kysely<DB>,
  caseId: number,
  stored: StoredReviewSettings,
): Promise<ReviewRead> {
  const tz = timeZoneOf(stored.tz);
  return isTimeZone(tz) ? { stored, contexts: await loadCaseContexts(tx, [caseId], tz) } : { stored };
}

/** reviewAfterCommit, and whether the case's status and version are known to be as they were. */
export function judgeAfterCommit(
  ctx: FlowContext,
  caseId: number,
  trigger: ReviewTrigger,
  read?: ReviewRead,
): Promise<{ review: AutoReviewResult | { error: { code: string; message: string } }; unchanged: boolean }> {
  return reported(caseId, () => judge(ctx, caseId, trigger, read));
}

/**
 * The money step of an automatic approval: a refund_only case a rule approved, within the shop's
 * auto-refund limit, is granted and sent. Idempotent — the review sweep calls it again for cases a
 * crash left approved without their refund.
 */
export async function autoRefund(ctx: FlowContext, caseId: number): Promise<number | undefined> {
  const c = await sql<{
    type: string;
    status: string;
    shop_id: string;
    currency: string;
    amount: number;
    requested: number | null;
    approver: string | null;
    refunds: number;
  }>`
    select c.type, c.status, c.shop_id, c.currency, ${claimedAmount(caseId)} as amount, c.requested_amount as requested,
           (select actor from case_events where case_id = c.id and action = 'approve' order by id desc limit 1) as approver,
           (select count(*) from refunds where case_id = c.id)::int as refunds
      from cases c where c.id = ${caseId}`.execute(ctx.db);
  const k = c.rows[0];
  if (k?.type !== "refund_only" || k.status !== "approved" || k.refunds > 0) return undefined;
  if (!k.approver?.startsWith("rule:")) return undefined;
  const review = await getShopReview(ctx.db, k.shop_id);
  if (review.autoRefundLimit === null || above(Number(k.amount), review.autoRefundLimit, k.currency))
    return undefined;
  const actor: Actor = { kind: "rule", id: k.approver.slice("rule:".length) };
  try {
    // What the buyer asked for is what the rule approved: never grant more (a platform refuses it).
    const granted = await grantRefund(
      ctx,
      actor,
      caseId,
      k.requested !== null ? { amount: formatMinor(Number(k.requested), k.currency) } : {},
    );
    // Send now; if the channel is down or this process dies, the outbox sends it with the same key.
    await issueRefunds(ctx, granted.refunds).catch(() => undefined);
    return granted.refundId;
  } catch (e) {
    // Someone (a person, another sweep) moved the case first: theirs stands.
    if (e instanceof AppError) return undefined;
    throw e;
  }
}

/**
 * Finish what automatic review started when a process died halfway: cases opened but never judged,
 * and rule approvals whose refund never started. Only cases older than `graceMs` — younger ones are
 * still in their submitter's hands.
 */
export async function sweepAutoReview(ctx: FlowContext, graceMs = 60_000) {
  const cutoff = new Date(ctx.now().getTime() - graceMs);
  const unreviewed = await ctx.db
    .selectFrom("cases")
    .select("id")
    .where("status", "=", "requested")
    .where("decision_id", "is", null)
    .where("created_at", "<", cutoff)
    .orderBy("id")
    .limit(100)
    .execute();
  for (const c of unreviewed) await autoReview(ctx, c.id, "submitted");
  const unpaid = await sql<{ id: number }>`
    select c.id from cases c
     where c.type = 'refund_only' and c.status = 'approved' and c.updated_at < ${cutoff}
       and not exists (select 1 from refunds r where r.case_id = c.id)
       and (select actor from case_events e where e.case_id = c.id and e.action = 'approve'
             order by e.id desc limit 1) like 'rule:%'
     order by c.id limit 100`.execute(ctx.db);
  let refunded = 0;
  for (const c of unpaid.rows) if (await autoRefund(ctx, c.id)) refunded++;
  return { reviewed: unreviewed.length, refunded };
}
