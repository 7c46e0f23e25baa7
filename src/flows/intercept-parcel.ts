import { sql } from "kysely";
import { InterceptionRefusedError } from "../channels/logistics/interception.ts";
import { type CaseType, REASONS, type ReasonCode } from "../domain/catalogue.ts";
import {
  type InterceptionPlan,
  planInterception,
  TRIGGER_STATES,
  TRIGGER_TYPES,
} from "../domain/interception.ts";
import type { CaseState } from "../domain/lifecycle.ts";
import type { LogisticsStatus } from "../domain/order.ts";
import { type Locked, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";
import {
  applyInterceptionOutcome,
  INTERCEPTION_ACTOR,
  type Interception,
  parcelEvent,
  refreshOrderStatus,
} from "./interception-outcome.ts";
import { subscribeTracking } from "./track-parcel.ts";

/**
 * 拦截: a case that needs its order's parcel stopped asks for it once. A parcel on its way is
 * intercepted at the carrier (outbox `logistics.intercept`, then polled until the carrier answers);
 * one that has not left is cancelled at the warehouse (outbox `warehouse.cancel_shipment`). While a
 * carrier interception is open the order shows 物流异常处理中 and the case's refund waits (see
 * grant-refund and interception-outcome).
 */

/** How soon after the carrier took the request we first ask how it went. */
export const FIRST_CHECK_MS = 5 * 60_000;

export type InterceptionRequestResult =
  /** No logistics integration is configured: nothing is ever intercepted. */
  | { status: "disabled" }
  /** The case does not call for stopping anything (type, state, reason or parcel). */
  | { status: "not_needed" }
  | { status: "exists"; interception: Interception }
  | { status: "created"; interception: Interception };

/**
 * Ask for the interception the case calls for, once: a second call (another trigger, a retry, the
 * sweep) finds the first and asks nothing new. Idempotent per case by the table's unique case_id.
 */
export async function requestInterception(
  ctx: FlowContext,
  caseId: number,
  actor: Actor = INTERCEPTION_ACTOR,
): Promise<InterceptionRequestResult> {
  if (!ctx.logistics) return { status: "disabled" };
  return withCase(ctx, caseId, async (l) => {
    const existing = await l.tx
      .selectFrom("interceptions")
      .selectAll()
      .where("case_id", "=", caseId)
      .executeTakeFirst();
    if (existing) return { status: "exists", interception: existing as Interception };
    const parcels = await l.tx
      .selectFrom("shipments")
      .select(["carrier", "tracking_no", "status"])
      .where("order_id", "=", l.order.id)
      .where("direction", "=", "outbound")
      .orderBy("id", "desc")
      .execute();
    const plan = planInterception({
      type: l.kase.type as CaseType,
      status: l.kase.status as CaseState,
      reason: l.kase.reason as ReasonCode,
      parcels: parcels.map((p) => ({
        carrier: p.carrier,
        trackingNo: p.tracking_no,
        status: p.status as LogisticsStatus,
      })),
    });
    if (!plan || (plan.method === "carrier" && !ctx.logistics?.interceptor)) return { status: "not_needed" };
    const interception = await record(ctx, l, actor, plan);
    return { status: "created", interception };
  });
}

async function record(ctx: FlowContext, l: Locked, actor: Actor, plan: InterceptionPlan) {
  const now = ctx.now();
  const reason = REASONS[l.kase.reason as ReasonCode];
  const why = `售后单 ${l.kase.id}（${reason?.zh ?? l.kase.reason}）`;
  const row = (await l.tx
    .insertInto("interceptions")
    .values({
      case_id: l.kase.id,
      order_id: l.order.id,
      method: plan.method,
      carrier: plan.method === "carrier" ? plan.carrier : null,
      tracking_no: plan.method === "carrier" ? plan.trackingNo : null,
      reason: plan.method === "carrier" ? `${why}：请拦截并退回寄件人` : `${why}：取消发货`,
      status: plan.method === "carrier" ? "requested" : "cancel_requested",
      requested_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as Interception;
  const payload =
    plan.method === "carrier"
      ? { interceptionId: row.id }
      : {
          // What a warehouse system needs to stop the parcel: which order, for which case.
          interceptionId: row.id,
          caseId: l.kase.id,
          orderId: l.order.id,
          shop: l.order.shop_id,
          externalOrderId: l.order.external_id,
          items: l.items,
        };
  await l.tx
    .insertInto("outbox")
    .values({
      topic: plan.method === "carrier" ? "logistics.intercept" : "warehouse.cancel_shipment",
      key: `interception:${row.id}`,
      payload: JSON.stringify(payload),
      available_at: now,
    })
    .onConflict((oc) => oc.columns(["topic", "key"]).doNothing())
    .execute();
  await parcelEvent(
    ctx,
    l,
    actor,
    plan.method === "carrier" ? "intercept_requested" : "warehouse_cancel_requested",
    plan.method === "carrier"
      ? `已申请拦截包裹 ${plan.carrier} ${plan.trackingNo}，退回后再退款`
      : "包裹尚未发出，已通知仓库取消发货",
    {
      interceptionId: row.id,
      method: plan.method,
      trigger: plan.trigger,
      ...(plan.method === "carrier" ? { carrier: plan.carrier, trackingNo: plan.trackingNo } : {}),
    },
  );
  if (plan.method === "carrier") await refreshOrderStatus(ctx, l);
  return row;
}

/**
 * Cases the triggers fire for that have no interception yet, recently moved (older ones are history,
 * not something to stop now): asked for one by one. The periodic job runs it; requestInterception
 * itself decides, so a candidate that needs nothing costs one read.
 */
export async function sweepInterceptionTriggers(
  ctx: FlowContext,
  opts: { lookbackMs?: number; limit?: number } = {},
) {
  if (!ctx.logistics) return { requested: 0 };
  const since = new Date(ctx.now().getTime() - (opts.lookbackMs ?? 7 * 86_400_000));
  const candidates = await ctx.db
    .selectFrom("cases as c")
    .select("c.id")
    .where("c.type", "in", TRIGGER_TYPES)
    .where("c.status", "in", TRIGGER_STATES)
    .where("c.status_since", ">=", since)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("interceptions as i").select("i.id").whereRef("i.case_id", "=", "c.id"))),
    )
    .orderBy("c.id")
    .limit(opts.limit ?? 100)
    .execute();
  let requested = 0;
  for (const c of candidates) {
    const r = await requestInterception(ctx, c.id);
    if (r.status === "created") requested++;
  }
  return { requested };
}

/**
 * Outbox `logistics.intercept`: ask the carrier. One request per parcel — a second case on the same
 * parcel joins the first request. A refusal settles the interception at once; any other error is
 * retried by the outbox. Once asked, the parcel is subscribed at the tracking service so its way
 * back (退回, 退签) arrives as scans.
 */
export async function sendInterception(
  ctx: FlowContext,
  interceptionId: number,
): Promise<"done" | { retry: string }> {
  const row = await ctx.db
    .selectFrom("interceptions")
    .selectAll()
    .where("id", "=", interceptionId)
    .executeTakeFirst();
  if (row?.status !== "requested" || row.method !== "carrier") return "done";
  const interceptor = ctx.logistics?.interceptor;
  if (!interceptor) return { retry: "no carrier interceptor is configured" };
  const carrier = row.carrier as string;
  const trackingNo = row.tracking_no as string;
  const sibling = await ctx.db
    .selectFrom("interceptions")
    .select(["request_id", "status"])
    .where("carrier", "=", carrier)
    .where("tracking_no", "=", trackingNo)
    .where("id", "<>", row.id)
    .where("request_id", "is not", null)
    .where("status", "in", ["pending", "intercepted"])
    .orderBy("id")
    .executeTakeFirst();
  const now = ctx.now();
  let requestId: string;
  try {
    requestId = sibling?.request_id ?? (await interceptor.request(carrier, trackingNo, row.reason)).requestId;
  } catch (e) {
    if (e instanceof InterceptionRefusedError) {
      await applyInterceptionOutcome(ctx, row.id, e.outcome, { code: e.code, message: e.message });
      return "done";
    }
    const message = e instanceof Error ? e.message : String(e);
    await ctx.db
      .updateTable("interceptions")
      .set({ attempts: sql`attempts + 1`, last_error: message, updated_at: now })
      .where("id", "=", row.id)
      .execute();
    return { retry: message };
  }
  await ctx.db
    .updateTable("interceptions")
    .set({
      status: "pending",
      request_id: requestId,
      attempts: sql`attempts + 1`,
      last_error: null,
      sent_at: now,
      next_check_at: new Date(now.getTime() + FIRST_CHECK_MS),
      updated_at: now,
    })
    .where("id", "=", row.id)
    .where("status", "=", "requested")
    .execute();
  if (sibling?.status === "intercepted") await applyInterceptionOutcome(ctx, row.id, "intercepted");
  if (ctx.logistics?.tracking) {
    const subscribed = await ctx.db
      .selectFrom("tracking_subscriptions")
      .select("status")
      .where("provider", "=", ctx.logistics.tracking.name)
      .where("carrier", "=", carrier)
      .where("tracking_no", "=", trackingNo)
      .executeTakeFirst();
    // Watching the parcel is a help, not a condition: a failure here does not undo the request.
    if (!subscribed || subscribed.status === "shutdown")
      await subscribeTracking(ctx, carrier, trackingNo).catch(() => undefined);
  }
  return "done";
}

/**
 * Outbox `warehouse.cancel_shipment` (取消发货). No warehouse system is connected yet: the outbox
 * message, with its order, case and items, is the instruction a person or a future WMS adapter acts
 * on, and this handler only marks it sent. Nothing confirms the warehouse really held the parcel;
 * should it ship anyway, its tracking shows it.
 */
export async function sendWarehouseCancel(
  ctx: FlowContext,
  interceptionId: number,
): Promise<"done" | { retry: string }> {
  const now = ctx.now();
  await ctx.db
    .updateTable("interceptions")
    .set({ status: "instructed", sent_at: now, attempts: sql`attempts + 1`, updated_at: now })
    .where("id", "=", interceptionId)
    .where("method", "=", "warehouse_cancel")
    .where("status", "=", "cancel_requested")
    .execute();
  return "done";
}
