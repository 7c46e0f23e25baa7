import type { CaseFacts, PerWindow } from "../../../src/domain/rules/facts.ts";

/**
 * A plain, unremarkable case — a ¥12.50 refund_only for a quality problem on a delivered Taobao
 * order by a regular customer with no history — so each test states only what matters to it.
 */
export const BASE_FACTS: Readonly<CaseFacts> = Object.freeze({
  caseType: "refund_only",
  reason: "quality",
  source: "platform",
  shop: "shop-1",
  channel: "taobao",
  currency: "CNY",
  requestedAmount: null,
  quotedAmount: 1250,
  orderAmount: 5000,
  itemCount: 1,
  wholeOrder: false,
  daysSincePayment: 5,
  daysSinceShipment: 4,
  daysSinceDelivery: 2,
  parcel: "signed",
  customerTier: "normal",
  creditScore: 600,
  customerRefunds: { 30: 0, 90: 0, 365: 0 },
  customerRefundRate: { 30: 0, 90: 0, 365: 0 },
  customerTags: [],
  skus: ["SKU-1"],
  categories: ["apparel"],
  policies: [],
  casesOnOrder: 0,
  hasEvidence: true,
  submittedHour: 14,
  riskScore: 10,
  tags: [],
});

/** A fresh facts object: the base case with `over` applied. */
export const facts = (over: Partial<CaseFacts> = {}): CaseFacts => ({
  ...BASE_FACTS,
  customerRefunds: { ...BASE_FACTS.customerRefunds },
  customerRefundRate: { ...BASE_FACTS.customerRefundRate },
  customerTags: [...BASE_FACTS.customerTags],
  skus: [...BASE_FACTS.skus],
  categories: [...BASE_FACTS.categories],
  policies: [...BASE_FACTS.policies],
  tags: [...BASE_FACTS.tags],
  ...over,
});

/** Counts per window, e.g. `perWindow(1, 3, 8)` for 30, 90 and 365 days. */
export const perWindow = (d30: number, d90: number, d365: number): PerWindow => ({
  30: d30,
  90: d90,
  365: d365,
});
