import type { FlowContext } from "../flows/context.ts";
import { sweepInterceptionTriggers } from "../flows/intercept-parcel.ts";
import { pollInterceptions } from "../flows/interception-outcome.ts";
import { resubscribeDue } from "../flows/track-parcel.ts";
import { startPeriodic } from "./periodic.ts";

/** One round of parcel upkeep: ask for the interceptions cases call for, poll the carriers, resubscribe. */
export async function interceptionRound(ctx: FlowContext) {
  const triggered = await sweepInterceptionTriggers(ctx);
  const polled = await pollInterceptions(ctx);
  const tracking = await resubscribeDue(ctx);
  return { ...triggered, ...polled, ...tracking };
}

/**
 * Every 30 s: cases that need their parcel stopped get their interception (拦截) requested, pending
 * interceptions are asked about when due (claimed with SKIP LOCKED, so any number of workers may run
 * this), refunds a crash left behind a returned parcel are granted, and aborted tracking subscriptions
 * are renewed. Does nothing where no logistics integration is configured.
 */
export const startInterceptionPoller = (ctx: FlowContext, everyMs = 30_000) =>
  startPeriodic("interceptions", everyMs, () => interceptionRound(ctx));
