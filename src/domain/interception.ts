import type { CaseType, ReasonCode, SolutionCode } from "./catalogue.ts";
import type { CaseState } from "./lifecycle.ts";
import type { LogisticsStatus } from "./order.ts";

/**
 * Parcel interception (快递拦截) and cancel-before-shipping (取消发货), as data: when a case asks for
 * one, what each status means, where a status may go, and what the customer is offered when the
 * carrier could not stop the parcel.
 */

export const INTERCEPTION_METHODS = ["carrier", "warehouse_cancel"] as const;
export type InterceptionMethod = (typeof INTERCEPTION_METHODS)[number];

/** `open`: the order shows 物流异常处理中 and the case's refund waits. */
export const INTERCEPTION_STATUSES = {
  requested: { zh: "待发起拦截", en: "To be requested", open: true },
  pending: { zh: "拦截中", en: "Awaiting the carrier", open: true },
  intercepted: { zh: "拦截成功，退回中", en: "Intercepted, on its way back", open: true },
  returned: { zh: "已退回商家", en: "Back with the merchant", open: false },
  failed: { zh: "拦截失败", en: "Interception failed", open: false },
  too_late: { zh: "来不及拦截", en: "Too late to intercept", open: false },
  // Warehouse rows: nothing has left, so nothing is in the way of the refund or the order.
  cancel_requested: { zh: "待通知仓库取消发货", en: "Warehouse to be told to cancel", open: false },
  instructed: { zh: "已通知仓库取消发货", en: "Warehouse told to cancel", open: false },
} as const;
export type InterceptionStatus = keyof typeof INTERCEPTION_STATUSES;

/** Statuses during which the order shows 物流异常处理中 and the case's refund waits. */
export const OPEN_INTERCEPTION_STATUSES = (Object.keys(INTERCEPTION_STATUSES) as InterceptionStatus[]).filter(
  (s) => INTERCEPTION_STATUSES[s].open,
);

export const isOpenInterception = (s: string | null | undefined): boolean =>
  s != null && OPEN_INTERCEPTION_STATUSES.includes(s as InterceptionStatus);

/**
 * Where each status may go. Carrier rows start `requested`, warehouse rows `cancel_requested`. A
 * parcel seen back with the sender settles any open interception.
 */
export const INTERCEPTION_TRANSITIONS: Record<InterceptionStatus, readonly InterceptionStatus[]> = {
  requested: ["pending", "intercepted", "failed", "too_late", "returned"],
  pending: ["intercepted", "failed", "too_late", "returned"],
  intercepted: ["returned"],
  returned: [],
  failed: [],
  too_late: [],
  cancel_requested: ["instructed"],
  instructed: [],
};

export const canMoveInterception = (from: string, to: InterceptionStatus): boolean =>
  (INTERCEPTION_TRANSITIONS[from as InterceptionStatus] ?? []).includes(to);

/** What a carrier says about an interception it was asked for. */
export type CarrierInterceptionOutcome = "pending" | "intercepted" | "failed" | "too_late";

/** Reasons that are the carrier's problem: the parcel is worth stopping while the case is still open. */
const CARRIER_REASONS: readonly ReasonCode[] = ["logistics_lost", "logistics_delay"];

/**
 * When a case asks for an interception, as rows: the first row whose case types, case states, reasons
 * (any when absent) and parcel states match decides the method. A refund_only case whose refund is
 * decided (approved or later) stops a parcel in transit; a lost or late parcel is worth stopping as
 * soon as the case is open; before anything shipped, the warehouse is told not to ship.
 */
export interface InterceptionTrigger {
  id: string;
  types: readonly CaseType[];
  states: readonly CaseState[];
  reasons?: readonly ReasonCode[];
  /** The outbound parcel's status; "none" is an order with no outbound parcel at all. */
  parcel: readonly (LogisticsStatus | "none")[];
  method: InterceptionMethod;
}

const REFUND_DECIDED: readonly CaseState[] = ["approved", "refunding", "refund_failed", "refunded"];

