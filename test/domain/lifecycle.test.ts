import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { CASE_TYPES, type CaseType } from "../../src/domain/catalogue.ts";
import { AppError } from "../../src/domain/errors.ts";
import {
  ACTIONS,
  type Action,
  availableActions,
  CASE_STATE_NAMES,
  CASE_STATES,
  type CaseState,
  type GuardContext,
  isTerminal,
  MACHINES,
  nextState,
  OVERRIDE_EXITS,
  RELEASES_QUANTITY,
  reachableStates,
} from "../../src/domain/lifecycle.ts";
import { expectCode } from "./expect-code.ts";

const TERMINAL: CaseState[] = ["closed", "rejected", "cancelled"];

/** What a user of each case type can ever see, starting from a fresh request. */
const EXPECTED_REACHABLE: Record<CaseType, CaseState[]> = {
  refund_only: [
    "requested",
    "approved",
    "refunding",
    "refund_failed",
    "refunded",
    "closed",
    "rejected",
    "cancelled",
  ],
  return_refund: [
    "requested",
    "awaiting_return",
    "return_in_transit",
    "partially_received",
    "received",
    "inspected",
    "inspection_failed",
    "refunding",
    "refund_failed",
    "refunded",
    "closed",
    "rejected",
    "cancelled",
  ],
  exchange: [
    "requested",
    "awaiting_return",
    "return_in_transit",
    "partially_received",
    "received",
    "inspected",
    "inspection_failed",
    "replacement_shipped",
    "closed",
    "rejected",
    "cancelled",
  ],
  reship: ["requested", "approved", "replacement_shipped", "closed", "rejected", "cancelled"],
};

/** Breadth-first over the table, ignoring guards. */
function reachable(type: CaseType, from: CaseState = "requested"): Set<CaseState> {
  const seen = new Set<CaseState>([from]);
  const queue: CaseState[] = [from];
  while (queue.length > 0) {
    const s = queue.shift() as CaseState;
    for (const t of MACHINES[type]) {
      if (t.from.includes(s) && !seen.has(t.to)) {
        seen.add(t.to);
        queue.push(t.to);
      }
    }
  }
  return seen;
}

const ctx = (over: Partial<GuardContext> = {}): GuardContext => ({
  caseQuantity: 1,
  receivedQuantity: 0,
  ...over,
});
const TRACKING = { carrier: "SF", trackingNo: "SF1234567890" };

/** Walk a list of steps, checking each lands where expected. */
function walk(type: CaseType, steps: [Action, Partial<GuardContext>, CaseState][]): CaseState {
  let state: CaseState = "requested";
  for (const [action, over, expected] of steps) {
    state = nextState(type, state, action, ctx(over));
    expect(state, `${type}: ${action}`).toBe(expected);
  }
  return state;
}

describe("reachableStates", () => {
  it("lists exactly what each machine can reach", () => {
    for (const type of Object.keys(EXPECTED_REACHABLE) as CaseType[]) {
      expect([...reachableStates(type)].sort()).toEqual([...EXPECTED_REACHABLE[type]].sort());
    }
  });
});

