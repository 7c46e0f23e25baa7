import { type Candidate, type Condition, type Finding, GRADES, type Grade, type ScanKind } from "./data.ts";
import type { QcUnit, ReceiveUnit } from "./units.ts";

/** What the station is doing: the one open thing the keyboard acts on. */
export type Panel =
  | { kind: "idle" }
  | { kind: "choose"; code: string; matchedBy: ScanKind; candidates: Candidate[]; selected: number }
  | {
      kind: "receive";
      code: string;
      matchedBy: ScanKind;
      candidate: Candidate;
      units: ReceiveUnit[];
      selected: number;
      /** Counting by barcode: units count as arrived only once scanned. */
      counting: boolean;
      key: string;
    }
  | {
      kind: "qc";
      caseId: number;
      code: string;
      currency: string;
      units: QcUnit[];
      selected: number;
      key: string;
    }
  | {
      kind: "unidentified";
      code: string;
      key: string;
      trackingNo: string;
      carrier: string;
      contents: string;
      note: string;
    }
  | {
      kind: "batch";
      codes: string[];
      selected: number;
      key: string;
      results: { code: string; outcome: string; caseId: number | null; text: string; ok: boolean }[];
    };

export const IDLE: Panel = { kind: "idle" };
export type Receiving = Extract<Panel, { kind: "receive" }>;
export type Grading = Extract<Panel, { kind: "qc" }>;

/** Rows the arrow keys move over in each panel. */
export function rowCount(p: Panel): number {
  switch (p.kind) {
    case "choose":
      return p.candidates.length;
    case "receive":
    case "qc":
      return p.units.length;
    case "batch":
      return p.codes.length;
    default:
      return 0;
  }
}

export function move(p: Panel, by: number): Panel {
  const n = rowCount(p);
  if (n === 0 || !("selected" in p)) return p;
  return { ...p, selected: (p.selected + by + n) % n };
}

/** The station's keys: Alt+digit picks among the open panel's choices (the digit as shown beside each). */
export const CONDITION_KEYS: Condition[] = [
  "intact",
  "opened",
  "damaged",
  "wrong_item",
  "missing_parts",
  "empty_box",
];
export const GRADE_KEYS: readonly Grade[] = GRADES;
/** Findings follow the grades: Alt+5 … Alt+9. */
export const FINDING_KEYS: Finding[] = ["none", "missing_parts", "buyer_damage", "empty_box", "wrong_item"];
export const FINDING_FIRST_DIGIT = GRADE_KEYS.length + 1;

/** A condition for the selected unit (or every unit), which then counts as arrived. */
export function setCondition(p: Receiving, c: Condition, all: boolean): Receiving {
  return {
    ...p,
    units: p.units.map((u, i) => (all || i === p.selected ? { ...u, condition: c, arrived: true } : u)),
  };
}

export function toggleArrived(p: Receiving): Receiving {
  return { ...p, units: p.units.map((u, i) => (i === p.selected ? { ...u, arrived: !u.arrived } : u)) };
}

export function setGrade(p: Grading, g: Grade, all: boolean): Grading {
  return {
    ...p,
    // A unit with no goods in it (empty box, someone else's goods) cannot pass.
    units: p.units.map((u, i) =>
      (all || i === p.selected) && (g !== "pass" || u.stocked) ? { ...u, grade: g } : u,
    ),
  };
}

export function setFinding(p: Grading, f: Finding, all: boolean): Grading {
  return { ...p, units: p.units.map((u, i) => (all || i === p.selected ? { ...u, finding: f } : u)) };
}
