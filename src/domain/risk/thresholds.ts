import { AppError } from "../errors.ts";
import { formatMinor, parseMinor } from "../money.ts";
import { SIGNALS } from "./signals/index.ts";
import type { Text } from "./text.ts";
import {
  checkField,
  type FieldKind,
  isPlainObject,
  mergeFields,
  problem,
  type SettingProblem,
  settingsError,
  throwIfProblems,
} from "./validate.ts";

/** What the case risk signals compare against, and how much each weighs. Tuned per merchant. */
export interface RiskThresholds {
  /** frequent_refunder: refunds in the last 30 days. */
  readonly refunds30: number;
  /** frequent_refunder: refunds in the last 90 days. */
  readonly refunds90: number;
  /** frequent_refunder: refunds / orders over 90 days (0–1)… */
  readonly refundRate90: number;
  /** …counted only with at least this many orders in those 90 days. */
  readonly refundRateMinOrders: number;
  /** refund_only_abuse: earlier refund-only cases after delivery in 90 days. */
  readonly refundOnlyAfterDelivery: number;
  /** amount_unusual: the amount is at least this multiple of the customer's typical order… */
  readonly amountMultiple: number;
  /** …and at least this much (minor units; the API states it in RISK_AMOUNT_CURRENCY), so small orders never alarm. */
  readonly amountFloor: number;
  /** refund_after_signing: a money case opened within this many minutes of signing. */
  readonly minutesAfterSigning: number;
  /** shared_identity: other accounts at the same delivery address (families and offices share). */
  readonly sharedAddressAccounts: number;
  /** unusual_hour: local hours [start, end); wraps past midnight when start > end; none when equal. */
  readonly quietHoursStart: number;
  readonly quietHoursEnd: number;
  /** repeated_on_order: earlier cases on the same order. */
  readonly casesOnOrder: number;
  /** Score (0–100) from which a case is medium risk, and high risk. */
  readonly mediumAt: number;
  readonly highAt: number;
  /** Points per signal code (0–100; 0 turns the signal off). Missing codes use the signal's default. */
  readonly weights: Readonly<Record<string, number>>;
}

const FIELDS: Readonly<Record<Exclude<keyof RiskThresholds, "weights">, FieldKind>> = {
  refunds30: "count",
  refunds90: "count",
  refundRate90: "rate",
  refundRateMinOrders: "count",
  refundOnlyAfterDelivery: "count",
  amountMultiple: "number",
  amountFloor: "minor",
  minutesAfterSigning: "number",
  sharedAddressAccounts: "count",
  quietHoursStart: "hour",
  quietHoursEnd: "hour",
  casesOnOrder: "count",
  mediumAt: "score",
  highAt: "score",
};

