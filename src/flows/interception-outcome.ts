import { type Selectable, sql } from "kysely";
import { InterceptionRefusedError } from "../channels/logistics/interception.ts";
import type { ReasonCode } from "../domain/catalogue.ts";
import { AppError } from "../domain/errors.ts";
import {
  canMoveInterception,
  INTERCEPTION_STATUSES,
  type InterceptionStatus,
  OPEN_INTERCEPTION_STATUSES,
  offerAfterFailedInterception,
} from "../domain/interception.ts";
import type { CaseState } from "../domain/lifecycle.ts";
import type { InterceptionTable } from "../store/schema.ts";
import { applyOrderChange, type Locked, orderChange, withCase } from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { grantRefund } from "./grant-refund.ts";
import { issueRefunds } from "./issue-refund.ts";

/**
 * What the carrier's answer does (拦截结果), and what the parcel's way back does:
 * - intercepted: the parcel is on its way back — the order stays 物流异常处理中, the refund keeps waiting;
 * - returned (a returned_to_sender scan): the interception is settled and an approved refund_only
 *   case's refund is granted and sent;
 * - failed / too_late: the interception is settled, the parcel goes on to the buyer, and the case's
 *   timeline and recommendation carry what the customer is offered (reship or refund for a lost or late
 *   parcel; refuse or send back, then refund, otherwise). A refund_only case has no return leg, so the
 *   case itself does not move: a person carries the offer out.
 */

export type Interception = Selectable<InterceptionTable>;
export const INTERCEPTION_ACTOR: Actor = { kind: "system", id: "interception" };
/** How often a pending interception is asked about after the first check. */
export const CHECK_EVERY_MS = 15 * 60_000;

/** Keep the order's derived status in step after an interception opened or settled (under its lock). */
export async function refreshOrderStatus(ctx: FlowContext, l: Locked) {
  const open = await l.tx
    .selectFrom("interceptions")
    .select("id")
    .where("order_id", "=", l.order.id)
    .where("status", "in", OPEN_INTERCEPTION_STATUSES)
    .executeTakeFirst();
  l.openInterception = Boolean(open);
  const change = orderChange(l.order, [l.kase.status as CaseState, ...l.otherStatuses], 0, {
    openInterception: l.openInterception,
  });
  if (!change) return;
  await l.tx
    .updateTable("orders")
    .set({ aftersales_status: change.status, updated_at: ctx.now(), version: sql`version + 1` })
    .where("id", "=", l.order.id)
    .execute();
  applyOrderChange(l.order, change);
}

/** A timeline event that records what happened to the case's parcel, without moving the case. */
export const parcelEvent = (
  ctx: FlowContext,
  l: Locked,
  actor: Actor,
  action: string,
  note: string,
  data: Record<string, unknown>,
) =>
  l.tx
    .insertInto("case_events")
    .values({
      case_id: l.kase.id,
      at: ctx.now(),
      actor: actorName(actor),
      action,
      from_status: l.kase.status,
      to_status: l.kase.status,
      note,
      data: JSON.stringify(data),
    })
    .execute();

export type SettledOutcome = Exclude<
  InterceptionStatus,
  "requested" | "pending" | "cancel_requested" | "instructed"
>;

const NOTES: Record<SettledOutcome, (i: Interception) => string> = {
  intercepted: (i) => `快递已拦截包裹 ${i.carrier} ${i.tracking_no}，正在退回`,
  returned: (i) => `包裹 ${i.carrier} ${i.tracking_no} 已退回商家`,
  failed: (i) => `包裹 ${i.carrier} ${i.tracking_no} 拦截失败`,
  too_late: (i) => `包裹 ${i.carrier} ${i.tracking_no} 已在派送或已签收，来不及拦截`,
};
const ACTIONS: Record<SettledOutcome, string> = {
  intercepted: "parcel_intercepted",
  returned: "parcel_returned",
  failed: "interception_failed",
  too_late: "interception_too_late",
};

