import { defineCondition } from "../condition.ts";

export const caseWholeOrder = defineCondition({
  field: "case.whole_order",
  type: "boolean",
  label: { zh: "整单售后", en: "whole order" },
  get: (f) => f.wholeOrder,
});
