import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import { type PlatformClient, PlatformRejectedError } from "../../src/channels/platforms/platform.ts";
import { taobaoAdapter } from "../../src/channels/platforms/taobao.ts";
import { signTop, toTopTime } from "../../src/channels/platforms/taobao-protocol.ts";
import { startTaobaoSimulator, type TaobaoSimulator } from "../../src/channels/platforms/taobao-simulator.ts";
import { simOrder } from "../support/platforms.ts";

/** The simulator as the adapter meets it: the gateway's checks, the refund state machine, pagination. */

const clock = { now: new Date("2026-11-01T08:00:00Z") };
const tick = (ms: number) => {
  clock.now = new Date(clock.now.getTime() + ms);
};
let sim: TaobaoSimulator;
let tmall: TaobaoSimulator;
const adapter = taobaoAdapter({ channel: "taobao", pageSize: 2 });
const connect = (s: TaobaoSimulator, over: Record<string, string> = {}): PlatformClient => {
  const creds = { ...s.credentials, ...over };
  return adapter.connect(creds, { baseUrl: creds.gateway as string, now: () => clock.now, shop: "tb-1" });
};

beforeAll(async () => {
  sim = await startTaobaoSimulator({ channel: "taobao", now: () => clock.now });
  tmall = await startTaobaoSimulator({ channel: "tmall", now: () => clock.now });
});
afterAll(async () => {
  await sim.close();
  await tmall.close();
});

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (e instanceof PlatformRejectedError) return { kind: e.kind, code: e.code, message: e.message };
    if (e instanceof ChannelUnavailableError)
      return { kind: "unavailable", code: e.kind, message: e.message };
    throw e;
  }
  return { kind: "none", code: "", message: "" };
}

/** A refund_only request on a fresh order: its id, the order and the line. */
function request(s: TaobaoSimulator, type: "refund_only" | "return_refund" = "refund_only") {
  const order = simOrder();
  s.placeOrder(order);
  const line = order.lines[1] as (typeof order.lines)[number];
  const id = s.requestAftersale({
    orderExternalId: order.externalId,
    type,
    reason: "quality",
    lineId: line.lineId,
    quantity: 1,
    amount: 5590,
  });
  return { id, order, line, ref: { externalId: id, orderExternalId: order.externalId } };
}

describe("the gateway's signature and credential checks", () => {
  it("refuses a wrong secret with code 25 (Invalid signature) and changes nothing", async () => {
    const { id, ref } = request(sim);
    const before = sim.gatewayCalls.length;
    const r = await rejection(connect(sim, { app_secret: "0".repeat(32) }).agreeRefund(ref, 5590));
    expect(r).toMatchObject({ kind: "auth", code: "TOP_25" });
    expect(r.message).toContain("Invalid signature");
    expect(sim.gatewayCalls.slice(before)).toEqual([{ method: "taobao.refund.get", ok: false, error: 25 }]);
    expect(sim.inspect(id)).toEqual({ status: "WAIT_SELLER_AGREE", calls: [], refunded: 0 });
  });

  it("refuses a request tampered with after signing, whatever the sign method", async () => {
    const { id } = request(sim);
    for (const method of ["md5", "hmac", "hmac-sha256"] as const) {
      const params: Record<string, string> = {
        method: "taobao.rp.refunds.agree",
        app_key: sim.credentials.app_key as string,
        session: sim.credentials.session as string,
        timestamp: toTopTime(clock.now),
        format: "json",
        v: "2.0",
        sign_method: method,
        refund_infos: `${id}|1|`,
      };
      params.sign = signTop(params, sim.credentials.app_secret as string, method);
      params.refund_infos = `${id}|5590|`; // the amount changed on the way
      const res = await fetch(sim.credentials.gateway as string, {
        method: "POST",
        body: new URLSearchParams(params),
      });
      const body = (await res.json()) as { error_response?: unknown };
      expect(res.status).toBe(200);
      expect(body.error_response).toMatchObject({ code: 25, msg: "Invalid signature" });
    }
    expect(sim.inspect(id)?.status).toBe("WAIT_SELLER_AGREE");
  });

  it("accepts every sign method TOP documents", async () => {
    const { ref } = request(sim);
    for (const m of ["md5", "hmac", "hmac-sha256"]) {
      expect((await connect(sim, { sign_method: m }).getAftersale(ref))?.state).toBe("requested");
    }
  });

  it("refuses an unknown app key (29), a wrong session (27) and a clock off by more than 10 minutes (31)", async () => {
    const { ref } = request(sim);
    expect(await rejection(connect(sim, { app_key: "99999999" }).getAftersale(ref))).toMatchObject({
      kind: "auth",
      code: "TOP_29",
    });
    expect(await rejection(connect(sim, { session: "6100expired" }).getAftersale(ref))).toMatchObject({
      kind: "auth",
      code: "TOP_27",
    });
    const skewed = adapter.connect(sim.credentials, {
      baseUrl: sim.credentials.gateway as string,
      now: () => new Date(clock.now.getTime() + 11 * 60_000),
    });
    expect(await rejection(skewed.getAftersale(ref))).toMatchObject({ kind: "rejected", code: "TOP_31" });
  });

  it("reports platform trouble as an unknown outcome, to ask again", async () => {
    const { ref } = request(sim);
    sim.failNext("taobao.refund.get", 1, "isp");
    expect(await rejection(connect(sim).getAftersale(ref))).toMatchObject({ kind: "unavailable" });
    sim.failNext("taobao.refund.get", 1, "http500");
    expect(await rejection(connect(sim).getAftersale(ref))).toMatchObject({
      kind: "unavailable",
      code: "http",
    });
    expect((await connect(sim).getAftersale(ref))?.state).toBe("requested");
  });
});