describe("the tables", () => {
  test.each(CASE_TYPES)(
    "%s: every reachable state is one we expect, and every one we expect is reachable",
    (type) => {
      expect([...reachable(type)].sort()).toEqual([...EXPECTED_REACHABLE[type]].sort());
    },
  );

  test.each(CASE_TYPES)("%s: only known states and actions appear", (type) => {
    for (const t of MACHINES[type]) {
      for (const s of [...t.from, t.to]) expect(CASE_STATE_NAMES).toContain(s);
      expect(ACTIONS).toContain(t.action);
    }
  });

  test.each(CASE_TYPES)("%s: terminal states have no way out but a person reopening a rejection", (type) => {
    for (const t of MACHINES[type]) {
      if (t.action === "reopen") continue;
      for (const s of t.from) expect(isTerminal(s), `${t.action} from ${s}`).toBe(false);
    }
    expect(availableActions(type, "closed")).toEqual([]);
    expect(availableActions(type, "cancelled")).toEqual([]);
    expect(availableActions(type, "rejected")).toEqual(["reopen"]);
    expect(OVERRIDE_EXITS).toContain("reopen");
  });

  test.each(CASE_TYPES)("%s: every reachable open state can still end (no dead ends)", (type) => {
    for (const s of reachable(type)) {
      if (isTerminal(s)) continue;
      const ends = [...reachable(type, s)].filter(isTerminal);
      expect(ends.length, `${type} stuck in ${s}`).toBeGreaterThan(0);
      expect(availableActions(type, s).length).toBeGreaterThan(0);
    }
  });

  it("marks exactly closed, rejected and cancelled as terminal", () => {
    expect(CASE_STATE_NAMES.filter(isTerminal).sort()).toEqual([...TERMINAL].sort());
    expect(CASE_STATE_NAMES).toHaveLength(Object.keys(CASE_STATES).length);
    for (const s of CASE_STATE_NAMES) {
      expect(CASE_STATES[s].zh).not.toBe("");
      expect(CASE_STATES[s].en).not.toBe("");
    }
  });

  it("releases the case's quantity only when rejected or cancelled", () => {
    expect([...RELEASES_QUANTITY].sort()).toEqual(["cancelled", "rejected"]);
  });

  it("lists what can be done next, without duplicates", () => {
    expect(availableActions("refund_only", "requested").sort()).toEqual(["approve", "cancel", "reject"]);
    expect(availableActions("return_refund", "partially_received")).toEqual(["receive"]);
    expect(availableActions("return_refund", "received")).toEqual(["inspect"]);
    expect(availableActions("return_refund", "inspection_failed").sort()).toEqual(["grant_refund", "reject"]);
    expect(availableActions("exchange", "inspection_failed")).toEqual(["reject"]);
    expect(availableActions("refund_only", "refunding").sort()).toEqual([
      "refund_failed",
      "refund_succeeded",
    ]);
  });
});

describe("happy paths", () => {
  it("refund_only: requested → approved → refunding → refunded → closed", () => {
    walk("refund_only", [
      ["approve", {}, "approved"],
      ["grant_refund", { refundAmount: 1990 }, "refunding"],
      ["refund_succeeded", {}, "refunded"],
      ["close", {}, "closed"],
    ]);
  });

  it("refund_only: a failed refund can be granted again", () => {
    walk("refund_only", [
      ["approve", {}, "approved"],
      ["grant_refund", { refundAmount: 100 }, "refunding"],
      ["refund_failed", {}, "refund_failed"],
      ["grant_refund", { refundAmount: 100 }, "refunding"],
      ["refund_succeeded", {}, "refunded"],
    ]);
  });

  it("return_refund: shipped back, received in two parts, QC passes, refunded", () => {
    walk("return_refund", [
      ["approve", {}, "awaiting_return"],
      ["ship_return", TRACKING, "return_in_transit"],
      ["receive", { caseQuantity: 3, receivedQuantity: 1 }, "partially_received"],
      ["receive", { caseQuantity: 3, receivedQuantity: 2 }, "partially_received"],
      ["receive", { caseQuantity: 3, receivedQuantity: 3 }, "received"],
      ["inspect", { qcResult: "pass" }, "inspected"],
      ["grant_refund", { refundAmount: 5000 }, "refunding"],
      ["refund_succeeded", {}, "refunded"],
      ["close", {}, "closed"],
    ]);
  });

  it("return_refund: goods can arrive before any tracking number is given", () => {
    walk("return_refund", [
      ["approve", {}, "awaiting_return"],
      ["receive", { caseQuantity: 2, receivedQuantity: 2 }, "received"],
    ]);
  });

  it("return_refund: QC fail can still be refunded (partially) or rejected with a note", () => {
    const failed = walk("return_refund", [
      ["approve", {}, "awaiting_return"],
      ["receive", { caseQuantity: 1, receivedQuantity: 1 }, "received"],
      ["inspect", { qcResult: "fail" }, "inspection_failed"],
    ]);
    expect(nextState("return_refund", failed, "grant_refund", ctx({ refundAmount: 1 }))).toBe("refunding");
    expect(nextState("return_refund", failed, "reject", ctx({ note: "人为损坏" }))).toBe("rejected");
    expectCode(() => nextState("return_refund", failed, "reject", ctx()), "GUARD_FAILED");
  });

  it("exchange: returned, QC passes, replacement shipped, closed", () => {
    walk("exchange", [
      ["approve", {}, "awaiting_return"],
      ["ship_return", TRACKING, "return_in_transit"],
      ["receive", { caseQuantity: 1, receivedQuantity: 1 }, "received"],
      ["inspect", { qcResult: "pass" }, "inspected"],
      ["ship_replacement", TRACKING, "replacement_shipped"],
      ["close", {}, "closed"],
    ]);
  });

  it("exchange: QC fail ends in rejection, never in money", () => {
    const failed = walk("exchange", [
      ["approve", {}, "awaiting_return"],
      ["receive", { caseQuantity: 1, receivedQuantity: 1 }, "received"],
      ["inspect", { qcResult: "fail" }, "inspection_failed"],
    ]);
    expectCode(
      () => nextState("exchange", failed, "grant_refund", ctx({ refundAmount: 1 })),
      "INVALID_TRANSITION",
    );
    expectCode(() => nextState("exchange", failed, "ship_replacement", ctx(TRACKING)), "INVALID_TRANSITION");
    expect(nextState("exchange", failed, "reject", ctx({ note: "not ours" }))).toBe("rejected");
  });

  it("reship: requested → approved → replacement shipped → closed", () => {
    walk("reship", [
      ["approve", {}, "approved"],
      ["ship_replacement", TRACKING, "replacement_shipped"],
      ["close", {}, "closed"],
    ]);
  });

  test.each(CASE_TYPES)("%s: a request can be cancelled, or rejected with a note", (type) => {
    expect(nextState(type, "requested", "cancel", ctx())).toBe("cancelled");
    expect(nextState(type, "requested", "reject", ctx({ note: "超过售后期" }))).toBe("rejected");
  });

  it("cancelling is possible until the goods are on their way back", () => {
    expect(nextState("refund_only", "approved", "cancel", ctx())).toBe("cancelled");
    expect(nextState("reship", "approved", "cancel", ctx())).toBe("cancelled");
    expect(nextState("return_refund", "awaiting_return", "cancel", ctx())).toBe("cancelled");
    expect(nextState("exchange", "awaiting_return", "cancel", ctx())).toBe("cancelled");
    const err = expectCode(
      () => nextState("return_refund", "return_in_transit", "cancel", ctx()),
      "INVALID_TRANSITION",
    );
    expect(err.details).toEqual({ state: "return_in_transit", action: "cancel", allowed: ["receive"] });
    expectCode(() => nextState("refund_only", "refunding", "cancel", ctx()), "INVALID_TRANSITION");
  });
});

