import { sql } from "kysely";
import { type TrackingPush, TrackingRejectedError } from "../channels/logistics/tracking.ts";
import { AppError, fail } from "../domain/errors.ts";
import { OPEN_INTERCEPTION_STATUSES } from "../domain/interception.ts";
import type { FlowContext } from "./context.ts";
import { recordTracking } from "./record-tracking.ts";

/**
 * 物流订阅推送: subscribe our parcels at the tracking service (快递100) and take its signed pushes —
 * each push's scans go through record-tracking, so a repeated or out-of-order push adds nothing and
 * never moves a parcel back. The subscription's own state (polling / shutdown / abort) is kept per
 * parcel; an aborted one ("3天查询无记录") is tried again after half an hour while the parcel matters.
 */

/** Kuaidi100: after an abort, subscribe again no sooner than 30 minutes later. */
export const RESUBSCRIBE_AFTER_MS = 30 * 60_000;

const provider = (ctx: FlowContext) =>
  ctx.logistics?.tracking ?? fail("TRACKING_NOT_CONFIGURED", "No parcel-tracking service is configured", {});

/** Subscribe a parcel we ship or receive; repeating it is harmless. */
export async function subscribeTracking(ctx: FlowContext, carrier: string, trackingNo: string) {
  const tracking = provider(ctx);
  // SF (and a few others) want the receiver's or sender's phone: the order's customer's, when known.
  const phone = await ctx.db
    .selectFrom("shipments as s")
    .innerJoin("orders as o", "o.id", "s.order_id")
    .innerJoin("customers as c", "c.id", "o.customer_id")
    .select("c.phone")
    .where("s.carrier", "=", carrier)
    .where("s.tracking_no", "=", trackingNo)
    .where("c.phone", "is not", null)
    .executeTakeFirst();
  const now = ctx.now();
  const save = (status: string, message: string, providerCarrier: string) =>
    sql`
      insert into tracking_subscriptions (provider, carrier, tracking_no, provider_carrier, status, message,
                                          subscribed_at, resubscribe_at, updated_at)
      values (${tracking.name}, ${carrier}, ${trackingNo}, ${providerCarrier}, ${status}, ${message},
              ${status === "subscribed" ? now : null}, null, ${now})
      on conflict (provider, carrier, tracking_no) do update
        set provider_carrier = excluded.provider_carrier, status = excluded.status, message = excluded.message,
            subscribed_at = coalesce(excluded.subscribed_at, tracking_subscriptions.subscribed_at),
            resubscribe_at = null, updated_at = excluded.updated_at`.execute(ctx.db);
  try {
    const r = await tracking.subscribe(carrier, trackingNo, phone?.phone ? { phone: phone.phone } : {});
    await save("subscribed", r.message, r.providerCarrier);
    return r;
  } catch (e) {
    if (e instanceof TrackingRejectedError) {
      await save("rejected", `${e.code} ${e.message}`, tracking.providerCarrier(carrier));
      throw new AppError("TRACKING_SUBSCRIBE_REJECTED", e.message, { provider: e.provider, code: e.code });
    }
    throw e;
  }
}

/**
 * 实时查询: ask the tracking service where a parcel is now and record what it says — for a person's
 * "refresh" or a parcel nobody subscribed. Kuaidi100 asks for at most one query per parcel every half
 * hour; pushes are the normal way.
 */
export async function queryTracking(ctx: FlowContext, carrier: string, trackingNo: string) {
  const tracking = provider(ctx);
  const r = await tracking.query(carrier, trackingNo);
  if (!r.found) return { found: false as const, message: r.message };
  const recorded = await recordTracking(ctx, { carrier, trackingNo, events: r.snapshot.scans });
  return { found: true as const, ...recorded };
}

export type PushResult =
  | { status: "applied"; parcels: { carrier: string; added: number; parcelStatus: string | null }[] }
  | { status: "duplicate" }
  | { status: "unknown_parcel" };

/**
 * A verified push (the route checked its signature). A repeat of the same push is acknowledged and
 * changes nothing; one about a parcel we do not know is acknowledged (the provider would otherwise
 * retry) and kept for reconciliation. The push is written down only after its scans were recorded.
 */
