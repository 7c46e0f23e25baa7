import { sql } from "kysely";
import {
  ChannelUnavailableError,
  type RefundOutcome,
  type RefundRequest,
} from "../channels/payments/channel.ts";
import { AppError, fail } from "../domain/errors.ts";
import { refundFee } from "../domain/ledger.ts";
import type { CaseState } from "../domain/lifecycle.ts";
import { compiled } from "../store/compiled.ts";
import { postRefund } from "../store/ledger.ts";
import { autoAssignLocked } from "./assign-case.ts";
import { advance, type StepResult, withCase } from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { crashPoint } from "./crash-point.ts";
import { feesOf } from "./settings.ts";

export type IssueResult = {
  refundId: number;
  status: "succeeded" | "failed" | "processing" | "requested";
  /** Why the refund failed, or why its outcome is not known yet (it is sent again). */
  error?: RefundProblem;
  /** The payment channel, when the refund is still processing (someone may have to act). */
  channel?: string;
  /** The case after the outcome was recorded, when it was recorded now. */
  caseStatus?: CaseState;
  caseVersion?: number;
};

const SETTLED = ["succeeded", "failed"];

export interface RefundProblem {
  code: string;
  message: string;
}

/** Any error as a code and a message a person can act on. */
export function problemOf(e: unknown): RefundProblem {
  if (e instanceof ChannelUnavailableError) return { code: "CHANNEL_UNAVAILABLE", message: e.message };
  if (e instanceof AppError) return { code: e.code, message: e.message };
  return { code: "INTERNAL", message: e instanceof Error ? e.message : String(e) };
}

/** What the channel is asked: the refund by its key, against the payment it goes back to. */
export const refundRequest = (r: RefundToSend): RefundRequest => ({
  idempotencyKey: r.idempotency_key,
  transactionId: r.transaction_id ?? null,
  orderRef: r.external_id,
  amount: r.amount,
  total: r.payment_amount ?? r.paid_total,
  currency: r.currency,
  ...(r.shop_id ? { shop: r.shop_id } : {}),
  ...(r.case_external_id ? { caseExternalId: r.case_external_id } : {}),
});

/** What sending a refund needs to know; the grant that just wrote it can hand it over unread. */
export interface RefundToSend {
  id: number;
  case_id: number;
  status: string;
  channel: string;
  idempotency_key: string;
  amount: number;
  currency: string;
  external_id: string;
  paid_total: number;
  transaction_id: string | null;
  payment_amount: number | null;
  /** The order's shop and the case's platform id, for refunds the platform pays out (tender `platform`). */
  shop_id?: string;
  case_external_id?: string | null;
}

/**
 * Send a granted refund through its payment channel and record the outcome — safe to run any number
 * of times, from any number of processes. The idempotency key never changes, so the channel returns
 * the refund it already has instead of making a second one; and a refund whose earlier attempt ended
 * unknown is looked up by its key before it is sent again: never twice, never lost.
 */
export async function issueRefund(
  ctx: FlowContext,
  refundId: number,
  known?: RefundToSend,
): Promise<IssueResult> {
  const r: RefundToSend | undefined =
    known ??
    (await ctx.db
      .selectFrom("refunds as r")
      .innerJoin("orders as o", "o.id", "r.order_id")
      .leftJoin("payments as p", "p.id", "r.payment_id")
      .innerJoin("cases as c", "c.id", "r.case_id")
      .select([
        "o.shop_id",
        "c.external_id as case_external_id",
        "r.id",
        "r.case_id",
        "r.status",
        "r.channel",
        "r.idempotency_key",
        "r.amount",
        "r.currency",
        "o.external_id",
        "o.paid_total",
        "p.transaction_id",
        "p.amount as payment_amount",
      ])
      .where("r.id", "=", refundId)
      .executeTakeFirst());
  if (!r) return fail("REFUND_NOT_FOUND", `Refund ${refundId} does not exist`, { refundId });
  if (SETTLED.includes(r.status)) return { refundId, status: r.status as "succeeded" | "failed" };

  crashPoint("before_send");
  const request = refundRequest(r);
  let outcome: RefundOutcome;
  try {
    const channel = ctx.payments.get(r.channel);
    // A refund never sent that can never be sent as it is fails now, clearly, instead of retrying.
    if (r.status === "requested" && channel.check) {
      const refused = await channel.check(request).then(
        () => undefined,
        (e) => (e instanceof AppError ? e : Promise.reject(e)),
      );
      if (refused) return recordOutcome(ctx, refundId, { status: "failed", ...problemOf(refused) }, r);
    }
    const known =
      r.status === "processing"
        ? await channel.query(r.idempotency_key, request)
        : { status: "not_found" as const };
    outcome = known.status !== "not_found" ? known : await channel.refund(request);
  } catch (e) {
    // Unknown outcome (the channel was down, or answered something we could not read): mark it so
    // the next attempt asks the channel before sending, and say why. Never failed: money may have moved.
    const error = problemOf(e);
    await ctx.db
      .updateTable("refunds")
      .set((eb) => ({
        status: "processing",
        attempts: eb("attempts", "+", 1),
        last_error: `${error.code}: ${error.message}`.slice(0, 4000),
        updated_at: ctx.now(),
      }))
      .where("id", "=", refundId)
      .where("status", "not in", SETTLED)
      .execute();
    return { refundId, status: "processing", error, channel: r.channel };
  }
  crashPoint("after_send");
  return recordOutcome(ctx, refundId, outcome, r);
}

