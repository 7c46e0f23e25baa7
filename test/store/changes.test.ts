import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { announceChanges } from "../../src/flows/announce-changes.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { recordOutcome } from "../../src/flows/issue-refund.ts";
import { recordTracking } from "../../src/flows/record-tracking.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import type { Change } from "../../src/store/changes.ts";
import { freshStore, type TestEnv, testEnv } from "../support/db.ts";
import { onlyLeg, placeOrder, REVIEWER, refundOnlyCase } from "../support/fixtures.ts";
import { eventually } from "../support/process.ts";

/**
 * The store's change feed: every change a person could see on a case is announced once it commits —
 * timeline events, and the changes that append none (an automatic review's annotation, a refund leg's
 * status, a parcel scan) — never before, and never when it rolls back.
 */

let env: TestEnv;
const heard: Change[] = [];
let stop: () => void;

beforeAll(async () => {
  env = await testEnv();
  stop = await env.store.changes.subscribe({ change: (c) => heard.push(c), resync: () => {} });
});
afterAll(async () => {
  stop?.();
  await env?.close();
});

const heardOne = (match: (c: Change) => boolean) => eventually(async () => heard.find(match), 30_000);
const ofCase = (id: number, action: string) => (c: Change) =>
  c.kind === "case" && c.caseId === id && c.action === action;

/** A timeline event of `caseId`, written directly. */
const event = (caseId: number, action: string) =>
  sql`insert into case_events (case_id, at, actor, action) values (${caseId}, now(), 'user:test', ${action})`;

describe("the change feed", () => {
  it("announces a new case, and its automatic review's annotation that writes no timeline event", async () => {
    const { orderId, lines } = await placeOrder(env.ctx);
    const { id } = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "return_refund",
      reason: "quality",
      source: "chat",
      items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
    });
    const submitted = await heardOne(ofCase(id, "submit"));
    expect(submitted).toMatchObject({ orderId, shopId: "tmall-1", status: "requested" });
    expect(submitted.kind === "case" && submitted.eventId).toBeGreaterThan(0);
    const reviewed = await heardOne(ofCase(id, "update"));
    expect(reviewed).toMatchObject({ orderId, status: "requested", eventId: null });
  });

  it("announces a refund leg's status, which the timeline records only once the refund settles", async () => {
    const { id } = await refundOnlyCase(env.ctx);
    const leg = onlyLeg(await grantRefund(env.ctx, REVIEWER, id));
    await recordOutcome(env.ctx, leg.id, { status: "processing", channelRefundId: "R-1" });
    expect(await heardOne(ofCase(id, "refund_processing"))).toMatchObject({ eventId: null });
  });

  it("announces a parcel scan to every case of its order", async () => {
    const { orderId, lines } = await placeOrder(env.ctx);
    const { id } = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "not_received",
      source: "chat",
      items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
    });
    const parcel = await env.ctx.db
      .selectFrom("shipments")
      .select(["carrier", "tracking_no"])
      .where("order_id", "=", orderId)
      .executeTakeFirstOrThrow();
    await recordTracking(env.ctx, {
      carrier: parcel.carrier,
      trackingNo: parcel.tracking_no,
      events: [{ at: "2026-10-21T09:00:00Z", status: "in_transit", description: "运输中" }],
    });
    expect(await heardOne(ofCase(id, "tracking"))).toMatchObject({ orderId, eventId: null });
  });

  it("announces a statement that changes many cases as one change of their shop", async () => {
    const { id } = await refundOnlyCase(env.ctx, { approve: false });
    await sql`insert into case_events (case_id, at, actor, action)
              select ${id}, now(), 'user:test', 'bulk' from generate_series(1, 101)`.execute(env.ctx.db);
    await heardOne((c) => c.kind === "shop" && c.shopId === "tmall-1");
    // Delivered together: by the time the shop's change is here, no single one came before it.
    expect(heard.filter(ofCase(id, "bulk"))).toEqual([]);
  });

  it("delivers a change when its transaction commits, and never one that rolls back", async () => {
    const { id } = await refundOnlyCase(env.ctx, { approve: false });
    await env.ctx.db.transaction().execute(async (tx) => {
      await event(id, "inside").execute(tx);
      await sql`select 1`.execute(tx);
      expect(heard.filter(ofCase(id, "inside"))).toEqual([]);
    });
    await heardOne(ofCase(id, "inside"));
    await env.ctx.db
      .transaction()
      .execute(async (tx) => {
        await event(id, "rolled back").execute(tx);
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await event(id, "after").execute(env.ctx.db);
    // Changes arrive in commit order: one rolled back would have come before this.
    await heardOne(ofCase(id, "after"));
    expect(heard.filter(ofCase(id, "rolled back"))).toEqual([]);
  });

  it("keeps changes in the log while nobody listens, and a worker's pass sends and forgets them", async () => {
    const store = await freshStore();
    try {
      const ctx = { ...env.ctx, db: store.db };
      const { orderId, lines } = await placeOrder(ctx, { shop: "s" });
      await submitCase(ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
      });
      const logged = async () =>
        Number((await sql<{ n: number }>`select count(*) as n from change_log`.execute(store.db)).rows[0]?.n);
      expect(await logged()).toBeGreaterThan(0);
      expect(await announceChanges(ctx)).toBeGreaterThan(0);
      expect(await logged()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("starts listening outside any transaction that is open when the first subscriber comes", async () => {
    // PGlite is one session: a LISTEN sent while a transaction is open would be part of it, and lost
    // when it rolls back. The feed queues its LISTEN behind the transaction instead.
    const store = await freshStore();
    try {
      const mine: Change[] = [];
      let subscribed: Promise<() => void> | undefined;
      await store.db
        .transaction()
        .execute(async (tx) => {
          subscribed = store.changes.subscribe({ change: (c) => mine.push(c), resync: () => {} });
          await sql`select 1`.execute(tx);
          throw new Error("roll back");
        })
        .catch(() => undefined);
      await subscribed;
      const { orderId, lines } = await placeOrder({ ...env.ctx, db: store.db }, { shop: "s" });
      await submitCase({ ...env.ctx, db: store.db }, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
      });
      await eventually(async () => mine.find((c) => c.kind === "case" && c.action === "submit"), 30_000);
      expect(store.changes.subscribers).toBe(1);
    } finally {
      await store.close();
    }
  });
});
