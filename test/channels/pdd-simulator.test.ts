import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import { pddAdapter } from "../../src/channels/platforms/pdd/adapter.ts";
import { PDD_ROUTER_PATH, pddSign, signedPddParams } from "../../src/channels/platforms/pdd/protocol.ts";
import { type PddSimulator, startPddSimulator } from "../../src/channels/platforms/pdd/simulator.ts";
import {
  type PlatformCase,
  type PlatformClient,
  PlatformRejectedError,
  type SimulatedOrder,
} from "../../src/channels/platforms/platform.ts";
import { AppError } from "../../src/domain/errors.ts";

let sim: PddSimulator;
let client: PlatformClient;

const T0 = Date.parse("2024-06-01T02:00:00Z");
const MIN = 60_000;
const ADDRESS = { name: "退货仓", phone: "13800000000", address: "浙江省杭州市余杭区仓前街道 1 号" };

const order = (n: number, over: Partial<SimulatedOrder> = {}): SimulatedOrder => ({
  externalId: `240601-${n}`,
  buyerId: `buyer-${n}`,
  currency: "CNY",
  paidAt: new Date(T0).toISOString(),
  shippingFee: 0,
  lines: [{ lineId: `SKU${n}`, sku: `TEA-${n}`, title: "Tea", quantity: 2, unitPrice: 1990, paid: 3580 }],
  ...over,
});

const creds = () => ({
  clientId: sim.credentials.client_id as string,
  clientSecret: sim.credentials.client_secret as string,
  accessToken: sim.credentials.access_token as string,
});

async function rawCall(params: Record<string, string>) {
  const res = await fetch(sim.url + PDD_ROUTER_PATH, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
  return (await res.json()) as Record<string, Record<string, unknown>>;
}

async function failure<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}
const rejection = (p: Promise<unknown>) => failure(p, AppError);
const refusal = (p: Promise<unknown>) => failure(p, PlatformRejectedError);
const unavailable = (p: Promise<unknown>) => failure(p, ChannelUnavailableError);

async function pullAll(from: number, to: number): Promise<{ items: PlatformCase[]; pages: number }> {
  const items: PlatformCase[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await client.pullAftersales({ from: new Date(from), to: new Date(to) }, cursor);
    items.push(...page.items);
    cursor = page.next;
    pages++;
  } while (cursor !== null);
  return { items, pages };
}

beforeEach(async () => {
  sim = await startPddSimulator();
  client = pddAdapter.connect(sim.credentials, { baseUrl: sim.url, timeoutMs: 2_000 });
  sim.setNow(T0);
});
afterEach(async () => {
  await sim.close();
});

