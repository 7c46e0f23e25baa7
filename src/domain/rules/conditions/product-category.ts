import { defineCondition } from "../condition.ts";

export const productCategory = defineCondition({
  field: "product.category",
  type: "set",
  label: { zh: "商品类目", en: "product category" },
  get: (f) => f.categories,
});
