import type { FlowContext } from "../flows/context.ts";
import { fanOut } from "../flows/fan-out.ts";
import { startPeriodic } from "./periodic.ts";

/** Every second: hand committed timeline events to what follows them (customer messages, webhooks). */
export const startFanOut = (ctx: FlowContext, everyMs = 1000) =>
  startPeriodic("event fan-out", everyMs, () => fanOut(ctx));
