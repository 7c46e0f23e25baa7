import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import type { PlatformAdapter, PlatformClient } from "../../src/channels/platforms/platform.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { applyPlatformCase, connectShop, syncShop } from "../../src/flows/sync-platform.ts";
import { syncAllShops } from "../../src/jobs/platform-sync.ts";
import { snapshot } from "../support/fixtures.ts";
import {
  caseByExternal,
  eventsOf,
  type PlatformTestEnv,
  platformEnv,
  simOrder,
} from "../support/platforms.ts";

/**
 * The Taobao sync against the simulator and a real database: windows of at most an hour (the test
 * adapter's limit), pages of two, a cursor saved after every page.
 */

const HOUR = 3_600_000;
const REVIEWER = { kind: "user" as const, id: "reviewer-1" };

/** Orders and refund-only requests (the cap, 55.90) placed `gapMs` apart on the simulator. */
function place(p: PlatformTestEnv, n: number, gapMs: number) {
  const made: { id: string; tid: string }[] = [];
  for (let i = 0; i < n; i++) {
    p.env.clock.advance(gapMs);
    const order = simOrder();
    p.sim.placeOrder(order);
    const line = order.lines[1] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "return_refund",
      reason: "quality",
      lineId: line.lineId,
      quantity: 1,
      amount: 5590,
    });
    made.push({ id, tid: order.externalId });
  }
  return made;
}

