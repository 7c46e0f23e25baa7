// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ShopifySimulator } from "../../src/channels/platforms/shopify-simulator.ts";
import type { Actor } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { inspectReturn, receiveReturn } from "../../src/flows/receive-return.ts";
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
 * End to end on the Shopify simulator. Shopify buyers ask for Returns, never a refund on its own: every
 * request is a return (or an exchange), approved with returnApproveRequest, declined with
 * returnDeclineRequest, and refunded when it is processed (returnProcess with a refund). So here a rule
 * approves a small quality return, and the refund follows the goods back.
 */

const REVIEWER: Actor = { kind: "user", id: "reviewer-1" };
const WAREHOUSE: Actor = { kind: "user", id: "warehouse-1" };

const SMALL_RETURN = {
  id: "small-quality-return",
  name: { zh: "小额质量问题退货自动同意", en: "Small quality return auto-approve" },
  priority: 40,
  when: {
    all: [
      { field: "case.type", op: "eq", value: "return_refund" },
      { field: "case.quoted_amount", op: "lte", value: "100.00" },
      { field: "case.reason", op: "in", value: ["quality", "damaged"] },
    ],
  },
  then: [{ action: "approve" }],
};

let p: PlatformTestEnv<ShopifySimulator>;
let version: number;

beforeAll(async () => {
  p = await simulatedPlatformEnv<ShopifySimulator>("shopify");
  version = await e2eSetup(p, [SMALL_RETURN]);
});
afterAll(() => p.close());

/** An order without discounts: Shopify's per-line amounts and ours agree to the cent. */
function plainOrder() {
  const base = simOrder();
  return { ...base, lines: base.lines.map((l) => ({ ...l, paid: l.unitPrice * l.quantity })) };
}

describe("Shopify: returns decided here, carried out on Shopify", () => {
  it("a small quality return is approved by a rule, received, and refunded by processing it on Shopify", async () => {
    const order = plainOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const cap = order.lines[1] as (typeof order.lines)[number];
    // The buyer wants the money back: on Shopify that is a return.
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "quality",
      lineId: cap.lineId,
      quantity: 1,
      amount: 5990,
    });
    const { aftersales } = await pullAll(p);
    expect(aftersales).toMatchObject({ created: 1, errors: 0 });
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c).toMatchObject({ status: "awaiting_return", source: "platform", type: "return_refund" });
    const caseId = c?.id as number;
    const timeline = await eventsOf(p.ctx, caseId);
    expect(timeline.find((e) => e.action === "approve")?.actor).toBe(`rule:small-quality-return@v${version}`);
    expect(p.sim.inspect(id)).toMatchObject({ status: "REQUESTED", calls: [] }); // it goes out through the outbox

    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toEqual({ status: "OPEN", calls: ["returnApproveRequest"], refunded: 0 });

    p.env.clock.advance(60_000);
    p.sim.buyerShipsReturn(id, "UPS", "1Z999AA10123456784");
    await pullAll(p);
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("return_in_transit");

    await receiveReturn(p.ctx, WAREHOUSE, caseId, { quantity: 1, condition: "intact" });
    await dispatchOnce(p.ctx);
    // A refund return is received and refunded in one returnProcess: receiving it sends nothing yet.
    expect(p.sim.inspect(id)?.calls).toEqual(["returnApproveRequest"]);

    await inspectReturn(p.ctx, WAREHOUSE, caseId, { result: "pass" });
    const granted = await grantRefund(p.ctx, REVIEWER, caseId, { amount: "59.90" });
    await issueRefund(p.ctx, granted.refundId, onlyLeg(granted));
    const done = await caseByExternal(p.ctx, p.shop, id);
    expect(done?.status).toBe("refunded");
    expect(await refundsOf(p.ctx, caseId)).toEqual([
      expect.objectContaining({ channel: "platform", status: "succeeded", amount: 5990 }),
    ]);
    expect(p.sim.inspect(id)).toEqual({
      status: "CLOSED",
      calls: ["returnApproveRequest", "returnProcess refund=59.90"],
      refunded: 5990,
    });
    expect(await orderRow(p.ctx, done?.order_id as number)).toMatchObject({
      refunded_total: 5990,
      aftersales_status: "partially_refunded",
    });
    expect((await outboxOf(p.ctx, "platform.decision")).every((m) => m.status === "done")).toBe(true);
    const before = (await eventsOf(p.ctx, caseId)).length;
    await pullAll(p);
    await dispatchOnce(p.ctx);
    expect((await eventsOf(p.ctx, caseId)).length).toBe(before);
    expect(p.sim.inspect(id)?.calls).toHaveLength(2);
  });

  it("a return a rule rejects is declined on Shopify, once", async () => {
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
    expect(p.sim.inspect(id)?.calls).toEqual([]);

    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toEqual({
      status: "DECLINED",
      calls: ["returnDeclineRequest FINAL_SALE"], // the rule's reason, policy_excludes, is Shopify's FINAL_SALE
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

  it("a buyer who cancels the return on Shopify cancels our case; a re-sync changes nothing", async () => {
    const order = simOrder();
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
      actor: "channel:shopify",
    });
    expect((await orderRow(p.ctx, c?.order_id as number)).aftersales_status).not.toBe("in_progress");
    expect(p.sim.inspect(id)).toEqual({ status: "CANCELED", calls: [], refunded: 0 });
    await expectResyncChangesNothing(p, c?.id as number);
  });
});
