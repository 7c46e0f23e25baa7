/** Risk (风控): case risk signals and SKU/category quality alerts. Pure domain code. */
export { assessRisk, type RiskAssessment, type RiskLevel, type RiskSignalHit, riskLevel } from "./assess.ts";
export type { RiskProfile } from "./profile.ts";
export {
  DEFAULT_QUALITY_THRESHOLDS,
  detectQualityJumps,
  LISTING_REASONS,
  type QualityAlert,
  type QualityStats,
  type QualitySubjectKind,
  type QualityThresholds,
  validateQualityThresholds,
} from "./quality.ts";
export type { RiskSignal, SignalHit } from "./signal.ts";
export { SIGNAL_CODES, SIGNALS } from "./signals/index.ts";
export type { Text } from "./text.ts";
export { DEFAULT_RISK_THRESHOLDS, type RiskThresholds, validateRiskThresholds } from "./thresholds.ts";
