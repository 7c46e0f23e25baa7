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
