import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logisticsCallbackRoutes } from "../../src/api/routes/logistics-callbacks.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import {
  createInterceptionSimulator,
  type InterceptionSimulator,
} from "../../src/channels/logistics/interception/simulator.ts";
import { kuaidi100Tracking } from "../../src/channels/logistics/kuaidi100/adapter.ts";
import {
  type Kuaidi100Simulator,
  startKuaidi100Simulator,
} from "../../src/channels/logistics/kuaidi100/simulator.ts";
import type { ReasonCode } from "../../src/domain/catalogue.ts";
import { OPEN_INTERCEPTION_STATUSES } from "../../src/domain/interception.ts";
import type { CaseState } from "../../src/domain/lifecycle.ts";
import type { LogisticsStatus } from "../../src/domain/order.ts";
import { deriveOrderStatus } from "../../src/domain/order-status.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { requestInterception, sweepInterceptionTriggers } from "../../src/flows/intercept-parcel.ts";
import { parcelReturned, pollInterceptions } from "../../src/flows/interception-outcome.ts";
import { recordTracking } from "../../src/flows/record-tracking.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { interceptionRound } from "../../src/jobs/interceptions.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { codeOf, placeOrder, REVIEWER } from "../support/fixtures.ts";

/**
 * 拦截 on a real database: a case that needs its parcel stopped asks the (simulated) carrier once,
 * the order shows 物流异常处理中 and the refund waits; the carrier's answer — intercepted, failed,
 * too late — drives the case and the order; the parcel's way back (pushed by the simulated
 * Kuaidi100 to the real callback route) releases the refund.
 */

const KEY = "k100-key";
const CUSTOMER = "K100CUSTOMER";
const SALT = "k100-salt";

let env: TestEnv;
let carrier: InterceptionSimulator;
let k100: Kuaidi100Simulator;
let app: App;
let base = "";
let n = 0;

beforeAll(async () => {
  env = await testEnv();
  k100 = await startKuaidi100Simulator({ key: KEY, customer: CUSTOMER, now: () => env.clock.now });
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
  if (!app.hasRoute({ method: "POST", url: "/api/v1/callbacks/logistics/:provider" }))
    await app.register(logisticsCallbackRoutes, { ctx: env.ctx, prefix: "/api/v1" });
  await app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  carrier = createInterceptionSimulator({ now: () => env.clock.now.getTime() });
  env.ctx.logistics = {
    interceptor: carrier.interceptor,
    tracking: kuaidi100Tracking({
      baseUrl: k100.url,
      key: KEY,
      customer: CUSTOMER,
      salt: SALT,
      callbackUrl: () => `${base}/api/v1/callbacks/logistics/kuaidi100`,
    }),
  };
});
afterAll(async () => {
  await k100?.close();
  await app?.close();
  await env?.close();
});

/** An order whose ZTO parcel is `parcel`, with a refund_only case for the whole first line. */
async function caseOnParcel(
  opts: { parcel?: LogisticsStatus | "none"; reason?: ReasonCode; approve?: boolean; lines?: 1 | 2 } = {},
) {
  const trackingNo = `ZT${Date.now()}${++n}`;
  const parcel = opts.parcel ?? "in_transit";
  const { orderId, lines } = await placeOrder(env.ctx, {
    shipments:
      parcel === "none"
        ? []
        : [{ carrier: "ZTO", trackingNo, status: parcel, shippedAt: "2026-10-31T10:00:00Z" }],
  });
  const ids: number[] = [];
  for (const line of lines.slice(0, opts.lines ?? 1)) {
    const c = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: opts.reason ?? "changed_mind",
      source: "chat",
      items: [{ lineId: line.id, quantity: line.quantity }],
    });
    if (opts.approve !== false) await approveCase(env.ctx, REVIEWER, c.id);
    ids.push(c.id);
  }
  return { orderId, caseId: ids[0] as number, caseIds: ids, trackingNo };
}

