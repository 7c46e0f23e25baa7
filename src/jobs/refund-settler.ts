import type { FlowContext } from "../flows/context.ts";
import { settleStaleRefunds } from "../flows/settle-refunds.ts";
import { startPeriodic } from "./periodic.ts";

/** Every five minutes: ask the channels about refunds that have stayed unsettled for ten. */
export const startRefundSettler = (ctx: FlowContext, everyMs = 5 * 60_000) =>
  startPeriodic("refund settler", everyMs, () => settleStaleRefunds(ctx));
