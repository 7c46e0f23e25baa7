import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REASON_CODES, type ReasonCode } from "../../../src/domain/catalogue.ts";
import {
  DEFAULT_QUALITY_THRESHOLDS,
  detectQualityJumps,
  type QualityStats,
  type QualityThresholds,
  twoProportionZ,
  validateQualityThresholds,
} from "../../../src/domain/risk/quality.ts";
import { expectCode } from "../expect-code.ts";

const sku = (
  key: string,
  recent: [sold: number, refunded: number, reasons?: Partial<Record<ReasonCode, number>>],
  baseline: [sold: number, refunded: number],
): QualityStats => ({
  kind: "sku",
  key,
  recent: { sold: recent[0], refunded: recent[1], reasons: recent[2] ?? { quality: recent[1] } },
  baseline: { sold: baseline[0], refunded: baseline[1] },
});

const one = (s: QualityStats, t?: QualityThresholds) => {
  const alerts = detectQualityJumps([s], t);
  expect(alerts).toHaveLength(1);
  const a = alerts[0];
  if (!a) throw new Error("unreachable");
  return a;
};

describe("detectQualityJumps: planted jumps", () => {
  it("raises a critical quality alert on a SKU whose refund rate quadrupled", () => {
    const a = one(sku("A123", [67, 12, { quality: 9, damaged: 2, size_fit: 1 }], [480, 20]));
    expect(a).toMatchObject({ kind: "sku", key: "A123", suspected: "quality", severity: "critical" });
    expect(a.recentRate).toBeCloseTo(12 / 67, 10);
    expect(a.baselineRate).toBeCloseTo(20 / 480, 10);
    expect(a.lift).toBeCloseTo(12 / 67 / (20 / 480), 10);
    expect(a.z).toBeCloseTo(4.49, 2);
    expect(a.reason).toEqual({
      zh: "SKU A123 近 14 天退款率 17.9%（12/67），为其基线 4.2%（前 90 天 20/480）的 4.3 倍；主要原因：质量问题（9/12）",
      en: "SKU A123: refund rate 17.9% (12/67) in the last 14 days, 4.3× its baseline of 4.2% (20/480 in the 90 days before); main reason: Quality problem (9/12)",
    });
    expect(a.data).toMatchObject({
      recentDays: 14,
      baselineDays: 90,
      recentSold: 67,
      recentRefunded: 12,
      baselineSold: 480,
      baselineRefunded: 20,
      baselineSource: "own",
      mainReason: "quality",
      mainReasonUnits: 9,
    });
  });

  it("raises a warning when the rate rose between minLift and criticalLift times", () => {
    const a = one(sku("B7", [100, 10], [1000, 40]));
    expect(a.severity).toBe("warning");
    expect(a.lift).toBeCloseTo(2.5, 10);
    expect(a.z).toBeGreaterThanOrEqual(2.5);
  });

  it("suspects the listing when description, wrong-item and size reasons are the majority", () => {
    const a = one({
      kind: "category",
      key: "连衣裙",
      recent: {
        sold: 120,
        refunded: 30,
        reasons: { size_fit: 12, not_as_described: 8, quality: 6, changed_mind: 4 },
      },
      baseline: { sold: 900, refunded: 45 },
    });
    expect(a).toMatchObject({ kind: "category", suspected: "listing", severity: "critical" });
    expect(a.reason.zh).toBe(
      "类目 连衣裙 近 14 天退款率 25.0%（30/120），为其基线 5.0%（前 90 天 45/900）的 5.0 倍；主要原因：尺码不合适（12/30）；描述不符、发错货、尺码问题占 20/30，疑似商品信息有误",
    );
    expect(a.reason.en).toBe(
      "Category 连衣裙: refund rate 25.0% (30/120) in the last 14 days, 5.0× its baseline of 5.0% (45/900 in the 90 days before); main reason: Size or fit (12/30); not as described, wrong item and size together 20/30, likely a listing problem",
    );
  });

  it("suspects quality when listing reasons are half or fewer, or no reasons are known", () => {
    expect(one(sku("C1", [100, 20, { size_fit: 5, wrong_item: 5, quality: 10 }], [1000, 30])).suspected).toBe(
      "quality",
    );
    expect(one(sku("C2", [100, 20, {}], [1000, 30])).suspected).toBe("quality");
    expect(one(sku("C2", [100, 20, {}], [1000, 30])).reason.en).not.toContain("main reason");
  });

  it("uses the default baseline rate when nothing sold in the baseline window", () => {
    const a = one(sku("NEW1", [50, 8], [0, 0]));
    expect(a.baselineRate).toBe(0.03);
    expect(a.lift).toBeCloseTo(0.16 / 0.03, 10);
    expect(a.z).toBeCloseTo((0.16 - 0.03) / Math.sqrt((0.03 * 0.97) / 50), 10);
    expect(a.data.baselineSource).toBe("default");
    expect(a.reason.zh).toBe(
      "SKU NEW1 近 14 天退款率 16.0%（8/50），为默认基线 3.0% 的 5.3 倍（此前 90 天无销量）；主要原因：质量问题（8/8）",
    );
    // a looser default baseline: 16% is no longer a jump
    expect(
      detectQualityJumps([sku("NEW1", [50, 8], [0, 0])], {
        ...DEFAULT_QUALITY_THRESHOLDS,
        defaultBaselineRate: 0.1,
      }),
    ).toEqual([]);
  });

  it("handles a baseline without refunds: infinite lift, critical, and data that survives JSON", () => {
    const a = one(sku("Z0", [40, 6], [500, 0]));
    expect(a.baselineRate).toBe(0);
    expect(a.lift).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(a.z)).toBe(true);
    expect(a.severity).toBe("critical");
    expect(a.reason.en).toContain(
      "up from none in its baseline (500 sold, none claimed in the 90 days before)",
    );
    expect(JSON.parse(JSON.stringify(a.data))).toEqual(a.data);
    expect(a.data).not.toHaveProperty("lift");
  });

  it("lists critical alerts first, then the strongest evidence", () => {
    const alerts = detectQualityJumps([
      sku("warn", [100, 10], [1000, 40]),
      sku("calm", [100, 4], [1000, 40]),
      sku("crit-weak", [67, 12], [480, 20]),
      sku("crit-strong", [300, 60], [3000, 90]),
    ]);
    expect(alerts.map((a) => a.key)).toEqual(["crit-strong", "crit-weak", "warn"]);
  });
});

