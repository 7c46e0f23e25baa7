import { foldAnalytics, pruneAnalyticsFolds } from "../flows/analytics.ts";
import type { FlowContext } from "../flows/context.ts";
import { startPeriodic } from "./periodic.ts";

/**
 * Every second: add what the writes appended into the analytics rollups (migration 021). This period is
 * how far dashboards lag behind the facts when the machine keeps up. Once an hour, forget fold statistics
 * older than a day.
 */
export function startAnalyticsFold(ctx: FlowContext, everyMs = 1000) {
  let lastPrune = 0;
  return startPeriodic("analytics fold", everyMs, async () => {
    await foldAnalytics(ctx);
    if (Date.now() - lastPrune > 3_600_000) {
      lastPrune = Date.now();
      await pruneAnalyticsFolds(ctx);
    }
  });
}