const legView = (x: { id: number; channel: string; amount: number; status: string }) => ({
  refundId: x.id,
  channel: x.channel,
  amount: Number(x.amount),
  status: x.status,
});

/** Send every leg of a grant; the result that moved the case (the last to settle) comes last. */
export async function issueRefunds(
  ctx: FlowContext,
  refunds: readonly (RefundToSend | { id: number })[],
): Promise<IssueResult[]> {
  const results: IssueResult[] = [];
  for (const r of refunds) results.push(await issueRefund(ctx, r.id, "case_id" in r ? r : undefined));
  return results;
}

/**
 * Send a decided refund now and answer with where the case ended up. The decision is committed
 * whatever happens here: a sending problem is stated in the answer (refund.status and error), and
 * the outbox sends the refund again, or the settler asks the channel about it.
 */
export async function sendNow(
  ctx: FlowContext,
  before: StepResult,
  legs: readonly (RefundToSend | { id: number })[],
) {
  const sent: IssueResult[] = [];
  for (const leg of legs) {
    sent.push(
      await issueRefunds(ctx, [leg])
        .then((x) => x[0] as IssueResult)
        .catch(async (e): Promise<IssueResult> => {
          const now = await ctx.db
            .selectFrom("refunds")
            .select("status")
            .where("id", "=", leg.id)
            .executeTakeFirst();
          return {
            refundId: leg.id,
            status: (now?.status ?? "requested") as IssueResult["status"],
            error: problemOf(e),
          };
        }),
    );
  }
  // The leg that settled last moved the case, if any did.
  const moved = sent.findLast((x) => x.caseStatus !== undefined);
  const refunds = sent.map(({ caseStatus: _, caseVersion: __, ...refund }) => refund);
  return {
    status: moved?.caseStatus ?? before.status,
    version: moved?.caseVersion ?? before.version,
    refund: refunds[0],
    ...(refunds.length > 1 ? { refunds } : {}),
  };
}

/**
 * A refund takes its outcome unless it is settled already, and the legs of its grant are read with it
 * as it is now (`updated`: this statement recorded the outcome).
 */
const SETTLE = compiled(
  "refund_settle",
  (
    _db,
    p: {
      refundId: number;
      status: string;
      now: Date;
      succeeded: boolean;
      lastError: string | null;
      channelRefundId: string | null;
    },
  ) => sql<{
    id: number;
    status: string;
    channel: string;
    amount: number;
    last_error: string | null;
    updated: boolean;
  }>`
    with u as (
      update refunds
         set status = ${p.status}, attempts = attempts + 1, updated_at = ${p.now},
             last_error = ${p.lastError},
             channel_refund_id = coalesce(${p.channelRefundId}::text, channel_refund_id),
             succeeded_at = case when ${p.succeeded}::boolean then ${p.now} else succeeded_at end
       where id = ${p.refundId} and status not in ('succeeded', 'failed')
      returning id, status, last_error, idempotency_key),
    -- A settled refund needs its outbox message no more: done with the outcome, so no worker wakes for it.
    sent as (
      update outbox set status = 'done', done_at = ${p.now}, last_error = null
       where topic = 'refund.send' and status = 'pending'
         and key = (select idempotency_key from u where status in ('succeeded', 'failed'))),
    g as (select case_id, grant_no from refunds where id = ${p.refundId})
    select r.id, coalesce(u.status, r.status) as status, r.channel, r.amount,
           case when u.id is null then r.last_error else u.last_error end as last_error,
           u.id is not null as updated
      from refunds r join g on r.case_id = g.case_id and r.grant_no = g.grant_no
      left join u on u.id = r.id
     order by r.id`,
);

