import type {
  CaseSource,
  CaseType,
  CustomerTier,
  ParcelState,
  PolicyCode,
  ReasonCode,
} from "../catalogue.ts";
import type { Channel } from "../order.ts";

/** The windows (in days) over which a customer's history is counted. */
export const WINDOWS = [30, 90, 365] as const;
export type Window = (typeof WINDOWS)[number];
export type PerWindow = Record<Window, number>;

/**
 * Everything rules may look at about one case, as of the moment it is judged. The store gathers
 * these; rules, risk and backtests only read them, so replaying history needs nothing but facts.
 * Amounts are integer minor units in `currency`; durations are fractional days (null: not yet).
 */
export interface CaseFacts {
  caseType: CaseType;
  reason: ReasonCode;
  source: CaseSource;
  shop: string;
  channel: Channel;
  currency: string;
  /** What the customer asked for (null: whatever is due). */
  requestedAmount: number | null;
  /** What the refund quote would pay for the case's items now (the cap). */
  quotedAmount: number;
  /** What the customer paid for the whole order. */
  orderAmount: number;
  itemCount: number;
  /** The case claims every unit of the order. */
  wholeOrder: boolean;
  daysSincePayment: number | null;
  daysSinceShipment: number | null;
  daysSinceDelivery: number | null;
  parcel: ParcelState;
  customerTier: CustomerTier;
  creditScore: number | null;
  /** The customer's earlier money cases (refund_only, return_refund) not rejected or cancelled. */
  customerRefunds: PerWindow;
  /** customerRefunds divided by the customer's orders in the same window (0 when no orders). */
  customerRefundRate: PerWindow;
  customerTags: string[];
  skus: string[];
  categories: string[];
  /** Union of the after-sales policies of the case's SKUs and their categories. */
  policies: PolicyCode[];
  /** Earlier cases on the same order. */
  casesOnOrder: number;
  hasEvidence: boolean;
  /** Local hour (0–23) the case was submitted, in the merchant's time zone. */
  submittedHour: number;
  riskScore: number;
  tags: string[];
}
