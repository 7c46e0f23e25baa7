import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import {
  type PlatformCase,
  type PlatformClient,
  PlatformRejectedError,
  type SimulatedOrder,
} from "../../src/channels/platforms/platform.ts";
import {
  connectWechatChannels,
  parseWechatPush,
  type WechatChannelsCase,
  wechatChannelsAdapter,
} from "../../src/channels/platforms/wechat-channels/adapter.ts";
import {
  simulatedLineKey,
  startWechatChannelsSimulator,
  type WechatChannelsSimulator,
} from "../../src/channels/platforms/wechat-channels/simulator.ts";

let sim: WechatChannelsSimulator;
let client: PlatformClient;
const ADDRESS = { name: "售后仓", phone: "13800000000", address: "广东省深圳市南山区 1 号" };
const WINDOW = () => ({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });

const order = (id: string, shipped = true): SimulatedOrder => ({
  externalId: id,
  buyerId: "o-buyer",
  currency: "CNY",
  paidAt: "2024-05-01T08:00:00Z",
  shippingFee: 600,
  lines: [
    { lineId: "A", sku: "TEA", title: "茶叶", quantity: 2, unitPrice: 5_000, paid: 9_000 },
    { lineId: "B", sku: "CUP", title: "茶杯", quantity: 1, unitPrice: 3_000, paid: 3_000 },
  ],
  ...(shipped
    ? { shipment: { carrier: "SF", trackingNo: `SF${id}`, shippedAt: "2024-05-02T08:00:00Z" } }
    : {}),
});

beforeEach(async () => {
  sim = await startWechatChannelsSimulator({ pageSize: 2 });
  client = wechatChannelsAdapter.connect(sim.credentials, {
    baseUrl: sim.url,
    timeoutMs: 2_000,
    shop: "wx-shop",
  });
});
afterEach(async () => {
  await sim.close();
});

const request = (orderId: string, type: "refund_only" | "return_refund" | "exchange", amount = 4_500) =>
  sim.requestAftersale({
    orderExternalId: orderId,
    type,
    reason: "quality",
    lineId: "A",
    quantity: 1,
    amount,
  });

