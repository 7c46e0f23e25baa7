import { defineCondition } from "../condition.ts";

/** What the refund quote would pay for the case's items now. */
export const caseQuotedAmount = defineCondition({
  field: "case.quoted_amount",
  type: "amount",
  label: { zh: "退款金额", en: "quoted amount" },
  get: (f) => f.quotedAmount,
});