describe("the refund state machine", () => {
  it("agreeing a refund-only request refunds it; agreeing it again is refused", async () => {
    const { id, ref } = request(sim);
    const client = connect(sim);
    await client.agreeRefund(ref, 5000);
    expect(sim.inspect(id)).toEqual({
      status: "SUCCESS",
      calls: ["taobao.rp.refunds.agree"],
      refunded: 5000,
    });
    expect((await client.getAftersale(ref))?.state).toBe("refunded");
    expect(await rejection(client.agreeRefund(ref, 5000))).toMatchObject({ kind: "invalid_state" });
  });

  it("will not refund more than the buyer asked for", async () => {
    const { id, ref } = request(sim);
    expect(await rejection(connect(sim).agreeRefund(ref, 5591))).toMatchObject({
      kind: "rejected",
      code: "isv.refund-fee-exceed",
    });
    expect(sim.inspect(id)?.status).toBe("WAIT_SELLER_AGREE");
  });

  it("refuses a decision made against a stale refund_version", async () => {
    const { id, ref } = request(sim);
    const client = connect(sim);
    const seen = await client.getAftersale(ref);
    tick(1000);
    sim.buyerModifies(id, 4000);
    expect(
      await rejection(
        client.refuseRefund({ ...ref, version: seen?.version as string }, { reason: null, text: "不同意" }),
      ),
    ).toMatchObject({
      kind: "stale_version",
    });
    expect(sim.inspect(id)?.status).toBe("WAIT_SELLER_AGREE");
    const fresh = await client.getAftersale(ref);
    expect(fresh?.requestedAmount).toBe(4000);
    await client.refuseRefund(
      { ...ref, version: fresh?.version as string },
      { reason: null, text: "商品无质量问题" },
    );
    // A refusal none of our reasons names goes as 其他 (2099), with our words.
    expect(sim.inspect(id)).toMatchObject({
      status: "SELLER_REFUSE_BUYER",
      calls: ["taobao.refund.refuse:2099:商品无质量问题"],
    });
  });

  it("refuses with the refuse_reason_id of our reason, and the platform refuses an id not on its list", async () => {
    const { id, ref } = request(sim);
    const client = connect(sim);
    const fresh = await client.getAftersale(ref);
    await client.refuseRefund(
      { ...ref, version: fresh?.version as string },
      { reason: "outside_window", text: "超出售后期限：签收已超过 15 天" },
    );
    expect(sim.inspect(id)?.calls).toEqual(["taobao.refund.refuse:2001:超出售后期限：签收已超过 15 天"]);
    // An id refusereason.get does not list is refused by the platform, and nothing moves.
    const other = request(sim);
    const params: Record<string, string> = {
      method: "taobao.refund.refuse",
      app_key: sim.credentials.app_key as string,
      session: sim.credentials.session as string,
      timestamp: toTopTime(clock.now),
      format: "json",
      v: "2.0",
      sign_method: "hmac-sha256",
      refund_id: other.id,
      refuse_message: "不同意退款",
      refuse_reason_id: "777",
    };
    params.sign = signTop(params, sim.credentials.app_secret as string, "hmac-sha256");
    const res = await fetch(sim.credentials.gateway as string, {
      method: "POST",
      body: new URLSearchParams(params),
    });
    expect(((await res.json()) as { error_response?: unknown }).error_response).toMatchObject({
      sub_code: "isv.invalid-parameter",
    });
    expect(sim.inspect(other.id)).toMatchObject({ status: "WAIT_SELLER_AGREE", calls: [] });
  });

  it("runs a return: agree with the address, the buyer ships, the warehouse confirms, the refund is agreed", async () => {
    const { id, ref } = request(sim, "return_refund");
    const client = connect(sim);
    expect(await rejection(client.agreeRefund(ref, 5590))).toMatchObject({ kind: "invalid_state" });
    await client.agreeReturn(ref, {
      name: "售后仓",
      phone: "0571-88888888",
      address: "杭州市余杭区仓前街道 1 号",
      postcode: "311121",
    });
    expect((await client.getAftersale(ref))?.state).toBe("awaiting_return");
    sim.buyerShipsReturn(id, "中通快递", "ZTO777");
    const shipped = await client.getAftersale(ref);
    expect(shipped).toMatchObject({
      state: "return_shipped",
      returnTracking: { carrier: "中通快递", trackingNo: "ZTO777" },
    });
    await client.confirmReceipt(ref);
    await client.agreeRefund(ref, 5590);
    expect(sim.inspect(id)).toEqual({
      status: "SUCCESS",
      calls: [
        "taobao.rp.returngoods.agree",
        "taobao.nextone.logistics.warehouse.update",
        "taobao.rp.refunds.agree",
      ],
      refunded: 5590,
    });
  });

  it("refuses goods already on their way back with the return-goods API", async () => {
    const { id, ref } = request(sim, "return_refund");
    const client = connect(sim);
    await client.agreeReturn(ref, { name: "售后仓", phone: "0571-88888888", address: "杭州市余杭区 1 号" });
    sim.buyerShipsReturn(id, "中通快递", "ZTO778");
    await client.refuseRefund(ref, { reason: null, text: "退回商品已使用，影响二次销售" });
    expect(sim.inspect(id)?.calls.at(-1)).toBe(
      "taobao.rp.returngoods.refuse:2099:退回商品已使用，影响二次销售",
    );
    expect(sim.inspect(id)?.status).toBe("SELLER_REFUSE_BUYER");
  });

  it("Tmall insists on refund_phase and refund_version, and on reviewing a refund before agreeing it", async () => {
    const { id, ref } = request(tmall);
    const client = taobaoAdapter({ channel: "tmall" }).connect(tmall.credentials, {
      baseUrl: tmall.credentials.gateway as string,
      now: () => clock.now,
    });
    const pc = await client.getAftersale(ref);
    expect(pc?.raw).toMatchObject({ dispute_type: "REFUND", refund_phase: "aftersale" });
    // Without the review step Tmall refuses the agreement.
    const bare = adapter.connect(tmall.credentials, {
      baseUrl: tmall.credentials.gateway as string,
      now: () => clock.now,
    });
    expect(await rejection(bare.agreeRefund({ ...ref, version: pc?.version as string }, 5590))).toMatchObject(
      {
        code: "isv.refund-not-reviewed",
      },
    );
    await client.agreeRefund(ref, 5590);
    expect(tmall.inspect(id)).toEqual({
      status: "SUCCESS",
      calls: ["taobao.rp.refund.review:true", "taobao.rp.refunds.agree"],
      refunded: 5590,
    });
  });
});

