import { defineCondition } from "../condition.ts";

export const caseHasEvidence = defineCondition({
  field: "case.has_evidence",
  type: "boolean",
  label: { zh: "已上传凭证", en: "evidence provided" },
  get: (f) => f.hasEvidence,
});
