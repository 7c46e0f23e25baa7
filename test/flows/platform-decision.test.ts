// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PlatformAdapter, PlatformRejectedError } from "../../src/channels/platforms/platform.ts";
import type { Actor } from "../../src/flows/context.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { setReturnAddress } from "../../src/flows/platform-decision.ts";
import { receiveReturn } from "../../src/flows/receive-return.ts";
import { approveCase, overrideDecision, rejectCase } from "../../src/flows/review-case.ts";
import { activateRules, createRuleDraft } from "../../src/flows/rules.ts";
import { setPolicies } from "../../src/flows/settings.ts";
import { recordReturnShipment } from "../../src/flows/shipments.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { syncShop } from "../../src/flows/sync-platform.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { orderLines } from "../../src/store/orders.ts";
import { sampleOrder } from "../support/fixtures.ts";
import {
  caseByExternal,
  eventsOf,
  type PlatformTestEnv,
  platformEnv,
  simOrder,
} from "../support/platforms.ts";

/** Our decisions on platform cases reach the platform: the outbox message written with the move, and its handler. */

const REVIEWER: Actor = { kind: "user", id: "reviewer-1" };
const WAREHOUSE: Actor = { kind: "user", id: "warehouse-1" };
const ADDRESS = { name: "售后仓", phone: "13800000000", address: "杭州市余杭区 1 号" };

let p: PlatformTestEnv;
beforeAll(async () => {
  p = await platformEnv({ pageSize: 20 });
  const draft = await createRuleDraft(
    p.ctx,
    { kind: "user", id: "supervisor" },
    {
      definition: {
        rules: [
          {
            id: "no-return-policy",
            name: "Customised goods: no change-of-mind returns",
            priority: 90,
            when: {
              all: [
                { field: "case.reason", op: "eq", value: "changed_mind" },
                { field: "product.policy", op: "contains_any", value: ["customised"] },
              ],
            },
            then: [{ action: "reject", reason: "policy_excludes" }],
          },
        ],
      },
    },
  );
  await activateRules(p.ctx, { kind: "user", id: "supervisor" }, draft.version);
  await setPolicies(p.ctx, "sku", "MUG-CUSTOM", ["customised"]);
});
afterAll(() => p.close());

/** A return request on the platform, pulled into a case. */
async function returnCase(over: { sku?: string; reason?: "quality" | "changed_mind" } = {}) {
  const order = simOrder(
    over.sku
      ? {
          lines: [
            {
              lineId: `43${Date.now()}${Math.floor(Math.random() * 1000)}`.slice(0, 19),
              sku: over.sku,
              title: over.sku,
              quantity: 1,
              unitPrice: 3900,
              paid: 3900,
            },
          ],
          shippingFee: 0,
        }
      : {},
  );
  p.env.clock.advance(60_000);
  p.sim.placeOrder(order);
  const line = order.lines[0] as (typeof order.lines)[number];
  const id = p.sim.requestAftersale({
    orderExternalId: order.externalId,
    type: "return_refund",
    reason: over.reason ?? "quality",
    lineId: line.lineId,
    quantity: 1,
    amount: Math.min(line.paid, 9400),
  });
  p.env.clock.advance(60_000);
  await syncShop(p.ctx, p.shop, "aftersales", { initialLookbackMs: 3_600_000 });
  const c = await caseByExternal(p.ctx, p.shop, id);
  return { id, caseId: c?.id as number, ref: { externalId: id, orderExternalId: order.externalId } };
}

const decisions = (caseId: number) =>
  p.ctx.db
    .selectFrom("outbox")
    .selectAll()
    .where("topic", "=", "platform.decision")
    .where("key", "like", `case:${caseId}:%`)
    .orderBy("id")
    .execute();

describe("the outbox message, written with the decision", () => {
  it("is written for a person's approval, rejection and full receipt — naming the decision's timeline event", async () => {
    await setReturnAddress(p.ctx, p.shop, ADDRESS);
    const a = await returnCase();
    await approveCase(p.ctx, REVIEWER, a.caseId);
    const approve = (await eventsOf(p.ctx, a.caseId)).find((e) => e.action === "approve");
    expect((await decisions(a.caseId)).map((m) => m.payload)).toEqual([
      { caseId: a.caseId, decision: "approve", eventId: approve?.id },
    ]);
    await recordReturnShipment(p.ctx, REVIEWER, a.caseId, { carrier: "中通快递", trackingNo: "ZTO1" });
    await receiveReturn(p.ctx, WAREHOUSE, a.caseId, { quantity: 1, condition: "intact" });
    expect((await decisions(a.caseId)).map((m) => m.payload.decision)).toEqual(["approve", "receive"]);

    const b = await returnCase();
    await rejectCase(p.ctx, REVIEWER, b.caseId, { note: "超过售后期" });
    expect((await decisions(b.caseId)).map((m) => m.payload.decision)).toEqual(["reject"]);
  });

  it("is not written for a case that did not come from a connected platform", async () => {
    // A chat case in a shop with no platform connection.
    const input = sampleOrder({ shop: "tmall-1", externalId: "CHAT-1" });
    await p.ctx.db.insertInto("shops").values({ id: "tmall-1", name: "tmall-1", channel: "tmall" }).execute();
    const { id: orderId } = await ingestOrder(p.ctx, input);
    const lines = await orderLines(p.ctx.db, orderId);
    const chat = await submitCase(p.ctx, REVIEWER, {
      orderId,
      externalId: "TM-REFUND-1",
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
    });
    await approveCase(p.ctx, REVIEWER, chat.id);
    expect(await decisions(chat.id)).toEqual([]);
  });
});

