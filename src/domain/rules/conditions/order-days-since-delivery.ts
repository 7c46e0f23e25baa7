import { defineCondition } from "../condition.ts";

export const orderDaysSinceDelivery = defineCondition({
  field: "order.days_since_delivery",
  type: "days",
  label: { zh: "签收至今", en: "time since delivery" },
  nullable: true,
  nullLabel: { zh: "未签收", en: "not delivered" },
  get: (f) => f.daysSinceDelivery,
});
