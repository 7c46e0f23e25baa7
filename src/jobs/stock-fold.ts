import type { FlowContext } from "../flows/context.ts";
import { foldStock } from "../flows/inventory.ts";
import { startPeriodic } from "./periodic.ts";

/** Every second: add the stock movements' waiting deltas into the balance rows (migration 022). */
export const startStockFold = (ctx: FlowContext, everyMs = 1000) =>
  startPeriodic("stock fold", everyMs, () => foldStock(ctx));
