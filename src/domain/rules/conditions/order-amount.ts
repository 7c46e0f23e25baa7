import { defineCondition } from "../condition.ts";

export const orderAmount = defineCondition({
  field: "order.amount",
  type: "amount",
  label: { zh: "订单实付金额", en: "order amount" },
  get: (f) => f.orderAmount,
});