const order = (id: number) =>
  env.ctx.db
    .selectFrom("orders")
    .select(["aftersales_status", "refunded_total", "paid_total"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
const kase = (id: number) =>
  env.ctx.db
    .selectFrom("cases")
    .select(["status", "version", "recommendation"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
const interceptionOf = (caseId: number) =>
  env.ctx.db.selectFrom("interceptions").selectAll().where("case_id", "=", caseId).executeTakeFirstOrThrow();
const events = async (caseId: number) =>
  (
    await env.ctx.db
      .selectFrom("case_events")
      .select(["action", "from_status", "to_status", "data"])
      .where("case_id", "=", caseId)
      .orderBy("id")
      .execute()
  ).map((e) => e.action);
const outbox = (topic: string) =>
  env.ctx.db.selectFrom("outbox").select(["key", "status", "payload"]).where("topic", "=", topic).execute();

/** The order's stored status is what its cases, money and interceptions say. */
async function expectDerived(orderId: number) {
  const o = await order(orderId);
  const states = (
    await env.ctx.db.selectFrom("cases").select("status").where("order_id", "=", orderId).execute()
  ).map((c) => c.status as CaseState);
  const open = await env.ctx.db
    .selectFrom("interceptions")
    .select("id")
    .where("order_id", "=", orderId)
    .where("status", "in", OPEN_INTERCEPTION_STATUSES)
    .executeTakeFirst();
  expect(o.aftersales_status).toBe(
    deriveOrderStatus(states, o.refunded_total, o.paid_total, { openInterception: Boolean(open) }),
  );
  return o.aftersales_status;
}

/** Send the outbox's due messages (the interception request), then let the first check come due. */
async function sendAndWait() {
  await dispatchOnce(env.ctx);
  env.clock.advance(6 * 60_000);
}

describe("asking for an interception", () => {
  it("an approved refund_only case with its parcel in transit asks the carrier once; the refund waits", async () => {
    const { orderId, caseId, trackingNo } = await caseOnParcel();
    expect(await expectDerived(orderId)).toBe("in_progress");
    const first = await requestInterception(env.ctx, caseId);
    expect(first).toMatchObject({
      status: "created",
      interception: { method: "carrier", carrier: "ZTO", tracking_no: trackingNo, status: "requested" },
    });
    expect(await expectDerived(orderId)).toBe("logistics_exception");
    // Twice more — a retry, the sweep — and still one interception, one message, one carrier request.
    expect(await requestInterception(env.ctx, caseId)).toMatchObject({ status: "exists" });
    await sweepInterceptionTriggers(env.ctx);
    const rows = await env.ctx.db
      .selectFrom("interceptions")
      .select("id")
      .where("case_id", "=", caseId)
      .execute();
    expect(rows).toHaveLength(1);
    const key = `interception:${rows[0]?.id}`;
    expect((await outbox("logistics.intercept")).filter((m) => m.key === key)).toHaveLength(1);
    expect(await events(caseId)).toEqual(["submit", "approve", "intercept_requested"]);

    expect(await codeOf(grantRefund(env.ctx, REVIEWER, caseId))).toBe("PARCEL_BEING_INTERCEPTED");
    await sendAndWait();
    await requestInterception(env.ctx, caseId);
    await dispatchOnce(env.ctx);
    expect(carrier.requests().filter((r) => r.trackingNo === trackingNo)).toHaveLength(1);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "pending", attempts: 1 });
    // The parcel is now watched, so its way back will arrive.
    expect(k100.parcels().find((p) => p.nu === trackingNo)).toMatchObject({ subscribed: true });
    expect(await codeOf(grantRefund(env.ctx, REVIEWER, caseId))).toBe("PARCEL_BEING_INTERCEPTED");
    expect((await kase(caseId)).status).toBe("approved");
  });

  it("two cases on one parcel ask the carrier once and both hear its answer", async () => {
    const { orderId, caseIds, trackingNo } = await caseOnParcel({ lines: 2 });
    for (const id of caseIds)
      expect(await requestInterception(env.ctx, id)).toMatchObject({ status: "created" });
    await sendAndWait();
    expect(carrier.requests().filter((r) => r.trackingNo === trackingNo)).toHaveLength(1);
    const [a, b] = await Promise.all(caseIds.map(interceptionOf));
    expect(a?.request_id).toBe(b?.request_id);
    carrier.settle(trackingNo, "failed");
    expect((await pollInterceptions(env.ctx)).settled).toBeGreaterThanOrEqual(2);
    for (const id of caseIds) expect(await interceptionOf(id)).toMatchObject({ status: "failed" });
    expect(await expectDerived(orderId)).toBe("in_progress");
  });

  it("does nothing where no logistics integration is configured, or where nothing needs stopping", async () => {
    const { caseId, orderId } = await caseOnParcel();
    expect(await requestInterception({ ...env.ctx, logistics: undefined }, caseId)).toEqual({
      status: "disabled",
    });
    const delivered = await caseOnParcel({ parcel: "delivered" });
    expect(await requestInterception(env.ctx, delivered.caseId)).toEqual({ status: "not_needed" });
    // A refund_only case nobody approved yet, for a reason that is not the carrier's: not yet.
    const unapproved = await caseOnParcel({ approve: false });
    expect(await requestInterception(env.ctx, unapproved.caseId)).toEqual({ status: "not_needed" });
    expect(await expectDerived(orderId)).toBe("in_progress");
  });

  it("before the parcel left, tells the warehouse to cancel the shipment instead, and the refund goes on", async () => {
    const { orderId, caseId } = await caseOnParcel({ parcel: "unshipped" });
    const r = await requestInterception(env.ctx, caseId);
    expect(r).toMatchObject({
      status: "created",
      interception: { method: "warehouse_cancel", carrier: null },
    });
    expect(await expectDerived(orderId)).toBe("in_progress");
    const id = (await interceptionOf(caseId)).id;
    const asked = carrier.requests().length;
    const [message] = (await outbox("warehouse.cancel_shipment")).filter(
      (m) => m.key === `interception:${id}`,
    );
    expect(message?.payload).toMatchObject({ interceptionId: id, caseId, orderId, shop: "tmall-1" });
    await dispatchOnce(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "instructed" });
    expect(carrier.requests()).toHaveLength(asked);
    expect(await events(caseId)).toEqual(["submit", "approve", "warehouse_cancel_requested"]);
    // Nothing to wait for: the refund is not held.
    expect((await grantRefund(env.ctx, REVIEWER, caseId)).status).toBe("refunding");
    // An order with no shipment at all is the same.
    const none = await caseOnParcel({ parcel: "none" });
    expect(await requestInterception(env.ctx, none.caseId)).toMatchObject({
      interception: { method: "warehouse_cancel" },
    });
  });

  it("a lost parcel is worth stopping as soon as the case is open: the sweep asks", async () => {
    const { orderId, caseId } = await caseOnParcel({
      parcel: "exception",
      reason: "logistics_lost",
      approve: false,
    });
    expect((await kase(caseId)).status).toBe("requested");
    expect(await interceptionRound(env.ctx)).toMatchObject({ requested: expect.any(Number) });
    expect(await interceptionOf(caseId)).toMatchObject({ status: "requested", method: "carrier" });
    expect(await expectDerived(orderId)).toBe("logistics_exception");
  });

  it("retries a request the carrier never answered, and settles one it refused at once", async () => {
    const { caseId } = await caseOnParcel();
    await dispatchOnce(env.ctx); // what earlier tests left waiting goes first
    await requestInterception(env.ctx, caseId);
    carrier.faults({ failNext: 1 });
    await dispatchOnce(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({
      status: "requested",
      attempts: 1,
      last_error: "simulated carrier: connection reset",
    });
    env.clock.advance(5_000);
    await dispatchOnce(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "pending", attempts: 2, last_error: null });
    // Asking how it went: a dropped line is asked again later; a carrier that knows no such request has answered.
    env.clock.advance(6 * 60_000);
    // Only this one is due: what earlier tests left pending waits.
    await env.ctx.db
      .updateTable("interceptions")
      .set({ next_check_at: new Date(env.clock.now.getTime() + 86_400_000) })
      .where("case_id", "<>", caseId)
      .where("status", "=", "pending")
      .execute();
    carrier.faults({ failStatusNext: 1 });
    await pollInterceptions(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({
      status: "pending",
      last_error: "simulated carrier: connection reset",
    });
    await env.ctx.db
      .updateTable("interceptions")
      .set({ request_id: "lost" })
      .where("case_id", "=", caseId)
      .execute();
    env.clock.advance(16 * 60_000);
    await pollInterceptions(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({
      status: "failed",
      last_error: "no interception request lost",
    });

    const refused = await caseOnParcel();
    await requestInterception(env.ctx, refused.caseId);
    carrier.faults({ refuseNext: 1 });
    await dispatchOnce(env.ctx);
    expect(await interceptionOf(refused.caseId)).toMatchObject({ status: "failed" });
    expect(await events(refused.caseId)).toEqual([
      "submit",
      "approve",
      "intercept_requested",
      "interception_failed",
    ]);
    expect(await expectDerived(refused.orderId)).toBe("in_progress");
  });
});

describe("what the carrier's answer does", () => {
  it("intercepted: the parcel comes back, and once it is back the refund goes out", async () => {
    const { orderId, caseId, trackingNo } = await caseOnParcel();
    await requestInterception(env.ctx, caseId);
    await sendAndWait();
    // Nothing decided yet: asked, still pending, not asked again before the next check is due.
    await pollInterceptions(env.ctx);
    const asked = await interceptionOf(caseId);
    expect(asked).toMatchObject({ status: "pending" });
    expect(asked.checked_at?.getTime()).toBe(env.clock.now.getTime());
    expect(asked.next_check_at?.getTime()).toBe(env.clock.now.getTime() + 15 * 60_000);
    env.clock.advance(60_000);
    await pollInterceptions(env.ctx);
    expect((await interceptionOf(caseId)).checked_at).toEqual(asked.checked_at);
    env.clock.advance(15 * 60_000);
    carrier.settle(trackingNo, "intercepted");
    await pollInterceptions(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "intercepted", resolved_at: null });
    const shipment = await env.ctx.db
      .selectFrom("shipments")
      .select("status")
      .where("tracking_no", "=", trackingNo)
      .executeTakeFirstOrThrow();
    expect(shipment.status).toBe("intercepted");
    expect(await expectDerived(orderId)).toBe("logistics_exception");
    expect(await codeOf(grantRefund(env.ctx, REVIEWER, caseId))).toBe("PARCEL_BEING_INTERCEPTED");
    // It is no longer pending, so nobody asks again.
    const settledAt = (await interceptionOf(caseId)).updated_at;
    env.clock.advance(16 * 60_000);
    await pollInterceptions(env.ctx);
    expect((await interceptionOf(caseId)).updated_at).toEqual(settledAt);

    // Kuaidi100 pushes the way back: 退回, then 退签 — back with the sender.
    env.clock.advance(86_400_000);
    const pushes = await k100.returnToSender("zhongtong", trackingNo);
    expect(pushes.map((p) => p.httpStatus)).toEqual([200, 200]);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "returned" });
    expect((await interceptionOf(caseId)).resolved_at).not.toBeNull();
    const c = await kase(caseId);
    expect(c.status).toBe("refunded");
    const refund = await env.ctx.db
      .selectFrom("refunds")
      .select(["status", "amount"])
      .where("case_id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(refund.status).toBe("succeeded");
    expect(env.sim.refunds().filter((r) => r.amount.refund === refund.amount).length).toBeGreaterThan(0);
    expect(await expectDerived(orderId)).toBe("partially_refunded");
    expect(await events(caseId)).toEqual([
      "submit",
      "approve",
      "intercept_requested",
      "parcel_intercepted",
      "parcel_returned",
      "grant_refund",
      "refund_succeeded",
    ]);
    // The parcel seen back again settles nothing more and refunds nothing more.
    expect(await parcelReturned(env.ctx, "ZTO", trackingNo)).toEqual([]);
    expect(
      await env.ctx.db.selectFrom("refunds").select("id").where("case_id", "=", caseId).execute(),
    ).toHaveLength(1);
  });

  it("failed: the interception settles, the case records the offer, and a person may refund", async () => {
    const { orderId, caseId, trackingNo } = await caseOnParcel();
    await requestInterception(env.ctx, caseId);
    await sendAndWait();
    carrier.settle(trackingNo, "failed");
    await pollInterceptions(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "failed" });
    const c = await kase(caseId);
    expect(c.status).toBe("approved");
    expect(c.recommendation).toMatchObject({ solution: "return_then_refund", from: "interception" });
    const [failed] = await env.ctx.db
      .selectFrom("case_events")
      .select(["action", "from_status", "to_status", "note", "data"])
      .where("case_id", "=", caseId)
      .where("action", "=", "interception_failed")
      .execute();
    expect(failed).toMatchObject({
      from_status: "approved",
      to_status: "approved",
      data: { offer: "return_then_refund" },
    });
    expect(failed?.note).toContain("拒收或签收后寄回");
    expect(await expectDerived(orderId)).toBe("in_progress");
    expect((await grantRefund(env.ctx, REVIEWER, caseId)).status).toBe("refunding");
  });

  it("too late: a lost parcel's customer is offered a reship or a refund", async () => {
    const { orderId, caseId, trackingNo } = await caseOnParcel({ reason: "logistics_lost" });
    await requestInterception(env.ctx, caseId);
    await sendAndWait();
    carrier.settle(trackingNo, "too_late");
    await pollInterceptions(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "too_late" });
    const c = await kase(caseId);
    expect(c.status).toBe("approved");
    expect(c.recommendation).toMatchObject({
      solution: "reship_or_refund",
      why: { zh: expect.stringContaining("补发或退款"), en: expect.stringContaining("reship or a refund") },
    });
    expect((await events(caseId)).at(-1)).toBe("interception_too_late");
    expect(await expectDerived(orderId)).toBe("in_progress");
    // A late "intercepted" from the carrier cannot reopen it.
    carrier.settle(trackingNo, "intercepted");
    env.clock.advance(16 * 60_000);
    await pollInterceptions(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "too_late" });
  });

  it("a parcel seen back before the carrier answered settles the interception and releases the refund", async () => {
    const { orderId, caseId, trackingNo } = await caseOnParcel();
    await requestInterception(env.ctx, caseId);
    await sendAndWait();
    env.clock.advance(60_000);
    await recordTracking(env.ctx, {
      carrier: "ZTO",
      trackingNo,
      events: [
        { at: env.clock.now.toISOString(), status: "returned_to_sender", description: "退回件已签收" },
      ],
    });
    expect(await interceptionOf(caseId)).toMatchObject({ status: "returned" });
    expect((await kase(caseId)).status).toBe("refunded");
    expect(await expectDerived(orderId)).toBe("partially_refunded");
    // The carrier's own late answer changes nothing now.
    carrier.settle(trackingNo, "intercepted");
    env.clock.advance(16 * 60_000);
    await pollInterceptions(env.ctx);
    expect(await interceptionOf(caseId)).toMatchObject({ status: "returned" });
  });
});
