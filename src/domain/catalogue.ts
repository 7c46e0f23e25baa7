/** What an after-sales case can be, why it was opened and where it came from — as data. */

export const CASE_TYPES = ["refund_only", "return_refund", "exchange", "reship"] as const;
export type CaseType = (typeof CASE_TYPES)[number];

export const CASE_SOURCES = ["platform", "chat", "phone", "mini_program", "portal", "api", "import"] as const;
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

/** A product's after-sales policy flags (售后政策), set per SKU or per category by the merchant. */
export const POLICIES = {
  no_7day_return: { zh: "不支持七天无理由", en: "No 7-day no-reason return" },
  fresh: { zh: "生鲜/易腐", en: "Fresh or perishable" },
  cross_border: { zh: "跨境商品", en: "Cross-border" },
  customised: { zh: "定制商品", en: "Customised" },
} as const;
export type PolicyCode = keyof typeof POLICIES;
export const POLICY_CODES = Object.keys(POLICIES) as PolicyCode[];

/** Customer tiers (会员等级); VIPs get the fast lane. */
export const CUSTOMER_TIERS = ["normal", "vip"] as const;
export type CustomerTier = (typeof CUSTOMER_TIERS)[number];

/** Where the parcel stands, coarsely, as rules and reviewers speak of it. */
export const PARCEL_STATES = {
  unshipped: { zh: "未发货", en: "Not shipped" },
  in_transit: { zh: "运输中", en: "In transit" },
  signed: { zh: "已签收", en: "Signed for" },
  exception: { zh: "物流异常", en: "Logistics exception" },
} as const;
export type ParcelState = keyof typeof PARCEL_STATES;

/** What we can offer the customer (处理方案); recommendations name one of these. */
export const SOLUTIONS = {
  full_refund: { zh: "全额退款", en: "Full refund" },
  return_then_refund: { zh: "退货后退款", en: "Refund after the goods come back" },
  refund_without_return: { zh: "仅退款（无需退货）", en: "Refund without return" },
  partial_refund_without_return: { zh: "部分退款（无需退货）", en: "Partial refund without return" },
  compensation_coupon: {
    zh: "补偿优惠券并延长售后期",
    en: "Compensation coupon and an extended after-sales window",
  },
  reship_or_refund: { zh: "补发或退款（由顾客选择）", en: "Reship or refund (customer's choice)" },
  exchange_or_reship: { zh: "换货或补发", en: "Exchange or reship" },
  reject: { zh: "拒绝", en: "Decline" },
} as const;
export type SolutionCode = keyof typeof SOLUTIONS;
export const SOLUTION_CODES = Object.keys(SOLUTIONS) as SolutionCode[];