export type OutcomeResult = { changed: false; status: string } | { changed: true; status: SettledOutcome };

/**
 * Record the carrier's verdict (or the parcel's return) on one interception, under its order's lock:
 * the interception, the case's timeline, the parcel and the order's status in one transaction. A
 * verdict the interception is already past (a late or repeated answer) changes nothing.
 */
export async function applyInterceptionOutcome(
  ctx: FlowContext,
  interceptionId: number,
  outcome: SettledOutcome,
  detail: Record<string, unknown> = {},
): Promise<OutcomeResult> {
  const head = await ctx.db
    .selectFrom("interceptions")
    .select("case_id")
    .where("id", "=", interceptionId)
    .executeTakeFirst();
  if (!head) return { changed: false, status: "missing" };
  const result = await withCase(ctx, head.case_id, async (l): Promise<OutcomeResult> => {
    const i = (await l.tx
      .selectFrom("interceptions")
      .selectAll()
      .where("id", "=", interceptionId)
      .executeTakeFirstOrThrow()) as Interception;
    if (!canMoveInterception(i.status, outcome)) return { changed: false, status: i.status };
    const now = ctx.now();
    const settles = !INTERCEPTION_STATUSES[outcome].open;
    await l.tx
      .updateTable("interceptions")
      .set({
        status: outcome,
        checked_at: now,
        next_check_at: null,
        updated_at: now,
        ...(settles ? { resolved_at: now } : {}),
        ...(detail.message ? { last_error: String(detail.message) } : {}),
      })
      .where("id", "=", i.id)
      .execute();
    let data: Record<string, unknown> = { interceptionId: i.id, ...detail };
    if (outcome === "intercepted") {
      // The carrier's word is a scan of its own: the parcel's status is its latest scan.
      await sql`
        with scan as (
          insert into tracking_events (carrier, tracking_no, at, status, description)
          values (${i.carrier}, ${i.tracking_no}, ${now}, 'intercepted', '快递公司已拦截包裹，正在退回寄件人')
          on conflict do nothing)
        update shipments set status = 'intercepted'
         where carrier = ${i.carrier} and tracking_no = ${i.tracking_no}
           and status not in ('returned_to_sender', 'intercepted')`.execute(l.tx);
    }
    if (outcome === "failed" || outcome === "too_late") {
      const offer = offerAfterFailedInterception(l.kase.reason as ReasonCode, outcome);
      data = { ...data, offer: offer.solution };
      await l.tx
        .updateTable("cases")
        .set({
          recommendation: JSON.stringify({
            solution: offer.solution,
            from: "interception",
            id: `interception-${i.id}`,
            why: offer.why,
          }),
        })
        .where("id", "=", l.kase.id)
        .execute();
      await parcelEvent(
        ctx,
        l,
        INTERCEPTION_ACTOR,
        ACTIONS[outcome],
        `${NOTES[outcome](i)}。${offer.why.zh}`,
        data,
      );
    } else {
      await parcelEvent(ctx, l, INTERCEPTION_ACTOR, ACTIONS[outcome], NOTES[outcome](i), data);
    }
    // Other cases that joined the same carrier request hear the same verdict (outside this lock).
    await refreshOrderStatus(ctx, l);
    return { changed: true, status: outcome };
  });
  if (result.changed && outcome === "returned") await refundOnceBack(ctx, head.case_id);
  return result;
}

/**
 * The refund an interception held: an approved refund_only case whose parcel is back is granted its
 * refund (the full claim, as an automatic approval would) and sent; the outbox retries the send.
 * Safe to repeat: a case that moved on (a person granted it, or it is no longer approved) is left.
 */
export async function refundOnceBack(ctx: FlowContext, caseId: number): Promise<number | undefined> {
  const c = await ctx.db
    .selectFrom("cases")
    .select(["type", "status"])
    .where("id", "=", caseId)
    .executeTakeFirst();
  if (c?.type !== "refund_only" || c.status !== "approved") return undefined;
  try {
    const granted = await grantRefund(ctx, INTERCEPTION_ACTOR, caseId, {
      note: "拦截的包裹已退回，退款",
    });
    await issueRefunds(ctx, granted.refunds).catch(() => undefined);
    return granted.refundId;
  } catch (e) {
    if (e instanceof AppError) return undefined;
    throw e;
  }
}

