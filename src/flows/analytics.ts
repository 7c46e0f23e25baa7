import { monthRange, quantile, REFUND_RATE_DIMENSIONS, rate } from "../domain/analytics.ts";
import { fail } from "../domain/errors.ts";
import { CASE_STATES, type CaseState } from "../domain/lifecycle.ts";
import {
  caseCounts,
  costs,
  foldRollups,
  foldState,
  overridesByMonth,
  pruneFolds,
  qualitySpikes,
  rebuildRollups,
  refundRateSeries,
  refundRates,
  stageHistograms,
} from "../store/analytics.ts";
import type { FlowContext } from "./context.ts";

/** The months, shop, channel and visible shops an analytics question is about. */
export interface AnalyticsQuery {
  from?: string;
  to?: string;
  shop?: string;
  /** The shops selling on this channel. */
  channel?: string;
  shops?: readonly string[] | null;
}

const scope = (q: AnalyticsQuery) => ({
  ...monthRange(q.from, q.to),
  ...(q.shops !== undefined ? { shops: q.shops } : {}),
  ...(q.shop ? { shop: q.shop } : {}),
  ...(q.channel ? { channel: q.channel } : {}),
});

/** One of the dimensions refund rates are counted by, or INVALID_DIMENSION. */
function dimension<T extends string>(by: string, known: readonly T[]): T {
  if (!known.includes(by as T))
    fail("INVALID_DIMENSION", `Refund rates are by ${known.join(", ")}`, { by, known });
  return by as T;
}

/**
 * 退款率: units refunded over units sold, by SKU, category, shop or month; the worst first (by month:
 * in order). `minSold` hides SKUs sold too rarely for a rate to mean anything.
 */
export async function refundRateReport(
  ctx: FlowContext,
  q: AnalyticsQuery & { by?: string; minSold?: number; limit?: number },
) {
  const by = dimension(q.by ?? "sku", REFUND_RATE_DIMENSIONS);
  const rows = await refundRates(ctx.db, {
    ...scope(q),
    by,
    minSold: q.minSold ?? (by === "sku" ? 10 : 1),
    limit: Math.min(q.limit ?? 50, 1000),
  });
  return {
    by,
    rows: rows.map((r) => ({
      ...r,
      rate: rate(r.refundedQty, r.soldQty),
      amountRate: rate(r.refundedAmount, r.soldAmount),
    })),
  };
}

/** 退款原因分布: cases by reason, with each reason's share. */
export async function reasonDistribution(ctx: FlowContext, q: AnalyticsQuery) {
  const rows = await caseCounts(ctx.db, { ...scope(q), by: "reason" });
  const cases = rows.reduce((a, r) => a + r.cases, 0);
  return { cases, rows: rows.map((r) => ({ reason: r.key, cases: r.cases, share: rate(r.cases, cases) })) };
}

/**
 * 自动化率 and 规则一致率: of the cases decided, the share a rule decided; of those, the share nobody
 * overrode (agreement). By the month the cases were opened.
 */
export async function automationRate(ctx: FlowContext, q: AnalyticsQuery) {
  const s = scope(q);
  const [rows, overrides] = await Promise.all([
    caseCounts(ctx.db, { ...s, by: "month" }),
    overridesByMonth(ctx.db, s),
  ]);
  const overridden = new Map(overrides.map((o) => [o.month, o.overridden]));
  const months = rows.map((r) => ({
    month: r.key,
    cases: r.cases,
    decided: r.decided,
    automated: r.automated,
    overridden: overridden.get(r.key) ?? 0,
  }));
  const sum = (k: "cases" | "decided" | "automated" | "overridden") => months.reduce((a, r) => a + r[k], 0);
  const agreement = (automated: number, overridden: number) =>
    rate(Math.max(0, automated - overridden), automated);
  return {
    cases: sum("cases"),
    decided: sum("decided"),
    automated: sum("automated"),
    overridden: sum("overridden"),
    rate: rate(sum("automated"), sum("decided")),
    agreement: agreement(sum("automated"), sum("overridden")),
    months: months.map((m) => ({
      ...m,
      rate: rate(m.automated, m.decided),
      agreement: agreement(m.automated, m.overridden),
    })),
  };
}

type Bucket = { bucket: number; n: number; seconds: number };
const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 100) / 100);
const percentiles = (buckets: Bucket[]) => {
  const n = buckets.reduce((a, b) => a + b.n, 0);
  return {
    n,
    p50Hours: hours(quantile(buckets, 0.5)),
    p90Hours: hours(quantile(buckets, 0.9)),
    meanHours: hours(buckets.reduce((a, b) => a + b.seconds, 0) / n),
  };
};

/**
 * 各环节处理时长: how long cases stay in each state — p50, p90 and mean, in hours — over the scope and
 * month by month (its trend; the month a stay ended).
 */
