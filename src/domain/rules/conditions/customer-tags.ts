import { defineCondition } from "../condition.ts";

export const customerTags = defineCondition({
  field: "customer.tags",
  type: "set",
  label: { zh: "顾客标签", en: "customer tags" },
  get: (f) => f.customerTags,
});
