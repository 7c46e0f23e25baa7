import { describe, expect, it, test } from "vitest";
import { createInterceptionSimulator } from "../../src/channels/logistics/interception/simulator.ts";
import { InterceptionRefusedError } from "../../src/channels/logistics/interception.ts";
import type { CaseType } from "../../src/domain/catalogue.ts";
import {
  canMoveInterception,
  INTERCEPTION_STATUSES,
  type InterceptionCandidate,
  isOpenInterception,
  OPEN_INTERCEPTION_STATUSES,
  offerAfterFailedInterception,
  planInterception,
  refundHold,
} from "../../src/domain/interception.ts";
import type { CaseState } from "../../src/domain/lifecycle.ts";
import type { LogisticsStatus } from "../../src/domain/order.ts";

/** When a case asks for an interception and what follows, as the domain decides it (no database). */

const parcel = (status: LogisticsStatus, trackingNo = "ZT1") => ({ carrier: "ZTO", trackingNo, status });
const candidate = (over: Partial<InterceptionCandidate>): InterceptionCandidate => ({
  type: "refund_only",
  status: "approved",
  reason: "changed_mind",
  parcels: [parcel("in_transit")],
  ...over,
});

describe("which cases ask for an interception", () => {
  const CASES: [string, Partial<InterceptionCandidate>, string | null][] = [
    ["approved refund_only, parcel in transit", {}, "carrier"],
    ["approved refund_only, parcel just shipped", { parcels: [parcel("shipped")] }, "carrier"],
    ["refund already sent, parcel still in transit", { status: "refunded" }, "carrier"],
    ["refund on its way, parcel in transit", { status: "refunding" }, "carrier"],
    ["refund_only not yet approved", { status: "requested" }, null],
    ["refund_only rejected", { status: "rejected" }, null],
    ["refund_only, parcel delivered", { parcels: [parcel("delivered")] }, null],
    ["refund_only, parcel lost (exception), ordinary reason", { parcels: [parcel("exception")] }, null],
    [
      "lost parcel, case just opened",
      { status: "requested", reason: "logistics_lost", parcels: [parcel("exception")] },
      "carrier",
    ],
    ["late parcel, case just opened", { status: "requested", reason: "logistics_delay" }, "carrier"],
    [
      "lost parcel, reship case",
      { type: "reship", status: "requested", reason: "logistics_lost" },
      "carrier",
    ],
    [
      "lost parcel, reship already sent",
      { type: "reship", status: "replacement_shipped", reason: "logistics_lost" },
      null,
    ],
    ["return_refund, whatever the reason", { type: "return_refund", reason: "logistics_lost" }, null],
    ["approved refund_only, nothing shipped", { parcels: [parcel("unshipped")] }, "warehouse_cancel"],
    ["approved refund_only, no parcel at all", { parcels: [] }, "warehouse_cancel"],
    [
      "late parcel not shipped, case not yet approved",
      { status: "requested", reason: "logistics_delay", parcels: [] },
      null,
    ],
    ["reship, nothing shipped", { type: "reship", parcels: [] }, null],
  ];
  test.each(CASES)("%s → %s", (_name, over, method) => {
    expect(planInterception(candidate(over))?.method ?? null).toBe(method);
  });

  it("stops the newest parcel that can still be stopped", () => {
    const plan = planInterception(
      candidate({
        parcels: [parcel("delivered", "NEW"), parcel("in_transit", "OLD"), parcel("shipped", "OLDEST")],
      }),
    );
    expect(plan).toEqual({
      trigger: "refund-while-in-transit",
      method: "carrier",
      carrier: "ZTO",
      trackingNo: "OLD",
    });
  });

  it("tells the warehouse only when nothing at all has left", () => {
    expect(planInterception(candidate({ parcels: [parcel("unshipped"), parcel("delivered")] }))).toBeNull();
  });

  it("only ever plans for the case types and states its rows name", () => {
    const types: CaseType[] = ["refund_only", "return_refund", "exchange", "reship"];
    const states: CaseState[] = [
      "requested",
      "approved",
      "refunded",
      "closed",
      "cancelled",
      "awaiting_return",
    ];
    for (const type of types)
      for (const status of states) {
        const plan = planInterception(candidate({ type, status, reason: "logistics_lost" }));
        if (type === "return_refund" || type === "exchange" || ["closed", "cancelled"].includes(status))
          expect(plan, `${type} ${status}`).toBeNull();
      }
  });
});

