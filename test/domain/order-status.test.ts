import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { CASE_STATE_NAMES, type CaseState, isTerminal } from "../../src/domain/lifecycle.ts";
import {
  deriveOrderStatus,
  ORDER_AFTERSALES_STATUSES,
  type OrderAftersalesStatus,
} from "../../src/domain/order-status.ts";

const PAID = 10000;
/** Nothing in the way of the parcel: the status is the cases' and the money's. */
const QUIET = { openInterception: false };
const INTERCEPTING = { openInterception: true };

describe("deriveOrderStatus", () => {
  const TABLE: [string, CaseState[], number, number, OrderAftersalesStatus][] = [
    ["no cases", [], 0, PAID, "none"],
    ["only cancelled cases", ["cancelled", "cancelled"], 0, PAID, "none"],
    ["a fresh request", ["requested"], 0, PAID, "in_progress"],
    ["a refund on its way", ["refunding"], 0, PAID, "in_progress"],
    ["a failed refund still needs work", ["refund_failed"], 0, PAID, "in_progress"],
    [
      "return awaited while an earlier case refunded",
      ["closed", "awaiting_return"],
      3000,
      PAID,
      "in_progress",
    ],
    ["a cancelled case does not hide an open one", ["cancelled", "received"], 0, PAID, "in_progress"],
    ["whole order refunded, case awaiting close", ["refunded"], PAID, PAID, "refunded"],
    ["whole order refunded, case closed", ["closed"], PAID, PAID, "refunded"],
    ["refunded over two cases", ["closed", "refunded"], PAID, PAID, "refunded"],
    ["refunded more than paid (e.g. compensation)", ["closed"], PAID + 500, PAID, "refunded"],
    ["part refunded", ["refunded"], 4000, PAID, "partially_refunded"],
    ["part refunded, closed", ["closed"], 1, PAID, "partially_refunded"],
    ["part refunded, other case cancelled", ["closed", "cancelled"], 4000, PAID, "partially_refunded"],
    ["part refunded, other case rejected", ["closed", "rejected"], 4000, PAID, "partially_refunded"],
    ["rejected", ["rejected"], 0, PAID, "closed"],
    ["replacement shipped", ["replacement_shipped"], 0, PAID, "closed"],
    ["reship closed", ["closed"], 0, PAID, "closed"],
    ["rejected after a cancellation", ["cancelled", "rejected"], 0, PAID, "closed"],
    ["free order closed", ["closed"], 0, 0, "closed"],
  ];
  test.each(TABLE)("%s → %s", (_name, states, refunded, paid, expected) => {
    expect(deriveOrderStatus(states, refunded, paid, QUIET)).toBe(expected);
  });

  const OPEN = CASE_STATE_NAMES.filter(
    (s) => !isTerminal(s) && s !== "refunded" && s !== "replacement_shipped",
  );
  test.each(OPEN)("any case in %s keeps the order in progress, whatever the money says", (state) => {
    for (const refunded of [0, 5000, PAID]) {
      expect(deriveOrderStatus([state], refunded, PAID, QUIET)).toBe("in_progress");
      expect(deriveOrderStatus(["closed", state, "cancelled"], refunded, PAID, QUIET)).toBe("in_progress");
    }
  });

  it("only ever answers with a known status that has both labels", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...CASE_STATE_NAMES), { maxLength: 6 }),
        fc.nat({ max: 20000 }),
        fc.nat({ max: 20000 }),
        fc.boolean(),
        (states, refunded, paid, openInterception) => {
          const status = deriveOrderStatus(states, refunded, paid, { openInterception });
          expect(Object.keys(ORDER_AFTERSALES_STATUSES)).toContain(status);
          expect(ORDER_AFTERSALES_STATUSES[status].zh).not.toBe("");
          expect(ORDER_AFTERSALES_STATUSES[status].en).not.toBe("");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("ignores the order of cases and any cancelled ones", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...CASE_STATE_NAMES), { maxLength: 6 }),
        fc.nat({ max: 5 }),
        fc.nat({ max: 20000 }),
        fc.nat({ max: 20000 }),
        fc.boolean(),
        (states, cancelled, refunded, paid, openInterception) => {
          const facts = { openInterception };
          const status = deriveOrderStatus(states, refunded, paid, facts);
          expect(deriveOrderStatus([...states].reverse(), refunded, paid, facts)).toBe(status);
          expect(
            deriveOrderStatus([...states, ...Array(cancelled).fill("cancelled")], refunded, paid, facts),
          ).toBe(status);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is in progress exactly when some live case still needs work", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...CASE_STATE_NAMES), { maxLength: 6 }),
        fc.nat({ max: 20000 }),
        fc.nat({ max: 20000 }),
        (states, refunded, paid) => {
          const open = states.some((s) => OPEN.includes(s));
          const status = deriveOrderStatus(states, refunded, paid, QUIET);
          expect(status === "in_progress").toBe(open);
          if (!open && refunded > 0)
            expect(status).toBe(refunded >= paid ? "refunded" : "partially_refunded");
        },
      ),
      { numRuns: 300 },
    );
  });

  // 物流异常处理中: a parcel being intercepted outranks whatever the cases and the money say.
  const INTERCEPTION_TABLE: [string, CaseState[], number][] = [
    ["refund_only case approved, parcel being stopped", ["approved"], 0],
    ["refund already sent, parcel still being stopped", ["refunded"], PAID],
    ["case closed with a partial refund, parcel on its way back", ["closed"], 4000],
    ["one case open, another cancelled", ["requested", "cancelled"], 0],
  ];
  test.each(INTERCEPTION_TABLE)("%s → logistics_exception", (_name, states, refunded) => {
    expect(deriveOrderStatus(states, refunded, PAID, INTERCEPTING)).toBe("logistics_exception");
  });

  it("shows a logistics exception exactly while an interception is open, with both labels", () => {
    expect(ORDER_AFTERSALES_STATUSES.logistics_exception).toEqual({
      zh: "物流异常处理中",
      en: "Logistics exception in progress",
    });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...CASE_STATE_NAMES), { maxLength: 6 }),
        fc.nat({ max: 20000 }),
        fc.nat({ max: 20000 }),
        fc.boolean(),
        (states, refunded, paid, openInterception) => {
          const status = deriveOrderStatus(states, refunded, paid, { openInterception });
          expect(status === "logistics_exception").toBe(openInterception);
          // Once the interception is settled the order falls back to what its cases say.
          if (openInterception) expect(deriveOrderStatus(states, refunded, paid, QUIET)).not.toBe(status);
        },
      ),
      { numRuns: 300 },
    );
  });
});
