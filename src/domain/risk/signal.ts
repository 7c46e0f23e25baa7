import type { RiskProfile } from "./profile.ts";
import type { Text } from "./text.ts";
import type { RiskThresholds } from "./thresholds.ts";

/** What a signal found: a sentence a reviewer reads, with the actual numbers, and the numbers as data. */
export interface SignalHit {
  reason: Text;
  data: Record<string, number | string>;
}

/**
 * One case risk signal (风险信号). A new signal is one file in `signals/` exporting one of these, plus
 * one line in `signals/index.ts`; its weight can then be tuned in `RiskThresholds.weights[code]`.
 */
export interface RiskSignal {
  /** Stable machine code, snake_case; also the key of its weight. */
  readonly code: string;
  readonly label: Text;
  /** Points added to the score when it fires (0–100 integer), unless the merchant sets another. */
  readonly defaultWeight: number;
  /** Pure: `null` when the pattern is absent. `currency` is the one of `profile.amount`. */
  test(profile: RiskProfile, t: RiskThresholds, currency: string): SignalHit | null;
}