describe("interception statuses", () => {
  it("is open while requested, pending or on its way back — and holds the refund exactly then", () => {
    expect(OPEN_INTERCEPTION_STATUSES).toEqual(["requested", "pending", "intercepted"]);
    for (const s of Object.keys(INTERCEPTION_STATUSES)) {
      expect(isOpenInterception(s)).toBe(OPEN_INTERCEPTION_STATUSES.includes(s as never));
      expect(refundHold(s) !== null).toBe(isOpenInterception(s));
    }
    expect(refundHold(null)).toBeNull();
    expect(refundHold("intercepted")).toMatch(/on its way back/);
  });

  test.each([
    ["requested", "pending", true],
    ["requested", "failed", true],
    ["pending", "intercepted", true],
    ["pending", "too_late", true],
    ["pending", "returned", true],
    ["intercepted", "returned", true],
    ["intercepted", "failed", false],
    ["failed", "intercepted", false],
    ["too_late", "returned", false],
    ["returned", "intercepted", false],
    ["cancel_requested", "instructed", true],
    ["requested", "instructed", false],
    ["nonsense", "returned", false],
  ] as const)("%s → %s allowed: %s", (from, to, allowed) => {
    expect(canMoveInterception(from, to)).toBe(allowed);
  });

  test.each([
    ["logistics_lost", "failed", "reship_or_refund"],
    ["logistics_delay", "too_late", "reship_or_refund"],
    ["changed_mind", "failed", "return_then_refund"],
    ["quality", "too_late", "return_then_refund"],
  ] as const)("a %s case whose interception %s is offered %s", (reason, outcome, solution) => {
    const offer = offerAfterFailedInterception(reason, outcome);
    expect(offer.solution).toBe(solution);
    expect(offer.why.zh).not.toBe("");
    expect(offer.why.en).not.toBe("");
  });
});

describe("the simulated carrier", () => {
  it("answers later: pending until settled by hand or after its delay, once per parcel", async () => {
    let now = 1_000;
    const settled: string[] = [];
    const sim = createInterceptionSimulator({
      decideAfterMs: 60_000,
      outcome: "too_late",
      now: () => now,
      onSettled: (r) => settled.push(`${r.trackingNo}:${r.status}`),
    });
    const a = await sim.interceptor.request("ZTO", "A", "lost");
    expect(await sim.interceptor.request("ZTO", "A", "again")).toEqual(a);
    const b = await sim.interceptor.request("ZTO", "B", "late");
    expect(await sim.interceptor.status(a.requestId)).toBe("pending");
    sim.settle("B", "intercepted");
    expect(await sim.interceptor.status(b.requestId)).toBe("intercepted");
    now += 60_000;
    expect(await sim.interceptor.status(a.requestId)).toBe("too_late");
    expect(settled).toEqual(["B:intercepted", "A:too_late"]);
    sim.faults({ refuseNext: 1, failNext: 1, failStatusNext: 1 });
    await expect(sim.interceptor.request("ZTO", "C", "x")).rejects.toThrow(/connection reset/);
    await expect(sim.interceptor.request("ZTO", "C", "x")).rejects.toBeInstanceOf(InterceptionRefusedError);
    await expect(sim.interceptor.status(a.requestId)).rejects.toThrow(/connection reset/);
    await expect(sim.interceptor.status("nope")).rejects.toMatchObject({ code: "UNKNOWN_REQUEST" });
    expect(() => sim.faults({ nope: 1 } as never)).toThrow(/unknown fault/);
  });
});
