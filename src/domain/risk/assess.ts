import type { RiskProfile } from "./profile.ts";
import { SIGNALS } from "./signals/index.ts";
import type { Text } from "./text.ts";
import { DEFAULT_RISK_THRESHOLDS, type RiskThresholds } from "./thresholds.ts";

export type RiskLevel = "low" | "medium" | "high";

/** One signal that fired on a case, with the points it added and why. */
export interface RiskSignalHit {
  code: string;
  weight: number;
  label: Text;
  reason: Text;
  data: Record<string, number | string>;
}

/** The risk of one case (风险评估): a 0–100 score, its level, and every signal behind it. */
export interface RiskAssessment {
  score: number;
  level: RiskLevel;
  signals: RiskSignalHit[];
}

export const riskLevel = (score: number, t: RiskThresholds = DEFAULT_RISK_THRESHOLDS): RiskLevel =>
  score >= t.highAt ? "high" : score >= t.mediumAt ? "medium" : "low";

/**
 * Run every signal over the profile. The score is the sum of the weights of the signals that fired,
 * capped at 100; a signal weighted 0 is off and is not listed. Pure and deterministic: the same
 * profile and thresholds always give the same assessment, signals in registry order.
 */
export function assessRisk(
  profile: RiskProfile,
  thresholds: RiskThresholds = DEFAULT_RISK_THRESHOLDS,
  currency = "CNY",
): RiskAssessment {
  const signals: RiskSignalHit[] = [];
  for (const s of SIGNALS) {
    const weight = thresholds.weights[s.code] ?? s.defaultWeight;
    if (!(weight > 0)) continue;
    const hit = s.test(profile, thresholds, currency);
    if (hit) signals.push({ code: s.code, weight, label: s.label, reason: hit.reason, data: hit.data });
  }
  const total = signals.reduce((a, h) => a + h.weight, 0);
  const score = Math.min(100, Math.round(total));
  return { score, level: riskLevel(score, thresholds), signals };
}
