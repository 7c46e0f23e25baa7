// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { signTop, toTopTime } from "../../src/channels/platforms/taobao-protocol.ts";
import type { Actor } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { setReturnAddress } from "../../src/flows/platform-decision.ts";
import { inspectReturn, receiveReturn } from "../../src/flows/receive-return.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { activateRules, createRuleDraft } from "../../src/flows/rules.ts";
import { setPolicies } from "../../src/flows/settings.ts";
import { syncShop } from "../../src/flows/sync-platform.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { onlyLeg } from "../support/fixtures.ts";
import {
  caseByExternal,
  eventsOf,
  type PlatformTestEnv,
  platformEnv,
  simOrder,
} from "../support/platforms.ts";

/**
 * End to end on the Taobao simulator: orders and requests appear on the platform, are pulled (or
 * pushed by TMC), judged by the live rules or by people, refunded through the `platform` tender — and
 * every decision shows up on the platform, made with the platform's own API calls.
 */

const SUPERVISOR: Actor = { kind: "user", id: "supervisor" };
const REVIEWER: Actor = { kind: "user", id: "reviewer-1" };
const WAREHOUSE: Actor = { kind: "user", id: "warehouse-1" };

const RULES = {
  rules: [
    {
      id: "no-return-policy",
      name: { zh: "定制商品不支持无理由", en: "Customised goods: no change-of-mind returns" },
      priority: 90,
      when: {
        all: [
          { field: "case.reason", op: "eq", value: "changed_mind" },
          { field: "product.policy", op: "contains_any", value: ["customised"] },
        ],
      },
      then: [{ action: "reject", reason: "policy_excludes" }],
    },
    {
      id: "small-refund-only",
      name: { zh: "小额仅退款自动同意", en: "Small refund-only auto-approve" },
      priority: 50,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "refund_only" },
          { field: "case.quoted_amount", op: "lte", value: "100.00" },
          { field: "case.reason", op: "in", value: ["quality", "damaged"] },
        ],
      },
      then: [{ action: "approve" }],
    },
  ],
};

let p: PlatformTestEnv;
let version: number;
let app: App;
let callback: string;

beforeAll(async () => {
  p = await platformEnv({ pageSize: 10 });
  const draft = await createRuleDraft(p.ctx, SUPERVISOR, { definition: RULES, note: "e2e rules" });
  version = draft.version;
  await activateRules(p.ctx, SUPERVISOR, version);
  await setPolicies(p.ctx, "sku", "MUG-CUSTOM", ["customised"]);
  await setReturnAddress(p.ctx, p.shop, {
    name: "售后仓 王师傅",
    phone: "13800000000",
    address: "浙江省杭州市余杭区仓前街道文一西路 1 号",
    postcode: "311121",
  });
  app = await buildServer({ ctx: p.ctx, dbKind: p.env.store.kind });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address() as { port: number };
  callback = `http://127.0.0.1:${address.port}/api/v1/callbacks/platforms/${p.shop}`;
});
afterAll(async () => {
  await p.sim.close();
  await app.close();
  await p.close();
});

/** Pull everything new: orders, then requests. */
async function pull() {
  p.env.clock.advance(60_000);
  const opts = { initialLookbackMs: 3_600_000 };
  const orders = await syncShop(p.ctx, p.shop, "orders", opts);
  const aftersales = await syncShop(p.ctx, p.shop, "aftersales", opts);
  expect([orders.status, aftersales.status]).toEqual(["done", "done"]);
  return aftersales;
}

const outbox = (topic: string) =>
  p.ctx.db.selectFrom("outbox").selectAll().where("topic", "=", topic).orderBy("id").execute();

