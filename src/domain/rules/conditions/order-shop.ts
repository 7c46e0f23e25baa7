import { defineCondition } from "../condition.ts";

export const orderShop = defineCondition({
  field: "order.shop",
  type: "string",
  label: { zh: "店铺", en: "shop" },
  get: (f) => f.shop,
});