export async function applyTrackingPush(
  ctx: FlowContext,
  providerName: string,
  push: TrackingPush,
): Promise<PushResult> {
  const seen = await ctx.db
    .selectFrom("channel_notifications")
    .select("id")
    .where("channel", "=", providerName)
    .where("notification_id", "=", push.notificationId)
    .executeTakeFirst();
  if (seen) return { status: "duplicate" };
  const codes = [push.providerCarrier, ...(push.previousCarrier ? [push.previousCarrier] : [])];
  const subscribed = await ctx.db
    .selectFrom("tracking_subscriptions")
    .select("carrier")
    .where("provider", "=", providerName)
    .where("tracking_no", "=", push.trackingNo)
    .where("provider_carrier", "in", codes)
    .execute();
  let carriers = subscribed.map((s) => s.carrier);
  if (carriers.length === 0) {
    // Subscribed elsewhere (or before we kept subscriptions): our parcels with that number and carrier.
    const tracking = ctx.logistics?.tracking;
    const shipped = await ctx.db
      .selectFrom("shipments")
      .select("carrier")
      .distinct()
      .where("tracking_no", "=", push.trackingNo)
      .execute();
    carriers = shipped
      .map((s) => s.carrier)
      .filter((c) => tracking?.name === providerName && codes.includes(tracking.providerCarrier(c)));
  }
  const now = ctx.now();
  const parcels: { carrier: string; added: number; parcelStatus: string | null }[] = [];
  for (const carrier of carriers) {
    if (push.snapshot && push.snapshot.scans.length > 0) {
      try {
        const r = await recordTracking(ctx, {
          carrier,
          trackingNo: push.trackingNo,
          events: push.snapshot.scans,
        });
        parcels.push({ carrier, added: r.added, parcelStatus: r.status });
      } catch (e) {
        // Subscribed, but the shipment row is gone (a re-ingest replaced it): nothing to move.
        if (!(e instanceof AppError && e.code === "TRACKING_NOT_FOUND")) throw e;
      }
    }
    const monitor = push.monitor === "updateall" ? "polling" : push.monitor;
    await sql`
      insert into tracking_subscriptions (provider, carrier, tracking_no, provider_carrier, status, message,
                                          last_push_at, resubscribe_at, updated_at)
      values (${providerName}, ${carrier}, ${push.trackingNo}, ${push.providerCarrier}, ${monitor}, ${push.message},
              ${now}, ${monitor === "abort" ? new Date(now.getTime() + RESUBSCRIBE_AFTER_MS) : null}, ${now})
      on conflict (provider, carrier, tracking_no) do update
        set provider_carrier = excluded.provider_carrier, status = excluded.status, message = excluded.message,
            last_push_at = excluded.last_push_at, resubscribe_at = excluded.resubscribe_at,
            updated_at = excluded.updated_at`.execute(ctx.db);
  }
  const result: PushResult =
    carriers.length === 0 ? { status: "unknown_parcel" } : { status: "applied", parcels };
  await sql`
    insert into channel_notifications (channel, notification_id, received_at, payload, result)
    values (${providerName}, ${push.notificationId}, ${now}, ${JSON.stringify(push.payload)}::jsonb, ${result.status})
    on conflict (channel, notification_id) do nothing`.execute(ctx.db);
  return result;
}

/**
 * Subscriptions the provider aborted, due again, whose parcel still matters — an open interception
 * or an outbound parcel not yet delivered. Others stay aborted: no endless loop over dead numbers.
 */
export async function resubscribeDue(ctx: FlowContext, limit = 20) {
  const tracking = ctx.logistics?.tracking;
  if (!tracking) return { resubscribed: 0 };
  const due = await sql<{ carrier: string; tracking_no: string }>`
    select t.carrier, t.tracking_no from tracking_subscriptions t
     where t.provider = ${tracking.name} and t.status = 'abort' and t.resubscribe_at <= ${ctx.now()}
       and (exists (select 1 from interceptions i where i.carrier = t.carrier and i.tracking_no = t.tracking_no
                      and i.status = any(${OPEN_INTERCEPTION_STATUSES}::text[]))
            or exists (select 1 from shipments s where s.carrier = t.carrier and s.tracking_no = t.tracking_no
                         and s.direction = 'outbound' and s.status in ('shipped', 'in_transit')))
     order by t.resubscribe_at limit ${limit}`.execute(ctx.db);
  let resubscribed = 0;
  for (const s of due.rows) {
    try {
      await subscribeTracking(ctx, s.carrier, s.tracking_no);
      resubscribed++;
    } catch (e) {
      // A refusal is recorded on the subscription; trouble at the provider waits for the next round.
      if (!(e instanceof AppError)) {
        await ctx.db
          .updateTable("tracking_subscriptions")
          .set({
            resubscribe_at: new Date(ctx.now().getTime() + RESUBSCRIBE_AFTER_MS),
            updated_at: ctx.now(),
          })
          .where("provider", "=", tracking.name)
          .where("carrier", "=", s.carrier)
          .where("tracking_no", "=", s.tracking_no)
          .execute();
      }
    }
  }
  return { resubscribed };
}