export async function stageTimes(ctx: FlowContext, q: AnalyticsQuery) {
  const rows = await stageHistograms(ctx.db, scope(q));
  const stages = new Map<string, Map<number, Bucket>>();
  const months = new Map<string, Bucket[]>();
  for (const r of rows) {
    const all = stages.get(r.stage) ?? new Map<number, Bucket>();
    const b = all.get(r.bucket) ?? { bucket: r.bucket, n: 0, seconds: 0 };
    all.set(r.bucket, { bucket: r.bucket, n: b.n + r.n, seconds: b.seconds + r.seconds });
    stages.set(r.stage, all);
    const k = `${r.month} ${r.stage}`;
    const list = months.get(k) ?? [];
    list.push(r);
    months.set(k, list);
  }
  return {
    stages: [...stages].map(([stage, buckets]) => {
      const names = CASE_STATES[stage as CaseState];
      return {
        stage,
        ...(names ? { zh: names.zh, en: names.en } : {}),
        ...percentiles([...buckets.values()]),
      };
    }),
    trend: [...months].map(([k, buckets]) => {
      const [month = "", stage = ""] = k.split(" ");
      return { month, stage, ...percentiles(buckets) };
    }),
  };
}

/** Dimensions a refund-rate trend follows. */
export const TREND_DIMENSIONS = ["category", "sku", "shop"] as const;
export type TrendDimension = (typeof TREND_DIMENSIONS)[number];

/**
 * 退款率变化趋势: units refunded over units sold month by month, for the `top` SKUs, categories or shops
 * with the most units refunded (and any the quality scan named), with the jumps the scan found (spikes,
 * when the caller may read alerts) to mark on the lines.
 */
export async function refundRateTrend(
  ctx: FlowContext,
  q: AnalyticsQuery & { by?: string; top?: number; spikes?: boolean },
) {
  const by = dimension(q.by ?? "category", TREND_DIMENSIONS);
  const s = scope(q);
  const found = q.spikes === false ? [] : await qualitySpikes(ctx.db, s);
  const spikes = found
    .filter((a) => by === "shop" || a.kind === `${by}_quality`)
    .map((a) => ({
      alertId: Number(a.id),
      kind: a.kind,
      key: by === "shop" ? a.shop_id : a.subject,
      subject: a.subject,
      shop: a.shop_id,
      month: a.month,
      severity: a.severity,
      reason: a.reason,
      recentRate: typeof a.data.recentRate === "number" ? a.data.recentRate : null,
      baselineRate: typeof a.data.baselineRate === "number" ? a.data.baselineRate : null,
    }));
  const rows = await refundRateSeries(ctx.db, {
    ...s,
    by,
    top: Math.min(q.top ?? 5, 20),
    also: [...new Set(spikes.map((x) => x.key))].slice(0, 10),
  });
  const series = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = series.get(r.key) ?? [];
    list.push(r);
    series.set(r.key, list);
  }
  return {
    by,
    months: [...new Set(rows.map((r) => r.month))].sort(),
    series: [...series].map(([key, points]) => ({
      key,
      soldQty: points.reduce((a, p) => a + p.soldQty, 0),
      refundedQty: points.reduce((a, p) => a + p.refundedQty, 0),
      points: points.map((p) => ({
        month: p.month,
        soldQty: p.soldQty,
        refundedQty: p.refundedQty,
        rate: rate(p.refundedQty, p.soldQty),
      })),
    })),
    spikes,
  };
}

/** 售后成本: refunds, compensation, subsidies and fees by month, from the ledger; and each kind's total. */
export async function costReport(ctx: FlowContext, q: AnalyticsQuery) {
  const rows = await costs(ctx.db, scope(q));
  const totals = new Map<string, { kind: string; currency: string; amount: number; entries: number }>();
  for (const r of rows) {
    const k = `${r.kind} ${r.currency}`;
    const t = totals.get(k) ?? { kind: r.kind, currency: r.currency, amount: 0, entries: 0 };
    totals.set(k, { ...t, amount: t.amount + r.amount, entries: t.entries + r.entries });
  }
  return { rows, totals: [...totals.values()] };
}

/** Deltas per rollup table that one fold transaction takes. */
const FOLD_BATCH = 5000;

/**
 * Fold what the writes appended into the rollups, batch after batch, until nothing waits (or `maxBatches`
 * were folded, so one busy worker does not starve its other jobs). Returns how many deltas were folded.
 */
export async function foldAnalytics(ctx: FlowContext, maxBatches = 20): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await ctx.db.transaction().execute((tx) => foldRollups(tx, FOLD_BATCH));
    total += n;
    if (n < FOLD_BATCH) break;
  }
  return total;
}

/** How far analytics is behind the facts: deltas waiting, the oldest one's age, and the last hour's lag. */
export async function analyticsLag(ctx: FlowContext) {
  const s = await foldState(ctx.db);
  return {
    pending: s.pending,
    oldestPendingMs: s.oldest ? Math.max(0, ctx.now().getTime() - s.oldest.getTime()) : 0,
    foldsLastHour: s.folds,
    lagP95Ms: s.lagP95Ms,
    lagMaxMs: s.lagMaxMs,
  };
}

export const pruneAnalyticsFolds = async (ctx: FlowContext) => {
  await pruneFolds(ctx.db);
};

/** Recompute the rollups from the facts (after the time zone changed, or to check them). */
export async function rebuildAnalytics(ctx: FlowContext) {
  await rebuildRollups(ctx.db);
}
