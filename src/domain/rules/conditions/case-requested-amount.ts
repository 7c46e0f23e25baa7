import { defineCondition } from "../condition.ts";

export const caseRequestedAmount = defineCondition({
  field: "case.requested_amount",
  type: "amount",
  label: { zh: "顾客申请金额", en: "requested amount" },
  nullable: true,
  nullLabel: { zh: "未填写", en: "not stated" },
  get: (f) => f.requestedAmount,
});
