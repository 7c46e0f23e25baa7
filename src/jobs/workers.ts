import type { FlowContext } from "../flows/context.ts";
import { startAnalyticsFold } from "./analytics-fold.ts";
import { startChangeLog } from "./change-log.ts";
import { startDispatcher } from "./dispatcher.ts";
import { startFanOut } from "./fan-out.ts";
import { startInterceptionPoller } from "./interceptions.ts";
import { startPlatformSync } from "./platform-sync.ts";
import { startQualityScanner } from "./quality-scan.ts";
import { startReconciler } from "./reconcile.ts";
import { startRefundSettler } from "./refund-settler.ts";
import { startReviewSweep } from "./review-sweep.ts";
import { startStockFold } from "./stock-fold.ts";

/**
 * Everything a worker runs: the outbox and the periodic jobs, one line each. Their writes are keyed
 * and their claims use SKIP LOCKED or leases, so any number of workers can run them side by side.
 */
export const WORKERS = {
  outbox: (ctx: FlowContext, o: { leaseMs: number }) => startDispatcher(ctx, { leaseMs: o.leaseMs }),
  "quality scan": (ctx: FlowContext) => startQualityScanner(ctx),
  "review sweep": (ctx: FlowContext) => startReviewSweep(ctx),
  "refund settler": (ctx: FlowContext) => startRefundSettler(ctx),
  "platform sync": (ctx: FlowContext) => startPlatformSync(ctx),
  interceptions: (ctx: FlowContext) => startInterceptionPoller(ctx),
  reconciliation: (ctx: FlowContext) => startReconciler(ctx),
  "analytics fold": (ctx: FlowContext) => startAnalyticsFold(ctx),
  "stock fold": (ctx: FlowContext) => startStockFold(ctx),
  "change log": (ctx: FlowContext) => startChangeLog(ctx),
  "event fan-out": (ctx: FlowContext) => startFanOut(ctx),
} as const;

export function startWorkers(ctx: FlowContext, o: { leaseMs: number }) {
  const running = Object.values(WORKERS).map((start) => start(ctx, o));
  return {
    names: Object.keys(WORKERS),
    async stop() {
      for (const job of running) await job.stop();
    },
  };
}
