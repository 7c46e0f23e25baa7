import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import { jdAdapter } from "../../src/channels/platforms/jd/adapter.ts";
import { JD_ROUTER_PATH, jdRoot, signedJdParams } from "../../src/channels/platforms/jd/protocol.ts";
import { type JdSimulator, startJdSimulator } from "../../src/channels/platforms/jd/simulator.ts";
import {
  type PlatformCase,
  type PlatformClient,
  PlatformRejectedError,
  type SimulatedOrder,
} from "../../src/channels/platforms/platform.ts";
import { AppError } from "../../src/domain/errors.ts";

let sim: JdSimulator;
let client: PlatformClient;

const T0 = Date.parse("2024-06-01T02:00:00Z");
const MIN = 60_000;

const order = (n: number, over: Partial<SimulatedOrder> = {}): SimulatedOrder => ({
  externalId: String(300_000_000_000 + n),
  buyerId: `jd_buyer_${n}`,
  currency: "CNY",
  paidAt: new Date(T0).toISOString(),
  shippingFee: 0,
  lines: [
    { lineId: `SKU${100 + n}`, sku: `TEA-${n}`, title: "Tea", quantity: 2, unitPrice: 1990, paid: 3580 },
  ],
  ...over,
});
const orderId = (n: number) => String(300_000_000_000 + n);
const refundOnly = (n: number, amount = 1790) => ({
  orderExternalId: orderId(n),
  type: "refund_only" as const,
  reason: "changed_mind" as const,
  lineId: `SKU${100 + n}`,
  quantity: 1,
  amount,
});

const creds = () => ({
  appKey: sim.credentials.app_key as string,
  appSecret: sim.credentials.app_secret as string,
  accessToken: sim.credentials.access_token as string,
});

