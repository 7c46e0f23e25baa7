import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TaobaoSimulator } from "../../src/channels/platforms/taobao/simulator.ts";
import { autoReview } from "../../src/flows/auto-review.ts";
import { applyPlatformCase, connectShop, syncShop } from "../../src/flows/sync-platform.ts";
import { reviewQueue } from "../../src/store/views.ts";
import { caseByExternal, type PlatformTestEnv, platformEnv, simOrder } from "../support/platforms.ts";

/**
 * A platform's response deadline (Taobao auto-agrees a request the merchant leaves unanswered) becomes
 * the case's SLA when it is earlier than the rules', so the review queue shows the requests about to be
 * agreed by the platform first.
 */

const HOUR = 3_600_000;
let p: PlatformTestEnv<TaobaoSimulator>;
beforeEach(async () => {
  p = await platformEnv({ shop: "tb-sla" });
});
afterEach(async () => p.close());

function ask(sim: TaobaoSimulator) {
  const order = simOrder();
  sim.placeOrder(order);
  const line = order.lines[1] as (typeof order.lines)[number];
  const id = sim.requestAftersale({
    orderExternalId: order.externalId,
    type: "refund_only",
    reason: "not_as_described",
    lineId: line.lineId,
    quantity: 1,
    amount: 5590,
  });
  return { externalId: id, orderExternalId: order.externalId };
}

const sync = async () => {
  for (const stream of ["orders", "aftersales"] as const) {
    const r = await syncShop(p.ctx, p.shop, stream, { initialLookbackMs: 7 * 24 * HOUR });
    expect(r.status, r.error).toBe("done");
  }
};
const due = async (externalId: string) =>
  (await caseByExternal(p.ctx, p.shop, externalId))?.sla_due_at?.toISOString() ?? null;

describe("a platform's response deadline as the case's SLA", () => {
  it("puts a synced request about to be auto-agreed before a request without a deadline", async () => {
    // Asked two days ago minus eight hours: Taobao agrees it by itself in eight hours.
    const near = ask(p.sim);
    const deadline = new Date(p.env.clock.now.getTime() + 48 * HOUR).toISOString();
    p.env.clock.advance(40 * HOUR);
    // A request that arrives without a deadline (as JD's, PDD's and Shopify's do), opened first.
    const none = ask(p.sim);
    const conn = await connectShop(p.ctx, p.shop);
    const copy = await conn.client.getAftersale(none);
    expect(copy?.deadline).toBeTruthy();
    await applyPlatformCase(p.ctx, conn, { ...(copy as NonNullable<typeof copy>), deadline: null });
    p.env.clock.advance(60_000);
    await sync();

    expect(await due(near.externalId)).toBe(deadline);
    const ruled = await due(none.externalId);
    // The rules' SLA, counted from when each case opened, would have put the other one first.
    if (ruled) expect(Date.parse(ruled)).toBeGreaterThan(Date.parse(deadline));
    const queue = await reviewQueue(p.ctx.db, { limit: 10, offset: 0 });
    const order = queue.items.map((c) => c.id);
    const [a, b] = [
      await caseByExternal(p.ctx, p.shop, near.externalId),
      await caseByExternal(p.ctx, p.shop, none.externalId),
    ];
    expect(order.indexOf(a?.id as number)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(a?.id as number)).toBeLessThan(order.indexOf(b?.id as number));
  });

  it("keeps the earlier deadline when the rules review the case again, and lets go of it once the platform stops waiting for us", async () => {
    const near = ask(p.sim);
    const deadline = new Date(p.env.clock.now.getTime() + 48 * HOUR).toISOString();
    p.env.clock.advance(40 * HOUR);
    await sync();
    const c = await caseByExternal(p.ctx, p.shop, near.externalId);
    expect(c?.sla_due_at?.toISOString()).toBe(deadline);
    // A rule review rewrites the SLA from the rules; the platform's deadline still caps it.
    await autoReview(p.ctx, c?.id as number, "manual");
    expect(await due(near.externalId)).toBe(deadline);
    // The buyer withdraws it: no deadline of ours any more, the SLA is the rules' again.
    p.env.clock.advance(60_000);
    p.sim.buyerCancels(near.externalId);
    p.env.clock.advance(60_000);
    await sync();
    const after = await caseByExternal(p.ctx, p.shop, near.externalId);
    expect(after?.platform_due_at).toBeNull();
    expect(after?.sla_due_at?.toISOString() ?? null).not.toBe(deadline);
  });
});
