import {
  monthRange,
  quantile,
  REFUND_RATE_DIMENSIONS,
  type RefundRateDimension,
  rate,
} from "../domain/analytics.ts";
import { fail } from "../domain/errors.ts";
import { CASE_STATES, type CaseState } from "../domain/lifecycle.ts";
import {
  caseCounts,
  costs,
  foldRollups,
  foldState,
  pruneFolds,
  rebuildRollups,
  refundRates,
  stageHistograms,
} from "../store/analytics.ts";
import type { FlowContext } from "./context.ts";

/** The months, shop and visible shops an analytics question is about. */
export interface AnalyticsQuery {
  from?: string;
  to?: string;
  shop?: string;
  shops?: readonly string[] | null;
}

const scope = (q: AnalyticsQuery) => ({
  ...monthRange(q.from, q.to),
  ...(q.shops !== undefined ? { shops: q.shops } : {}),
  ...(q.shop ? { shop: q.shop } : {}),
});

/**
 * 退款率: units refunded over units sold, by SKU, category, shop or month; the worst first (by month:
 * in order). `minSold` hides SKUs sold too rarely for a rate to mean anything.
 */
export async function refundRateReport(
  ctx: FlowContext,
  q: AnalyticsQuery & { by?: string; minSold?: number; limit?: number },
) {
  const by = (q.by ?? "sku") as RefundRateDimension;
  if (!REFUND_RATE_DIMENSIONS.includes(by))
    fail("INVALID_DIMENSION", `Refund rates are by ${REFUND_RATE_DIMENSIONS.join(", ")}`, {
      by: q.by,
      known: REFUND_RATE_DIMENSIONS,
    });
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

/** 自动化率: of the cases decided, the share a rule decided; by month. */
export async function automationRate(ctx: FlowContext, q: AnalyticsQuery) {
  const rows = await caseCounts(ctx.db, { ...scope(q), by: "month" });
  const sum = (k: "cases" | "decided" | "automated") => rows.reduce((a, r) => a + r[k], 0);
  return {
    cases: sum("cases"),
    decided: sum("decided"),
    automated: sum("automated"),
    rate: rate(sum("automated"), sum("decided")),
    months: rows.map((r) => ({
      month: r.key,
      cases: r.cases,
      decided: r.decided,
      automated: r.automated,
      rate: rate(r.automated, r.decided),
    })),
  };
}

/** 各环节处理时长: how long cases stay in each state — p50, p90 and mean, in hours. */
export async function stageTimes(ctx: FlowContext, q: AnalyticsQuery) {
  const rows = await stageHistograms(ctx.db, scope(q));
  const stages = new Map<string, { bucket: number; n: number; seconds: number }[]>();
  for (const r of rows) stages.set(r.stage, [...(stages.get(r.stage) ?? []), r]);
  const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 100) / 100);
  return {
    stages: [...stages].map(([stage, buckets]) => {
      const n = buckets.reduce((a, b) => a + b.n, 0);
      const names = CASE_STATES[stage as CaseState];
      return {
        stage,
        ...(names ? { zh: names.zh, en: names.en } : {}),
        n,
        p50Hours: hours(quantile(buckets, 0.5)),
        p90Hours: hours(quantile(buckets, 0.9)),
        meanHours: hours(buckets.reduce((a, b) => a + b.seconds, 0) / n),
      };
    }),
  };
}

/** 售后成本: refunds, compensation, subsidies and fees by month, from the ledger. */
export async function costReport(ctx: FlowContext, q: AnalyticsQuery) {
  return { rows: await costs(ctx.db, scope(q)) };
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
