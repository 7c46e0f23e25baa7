import { randomBytes } from "node:crypto";
import {
  type CarrierInterceptionStatus,
  type CarrierInterceptor,
  InterceptionRefusedError,
} from "../interception.ts";

/**
 * A simulated carrier interception desk. A request is taken at once and answered later: it stays
 * pending until a test settles it, or — when `decideAfterMs` is set — until that long has passed,
 * when it takes the default outcome. Requests are idempotent per parcel, as CarrierInterceptor
 * requires. Faults: the next requests can fail in transit (the caller retries) or be refused.
 */

export interface SimInterceptionRequest {
  requestId: string;
  carrier: string;
  trackingNo: string;
  reason: string;
  status: CarrierInterceptionStatus;
  requestedAt: number;
  settledAt: number | null;
}

export interface InterceptionSimulatorFaults {
  /** The next n requests throw as if the connection dropped (nothing recorded). */
  failNext: number;
  /** The next n requests are refused outright (InterceptionRefusedError, outcome failed). */
  refuseNext: number;
  /** The next n status checks throw as if the connection dropped. */
  failStatusNext: number;
}

export interface InterceptionSimulatorOptions {
  /** Settle pending requests automatically this long after they were made; absent: only when told. */
  decideAfterMs?: number;
  /** The outcome automatic settling gives (default intercepted). */
  outcome?: Exclude<CarrierInterceptionStatus, "pending">;
  /** The simulator's clock in ms (default Date.now). */
  now?: () => number;
  /** Called once when a request settles — e.g. to send a simulated parcel back. */
  onSettled?: (r: SimInterceptionRequest) => void;
}

export interface InterceptionSimulator {
  interceptor: CarrierInterceptor;
  requests(): SimInterceptionRequest[];
  /** Give a request (by request id or tracking number) its outcome. */
  settle(
    idOrTrackingNo: string,
    outcome: Exclude<CarrierInterceptionStatus, "pending">,
  ): SimInterceptionRequest;
  faults(patch?: Partial<InterceptionSimulatorFaults>): InterceptionSimulatorFaults;
}

export function createInterceptionSimulator(opts: InterceptionSimulatorOptions = {}): InterceptionSimulator {
  const now = opts.now ?? Date.now;
  const byId = new Map<string, SimInterceptionRequest>();
  const byParcel = new Map<string, SimInterceptionRequest>();
  const faults: InterceptionSimulatorFaults = { failNext: 0, refuseNext: 0, failStatusNext: 0 };

  const settle = (r: SimInterceptionRequest, outcome: Exclude<CarrierInterceptionStatus, "pending">) => {
    if (r.status !== "pending") return r;
    r.status = outcome;
    r.settledAt = now();
    opts.onSettled?.({ ...r });
    return r;
  };
  // Lazily settled, whenever someone looks.
  const current = (r: SimInterceptionRequest) => {
    if (
      r.status === "pending" &&
      opts.decideAfterMs !== undefined &&
      now() - r.requestedAt >= opts.decideAfterMs
    )
      settle(r, opts.outcome ?? "intercepted");
    return r;
  };

  const interceptor: CarrierInterceptor = {
    async request(carrier, trackingNo, reason) {
      if (faults.failNext > 0) {
        faults.failNext--;
        throw new Error("simulated carrier: connection reset");
      }
      const key = `${carrier}\u0000${trackingNo}`;
      const existing = byParcel.get(key);
      if (existing) return { requestId: existing.requestId };
      if (faults.refuseNext > 0) {
        faults.refuseNext--;
        throw new InterceptionRefusedError(
          "NOT_INTERCEPTABLE",
          "simulated carrier: this parcel cannot be intercepted",
        );
      }
      const r: SimInterceptionRequest = {
        requestId: `sim-int-${randomBytes(6).toString("hex")}`,
        carrier,
        trackingNo,
        reason,
        status: "pending",
        requestedAt: now(),
        settledAt: null,
      };
      byId.set(r.requestId, r);
      byParcel.set(key, r);
      return { requestId: r.requestId };
    },
    async status(requestId) {
      if (faults.failStatusNext > 0) {
        faults.failStatusNext--;
        throw new Error("simulated carrier: connection reset");
      }
      const r = byId.get(requestId);
      if (!r) throw new InterceptionRefusedError("UNKNOWN_REQUEST", `no interception request ${requestId}`);
      return current(r).status;
    },
  };

  return {
    interceptor,
    requests: () => [...byId.values()].map((r) => ({ ...current(r) })),
    settle(idOrTrackingNo, outcome) {
      const r = byId.get(idOrTrackingNo) ?? [...byId.values()].find((x) => x.trackingNo === idOrTrackingNo);
      if (!r) throw new Error(`no interception request for ${idOrTrackingNo}`);
      return { ...settle(r, outcome) };
    },
    faults(patch = {}) {
      for (const [k, v] of Object.entries(patch)) {
        if (!(k in faults)) throw new Error(`unknown fault "${k}"`);
        if (!Number.isSafeInteger(v) || (v as number) < 0)
          throw new Error(`fault "${k}" must be a non-negative integer`);
      }
      Object.assign(faults, patch);
      return { ...faults };
    },
  };
}
