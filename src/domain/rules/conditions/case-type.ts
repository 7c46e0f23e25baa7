import type { CaseType } from "../../catalogue.ts";
import { defineCondition, labelsOf } from "../condition.ts";

export const CASE_TYPE_LABELS = labelsOf<CaseType>({
  refund_only: { zh: "仅退款", en: "Refund only" },
  return_refund: { zh: "退货退款", en: "Return and refund" },
  exchange: { zh: "换货", en: "Exchange" },
  reship: { zh: "补发", en: "Reship" },
});

export const caseType = defineCondition({
  field: "case.type",
  type: "enum",
  label: { zh: "售后类型", en: "case type" },
  values: CASE_TYPE_LABELS,
  equalsReadsAsValue: true,
  get: (f) => f.caseType,
});
