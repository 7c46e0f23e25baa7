import type { RiskSignal } from "../signal.ts";
import { counted } from "../text.ts";

/** 同一订单重复售后: yet another case on an order that has had several already. */
export const repeatedOnOrder: RiskSignal = {
  code: "repeated_on_order",
  label: { zh: "同一订单重复售后", en: "Repeated cases on one order" },
  defaultWeight: 15,
  test(p, t) {
    const n = p.casesOnOrder;
    if (n < t.casesOnOrder) return null;
    return {
      reason: {
        zh: `该订单此前已有 ${n} 个售后单（阈值 ${t.casesOnOrder} 个）`,
        en: `${counted(n, "earlier case")} on this order (threshold ${t.casesOnOrder})`,
      },
      data: { casesOnOrder: n, threshold: t.casesOnOrder },
    };
  },
};
