import { describe, expect, it } from "vitest";
import { SIGNAL_CODES } from "../../../src/domain/risk/signals/index.ts";
import {
  DEFAULT_RISK_THRESHOLDS,
  riskThresholdsFromJson,
  riskThresholdsJson,
  validateRiskThresholds,
} from "../../../src/domain/risk/thresholds.ts";
import { expectCode } from "../expect-code.ts";

const problems = (input: unknown) =>
  expectCode(() => validateRiskThresholds(input), "RISK_THRESHOLDS_INVALID").details?.errors as {
    path: string;
    message: string;
  }[];

describe("DEFAULT_RISK_THRESHOLDS", () => {
  it("has the documented defaults and a weight for every signal", () => {
    expect(DEFAULT_RISK_THRESHOLDS).toMatchObject({
      sharedAddressAccounts: 3,
      quietHoursStart: 1,
      quietHoursEnd: 5,
      casesOnOrder: 2,
      mediumAt: 30,
      highAt: 60,
    });
    expect(DEFAULT_RISK_THRESHOLDS.weights).toEqual({
      frequent_refunder: 30,
      refund_only_abuse: 35,
      amount_unusual: 15,
      not_received_but_signed: 40,
      refund_after_signing: 15,
      shared_identity: 25,
      unusual_hour: 5,
      repeated_on_order: 15,
    });
    expect(Object.keys(DEFAULT_RISK_THRESHOLDS.weights)).toEqual(SIGNAL_CODES);
  });

  it("cannot be changed by accident", () => {
    expect(Object.isFrozen(DEFAULT_RISK_THRESHOLDS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RISK_THRESHOLDS.weights)).toBe(true);
  });
});

describe("validateRiskThresholds", () => {
  it("gives the defaults for nothing or an empty object", () => {
    expect(validateRiskThresholds(undefined)).toEqual(DEFAULT_RISK_THRESHOLDS);
    expect(validateRiskThresholds({})).toEqual(DEFAULT_RISK_THRESHOLDS);
  });

  it("merges a partial object over the defaults, weights per signal", () => {
    const t = validateRiskThresholds({
      refunds30: 5,
      refundRate90: 0.4,
      amountMultiple: 2.5,
      quietHoursStart: 23,
      quietHoursEnd: 6,
      weights: { unusual_hour: 0, shared_identity: 40 },
    });
    expect(t).toEqual({
      ...DEFAULT_RISK_THRESHOLDS,
      refunds30: 5,
      refundRate90: 0.4,
      amountMultiple: 2.5,
      quietHoursStart: 23,
      quietHoursEnd: 6,
      weights: { ...DEFAULT_RISK_THRESHOLDS.weights, unusual_hour: 0, shared_identity: 40 },
    });
  });

  it("rejects what is not an object", () => {
    for (const bad of [null, [], "strict", 3]) {
      expect(problems(bad)).toEqual([
        { path: "", message: "must be an object", text: { en: "must be an object", zh: "应为对象" } },
      ]);
    }
  });

  it.each([
    ["an unknown setting", { refunds31: 3 }, "refunds31", /not a known setting/],
    ["a wrong type", { refunds30: "3" }, "refunds30", /must be a number/],
    ["NaN", { amountMultiple: Number.NaN }, "amountMultiple", /must be a number/],
    ["infinity", { minutesAfterSigning: Number.POSITIVE_INFINITY }, "minutesAfterSigning", /finite/],
    ["a negative count", { refunds90: -1 }, "refunds90", /negative/],
    ["a negative multiple", { amountMultiple: -0.5 }, "amountMultiple", /negative/],
    ["a fractional count", { casesOnOrder: 1.5 }, "casesOnOrder", /whole number/],
    ["a fractional amount", { amountFloor: 100.5 }, "amountFloor", /minor units/],
    ["an hour of 24", { quietHoursStart: 24 }, "quietHoursStart", /0 to 23/],
    ["a fractional hour", { quietHoursEnd: 4.5 }, "quietHoursEnd", /0 to 23/],
    ["a rate above 1", { refundRate90: 1.2 }, "refundRate90", /0 to 1/],
    ["a level above 100", { highAt: 120 }, "highAt", /0 to 100/],
    ["a weight above 100", { weights: { frequent_refunder: 101 } }, "weights.frequent_refunder", /0 to 100/],
    ["a negative weight", { weights: { unusual_hour: -5 } }, "weights.unusual_hour", /negative/],
    ["a fractional weight", { weights: { unusual_hour: 2.5 } }, "weights.unusual_hour", /whole number/],
    ["a weight of text", { weights: { unusual_hour: "5" } }, "weights.unusual_hour", /must be a number/],
    ["an unknown signal", { weights: { velocity: 10 } }, "weights.velocity", /not a risk signal/],
    ["weights that are not an object", { weights: [10] }, "weights", /object/],
    ["mediumAt above highAt", { mediumAt: 70, highAt: 50 }, "mediumAt", /highAt/],
  ])("reports %s", (_name, input, path, message) => {
    const errors = problems(input);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toMatch(message);
  });

  it("collects every problem at once and names them in the message", () => {
    const err = expectCode(
      () =>
        validateRiskThresholds({
          refunds30: -1,
          quietHoursStart: 30,
          refundRate90: 2,
          bogus: true,
          weights: { x: 1, unusual_hour: -5 },
        }),
      "RISK_THRESHOLDS_INVALID",
    );
    const errors = err.details?.errors as { path: string }[];
    expect(errors.map((e) => e.path)).toEqual([
      "refunds30",
      "quietHoursStart",
      "refundRate90",
      "bogus",
      "weights.x",
      "weights.unusual_hour",
    ]);
    for (const e of errors) expect(err.message).toContain(e.path);
  });

  it("does not let __proto__ through as a setting", () => {
    expect(problems(JSON.parse('{"__proto__": {"refunds30": 0}}'))).toMatchObject([
      { path: "__proto__", message: "is not a known setting", text: { zh: "不是已知的设置项" } },
    ]);
  });
});

