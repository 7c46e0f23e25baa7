import { defineCondition } from "../condition.ts";

/** Local hour (0–23) in the merchant's time zone. */
export const caseSubmittedHour = defineCondition({
  field: "case.submitted_hour",
  type: "number",
  label: { zh: "申请时刻（时）", en: "hour submitted" },
  get: (f) => f.submittedHour,
});