describe("PDD simulator: signature and public parameters", () => {
  it("accepts a correctly signed call", async () => {
    const body = await rawCall(signedPddParams(creds(), "pdd.refund.address.list.get", {}));
    expect(body.refund_address_list_get_response).toEqual({ refund_address_list: [] });
  });

  it("answers tampered parameters with 20004 签名sign校验失败 and does nothing", async () => {
    sim.placeOrder(order(1));
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "quality",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    const params = signedPddParams(creds(), "pdd.refund.agree", {
      request: { after_sales_id: id, order_sn: "240601-1" },
    });
    const body = await rawCall({
      ...params,
      request: JSON.stringify({ after_sales_id: id, order_sn: "240601-2" }),
    });
    expect(body.error_response).toMatchObject({ error_code: 20004, error_msg: "签名sign校验失败" });
    expect(sim.inspect(id)).toEqual({ status: "2", calls: [], refunded: 0 });
    expect(sim.log().at(-1)).toEqual({ type: "pdd.refund.agree", accepted: false });
  });

  it("answers a call signed with the wrong secret with 20004", async () => {
    const body = await rawCall(
      signedPddParams({ ...creds(), clientSecret: "wrong" }, "pdd.refund.address.list.get", {}),
    );
    expect(body.error_response).toMatchObject({ error_code: 20004 });
  });

  it("answers an unsigned or stale call with 10001 公共参数错误, a wrong client_id with 10016, a wrong token with 20032", async () => {
    const { sign: _, ...unsigned } = signedPddParams(creds(), "pdd.refund.address.list.get", {});
    expect((await rawCall(unsigned)).error_response).toMatchObject({
      error_code: 10001,
      sub_msg: "公共参数错误:sign",
    });
    const stale = signedPddParams(creds(), "pdd.refund.address.list.get", {}, Date.now() - 20 * MIN);
    expect((await rawCall(stale)).error_response).toMatchObject({ error_code: 10001 });
    const otherClient = signedPddParams(
      { ...creds(), clientId: "nobody" },
      "pdd.refund.address.list.get",
      {},
    );
    expect((await rawCall(otherClient)).error_response).toMatchObject({ error_code: 10016 });
    const otherToken = signedPddParams(
      { ...creds(), accessToken: "expired" },
      "pdd.refund.address.list.get",
      {},
    );
    expect((await rawCall(otherToken)).error_response).toMatchObject({ error_code: 20032 });
    const unknown = signedPddParams(creds(), "pdd.refund.refuse", {});
    expect((await rawCall(unknown)).error_response).toMatchObject({ error_code: 10017 });
  });

  it("the adapter reports the platform's refusal with its code when its own credentials are wrong", async () => {
    const wrong = pddAdapter.connect({ ...sim.credentials, client_secret: "not-it" }, { baseUrl: sim.url });
    const err = await refusal(wrong.getOrder("240601-1"));
    expect(err).toMatchObject({ kind: "auth", code: "PDD_20004" });
    expect(err.message).toContain("签名sign校验失败");
  });

  it("the adapter refuses a garbled answer and a gateway failure clearly, and changes nothing", async () => {
    sim.placeOrder(order(1));
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "quality",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    sim.faults({ garbleNext: 1 });
    const garbled = await unavailable(client.getAftersale({ externalId: id, orderExternalId: "240601-1" }));
    expect(garbled.kind).toBe("untrusted_response");
    expect(garbled.message).toContain("not a JSON object");
    sim.faults({ failNext: 1 });
    const failed = await unavailable(
      client.pullAftersales({ from: new Date(T0), to: new Date(T0 + MIN) }, null),
    );
    expect(failed).toMatchObject({ kind: "http", httpStatus: 502 });
    expect(sim.inspect(id)?.status).toBe("2");
  });

  it("the signature covers what is sent: the simulator recomputes the same MD5", async () => {
    const params = signedPddParams(creds(), "pdd.order.information.get", { order_sn: "240601-9" });
    expect(params.sign).toBe(pddSign(creds().clientSecret, params));
    expect((await rawCall(params)).error_response).toMatchObject({ error_code: 50001, sub_code: "45001" });
    expect(await client.getOrder("240601-9")).toBeNull();
  });
});

describe("PDD simulator: clocks", () => {
  it("stamps requests with the connection's clock, and the simulator checks them against its own", async () => {
    const late = () => new Date(Date.now() - 20 * MIN);
    const skewed = pddAdapter.connect(sim.credentials, { baseUrl: sim.url, now: late });
    expect(await refusal(skewed.getOrder("240601-1"))).toMatchObject({ code: "PDD_10001" });
    const sim2 = await startPddSimulator({ now: late });
    try {
      const c2 = pddAdapter.connect(sim2.credentials, { baseUrl: `${sim2.url}/api/router`, now: late });
      expect(await c2.getOrder("240601-1")).toBeNull();
    } finally {
      await sim2.close();
    }
  });
});