describe("the handler", () => {
  it("tells the platform, once, with the platform's own calls", async () => {
    await setReturnAddress(p.ctx, p.shop, ADDRESS);
    const a = await returnCase();
    await approveCase(p.ctx, REVIEWER, a.caseId);
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(a.id)).toMatchObject({
      status: "WAIT_BUYER_RETURN_GOODS",
      calls: ["taobao.rp.returngoods.agree"],
    });
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(a.id)?.calls).toHaveLength(1);
  });

  it("refuses with the platform's code for the reason a reviewer's note names, else its 其他 with the note", async () => {
    const named = await returnCase();
    await rejectCase(p.ctx, REVIEWER, named.caseId, { note: "缺少凭证：请补充商品破损照片" });
    const plain = await returnCase();
    await rejectCase(p.ctx, REVIEWER, plain.caseId, { note: "与买家协商后不予退款" });
    // Taobao lists the reasons a seller may give for each refund; the refusal must use one of those.
    const evidence = p.sim
      .refuseReasons(named.id)
      .find((r) => r.text === "买家未提供有效凭证（照片或视频）")?.id;
    const other = p.sim.refuseReasons(plain.id).find((r) => r.text === "其他")?.id;
    expect(evidence).toBeDefined();
    expect(other).toBeDefined();
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(named.id)?.calls).toEqual([
      `taobao.refund.refuse:${evidence}:缺少凭证：请补充商品破损照片`,
    ]);
    expect(p.sim.inspect(plain.id)?.calls).toEqual([`taobao.refund.refuse:${other}:与买家协商后不予退款`]);
  });

  it("sends nothing for a rule's rejection a person overrode before it went out — only the person's approval", async () => {
    await setReturnAddress(p.ctx, p.shop, ADDRESS);
    const m = await returnCase({ sku: "MUG-CUSTOM", reason: "changed_mind" });
    expect((await caseByExternal(p.ctx, p.shop, m.id))?.status).toBe("rejected");
    await overrideDecision(p.ctx, REVIEWER, m.caseId, { decision: "approve", note: "刻错了字，我们的责任" });
    expect((await decisions(m.caseId)).map((x) => x.payload.decision)).toEqual(["reject", "approve"]);
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(m.id)).toMatchObject({
      status: "WAIT_BUYER_RETURN_GOODS",
      calls: ["taobao.rp.returngoods.agree"],
    });
    expect((await decisions(m.caseId)).every((x) => x.status === "done")).toBe(true);
  });

  it("finds the buyer withdrew meanwhile: brings the case in step and calls nothing", async () => {
    const a = await returnCase();
    await approveCase(p.ctx, REVIEWER, a.caseId);
    p.sim.buyerCancels(a.id);
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(a.id)).toMatchObject({ status: "CLOSED", calls: [] });
    expect((await caseByExternal(p.ctx, p.shop, a.id))?.status).toBe("cancelled");
    expect((await decisions(a.caseId))[0]?.status).toBe("done");
  });

  it("uses the request's latest version after the buyer changed it", async () => {
    const a = await returnCase();
    await approveCase(p.ctx, REVIEWER, a.caseId);
    p.env.clock.advance(1000);
    p.sim.buyerModifies(a.id, 5000);
    await dispatchOnce(p.ctx);
    expect(p.sim.inspect(a.id)).toMatchObject({
      status: "WAIT_BUYER_RETURN_GOODS",
      calls: ["taobao.rp.returngoods.agree"],
    });
    expect(
      (await eventsOf(p.ctx, a.caseId)).some(
        (e) => e.action === "platform_update" && e.note?.includes("修改"),
      ),
    ).toBe(true);
  });

  it("tries again later when the request moved under the call, or the return address is missing", async () => {
    const a = await returnCase();
    let stale = 1;
    const racing: PlatformAdapter = {
      ...p.adapter,
      connect(creds, o) {
        const real = p.adapter.connect(creds, o);
        return {
          ...real,
          async agreeReturn(ref, address) {
            if (stale-- > 0)
              throw new PlatformRejectedError(
                "stale_version",
                "isv.refund-version-expired",
                "refund_version is not the latest",
              );
            return real.agreeReturn(ref, address);
          },
        };
      },
    };
    const ctx = { ...p.ctx, platforms: () => racing };
    await approveCase(ctx, REVIEWER, a.caseId);
    await dispatchOnce(ctx);
    const [first] = await decisions(a.caseId);
    expect(first).toMatchObject({ status: "pending" });
    expect(first?.last_error).toContain("isv.refund-version-expired");
    p.env.clock.advance(10 * 60_000);
    await dispatchOnce(ctx);
    expect((await decisions(a.caseId))[0]?.status).toBe("done");
    expect(p.sim.inspect(a.id)?.status).toBe("WAIT_BUYER_RETURN_GOODS");

    await p.ctx.db.deleteFrom("settings").where("key", "=", `platform.return_address.${p.shop}`).execute();
    const b = await returnCase();
    await approveCase(p.ctx, REVIEWER, b.caseId);
    await dispatchOnce(p.ctx);
    expect((await decisions(b.caseId))[0]?.last_error).toContain("RETURN_ADDRESS_MISSING");
    expect(p.sim.inspect(b.id)?.calls).toEqual([]);
  });
});
