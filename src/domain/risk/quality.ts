import { REASON_CODES, REASONS, type ReasonCode } from "../catalogue.ts";
import { fail } from "../errors.ts";
import { pct, round4, type Text, times } from "./text.ts";
import {
  type FieldKind,
  isPlainObject,
  mergeFields,
  problem,
  type SettingProblem,
  settingsError,
  throwIfProblems,
} from "./validate.ts";

/**
 * Quality alerts (质量预警): a SKU or category whose refund rate jumps above its own baseline — a
 * quality problem in a batch, or a listing that promises what the goods are not.
 */

export type QualitySubjectKind = "sku" | "category";

/** Units sold and units claimed in money or exchange cases, for one SKU or category. */
export interface QualityStats {
  kind: QualitySubjectKind;
  key: string;
  /** The last `recentDays` days, with the claimed units per reason. */
  recent: { sold: number; refunded: number; reasons: Partial<Record<ReasonCode, number>> };
  /** The `baselineDays` days before that. */
  baseline: { sold: number; refunded: number };
}

export interface QualityThresholds {
  /** Window lengths (days) the store counts `recent` and `baseline` over. */
  readonly recentDays: number;
  readonly baselineDays: number;
  /** Too few units sold or claimed recently is noise, not a signal. */
  readonly minSold: number;
  readonly minRefunded: number;
  /** The recent rate must be at least this multiple of the baseline rate… */
  readonly minLift: number;
  /** …at least this much higher in absolute terms (0–1)… */
  readonly minIncrease: number;
  /** …and the two-proportion z score at least this. */
  readonly minZ: number;
  /** The baseline rate assumed when nothing was sold in the baseline window (0–1, exclusive). */
  readonly defaultBaselineRate: number;
  /** A lift from which the alert is critical rather than a warning. */
  readonly criticalLift: number;
}

const FIELDS: Readonly<Record<keyof QualityThresholds, FieldKind>> = {
  recentDays: "days",
  baselineDays: "days",
  minSold: "count",
  minRefunded: "count",
  minLift: "number",
  minIncrease: "rate",
  minZ: "number",
  defaultBaselineRate: "openRate",
  criticalLift: "number",
};

/** How each threshold reads in an editor. */
const LABELS: Readonly<Record<keyof QualityThresholds, { label: Text; hint: Text }>> = {
  recentDays: {
    label: { zh: "近期窗口（天）", en: "Recent window (days)" },
    hint: { zh: "比较的近期天数", en: "The recent days compared" },
  },
  baselineDays: {
    label: { zh: "基线窗口（天）", en: "Baseline window (days)" },
    hint: { zh: "近期之前用作基线的天数", en: "The days before them, as the baseline" },
  },
  minSold: {
    label: { zh: "近期最少销量（件）", en: "Units sold recently, at least" },
    hint: { zh: "销量太少只是噪声", en: "Fewer is noise" },
  },
  minRefunded: {
    label: { zh: "近期最少售后件数", en: "Units claimed recently, at least" },
    hint: { zh: "售后太少只是噪声", en: "Fewer is noise" },
  },
  minLift: {
    label: { zh: "退款率至少为基线的倍数", en: "Refund rate lift over baseline, at least" },
    hint: { zh: "例如 2 表示翻倍", en: "2 means doubled" },
  },
  minIncrease: {
    label: { zh: "退款率至少上升", en: "Refund rate increase, at least" },
    hint: { zh: "绝对值，以比例计（0.05 即 5 个百分点）", en: "Absolute, as a ratio (0.05 is 5 points)" },
  },
  minZ: {
    label: { zh: "显著性（z 值）至少", en: "Significance (z score), at least" },
    hint: { zh: "2.5 约相当于 99% 置信", en: "2.5 is about 99% confidence" },
  },
  defaultBaselineRate: {
    label: { zh: "无基线时假定的退款率", en: "Baseline rate when nothing sold before" },
    hint: { zh: "新品没有基线时使用", en: "For new products without a baseline" },
  },
  criticalLift: {
    label: { zh: "严重预警的倍数", en: "Lift for a critical alert" },
    hint: { zh: "达到此倍数为严重，否则为警告", en: "From this lift critical, else a warning" },
  },
};

/** Each threshold as an editor offers it: its key, kind of value, label and hint. */
export const QUALITY_THRESHOLD_FIELDS = (Object.keys(FIELDS) as (keyof QualityThresholds)[]).map((key) => ({
  key,
  kind: FIELDS[key],
  ...LABELS[key],
}));

