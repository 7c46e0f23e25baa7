import { sql } from "kysely";
import type { ReasonCode } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { detectQualityJumps, PRODUCT_REASONS, type QualityStats } from "../domain/risk/quality.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { qualityThresholds } from "./settings.ts";

/**
 * 确认告警: someone has looked at the alert; it stays listed, marked with who and when. Another shop's
 * alert (or one of no one shop, for a caller limited to some shops) does not exist for the caller.
 */
export async function acknowledgeAlert(
  ctx: FlowContext,
  actor: Actor,
  id: number,
  note?: string,
  shops?: readonly string[] | null,
) {
  const alert = await ctx.db.selectFrom("alerts").select("shop_id").where("id", "=", id).executeTakeFirst();
  if (!alert || (shops && !(alert.shop_id !== null && shops.includes(alert.shop_id))))
    return fail("ALERT_NOT_FOUND", `Alert ${id} does not exist`, { alertId: id });
  const row = await ctx.db
    .updateTable("alerts")
    .set({
      status: "acknowledged",
      acknowledged_by: actorName(actor),
      acknowledged_at: ctx.now(),
      note: note ?? null,
    })
    .where("id", "=", id)
    .where("status", "=", "open")
    .returningAll()
    .executeTakeFirst();
  return row ?? fail("ALERT_ALREADY_ACKNOWLEDGED", `Alert ${id} was already acknowledged`, { alertId: id });
}

const DAY = 86_400_000;

/**
 * 质量预警: compare each SKU's and category's recent refund rate with its own baseline and raise an
 * alert where it jumped. One alert per subject per recent window: scanning again updates it.
 * Judged per shop: each alert counts one shop's sales and claims, so it belongs to that shop and a
 * token limited to other shops never sees it (a SKU sold in several shops can raise one alert each).
 */
export async function scanQuality(ctx: FlowContext) {
  const t = await qualityThresholds(ctx);
  const now = ctx.now();
  const recentStart = new Date(now.getTime() - t.recentDays * DAY);
  const baseStart = new Date(recentStart.getTime() - t.baselineDays * DAY);
  const { rows } = await sql<{
    shop_id: string;
    kind: "sku" | "category";
    key: string;
    recent_sold: number;
    base_sold: number;
    recent_refunded: number;
    base_refunded: number;
  }>`
    with sold as (
      select o.shop_id, l.sku, l.category, l.quantity, coalesce(o.paid_at, o.placed_at, o.created_at) >= ${recentStart} as recent
        from order_lines l join orders o on o.id = l.order_id
       where coalesce(o.paid_at, o.placed_at, o.created_at) >= ${baseStart}
         and coalesce(o.paid_at, o.placed_at, o.created_at) < ${now}),
    claimed as (
      select c.shop_id, l.sku, l.category, ci.quantity, c.reason, c.created_at >= ${recentStart} as recent
        from cases c join case_items ci on ci.case_id = c.id join order_lines l on l.id = ci.order_line_id
       where c.created_at >= ${baseStart} and c.created_at < ${now}
         and c.type in ('refund_only', 'return_refund', 'exchange') and c.status not in ('rejected', 'cancelled')
         and c.reason = any(${PRODUCT_REASONS as string[]}::text[])),
    subjects as (
      select shop_id, 'sku' as kind, sku as key, quantity, recent, null as reason, true as is_sale from sold
      union all select shop_id, 'category', category, quantity, recent, null, true from sold where category is not null
      union all select shop_id, 'sku', sku, quantity, recent, reason, false from claimed
      union all select shop_id, 'category', category, quantity, recent, reason, false from claimed where category is not null)
    select shop_id, kind, key,
           coalesce(sum(quantity) filter (where is_sale and recent), 0)::int as recent_sold,
           coalesce(sum(quantity) filter (where is_sale and not recent), 0)::int as base_sold,
           coalesce(sum(quantity) filter (where not is_sale and recent), 0)::int as recent_refunded,
           coalesce(sum(quantity) filter (where not is_sale and not recent), 0)::int as base_refunded
      from subjects
     group by shop_id, kind, key
    having coalesce(sum(quantity) filter (where not is_sale and recent), 0) > 0`.execute(ctx.db);
  // Recent claims by reason tell a quality problem from a wrong listing.
  const reasonRows = await sql<{ shop_id: string; kind: string; key: string; reason: string; n: number }>`
    select x.shop_id, x.kind, x.key, x.reason, sum(x.quantity)::int as n from (
      select c.shop_id, 'sku' as kind, l.sku as key, c.reason, ci.quantity
        from cases c join case_items ci on ci.case_id = c.id join order_lines l on l.id = ci.order_line_id
       where c.created_at >= ${recentStart} and c.created_at < ${now}
         and c.type in ('refund_only', 'return_refund', 'exchange') and c.status not in ('rejected', 'cancelled')
         and c.reason = any(${PRODUCT_REASONS as string[]}::text[])
      union all
      select c.shop_id, 'category', l.category, c.reason, ci.quantity
        from cases c join case_items ci on ci.case_id = c.id join order_lines l on l.id = ci.order_line_id
       where c.created_at >= ${recentStart} and c.created_at < ${now} and l.category is not null
         and c.type in ('refund_only', 'return_refund', 'exchange') and c.status not in ('rejected', 'cancelled')
         and c.reason = any(${PRODUCT_REASONS as string[]}::text[])) x
     group by x.shop_id, x.kind, x.key, x.reason`.execute(ctx.db);
  const reasons = new Map<string, Partial<Record<ReasonCode, number>>>();
  for (const r of reasonRows.rows) {
    const k = `${r.shop_id}:${r.kind}:${r.key}`;
    reasons.set(k, { ...reasons.get(k), [r.reason]: r.n });
  }
  const byShop = new Map<string, QualityStats[]>();
  for (const r of rows) {
    const list = byShop.get(r.shop_id) ?? [];
    list.push({
      kind: r.kind,
      key: r.key,
      recent: {
        sold: r.recent_sold,
        refunded: r.recent_refunded,
        reasons: reasons.get(`${r.shop_id}:${r.kind}:${r.key}`) ?? {},
      },
      baseline: { sold: r.base_sold, refunded: r.base_refunded },
    });
    byShop.set(r.shop_id, list);
  }
  const alerts = [...byShop].flatMap(([shop, stats]) =>
    detectQualityJumps(stats, t).map((a) => ({ ...a, shop })),
  );
  const period = Math.floor(now.getTime() / (t.recentDays * DAY));
  for (const a of alerts) {
    await sql`
      insert into alerts (kind, subject, severity, dedupe_key, shop_id, reason, data, created_at, updated_at)
      values (${`${a.kind}_quality`}, ${a.key}, ${a.severity}, ${`${a.kind}_quality:${a.shop}:${a.key}:${period}`}, ${a.shop},
              ${JSON.stringify(a.reason)}::jsonb,
              ${JSON.stringify({ ...a.data, suspected: a.suspected, recentRate: a.recentRate, baselineRate: a.baselineRate, lift: a.lift, z: a.z })}::jsonb,
              ${now}, ${now})
      on conflict (dedupe_key) do update
        set severity = excluded.severity, reason = excluded.reason, data = excluded.data, updated_at = excluded.updated_at`.execute(
      ctx.db,
    );
  }
  return { subjects: rows.length, alerts: alerts.length, raised: alerts };
}
