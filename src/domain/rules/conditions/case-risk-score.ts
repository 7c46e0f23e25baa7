import { defineCondition } from "../condition.ts";

export const caseRiskScore = defineCondition({
  field: "case.risk_score",
  type: "number",
  label: { zh: "风险分", en: "risk score" },
  get: (f) => f.riskScore,
});
