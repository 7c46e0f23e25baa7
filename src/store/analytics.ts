import { sql } from "kysely";
import type { RefundRateDimension } from "../domain/analytics.ts";
import type { Tx } from "./orders.ts";

/** Which rollup rows a question covers: months (first days, inclusive) and the shops the caller may see. */
export interface RollupScope {
  from: string | null;
  to: string | null;
  shops?: readonly string[] | null;
  shop?: string;
  /** The shops selling on this channel (tmall, jd, …). */
  channel?: string;
}

const where = (s: RollupScope) => sql`true
  ${s.from ? sql`and month >= ${s.from}::date` : sql``}
  ${s.to ? sql`and month <= ${s.to}::date` : sql``}
  ${s.shops ? sql`and shop_id = any(${[...s.shops]}::text[])` : sql``}
  ${s.shop ? sql`and shop_id = ${s.shop}` : sql``}
  ${s.channel ? sql`and shop_id in (select id from shops where channel = ${s.channel})` : sql``}`;

const KEY: Record<RefundRateDimension, ReturnType<typeof sql>> = {
  sku: sql`sku`,
  category: sql`category`,
  shop: sql`shop_id`,
  month: sql`to_char(month, 'YYYY-MM')`,
};

/** Sold and refunded units and money per SKU, category, shop or month (all but SKU from the category rollup). */
export async function refundRates(
  db: Tx,
  q: RollupScope & { by: RefundRateDimension; minSold: number; limit: number },
) {
  const { rows } = await sql<{
    key: string;
    currency: string;
    sold_qty: string;
    sold_amount: string;
    refunded_qty: string;
    refunded_amount: string;
  }>`
    select ${KEY[q.by]} as key, currency, sum(sold_qty) as sold_qty, sum(sold_amount) as sold_amount,
           sum(refunded_qty) as refunded_qty, sum(refunded_amount) as refunded_amount
      from ${q.by === "sku" ? sql`rollup_sales` : sql`rollup_category_sales`}
     where ${where(q)}
     group by 1, 2
    having sum(sold_qty) >= ${q.minSold}
     order by ${
       q.by === "month"
         ? sql`1, 2`
         : sql`sum(refunded_qty)::float8 / nullif(sum(sold_qty), 0) desc nulls last, sum(refunded_qty) desc, 1`
     }
     limit ${q.limit}`.execute(db);
  return rows.map((r) => ({
    key: r.key,
    currency: r.currency,
    soldQty: Number(r.sold_qty),
    soldAmount: Number(r.sold_amount),
    refundedQty: Number(r.refunded_qty),
    refundedAmount: Number(r.refunded_amount),
  }));
}

/** Cases opened, decided and decided by a rule, by reason or by month. */
export async function caseCounts(db: Tx, q: RollupScope & { by: "reason" | "month" | "type" }) {
  const key = q.by === "month" ? sql`to_char(month, 'YYYY-MM')` : sql.id(q.by);
  const { rows } = await sql<{ key: string; cases: string; decided: string; automated: string }>`
    select ${key} as key, sum(cases) as cases, sum(decided) as decided, sum(automated) as automated
      from rollup_cases where ${where(q)}
     group by 1 order by ${q.by === "month" ? sql`1` : sql`2 desc, 1`}`.execute(db);
  return rows.map((r) => ({
    key: r.key,
    cases: Number(r.cases),
    decided: Number(r.decided),
    automated: Number(r.automated),
  }));
}

