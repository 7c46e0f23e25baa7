import { type CaseState, isTerminal } from "./lifecycle.ts";

/** The order's after-sales status (售后状态), always derived from its cases and refunds. */
export const ORDER_AFTERSALES_STATUSES = {
  none: { zh: "无售后", en: "No after-sales" },
  in_progress: { zh: "退款处理中", en: "In progress" },
  partially_refunded: { zh: "部分退款", en: "Partially refunded" },
  refunded: { zh: "已退款", en: "Refunded" },
  closed: { zh: "售后关闭", en: "Closed" },
  logistics_exception: { zh: "物流异常处理中", en: "Logistics exception in progress" },
} as const;
export type OrderAftersalesStatus = keyof typeof ORDER_AFTERSALES_STATUSES;

/** What the order's status depends on beyond its cases and money; the caller reads it, this stays pure. */
export interface OrderStatusFacts {
  /** A parcel of the order is being intercepted (拦截): requested, awaiting the carrier, or on its way back. */
  openInterception: boolean;
}

export function deriveOrderStatus(
  caseStates: readonly CaseState[],
  refundedTotal: number,
  paidTotal: number,
  facts: OrderStatusFacts,
): OrderAftersalesStatus {
  // A parcel being stopped needs watching above everything else, until the carrier answers and it is back.
  if (facts.openInterception) return "logistics_exception";
  const live = caseStates.filter((s) => s !== "cancelled");
  if (live.some((s) => !isTerminal(s) && s !== "refunded" && s !== "replacement_shipped"))
    return "in_progress";
  if (refundedTotal > 0 && refundedTotal >= paidTotal) return "refunded";
  if (refundedTotal > 0) return "partially_refunded";
  return live.length > 0 ? "closed" : "none";
}