/** Record what the channel said, once: a refund already settled is left as it is. */
export async function recordOutcome(
  ctx: FlowContext,
  refundId: number,
  outcome: RefundOutcome,
  known?: { case_id: number; channel: string; amount: number },
  /** Who reports the outcome: the channel itself, unless a person recorded it (offline refunds). */
  by?: Actor,
): Promise<IssueResult> {
  const head =
    known ??
    (await ctx.db
      .selectFrom("refunds")
      .select(["case_id", "channel", "amount"])
      .where("id", "=", refundId)
      .executeTakeFirst());
  if (!head) return fail("REFUND_NOT_FOUND", `Refund ${refundId} does not exist`, { refundId });
  return withCase(ctx, head.case_id, async (l) => {
    const now = ctx.now();
    const settled =
      outcome.status === "succeeded" ? "succeeded" : outcome.status === "failed" ? "failed" : "processing";
    // Only a refund not yet settled takes the outcome; the case's order lock makes this the one writer.
    // The same statement reads the grant's legs, this one as it is now.
    const legs = await SETTLE.rows(l.tx, {
      refundId,
      status: settled,
      now,
      succeeded: outcome.status === "succeeded",
      lastError: outcome.status === "failed" ? `${outcome.code}: ${outcome.message}` : null,
      channelRefundId: outcome.status === "failed" ? null : (outcome.channelRefundId ?? null),
    });
    const mine = legs.find((x) => x.id === refundId);
    if (!mine?.updated) return { refundId, status: mine?.status as IssueResult["status"] };
    if (outcome.status === "processing") return { refundId, status: "processing", channel: head.channel };
    const actor = by ?? { kind: "channel" as const, id: head.channel };
    if (outcome.status === "succeeded") {
      // The books hear of the money in the transaction that records it: goods, shipping, the fee it cost.
      const fee = refundFee(Number(head.amount), feesOf(l.stored.financeFees)[head.channel]);
      await postRefund(l.tx, refundId, fee, actorName(actor), now);
    }
    // A grant may go back over several tenders; the case moves once the last of its legs settles.
    if (legs.some((x) => !SETTLED.includes(x.status))) return { refundId, status: outcome.status };
    const paid = legs.filter((x) => x.status === "succeeded");
    const back = paid.reduce((a, x) => a + Number(x.amount), 0);
    const several = legs.length > 1;
    const step =
      paid.length === legs.length
        ? await advance(
            ctx,
            l,
            actor,
            "refund_succeeded",
            {},
            {
              data: several
                ? { refundIds: legs.map((x) => x.id), amount: back, legs: legs.map(legView) }
                : {
                    refundId,
                    amount: back,
                    channelRefundId: outcome.status === "succeeded" ? outcome.channelRefundId : null,
                  },
              refunded: back,
              // The step's last statement (a failed refund is given a person after its move).
              commit: true,
            },
          )
        : await advance(
            ctx,
            l,
            actor,
            "refund_failed",
            {},
            {
              // What did come back (other legs) is the customer's and counts on the order now.
              note:
                outcome.status === "failed"
                  ? outcome.message
                  : (legs.find((x) => x.status === "failed")?.last_error ?? undefined),
              data: several
                ? { refundIds: legs.map((x) => x.id), paid: back, legs: legs.map(legView) }
                : { refundId, code: outcome.status === "failed" ? outcome.code : null },
              refunded: back,
            },
          );
    // A refund the channel refused waits on a person: it gets one, with the failure, in this step.
    if (step.status === "refund_failed") await autoAssignLocked(ctx, l);
    return {
      refundId,
      status: outcome.status,
      ...(outcome.status === "failed" ? { error: { code: outcome.code, message: outcome.message } } : {}),
      caseStatus: step.status,
      caseVersion: l.kase.version,
    };
  });
}
