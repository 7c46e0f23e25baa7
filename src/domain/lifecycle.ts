import type { CaseType } from "./catalogue.ts";
import { AppError } from "./errors.ts";

/**
 * The case lifecycle (售后单状态机), declared as data: one transition table per case type.
 * A transition fires when the case is in `from`, the action matches and every guard holds; the
 * first matching row wins, so branching (partial receipt, QC pass/fail) is just two rows.
 */

export const CASE_STATES = {
  requested: { zh: "待审核", en: "Awaiting review", terminal: false },
  approved: { zh: "已同意", en: "Approved", terminal: false },
  awaiting_return: { zh: "待买家退货", en: "Awaiting return", terminal: false },
  return_in_transit: { zh: "买家已寄回", en: "Return in transit", terminal: false },
  partially_received: { zh: "部分收货", en: "Partially received", terminal: false },
  received: { zh: "已收货待质检", en: "Received, awaiting QC", terminal: false },
  inspected: { zh: "质检通过", en: "QC passed", terminal: false },
  inspection_failed: { zh: "质检不通过", en: "QC failed", terminal: false },
  refunding: { zh: "退款中", en: "Refunding", terminal: false },
  refund_failed: { zh: "退款失败", en: "Refund failed", terminal: false },
  refunded: { zh: "已退款", en: "Refunded", terminal: false },
  replacement_shipped: { zh: "已发出换货/补发", en: "Replacement shipped", terminal: false },
  closed: { zh: "已完结", en: "Closed", terminal: true },
  rejected: { zh: "已拒绝", en: "Rejected", terminal: true },
  cancelled: { zh: "已撤销", en: "Cancelled", terminal: true },
} as const;
export type CaseState = keyof typeof CASE_STATES;
export const CASE_STATE_NAMES = Object.keys(CASE_STATES) as CaseState[];

export const ACTIONS = [
  "approve",
  "reject",
  "cancel",
  "ship_return",
  "receive",
  "inspect",
  "grant_refund",
  "refund_succeeded",
  "refund_failed",
  "ship_replacement",
  "close",
  "reopen",
  "revoke",
] as const;
export type Action = (typeof ACTIONS)[number];

/** Facts a guard may look at; the flow gathers them, the machine only judges. */
export interface GuardContext {
  caseQuantity: number;
  receivedQuantity: number; // including this action's quantity
  qcResult?: "pass" | "fail";
  refundAmount?: number;
  carrier?: string;
  trackingNo?: string;
  note?: string;
}

const GUARDS = {
  has_tracking: {
    test: (c: GuardContext) => Boolean(c.carrier && c.trackingNo),
    message: "A carrier and a tracking number are required",
  },
  all_received: {
    test: (c: GuardContext) => c.receivedQuantity >= c.caseQuantity,
    message: "Not every unit has been received",
  },
  some_outstanding: {
    test: (c: GuardContext) => c.receivedQuantity < c.caseQuantity,
    message: "Every unit has been received",
  },
  qc_pass: { test: (c: GuardContext) => c.qcResult === "pass", message: "QC did not pass" },
  qc_fail: { test: (c: GuardContext) => c.qcResult === "fail", message: "QC did not fail" },
  positive_refund: {
    test: (c: GuardContext) => (c.refundAmount ?? 0) > 0,
    message: "Nothing is left to refund",
  },
  has_note: { test: (c: GuardContext) => Boolean(c.note?.trim()), message: "A reason is required" },
} as const;
export type GuardName = keyof typeof GUARDS;

export interface Transition {
  from: readonly CaseState[];
  action: Action;
  to: CaseState;
  guards?: readonly GuardName[];
}

