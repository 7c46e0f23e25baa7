import { defineCondition } from "../condition.ts";

export const caseTags = defineCondition({
  field: "case.tags",
  type: "set",
  label: { zh: "售后单标签", en: "case tags" },
  get: (f) => f.tags,
});
