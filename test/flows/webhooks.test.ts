import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatMinor } from "../../src/domain/money.ts";
import { eventTypeOf, MAX_ATTEMPTS, WEBHOOK_EVENT_TYPES } from "../../src/domain/webhooks.ts";
import { announceChanges } from "../../src/flows/announce-changes.ts";
import { fanOut } from "../../src/flows/fan-out.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { approveCase, closeCase, rejectCase } from "../../src/flows/review-case.ts";
import {
  createWebhookEndpoint,
  replayWebhookDelivery,
  updateWebhookEndpoint,
} from "../../src/flows/webhooks.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { claim } from "../../src/store/outbox.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { placeOrder, REVIEWER, refundOnlyCase } from "../support/fixtures.ts";
import { TEST_KEYRING } from "../support/platforms.ts";
import { startReceiver, verifies } from "../support/webhook-receiver.ts";

const ADMIN = { kind: "user" as const, id: "admin" };
const ALL = { shops: null };
let env: TestEnv;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  env = await testEnv();
  env.ctx.secrets = TEST_KEYRING;
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await env.close();
});

let seq = 0;
/** An endpoint on its own receiver path; every earlier endpoint is disabled so tests do not mix. */
async function endpoint(input: { eventTypes?: string[]; shops?: string[] | null } = {}) {
  await env.ctx.db.updateTable("webhook_endpoints").set({ enabled: false }).execute();
  const path = `/hook-${++seq}`;
  const e = await createWebhookEndpoint(env.ctx, ADMIN, ALL, { url: receiver.url(path), ...input });
  return { ...e, path };
}

/** A new refund-only case in tmall-1, as submitted. */
const newCase = async () => (await refundOnlyCase(env.ctx, { approve: false })).id;

/** What the workers do: hand events over, fan them out, and send what is due. */
async function settle() {
  await announceChanges(env.ctx);
  await fanOut(env.ctx);
  while ((await dispatchOnce(env.ctx)) > 0);
}

const deliveriesOf = (endpointId: number) =>
  env.ctx.db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("endpoint_id", "=", endpointId)
    .orderBy("id")
    .execute();

/** Move the clock to when the delivery is due again, and let the workers run. */
async function untilRetry(deliveryId: number) {
  const d = await env.ctx.db
    .selectFrom("webhook_deliveries")
    .select("next_attempt_at")
    .where("id", "=", deliveryId)
    .executeTakeFirstOrThrow();
  if (d.next_attempt_at) env.clock.now = d.next_attempt_at;
  await settle();
}

beforeEach(() => {
  env.clock.now = new Date("2026-11-01T08:00:00Z");
});