async function rawCall(params: Record<string, string>) {
  const res = await fetch(sim.url + JD_ROUTER_PATH, {
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

async function pullAll(from: number, to: number) {
  const items: PlatformCase[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.pullAftersales({ from: new Date(from), to: new Date(to) }, cursor);
    items.push(...page.items);
    cursor = page.next;
    cursors.push(cursor);
  } while (cursor !== null);
  return { items, cursors, ids: [...new Set(items.map((c) => c.externalId))] };
}

beforeEach(async () => {
  sim = await startJdSimulator();
  client = jdAdapter.connect(sim.credentials, { baseUrl: sim.url, timeoutMs: 2_000 });
  sim.setNow(T0);
});
afterEach(async () => {
  await sim.close();
});

describe("JD simulator: gateway checks", () => {
  const method = "jingdong.pop.afs.soa.refundapply.queryPageList";

  it("accepts a signed call and answers under the _responce root", async () => {
    const body = await rawCall(signedJdParams(creds(), method, { pageIndex: 1, pageSize: 10 }));
    expect(body[jdRoot(method)]).toMatchObject({
      code: "0",
      queryResult: { success: true, totalCount: 0, result: [] },
    });
  });

  it("refuses ids that JSON numbers would round, instead of sending them rounded", () => {
    expect(() => sim.placeOrder(order(1, { externalId: "1234567890123456789" }))).toThrow(/too long/);
    expect(() =>
      sim.placeOrder(
        order(2, {
          lines: [
            {
              lineId: "SKU1234567890123456789",
              sku: "X",
              title: "X",
              quantity: 1,
              unitPrice: 100,
              paid: 100,
            },
          ],
        }),
      ),
    ).toThrow(/too long/);
  });

  it("answers tampered parameters and a wrong secret with 12 无效签名, and changes nothing", async () => {
    sim.placeOrder(order(1));
    const id = sim.requestAftersale(refundOnly(1));
    const reply = "jingdong.pop.afs.soa.refundapply.replyRefund";
    const signed = signedJdParams(creds(), reply, { id: id.split(":")[1], status: 2, remark: "no" });
    const tampered = await rawCall({
      ...signed,
      "360buy_param_json": JSON.stringify({ id: id.split(":")[1], status: 1, remark: "ok" }),
    });
    expect(tampered.error_response).toEqual({
      code: "12",
      zh_desc: "无效签名",
      en_desc: "Invalid Signature",
    });
    const wrongSecret = await rawCall(signedJdParams({ ...creds(), appSecret: "nope" }, reply, { id: 1 }));
    expect(wrongSecret.error_response).toMatchObject({ code: "12" });
    expect(sim.inspect(id)).toEqual({ status: "0", calls: [], refunded: 0 });
    expect(sim.log().every((c) => !c.accepted)).toBe(true);
  });

  it("answers a missing sign with 11, a stale timestamp with 8, a wrong token with 19, an unknown method with 15", async () => {
    const { sign: _, ...unsigned } = signedJdParams(creds(), method, {});
    expect((await rawCall(unsigned)).error_response).toMatchObject({ code: "11" });
    expect(
      (await rawCall(signedJdParams(creds(), method, {}, Date.now() - 10 * MIN))).error_response,
    ).toMatchObject({ code: "8" });
    expect(
      (await rawCall(signedJdParams({ ...creds(), accessToken: "old" }, method, {}))).error_response,
    ).toMatchObject({ code: "19" });
    expect(
      (await rawCall(signedJdParams(creds(), "jingdong.asc.refund.agree", {}))).error_response,
    ).toMatchObject({ code: "15" });
  });

  it("the adapter reports the gateway's refusal with its code", async () => {
    const wrong = jdAdapter.connect({ ...sim.credentials, app_secret: "not-it" }, { baseUrl: sim.url });
    const err = await refusal(wrong.getOrder(orderId(1)));
    expect(err).toMatchObject({ kind: "auth", code: "JD_12" });
    expect(err.message).toContain("12 无效签名");
  });

  it("the adapter refuses a garbled answer and a gateway failure clearly", async () => {
    sim.faults({ garbleNext: 1 });
    expect(await unavailable(client.getOrder(orderId(1)))).toMatchObject({ kind: "untrusted_response" });
    sim.faults({ failNext: 1 });
    expect(await unavailable(client.getOrder(orderId(1)))).toMatchObject({ kind: "http", httpStatus: 502 });
    expect(await client.getOrder(orderId(1))).toBeNull();
  });

  it("refuses pages beyond JD's limits (pageSize 1–50, pageIndex 1–100)", async () => {
    for (const bad of [
      { pageIndex: 1, pageSize: 51 },
      { pageIndex: 101, pageSize: 10 },
      { pageIndex: 0, pageSize: 10 },
    ]) {
      const body = await rawCall(signedJdParams(creds(), method, bad));
      expect(body[jdRoot(method)]?.queryResult).toMatchObject({ success: false });
    }
  });
});

describe("JD simulator: clocks", () => {
  it("stamps requests with the connection's clock, and the simulator checks them against its own", async () => {
    const late = () => new Date(Date.now() - 20 * MIN);
    const skewed = jdAdapter.connect(sim.credentials, { baseUrl: sim.url, now: late });
    expect(await refusal(skewed.getOrder(orderId(1)))).toMatchObject({ code: "JD_8" });
    const sim2 = await startJdSimulator({ now: late });
    try {
      const c2 = jdAdapter.connect(sim2.credentials, { baseUrl: `${sim2.url}/routerjson`, now: late });
      expect(await c2.getOrder(orderId(1))).toBeNull();
    } finally {
      await sim2.close();
    }
  });
});

describe("JD simulator: windows and pages", () => {
  it("refuses windows over 60 minutes before calling JD", async () => {
    const calls = sim.log().length;
    expect(
      (await rejection(client.pullAftersales({ from: new Date(T0), to: new Date(T0 + 61 * MIN) }, null)))
        .code,
    ).toBe("PLATFORM_WINDOW_TOO_LONG");
    expect(sim.log()).toHaveLength(calls);
  });

  it("pages of 50 add up across refund-applies and service orders; requests outside the window are left out", async () => {
    for (let i = 1; i <= 120; i++) {
      sim.setNow(T0 + i * 1000);
      sim.placeOrder(order(i));
      sim.requestAftersale(refundOnly(i));
    }
    for (let i = 121; i <= 125; i++) {
      sim.setNow(T0 + i * 1000);
      sim.placeOrder(
        order(i, {
          shipment: { carrier: "JD", trackingNo: `JDV${i}`, shippedAt: new Date(T0).toISOString() },
        }),
      );
      sim.requestAftersale({ ...refundOnly(i), type: "return_refund" });
    }
    sim.setNow(T0 + 90 * MIN);
    sim.placeOrder(order(999));
    const late = sim.requestAftersale(refundOnly(999));

    const { items, cursors, ids } = await pullAll(T0, T0 + 60 * MIN);
    expect(cursors).toEqual(["apply:2", "apply:3", "check:1", "asc:1", null]);
    expect(items).toHaveLength(125);
    expect(ids).toHaveLength(125);
    expect(ids).not.toContain(late);
    expect(items.filter((c) => c.externalId.startsWith("refundapply:"))).toHaveLength(120);
    expect(
      items
        .filter((c) => c.externalId.startsWith("asc:"))
        .every((c) => c.type === "return_refund" && c.state === "requested"),
    ).toBe(true);

    const later = await pullAll(T0 + 60 * MIN, T0 + 120 * MIN);
    expect(later.ids).toEqual([late]);
  });

  it("a refund-apply decided later is pulled again through its check time", async () => {
    sim.placeOrder(order(1));
    const id = sim.requestAftersale(refundOnly(1));
    sim.setNow(T0 + 3 * 60 * MIN);
    await client.refuseRefund(
      { externalId: id, orderExternalId: orderId(1) },
      { reason: null, text: "已出库，无法取消" },
    );
    const window = await pullAll(T0 + 3 * 60 * MIN - 10 * MIN, T0 + 3 * 60 * MIN + 10 * MIN);
    expect(window.items).toMatchObject([
      { externalId: id, state: "refused", platformStatus: "2 审核不通过" },
    ]);
  });

  it("pulls orders by modification time as orders our domain accepts", async () => {
    for (let i = 1; i <= 3; i++) sim.placeOrder(order(i, { shippingFee: 600 }));
    const page = await client.pullOrders({ from: new Date(T0 - MIN), to: new Date(T0 + MIN) }, null);
    expect(page.next).toBeNull();
    expect(page.items.map((o) => o.externalId)).toEqual([orderId(1), orderId(2), orderId(3)]);
    expect(page.items[0]).toMatchObject({
      lines: [{ externalId: "101", sku: "TEA-1", quantity: 2, unitPrice: "19.90" }],
      payments: [{ tender: "platform", amount: "41.80" }],
      discounts: [{ kind: "seller", amount: "4.00" }],
    });
    expect(await client.getOrder(orderId(2))).toMatchObject({ externalId: orderId(2) });
  });
});

describe("JD simulator: the merchant's decisions", () => {
  beforeEach(() => {
    sim.placeOrder(order(1));
  });
  const ref = (externalId: string) => ({ externalId, orderExternalId: orderId(1) });

  it("agree refund: 0 → 1 审核通过 → 3 京东财务审核通过, which still reads as refunding", async () => {
    const id = sim.requestAftersale(refundOnly(1));
    expect(await client.getAftersale(ref(id))).toMatchObject({
      state: "requested",
      requestedAmount: 1790,
      reason: "changed_mind",
    });
    await client.agreeRefund(ref(id), 1790);
    expect(sim.inspect(id)).toEqual({
      status: "3",
      calls: ["jingdong.pop.afs.soa.refundapply.replyRefund status=1"],
      refunded: 1790,
    });
    expect(await client.getAftersale(ref(id))).toMatchObject({
      state: "refunding",
      platformStatus: "3 京东财务审核通过",
    });
  });

  it("before JD finance acts, the approved refund is 1 审核通过 and nothing has moved", async () => {
    sim.faults({ financeDelayMs: 60_000 });
    const id = sim.requestAftersale(refundOnly(1));
    await client.agreeRefund(ref(id), 1790);
    expect(sim.inspect(id)).toMatchObject({ status: "1", refunded: 0 });
    expect(await client.getAftersale(ref(id))).toMatchObject({
      state: "refunding",
      platformStatus: "1 审核通过",
    });
  });

  it("refuse without a note still sends the remark JD requires", async () => {
    const id = sim.requestAftersale(refundOnly(1));
    await client.refuseRefund(ref(id), { reason: null, text: " " });
    expect((await client.getAftersale(ref(id)))?.description).toContain("商家拒绝退款");
  });

  it("refuse: 0 → 2 审核不通过 with the reason as the remark", async () => {
    const id = sim.requestAftersale(refundOnly(1));
    await client.refuseRefund(ref(id), { reason: null, text: "商品已出库" });
    // None of our reasons has a JD type of its own: 5 其他, with our words as the remark.
    expect(sim.inspect(id)).toEqual({
      status: "2",
      calls: ["jingdong.pop.afs.soa.refundapply.replyRefund status=2 rejectType=5 remark=商品已出库"],
      refunded: 0,
    });
    const c = await client.getAftersale(ref(id));
    expect(c).toMatchObject({ state: "refused" });
    expect(c?.description).toContain("商品已出库");
  });

  it("a refusal with one of our reasons goes as rejectType 5 其他 with our text; JD refuses a type it does not have", async () => {
    const id = sim.requestAftersale(refundOnly(1));
    await client.refuseRefund(ref(id), { reason: "signed_for", text: "物流显示已签收：包裹已签收" });
    expect(sim.inspect(id)?.calls).toEqual([
      "jingdong.pop.afs.soa.refundapply.replyRefund status=2 rejectType=5 remark=物流显示已签收：包裹已签收",
    ]);
    sim.placeOrder(order(2));
    const other = sim.requestAftersale(refundOnly(2));
    const method = "jingdong.pop.afs.soa.refundapply.replyRefund";
    const body = await rawCall(
      signedJdParams(creds(), method, {
        id: Number(other.replace(/\D/g, "")),
        status: 2,
        remark: "不同意",
        rejectType: 9,
      }),
    );
    expect(JSON.stringify(body)).toContain("审核不通过原因类型 9 不合法");
    expect(sim.inspect(other)).toMatchObject({ status: "0", calls: [] });
  });

  it("a second decision is refused by JD and reported, and a wrong amount never reaches JD", async () => {
    const id = sim.requestAftersale(refundOnly(1));
    expect((await refusal(client.agreeRefund(ref(id), 100))).code).toBe("AMOUNT_MISMATCH");
    await client.refuseRefund(ref(id), { reason: null, text: "已发货" });
    const err = await refusal(client.refuseRefund(ref(id), { reason: null, text: "again" }));
    expect(err).toMatchObject({ kind: "rejected", code: "JD_REPLY_FAILED" });
    expect(err.message).toContain("不能审核");
    expect(sim.inspect(id)?.calls).toHaveLength(1);
  });

  it("agree return and confirm receipt: a refund before shipment has no return, and nothing is sent", async () => {
    const id = sim.requestAftersale(refundOnly(1));
    const calls = sim.log().length;
    const address = { name: "仓库", phone: "13800000000", address: "北京市亦庄" };
    expect(await refusal(client.agreeReturn(ref(id), address))).toMatchObject({ code: "NO_RETURN" });
    expect(await refusal(client.confirmReceipt(ref(id)))).toMatchObject({ code: "NO_RETURN" });
    expect(sim.log()).toHaveLength(calls);
  });

  it("service orders are read, withdrawn by the buyer, and their decisions are sent to the JD backend, not guessed", async () => {
    sim.placeOrder(
      order(2, { shipment: { carrier: "JD", trackingNo: "JDV2", shippedAt: new Date(T0).toISOString() } }),
    );
    const id = sim.requestAftersale({ ...refundOnly(2), type: "exchange" });
    const sref = { externalId: id, orderExternalId: orderId(2) };
    expect(await client.getAftersale(sref)).toMatchObject({
      type: "exchange",
      state: "requested",
      platformStatus: "10001 待审核",
    });
    const err = await refusal(client.agreeRefund(sref, 1790));
    expect(err.code).toBe("JD_ASC_DECISION_UNSUPPORTED");
    expect(err.message).toContain("京麦");
    expect((await refusal(client.refuseRefund(sref, { reason: null, text: "no" }))).code).toBe(
      "JD_ASC_DECISION_UNSUPPORTED",
    );
    expect((await refusal(client.confirmReceipt(sref))).code).toBe("JD_ASC_DECISION_UNSUPPORTED");
    sim.setNow(T0 + 5 * MIN);
    sim.buyerCancels(id);
    expect(await client.getAftersale(sref)).toMatchObject({ state: "cancelled" });
    expect(sim.inspect(id)).toEqual({ status: "10011", calls: [], refunded: 0 });
    expect(await client.getAftersale({ externalId: "asc:1", orderExternalId: orderId(2) })).toBeNull();
    expect(
      (await rejection(client.getAftersale({ externalId: "42", orderExternalId: orderId(2) }))).code,
    ).toBe("PLATFORM_REF_INVALID");
  });
});