describe("platform requests decided here, carried out there", () => {
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
    expect(await pull()).toMatchObject({ created: 1 });

    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c).toMatchObject({
      status: "refunded",
      source: "platform",
      type: "refund_only",
      requested_amount: 5590,
    });
    const timeline = await eventsOf(p.ctx, c?.id as number);
    expect(timeline.find((e) => e.action === "approve")?.actor).toBe(`rule:small-refund-only@v${version}`);
    const refund = await p.ctx.db
      .selectFrom("refunds")
      .selectAll()
      .where("case_id", "=", c?.id as number)
      .executeTakeFirstOrThrow();
    expect(refund).toMatchObject({
      channel: "platform",
      status: "succeeded",
      amount: 5590,
      channel_refund_id: id,
    });
    // The platform moved the money: the merchant's agreement is the refund.
    expect(p.sim.inspect(id)).toEqual({
      status: "SUCCESS",
      calls: ["taobao.rp.refunds.agree"],
      refunded: 5590,
    });
    const o = await p.ctx.db
      .selectFrom("orders")
      .selectAll()
      .where("id", "=", c?.order_id as number)
      .executeTakeFirstOrThrow();
    expect(o).toMatchObject({ refunded_total: 5590, aftersales_status: "partially_refunded" });

    // The approval's own message finds the platform already agreed: nothing more is called.
    expect((await outbox("platform.decision")).map((m) => m.payload)).toEqual([
      expect.objectContaining({ caseId: c?.id, decision: "approve" }),
    ]);
    await dispatchOnce(p.ctx);
    expect((await outbox("platform.decision"))[0]?.status).toBe("done");
    expect(p.sim.inspect(id)?.calls).toEqual(["taobao.rp.refunds.agree"]);
    // A later pull sees SUCCESS and changes nothing.
    const before = (await eventsOf(p.ctx, c?.id as number)).length;
    await pull();
    expect((await eventsOf(p.ctx, c?.id as number)).length).toBe(before);
  });

  it("a request a rule rejects shows up on the platform as refused, with the rule's reason", async () => {
    const order = simOrder({
      lines: [
        {
          lineId: "4300000000000000001",
          sku: "MUG-CUSTOM",
          title: "定制马克杯",
          quantity: 1,
          unitPrice: 3900,
          paid: 3900,
        },
      ],
      shippingFee: 0,
    });
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "return_refund",
      reason: "changed_mind",
      lineId: "4300000000000000001",
      quantity: 1,
      amount: 3900,
    });
    await pull();
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c?.status).toBe("rejected");
    expect(p.sim.inspect(id)?.status).toBe("WAIT_SELLER_AGREE"); // not yet: it goes out through the outbox

    // The reason list cannot be had (a gateway 500, then a time-out envelope): nothing is refused with
    // a guessed id; the decision waits in the outbox to be retried.
    p.sim.failNext("taobao.refund.refusereason.get", 1, "http500");
    await dispatchOnce(p.ctx);
    p.env.clock.advance(10 * 60_000);
    p.sim.failNext("taobao.refund.refusereason.get", 1, "isp");
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)).toMatchObject({ status: "WAIT_SELLER_AGREE", calls: [] });
    const waiting = (await outbox("platform.decision")).filter((m) => m.status !== "done");
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ status: "pending", attempts: 2 });
    expect(waiting[0]?.last_error).toContain("taobao.refund.refusereason.get");

    p.env.clock.advance(10 * 60_000);
    const listed = p.sim.refuseReasons(id).find((r) => r.text === "定制类商品不支持七天无理由退换货");
    await dispatchOnce(p.ctx);
    const seen = p.sim.inspect(id);
    expect(seen?.status).toBe("SELLER_REFUSE_BUYER");
    // The rule's reason (policy_excludes) as the id this refund's own list gives it, with its words.
    expect(seen?.calls).toEqual([`taobao.refund.refuse:${listed?.id}:该商品不支持此售后`]);
    const last = (await eventsOf(p.ctx, c?.id as number)).at(-1);
    expect(last).toMatchObject({ action: "platform_decision", note: "已回传平台：refuseRefund" });
    expect((await outbox("platform.decision")).every((m) => m.status === "done")).toBe(true);
    // Dispatching again sends nothing twice.
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(id)?.calls).toHaveLength(1);
  });

  it("a buyer who withdraws on the platform cancels our case", async () => {
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
    await pull();
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("requested"); // the rules leave it to people

    p.env.clock.advance(1000);
    p.sim.buyerCancels(id);
    await pull();
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c?.status).toBe("cancelled");
    expect((await eventsOf(p.ctx, c?.id as number)).at(-1)).toMatchObject({
      action: "cancel",
      actor: "channel:taobao",
    });
    const o = await p.ctx.db
      .selectFrom("orders")
      .selectAll()
      .where("id", "=", c?.order_id as number)
      .executeTakeFirstOrThrow();
    expect(o.aftersales_status).not.toBe("in_progress");
    expect(p.sim.inspect(id)).toMatchObject({ status: "CLOSED", calls: [] });
  });
});

