import { REASONS } from "../../catalogue.ts";
import { defineCondition } from "../condition.ts";

export const caseReason = defineCondition({
  field: "case.reason",
  type: "enum",
  label: { zh: "售后原因", en: "reason" },
  values: REASONS,
  equalsReadsAsValue: true,
  get: (f) => f.reason,
});