/** A returned_to_sender scan: every open interception of that parcel is settled as returned. */
export async function parcelReturned(ctx: FlowContext, carrier: string, trackingNo: string) {
  const open = await ctx.db
    .selectFrom("interceptions")
    .select("id")
    .where("carrier", "=", carrier)
    .where("tracking_no", "=", trackingNo)
    .where("status", "in", OPEN_INTERCEPTION_STATUSES)
    .orderBy("id")
    .execute();
  const settled: number[] = [];
  for (const i of open) {
    const r = await applyInterceptionOutcome(ctx, i.id, "returned");
    if (r.changed) settled.push(i.id);
  }
  return settled;
}

/**
 * The periodic check: claim pending interceptions that are due (FOR UPDATE SKIP LOCKED, pushing their
 * next check past a lease, so workers side by side never ask twice), ask the carrier about each
 * request once, and record the verdicts. Then finish refunds a crash left between a parcel's return
 * and its refund.
 */
export async function pollInterceptions(ctx: FlowContext, opts: { batch?: number; leaseMs?: number } = {}) {
  const interceptor = ctx.logistics?.interceptor;
  if (!interceptor) return { checked: 0, settled: 0, refunded: 0 };
  const now = ctx.now();
  const leaseUntil = new Date(now.getTime() + (opts.leaseMs ?? 60_000));
  const due = await ctx.db
    .updateTable("interceptions")
    .set({ next_check_at: leaseUntil })
    .where(
      "id",
      "in",
      ctx.db
        .selectFrom("interceptions")
        .select("id")
        .where("status", "=", "pending")
        .where("next_check_at", "<=", now)
        .orderBy("next_check_at")
        .orderBy("id")
        .limit(opts.batch ?? 20)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["id", "request_id"])
    .execute();
  const byRequest = new Map<string, number[]>();
  for (const d of due) {
    if (!d.request_id) continue;
    byRequest.set(d.request_id, [...(byRequest.get(d.request_id) ?? []), d.id]);
  }
  let settled = 0;
  for (const [requestId, ids] of byRequest) {
    let verdict: Awaited<ReturnType<typeof interceptor.status>> | undefined;
    let error: string | null = null;
    let detail: Record<string, unknown> = {};
    try {
      verdict = await interceptor.status(requestId);
    } catch (e) {
      // A carrier that says no outright (e.g. it knows no such request) has answered; anything else
      // is trouble on the way, and the next check asks again.
      if (e instanceof InterceptionRefusedError) {
        verdict = e.outcome;
        detail = { code: e.code, message: e.message };
      } else error = e instanceof Error ? e.message : String(e);
    }
    if (verdict === undefined || verdict === "pending") {
      await ctx.db
        .updateTable("interceptions")
        .set({
          checked_at: now,
          next_check_at: new Date(now.getTime() + CHECK_EVERY_MS),
          last_error: error,
          updated_at: now,
        })
        .where("id", "in", ids)
        .where("status", "=", "pending")
        .execute();
      continue;
    }
    for (const id of ids) if ((await applyInterceptionOutcome(ctx, id, verdict, detail)).changed) settled++;
  }
  const leftBehind = await sql<{ case_id: number }>`
    select i.case_id from interceptions i join cases c on c.id = i.case_id
     where i.status = 'returned' and c.type = 'refund_only' and c.status = 'approved'
       and not exists (select 1 from refunds r where r.case_id = c.id)
     order by i.id limit 20`.execute(ctx.db);
  let refunded = 0;
  for (const r of leftBehind.rows) if (await refundOnceBack(ctx, r.case_id)) refunded++;
  return { checked: byRequest.size, settled, refunded };
}
