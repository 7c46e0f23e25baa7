import type { CaseType, ParcelState, ReasonCode } from "../catalogue.ts";
import type { PerWindow } from "../rules/facts.ts";

/**
 * What risk signals look at for one case: the case itself and the customer's history before it.
 * Gathered by the store as of the case's submission, so a replay sees what the reviewer saw.
 */
export interface RiskProfile {
  caseType: CaseType;
  reason: ReasonCode;
  /** The amount at stake: requested, else quoted (minor units). */
  amount: number;
  parcel: ParcelState;
  /** Minutes between the parcel being signed for and the case (null: not signed). */
  minutesSinceSigned: number | null;
  /** Local hour (0–23) of submission in the merchant's time zone. */
  submittedHour: number;
  /** Earlier cases on the same order. */
  casesOnOrder: number;
  customer: {
    /** Earlier money cases not rejected or cancelled, per window. */
    refunds: PerWindow;
    /** Orders placed, per window. */
    orders: PerWindow;
    /** Earlier refund_only cases opened after the parcel was signed, last 90 days. */
    refundOnlyAfterDelivery90: number;
    /** Median paid total of the customer's earlier orders (null: first order). */
    typicalOrderAmount: number | null;
    /** Other customers sharing this customer's phone, a delivery address, or a device. */
    sharedPhone: number;
    sharedAddress: number;
    sharedDevice: number;
  };
}
