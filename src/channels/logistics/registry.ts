import { simulateKuaidi100 } from "./kuaidi100/simulator.ts";
import type { LogisticsEntry } from "./logistics.ts";

/**
 * Logistics services (a folder each under logistics/): one line per service, which `aftersales simulate`
 * reads. The carrier interception desk has no HTTP protocol of its own yet (an in-process simulator);
 * `aftersales start` runs both together (sandbox.ts).
 */
export const LOGISTICS_CHANNELS: Record<string, LogisticsEntry> = {
  kuaidi100: { label: "Kuaidi100", simulate: simulateKuaidi100 },
};
