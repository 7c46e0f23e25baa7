import { announceLogged } from "../store/changes.ts";
import type { FlowContext } from "./context.ts";

/**
 * Send the changes the writes logged for the live feed (023_change_log.sql). Processes that listen do
 * this every 25 ms; a worker does it too, so the log stays short while no console is open anywhere.
 */
export async function announceChanges(ctx: FlowContext, maxBatches = 20): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await announceLogged(ctx.db);
    total += n;
    if (n === 0) break;
  }
  return total;
}
