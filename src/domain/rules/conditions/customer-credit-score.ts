import { defineCondition } from "../condition.ts";

export const customerCreditScore = defineCondition({
  field: "customer.credit_score",
  type: "number",
  label: { zh: "信用分", en: "credit score" },
  nullable: true,
  nullLabel: { zh: "未知", en: "unknown" },
  get: (f) => f.creditScore,
});