const count = async (p: PlatformTestEnv, table: "cases" | "orders" | "case_events") =>
  Number(
    (
      await p.ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const cursorOf = (p: PlatformTestEnv, stream: string) =>
  p.ctx.db
    .selectFrom("sync_cursors")
    .selectAll()
    .where("shop_id", "=", p.shop)
    .where("stream", "=", stream)
    .executeTakeFirstOrThrow();

describe("windows and pages", () => {
  let p: PlatformTestEnv;
  beforeAll(async () => {
    p = await platformEnv({ pageSize: 2, maxWindowMs: HOUR });
  });
  afterAll(() => p.close());

  it("walks every window from where it stopped to now, page by page, and opens each request once", async () => {
    const start = p.env.clock.now;
    const made = place(p, 8, 15 * 60_000); // over two hours: three windows, the first two of several pages
    p.env.clock.advance(60_000);
    const opts = { initialLookbackMs: p.env.clock.now.getTime() - start.getTime() };
    const orders = await syncShop(p.ctx, p.shop, "orders", opts);
    expect(orders).toMatchObject({ status: "done", windows: 3, created: 8, errors: 0 });
    const after = await syncShop(p.ctx, p.shop, "aftersales", opts);
    expect(after).toMatchObject({ status: "done", windows: 3, created: 8, errors: 0 });
    expect(after.pages).toBeGreaterThan(after.windows);
    for (const m of made) {
      const c = await caseByExternal(p.ctx, p.shop, m.id);
      expect(c).toMatchObject({
        source: "platform",
        type: "return_refund",
        reason: "quality",
        status: "requested",
        requested_amount: 5590,
      });
    }
    const cur = await cursorOf(p, "aftersales");
    expect(cur).toMatchObject({ cursor: null, lease_until: null, last_error: null });
    expect(cur.synced_to?.getTime()).toBe(p.env.clock.now.getTime());
  });

  it("pulls an order it has not seen when a request for it arrives", async () => {
    const [m] = place(p, 1, 60_000);
    p.env.clock.advance(60_000);
    const r = await syncShop(p.ctx, p.shop, "aftersales");
    expect(r).toMatchObject({ status: "done", created: 1, errors: 0 });
    const c = await caseByExternal(p.ctx, p.shop, m?.id as string);
    const order = await p.ctx.db
      .selectFrom("orders")
      .selectAll()
      .where("id", "=", c?.order_id as number)
      .executeTakeFirstOrThrow();
    expect(order).toMatchObject({ external_id: m?.tid, paid_total: 25190 });
  });

  it("a second pass with nothing new changes nothing, and a re-read of the same window changes nothing either", async () => {
    const before = await snapshot(p.ctx);
    p.env.clock.advance(60_000);
    expect(await syncShop(p.ctx, p.shop, "aftersales")).toMatchObject({ status: "done", items: 0 });
    // Rewind the cursor: the same requests come again, and are recognised.
    await p.ctx.db
      .updateTable("sync_cursors")
      .set({ synced_to: new Date(p.env.clock.now.getTime() - 5 * HOUR) })
      .where("shop_id", "=", p.shop)
      .execute();
    const again = await syncShop(p.ctx, p.shop, "aftersales");
    expect(again).toMatchObject({ status: "done", created: 0, updated: 0, errors: 0 });
    expect(again.unchanged).toBe(again.items);
    expect(again.items).toBeGreaterThanOrEqual(9);
    const orders = await syncShop(p.ctx, p.shop, "orders", { initialLookbackMs: 5 * HOUR });
    expect(orders.created).toBe(0);
    expect(await snapshot(p.ctx)).toEqual(before);
  });
});

describe("a failure mid-way", () => {
  let p: PlatformTestEnv;
  beforeAll(async () => {
    p = await platformEnv({ pageSize: 2, maxWindowMs: HOUR });
  });
  afterAll(() => p.close());

  /** The adapter, with its connection failing on the `failAt`-th after-sales page. */
  function flaky(failAt: number) {
    let calls = 0;
    const pages: (string | null)[] = [];
    const adapter: PlatformAdapter = {
      ...p.adapter,
      connect(creds, options) {
        const real = p.adapter.connect(creds, options);
        return {
          ...real,
          async pullAftersales(window, cursor) {
            calls++;
            pages.push(cursor);
            if (calls === failAt)
              throw new ChannelUnavailableError("taobao", "timeout", "no answer within 10000 ms");
            return real.pullAftersales(window, cursor);
          },
        } satisfies PlatformClient;
      },
    };
    return { adapter, pages };
  }

  it("keeps the cursor of the last page done, says why it stopped, and resumes there", async () => {
    const start = p.env.clock.now;
    const made = place(p, 5, 5 * 60_000); // one window, three pages of 2 (plus the count)
    p.env.clock.advance(60_000);
    const lookback = { initialLookbackMs: p.env.clock.now.getTime() - start.getTime() };
    await syncShop(p.ctx, p.shop, "orders", lookback);

    const first = flaky(3); // the count, page 3, then the failure on page 2
    const failed = await syncShop(
      { ...p.ctx, platforms: () => first.adapter },
      p.shop,
      "aftersales",
      lookback,
    );
    expect(failed).toMatchObject({ status: "failed", pages: 2, created: 1 });
    expect(failed.error).toContain("no answer within");
    const cur = await cursorOf(p, "aftersales");
    expect(cur.cursor).toMatchObject({ next: "2" });
    expect(cur.synced_to).toBeNull();
    expect(cur.last_error).toContain("no answer within");
    expect(cur.lease_until).toBeNull();
    expect(await count(p, "cases")).toBe(1);

    const second = flaky(0);
    const resumed = await syncShop(
      { ...p.ctx, platforms: () => second.adapter },
      p.shop,
      "aftersales",
      lookback,
    );
    expect(resumed).toMatchObject({ status: "done", created: 4, errors: 0 });
    expect(second.pages).toEqual(["2", "1"]); // where it stopped, not from the start
    expect(await count(p, "cases")).toBe(5);
    for (const m of made) expect(await caseByExternal(p.ctx, p.shop, m.id)).toBeDefined();
    expect((await cursorOf(p, "aftersales")).last_error).toBeNull();
  });
});

describe("concurrent syncs of one shop", () => {
  let p: PlatformTestEnv;
  beforeAll(async () => {
    p = await platformEnv({ pageSize: 2, maxWindowMs: HOUR });
  });
  afterAll(() => p.close());

  it("one takes the lease, the other stands aside; a push racing the pull opens nothing twice", async () => {
    const start = p.env.clock.now;
    const made = place(p, 4, 5 * 60_000);
    p.env.clock.advance(60_000);
    const opts = { initialLookbackMs: p.env.clock.now.getTime() - start.getTime() };
    const results = await Promise.all([
      syncShop(p.ctx, p.shop, "aftersales", opts),
      syncShop(p.ctx, p.shop, "aftersales", opts),
      syncAllShops(p.ctx, opts),
    ]);
    const statuses = [
      results[0].status,
      results[1].status,
      ...results[2].filter((r) => r.stream === "aftersales").map((r) => r.status),
    ];
    expect(statuses.filter((s) => s === "done")).toHaveLength(1);
    expect(statuses.filter((s) => s === "busy")).toHaveLength(2);
    expect(await count(p, "cases")).toBe(4);
    // The same request applied twice at once (a TMC push and a pull): one case, one submit event.
    const conn = await connectShop(p.ctx, p.shop);
    const extra = place(p, 1, 60_000)[0]?.id as string;
    const pc = await conn.client.getAftersale({ externalId: extra, orderExternalId: "" });
    const both = await Promise.all([
      applyPlatformCase(p.ctx, conn, pc as never),
      applyPlatformCase(p.ctx, conn, pc as never),
    ]);
    expect(both.map((b) => b.caseId)[0]).toBe(both[1]?.caseId);
    const c = await caseByExternal(p.ctx, p.shop, extra);
    expect((await eventsOf(p.ctx, c?.id as number)).filter((e) => e.action === "submit")).toHaveLength(1);
    expect(await count(p, "cases")).toBe(5);
    expect(made).toHaveLength(4);
  });
});

describe("the platform's state drives our case", () => {
  let p: PlatformTestEnv;
  let conn: Awaited<ReturnType<typeof connectShop>>;
  beforeAll(async () => {
    p = await platformEnv({ pageSize: 10 });
    conn = await connectShop(p.ctx, p.shop);
  });
  afterAll(() => p.close());

  const sync = async () => {
    p.env.clock.advance(60_000);
    return syncShop(p.ctx, p.shop, "aftersales", { initialLookbackMs: HOUR });
  };

  it("a buyer's withdrawal cancels the case; the buyer's parcel moves it to in transit; an intervention is noted", async () => {
    const [a, b, c] = place(p, 3, 60_000);
    await sync();
    const ca = await caseByExternal(p.ctx, p.shop, a?.id as string);
    const cb = await caseByExternal(p.ctx, p.shop, b?.id as string);
    const cc = await caseByExternal(p.ctx, p.shop, c?.id as string);

    p.sim.buyerCancels(a?.id as string);
    // b: the merchant agreed the return on the platform's own console, and the buyer shipped it.
    await conn.client.agreeReturn(
      { externalId: b?.id as string, orderExternalId: b?.tid as string },
      {
        name: "售后仓",
        phone: "0571-88888888",
        address: "杭州市余杭区 1 号",
      },
    );
    p.sim.buyerShipsReturn(b?.id as string, "中通快递", "ZTO9001");
    p.sim.intervene(c?.id as string);
    const r = await sync();
    expect(r).toMatchObject({ status: "done", updated: 3, errors: 0 });

    expect((await caseByExternal(p.ctx, p.shop, a?.id as string))?.status).toBe("cancelled");
    const evA = await eventsOf(p.ctx, ca?.id as number);
    expect(evA.at(-1)).toMatchObject({ action: "cancel", actor: "channel:taobao" });
    expect(evA.at(-1)?.note).toContain("CLOSED");

    expect((await caseByExternal(p.ctx, p.shop, b?.id as string))?.status).toBe("return_in_transit");
    const parcel = await p.ctx.db
      .selectFrom("shipments")
      .selectAll()
      .where("case_id", "=", cb?.id as number)
      .executeTakeFirstOrThrow();
    expect(parcel).toMatchObject({ direction: "return", carrier: "中通快递", tracking_no: "ZTO9001" });
    // The platform's own moves are not decisions to send back.
    const outbox = await p.ctx.db
      .selectFrom("outbox")
      .select("topic")
      .where("topic", "=", "platform.decision")
      .execute();
    expect(outbox).toHaveLength(0);

    expect((await caseByExternal(p.ctx, p.shop, c?.id as string))?.status).toBe("requested");
    const evC = await eventsOf(p.ctx, cc?.id as number);
    expect(evC.at(-1)).toMatchObject({ action: "platform_update", note: "平台：客服已介入" });
  });

  it("ignores a copy of a request older than the one it applied", async () => {
    const [m] = place(p, 1, 60_000);
    const ref = { externalId: m?.id as string, orderExternalId: m?.tid as string };
    const old = await conn.client.getAftersale(ref);
    await sync();
    p.env.clock.advance(1000);
    p.sim.buyerCancels(m?.id as string);
    await sync();
    const c = await caseByExternal(p.ctx, p.shop, m?.id as string);
    expect(c?.status).toBe("cancelled");
    const before = await snapshot(p.ctx);
    expect((await applyPlatformCase(p.ctx, conn, old as never)).outcome).toBe("stale");
    expect(await snapshot(p.ctx)).toEqual(before);
  });

  it("records the platform's refund when the platform paid it on its own", async () => {
    const order = simOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const line = order.lines[1] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "damaged",
      lineId: line.lineId,
      quantity: 1,
      amount: 3000,
    });
    await sync();
    const c = await caseByExternal(p.ctx, p.shop, id);
    await approveCase(p.ctx, REVIEWER, c?.id as number);
    p.sim.platformRefunds(id);
    await sync();
    const after = await caseByExternal(p.ctx, p.shop, id);
    expect(after?.status).toBe("refunded");
    const refund = await p.ctx.db
      .selectFrom("refunds")
      .selectAll()
      .where("case_id", "=", c?.id as number)
      .executeTakeFirstOrThrow();
    expect(refund).toMatchObject({
      status: "succeeded",
      amount: 3000,
      channel: "platform",
      channel_refund_id: id,
    });
    const order0 = await p.ctx.db
      .selectFrom("orders")
      .selectAll()
      .where("id", "=", c?.order_id as number)
      .executeTakeFirstOrThrow();
    expect(order0.refunded_total).toBe(3000);
  });

  it("records a request that cannot be applied without stopping the page, and applies it once it can", async () => {
    const order = simOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const tee = order.lines[0] as (typeof order.lines)[number];
    const ask = () =>
      p.sim.requestAftersale({
        orderExternalId: order.externalId,
        type: "return_refund",
        reason: "size_fit",
        lineId: tee.lineId,
        quantity: 2,
        amount: 18800,
      });
    const first = ask();
    p.env.clock.advance(1000);
    const second = ask(); // both claim the same two T-shirts: ours cannot hold both
    const [other] = place(p, 1, 1000);
    const r = await sync();
    expect(r).toMatchObject({ status: "done", created: 2, errors: 1 });
    expect(await caseByExternal(p.ctx, p.shop, first)).toBeDefined();
    expect(await caseByExternal(p.ctx, p.shop, other?.id as string)).toBeDefined();
    expect(await caseByExternal(p.ctx, p.shop, second)).toBeUndefined();
    const row = await p.ctx.db
      .selectFrom("platform_requests")
      .selectAll()
      .where("external_id", "=", second)
      .executeTakeFirstOrThrow();
    expect(row.error).toContain("QUANTITY_EXCEEDS_RETURNABLE");
    expect((await cursorOf(p, "aftersales")).last_error).toContain(
      `request ${second}: QUANTITY_EXCEEDS_RETURNABLE`,
    );

    // The buyer withdraws the first; the next pass retries the second, which now fits.
    p.sim.buyerCancels(first);
    const again = await sync();
    expect(again.retried).toBe(1);
    expect((await caseByExternal(p.ctx, p.shop, first))?.status).toBe("cancelled");
    expect((await caseByExternal(p.ctx, p.shop, second))?.status).toBe("requested");
    const fixed = await p.ctx.db
      .selectFrom("platform_requests")
      .selectAll()
      .where("external_id", "=", second)
      .executeTakeFirstOrThrow();
    expect(fixed).toMatchObject({ error: null, attempts: 0, state: "requested" });
  });

  it("writes down a record the adapter could not read, and carries on with the page", async () => {
    const [m] = place(p, 1, 60_000);
    const unreadable: PlatformAdapter = {
      ...p.adapter,
      connect(creds, options) {
        const real = p.adapter.connect(creds, options);
        return {
          ...real,
          async pullAftersales(window, cursor) {
            const page = await real.pullAftersales(window, cursor);
            const error = 'UNKNOWN_STATUS: Unknown Taobao refund status "NEW_THING"';
            return {
              ...page,
              skipped: [{ externalId: "2026119999999999999", orderExternalId: "4100000000000099999", error }],
            };
          },
        };
      },
    };
    p.env.clock.advance(60_000);
    const r = await syncShop({ ...p.ctx, platforms: () => unreadable }, p.shop, "aftersales", {
      initialLookbackMs: HOUR,
    });
    expect(r).toMatchObject({ status: "done", errors: 1 });
    expect(await caseByExternal(p.ctx, p.shop, m?.id as string)).toBeDefined();
    const row = await p.ctx.db
      .selectFrom("platform_requests")
      .selectAll()
      .where("external_id", "=", "2026119999999999999")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ case_id: null, attempts: 1 });
    expect(row.error).toContain("NEW_THING");
  });
});