describe("a return, driven by TMC pushes", () => {
  it("is agreed with our address, followed by push as the buyer ships, confirmed and refunded on the platform", async () => {
    p.sim.setPushUrl(callback);
    const order = simOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    await p.sim.pushesSettled();
    const tee = order.lines[0] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "return_refund",
      reason: "quality",
      lineId: tee.lineId,
      quantity: 1,
      amount: 9400,
    });
    await p.sim.pushesSettled();
    // The push alone opened the case (and pulled its order).
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c).toMatchObject({ status: "requested", type: "return_refund" });
    const caseId = c?.id as number;

    await approveCase(p.ctx, REVIEWER, caseId);
    await dispatchOnce(p.ctx);
    await p.sim.pushesSettled();
    expect(p.sim.inspect(id)).toMatchObject({
      status: "WAIT_BUYER_RETURN_GOODS",
      calls: ["taobao.rp.returngoods.agree"],
    });

    p.env.clock.advance(60_000);
    p.sim.buyerShipsReturn(id, "中通快递", "ZTO31415926");
    await p.sim.pushesSettled();
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("return_in_transit");

    await receiveReturn(p.ctx, WAREHOUSE, caseId, { quantity: 1, condition: "intact" });
    await dispatchOnce(p.ctx);
    await p.sim.pushesSettled();
    expect(p.sim.inspect(id)?.calls.at(-1)).toBe("taobao.nextone.logistics.warehouse.update");

    await inspectReturn(p.ctx, WAREHOUSE, caseId, { result: "pass" });
    const granted = await grantRefund(p.ctx, REVIEWER, caseId);
    await issueRefund(p.ctx, granted.refundId, onlyLeg(granted));
    await p.sim.pushesSettled();
    expect((await caseByExternal(p.ctx, p.shop, id))?.status).toBe("refunded");
    expect(p.sim.inspect(id)).toEqual({
      status: "SUCCESS",
      calls: [
        "taobao.rp.returngoods.agree",
        "taobao.nextone.logistics.warehouse.update",
        "taobao.rp.refunds.agree",
      ],
      refunded: onlyLeg(granted).amount,
    });
    const pushes = p.sim.pushes.filter((x) => x.status !== 200);
    expect(pushes).toEqual([]);
    p.sim.setPushUrl(undefined);
  });

  it("takes a push once, and refuses one that is not signed with the shop's secret", async () => {
    const order = simOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const cap = order.lines[1] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "changed_mind",
      lineId: cap.lineId,
      quantity: 1,
      amount: 1000,
    });
    const message = (secret: string) => {
      const params: Record<string, string> = {
        id: "9000000001",
        topic: "taobao_refund_RefundCreated",
        content: JSON.stringify({ refund_id: id, tid: order.externalId, refund_fee: "10.00" }),
        pub_time: toTopTime(p.env.clock.now),
        pub_app_key: p.sim.credentials.app_key as string,
        user_id: "2200000000001",
        user_nick: "模拟淘宝小店",
        app_key: p.sim.credentials.app_key as string,
        timestamp: toTopTime(p.env.clock.now),
        sign_method: "hmac-sha256",
      };
      params.sign = signTop(params, secret, "hmac-sha256");
      return new URLSearchParams(params).toString();
    };
    const post = (body: string) =>
      app.inject({
        method: "POST",
        url: `/api/v1/callbacks/platforms/${p.shop}`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: body,
      });
    const forged = await post(message("f".repeat(32)));
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toMatchObject({ code: "INVALID_SIGNATURE" });
    expect(await caseByExternal(p.ctx, p.shop, id)).toBeUndefined();

    const first = await post(message(p.sim.credentials.app_secret as string));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ success: true, status: "applied" });
    const c = await caseByExternal(p.ctx, p.shop, id);
    expect(c?.requested_amount).toBe(1000);
    const again = await post(message(p.sim.credentials.app_secret as string));
    expect(again.json()).toEqual({ success: true, status: "duplicate" });
    const cases = await p.ctx.db.selectFrom("cases").select("id").where("external_id", "=", id).execute();
    expect(cases).toHaveLength(1);
  });
});
