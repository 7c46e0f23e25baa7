import { formatMinor } from "../../money.ts";
import type { RiskSignal } from "../signal.ts";
import { round4, times } from "../text.ts";

/** 金额异常: far more at stake than the customer usually spends. Never on a first order. */
export const amountUnusual: RiskSignal = {
  code: "amount_unusual",
  label: { zh: "金额异常", en: "Unusual amount" },
  defaultWeight: 15,
  test(p, t, currency) {
    const typical = p.customer.typicalOrderAmount;
    if (typical === null) return null;
    if (p.amount < t.amountMultiple * typical || p.amount < t.amountFloor) return null;
    const money = (minor: number) => `${formatMinor(minor, currency)} ${currency}`;
    const amount = money(p.amount);
    const usual = money(typical);
    const limits = `阈值 ${t.amountMultiple} 倍且不低于 ${money(t.amountFloor)}`;
    const limitsEn = `threshold ${t.amountMultiple}× and at least ${money(t.amountFloor)}`;
    const ratio = typical > 0 ? p.amount / typical : null;
    const reason =
      ratio === null
        ? {
            zh: `涉及金额 ${amount}，而该顾客常规订单金额为 ${usual}（${limits}）`,
            en: `${amount} at stake while this customer's typical order is ${usual} (${limitsEn})`,
          }
        : {
            zh: `涉及金额 ${amount}，为该顾客常规订单金额 ${usual} 的 ${times(ratio)} 倍（${limits}）`,
            en: `${amount} at stake, ${times(ratio)}× this customer's typical order of ${usual} (${limitsEn})`,
          };
    return {
      reason,
      data: {
        amount: p.amount,
        typicalOrderAmount: typical,
        ...(ratio === null ? {} : { multiple: round4(ratio) }),
        currency,
      },
    };
  },
};
