import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import { type PlatformClient, PlatformRejectedError } from "../../src/channels/platforms/platform.ts";
import { taobaoAdapter } from "../../src/channels/platforms/taobao/adapter.ts";
import { signTop, toTopTime } from "../../src/channels/platforms/taobao/protocol.ts";
import { startTaobaoSimulator, type TaobaoSimulator } from "../../src/channels/platforms/taobao/simulator.ts";
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

/** The id the simulator's refusereason.get lists, for this refund as it stands now, under these words. */
function listedAs(s: TaobaoSimulator, id: string, text: string): string {
  const found = s.refuseReasons(id).find((r) => r.text === text);
  if (!found) throw new Error(`refund ${id} is not offered "${text}"`);
  // Ids the platform hands out, not small sequential numbers.
  expect(found.id).toMatch(/^\d{6,}$/);
  return found.id;
}

/** A call signed by hand, for what the adapter itself would never send. */
async function rawCall(api: Record<string, string>) {
  const params: Record<string, string> = {
    app_key: sim.credentials.app_key as string,
    session: sim.credentials.session as string,
    timestamp: toTopTime(clock.now),
    format: "json",
    v: "2.0",
    sign_method: "hmac-sha256",
    ...api,
  };
  params.sign = signTop(params, sim.credentials.app_secret as string, "hmac-sha256");
  const res = await fetch(sim.credentials.gateway as string, {
    method: "POST",
    body: new URLSearchParams(params),
  });
  return (await res.json()) as { error_response?: unknown } & Record<string, unknown>;
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
    const other = listedAs(sim, id, "其他");
    await client.refuseRefund(
      { ...ref, version: fresh?.version as string },
      { reason: null, text: "商品无质量问题" },
    );
    // A refusal none of our reasons names goes as the 其他 this refund's list gave, with our words.
    expect(sim.inspect(id)).toMatchObject({
      status: "SELLER_REFUSE_BUYER",
      calls: [`taobao.refund.refuse:${other}:商品无质量问题`],
    });
  });

  it("refuses with the listed reason that names ours, asked for that refund", async () => {
    const client = connect(sim);
    // Our reason → the words of the reason refusereason.get lists for a refund awaiting the seller.
    const cases = [
      ["outside_window", "超出售后期限：签收已超过 15 天", "买家申请已超过售后期限"],
      ["policy_excludes", "该商品不支持此售后", "定制类商品不支持七天无理由退换货"],
      ["evidence_missing", "缺少凭证：请补充照片", "买家未提供有效凭证（照片或视频）"],
      ["signed_for", "物流显示已签收", "物流显示买家已签收"],
      ["duplicate", "重复申请", "买家重复申请退款"],
    ] as const;
    for (const [reason, text, listed] of cases) {
      const { id, ref } = request(sim);
      const before = sim.gatewayCalls.length;
      const code = listedAs(sim, id, listed);
      await client.refuseRefund(ref, { reason, text });
      expect(sim.inspect(id)?.calls).toEqual([`taobao.refund.refuse:${code}:${text}`]);
      // The list was asked for this refund, signed like every other call, before refusing.
      expect(sim.gatewayCalls.slice(before).map((c) => c.method)).toEqual([
        "taobao.refund.get",
        "taobao.refund.refusereason.get",
        "taobao.refund.refuse",
      ]);
    }
  });

  it("the platform refuses an id not on this refund's list, even one it lists for other refunds", async () => {
    const shipped = request(sim, "return_refund");
    const client = connect(sim);
    await client.agreeReturn(shipped.ref, { name: "售后仓", phone: "0571-88888888", address: "杭州市 1 号" });
    sim.buyerShipsReturn(shipped.id, "中通快递", "ZTO779");
    const resale = listedAs(sim, shipped.id, "退回的商品影响二次销售");
    for (const id of ["777", resale]) {
      const other = request(sim);
      const res = await rawCall({
        method: "taobao.refund.refuse",
        refund_id: other.id,
        refuse_message: "不同意退款",
        refuse_reason_id: id,
      });
      expect(res.error_response).toMatchObject({ sub_code: "isv.invalid-parameter" });
      expect(sim.inspect(other.id)).toMatchObject({ status: "WAIT_SELLER_AGREE", calls: [] });
    }
  });

  it("a listing that fails refuses nothing: the outcome is unknown, to ask again", async () => {
    const { id, ref } = request(sim);
    const client = connect(sim);
    for (const kind of ["http500", "isp"] as const) {
      sim.failNext("taobao.refund.refusereason.get", 1, kind);
      expect(
        await rejection(client.refuseRefund(ref, { reason: "outside_window", text: "超出售后期限" })),
      ).toMatchObject({ kind: "unavailable" });
      expect(sim.inspect(id)).toMatchObject({ status: "WAIT_SELLER_AGREE", calls: [] });
    }
    await client.refuseRefund(ref, { reason: "outside_window", text: "超出售后期限" });
    expect(sim.inspect(id)?.status).toBe("SELLER_REFUSE_BUYER");
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
    // Once the goods are back the list offers other reasons: abuse_suspected names 二次销售 there.
    const resale = listedAs(sim, id, "退回的商品影响二次销售");
    await client.refuseRefund(ref, { reason: "abuse_suspected", text: "退回商品已使用，影响二次销售" });
    expect(sim.inspect(id)?.calls.at(-1)).toBe(
      `taobao.rp.returngoods.refuse:${resale}:退回商品已使用，影响二次销售`,
    );
    expect(sim.inspect(id)?.status).toBe("SELLER_REFUSE_BUYER");
    // A reason this refund's list does not name (signed_for is not offered once goods came back) → 其他.
    const again = request(sim, "return_refund");
    await client.agreeReturn(again.ref, { name: "售后仓", phone: "0571-88888888", address: "杭州市 1 号" });
    sim.buyerShipsReturn(again.id, "中通快递", "ZTO780");
    const other = listedAs(sim, again.id, "其他");
    await client.refuseRefund(again.ref, { reason: "signed_for", text: "物流显示已签收：包裹完好" });
    expect(sim.inspect(again.id)?.calls.at(-1)).toBe(
      `taobao.rp.returngoods.refuse:${other}:物流显示已签收：包裹完好`,
    );
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
