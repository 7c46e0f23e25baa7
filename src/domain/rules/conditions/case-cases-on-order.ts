import { defineCondition } from "../condition.ts";

/** Earlier cases on the same order. */
export const caseCasesOnOrder = defineCondition({
  field: "case.cases_on_order",
  type: "number",
  label: { zh: "同订单此前售后次数", en: "earlier cases on the order" },
  get: (f) => f.casesOnOrder,
});