export const INTERCEPTION_TRIGGERS: readonly InterceptionTrigger[] = [
  {
    id: "carrier-problem",
    types: ["refund_only", "reship"],
    states: ["requested", "approved"],
    reasons: CARRIER_REASONS,
    parcel: ["shipped", "in_transit", "exception"],
    method: "carrier",
  },
  {
    id: "refund-while-in-transit",
    types: ["refund_only"],
    states: REFUND_DECIDED,
    parcel: ["shipped", "in_transit"],
    method: "carrier",
  },
  {
    id: "refund-before-shipping",
    types: ["refund_only"],
    states: REFUND_DECIDED,
    parcel: ["unshipped", "none"],
    method: "warehouse_cancel",
  },
];

export interface InterceptionCandidate {
  type: CaseType;
  status: CaseState;
  reason: ReasonCode;
  /** The order's outbound parcels, newest first. */
  parcels: readonly { carrier: string; trackingNo: string; status: LogisticsStatus }[];
}

export type InterceptionPlan =
  | { trigger: string; method: "carrier"; carrier: string; trackingNo: string }
  | { trigger: string; method: "warehouse_cancel" };

/** The interception a case asks for now, or null. Carrier rows look at the newest matching parcel. */
export function planInterception(c: InterceptionCandidate): InterceptionPlan | null {
  for (const t of INTERCEPTION_TRIGGERS) {
    if (!t.types.includes(c.type) || !t.states.includes(c.status)) continue;
    if (t.reasons && !t.reasons.includes(c.reason)) continue;
    if (t.method === "warehouse_cancel") {
      // Only when nothing at all has left: one parcel on its way is the carrier's business.
      const unshipped = c.parcels.length === 0 ? ["none" as const] : c.parcels.map((p) => p.status);
      if (unshipped.every((s) => t.parcel.includes(s))) return { trigger: t.id, method: "warehouse_cancel" };
      continue;
    }
    const parcel = c.parcels.find((p) => t.parcel.includes(p.status));
    if (parcel)
      return { trigger: t.id, method: "carrier", carrier: parcel.carrier, trackingNo: parcel.trackingNo };
  }
  return null;
}

/** Case states the triggers can fire from: what a sweep looks for. */
export const TRIGGER_STATES: readonly CaseState[] = [
  ...new Set(INTERCEPTION_TRIGGERS.flatMap((t) => t.states)),
];
export const TRIGGER_TYPES: readonly CaseType[] = [...new Set(INTERCEPTION_TRIGGERS.flatMap((t) => t.types))];

/**
 * What the customer is offered when the carrier could not stop the parcel (拦截失败/来不及): a
 * refund_only case has no return leg, so the offer goes on the case's timeline and recommendation
 * and a person carries it out. A lost or late parcel: reship or refund, the customer's choice. Any
 * other reason: the parcel reaches the buyer, who refuses it or sends it back before the refund.
 */
export interface InterceptionOffer {
  solution: SolutionCode;
  why: { zh: string; en: string };
}

export function offerAfterFailedInterception(
  reason: ReasonCode,
  outcome: "failed" | "too_late",
): InterceptionOffer {
  const what =
    outcome === "too_late"
      ? { zh: "包裹已在派送或已签收，来不及拦截", en: "The parcel was already out for delivery or delivered" }
      : { zh: "快递公司未能拦截包裹", en: "The carrier could not stop the parcel" };
  if (CARRIER_REASONS.includes(reason)) {
    return {
      solution: "reship_or_refund",
      why: {
        zh: `${what.zh}：请顾客选择补发或退款；包裹若送到，请顾客拒收或寄回`,
        en: `${what.en}: offer the customer a reship or a refund; if the parcel arrives, they refuse it or send it back`,
      },
    };
  }
  return {
    solution: "return_then_refund",
    why: {
      zh: `${what.zh}：包裹将送到顾客手中，请顾客拒收或签收后寄回，退货到仓后退款（或改为补发）`,
      en: `${what.en}: it will reach the customer, who refuses it or sends it back; refund once it is back (or reship instead)`,
    },
  };
}

/** Why a refund must wait: the parcel it is for is being stopped and has not come back yet. */
export function refundHold(interceptionStatus: string | null | undefined): string | null {
  if (!isOpenInterception(interceptionStatus)) return null;
  return interceptionStatus === "intercepted"
    ? "The parcel was intercepted and is on its way back; the refund goes out once it is back"
    : "The parcel is being intercepted; the refund goes out once the carrier has stopped it and it is back";
}