describe("risk thresholds over the API", () => {
  it("states amountFloor as a decimal string in CNY and reads it back to minor units", () => {
    expect(riskThresholdsJson(DEFAULT_RISK_THRESHOLDS)).toMatchObject({
      amountFloor: "500.00",
      currency: "CNY",
    });
    expect(riskThresholdsFromJson({ amountFloor: "1234.5", currency: "CNY", refunds30: 4 })).toEqual({
      amountFloor: 123_450,
      refunds30: 4,
    });
    // What GET answers, PUT takes back unchanged.
    const echoed = riskThresholdsFromJson(riskThresholdsJson(DEFAULT_RISK_THRESHOLDS));
    expect(validateRiskThresholds(echoed)).toEqual(DEFAULT_RISK_THRESHOLDS);
  });

  it.each([
    ["fen as a number", { amountFloor: 50_000 }, "amountFloor", /decimal amount in CNY written as text/],
    ["too many decimals", { amountFloor: "1.234" }, "amountFloor", /decimals/],
    ["a negative amount", { amountFloor: "-1.00" }, "amountFloor", /negative/],
    ["not an amount", { amountFloor: "lots" }, "amountFloor", /not a decimal amount/],
    ["another currency", { amountFloor: "1.00", currency: "USD" }, "currency", /CNY/],
  ])("refuses %s, with every other problem", (_name, input, path, message) => {
    const errors = expectCode(
      () => riskThresholdsFromJson({ ...input, refunds30: -1 }),
      "RISK_THRESHOLDS_INVALID",
    ).details?.errors as { path: string; message: string }[];
    expect(errors.map((e) => e.path).sort()).toEqual([path, "refunds30"].sort());
    expect(errors.find((e) => e.path === path)?.message).toMatch(message);
  });
});