/** How each threshold reads in an editor: what it is, and which signal uses it. */
const LABELS: Readonly<Record<keyof typeof FIELDS, { label: Text; hint: Text }>> = {
  refunds30: {
    label: { zh: "近 30 天退款次数", en: "Refunds in the last 30 days" },
    hint: { zh: "频繁退款：达到此次数即触发", en: "Frequent refunder: fires from this many" },
  },
  refunds90: {
    label: { zh: "近 90 天退款次数", en: "Refunds in the last 90 days" },
    hint: { zh: "频繁退款：达到此次数即触发", en: "Frequent refunder: fires from this many" },
  },
  refundRate90: {
    label: { zh: "近 90 天退款率", en: "Refund rate over 90 days" },
    hint: { zh: "频繁退款：退款次数占订单数的比例", en: "Frequent refunder: refunds per order" },
  },
  refundRateMinOrders: {
    label: { zh: "计算退款率的最少订单数", en: "Orders needed for the refund rate" },
    hint: { zh: "订单太少时退款率不算数", en: "With fewer orders the rate does not count" },
  },
  refundOnlyAfterDelivery: {
    label: { zh: "签收后仅退款次数（90 天）", en: "Refund-only after delivery (90 days)" },
    hint: { zh: "仅退款滥用：此前已有的次数", en: "Refund-only abuse: earlier such cases" },
  },
  amountMultiple: {
    label: { zh: "金额为平时订单的倍数", en: "Amount as a multiple of usual orders" },
    hint: { zh: "金额异常：达到此倍数即触发", en: "Unusual amount: fires from this multiple" },
  },
  amountFloor: {
    label: { zh: "金额异常的最低金额", en: "Smallest unusual amount" },
    hint: { zh: "低于此金额的订单不算异常", en: "Smaller amounts never count as unusual" },
  },
  minutesAfterSigning: {
    label: { zh: "签收后多少分钟内申请", en: "Minutes after signing" },
    hint: { zh: "签收即申请：在此时间内申请退款即触发", en: "Refund right after signing: within this time" },
  },
  sharedAddressAccounts: {
    label: { zh: "同一收货地址的其他账号数", en: "Other accounts at the same address" },
    hint: { zh: "身份关联：家庭和办公室常共用地址", en: "Shared identity: families and offices share" },
  },
  quietHoursStart: {
    label: { zh: "深夜时段开始（点）", en: "Quiet hours start (hour)" },
    hint: { zh: "非常规时段：当地时间，含此点", en: "Unusual hour: local time, from this hour" },
  },
  quietHoursEnd: {
    label: { zh: "深夜时段结束（点）", en: "Quiet hours end (hour)" },
    hint: { zh: "非常规时段：当地时间，不含此点", en: "Unusual hour: local time, until this hour" },
  },
  casesOnOrder: {
    label: { zh: "同一订单已有售后单数", en: "Earlier cases on the order" },
    hint: { zh: "重复申请：达到此数即触发", en: "Repeated on order: fires from this many" },
  },
  mediumAt: {
    label: { zh: "中风险起点（分）", en: "Medium risk from (score)" },
    hint: { zh: "风险分 0–100", en: "Risk score 0–100" },
  },
  highAt: {
    label: { zh: "高风险起点（分）", en: "High risk from (score)" },
    hint: { zh: "风险分 0–100，不低于中风险起点", en: "Risk score 0–100, at least the medium one" },
  },
};

/** Each threshold as an editor offers it: its key, kind of value, label and hint, in the order above. */
export const RISK_THRESHOLD_FIELDS = (Object.keys(FIELDS) as (keyof typeof FIELDS)[]).map((key) => ({
  key,
  kind: FIELDS[key],
  ...LABELS[key],
}));

/** The signals whose weights the thresholds tune: code, label and default weight. */
export const RISK_SIGNAL_WEIGHTS = SIGNALS.map((s) => ({
  code: s.code,
  label: s.label,
  defaultWeight: s.defaultWeight,
}));

export const DEFAULT_RISK_THRESHOLDS: RiskThresholds = Object.freeze({
  refunds30: 3,
  refunds90: 5,
  refundRate90: 0.5,
  refundRateMinOrders: 4,
  refundOnlyAfterDelivery: 2,
  amountMultiple: 3,
  amountFloor: 50_000,
  minutesAfterSigning: 30,
  sharedAddressAccounts: 3,
  quietHoursStart: 1,
  quietHoursEnd: 5,
  casesOnOrder: 2,
  mediumAt: 30,
  highAt: 60,
  weights: Object.freeze(Object.fromEntries(SIGNALS.map((s) => [s.code, s.defaultWeight]))),
});

/**
 * A merchant's thresholds: a partial object merged over the defaults (weights merged per code).
 * Unknown settings or signal codes, wrong types, negatives, hours outside 0–23, rates outside 0–1,
 * weights and levels outside 0–100, and mediumAt above highAt are all reported at once as
 * RISK_THRESHOLDS_INVALID with `details.errors: [{ path, message }]`.
 */
