/**
 * Carrier interception (快递拦截): asking the carrier to stop a parcel on its way and send it back.
 * Carriers expose it differently (JD `jingdong.ldop.receive.order.intercept`, Cainiao 配拦截, SF and
 * the 通达 carriers through their open platforms or a call centre) and always answer later, so the
 * interface is a request and a status to poll. No real carrier adapter exists yet; the simulator in
 * interception-simulator.ts implements it.
 */

export type CarrierInterceptionStatus = "pending" | "intercepted" | "failed" | "too_late";

export interface CarrierInterceptor {
  /**
   * Ask the carrier to stop the parcel. Must be safe to repeat for the same parcel (a retry after a
   * lost answer gets the same request back, not a second interception). Throws
   * InterceptionRefusedError when the carrier refuses outright; any other error means "try again".
   */
  request(carrier: string, trackingNo: string, reason: string): Promise<{ requestId: string }>;
  /** Where the request stands: still pending, or the carrier's verdict. */
  status(requestId: string): Promise<CarrierInterceptionStatus>;
}

/** The carrier refused the request outright: the outcome is known at once. */
export class InterceptionRefusedError extends Error {
  readonly code: string;
  readonly outcome: "failed" | "too_late";
  constructor(code: string, message: string, outcome: "failed" | "too_late" = "failed") {
    super(message);
    this.name = "InterceptionRefusedError";
    this.code = code;
    this.outcome = outcome;
  }
}
