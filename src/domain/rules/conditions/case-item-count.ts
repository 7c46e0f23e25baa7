import { defineCondition } from "../condition.ts";

export const caseItemCount = defineCondition({
  field: "case.item_count",
  type: "number",
  label: { zh: "售后件数", en: "number of items" },
  get: (f) => f.itemCount,
});
