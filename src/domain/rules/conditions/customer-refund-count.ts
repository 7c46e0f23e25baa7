import { defineCondition } from "../condition.ts";

/** The customer's earlier money cases not rejected or cancelled, within the window. */
export const customerRefundCount = defineCondition({
  field: "customer.refund_count",
  type: "number",
  label: { zh: "顾客退款次数", en: "customer's refunds" },
  windows: [30, 90, 365],
  defaultWindow: 90,
  get: (f, window) => f.customerRefunds[window],
});