describe("guards", () => {
  it("reject needs a note that is not blank", () => {
    for (const note of [undefined, "", "   ", "\n\t"]) {
      const err = expectCode(
        () => nextState("refund_only", "requested", "reject", ctx(note === undefined ? {} : { note })),
        "GUARD_FAILED",
      );
      expect(err.details).toEqual({ state: "requested", action: "reject", guard: "has_note" });
    }
  });

  it("shipping needs both a carrier and a tracking number", () => {
    for (const over of [{}, { carrier: "SF" }, { trackingNo: "1" }, { carrier: "", trackingNo: "1" }]) {
      const err = expectCode(
        () => nextState("return_refund", "awaiting_return", "ship_return", ctx(over)),
        "GUARD_FAILED",
      );
      expect(err.details).toMatchObject({ guard: "has_tracking" });
      expectCode(() => nextState("reship", "approved", "ship_replacement", ctx(over)), "GUARD_FAILED");
    }
  });

  it("granting a refund needs something to refund", () => {
    for (const over of [{}, { refundAmount: 0 }, { refundAmount: -5 }]) {
      const err = expectCode(
        () => nextState("refund_only", "approved", "grant_refund", ctx(over)),
        "GUARD_FAILED",
      );
      expect(err.details).toMatchObject({ guard: "positive_refund" });
    }
  });

  it("inspection needs a QC result", () => {
    const err = expectCode(() => nextState("return_refund", "received", "inspect", ctx()), "GUARD_FAILED");
    expect(err.details).toMatchObject({ state: "received", action: "inspect", guard: "qc_pass" });
  });

  it("receiving more than was asked counts as all received", () => {
    expect(
      nextState(
        "return_refund",
        "partially_received",
        "receive",
        ctx({ caseQuantity: 2, receivedQuantity: 5 }),
      ),
    ).toBe("received");
  });
});

// ---------------------------------------------------------------------------------------------------
// properties: random walks

const ctxArb: fc.Arbitrary<GuardContext> = fc
  .record({
    caseQuantity: fc.integer({ min: 1, max: 5 }),
    receivedDelta: fc.integer({ min: -5, max: 2 }),
    qcResult: fc.option(fc.constantFrom<"pass" | "fail">("pass", "fail"), { nil: undefined }),
    refundAmount: fc.option(fc.integer({ min: -10, max: 10_000 }), { nil: undefined }),
    carrier: fc.option(fc.constantFrom("", "SF", "ZTO"), { nil: undefined }),
    trackingNo: fc.option(fc.constantFrom("", "SF100", "7311"), { nil: undefined }),
    note: fc.option(fc.constantFrom("", "  ", "not as agreed", "超时"), { nil: undefined }),
  })
  .map(({ caseQuantity, receivedDelta, ...rest }) => {
    const c: GuardContext = { caseQuantity, receivedQuantity: Math.max(0, caseQuantity + receivedDelta) };
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) Object.assign(c, { [k]: v });
    return c;
  });

