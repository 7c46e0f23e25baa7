import { defineCondition } from "../condition.ts";

export const orderDaysSinceShipment = defineCondition({
  field: "order.days_since_shipment",
  type: "days",
  label: { zh: "发货至今", en: "time since shipment" },
  nullable: true,
  nullLabel: { zh: "未发货", en: "not shipped" },
  get: (f) => f.daysSinceShipment,
});