describe("WeChat Channels adapter against the simulator", () => {
  it("pulls requests page by page with next_key, fetching each, and reuses one access token", async () => {
    sim.placeOrder(order("3700000000000000001"));
    const ids = [1, 2, 3, 4, 5].map(() => request("3700000000000000001", "return_refund"));
    const cases: PlatformCase[] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const page = await client.pullAftersales(WINDOW(), cursor);
      cases.push(...page.items);
      cursor = page.next;
      cursors.push(cursor);
    } while (cursor);
    expect(cursors).toHaveLength(3);
    expect(cursors.at(-1)).toBeNull();
    expect(cases.map((c) => c.externalId).sort()).toEqual([...ids].sort());
    expect(cases[0]).toMatchObject({
      orderExternalId: "3700000000000000001",
      type: "return_refund",
      reason: "quality",
      reasonText: "质量问题",
      state: "requested",
      platformStatus: "MERCHANT_PROCESSING",
      requestedAmount: 4_500,
      items: [{ lineExternalId: simulatedLineKey("A"), quantity: 1 }],
    });
    expect((cases[0] as WechatChannelsCase).deadline).not.toBeNull();
    expect(sim.tokensIssued()).toBe(1);
  });

  it("finds an order placed later in the very second the previous pull ended in", async () => {
    let t = Date.parse("2026-12-07T08:00:00.300Z");
    const s = await startWechatChannelsSimulator({ now: () => new Date(t) });
    try {
      const c = wechatChannelsAdapter.connect(s.credentials, {
        baseUrl: s.url,
        timeoutMs: 2_000,
        shop: "wx-shop",
      });
      const ended = new Date(t);
      expect((await c.pullOrders({ from: new Date(t - 60_000), to: ended }, null)).items).toEqual([]);
      t += 400; // 08:00:00.700: the platform stamps it 08:00:00, a second the last pull already asked about
      s.placeOrder(order("3700000000000000901"));
      t += 1_000;
      const next = await c.pullOrders({ from: ended, to: new Date(t) }, null);
      expect(next.items.map((o) => o.externalId)).toEqual(["3700000000000000901"]);
    } finally {
      await s.close();
    }
  });

  it("refuses a window longer than the platform's 24 hours before calling", async () => {
    await expect(
      client.pullAftersales({ from: new Date(Date.now() - 25 * 3_600_000), to: new Date() }, null),
    ).rejects.toMatchObject({ code: "BAD_WINDOW" });
    expect(sim.tokensIssued()).toBe(0);
  });

  it("pulls orders by next_key and maps them with the after-sale line keys", async () => {
    for (const n of [1, 2, 3]) sim.placeOrder(order(`370000000000000010${n}`));
    const c = connectWechatChannels(sim.credentials, { baseUrl: sim.url, pageSize: 2, shop: "wx-shop" });
    const first = await c.pullOrders(WINDOW(), null);
    expect(first.items).toHaveLength(2);
    const second = await c.pullOrders(WINDOW(), first.next);
    expect(second.next).toBeNull();
    expect(second.items[0]).toMatchObject({
      shop: "wx-shop",
      externalId: "3700000000000000103",
      currency: "CNY",
      lines: [
        { externalId: simulatedLineKey("A"), sku: "TEA", unitPrice: "50.00", paid: "90.00", quantity: 2 },
        { externalId: simulatedLineKey("B"), sku: "CUP", unitPrice: "30.00", paid: "30.00", quantity: 1 },
      ],
      shippingFee: "6.00",
      payments: [{ tender: "platform", amount: "126.00", transactionId: "42003700000000000000103" }],
      shipments: [{ carrier: "SF", trackingNo: "SF3700000000000000103" }],
    });
    expect(await client.getOrder("nope")).toBeNull();
    expect(await client.getAftersale({ externalId: "1", orderExternalId: "x" })).toBeNull();
  });

  it("an expired access token is replaced once, transparently", async () => {
    sim.placeOrder(order("3700000000000000201"));
    const id = request("3700000000000000201", "refund_only");
    await client.getAftersale({ externalId: id, orderExternalId: "3700000000000000201" });
    sim.expireTokens();
    expect(
      await client.getAftersale({ externalId: id, orderExternalId: "3700000000000000201" }),
    ).toMatchObject({ externalId: id });
    expect(sim.tokensIssued()).toBe(2);
  });

  it("return and refund: acceptapply with the address, the buyer ships, receipt checked, accept_type 2 pays", async () => {
    sim.placeOrder(order("3700000000000000301"));
    const id = request("3700000000000000301", "return_refund");
    const ref = { externalId: id, orderExternalId: "3700000000000000301" };
    await client.agreeReturn(ref, ADDRESS);
    expect(sim.inspect(id)).toEqual({ status: "USER_WAIT_RETURN", calls: ["acceptapply"], refunded: 0 });
    await expect(client.confirmReceipt(ref)).rejects.toMatchObject({ kind: "invalid_state" });
    sim.buyerShipsReturn(id, "ZTO", "ZT100");
    expect(await client.getAftersale(ref)).toMatchObject({
      state: "return_shipped",
      returnTracking: { carrier: "ZTO", trackingNo: "ZT100" },
    });
    await client.confirmReceipt(ref);
    expect(sim.inspect(id)?.calls).toEqual(["acceptapply"]);
    await client.agreeRefund(ref, 4_500);
    expect(sim.inspect(id)).toEqual({
      status: "MERCHANT_RETURN_SUCCESS",
      calls: ["acceptapply", "acceptapply accept_type=2"],
      refunded: 4_500,
    });
    expect((await client.getAftersale(ref))?.state).toBe("refunded");
  });

  it("refund only pays at once; a refusal sends the reject reason type; wrong states are refused unsent", async () => {
    sim.placeOrder(order("3700000000000000401"));
    const paid = request("3700000000000000401", "refund_only", 3_000);
    const refused = request("3700000000000000401", "refund_only", 3_000);
    await client.agreeRefund({ externalId: paid, orderExternalId: "3700000000000000401" }, 3_000);
    expect(sim.inspect(paid)).toEqual({
      status: "MERCHANT_REFUND_SUCCESS",
      calls: ["acceptapply accept_type=2"],
      refunded: 3_000,
    });

    await client.refuseRefund(
      { externalId: refused, orderExternalId: "3700000000000000401" },
      { reason: null, text: "已在约定时间发货且物流运输正常" },
    );
    expect(sim.inspect(refused)).toEqual({
      status: "MERCHANT_REJECT_REFUND",
      calls: ["rejectapply reject_reason_type=1 reject_reason=已在约定时间发货且物流运输正常"],
      refunded: 0,
    });
    // Our reason's type when it has one; otherwise the list's 其他, with our words.
    const duplicate = request("3700000000000000401", "refund_only", 1_000);
    await client.refuseRefund(
      { externalId: duplicate, orderExternalId: "3700000000000000401" },
      { reason: "duplicate", text: "重复申请：已在另一售后单处理" },
    );
    expect(sim.inspect(duplicate)?.calls).toEqual([
      "rejectapply reject_reason_type=6 reject_reason=重复申请：已在另一售后单处理",
    ]);
    const evidence = request("3700000000000000401", "refund_only", 1_000);
    await client.refuseRefund(
      { externalId: evidence, orderExternalId: "3700000000000000401" },
      { reason: "evidence_missing", text: "缺少凭证：请上传破损照片" },
    );
    expect(sim.inspect(evidence)?.calls).toEqual([
      "rejectapply reject_reason_type=99 reject_reason=缺少凭证：请上传破损照片",
    ]);
    // A type the platform's list does not have is refused, and nothing moves.
    const unknown = request("3700000000000000401", "refund_only", 1_000);
    const own = connectWechatChannels({ ...sim.credentials, reject_reason_type: "57" }, { baseUrl: sim.url });
    const bad = await own
      .refuseRefund(
        { externalId: unknown, orderExternalId: "3700000000000000401" },
        { reason: null, text: "不同意" },
      )
      .catch((x: unknown) => x);
    expect(bad).toBeInstanceOf(PlatformRejectedError);
    expect(sim.inspect(unknown)?.status).toBe("MERCHANT_PROCESSING");
    const e = await client
      .agreeReturn({ externalId: paid, orderExternalId: "3700000000000000401" }, ADDRESS)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PlatformRejectedError);
    expect(e).toMatchObject({ kind: "invalid_state", code: "DECISION_NOT_ALLOWED" });
    expect(sim.inspect(paid)?.calls).toHaveLength(1);
  });

  it("agreeing to a return needs an address book id; one named by the decision wins", async () => {
    sim.placeOrder(order("3700000000000000501"));
    const id = request("3700000000000000501", "exchange");
    const noDefault = connectWechatChannels(
      { ...sim.credentials, return_address_id: "" },
      { baseUrl: sim.url },
    );
    await expect(
      noDefault.agreeReturn({ externalId: id, orderExternalId: "x" }, ADDRESS),
    ).rejects.toMatchObject({
      code: "ADDRESS_ID_REQUIRED",
    });
    await noDefault.agreeReturn(
      { externalId: id, orderExternalId: "x" },
      { ...ADDRESS, addressId: "addr-9" },
    );
    expect(sim.inspect(id)?.status).toBe("USER_WAIT_RETURN");
  });

  it("a request changed since it was read is stale; a dispute or a failed platform refund shows", async () => {
    sim.placeOrder(order("3700000000000000601"));
    const id = request("3700000000000000601", "refund_only");
    const seen = await client.getAftersale({ externalId: id, orderExternalId: "x" });
    sim.openComplaint(id);
    await expect(
      client.agreeRefund({ externalId: id, orderExternalId: "x", version: seen?.version as string }, 4_500),
    ).rejects.toMatchObject({ kind: "stale_version" });
    expect(
      (await client.getAftersale({ externalId: id, orderExternalId: "x" })) as WechatChannelsCase,
    ).toMatchObject({
      state: "intervened",
      complaintId: `cp${id}`,
    });
    const other = request("3700000000000000601", "refund_only");
    await client.agreeRefund({ externalId: other, orderExternalId: "x" }, 4_500);
    sim.platformRefundFails(other);
    expect(await client.getAftersale({ externalId: other, orderExternalId: "x" })).toMatchObject({
      state: "refunding",
      platformStatus: "PLATFORM_REFUND_FAIL",
    });
  });

  it("wrong secrets are refused as auth; platform trouble is an unknown outcome", async () => {
    const bad = connectWechatChannels({ ...sim.credentials, secret: "wrong" }, { baseUrl: sim.url });
    await expect(bad.getOrder("1")).rejects.toMatchObject({ kind: "auth" });
    sim.faults({ failNext: 1 });
    await expect(client.getOrder("1")).rejects.toMatchObject({ kind: "http", httpStatus: 500 });
    await client.getOrder("1"); // token in hand
    sim.faults({ busyNext: 1 });
    await expect(client.getOrder("1")).rejects.toBeInstanceOf(ChannelUnavailableError);
    sim.faults({ timeoutNext: 1 });
    await expect(client.getOrder("1")).rejects.toMatchObject({ kind: "network" });
  });

  it("the simulator's pushes (JSON, XML, encrypted) parse with the shop's credentials", async () => {
    const key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    for (const encodingAesKey of [undefined, key]) {
      const s = await startWechatChannelsSimulator(encodingAesKey ? { encodingAesKey } : {});
      try {
        s.placeOrder(order("3700000000000000701"));
        const id = s.requestAftersale({
          orderExternalId: "3700000000000000701",
          type: "refund_only",
          reason: "changed_mind",
          lineId: "B",
          quantity: 1,
          amount: 3_000,
        });
        for (const format of ["json", "xml"] as const) {
          const push = s.pushFor(id, format);
          expect(parseWechatPush(s.credentials, push.headers, push.body)).toMatchObject({
            aftersales: [{ externalId: id, orderExternalId: "3700000000000000701" }],
          });
          expect(() => parseWechatPush({ ...s.credentials, token: "nope" }, push.headers, push.body)).toThrow(
            expect.objectContaining({ code: "WECHAT_SIGNATURE_INVALID" }),
          );
        }
      } finally {
        await s.close();
      }
    }
  });
});
