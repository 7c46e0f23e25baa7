import type { Candidate, Condition, Finding, Grade, InspectionLine, ReceiptLines } from "./data.ts";

/**
 * The scan station works unit by unit: each unit a row the keyboard selects and marks. These turn a
 * case's items into rows and the marked rows back into what the API takes (per item and condition).
 */

/** One unit the case still expects. */
export interface ReceiveUnit {
  lineId: number;
  sku: string;
  title: string | null;
  /** 1-based among the units of its line. */
  n: number;
  arrived: boolean;
  condition: Condition;
}

/** One received unit awaiting QC. */
export interface QcUnit {
  receiptLineId: number;
  sku: string;
  title: string | null;
  n: number;
  condition: Condition;
  /** Whether the unit went into stock (an empty box or someone else's goods did not): it cannot pass. */
  stocked: boolean;
  grade: Grade;
  /** null: the finding the receipt condition implies (the server says which). */
  finding: Finding | null;
  /** The inspector's own deduction, a decimal amount; null: the one QC proposes. */
  deduction: string | null;
}

export function receiveUnits(c: Candidate, counting: boolean): ReceiveUnit[] {
  return c.outstanding.flatMap((x) =>
    Array.from({ length: x.quantity }, (_, i) => ({
      lineId: x.lineId,
      sku: x.sku,
      title: x.title,
      n: i + 1,
      arrived: !counting,
      condition: "intact" as Condition,
    })),
  );
}

/** Arrived units per item and condition, as a receipt's lines. */
export function receiptBody(units: ReceiveUnit[]) {
  const groups = new Map<string, { lineId: number; quantity: number; condition: Condition }>();
  for (const u of units.filter((x) => x.arrived)) {
    const k = `${u.lineId}/${u.condition}`;
    const g = groups.get(k) ?? { lineId: u.lineId, quantity: 0, condition: u.condition };
    g.quantity += 1;
    groups.set(k, g);
  }
  return [...groups.values()];
}

/** A sensible first grade: intact or merely opened goods pass; anything else fails to defective. */
const firstGrade = (condition: Condition, stocked: boolean): Grade =>
  stocked && (condition === "intact" || condition === "opened") ? "pass" : "defective";

export function qcUnits(r: ReceiptLines): QcUnit[] {
  return r.lines.flatMap((x) =>
    Array.from({ length: x.quantity - x.inspected }, (_, i) => ({
      receiptLineId: x.id,
      sku: x.sku,
      title: x.title,
      n: x.inspected + i + 1,
      condition: x.condition,
      stocked: x.stocked,
      grade: firstGrade(x.condition, x.stocked),
      finding: null,
      deduction: null,
    })),
  );
}

/**
 * The units as inspection lines, one per unit, so that the deduction QC proposes for each row is the one
 * the inspection records.
 */
export const inspectionLines = (units: QcUnit[]): InspectionLine[] =>
  units.map((u) => ({
    receiptLineId: u.receiptLineId,
    quantity: 1,
    result: u.grade === "pass" ? "pass" : "fail",
    ...(u.grade !== "pass" ? { disposition: u.grade } : {}),
    ...(u.finding ? { finding: u.finding } : {}),
    ...(u.deduction ? { deduction: u.deduction } : {}),
  }));

/** Where a scanned barcode counts: the next unit of that SKU not yet counted, or why not. */
export function countUnit(
  units: ReceiveUnit[],
  sku: string,
): { units: ReceiveUnit[]; index: number; n: number } | { full: number } | null {
  const of = units.filter((u) => u.sku === sku);
  if (of.length === 0) return null;
  const index = units.findIndex((u) => u.sku === sku && !u.arrived);
  if (index < 0) return { full: of.length };
  const next = units.map((u, i) => (i === index ? { ...u, arrived: true } : u));
  return { units: next, index, n: of.filter((u) => u.arrived).length + 1 };
}
