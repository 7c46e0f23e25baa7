import { defineCondition } from "../condition.ts";

export const orderDaysSincePayment = defineCondition({
  field: "order.days_since_payment",
  type: "days",
  label: { zh: "付款至今", en: "time since payment" },
  nullable: true,
  nullLabel: { zh: "未付款", en: "not paid" },
  get: (f) => f.daysSincePayment,
});