/** Each state's duration histogram over the scope, month by month (the month a stay there ended). */
export async function stageHistograms(db: Tx, q: RollupScope) {
  const { rows } = await sql<{ month: string; stage: string; bucket: number; n: string; seconds: number }>`
    select to_char(month, 'YYYY-MM') as month, stage, bucket, sum(n) as n, sum(seconds) as seconds
      from rollup_stages where ${where(q)}
     group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  return rows.map((r) => ({
    month: r.month,
    stage: r.stage,
    bucket: Number(r.bucket),
    n: Number(r.n),
    seconds: Number(r.seconds),
  }));
}

/** Rule decisions a person overrode, by the month the case was opened (migration 025). */
export async function overridesByMonth(db: Tx, q: RollupScope) {
  const { rows } = await sql<{ month: string; overridden: string }>`
    select to_char(month, 'YYYY-MM') as month, sum(overridden) as overridden
      from rollup_overrides where ${where(q)}
     group by 1 order by 1`.execute(db);
  return rows.map((r) => ({ month: r.month, overridden: Number(r.overridden) }));
}

/**
 * Units sold and refunded per month for the `top` SKUs, categories or shops with the most units refunded
 * over the scope, then the `also` keys (those a quality alert named): first the top keys (one aggregate by
 * key), then only those keys' rows (for SKUs by migration 026's index), in that order.
 */
export async function refundRateSeries(
  db: Tx,
  q: RollupScope & { by: "sku" | "category" | "shop"; top: number; also: readonly string[] },
) {
  const key = KEY[q.by];
  const table = q.by === "sku" ? sql`rollup_sales` : sql`rollup_category_sales`;
  const top = await sql<{ key: string }>`
    select ${key} as key from ${table} where ${where(q)}
     group by 1 order by sum(refunded_qty) desc, sum(sold_qty) desc, 1 limit ${q.top}`.execute(db);
  const keys = [...new Set([...top.rows.map((r) => r.key), ...q.also])];
  if (keys.length === 0) return [];
  const { rows } = await sql<{ key: string; month: string; sold_qty: string; refunded_qty: string }>`
    select ${key} as key, to_char(month, 'YYYY-MM') as month, sum(sold_qty) as sold_qty,
           sum(refunded_qty) as refunded_qty
      from ${table}
     where ${where(q)} and ${key} = any(${keys}::text[])
     group by 1, 2`.execute(db);
  const rank = new Map(keys.map((k, i) => [k, i]));
  return rows
    .map((r) => ({
      key: r.key,
      month: r.month,
      soldQty: Number(r.sold_qty),
      refundedQty: Number(r.refunded_qty),
    }))
    .sort((a, b) => (rank.get(a.key) ?? 0) - (rank.get(b.key) ?? 0) || a.month.localeCompare(b.month));
}

/**
 * The SKU and category refund-rate jumps the quality scan raised (alerts sku_quality, category_quality)
 * over the scope's months, in the merchant's time zone.
 */
export async function qualitySpikes(db: Tx, q: RollupScope) {
  const { rows } = await sql<{
    id: number;
    kind: string;
    subject: string;
    shop_id: string;
    severity: string;
    month: string;
    reason: { zh: string; en: string };
    data: Record<string, unknown>;
  }>`
    select id, kind, subject, shop_id, severity, to_char(analytics_month(created_at, analytics_tz()), 'YYYY-MM') as month,
           reason, data
      from alerts
     where kind in ('sku_quality', 'category_quality')
       and ${where({ ...q, from: null, to: null })}
       ${q.from ? sql`and created_at >= (${q.from}::date::timestamp at time zone analytics_tz())` : sql``}
       ${q.to ? sql`and created_at < ((${q.to}::date + interval '1 month')::timestamp at time zone analytics_tz())` : sql``}
     order by created_at, id`.execute(db);
  return rows;
}

/** What after-sales cost by month and kind (from the ledger's rollup). */
export async function costs(db: Tx, q: RollupScope) {
  const { rows } = await sql<{
    month: string;
    kind: string;
    currency: string;
    amount: string;
    entries: string;
  }>`
    select to_char(month, 'YYYY-MM') as month, kind, currency, sum(amount) as amount, sum(entries) as entries
      from rollup_costs where ${where(q)}
     group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  return rows.map((r) => ({ ...r, amount: Number(r.amount), entries: Number(r.entries) }));
}

/**
 * Turn up to `batch` queued facts into deltas and add up to `batch` waiting deltas of each rollup into it
 * (migrations 021 and 024), in one transaction; returns how many facts and deltas it took.
 */
export async function foldRollups(db: Tx, batch: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`select analytics_fold(${batch}::int) as n`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * What still waits to be folded (queued facts and deltas), and how long the last hour's folds had kept
 * deltas waiting.
 */
export async function foldState(db: Tx) {
  const { rows } = await sql<{
    pending: number;
    oldest: Date | null;
    folds: number;
    lag_p95_ms: number | null;
    lag_max_ms: number | null;
  }>`
    select (select count(*) from rollup_sales_delta) + (select count(*) from rollup_category_sales_delta)
           + (select count(*) from rollup_cases_delta) + (select count(*) from rollup_stages_delta)
           + (select count(*) from rollup_costs_delta) + (select count(*) from rollup_overrides_delta)
           + (select count(*) from rollup_queue) as pending,
           least((select min(at) from rollup_sales_delta), (select min(at) from rollup_category_sales_delta),
                 (select min(at) from rollup_cases_delta), (select min(at) from rollup_stages_delta),
                 (select min(at) from rollup_costs_delta), (select min(at) from rollup_overrides_delta),
                 (select min(queued_at) from rollup_queue)) as oldest,
           f.folds, f.lag_p95_ms, f.lag_max_ms
      from (select count(*) as folds, max(lag_p95_ms) as lag_p95_ms, max(lag_max_ms) as lag_max_ms
              from analytics_folds where at > now() - interval '1 hour') f`.execute(db);
  const r = rows[0];
  return {
    pending: Number(r?.pending ?? 0),
    oldest: r?.oldest ?? null,
    folds: Number(r?.folds ?? 0),
    lagP95Ms: r?.lag_p95_ms ?? null,
    lagMaxMs: r?.lag_max_ms ?? null,
  };
}

/** Forget fold statistics older than a day. */
export const pruneFolds = (db: Tx) =>
  sql`delete from analytics_folds where at < now() - interval '1 day'`.execute(db);

/** Recompute every rollup from the facts (migration 012's analytics_rebuild, as 021 redefines it). */
export async function rebuildRollups(db: Tx) {
  await sql`select analytics_rebuild()`.execute(db);
}
