import { REASONS, type ReasonCode } from "./catalogue.ts";
import { fail } from "./errors.ts";
import type { Condition } from "./inventory.ts";

/**
 * What quality control (质检) found, and what that means for the refund: an empty box or someone
 * else's goods → refuse; missing parts or damage the buyer caused → refund less, saying why.
 */

export const FINDINGS = {
  empty_box: { zh: "空包", en: "Empty box" },
  wrong_item: { zh: "退回商品不符", en: "Not the goods that were sold" },
  missing_parts: { zh: "缺少配件", en: "Parts missing" },
  buyer_damage: { zh: "买家人为损坏", en: "Damaged by the buyer" },
  none: { zh: "无异常", en: "Nothing to note" },
} as const;
export type Finding = keyof typeof FINDINGS;
export const FINDING_CODES = Object.keys(FINDINGS) as Finding[];

/**
 * The finding a unit's receipt condition implies when the inspector names none. Damage counts as the
 * buyer's only when the buyer is at fault for the return (a quality return may arrive damaged by the defect).
 */
export function defaultFinding(condition: Condition, reason: string): Finding {
  if (condition === "empty_box" || condition === "wrong_item" || condition === "missing_parts")
    return condition;
  if (condition === "damaged" && REASONS[reason as ReasonCode]?.fault === "buyer") return "buyer_damage";
  return "none";
}

/** Findings that make the refund smaller, and by how much of the units' paid value when no amount is given. */
export const DEDUCTION_RATES_BP: Partial<Record<Finding, number>> = {
  missing_parts: 3000, // 30 %
  buyer_damage: 5000, // 50 %
};
/** Findings that mean the buyer sent back nothing of what they bought. */
const REFUSE: readonly Finding[] = ["empty_box", "wrong_item"];

export interface InspectedUnits {
  sku: string;
  quantity: number;
  finding: Finding;
  /** What these units paid (their share of the line's paid amount), minor units. */
  paid: number;
  /** The inspector's own deduction for these units, minor units. */
  deduction: number | null;
}

export interface RefundRecommendation {
  /** refuse: decline the refund; deduct: refund less, by `deductions`; full: nothing found. */
  kind: "refuse" | "deduct" | "full";
  reasons: { finding: Finding; sku: string; quantity: number }[];
  /** In the shape the refund grant takes (amounts in minor units). */
  deductions: { kind: "other"; amount: number; note: string }[];
}

const bp = (amount: number, rate: number) => Math.floor((amount * rate + 5000) / 10000);

/** The refund QC recommends, from every inspected unit of the case. */
export function recommendRefund(units: readonly InspectedUnits[]): RefundRecommendation {
  const reasons = units
    .filter((u) => u.finding !== "none")
    .map((u) => ({ finding: u.finding, sku: u.sku, quantity: u.quantity }));
  if (units.some((u) => REFUSE.includes(u.finding))) return { kind: "refuse", reasons, deductions: [] };
  const deductions = units.flatMap((u) => {
    const amount = unitsDeduction(u);
    if (amount <= 0) return [];
    const label = FINDINGS[u.finding];
    return [{ kind: "other" as const, amount, note: `${label.zh} ${label.en}: ${u.sku} ×${u.quantity}` }];
  });
  return { kind: deductions.length > 0 ? "deduct" : "full", reasons, deductions };
}

/**
 * What inspected units take off the refund (minor units): the inspector's own amount, else the finding's
 * rate of what the units paid; never more than they paid, 0 when the finding costs nothing.
 */
export function unitsDeduction(u: Pick<InspectedUnits, "finding" | "paid" | "deduction">): number {
  const rate = DEDUCTION_RATES_BP[u.finding];
  if (rate === undefined && u.deduction === null) return 0;
  return Math.max(0, Math.min(u.deduction ?? bp(u.paid, rate ?? 0), u.paid));
}

/** The units' share of a line's paid amount, rounded down. */
export const paidShare = (linePaid: number, lineQuantity: number, quantity: number) =>
  Math.floor((linePaid * quantity) / lineQuantity);

export function validateFinding(f: string | undefined): Finding | undefined {
  if (f === undefined) return undefined;
  if (!FINDING_CODES.includes(f as Finding))
    fail("INVALID_FINDING", `Unknown QC finding "${f}"`, { finding: f });
  return f as Finding;
}