describe("pulling", () => {
  it("pages a window from the last page back, and refuses a window longer than a day", async () => {
    const s = await startTaobaoSimulator({ channel: "taobao", now: () => clock.now });
    try {
      const from = clock.now;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        tick(60_000);
        ids.push(request(s).id);
      }
      tick(60_000);
      const client = connect(s);
      const window = { from, to: clock.now };
      const seen: string[] = [];
      const cursors: (string | null)[] = [];
      let cursor: string | null = null;
      do {
        const page = await client.pullAftersales(window, cursor);
        seen.push(...page.items.map((i) => i.externalId));
        cursor = page.next;
        cursors.push(cursor);
      } while (cursor);
      // A probe for the count, then pages 3, 2, 1 of 2 each.
      expect(cursors).toEqual(["3", "2", "1", null]);
      expect(seen.sort()).toEqual(ids.sort());
      const orders = await client.pullOrders(window, "3");
      expect(orders.items).toHaveLength(1);
      expect(orders.items[0]?.shop).toBe("tb-1");
      const tooLong = { from: new Date(from.getTime() - 25 * 3_600_000), to: from };
      expect(await rejection(client.pullAftersales(tooLong, null))).toMatchObject({
        code: "isv.invalid-parameter:time-range",
      });
    } finally {
      await s.close();
    }
  });

  it("has the buyer's refunds as the platform reports them, 64-bit ids intact", async () => {
    const { id, order, line, ref } = request(sim);
    const pc = await connect(sim).getAftersale(ref);
    expect(pc).toMatchObject({
      externalId: id,
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "quality",
      state: "requested",
      requestedAmount: 5590,
      items: [{ lineExternalId: line.lineId, sku: "CAP-01", quantity: 1 }],
    });
    expect(id).toMatch(/^\d{19}$/);
    const trade = await connect(sim).getOrder(order.externalId);
    expect(trade?.externalId).toBe(order.externalId);
    expect(trade?.lines.map((l) => l.externalId)).toEqual(order.lines.map((l) => l.lineId));
    expect(await connect(sim).getOrder("4100000000000009999")).toBeNull();
    expect(await connect(sim).getAftersale({ externalId: "1", orderExternalId: "2" })).toBeNull();
  });
});