describe("PDD simulator: windows and pages", () => {
  it("refuses a window longer than 30 minutes, in the adapter and on the wire", async () => {
    const err = await rejection(
      client.pullAftersales({ from: new Date(T0), to: new Date(T0 + 31 * MIN) }, null),
    );
    expect(err.code).toBe("PLATFORM_WINDOW_TOO_LONG");
    const body = await rawCall(
      signedPddParams(creds(), "pdd.refund.list.increment.get", {
        after_sales_status: 1,
        after_sales_type: 1,
        start_updated_at: T0 / 1000,
        end_updated_at: T0 / 1000 + 1801,
      }),
    );
    expect(body.error_response).toMatchObject({
      error_code: 10000,
      sub_msg: "开始时间结束时间间距不超过 30 分钟",
    });
    const big = await rawCall(
      signedPddParams(creds(), "pdd.refund.list.increment.get", {
        after_sales_status: 1,
        after_sales_type: 1,
        start_updated_at: T0 / 1000,
        end_updated_at: T0 / 1000 + 60,
        page_size: 101,
      }),
    );
    expect(big.error_response).toMatchObject({ error_code: 10000 });
  });

  it("returns only requests updated inside the window, and pages of 100 add up to all of them", async () => {
    for (let i = 1; i <= 250; i++) {
      sim.setNow(T0 + i * 1000); // 250 requests over ~4 minutes
      sim.placeOrder(order(i));
      sim.requestAftersale({
        orderExternalId: `240601-${i}`,
        type: "refund_only",
        reason: "changed_mind",
        lineId: `SKU${i}`,
        quantity: 1,
        amount: 1790,
      });
    }
    sim.setNow(T0 + 40 * MIN);
    sim.placeOrder(order(999));
    const late = sim.requestAftersale({
      orderExternalId: "240601-999",
      type: "refund_only",
      reason: "quality",
      lineId: "SKU999",
      quantity: 1,
      amount: 100,
    });

    const { items, pages } = await pullAll(T0, T0 + 30 * MIN);
    expect(pages).toBe(3);
    expect(items).toHaveLength(250);
    expect(new Set(items.map((c) => c.externalId)).size).toBe(250);
    expect(items.map((c) => c.externalId)).not.toContain(late);
    expect(
      items.every((c) => c.state === "requested" && c.requestedAmount === 1790 && c.type === "refund_only"),
    ).toBe(true);

    const later = await pullAll(T0 + 35 * MIN, T0 + 45 * MIN);
    expect(later.items.map((c) => c.externalId)).toEqual([late]);
    const empty = await pullAll(T0 + 50 * MIN, T0 + 60 * MIN);
    expect(empty).toEqual({ items: [], pages: 1 });
  });

  it("a request that changes later shows up again in the later window", async () => {
    sim.placeOrder(order(1));
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "quality",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    sim.setNow(T0 + 60 * MIN);
    sim.buyerCancels(id);
    expect((await pullAll(T0 - MIN, T0 + 29 * MIN)).items).toHaveLength(0);
    const again = await pullAll(T0 + 59 * MIN, T0 + 61 * MIN);
    expect(again.items).toMatchObject([
      { externalId: id, state: "cancelled", platformStatus: "11 买家撤销" },
    ]);
  });

  it("pulls orders in windows and pages, as orders our domain accepts", async () => {
    for (let i = 1; i <= 3; i++) sim.placeOrder(order(i, { shippingFee: 600 }));
    const page = await client.pullOrders({ from: new Date(T0 - MIN), to: new Date(T0 + MIN) }, null);
    expect(page.next).toBeNull();
    expect(page.items.map((o) => o.externalId)).toEqual(["240601-1", "240601-2", "240601-3"]);
    expect(page.items[0]).toMatchObject({
      currency: "CNY",
      lines: [{ externalId: "SKU1", sku: "TEA-1", quantity: 2, unitPrice: "19.90" }],
      payments: [{ tender: "platform", amount: "41.80" }],
      discounts: [{ kind: "seller", amount: "4.00" }],
    });
    expect(await client.getOrder("240601-2")).toMatchObject({ externalId: "240601-2", shippingFee: "6.00" });
  });
});