/** Most steps pick among the actions the state offers, so walks get deep into each machine. */
const stepsArb = fc.array(
  fc.tuple(
    fc.nat({ max: 5 }).map((n) => n > 0),
    fc.nat({ max: 100 }),
    ctxArb,
  ),
  {
    minLength: 1,
    maxLength: 40,
  },
);
const pickAction = (type: CaseType, state: CaseState, offered: boolean, n: number): Action => {
  const options = offered ? availableActions(type, state) : [...ACTIONS];
  return options[n % options.length] ?? (ACTIONS[n % ACTIONS.length] as Action);
};

/** What each action's guards require, in the merchant's words — an oracle independent of the table. */
function guardsHold(action: Action, to: CaseState, c: GuardContext): boolean {
  switch (action) {
    case "reject":
    case "reopen":
    case "revoke":
      return Boolean(c.note?.trim());
    case "ship_return":
    case "ship_replacement":
      return Boolean(c.carrier && c.trackingNo);
    case "grant_refund":
      return (c.refundAmount ?? 0) > 0;
    case "receive":
      return to === (c.receivedQuantity >= c.caseQuantity ? "received" : "partially_received");
    case "inspect":
      return (
        (c.qcResult === "pass" && to === "inspected") || (c.qcResult === "fail" && to === "inspection_failed")
      );
    default:
      return true;
  }
}

describe("random walks", () => {
  test.each(CASE_TYPES)(
    "%s: never leaves the reachable states; failures throw a typed error and change nothing",
    (type) => {
      const allowed = new Set(EXPECTED_REACHABLE[type]);
      const rows = MACHINES[type];
      const visited = new Set<CaseState>(["requested"]);
      fc.assert(
        fc.property(stepsArb, (steps) => {
          let state: CaseState = "requested";
          for (const [offered, n, c] of steps) {
            const action = pickAction(type, state, offered, n);
            const before = state;
            const canTry = availableActions(type, state).includes(action);
            let next: CaseState | undefined;
            try {
              next = nextState(type, state, action, c);
            } catch (err) {
              expect(err).toBeInstanceOf(AppError);
              const e = err as AppError;
              expect(e.details).toMatchObject({ state: before, action });
              if ((isTerminal(state) && action !== "reopen") || !canTry) {
                expect(e.code).toBe("INVALID_TRANSITION");
              } else {
                expect(e.code).toBe("GUARD_FAILED");
                // no row for this action from here would have let it through
                const targets = rows
                  .filter((t) => t.action === action && t.from.includes(state))
                  .map((t) => t.to);
                for (const to of targets) expect(guardsHold(action, to, c)).toBe(false);
              }
              expect(state).toBe(before);
              continue;
            }
            expect(isTerminal(before) && action !== "reopen").toBe(false);
            expect(canTry).toBe(true);
            expect(rows.some((t) => t.from.includes(before) && t.action === action && t.to === next)).toBe(
              true,
            );
            expect(guardsHold(action, next, c)).toBe(true);
            expect(allowed.has(next)).toBe(true);
            // pure: asking again gives the same answer
            expect(nextState(type, before, action, c)).toBe(next);
            state = next;
            visited.add(next);
          }
        }),
        // Enough walks that reaching every state (closed needs a long exchange walk) is not luck.
        { numRuns: 1500 },
      );
      // the walks really explored the machine, not just its first state
      expect([...visited].sort()).toEqual([...allowed].sort());
    },
  );

  test.each(CASE_TYPES)("%s: a terminal state accepts nothing but an override's reopen", (type) => {
    fc.assert(
      fc.property(fc.constantFrom(...TERMINAL), fc.constantFrom(...ACTIONS), ctxArb, (state, action, c) => {
        fc.pre(!(state === "rejected" && action === "reopen"));
        const err = expectCode(() => nextState(type, state, action, c), "INVALID_TRANSITION");
        expect(err.details).toEqual({ state, action, allowed: state === "rejected" ? ["reopen"] : [] });
      }),
      { numRuns: 200 },
    );
  });
});
