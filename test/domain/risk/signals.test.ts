import { describe, expect, it } from "vitest";
import { assessRisk, type RiskAssessment } from "../../../src/domain/risk/assess.ts";
import { SIGNAL_CODES, SIGNALS } from "../../../src/domain/risk/signals/index.ts";
import { DEFAULT_RISK_THRESHOLDS } from "../../../src/domain/risk/thresholds.ts";
import { cleanProfile, type ProfileOverrides } from "./profiles.ts";

const codes = (a: RiskAssessment) => a.signals.map((s) => s.code);

/** Assess a planted pattern and hand back the one signal it must raise — and nothing else. */
function only(code: string, over: ProfileOverrides, currency = "CNY") {
  const a = assessRisk(cleanProfile(over), DEFAULT_RISK_THRESHOLDS, currency);
  expect(codes(a)).toEqual([code]);
  const hit = a.signals[0];
  if (!hit) throw new Error("unreachable");
  expect(hit.weight).toBe(DEFAULT_RISK_THRESHOLDS.weights[code]);
  expect(a.score).toBe(hit.weight);
  return hit;
}

const quiet = (over: ProfileOverrides) => expect(codes(assessRisk(cleanProfile(over)))).toEqual([]);

describe("the signal registry", () => {
  it("has unique snake_case codes, bilingual labels and default weights from 0 to 100", () => {
    expect(new Set(SIGNAL_CODES).size).toBe(SIGNALS.length);
    expect(SIGNAL_CODES).toEqual([
      "frequent_refunder",
      "refund_only_abuse",
      "amount_unusual",
      "not_received_but_signed",
      "refund_after_signing",
      "shared_identity",
      "unusual_hour",
      "repeated_on_order",
    ]);
    for (const s of SIGNALS) {
      expect(s.code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(s.label.zh).not.toBe("");
      expect(s.label.en).not.toBe("");
      expect(Number.isInteger(s.defaultWeight) && s.defaultWeight >= 0 && s.defaultWeight <= 100).toBe(true);
      expect(DEFAULT_RISK_THRESHOLDS.weights[s.code]).toBe(s.defaultWeight);
    }
  });
});

describe("clean customers raise no alarm", () => {
  const variants: [string, ProfileOverrides][] = [
    ["an ordinary customer with some history", {}],
    [
      "a first-time buyer",
      {
        customer: {
          refunds: { 30: 0, 90: 0, 365: 0 },
          orders: { 30: 1, 90: 1, 365: 1 },
          typicalOrderAmount: null,
        },
        amount: 89_900,
      },
    ],
    [
      "a loyal customer with many orders and one refund",
      {
        customer: {
          refunds: { 30: 1, 90: 1, 365: 1 },
          orders: { 30: 8, 90: 25, 365: 120 },
          typicalOrderAmount: 30_000,
        },
      },
    ],
    ["a family sharing an address with one other account", { customer: { sharedAddress: 1 } }],
    ["a case at 14:00", { submittedHour: 14 }],
    [
      "a refund-only case for a parcel still in transit",
      { caseType: "refund_only", parcel: "in_transit", minutesSinceSigned: null },
    ],
    ["an exchange asked for right after signing", { caseType: "exchange", minutesSinceSigned: 5 }],
  ];
  it.each(variants)("%s", (_name, over) => {
    const a = assessRisk(cleanProfile(over));
    expect(a).toEqual({ score: 0, level: "low", signals: [] });
  });
});

describe("frequent_refunder", () => {
  it("fires on refunds in the last 30 days, naming the count and the threshold", () => {
    const hit = only("frequent_refunder", {
      customer: { refunds: { 30: 4, 90: 4, 365: 6 }, orders: { 30: 5, 90: 12, 365: 20 } },
    });
    expect(hit.reason).toEqual({
      zh: "近 30 天已退款 4 次（阈值 3 次）",
      en: "4 refunds in the last 30 days (threshold 3)",
    });
    expect(hit.label).toEqual({ zh: "频繁退款", en: "Frequent refunder" });
    expect(hit.data).toMatchObject({ refunds30: 4, refunds90: 4, orders90: 12 });
  });

  it("fires on refunds in the last 90 days", () => {
    const hit = only("frequent_refunder", {
      customer: { refunds: { 30: 1, 90: 5, 365: 5 }, orders: { 30: 4, 90: 20, 365: 30 } },
    });
    expect(hit.reason).toEqual({
      zh: "近 90 天已退款 5 次（阈值 5 次）",
      en: "5 refunds in the last 90 days (threshold 5)",
    });
  });

  it("fires on the 90-day refund rate once there are enough orders", () => {
    const hit = only("frequent_refunder", {
      customer: { refunds: { 30: 1, 90: 2, 365: 2 }, orders: { 30: 2, 90: 4, 365: 4 } },
    });
    expect(hit.reason).toEqual({
      zh: "近 90 天退款率 50.0%（4 单退款 2 次，阈值 50.0%）",
      en: "Refund rate 50.0% over the last 90 days (2 refunds on 4 orders, threshold 50.0%)",
    });
    expect(hit.data.refundRate90).toBe(0.5);
  });

  it("names every finding when several hold", () => {
    const hit = only("frequent_refunder", {
      customer: { refunds: { 30: 3, 90: 6, 365: 6 }, orders: { 30: 3, 90: 8, 365: 8 } },
    });
    expect(hit.reason.zh).toBe(
      "近 30 天已退款 3 次（阈值 3 次）；近 90 天已退款 6 次（阈值 5 次）；近 90 天退款率 75.0%（8 单退款 6 次，阈值 50.0%）",
    );
    expect(hit.reason.en).toBe(
      "3 refunds in the last 30 days (threshold 3); 6 refunds in the last 90 days (threshold 5); refund rate 75.0% over the last 90 days (6 refunds on 8 orders, threshold 50.0%)",
    );
  });

  it("stays quiet just below each threshold", () => {
    quiet({ customer: { refunds: { 30: 2, 90: 4, 365: 9 }, orders: { 30: 5, 90: 20, 365: 40 } } });
    // rate 4/9 = 44% < 50%
    quiet({ customer: { refunds: { 30: 2, 90: 4, 365: 4 }, orders: { 30: 4, 90: 9, 365: 9 } } });
    // 2 of 3 orders refunded, but 3 orders are too few to call it a rate
    quiet({ customer: { refunds: { 30: 2, 90: 2, 365: 2 }, orders: { 30: 3, 90: 3, 365: 3 } } });
  });
});

describe("refund_only_abuse", () => {
  it("fires on a refund-only case from a customer with earlier refund-only cases after delivery", () => {
    const hit = only("refund_only_abuse", {
      caseType: "refund_only",
      customer: { refundOnlyAfterDelivery90: 2 },
    });
    expect(hit.reason).toEqual({
      zh: "再次申请仅退款：近 90 天已有 2 次签收后仅退款（阈值 2 次）",
      en: "Another refund-only request: 2 refund-only cases after delivery in the last 90 days (threshold 2)",
    });
  });

  it("stays quiet just below the threshold, or when the goods come back", () => {
    quiet({ caseType: "refund_only", customer: { refundOnlyAfterDelivery90: 1 } });
    quiet({ caseType: "return_refund", customer: { refundOnlyAfterDelivery90: 5 } });
  });
});

describe("amount_unusual", () => {
  it("fires on far more than the customer usually spends, in readable money", () => {
    const hit = only("amount_unusual", { amount: 60_000 });
    expect(hit.reason).toEqual({
      zh: "涉及金额 600.00 CNY，为该顾客常规订单金额 159.00 CNY 的 3.8 倍（阈值 3 倍且不低于 500.00 CNY）",
      en: "600.00 CNY at stake, 3.8× this customer's typical order of 159.00 CNY (threshold 3× and at least 500.00 CNY)",
    });
    expect(hit.data).toMatchObject({ amount: 60_000, typicalOrderAmount: 15_900, currency: "CNY" });
  });

  it("formats the amounts in the case's currency", () => {
    const hit = only("amount_unusual", { amount: 80_000, customer: { typicalOrderAmount: 20_000 } }, "JPY");
    expect(hit.reason.en).toBe(
      "80000 JPY at stake, 4.0× this customer's typical order of 20000 JPY (threshold 3× and at least 50000 JPY)",
    );
  });

  it("stays quiet just below the multiple, just below the floor, and on a first order", () => {
    expect(
      codes(assessRisk(cleanProfile({ amount: 60_000, customer: { typicalOrderAmount: 20_000 } }))),
    ).toEqual(["amount_unusual"]);
    quiet({ amount: 59_999, customer: { typicalOrderAmount: 20_000 } });
    expect(
      codes(assessRisk(cleanProfile({ amount: 50_000, customer: { typicalOrderAmount: 1_000 } }))),
    ).toEqual(["amount_unusual"]);
    quiet({ amount: 49_999, customer: { typicalOrderAmount: 1_000 } });
    quiet({ amount: 5_000_000, customer: { typicalOrderAmount: null } });
  });
});

describe("not_received_but_signed", () => {
  it("fires when the customer says not received but the parcel was signed for", () => {
    const hit = only("not_received_but_signed", {
      reason: "not_received",
      minutesSinceSigned: 2 * 24 * 60 + 5,
    });
    expect(hit.reason).toEqual({
      zh: "以“未收到货”为由申请，但物流显示已签收（签收于 2 天前）",
      en: "Reason given is “Not received”, but the parcel was signed for 2 days before the request",
    });
    expect(hit.data).toEqual({ parcel: "signed", minutesSinceSigned: 2 * 24 * 60 + 5 });
  });

  it("stays quiet while the parcel is not signed for, or for another reason", () => {
    quiet({ reason: "not_received", parcel: "in_transit", minutesSinceSigned: null });
    quiet({ reason: "not_received", parcel: "exception", minutesSinceSigned: null });
    quiet({ reason: "damaged", parcel: "signed" });
  });
});

describe("refund_after_signing", () => {
  it("fires on a money case opened minutes after signing", () => {
    const hit = only("refund_after_signing", { caseType: "refund_only", minutesSinceSigned: 12 });
    expect(hit.reason).toEqual({
      zh: "签收后 12 分钟即申请退款（阈值 30 分钟内）",
      en: "Refund requested 12 minutes after the parcel was signed for (threshold: within 30 minutes)",
    });
    expect(only("refund_after_signing", { minutesSinceSigned: 30 }).data).toEqual({
      minutesSinceSigned: 30,
      threshold: 30,
    });
  });

  it("stays quiet just past the window, for exchanges and reships, and before signing", () => {
    quiet({ caseType: "refund_only", minutesSinceSigned: 31 });
    quiet({ caseType: "exchange", minutesSinceSigned: 1 });
    quiet({ caseType: "reship", minutesSinceSigned: 1 });
    quiet({ caseType: "refund_only", parcel: "in_transit", minutesSinceSigned: null });
  });
});

describe("shared_identity", () => {
  it("fires on a phone shared with another account", () => {
    const hit = only("shared_identity", { customer: { sharedPhone: 1 } });
    expect(hit.reason).toEqual({ zh: "手机号与 1 个其他账号相同", en: "Phone shared with 1 other account" });
  });

  it("names which identifiers are shared and with how many accounts", () => {
    const hit = only("shared_identity", { customer: { sharedPhone: 1, sharedDevice: 2, sharedAddress: 3 } });
    expect(hit.reason).toEqual({
      zh: "手机号与 1 个其他账号相同；设备与 2 个其他账号相同；收货地址与 3 个其他账号相同（阈值 3 个）",
      en: "Phone shared with 1 other account; device shared with 2 other accounts; delivery address shared with 3 other accounts (threshold 3)",
    });
    expect(hit.data).toEqual({ sharedPhone: 1, sharedDevice: 2, sharedAddress: 3 });
  });

  it("lets a household share an address, up to just below the threshold", () => {
    expect(only("shared_identity", { customer: { sharedDevice: 1 } }).reason.en).toBe(
      "Device shared with 1 other account",
    );
    quiet({ customer: { sharedAddress: 2 } });
  });
});

describe("unusual_hour", () => {
  it("fires in the quiet hours, naming the hour and the window", () => {
    const hit = only("unusual_hour", { submittedHour: 3 });
    expect(hit.reason).toEqual({
      zh: "提交于当地时间 03:00–04:00（夜间时段 01:00–05:00）",
      en: "Submitted between 03:00 and 04:00 local time (quiet hours 01:00–05:00)",
    });
  });

  it("includes the start hour and excludes the end hour", () => {
    expect(codes(assessRisk(cleanProfile({ submittedHour: 1 })))).toEqual(["unusual_hour"]);
    expect(codes(assessRisk(cleanProfile({ submittedHour: 4 })))).toEqual(["unusual_hour"]);
    quiet({ submittedHour: 0 });
    quiet({ submittedHour: 5 });
  });

  it("supports quiet hours that wrap around midnight", () => {
    const t = { ...DEFAULT_RISK_THRESHOLDS, quietHoursStart: 23, quietHoursEnd: 2 };
    const fired = (h: number) =>
      codes(assessRisk(cleanProfile({ submittedHour: h }), t)).includes("unusual_hour");
    expect([22, 23, 0, 1, 2, 3].map(fired)).toEqual([false, true, true, true, false, false]);
    expect(assessRisk(cleanProfile({ submittedHour: 23 }), t).signals[0]?.reason.zh).toBe(
      "提交于当地时间 23:00–00:00（夜间时段 23:00–02:00）",
    );
  });

  it("has no quiet hours when start equals end", () => {
    const t = { ...DEFAULT_RISK_THRESHOLDS, quietHoursStart: 3, quietHoursEnd: 3 };
    for (let h = 0; h < 24; h++)
      expect(assessRisk(cleanProfile({ submittedHour: h }), t).signals).toEqual([]);
  });
});

describe("repeated_on_order", () => {
  it("fires on an order with several earlier cases", () => {
    const hit = only("repeated_on_order", { casesOnOrder: 2 });
    expect(hit.reason).toEqual({
      zh: "该订单此前已有 2 个售后单（阈值 2 个）",
      en: "2 earlier cases on this order (threshold 2)",
    });
  });

  it("stays quiet on a second case", () => {
    quiet({ casesOnOrder: 1 });
  });
});
