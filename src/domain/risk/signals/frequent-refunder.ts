import type { RiskSignal } from "../signal.ts";
import { counted, joinText, pct, round4, type Text } from "../text.ts";

/** 频繁退款: many refunds recently, or a high share of the customer's orders refunded. */
export const frequentRefunder: RiskSignal = {
  code: "frequent_refunder",
  label: { zh: "频繁退款", en: "Frequent refunder" },
  defaultWeight: 30,
  test(p, t) {
    const { refunds, orders } = p.customer;
    const r30 = refunds[30];
    const r90 = refunds[90];
    const o90 = orders[90];
    const rate = o90 > 0 ? r90 / o90 : 0;
    const parts: Text[] = [];
    if (r30 >= t.refunds30) {
      parts.push({
        zh: `近 30 天已退款 ${r30} 次（阈值 ${t.refunds30} 次）`,
        en: `${counted(r30, "refund")} in the last 30 days (threshold ${t.refunds30})`,
      });
    }
    if (r90 >= t.refunds90) {
      parts.push({
        zh: `近 90 天已退款 ${r90} 次（阈值 ${t.refunds90} 次）`,
        en: `${counted(r90, "refund")} in the last 90 days (threshold ${t.refunds90})`,
      });
    }
    if (o90 > 0 && o90 >= t.refundRateMinOrders && rate >= t.refundRate90) {
      parts.push({
        zh: `近 90 天退款率 ${pct(rate)}（${o90} 单退款 ${r90} 次，阈值 ${pct(t.refundRate90)}）`,
        en: `refund rate ${pct(rate)} over the last 90 days (${counted(r90, "refund")} on ${counted(o90, "order")}, threshold ${pct(t.refundRate90)})`,
      });
    }
    if (parts.length === 0) return null;
    return {
      reason: joinText(parts),
      data: { refunds30: r30, refunds90: r90, orders90: o90, refundRate90: round4(rate) },
    };
  },
};
