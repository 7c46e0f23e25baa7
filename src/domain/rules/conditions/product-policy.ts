import { POLICIES } from "../../catalogue.ts";
import { defineCondition } from "../condition.ts";

/** The after-sales policies of the case's SKUs and their categories. */
export const productPolicy = defineCondition({
  field: "product.policy",
  type: "set",
  label: { zh: "商品售后政策", en: "product policy" },
  values: POLICIES,
  get: (f) => f.policies,
});
