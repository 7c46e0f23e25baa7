import type { RiskSignal } from "../signal.ts";
import { counted } from "../text.ts";

/** 仅退款滥用: another refund-only request from a customer who keeps keeping the goods. */
export const refundOnlyAbuse: RiskSignal = {
  code: "refund_only_abuse",
  label: { zh: "仅退款滥用", en: "Refund-only abuse" },
  defaultWeight: 35,
  test(p, t) {
    const n = p.customer.refundOnlyAfterDelivery90;
    if (p.caseType !== "refund_only" || n < t.refundOnlyAfterDelivery) return null;
    return {
      reason: {
        zh: `再次申请仅退款：近 90 天已有 ${n} 次签收后仅退款（阈值 ${t.refundOnlyAfterDelivery} 次）`,
        en: `Another refund-only request: ${counted(n, "refund-only case")} after delivery in the last 90 days (threshold ${t.refundOnlyAfterDelivery})`,
      },
      data: { refundOnlyAfterDelivery90: n, threshold: t.refundOnlyAfterDelivery },
    };
  },
};