const REVIEW: Transition[] = [
  { from: ["requested"], action: "reject", to: "rejected", guards: ["has_note"] },
  // A person overriding a rule's rejection: the one way out of a terminal state (see OVERRIDE_EXITS).
  { from: ["rejected"], action: "reopen", to: "requested", guards: ["has_note"] },
  { from: ["requested", "approved", "awaiting_return"], action: "cancel", to: "cancelled" },
];
const RETURN_LEG: Transition[] = [
  { from: ["requested"], action: "approve", to: "awaiting_return" },
  { from: ["awaiting_return"], action: "revoke", to: "requested", guards: ["has_note"] },
  { from: ["awaiting_return"], action: "ship_return", to: "return_in_transit", guards: ["has_tracking"] },
  {
    from: ["awaiting_return", "return_in_transit", "partially_received"],
    action: "receive",
    to: "received",
    guards: ["all_received"],
  },
  {
    from: ["awaiting_return", "return_in_transit", "partially_received"],
    action: "receive",
    to: "partially_received",
    guards: ["some_outstanding"],
  },
  { from: ["received"], action: "inspect", to: "inspected", guards: ["qc_pass"] },
  { from: ["received"], action: "inspect", to: "inspection_failed", guards: ["qc_fail"] },
];
const MONEY_LEG = (grantFrom: CaseState[]): Transition[] => [
  {
    from: [...grantFrom, "refund_failed"],
    action: "grant_refund",
    to: "refunding",
    guards: ["positive_refund"],
  },
  { from: ["refunding"], action: "refund_succeeded", to: "refunded" },
  { from: ["refunding"], action: "refund_failed", to: "refund_failed" },
  { from: ["refunded"], action: "close", to: "closed" },
];
const REPLACEMENT_LEG = (from: CaseState[]): Transition[] => [
  { from, action: "ship_replacement", to: "replacement_shipped", guards: ["has_tracking"] },
  { from: ["replacement_shipped"], action: "close", to: "closed" },
];

export const MACHINES: Record<CaseType, readonly Transition[]> = {
  refund_only: [
    ...REVIEW,
    { from: ["requested"], action: "approve", to: "approved" },
    { from: ["approved"], action: "revoke", to: "requested", guards: ["has_note"] },
    ...MONEY_LEG(["approved"]),
  ],
  return_refund: [
    ...REVIEW,
    ...RETURN_LEG,
    { from: ["inspection_failed"], action: "reject", to: "rejected", guards: ["has_note"] },
    ...MONEY_LEG(["inspected", "inspection_failed"]),
  ],
  exchange: [
    ...REVIEW,
    ...RETURN_LEG,
    { from: ["inspection_failed"], action: "reject", to: "rejected", guards: ["has_note"] },
    ...REPLACEMENT_LEG(["inspected"]),
  ],
  reship: [
    ...REVIEW,
    { from: ["requested"], action: "approve", to: "approved" },
    { from: ["approved"], action: "revoke", to: "requested", guards: ["has_note"] },
    ...REPLACEMENT_LEG(["approved"]),
  ],
};

/** Actions that make sense from a state (for UIs and error messages), ignoring guards. */
export const availableActions = (type: CaseType, state: CaseState): Action[] => [
  ...new Set(MACHINES[type].filter((t) => t.from.includes(state)).map((t) => t.action)),
];

/** The rows `action` may take from `state`; none is INVALID_TRANSITION, whatever the guards would say. */
export function transitionsFor(type: CaseType, state: CaseState, action: Action): Transition[] {
  const candidates = MACHINES[type].filter((t) => t.action === action && t.from.includes(state));
  if (candidates.length === 0) {
    throw new AppError("INVALID_TRANSITION", `A ${type} case that is ${state} cannot ${action}`, {
      state,
      action,
      allowed: availableActions(type, state),
    });
  }
  return candidates;
}

/** Decide where `action` takes a case, or throw INVALID_TRANSITION / GUARD_FAILED explaining why not. */
export function nextState(type: CaseType, state: CaseState, action: Action, ctx: GuardContext): CaseState {
  const candidates = transitionsFor(type, state, action);
  let firstFailure: GuardName | undefined;
  for (const t of candidates) {
    const failed = (t.guards ?? []).find((g) => !GUARDS[g].test(ctx));
    if (!failed) return t.to;
    firstFailure ??= failed;
  }
  const guard = firstFailure as GuardName;
  throw new AppError("GUARD_FAILED", GUARDS[guard].message, { state, action, guard });
}

export const isTerminal = (s: CaseState): boolean => CASE_STATES[s].terminal;

/**
 * Overrides of automatic decisions: `reopen` undoes a rule's rejection, `revoke` a rule's approval
 * before anything moved. Only the override flow fires them, and only against a rule's decision —
 * which is why `reopen` may leave the terminal `rejected`.
 */
export const OVERRIDE_EXITS: readonly Action[] = ["reopen", "revoke"];

/** Cases in these states no longer hold any quantity of the order. */
export const RELEASES_QUANTITY: readonly CaseState[] = ["rejected", "cancelled"];

/** Every state a case of `type` can be in, in the order the machine first reaches them. */
export function reachableStates(type: CaseType): CaseState[] {
  const seen: CaseState[] = ["requested"];
  for (let i = 0; i < seen.length; i++) {
    for (const t of MACHINES[type])
      if (t.from.includes(seen[i] as CaseState) && !seen.includes(t.to)) seen.push(t.to);
  }
  return seen;
}
