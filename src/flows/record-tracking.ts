import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { LOGISTICS_STATUSES, type LogisticsStatus } from "../domain/order.ts";
import { reviewAfterCommit } from "./auto-review.ts";
import type { FlowContext } from "./context.ts";
import { parcelReturned } from "./interception-outcome.ts";

export interface TrackingInput {
  carrier: string;
  trackingNo: string;
  events: { at: string; status: LogisticsStatus; description: string; location?: string }[];
  eta?: string;
  /** The shops the caller may touch (null: all): a parcel of any other shop's order is unknown to them. */
  shops?: readonly string[] | null;
}

/**
 * 物流轨迹: record a parcel's scans (idempotent: a scan seen before is ignored), move its shipments to
 * the latest status and, when an order's parcel is newly signed for, look again at its open cases —
 * "not received" reads differently once the carrier has a signature. A parcel back with its sender
 * settles the interceptions that stopped it, which releases the refunds they held.
 */
export async function recordTracking(ctx: FlowContext, input: TrackingInput) {
  const carrier = input.carrier?.trim();
  const trackingNo = input.trackingNo?.trim();
  if (!carrier || !trackingNo) fail("TRACKING_REQUIRED", "A carrier and a tracking number are required");
  for (const e of input.events) {
    if (!LOGISTICS_STATUSES.includes(e.status))
      fail("INVALID_STATUS", `Unknown logistics status "${e.status}"`, { status: e.status });
    if (Number.isNaN(Date.parse(e.at))) fail("INVALID_TIME", `"${e.at}" is not a time`, { at: e.at });
  }
  const result = await ctx.db.transaction().execute(async (tx) => {
    const shipments = await tx
      .selectFrom("shipments")
      .innerJoin("orders", "orders.id", "shipments.order_id")
      .select([
        "shipments.id",
        "shipments.order_id",
        "shipments.direction",
        "shipments.signed_at",
        "orders.shop_id",
      ])
      .where("shipments.carrier", "=", carrier)
      .where("shipments.tracking_no", "=", trackingNo)
      .forUpdate("shipments")
      .execute();
    // Scans move every shipment with this number: only a caller who may touch them all may record them.
    const shops = input.shops;
    if (shops && shipments.some((s) => !shops.includes(s.shop_id))) shipments.length = 0;
    if (shipments.length === 0)
      fail("TRACKING_NOT_FOUND", `No parcel ${carrier} ${trackingNo} is known`, { carrier, trackingNo });
    let added = 0;
    if (input.events.length > 0) {
      const r = await sql<{ n: number }>`
        with ins as (
          insert into tracking_events (carrier, tracking_no, at, status, description, location)
          select ${carrier}, ${trackingNo}, x.at, x.status, x.description, x.location
            from unnest(${input.events.map((e) => e.at)}::timestamptz[], ${input.events.map((e) => e.status)}::text[],
                        ${input.events.map((e) => e.description)}::text[], ${input.events.map((e) => e.location ?? null)}::text[])
                 as x(at, status, description, location)
          on conflict do nothing returning 1)
        select count(*)::int as n from ins`.execute(tx);
      added = r.rows[0]?.n ?? 0;
    }
    // The parcel's state is its latest scan; signed_at is the first delivery scan.
    const latest = await sql<{ status: string; at: Date | null; signed_at: Date | null }>`
      select (select status from tracking_events where carrier = ${carrier} and tracking_no = ${trackingNo}
               order by at desc, id desc limit 1) as status,
             (select max(at) from tracking_events where carrier = ${carrier} and tracking_no = ${trackingNo}) as at,
             (select min(at) from tracking_events where carrier = ${carrier} and tracking_no = ${trackingNo}
               and status = 'delivered') as signed_at`.execute(tx);
    const { status, at, signed_at } = latest.rows[0] ?? { status: null, at: null, signed_at: null };
    await tx
      .updateTable("shipments")
      .set({
        // Scans older than a signature we already know of (the channel reported it) do not move the
        // parcel back: a late push of the journey leaves a signed parcel signed.
        ...(status
          ? {
              status: sql<string>`case when signed_at is null or signed_at <= ${at} then ${status} else status end`,
            }
          : {}),
        ...(signed_at ? { signed_at } : {}),
        ...(input.eta ? { eta: input.eta } : {}),
      })
      .where("carrier", "=", carrier)
      .where("tracking_no", "=", trackingNo)
      .execute();
    const newlySigned = signed_at
      ? shipments.filter((s) => s.direction === "outbound" && !s.signed_at).map((s) => s.order_id)
      : [];
    return { added, status, newlySigned };
  });
  const reviewed: number[] = [];
  if (result.newlySigned.length > 0) {
    const open = await ctx.db
      .selectFrom("cases")
      .select("id")
      .where("order_id", "in", result.newlySigned)
      .where("status", "=", "requested")
      .execute();
    for (const c of open) {
      await reviewAfterCommit(ctx, c.id, "parcel_signed");
      reviewed.push(c.id);
    }
  }
  // Back with the sender — by its latest scan, or by a return scan that sorts before a later one of ours.
  if (result.status === "returned_to_sender" || input.events.some((e) => e.status === "returned_to_sender"))
    await parcelReturned(ctx, carrier, trackingNo);
  return { added: result.added, status: result.status, reviewed };
}
