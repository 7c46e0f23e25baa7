import type { CarrierInterceptor } from "./interception.ts";
import type { TrackingProvider } from "./tracking.ts";

/**
 * The logistics side of the outside world as the flows see it: a tracking service (快递100) and a
 * carrier interception desk. Either may be absent; with neither, nothing is tracked or intercepted.
 */
export interface LogisticsChannels {
  tracking?: TrackingProvider;
  interceptor?: CarrierInterceptor;
}

/** A logistics service running on its local simulator. */
export interface SimulatedLogistics {
  url: string;
  /** What its adapter needs to reach the simulator (`aftersales simulate` prints it). */
  config: unknown;
  close(): Promise<void>;
}

/** A logistics service as the registry holds it (registry.ts LOGISTICS_CHANNELS). */
export interface LogisticsEntry {
  /** For people: `aftersales simulate`. */
  label: string;
  simulate(o: { port?: number; host?: string }): Promise<SimulatedLogistics>;
}
