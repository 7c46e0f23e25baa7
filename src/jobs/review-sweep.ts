import { sweepAutoReview } from "../flows/auto-review.ts";
import type { FlowContext } from "../flows/context.ts";
import { startPeriodic } from "./periodic.ts";

/** Every minute: judge cases a crash left unjudged and start refunds a crash left unstarted. */
export const startReviewSweep = (ctx: FlowContext, everyMs = 60_000) =>
  startPeriodic("review sweep", everyMs, () => sweepAutoReview(ctx));