describe("PDD simulator: the merchant's decisions", () => {
  beforeEach(() => {
    sim.placeOrder(order(1));
  });
  const ref = (externalId: string) => ({ externalId, orderExternalId: "240601-1" });

  it("agree refund: 2 → 4 → 10, the money is back and the call is recorded", async () => {
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "damaged",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    const before = await client.getAftersale(ref(id));
    expect(before).toMatchObject({
      state: "requested",
      requestedAmount: 1790,
      reason: "damaged",
      type: "refund_only",
    });
    await client.agreeRefund(ref(id), 1790);
    expect(sim.inspect(id)).toEqual({ status: "10", calls: ["pdd.refund.agree"], refunded: 1790 });
    expect(await client.getAftersale(ref(id))).toMatchObject({
      state: "refunded",
      platformStatus: "10 退款成功",
    });
  });

  it("an agreed refund reads as refunding until PDD settles it", async () => {
    sim.faults({ refundDelayMs: 60_000 });
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "damaged",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    await client.agreeRefund(ref(id), 1790);
    expect(sim.inspect(id)).toEqual({ status: "4", calls: ["pdd.refund.agree"], refunded: 0 });
    expect(await client.getAftersale(ref(id))).toMatchObject({ state: "refunding" });
  });

  it("agree refund with a different amount is refused before anything is sent", async () => {
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "damaged",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    const err = await refusal(client.agreeRefund(ref(id), 1000));
    expect(err.code).toBe("AMOUNT_MISMATCH");
    expect(err.message).toContain("17.90");
    expect(sim.inspect(id)).toEqual({ status: "2", calls: [], refunded: 0 });
  });

  it("the platform's refusal of a decision is reported, not swallowed", async () => {
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "damaged",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    sim.buyerCancels(id);
    const err = await refusal(client.agreeRefund(ref(id), 1790));
    expect(err).toMatchObject({ kind: "rejected", code: "PDD_DECISION_REFUSED" });
    expect(err.message).toContain("不可同意退款");
    expect(sim.inspect(id)?.calls).toEqual([]);
  });

  it("return + refund: agree return (address from the book) → buyer ships → confirm receipt → agree refund", async () => {
    sim.addReturnAddress(ADDRESS);
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "return_refund",
      reason: "size_fit",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    expect(await client.getAftersale(ref(id))).toMatchObject({ state: "requested", type: "return_refund" });
    // Not yet shipped back: there is nothing to confirm.
    expect(await refusal(client.confirmReceipt(ref(id)))).toMatchObject({ kind: "invalid_state" });

    await client.agreeReturn(ref(id), { ...ADDRESS, address: "浙江省杭州市余杭区仓前街道1号" });
    expect(sim.inspect(id)).toEqual({ status: "7", calls: ["pdd.refund.returngoods.agree"], refunded: 0 });
    expect(await client.getAftersale(ref(id))).toMatchObject({ state: "awaiting_return" });

    sim.buyerShipsReturn(id, "中通快递", "ZT123");
    const shipped = await client.getAftersale(ref(id));
    expect(shipped).toMatchObject({
      state: "return_shipped",
      returnTracking: { carrier: "中通快递", trackingNo: "ZT123" },
    });

    await client.confirmReceipt(ref(id)); // PDD has no receipt call: checked, nothing sent
    expect(sim.inspect(id)?.calls).toEqual(["pdd.refund.returngoods.agree"]);
    await client.agreeRefund(ref(id), 1790);
    expect(sim.inspect(id)).toEqual({
      status: "10",
      calls: ["pdd.refund.returngoods.agree", "pdd.refund.agree"],
      refunded: 1790,
    });
  });

  it("agree return with the platform's own address id skips the address book", async () => {
    const addressId = sim.addReturnAddress(ADDRESS);
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "return_refund",
      reason: "size_fit",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    await client.agreeReturn(ref(id), { name: "x", phone: "0", address: "not in the book", addressId });
    expect(sim.inspect(id)?.status).toBe("7");
    expect(sim.log().map((c) => c.type)).not.toContain("pdd.refund.address.list.get");
  });

  it("agree return with an address that is not in PDD's return-address book fails clearly", async () => {
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "return_refund",
      reason: "size_fit",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    const err = await rejection(client.agreeReturn(ref(id), ADDRESS));
    expect(err.code).toBe("RETURN_ADDRESS_MISSING"); // the decision flow retries it
    expect(err.message).toContain("退货地址库");
    expect(sim.inspect(id)?.calls).toEqual([]);
  });

  it("refuse: PDD has no such call, so nothing is sent and the merchant is told where to do it", async () => {
    const id = sim.requestAftersale({
      orderExternalId: "240601-1",
      type: "refund_only",
      reason: "changed_mind",
      lineId: "SKU1",
      quantity: 1,
      amount: 1790,
    });
    const calls = sim.log().length;
    const err = await refusal(client.refuseRefund(ref(id), { reason: null, text: "已发货" }));
    expect(err.code).toBe("PDD_NO_REFUSE_API");
    expect(err.message).toContain("拼多多商家后台");
    expect(sim.log()).toHaveLength(calls);
    expect(sim.inspect(id)).toEqual({ status: "2", calls: [], refunded: 0 });
  });

  it("a speed refund reads as PDD having paid already, and getAftersale of an unknown id is null", async () => {
    const id = sim.requestAftersale(
      {
        orderExternalId: "240601-1",
        type: "refund_only",
        reason: "not_received",
        lineId: "SKU1",
        quantity: 1,
        amount: 1790,
      },
      { speedRefund: true },
    );
    const c = await client.getAftersale(ref(id));
    expect(c?.description).toContain("极速退款");
    expect(sim.inspect(id)).toEqual({ status: "5", calls: [], refunded: 1790 });
    expect(await client.getAftersale(ref("4999999999"))).toBeNull();
  });
});
