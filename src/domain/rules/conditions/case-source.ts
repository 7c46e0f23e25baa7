import type { CaseSource } from "../../catalogue.ts";
import { defineCondition, labelsOf } from "../condition.ts";

export const CASE_SOURCE_LABELS = labelsOf<CaseSource>({
  platform: { zh: "平台售后", en: "Platform" },
  chat: { zh: "客服聊天", en: "Chat" },
  phone: { zh: "电话", en: "Phone" },
  mini_program: { zh: "小程序", en: "Mini-program" },
  portal: { zh: "自助售后页", en: "Self-service portal" },
  api: { zh: "接口", en: "API" },
  import: { zh: "历史导入", en: "Imported history" },
});

export const caseSource = defineCondition({
  field: "case.source",
  type: "enum",
  label: { zh: "申请来源", en: "source" },
  values: CASE_SOURCE_LABELS,
  get: (f) => f.source,
});
