import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DouyinSimulator } from "../../src/channels/platforms/douyin-simulator.ts";
import type { Actor } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { inspectReturn, receiveReturn } from "../../src/flows/receive-return.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { onlyLeg } from "../support/fixtures.ts";
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
  simOrder,
  simulatedPlatformEnv,
} from "../support/platforms.ts";

/**
 * End to end on the Douyin shop (抖店) simulator: every decision is an afterSale/operate call of its own
 * type (agree refund, refuse with a 拒绝原因码, agree a return with our address, confirm receipt and refund).
 */

const REVIEWER: Actor = { kind: "user", id: "reviewer-1" };
const WAREHOUSE: Actor = { kind: "user", id: "warehouse-1" };

let p: PlatformTestEnv<DouyinSimulator>;
let version: number;

beforeAll(async () => {
  p = await simulatedPlatformEnv<DouyinSimulator>("douyin");
  version = await e2eSetup(p);
});
afterAll(() => p.close());

/** An order without discounts: the platform's per-line amounts and ours agree to the cent. */
function plainOrder() {
  const base = simOrder();
  return { ...base, lines: base.lines.map((l) => ({ ...l, paid: l.unitPrice * l.quantity })) };
}

describe("Douyin: requests decided here, carried out there", () => {
  it("a small refund-only request is approved by a rule and refunded through the platform", async () => {
    const order = simOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const cap = order.lines[1] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "quality",
      lineId: cap.lineId,
      quantity: 1,
      amount: 5590,
    });
    const { aftersales } = await pullAll(p);
    expect(aftersales).toMatchObject({ created: 1, errors: 0 });

    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c).toMatchObject({
      status: "refunded",
      source: "platform",
      type: "refund_only",
      requested_amount: 5590,
    });
    const timeline = await eventsOf(p.ctx, c?.id as number);
    expect(timeline.find((e) => e.action === "approve")?.actor).toBe(`rule:small-refund-only@v${version}`);
    expect(await refundsOf(p.ctx, c?.id as number)).toEqual([
      expect.objectContaining({
        channel: "platform",
        status: "succeeded",
        amount: 5590,
        channel_refund_id: id,
      }),
    ]);
    expect(p.sim.inspect(id)).toEqual({
      status: "12",
      calls: ["afterSale/operate type=201"],
      refunded: 5590,
    });
    expect(await orderRow(p.ctx, c?.order_id as number)).toMatchObject({
      refunded_total: 5590,
      aftersales_status: "partially_refunded",
    });

    // The approval's own message finds the platform already agreed; a re-sync changes nothing.
    await dispatchOnce(p.ctx);
    expect((await outboxOf(p.ctx, "platform.decision")).every((m) => m.status === "done")).toBe(true);
    await expectResyncChangesNothing(p, c?.id as number);
    expect(p.sim.inspect(id)?.calls).toHaveLength(1);
  });

  it("a request a rule rejects shows up on the platform as refused, once", async () => {
    const order = customOrder();
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
    await pullAll(p);
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c?.status).toBe("rejected");
    expect(p.sim.inspect(id)?.calls).toEqual([]); // not yet: it goes out through the outbox

    // The listing fails (HTTP 500): nothing is refused with a guessed code; the decision waits to retry.
    p.sim.failCalls("/afterSale/rejectReasonCodeList");
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toMatchObject({ status: "6", calls: [] });
    const waiting = (await outboxOf(p.ctx, "platform.decision")).filter((m) => m.status !== "done");
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ status: "pending", attempts: 1 });
    expect(waiting[0]?.last_error).toContain("rejectReasonCodeList");

    p.env.clock.advance(10 * 60_000);
    const code = p.sim.rejectReasons(id).find((r) => r.text === "商品属于定制类，不支持七天无理由退货")?.id;
    await dispatchOnce(p.ctx);
    // The rule's reason (policy_excludes) goes as the 拒绝原因码 this request's list gives for it, with
    // the reason the buyer reads.
    expect(code).toMatch(/^\d{6,}$/);
    expect(p.sim.inspect(id)).toEqual({
      status: "27",
      calls: [`afterSale/operate type=102 reject_reason_code=${code} reason=该商品不支持此售后`],
      refunded: 0,
    });
    expect((await eventsOf(p.ctx, c?.id as number)).at(-1)).toMatchObject({
      action: "platform_decision",
      note: "已回传平台：refuseRefund",
    });
    expect((await outboxOf(p.ctx, "platform.decision")).every((m) => m.status === "done")).toBe(true);
    await dispatchOnce(p.ctx);
    const before = (await eventsOf(p.ctx, c?.id as number)).length;
    await pullAll(p);
    expect(p.sim.inspect(id)?.calls).toHaveLength(1);
    expect((await eventsOf(p.ctx, c?.id as number)).length).toBe(before);
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("rejected");
  });

  it("a buyer who withdraws on the platform cancels our case; a re-sync changes nothing", async () => {
    const order = simOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const tee = order.lines[0] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
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
      actor: "channel:douyin",
    });
    expect((await orderRow(p.ctx, c?.order_id as number)).aftersales_status).not.toBe("in_progress");
    expect(p.sim.inspect(id)).toEqual({ status: "28", calls: [], refunded: 0 });
    await expectResyncChangesNothing(p, c?.id as number);
  });
});

describe("Douyin: a return", () => {
  it("is agreed with our address, followed as the buyer ships, received and refunded on the platform", async () => {
    const order = plainOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const tee = order.lines[0] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "return_refund",
      reason: "quality",
      lineId: tee.lineId,
      quantity: 1,
      amount: 9900,
    });
    await pullAll(p);
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c).toMatchObject({ status: "requested", type: "return_refund" });
    const caseId = c?.id as number;

    await approveCase(p.ctx, REVIEWER, caseId);
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toMatchObject({ status: "7", calls: ["afterSale/operate type=101"] });

    p.env.clock.advance(60_000);
    p.sim.buyerShipsReturn(id, "中通快递", "ZTO27182818");
    await pullAll(p);
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("return_in_transit");

    await receiveReturn(p.ctx, WAREHOUSE, caseId, { quantity: 1, condition: "intact" });
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)?.calls).toEqual(["afterSale/operate type=101"]);

    await inspectReturn(p.ctx, WAREHOUSE, caseId, { result: "pass" });
    const granted = await grantRefund(p.ctx, REVIEWER, caseId, { amount: "99.00" });
    await issueRefund(p.ctx, granted.refundId, onlyLeg(granted));
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("refunded");
    expect(p.sim.inspect(id)).toEqual({
      status: "12",
      calls: ["afterSale/operate type=101", "afterSale/operate type=111"],
      refunded: 9900,
    });
    await expectResyncChangesNothing(p, caseId);
  });
});
