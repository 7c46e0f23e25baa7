import { announceChanges } from "../flows/announce-changes.ts";
import type { FlowContext } from "../flows/context.ts";
import { startPeriodic } from "./periodic.ts";

/** Every second: send what the writes logged for the live feed, whether or not a console listens. */
export const startChangeLog = (ctx: FlowContext, everyMs = 1000) =>
  startPeriodic("change log", everyMs, () => announceChanges(ctx));