export function validateRiskThresholds(input: unknown): RiskThresholds {
  if (input === undefined) return DEFAULT_RISK_THRESHOLDS;
  if (!isPlainObject(input)) {
    throw settingsError("RISK_THRESHOLDS_INVALID", "risk thresholds", [
      problem("", "must be an object", "应为对象"),
    ]);
  }
  const obj = input;
  const problems: SettingProblem[] = [];
  const merged = mergeFields(DEFAULT_RISK_THRESHOLDS, FIELDS, obj, problems, ["weights"]);
  const weights: Record<string, number> = { ...DEFAULT_RISK_THRESHOLDS.weights };
  if (obj.weights !== undefined) {
    if (!isPlainObject(obj.weights)) {
      problems.push(
        problem("weights", "must be an object of signal code → weight", "应为“信号代码 → 权重”的对象"),
      );
    } else {
      for (const [code, w] of Object.entries(obj.weights)) {
        const path = `weights.${code}`;
        if (!Object.hasOwn(DEFAULT_RISK_THRESHOLDS.weights, code)) {
          problems.push(
            problem(
              path,
              `is not a risk signal (known: ${Object.keys(weights).join(", ")})`,
              `不是风险信号（可选：${Object.keys(weights).join("、")}）`,
            ),
          );
          continue;
        }
        if (w === undefined) continue;
        const v = checkField("score", w, path, problems);
        if (v !== undefined) weights[code] = v;
      }
    }
  }
  if (merged.mediumAt > merged.highAt) {
    problems.push(
      problem(
        "mediumAt",
        `must not be above highAt (${merged.mediumAt} > ${merged.highAt})`,
        `中风险起点不能高于高风险起点（${merged.mediumAt} > ${merged.highAt}）`,
      ),
    );
  }
  throwIfProblems("RISK_THRESHOLDS_INVALID", "risk thresholds", problems);
  return { ...merged, weights };
}

/** The currency the API states amount thresholds in: the installation's base currency. */
export const RISK_AMOUNT_CURRENCY = "CNY";

/** Thresholds as the API speaks them: `amountFloor` a decimal string in `currency` (RISK_AMOUNT_CURRENCY). */
export const riskThresholdsJson = (t: RiskThresholds) => ({
  ...t,
  amountFloor: formatMinor(t.amountFloor, RISK_AMOUNT_CURRENCY),
  currency: RISK_AMOUNT_CURRENCY,
});

/**
 * API input → the stored form: `amountFloor` from a decimal string ("500.00") to minor units; `currency`
 * (as read back) may be given and must be RISK_AMOUNT_CURRENCY. A number is refused, not guessed at
 * (fen or yuan?), and its problem is reported with every other one.
 */
export function riskThresholdsFromJson(input: unknown): unknown {
  if (!isPlainObject(input)) return input;
  const { amountFloor: v, currency, ...rest } = input;
  const problems: SettingProblem[] = [];
  if (currency !== undefined && currency !== RISK_AMOUNT_CURRENCY)
    problems.push(
      problem("currency", `must be ${RISK_AMOUNT_CURRENCY}`, `币种只能是 ${RISK_AMOUNT_CURRENCY}`),
    );
  let minor: number | undefined;
  const expected = `must be a decimal amount in ${RISK_AMOUNT_CURRENCY} written as text, e.g. "500.00"`;
  const zhExpected = `应为 ${RISK_AMOUNT_CURRENCY} 金额，最多两位小数，例如 500.00`;
  if (v !== undefined && typeof v !== "string")
    problems.push(problem("amountFloor", `${expected}, not ${JSON.stringify(v)}`, zhExpected));
  else if (v !== undefined) {
    try {
      minor = parseMinor(v, RISK_AMOUNT_CURRENCY);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      problems.push(problem("amountFloor", `${expected} (${e.message})`, zhExpected));
    }
  }
  if (problems.length === 0) return minor === undefined ? rest : { ...rest, amountFloor: minor };
  try {
    validateRiskThresholds(rest);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    problems.push(...((e.details?.errors as SettingProblem[] | undefined) ?? []));
  }
  throw settingsError("RISK_THRESHOLDS_INVALID", "risk thresholds", problems);
}
