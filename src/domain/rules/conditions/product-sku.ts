import { defineCondition } from "../condition.ts";

export const productSku = defineCondition({
  field: "product.sku",
  type: "set",
  label: { zh: "商品 SKU", en: "SKU" },
  get: (f) => f.skus,
});