describe("detectQualityJumps: no alarm", () => {
  it("stays quiet for a stable SKU with a high refund rate", () => {
    expect(detectQualityJumps([sku("HIGH", [100, 21], [2000, 400])])).toEqual([]);
    expect(detectQualityJumps([sku("HIGH", [100, 20], [2000, 400])])).toEqual([]);
  });

  it("stays quiet on small samples", () => {
    expect(detectQualityJumps([sku("S1", [29, 15], [1000, 10])])).toEqual([]); // too few sold
    expect(detectQualityJumps([sku("S2", [200, 4], [1000, 0])])).toEqual([]); // too few claimed
    expect(one(sku("S1", [30, 15], [1000, 10])).severity).toBe("critical"); // at the threshold it fires
  });

  it("needs every test: lift, absolute increase and significance", () => {
    expect(detectQualityJumps([sku("lift", [100, 19], [1000, 100])])).toEqual([]); // 1.9×
    expect(detectQualityJumps([sku("inc", [1000, 40], [5000, 10])])).toEqual([]); // 0.2% → 4%: +3.8 pts
    expect(detectQualityJumps([sku("z", [30, 6], [10, 1])])).toEqual([]); // 20% vs 10% of 10: not significant
  });

  it("lets custom thresholds decide", () => {
    const s = sku("B7", [100, 10], [1000, 40]);
    expect(detectQualityJumps([s], validateQualityThresholds({ minLift: 3 }))).toEqual([]);
    expect(one(s, validateQualityThresholds({ criticalLift: 2.5 })).severity).toBe("critical");
    expect(one(s, validateQualityThresholds({ recentDays: 7, baselineDays: 60 })).reason.zh).toContain(
      "近 7 天退款率 10.0%（10/100），为其基线 4.0%（前 60 天 40/1000）",
    );
  });

  it("rejects impossible counts", () => {
    expectCode(() => detectQualityJumps([sku("neg", [-1, 0], [0, 0])]), "QUALITY_STATS_INVALID");
    expectCode(
      () => detectQualityJumps([sku("nan", [10, 1, { quality: Number.NaN }], [0, 0])]),
      "QUALITY_STATS_INVALID",
    );
  });
});

