import { AppError } from "../errors.ts";
import { formatMinor, parseMinor } from "../money.ts";
import { SIGNALS } from "./signals/index.ts";
import {
  checkField,
  type FieldKind,
  isPlainObject,
  mergeFields,
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
      { path: "", message: "must be an object" },
    ]);
  }
  const obj = input;
  const problems: SettingProblem[] = [];
  const merged = mergeFields(DEFAULT_RISK_THRESHOLDS, FIELDS, obj, problems, ["weights"]);
  const weights: Record<string, number> = { ...DEFAULT_RISK_THRESHOLDS.weights };
  if (obj.weights !== undefined) {
    if (!isPlainObject(obj.weights)) {
      problems.push({ path: "weights", message: "must be an object of signal code → weight" });
    } else {
      for (const [code, w] of Object.entries(obj.weights)) {
        const path = `weights.${code}`;
        if (!Object.hasOwn(DEFAULT_RISK_THRESHOLDS.weights, code)) {
          problems.push({
            path,
            message: `is not a risk signal (known: ${Object.keys(weights).join(", ")})`,
          });
          continue;
        }
        if (w === undefined) continue;
        const v = checkField("score", w, path, problems);
        if (v !== undefined) weights[code] = v;
      }
    }
  }
  if (merged.mediumAt > merged.highAt) {
    problems.push({
      path: "mediumAt",
      message: `must not be above highAt (${merged.mediumAt} > ${merged.highAt})`,
    });
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
    problems.push({ path: "currency", message: `must be ${RISK_AMOUNT_CURRENCY}` });
  let minor: number | undefined;
  const expected = `must be a decimal amount in ${RISK_AMOUNT_CURRENCY} written as text, e.g. "500.00"`;
  if (v !== undefined && typeof v !== "string")
    problems.push({ path: "amountFloor", message: `${expected}, not ${JSON.stringify(v)}` });
  else if (v !== undefined) {
    try {
      minor = parseMinor(v, RISK_AMOUNT_CURRENCY);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      problems.push({ path: "amountFloor", message: `${expected} (${e.message})` });
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
