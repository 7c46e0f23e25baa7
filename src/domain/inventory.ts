import type { ReasonCode } from "./catalogue.ts";
import { fail } from "./errors.ts";

/**
 * The inventory ledger's rules (库存台账): which buckets a movement changes, and whether a balance may
 * take it. Stock per SKU and warehouse lives in buckets; every movement is a set of deltas, so a balance
 * is always the sum of its movements.
 */

export const BUCKETS = ["sellable", "quarantine", "defective", "scrapped", "returned_to_vendor"] as const;
export type Bucket = (typeof BUCKETS)[number];
export type Balance = Record<Bucket, number>;
export type Delta = Partial<Record<Bucket, number>>;

export const EMPTY_BALANCE: Balance = {
  sellable: 0,
  quarantine: 0,
  defective: 0,
  scrapped: 0,
  returned_to_vendor: 0,
};

/** What produced a movement; with its key it is the movement's identity (applied once). */
export const SOURCE_KINDS = ["receipt", "inspection", "reship", "exchange", "adjustment"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** What the receiver saw, per unit (到货状态). */
export const CONDITIONS = [
  "intact",
  "opened",
  "damaged",
  "wrong_item",
  "missing_parts",
  "empty_box",
] as const;
export type Condition = (typeof CONDITIONS)[number];

/** Conditions in which no unit of the expected SKU arrived: nothing enters that SKU's stock. */
const NOTHING_OF_THE_SKU: readonly Condition[] = ["empty_box", "wrong_item"];
export const isStocked = (c: Condition) => !NOTHING_OF_THE_SKU.includes(c);

/** Worst first: a receipt's summary condition is the worst of its lines. */
const SEVERITY: readonly Condition[] = [
  "empty_box",
  "wrong_item",
  "missing_parts",
  "damaged",
  "opened",
  "intact",
];
export const worstCondition = (cs: readonly Condition[]): Condition =>
  SEVERITY.find((c) => cs.includes(c)) ?? "intact";

/**
 * Reasons that claim the goods are faulty (质量原因). Their units are held for quality (`quality_hold`);
 * like every returned unit they wait in quarantine, and only a passing inspection makes them sellable.
 */
export const QUALITY_REASONS: readonly ReasonCode[] = ["quality", "damaged", "not_as_described", "spoiled"];
export const isQualityReason = (r: string) => QUALITY_REASONS.includes(r as ReasonCode);

/** Where inspected units go: a pass is sellable; a fail is kept as defective, scrapped or sent back to the vendor. */
export const DISPOSITIONS = ["sellable", "defective", "scrap", "return_to_vendor"] as const;
export type Disposition = (typeof DISPOSITIONS)[number];
export const FAIL_DISPOSITIONS: readonly Disposition[] = ["defective", "scrap", "return_to_vendor"];

const DISPOSED_TO: Record<Disposition, Bucket> = {
  sellable: "sellable",
  defective: "defective",
  scrap: "scrapped",
  return_to_vendor: "returned_to_vendor",
};

/** Every returned unit of the SKU goes into quarantine (待检) at receipt, whatever the reason. */
export function receiptDelta(condition: Condition, quantity: number): Delta | null {
  return isStocked(condition) ? { quarantine: quantity } : null;
}

/** An inspection moves its units out of quarantine to where the result sends them. */
export function inspectionDelta(disposition: Disposition, quantity: number): Delta {
  return { quarantine: -quantity, [DISPOSED_TO[disposition]]: quantity };
}

/** The disposition an inspection result implies when none is named; a pass is always sellable. */
export function dispositionFor(result: "pass" | "fail", asked?: Disposition): Disposition {
  if (result === "pass") {
    if (asked && asked !== "sellable")
      fail("INVALID_DISPOSITION", "A unit that passes inspection becomes sellable", {
        disposition: asked,
        result,
      });
    return "sellable";
  }
  if (asked && !FAIL_DISPOSITIONS.includes(asked))
    fail("INVALID_DISPOSITION", "A failed unit is kept as defective, scrapped or returned to the vendor", {
      disposition: asked,
      result,
    });
  return asked ?? "defective";
}

/** A replacement (reship 补发, exchange 换货) leaves sellable stock. */
export const shipmentDelta = (quantity: number): Delta => ({ sellable: -quantity });

/**
 * The balance after `delta`, or INSUFFICIENT_STOCK when sellable would go below zero without backorder
 * (NEGATIVE_STOCK for any other bucket, which nothing may take below zero).
 */
export function applyDelta(
  balance: Balance,
  delta: Delta,
  where: { sku: string; warehouse: string; allowBackorder: boolean },
): Balance {
  const next = { ...balance };
  for (const b of BUCKETS) next[b] += delta[b] ?? 0;
  const taken = -(delta.sellable ?? 0);
  if (taken > 0 && next.sellable < 0 && !where.allowBackorder) {
    fail(
      "INSUFFICIENT_STOCK",
      `Only ${Math.max(balance.sellable, 0)} of ${where.sku} are sellable in ${where.warehouse}; ${taken} are needed`,
      { sku: where.sku, warehouse: where.warehouse, sellable: balance.sellable, needed: taken },
    );
  }
  for (const b of BUCKETS) {
    if (b !== "sellable" && next[b] < 0 && (delta[b] ?? 0) < 0) {
      fail("NEGATIVE_STOCK", `${where.sku} has only ${balance[b]} ${b} in ${where.warehouse}`, {
        sku: where.sku,
        warehouse: where.warehouse,
        bucket: b,
        available: balance[b],
      });
    }
  }
  return next;
}

/** The sum of movements: what every balance must equal. */
export function sumDeltas(deltas: readonly Delta[]): Balance {
  const out = { ...EMPTY_BALANCE };
  for (const d of deltas) for (const b of BUCKETS) out[b] += d[b] ?? 0;
  return out;
}

export const isEmptyDelta = (d: Delta) => BUCKETS.every((b) => (d[b] ?? 0) === 0);

/** Warehouse codes are short identifiers people type on scanners and in URLs. */
export function validateWarehouseId(id: string): string {
  const v = id?.trim();
  if (!v || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/.test(v))
    fail("INVALID_WAREHOUSE", "A warehouse code is 1–40 letters, digits, '-', '_' or '.'", { id });
  return v;
}