describe("validateQualityThresholds", () => {
  it("merges a partial object over the defaults", () => {
    expect(DEFAULT_QUALITY_THRESHOLDS).toEqual({
      recentDays: 14,
      baselineDays: 90,
      minSold: 30,
      minRefunded: 5,
      minLift: 2,
      minIncrease: 0.05,
      minZ: 2.5,
      defaultBaselineRate: 0.03,
      criticalLift: 4,
    });
    expect(validateQualityThresholds(undefined)).toEqual(DEFAULT_QUALITY_THRESHOLDS);
    expect(validateQualityThresholds({ minSold: 50 })).toEqual({
      ...DEFAULT_QUALITY_THRESHOLDS,
      minSold: 50,
    });
  });

  it("collects every problem", () => {
    const err = expectCode(
      () =>
        validateQualityThresholds({
          recentDays: 0,
          minSold: -1,
          minIncrease: 1.5,
          defaultBaselineRate: 0,
          minZ: "high",
          colour: "red",
        }),
      "QUALITY_THRESHOLDS_INVALID",
    );
    const errors = err.details?.errors as { path: string; message: string }[];
    expect(errors.map((e) => e.path)).toEqual([
      "recentDays",
      "minSold",
      "minIncrease",
      "defaultBaselineRate",
      "minZ",
      "colour",
    ]);
    expect(errors[3]?.message).toMatch(/above 0 and below 1/);
    expect(expectCode(() => validateQualityThresholds([]), "QUALITY_THRESHOLDS_INVALID").details).toEqual({
      errors: [{ path: "", message: "must be an object", text: { en: "must be an object", zh: "应为对象" } }],
    });
  });
});

// --- properties -----------------------------------------------------------------------------------

const reasonsArb = fc.dictionary(fc.constantFrom(...REASON_CODES), fc.nat(50)) as fc.Arbitrary<
  Partial<Record<ReasonCode, number>>
>;
const statsArb: fc.Arbitrary<QualityStats> = fc.record({
  kind: fc.constantFrom("sku" as const, "category" as const),
  key: fc.string({ minLength: 1, maxLength: 6 }),
  recent: fc.record({ sold: fc.nat(500), refunded: fc.nat(200), reasons: reasonsArb }),
  baseline: fc.record({ sold: fc.oneof(fc.constant(0), fc.nat(5000)), refunded: fc.nat(1000) }),
});
const thresholdsArb: fc.Arbitrary<QualityThresholds> = fc
  .record({
    minSold: fc.nat(50),
    minRefunded: fc.nat(10),
    minLift: fc.double({ min: 0, max: 5, noNaN: true }),
    minIncrease: fc.double({ min: 0, max: 0.3, noNaN: true }),
    minZ: fc.double({ min: 0, max: 4, noNaN: true }),
    defaultBaselineRate: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
    criticalLift: fc.double({ min: 0, max: 8, noNaN: true }),
  })
  .map(validateQualityThresholds);

describe("detectQualityJumps: properties", () => {
  it("never alerts when the recent rate is not above the baseline rate", () => {
    fc.assert(
      fc.property(fc.array(statsArb, { maxLength: 8 }), thresholdsArb, (stats, t) => {
        const alerts = detectQualityJumps(stats, t);
        for (const s of stats) {
          if (s.recent.sold === 0) continue;
          const recentRate = s.recent.refunded / s.recent.sold;
          const baselineRate =
            s.baseline.sold > 0 ? s.baseline.refunded / s.baseline.sold : t.defaultBaselineRate;
          if (recentRate <= baselineRate) {
            expect(
              alerts.some((a) => a.kind === s.kind && a.key === s.key && a.recentRate === recentRate),
            ).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("only alerts when every test passes, with consistent numbers", () => {
    fc.assert(
      fc.property(fc.array(statsArb, { maxLength: 8 }), thresholdsArb, (stats, t) => {
        for (const a of detectQualityJumps(stats, t)) {
          expect(a.recentRate).toBeGreaterThan(a.baselineRate);
          expect(a.recentRate).toBeGreaterThanOrEqual(a.baselineRate * t.minLift);
          expect(a.recentRate - a.baselineRate).toBeGreaterThanOrEqual(t.minIncrease);
          expect(a.z).toBeGreaterThanOrEqual(t.minZ);
          expect(Number.isNaN(a.lift)).toBe(false);
          expect(Number.isFinite(a.z)).toBe(true);
          expect(a.severity).toBe(a.lift >= t.criticalLift ? "critical" : "warning");
          expect(JSON.parse(JSON.stringify(a.data))).toEqual(a.data);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on the order of its input", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(statsArb, { selector: (s) => `${s.kind}:${s.key}`, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        (stats, seeds) => {
          const shuffled = stats
            .map((s) => ({ s, r: seeds.next().value as number }))
            .sort((a, b) => a.r - b.r)
            .map((x) => x.s);
          expect(detectQualityJumps(shuffled)).toEqual(detectQualityJumps(stats));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("scores equal proportions as 0 and is antisymmetric", () => {
    expect(twoProportionZ(5, 50, 50, 500)).toBe(0);
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.integer({ min: 1, max: 200 }),
        fc.nat(100),
        fc.integer({ min: 1, max: 200 }),
        (x1, n1, x2, n2) => {
          expect(twoProportionZ(x1, n1, x2, n2)).toBeCloseTo(-twoProportionZ(x2, n2, x1, n1), 10);
        },
      ),
    );
  });
});