describe("signed webhooks to integrators", () => {
  it("names every lifecycle event the integrator cares about", () => {
    const raised = [
      ["submit", "requested"],
      ["approve", "approved"],
      ["reject", "rejected"],
      ["cancel", "cancelled"],
      ["receive", "received"],
      ["inspect", "inspection_failed"],
      ["grant_refund", "refunding"],
      ["refund_succeeded", "refunded"],
      ["refund_failed", "refund_failed"],
      ["close", "closed"],
    ].map(([action, toStatus]) => eventTypeOf({ action: action as string, toStatus: toStatus as string }));
    expect(raised).toEqual(WEBHOOK_EVENT_TYPES);
    // A partial receipt, an assignment: nothing to tell.
    expect(eventTypeOf({ action: "receive", toStatus: "partially_received" })).toBeUndefined();
    expect(eventTypeOf({ action: "assign", toStatus: null })).toBeUndefined();
  });

  it("sends each event once, signed, to every endpoint subscribed to it and allowed the case's shop", async () => {
    const all = await endpoint();
    const approvals = await createWebhookEndpoint(env.ctx, ADMIN, ALL, {
      url: receiver.url("/approvals"),
      eventTypes: ["case.approved"],
    });
    await placeOrder(env.ctx, { shop: "jd-1" }); // the shop exists
    const elsewhere = await createWebhookEndpoint(env.ctx, ADMIN, ALL, {
      url: receiver.url("/jd-only"),
      shops: ["jd-1"],
    });
    const id = await newCase();
    await approveCase(env.ctx, REVIEWER, id);
    const granted = await grantRefund(env.ctx, REVIEWER, id);
    await issueRefund(env.ctx, granted.refundId);
    await closeCase(env.ctx, REVIEWER, id);
    await settle();
    await settle(); // again: nothing new

    // Webhooks promise no order (as the spec says): the integrator orders by the event's id.
    const got = receiver
      .at(all.path)
      .toSorted((a, b) => Number(a.json.data.eventId) - Number(b.json.data.eventId));
    expect(got.map((r) => r.json.type)).toEqual([
      "case.created",
      "case.approved",
      "refund.sent",
      "refund.succeeded",
      "case.closed",
    ]);
    for (const r of got) expect(verifies(r, all.secret)).toBe(true);
    // Each carries its delivery's stable id, and a unix timestamp.
    const ds = await deliveriesOf(all.id);
    expect(got.map((r) => r.headers["webhook-id"])).toEqual(
      ds.toSorted((a, b) => Number(a.event_id) - Number(b.event_id)).map((d) => d.message_id),
    );
    expect(new Set(ds.map((d) => d.message_id)).size).toBe(5);
    expect(ds.every((d) => d.status === "succeeded" && d.attempts === 1)).toBe(true);
    expect(got[0]?.headers["webhook-timestamp"]).toBe(String(env.clock.now.getTime() / 1000));
    expect(got[0]?.json.data).toMatchObject({
      caseId: id,
      shopId: "tmall-1",
      status: "requested",
      action: "submit",
    });
    const paid = granted.refunds.reduce((a, r) => a + r.amount, 0);
    expect(got[3]?.json.data).toMatchObject({
      amount: formatMinor(paid, "CNY"),
      currency: "CNY",
      status: "refunded",
    });
    expect(Buffer.byteLength(got[3]?.body ?? "")).toBeLessThan(20_000);

    // Only the type it asked for; none for another shop's endpoint.
    expect(receiver.at("/approvals").map((r) => r.json.type)).toEqual(["case.approved"]);
    expect(verifies(receiver.at("/approvals")[0] as never, approvals.secret)).toBe(true);
    expect(receiver.at("/jd-only")).toEqual([]);
    expect(await deliveriesOf(elsewhere.id)).toEqual([]);
  });

  it("retries a failing receiver with the same webhook-id, and records the later success once", async () => {
    const e = await endpoint();
    receiver.answer(e.path, (n) =>
      n === 1
        ? { status: 500 }
        : n === 2
          ? { status: 429, headers: { "retry-after": "600" } }
          : { status: 200 },
    );
    await newCase();
    await settle();
    const [d] = await deliveriesOf(e.id);
    expect(d).toMatchObject({ status: "failed", attempts: 1, last_status_code: 500 });
    // About 5 s later (with jitter), not sooner.
    const wait = (d?.next_attempt_at?.getTime() ?? 0) - env.clock.now.getTime();
    expect(wait).toBeGreaterThanOrEqual(4_000);
    expect(wait).toBeLessThanOrEqual(6_000);
    const beforeRetry = env.clock.now;
    await untilRetry(d?.id ?? 0);
    const [throttled] = await deliveriesOf(e.id);
    // 429 with Retry-After: 600 s waits that long rather than the schedule's 5 minutes.
    expect(throttled?.next_attempt_at?.getTime()).toBeGreaterThanOrEqual(env.clock.now.getTime() + 600_000);
    expect(env.clock.now.getTime()).toBeGreaterThan(beforeRetry.getTime());
    await untilRetry(d?.id ?? 0);
    await untilRetry(d?.id ?? 0);
    const got = receiver.at(e.path);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers["webhook-id"]))).toEqual(new Set([d?.message_id]));
    for (const r of got) expect(verifies(r, e.secret)).toBe(true);
    const [done] = await deliveriesOf(e.id);
    expect(done).toMatchObject({
      status: "succeeded",
      attempts: 3,
      last_status_code: 200,
      next_attempt_at: null,
    });
  });

  it("gives up after the schedule's ~3 days, and disables an endpoint that failed all that time", async () => {
    const e = await endpoint();
    receiver.answer(e.path, () => ({ status: 503 }));
    const start = env.clock.now;
    await newCase();
    await settle();
    const [d] = await deliveriesOf(e.id);
    for (let i = 1; i < MAX_ATTEMPTS; i++) await untilRetry(d?.id ?? 0);
    expect(receiver.at(e.path)).toHaveLength(MAX_ATTEMPTS);
    const [dead] = await deliveriesOf(e.id);
    expect(dead).toMatchObject({ status: "dead", attempts: MAX_ATTEMPTS });
    const days = (env.clock.now.getTime() - start.getTime()) / 86_400_000;
    expect(days).toBeGreaterThan(2.5);
    expect(days).toBeLessThan(3.7);
    const ep = await env.ctx.db
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("id", "=", e.id)
      .executeTakeFirstOrThrow();
    expect(ep.enabled).toBe(false);
    expect(ep.disabled_reason).toMatch(/every delivery failed/);
    // The outbox's own attempt limit did not end it early, and it is finished there too.
    const out = await env.ctx.db
      .selectFrom("outbox")
      .select(["status"])
      .where("topic", "=", "webhook.deliver")
      .where("key", "=", String(d?.id))
      .executeTakeFirstOrThrow();
    expect(out.status).toBe("done");
  });

  it("disables the endpoint on 410 Gone, and sends it nothing more", async () => {
    const e = await endpoint();
    receiver.answer(e.path, () => ({ status: 410 }));
    const id = await newCase();
    await settle();
    expect(await deliveriesOf(e.id)).toMatchObject([{ status: "dead", last_status_code: 410 }]);
    const ep = await env.ctx.db
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("id", "=", e.id)
      .executeTakeFirstOrThrow();
    expect(ep).toMatchObject({ enabled: false, disabled_reason: "the receiver answered 410 Gone" });
    await rejectCase(env.ctx, REVIEWER, id, { note: "not ours" });
    await settle();
    expect(receiver.at(e.path)).toHaveLength(1);
    expect(await deliveriesOf(e.id)).toHaveLength(1);
  });

  it("replays a delivery with the same webhook-id", async () => {
    const e = await endpoint({ eventTypes: ["case.created"] });
    await newCase();
    await settle();
    const [d] = await deliveriesOf(e.id);
    await replayWebhookDelivery(env.ctx, ALL, e.id, d?.id ?? 0);
    await settle();
    const got = receiver.at(e.path);
    expect(got.map((r) => r.headers["webhook-id"])).toEqual([d?.message_id, d?.message_id]);
    expect(got[1]?.body).toBe(got[0]?.body);
    expect(await deliveriesOf(e.id)).toMatchObject([{ status: "succeeded", attempts: 1 }]);
  });

  it("loses and duplicates nothing when a worker dies between taking the feed and delivering", async () => {
    const e = await endpoint({ eventTypes: ["case.created"] });
    await newCase();
    await announceChanges(env.ctx);
    await fanOut(env.ctx);
    // The event is off the feed; its delivery waits in the outbox. A worker claims it and dies.
    const claimed = await claim(env.ctx.db, 100, 60_000, env.ctx.now());
    expect(claimed.map((m) => m.topic)).toContain("webhook.deliver");
    await settle();
    expect(receiver.at(e.path)).toEqual([]);
    // Its lease runs out; another worker sends it, once.
    env.clock.advance(61_000);
    await settle();
    await fanOut(env.ctx);
    env.clock.advance(61_000);
    await settle();
    expect(receiver.at(e.path)).toHaveLength(1);
    expect(await deliveriesOf(e.id)).toMatchObject([{ status: "succeeded", attempts: 1 }]);
  });

  it("sends a disabled endpoint nothing, and a re-enabled one what happens next", async () => {
    const e = await endpoint({ eventTypes: ["case.created"] });
    await updateWebhookEndpoint(env.ctx, ADMIN, ALL, e.id, { enabled: false });
    await newCase();
    await settle();
    await updateWebhookEndpoint(env.ctx, ADMIN, ALL, e.id, { enabled: true });
    await newCase();
    await settle();
    expect(receiver.at(e.path)).toHaveLength(1);
  });
});
