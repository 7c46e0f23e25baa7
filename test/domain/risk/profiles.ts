import type { RiskProfile } from "../../../src/domain/risk/profile.ts";

export type ProfileOverrides = Partial<Omit<RiskProfile, "customer">> & {
  customer?: Partial<RiskProfile["customer"]>;
};

/**
 * An ordinary customer with some history: a few orders a month, one refund this quarter, asking to
 * return a 129.00 CNY item for a quality problem three days after it arrived, in the evening.
 */
export function cleanProfile(over: ProfileOverrides = {}): RiskProfile {
  const { customer, ...rest } = over;
  return {
    caseType: "return_refund",
    reason: "quality",
    amount: 12_900,
    parcel: "signed",
    minutesSinceSigned: 3 * 24 * 60,
    submittedHour: 20,
    casesOnOrder: 0,
    ...rest,
    customer: {
      refunds: { 30: 0, 90: 1, 365: 2 },
      orders: { 30: 2, 90: 5, 365: 14 },
      refundOnlyAfterDelivery90: 0,
      typicalOrderAmount: 15_900,
      sharedPhone: 0,
      sharedAddress: 0,
      sharedDevice: 0,
      ...customer,
    },
  };
}
