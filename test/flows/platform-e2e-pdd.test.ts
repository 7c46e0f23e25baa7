import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PddSimulator } from "../../src/channels/platforms/pdd-simulator.ts";
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
  E2E_RETURN_ADDRESS,
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
 * End to end on the Pinduoduo simulator: the agreement (pdd.refund.agree) is the refund. PDD's open
 * platform has no call to refuse a request (PDD_NO_REFUSE_API: refuse it in 拼多多商家后台) and none to
 * confirm a return's receipt (agreeing the refund is the confirmation). PDD's goods_id is a JSON number,
 * so orders get PDD-sized ids.
 */

const REVIEWER: Actor = { kind: "user", id: "reviewer-1" };
const WAREHOUSE: Actor = { kind: "user", id: "warehouse-1" };

let p: PlatformTestEnv<PddSimulator>;
let version: number;

beforeAll(async () => {
  p = await simulatedPlatformEnv<PddSimulator>("pdd");
  version = await e2eSetup(p);
});
afterAll(() => p.close());

describe("PDD: requests decided here, carried out on PDD", () => {
  it("a small refund-only request is approved by a rule and refunded through PDD (pdd.refund.agree)", async () => {
    const order = shortIds(simOrder());
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
    expect(p.sim.inspect(id)).toEqual({ status: "10", calls: ["pdd.refund.agree"], refunded: 5590 });
    expect(await orderRow(p.ctx, c?.order_id as number)).toMatchObject({
      refunded_total: 5590,
      aftersales_status: "partially_refunded",
    });

    // The approval's own message finds PDD already refunded; a re-sync changes nothing.
    await dispatchOnce(p.ctx);
    expect((await outboxOf(p.ctx, "platform.decision")).every((m) => m.status === "done")).toBe(true);
    await expectResyncChangesNothing(p, c?.id as number);
    expect(p.sim.inspect(id)?.calls).toEqual(["pdd.refund.agree"]);
  });

  it("a request a rule rejects is rejected here; PDD has no refuse API, so nothing is sent and the timeline says why", async () => {
    const order = shortIds(customOrder());
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

    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toEqual({ status: "3", calls: [], refunded: 0 });
    const last = (await eventsOf(p.ctx, c?.id as number)).at(-1);
    expect(last).toMatchObject({ action: "platform_decision", actor: "channel:pdd" });
    expect(last?.note).toMatch(/^平台拒绝了回传：.*拼多多商家后台/);
    expect(last?.data).toMatchObject({ decision: "reject", code: "PDD_NO_REFUSE_API" });
    expect((await outboxOf(p.ctx, "platform.decision")).every((m) => m.status === "done")).toBe(true);
    // Nothing retried, nothing sent twice; a re-sync leaves our rejection standing.
    await dispatchOnce(p.ctx);
    await pullAll(p);
    expect(p.sim.inspect(id)?.calls).toEqual([]);
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("rejected");
  });

  it("a buyer who withdraws on PDD cancels our case; a re-sync changes nothing", async () => {
    const order = shortIds(simOrder());
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
      actor: "channel:pdd",
    });
    expect((await orderRow(p.ctx, c?.order_id as number)).aftersales_status).not.toBe("in_progress");
    expect(p.sim.inspect(id)).toEqual({ status: "11", calls: [], refunded: 0 });
    await expectResyncChangesNothing(p, c?.id as number);
  });
});

describe("PDD: a return", () => {
  it("is agreed with the address from PDD's address book, confirmed by the refund agreement, refunded on PDD", async () => {
    p.sim.addReturnAddress(E2E_RETURN_ADDRESS);
    // No discount: PDD states no per-line paid amounts, so ours are apportioned and could differ by cents.
    const base = simOrder();
    const order = shortIds({
      ...base,
      lines: base.lines.map((l) => ({ ...l, paid: l.unitPrice * l.quantity })),
    });
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
    expect(p.sim.inspect(id)).toMatchObject({ status: "7", calls: ["pdd.refund.returngoods.agree"] });

    p.env.clock.advance(60_000);
    p.sim.buyerShipsReturn(id, "中通快递", "ZTO27182818");
    await pullAll(p);
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("return_in_transit");

    await receiveReturn(p.ctx, WAREHOUSE, caseId, { quantity: 1, condition: "intact" });
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)?.calls).toEqual(["pdd.refund.returngoods.agree"]); // no receipt call on PDD

    await inspectReturn(p.ctx, WAREHOUSE, caseId, { result: "pass" });
    const granted = await grantRefund(p.ctx, REVIEWER, caseId, { amount: "99.00" });
    await issueRefund(p.ctx, granted.refundId, onlyLeg(granted));
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("refunded");
    expect(p.sim.inspect(id)).toEqual({
      status: "10",
      calls: ["pdd.refund.returngoods.agree", "pdd.refund.agree"],
      refunded: 9900,
    });
    await expectResyncChangesNothing(p, caseId);
  });
});
