import type { CustomerTier } from "../../catalogue.ts";
import { defineCondition, labelsOf } from "../condition.ts";

export const CUSTOMER_TIER_LABELS = labelsOf<CustomerTier>({
  normal: { zh: "普通会员", en: "Regular" },
  vip: { zh: "VIP 会员", en: "VIP" },
});

export const customerTier = defineCondition({
  field: "customer.tier",
  type: "enum",
  label: { zh: "会员等级", en: "customer tier" },
  values: CUSTOMER_TIER_LABELS,
  equalsReadsAsValue: true,
  get: (f) => f.customerTier,
});
