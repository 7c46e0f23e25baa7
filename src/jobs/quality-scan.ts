import { scanQuality } from "../flows/alerts.ts";
import type { FlowContext } from "../flows/context.ts";
import { startPeriodic } from "./periodic.ts";

/** 质量预警 scan: SKU and category refund-rate jumps, every few hours (alerts are keyed, so reruns update). */
export const startQualityScanner = (ctx: FlowContext, everyMs = 6 * 3_600_000) =>
  startPeriodic("quality scan", everyMs, () => scanQuality(ctx));