export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = Object.freeze({
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

/** Partial thresholds merged over the defaults; every problem reported as QUALITY_THRESHOLDS_INVALID. */
export function validateQualityThresholds(input: unknown): QualityThresholds {
  if (input === undefined) return DEFAULT_QUALITY_THRESHOLDS;
  if (!isPlainObject(input)) {
    throw settingsError("QUALITY_THRESHOLDS_INVALID", "quality thresholds", [
      problem("", "must be an object", "应为对象"),
    ]);
  }
  const problems: SettingProblem[] = [];
  const merged = mergeFields(DEFAULT_QUALITY_THRESHOLDS, FIELDS, input, problems);
  throwIfProblems("QUALITY_THRESHOLDS_INVALID", "quality thresholds", problems);
  return merged;
}

/** Reasons that point at the listing (description, size chart, picking) rather than the goods. */
/**
 * Claims that say something about the product or its listing. Changed minds, lost parcels and
 * "other" do not: a SKU is not faulty because buyers changed their minds about it.
 */
export const PRODUCT_REASONS: readonly ReasonCode[] = [
  "quality",
  "damaged",
  "not_as_described",
  "wrong_item",
  "missing_item",
  "spoiled",
  "size_fit",
];

export const LISTING_REASONS: readonly ReasonCode[] = ["not_as_described", "wrong_item", "size_fit"];

export interface QualityAlert {
  kind: QualitySubjectKind;
  key: string;
  recentRate: number;
  /** The subject's own baseline rate, or `defaultBaselineRate` when nothing sold in the baseline. */
  baselineRate: number;
  /** recentRate / baselineRate; Infinity when the baseline rate is 0 (never NaN). */
  lift: number;
  /** Two-proportion z score of recent against baseline (one-sample against the default rate). */
  z: number;
  suspected: "quality" | "listing";
  severity: "warning" | "critical";
  reason: Text;
  data: Record<string, number | string>;
}

/**
 * The SKUs and categories whose recent refund rate jumped above their baseline: enough units, at
 * least `minLift` times and `minIncrease` above the baseline rate, and significant (z ≥ minZ).
 * Critical alerts first, then by z, then by kind and key — deterministic for the same input.
 */
export function detectQualityJumps(
  stats: readonly QualityStats[],
  t: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS,
): QualityAlert[] {
  const alerts: QualityAlert[] = [];
  for (const s of stats) {
    checkStats(s);
    const alert = judge(s, t);
    if (alert) alerts.push(alert);
  }
  const rank = (a: QualityAlert) => (a.severity === "critical" ? 0 : 1);
  return alerts.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      b.z - a.z ||
      (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

function checkStats(s: QualityStats): void {
  const counts: [string, unknown][] = [
    ["recent.sold", s.recent.sold],
    ["recent.refunded", s.recent.refunded],
    ["baseline.sold", s.baseline.sold],
    ["baseline.refunded", s.baseline.refunded],
    ...Object.entries(s.recent.reasons ?? {}).map(([r, n]): [string, unknown] => [`recent.reasons.${r}`, n]),
  ];
  for (const [path, n] of counts) {
    if (n === undefined && path.startsWith("recent.reasons.")) continue;
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
      fail("QUALITY_STATS_INVALID", `${s.kind} ${s.key}: ${path} must be a count, 0 or more`, {
        kind: s.kind,
        key: s.key,
        path,
      });
    }
  }
}

function judge(s: QualityStats, t: QualityThresholds): QualityAlert | null {
  const { recent, baseline } = s;
  if (recent.sold <= 0 || recent.sold < t.minSold || recent.refunded < t.minRefunded) return null;
  const ownBaseline = baseline.sold > 0;
  const recentRate = recent.refunded / recent.sold;
  const baselineRate = ownBaseline ? baseline.refunded / baseline.sold : t.defaultBaselineRate;
  if (!(recentRate > baselineRate)) return null;
  if (recentRate < baselineRate * t.minLift || recentRate - baselineRate < t.minIncrease) return null;
  const z = ownBaseline
    ? twoProportionZ(recent.refunded, recent.sold, baseline.refunded, baseline.sold)
    : oneProportionZ(recent.refunded, recent.sold, baselineRate);
  if (z < t.minZ) return null;
  const lift = baselineRate > 0 ? recentRate / baselineRate : Number.POSITIVE_INFINITY;

  const reasons = REASON_CODES.map((code) => ({ code, n: recent.reasons[code] ?? 0 })).filter((r) => r.n > 0);
  const reasonsTotal = reasons.reduce((a, r) => a + r.n, 0);
  const listing = reasons.filter((r) => LISTING_REASONS.includes(r.code)).reduce((a, r) => a + r.n, 0);
  const suspected = listing * 2 > reasonsTotal && reasonsTotal > 0 ? "listing" : "quality";
  // The most frequent reason; ties go to the catalogue's order.
  const main = reasons.reduce<(typeof reasons)[number] | undefined>(
    (best, r) => (!best || r.n > best.n ? r : best),
    undefined,
  );
  const severity = lift >= t.criticalLift ? "critical" : "warning";

  return {
    kind: s.kind,
    key: s.key,
    recentRate,
    baselineRate,
    lift,
    z,
    suspected,
    severity,
    reason: describeJump(s, t, {
      recentRate,
      baselineRate,
      lift,
      ownBaseline,
      main,
      listing,
      reasonsTotal,
      suspected,
    }),
    data: {
      recentDays: t.recentDays,
      baselineDays: t.baselineDays,
      recentSold: recent.sold,
      recentRefunded: recent.refunded,
      baselineSold: baseline.sold,
      baselineRefunded: baseline.refunded,
      baselineSource: ownBaseline ? "own" : "default",
      ...(Number.isFinite(lift) ? { lift: round4(lift) } : {}),
      z: round4(z),
      ...(main ? { mainReason: main.code, mainReasonUnits: main.n } : {}),
      listingReasonUnits: listing,
      reasonUnits: reasonsTotal,
    },
  };
}

/** Pooled two-proportion z score of x1/n1 against x2/n2; claims beyond units sold count as all sold. */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): number {
  const a = Math.min(x1, n1);
  const b = Math.min(x2, n2);
  const p = (a + b) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se > 0 ? (a / n1 - b / n2) / se : 0;
}

/** z score of x/n against a known rate p0 (0 < p0 < 1). */
export function oneProportionZ(x: number, n: number, p0: number): number {
  const se = Math.sqrt((p0 * (1 - p0)) / n);
  return se > 0 ? (Math.min(x, n) / n - p0) / se : 0;
}

const SUBJECT: Record<QualitySubjectKind, Text> = {
  sku: { zh: "SKU", en: "SKU" },
  category: { zh: "类目", en: "Category" },
};

function describeJump(
  s: QualityStats,
  t: QualityThresholds,
  x: {
    recentRate: number;
    baselineRate: number;
    lift: number;
    ownBaseline: boolean;
    main: { code: ReasonCode; n: number } | undefined;
    listing: number;
    reasonsTotal: number;
    suspected: "quality" | "listing";
  },
): Text {
  const { recent, baseline } = s;
  const subject = { zh: `${SUBJECT[s.kind].zh} ${s.key}`, en: `${SUBJECT[s.kind].en} ${s.key}` };
  const recentPart = {
    zh: `${subject.zh} 近 ${t.recentDays} 天退款率 ${pct(x.recentRate)}（${recent.refunded}/${recent.sold}）`,
    en: `${subject.en}: refund rate ${pct(x.recentRate)} (${recent.refunded}/${recent.sold}) in the last ${t.recentDays} days`,
  };
  const base = pct(x.baselineRate);
  const basePart = !x.ownBaseline
    ? {
        zh: `为默认基线 ${base} 的 ${times(x.lift)} 倍（此前 ${t.baselineDays} 天无销量）`,
        en: `${times(x.lift)}× the default baseline of ${base} (nothing sold in the ${t.baselineDays} days before)`,
      }
    : Number.isFinite(x.lift)
      ? {
          zh: `为其基线 ${base}（前 ${t.baselineDays} 天 ${baseline.refunded}/${baseline.sold}）的 ${times(x.lift)} 倍`,
          en: `${times(x.lift)}× its baseline of ${base} (${baseline.refunded}/${baseline.sold} in the ${t.baselineDays} days before)`,
        }
      : {
          zh: `而其基线为 0（前 ${t.baselineDays} 天 ${baseline.sold} 件无退款）`,
          en: `up from none in its baseline (${baseline.sold} sold, none claimed in the ${t.baselineDays} days before)`,
        };
  let zh = `${recentPart.zh}，${basePart.zh}`;
  let en = `${recentPart.en}, ${basePart.en}`;
  if (x.main) {
    const r = REASONS[x.main.code];
    zh += `；主要原因：${r.zh}（${x.main.n}/${x.reasonsTotal}）`;
    en += `; main reason: ${r.en} (${x.main.n}/${x.reasonsTotal})`;
  }
  if (x.suspected === "listing") {
    zh += `；描述不符、发错货、尺码问题占 ${x.listing}/${x.reasonsTotal}，疑似商品信息有误`;
    en += `; not as described, wrong item and size together ${x.listing}/${x.reasonsTotal}, likely a listing problem`;
  }
  return { zh, en };
}
