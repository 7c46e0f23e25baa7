import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JdSimulator } from "../../src/channels/platforms/jd-simulator.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import {
  caseByExternal,
  customOrder,
  e2eSetup,
  eventsOf,
  expectResyncChangesNothing,
  orderRow,
  outboxOf,
  type PlatformTestEnv,
  pullAll,
  refundsOf,
  shortIds,
  simOrder,
  simulatedPlatformEnv,
} from "../support/platforms.ts";

/**
 * End to end on the JD simulator. JD keeps two lists: a refund asked for before shipment is a
 * refund-apply (退款审核单, "refundapply:<id>") the merchant audits with replyRefund; anything else is a
 * service order (售后服务单, "asc:<id>") whose decisions the adapter cannot make (JD_ASC_DECISION_UNSUPPORTED:
 * decide it in 京麦). An approved refund-apply is `refunding`, never `refunded`: JD's finance approval is
 * not the money back, and the adapter does not read JD's refund records yet.
 */

let p: PlatformTestEnv<JdSimulator>;
let version: number;

beforeAll(async () => {
  p = await simulatedPlatformEnv<JdSimulator>("jd");
  version = await e2eSetup(p);
});
afterAll(() => p.close());

/** JD's orderId and skuId are JSON numbers: JD-sized ids. */
const jd = shortIds;

/** An order JD has not shipped yet: its refund-only requests are refund-applies. */
function unshipped(order: ReturnType<typeof simOrder>) {
  delete order.shipment;
  return jd(order);
}

describe("JD: refund-applies decided here, carried out on JD", () => {
  it("a small refund-only request before shipment is approved by a rule and agreed on JD (replyRefund 1)", async () => {
    const order = unshipped(simOrder());
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const cap = order.lines[1] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "damaged",
      lineId: cap.lineId,
      quantity: 1,
      amount: 5590,
    });
    expect(id).toMatch(/^refundapply:\d+$/);
    const { aftersales } = await pullAll(p);
    expect(aftersales).toMatchObject({ created: 1, errors: 0 });

    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c).toMatchObject({ source: "platform", type: "refund_only", requested_amount: 5590 });
    const timeline = await eventsOf(p.ctx, c?.id as number);
    expect(timeline.find((e) => e.action === "approve")?.actor).toBe(`rule:small-refund-only@v${version}`);
    // Agreed on JD: JD refunds next, but the audit is not the money back — the refund stays open.
    const [refund] = await refundsOf(p.ctx, c?.id as number);
    expect(refund).toMatchObject({ channel: "platform", amount: 5590, status: "processing" });
    expect(c?.status).toBe("refunding");
    const seen = p.sim.inspect(id);
    expect(seen?.calls).toEqual(["jingdong.pop.afs.soa.refundapply.replyRefund status=1"]);
    expect(["1", "3"]).toContain(seen?.status);

    // JD's finance approves and moves the money (3): JD shows it refunded, and a re-sync changes nothing.
    p.env.clock.advance(3_600_000);
    expect(p.sim.inspect(id)).toEqual({
      status: "3",
      calls: ["jingdong.pop.afs.soa.refundapply.replyRefund status=1"],
      refunded: 5590,
    });
    await dispatchOnce(p.ctx);
    const before = (await eventsOf(p.ctx, c?.id as number)).length;
    await pullAll(p);
    await pullAll(p);
    expect((await eventsOf(p.ctx, c?.id as number)).length).toBe(before);
    expect(p.sim.inspect(id)?.calls).toHaveLength(1);
    expect((await outboxOf(p.ctx, "platform.decision")).every((m) => m.status === "done")).toBe(true);
  });

  it("a refund-apply a rule rejects is refused on JD (replyRefund 2), once", async () => {
    const order = unshipped(customOrder());
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "changed_mind",
      lineId: order.lines[0]?.lineId as string,
      quantity: 1,
      amount: 3900,
    });
    await pullAll(p);
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c?.status).toBe("rejected");
    expect(p.sim.inspect(id)).toMatchObject({ status: "0", calls: [] }); // it goes out through the outbox

    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toEqual({
      status: "2",
      calls: ["jingdong.pop.afs.soa.refundapply.replyRefund status=2 rejectType=5 remark=该商品不支持此售后"],
      refunded: 0,
    });
    expect((await eventsOf(p.ctx, c?.id as number)).at(-1)).toMatchObject({
      action: "platform_decision",
      note: "已回传平台：refuseRefund",
    });
    await dispatchOnce(p.ctx);
    const before = (await eventsOf(p.ctx, c?.id as number)).length;
    await pullAll(p);
    expect(p.sim.inspect(id)?.calls).toHaveLength(1);
    expect((await eventsOf(p.ctx, c?.id as number)).length).toBe(before);
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("rejected");
  });
});

describe("JD: service orders (returns) are decided in 京麦", () => {
  it("a return a rule rejects is rejected here; the refusal is not sent, and why is on the timeline", async () => {
    const order = jd(customOrder());
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "return_refund",
      reason: "changed_mind",
      lineId: order.lines[0]?.lineId as string,
      quantity: 1,
      amount: 3900,
    });
    expect(id).toMatch(/^asc:\d+$/);
    await pullAll(p);
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c).toMatchObject({ status: "rejected", type: "return_refund" });

    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toEqual({ status: "10001", calls: [], refunded: 0 });
    const last = (await eventsOf(p.ctx, c?.id as number)).at(-1);
    expect(last).toMatchObject({ action: "platform_decision" });
    expect(last?.note).toMatch(/^平台拒绝了回传：.*京麦/);
    expect(last?.data).toMatchObject({ code: "JD_ASC_DECISION_UNSUPPORTED" });
    expect((await outboxOf(p.ctx, "platform.decision")).every((m) => m.status === "done")).toBe(true);
  });

  it("a buyer who withdraws a service order on JD cancels our case; a re-sync changes nothing", async () => {
    const order = jd(simOrder());
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const tee = order.lines[0] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "return_refund",
      reason: "changed_mind",
      lineId: tee.lineId,
      quantity: 1,
      amount: 9400,
    });
    await pullAll(p);
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("requested"); // the rules leave it to people

    p.env.clock.advance(1000);
    p.sim.buyerCancels(id);
    await pullAll(p);
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c?.status).toBe("cancelled");
    expect((await eventsOf(p.ctx, c?.id as number)).at(-1)).toMatchObject({
      action: "cancel",
      actor: "channel:jd",
    });
    expect((await orderRow(p.ctx, c?.order_id as number)).aftersales_status).not.toBe("in_progress");
    expect(p.sim.inspect(id)).toEqual({ status: "10011", calls: [], refunded: 0 });
    await expectResyncChangesNothing(p, c?.id as number);
  });
});
