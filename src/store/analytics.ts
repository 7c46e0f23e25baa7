import { sql } from "kysely";
import type { RefundRateDimension } from "../domain/analytics.ts";
import type { Tx } from "./orders.ts";

/** Which rollup rows a question covers: months (first days, inclusive) and the shops the caller may see. */
export interface RollupScope {
  from: string | null;
  to: string | null;
  shops?: readonly string[] | null;
  shop?: string;
}

const where = (s: RollupScope) => sql`true
  ${s.from ? sql`and month >= ${s.from}::date` : sql``}
  ${s.to ? sql`and month <= ${s.to}::date` : sql``}
  ${s.shops ? sql`and shop_id = any(${[...s.shops]}::text[])` : sql``}
  ${s.shop ? sql`and shop_id = ${s.shop}` : sql``}`;

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

/** Each state's duration histogram over the scope. */
export async function stageHistograms(db: Tx, q: RollupScope) {
  const { rows } = await sql<{ stage: string; bucket: number; n: string; seconds: number }>`
    select stage, bucket, sum(n) as n, sum(seconds) as seconds
      from rollup_stages where ${where(q)}
     group by 1, 2 order by 1, 2`.execute(db);
  return rows.map((r) => ({
    stage: r.stage,
    bucket: Number(r.bucket),
    n: Number(r.n),
    seconds: Number(r.seconds),
  }));
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
           + (select count(*) from rollup_costs_delta) + (select count(*) from rollup_queue) as pending,
           least((select min(at) from rollup_sales_delta), (select min(at) from rollup_category_sales_delta),
                 (select min(at) from rollup_cases_delta), (select min(at) from rollup_stages_delta),
                 (select min(at) from rollup_costs_delta), (select min(queued_at) from rollup_queue)) as oldest,
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
