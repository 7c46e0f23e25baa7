/** What an after-sales case can be, why it was opened and where it came from — as data. */

export const CASE_TYPES = ["refund_only", "return_refund", "exchange", "reship"] as const;
export type CaseType = (typeof CASE_TYPES)[number];

export const CASE_SOURCES = ["platform", "chat", "phone", "mini_program", "portal", "api"] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];

/** Who is at fault decides who pays the shipping. */
export type Fault = "seller" | "buyer" | "carrier";

export interface Reason {
  zh: string;
  en: string;
  fault: Fault;
}

export const REASONS = {
  changed_mind: { zh: "七天无理由退换货", en: "Changed mind (7-day no-reason return)", fault: "buyer" },
  quality: { zh: "质量问题", en: "Quality problem", fault: "seller" },
  wrong_item: { zh: "商家发错货", en: "Wrong item sent", fault: "seller" },
  damaged: { zh: "商品破损", en: "Arrived damaged", fault: "seller" },
  not_as_described: { zh: "描述不符", en: "Not as described", fault: "seller" },
  missing_item: { zh: "少件/漏发", en: "Missing item or part", fault: "seller" },
  not_received: { zh: "未收到货", en: "Not received", fault: "seller" },
  logistics_lost: { zh: "物流丢件", en: "Lost in transit", fault: "carrier" },
  logistics_delay: { zh: "物流延误", en: "Delivery delayed", fault: "carrier" },
  spoiled: { zh: "生鲜变质", en: "Spoiled (perishable)", fault: "seller" },
  size_fit: { zh: "尺码不合适", en: "Size or fit", fault: "buyer" },
  other: { zh: "其他", en: "Other", fault: "buyer" },
} as const satisfies Record<string, Reason>;
export type ReasonCode = keyof typeof REASONS;
export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];
