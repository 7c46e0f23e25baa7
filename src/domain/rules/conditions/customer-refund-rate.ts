import { defineCondition } from "../condition.ts";

/** Refunds divided by orders within the window (0..1). */
export const customerRefundRate = defineCondition({
  field: "customer.refund_rate",
  type: "ratio",
  label: { zh: "顾客退款率", en: "customer's refund rate" },
  windows: [30, 90, 365],
  defaultWindow: 90,
  get: (f, window) => f.customerRefundRate[window],
});
