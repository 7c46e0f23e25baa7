import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import {
  connectDouyin,
  type DouyinCase,
  douyinAdapter,
} from "../../src/channels/platforms/douyin/adapter.ts";
import { PATHS, signedRequest } from "../../src/channels/platforms/douyin/protocol.ts";
import { type DouyinSimulator, startDouyinSimulator } from "../../src/channels/platforms/douyin/simulator.ts";
import {
  type PlatformCase,
  type PlatformClient,
  PlatformRejectedError,
  type SimulatedOrder,
} from "../../src/channels/platforms/platform.ts";

let sim: DouyinSimulator;
let client: PlatformClient;

const ADDRESS = { name: "售后仓", phone: "0571-88880000", address: "浙江省杭州市余杭区仓前街道 1 号" };
const WINDOW = () => ({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });

const order = (id: string, shipped = true): SimulatedOrder => ({
  externalId: id,
  buyerId: "dy-buyer",
  currency: "CNY",
  paidAt: "2024-05-01T08:00:00Z",
  shippingFee: 800,
  lines: [
    { lineId: `${id}1`, sku: "TEE", title: "T 恤", quantity: 2, unitPrice: 9_990, paid: 17_990 },
    { lineId: `${id}2`, sku: "CAP", title: "帽子", quantity: 1, unitPrice: 7_990, paid: 7_090 },
  ],
  ...(shipped
    ? { shipment: { carrier: "顺丰速运", trackingNo: `SF${id}`, shippedAt: "2024-05-02T08:00:00Z" } }
    : {}),
});

beforeEach(async () => {
  sim = await startDouyinSimulator({});
  client = douyinAdapter.connect(sim.credentials, { baseUrl: sim.url, timeoutMs: 2_000, shop: "dy-shop" });
});
afterEach(async () => {
  await sim.close();
});

/** The code the simulator's rejectReasonCodeList gives this request, as it stands now, for these words. */
function listedAs(id: string, text: string): string {
  const found = sim.rejectReasons(id).find((r) => r.text === text);
  if (!found) throw new Error(`after-sale ${id} is not offered "${text}"`);
  // Codes the platform hands out, not small sequential numbers.
  expect(found.id).toMatch(/^\d{6,}$/);
  return found.id;
}

/** A shipped refund-only request on an order placed before (the order's first line). */
const ask = (s: DouyinSimulator, orderId = "6920000000000000410") =>
  s.requestAftersale({
    orderExternalId: orderId,
    type: "refund_only",
    reason: "changed_mind",
    lineId: `${orderId}1`,
    quantity: 1,
    amount: 1_000,
  });

const rejection = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PlatformRejectedError);
  return e as PlatformRejectedError;
};

async function pullAll(pageSize: number): Promise<{ cases: PlatformCase[]; cursors: (string | null)[] }> {
  const c = connectDouyin(sim.credentials, { baseUrl: sim.url, pageSize });
  const cases: PlatformCase[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    const page = await c.pullAftersales(WINDOW(), cursor);
    cases.push(...page.items);
    cursor = page.next;
    cursors.push(cursor);
  } while (cursor !== null);
  return { cases, cursors };
}

describe("Douyin adapter against the simulator", () => {
  it("pulls after-sale requests page by page (page/size, has_more) without losing or repeating any", async () => {
    sim.placeOrder(order("6920000000000000100"));
    const ids = Array.from({ length: 5 }, () =>
      sim.requestAftersale({
        orderExternalId: "6920000000000000100",
        type: "return_refund",
        reason: "quality",
        lineId: "69200000000000001001",
        quantity: 1,
        amount: 8_995,
      }),
    );
    const { cases, cursors } = await pullAll(2);
    expect(cursors).toEqual(["1", "2", null]);
    expect(cases.map((c) => c.externalId).sort()).toEqual([...ids].sort());
    expect(cases[0]).toMatchObject({
      orderExternalId: "6920000000000000100",
      type: "return_refund",
      reason: "quality",
      reasonText: "质量问题",
      state: "requested",
      platformStatus: "6",
      requestedAmount: 8_995,
      currency: "CNY",
      items: [{ lineExternalId: "69200000000000001001", sku: "TEE", quantity: 1 }],
    });
    expect((cases[0] as DouyinCase).deadline).not.toBeNull();
    const empty = await client.pullAftersales(
      { from: new Date(Date.now() - 7_200_000), to: new Date(Date.now() - 3_600_000) },
      null,
    );
    expect(empty).toEqual({ items: [], next: null });
  });

  it("pulls orders by page and reads one order and one request (int64 ids exact)", async () => {
    for (const n of [1, 2, 3]) sim.placeOrder(order(`692000000000000020${n}`));
    const c = connectDouyin(sim.credentials, { baseUrl: sim.url, pageSize: 2, shop: "dy-shop" });
    const first = await c.pullOrders(WINDOW(), null);
    expect(first.items).toHaveLength(2);
    expect(first.next).toBe("1");
    const second = await c.pullOrders(WINDOW(), first.next);
    expect(second).toMatchObject({ next: null });
    expect([...first.items, ...second.items].map((o) => o.externalId)).toEqual([
      "6920000000000000201",
      "6920000000000000202",
      "6920000000000000203",
    ]);
    const o = await client.getOrder("6920000000000000201");
    expect(o).toMatchObject({
      shop: "dy-shop",
      shippingFee: "8.00",
      lines: [
        { externalId: "69200000000000002011", unitPrice: "99.90", paid: "179.90" },
        { externalId: "69200000000000002012", unitPrice: "79.90", paid: "70.90" },
      ],
      payments: [{ tender: "platform", amount: "258.80" }],
    });
    expect(await client.getOrder("6920000000000009999")).toBeNull();

    const id = sim.requestAftersale({
      orderExternalId: "6920000000000000201",
      type: "refund_only",
      reason: "not_received",
      lineId: "69200000000000002012",
      quantity: 1,
      amount: 7_090,
    });
    expect(id).toMatch(/^7\d{18}$/);
    const got = await client.getAftersale({ externalId: id, orderExternalId: "6920000000000000201" });
    expect(got).toMatchObject({
      externalId: id,
      orderExternalId: "6920000000000000201",
      type: "refund_only",
      reason: "not_received",
      state: "requested",
      requestedAmount: 7_090,
      items: [{ lineExternalId: "69200000000000002012", quantity: 1 }],
    });
    expect(await client.getAftersale({ externalId: "7999999999999999999", orderExternalId: "x" })).toBeNull();
  });

  it("return and refund: 101 agrees, the buyer ships, receipt is checked, 111 refunds — all seen by the platform", async () => {
    sim.placeOrder(order("6920000000000000300"));
    const id = sim.requestAftersale({
      orderExternalId: "6920000000000000300",
      type: "return_refund",
      reason: "size_fit",
      lineId: "69200000000000003001",
      quantity: 1,
      amount: 8_995,
    });
    const ref = { externalId: id, orderExternalId: "6920000000000000300" };
    await expect(client.confirmReceipt(ref)).rejects.toMatchObject({
      kind: "invalid_state",
      code: "NOT_RETURNED",
    });
    await client.agreeReturn(ref, ADDRESS);
    expect(sim.inspect(id)).toEqual({ status: "7", calls: ["afterSale/operate type=101"], refunded: 0 });
    expect((await client.getAftersale(ref))?.state).toBe("awaiting_return");

    sim.buyerShipsReturn(id, "圆通速递", "YT100");
    const shipped = await client.getAftersale(ref);
    expect(shipped).toMatchObject({
      state: "return_shipped",
      returnTracking: { carrier: "圆通速递", trackingNo: "YT100" },
    });
    await client.confirmReceipt(ref);
    expect(sim.inspect(id)?.calls).toEqual(["afterSale/operate type=101"]);

    await client.agreeRefund(ref, 8_995);
    expect(sim.inspect(id)).toEqual({
      status: "12",
      calls: ["afterSale/operate type=101", "afterSale/operate type=111"],
      refunded: 8_995,
    });
    expect((await client.getAftersale(ref))?.state).toBe("refunded");
  });

  it("refund only: 201 after shipping, 401 before; a refusal sends 202 with the reason code", async () => {
    sim.placeOrder(order("6920000000000000400"));
    sim.placeOrder(order("6920000000000000401", false));
    const shipped = sim.requestAftersale({
      orderExternalId: "6920000000000000400",
      type: "refund_only",
      reason: "damaged",
      lineId: "69200000000000004002",
      quantity: 1,
      amount: 3_000,
    });
    const unshipped = sim.requestAftersale({
      orderExternalId: "6920000000000000401",
      type: "refund_only",
      reason: "changed_mind",
      lineId: "69200000000000004011",
      quantity: 2,
      amount: 17_990,
    });
    const refused = sim.requestAftersale({
      orderExternalId: "6920000000000000400",
      type: "refund_only",
      reason: "changed_mind",
      lineId: "69200000000000004001",
      quantity: 1,
      amount: 8_995,
    });
    const other = listedAs(refused, "其他");
    await client.agreeRefund({ externalId: shipped, orderExternalId: "6920000000000000400" }, 3_000);
    await client.agreeRefund({ externalId: unshipped, orderExternalId: "6920000000000000401" }, 17_990);
    await client.refuseRefund(
      { externalId: refused, orderExternalId: "6920000000000000400" },
      { reason: null, text: "商品已签收且无质量问题" },
    );
    expect(sim.inspect(shipped)).toEqual({
      status: "12",
      calls: ["afterSale/operate type=201"],
      refunded: 3_000,
    });
    expect(sim.inspect(unshipped)).toEqual({
      status: "12",
      calls: ["afterSale/operate type=401"],
      refunded: 17_990,
    });
    // No reason of ours named: the 其他 this request's list gave, with our words as reason and remark.
    expect(sim.inspect(refused)).toEqual({
      status: "27",
      calls: [`afterSale/operate type=202 reject_reason_code=${other} reason=商品已签收且无质量问题`],
      refunded: 0,
    });
  });

  it("a refusal sends the code this request's list gives for our reason, else its 其他", async () => {
    sim.placeOrder(order("6920000000000000410"));
    const ref = (externalId: string) => ({ externalId, orderExternalId: "6920000000000000410" });
    const cases = [
      ["outside_window", "超出售后期限：签收已超过 7 天", "买家申请已超出售后时效"],
      ["policy_excludes", "该商品不支持此售后", "商品属于定制类，不支持七天无理由退货"],
      ["evidence_missing", "缺少凭证", "买家未提供有效凭证"],
      ["signed_for", "物流显示已签收", "物流显示买家已签收"],
      ["duplicate", "重复申请", "买家重复申请售后"],
      [null, "不同意", "其他"],
    ] as const;
    for (const [reason, text, listed] of cases) {
      const id = ask(sim);
      const code = listedAs(id, listed);
      await client.refuseRefund(ref(id), { reason, text });
      expect(sim.inspect(id)?.calls).toEqual([
        `afterSale/operate type=202 reject_reason_code=${code} reason=${text}`,
      ]);
    }
    // The shop's preferred "other" code goes when this request's list has it; one it lacks is ignored.
    const agreed = ask(sim);
    const preferred = listedAs(agreed, "已与买家协商一致");
    const own = douyinAdapter.connect(
      { ...sim.credentials, reject_reason_code: preferred },
      { baseUrl: sim.url },
    );
    await own.refuseRefund(ref(agreed), { reason: null, text: "已协商一致" });
    expect(sim.inspect(agreed)?.calls.at(-1)).toContain(`reject_reason_code=${preferred} `);
    const stray = ask(sim);
    const other = listedAs(stray, "其他");
    const unknown = douyinAdapter.connect(
      { ...sim.credentials, reject_reason_code: "42" },
      { baseUrl: sim.url },
    );
    await unknown.refuseRefund(ref(stray), { reason: null, text: "不同意" });
    expect(sim.inspect(stray)?.calls.at(-1)).toContain(`reject_reason_code=${other} `);
  });

  it("a reason that needs evidence is not sent without it; the platform refuses unlisted codes", async () => {
    sim.placeOrder(order("6920000000000000420"));
    const ref = { externalId: "", orderExternalId: "6920000000000000420" };
    const returned = () => {
      const id = sim.requestAftersale({
        orderExternalId: "6920000000000000420",
        type: "return_refund",
        reason: "changed_mind",
        lineId: "69200000000000004201",
        quantity: 1,
        amount: 1_000,
      });
      return id;
    };
    const id = returned();
    await client.agreeReturn({ ...ref, externalId: id }, ADDRESS);
    sim.buyerShipsReturn(id, "中通快递", "ZTO420");
    // 退回商品影响二次销售 names abuse_suspected but asks for photos we do not hold: 其他 goes instead.
    const resale = sim.rejectReasons(id).find((r) => r.text === "退回商品影响二次销售");
    expect(resale?.evidenceNeeded).toBe(true);
    const other = listedAs(id, "其他");
    await client.refuseRefund(
      { ...ref, externalId: id },
      { reason: "abuse_suspected", text: "影响二次销售" },
    );
    expect(sim.inspect(id)?.calls.at(-1)).toBe(
      `afterSale/operate type=112 reject_reason_code=${other} reason=影响二次销售`,
    );
    // Sent by hand: a code not on the list (one it gives other requests, or none at all), or an
    // evidence-needing one without evidence, is refused and nothing moves.
    const next = returned();
    await client.agreeReturn({ ...ref, externalId: next }, ADDRESS);
    sim.buyerShipsReturn(next, "中通快递", "ZTO421");
    const current = await client.getAftersale({ ...ref, externalId: next });
    const operate = async (code: number) => {
      const cfg = {
        appKey: sim.credentials.app_key as string,
        appSecret: sim.credentials.app_secret as string,
        accessToken: sim.credentials.access_token as string,
      };
      const item = {
        aftersale_id: next,
        update_time: Number(current?.version),
        reason: "不同意",
        remark: "不同意",
        reject_reason_code: code,
      };
      const { query, body } = signedRequest(cfg, PATHS.aftersaleOperate, { type: 112, items: [item] });
      const res = await fetch(`${sim.url}${PATHS.aftersaleOperate}?${query}`, { method: "POST", body });
      return ((await res.json()) as { data: { items: { status_code: number; status_msg: string }[] } }).data
        .items[0];
    };
    const outsideWindow = Number(
      sim.rejectReasons(ask(sim, "6920000000000000420")).find((r) => r.text.includes("售后时效"))?.id,
    );
    expect(await operate(42)).toMatchObject({ status_code: 1005 });
    expect(await operate(outsideWindow)).toMatchObject({ status_code: 1005 });
    expect(await operate(Number(resale?.id))).toMatchObject({ status_code: 1007 });
    expect(sim.inspect(next)?.status).toBe("11");
  });

  it("a listing that fails refuses nothing: the outcome is unknown, to ask again", async () => {
    sim.placeOrder(order("6920000000000000430"));
    const id = ask(sim, "6920000000000000430");
    const ref = { externalId: id, orderExternalId: "6920000000000000430" };
    for (const fault of [{ failNext: 1 }, { unavailableNext: 1 }, { timeoutNext: 1 }]) {
      sim.faults(fault);
      await expect(
        client.refuseRefund(ref, { reason: "outside_window", text: "超出售后期限" }),
      ).rejects.toBeInstanceOf(ChannelUnavailableError);
      expect(sim.inspect(id)).toMatchObject({ status: "6", calls: [] });
    }
    await client.refuseRefund(ref, { reason: "outside_window", text: "超出售后期限" });
    expect(sim.inspect(id)?.status).toBe("27");
  });

  it("decisions the platform does not have in that state are refused before anything is sent", async () => {
    sim.placeOrder(order("6920000000000000500", false));
    const id = sim.requestAftersale({
      orderExternalId: "6920000000000000500",
      type: "refund_only",
      reason: "changed_mind",
      lineId: "69200000000000005001",
      quantity: 1,
      amount: 8_995,
    });
    const ref = { externalId: id, orderExternalId: "6920000000000000500" };
    const e = await rejection(client.refuseRefund(ref, { reason: null, text: "不同意" }));
    expect(e).toMatchObject({ kind: "invalid_state", code: "OPERATE_NOT_ALLOWED" });
    expect(e.message).toContain("refused by shipping the order");
    await expect(client.agreeReturn(ref, ADDRESS)).rejects.toMatchObject({ kind: "invalid_state" });
    expect(sim.inspect(id)).toEqual({ status: "6", calls: [], refunded: 0 });
  });

  it("refunds only what the buyer asked: another amount is refused and nothing moves", async () => {
    sim.placeOrder(order("6920000000000000600"));
    const id = sim.requestAftersale({
      orderExternalId: "6920000000000000600",
      type: "refund_only",
      reason: "damaged",
      lineId: "69200000000000006002",
      quantity: 1,
      amount: 3_000,
    });
    const e = await rejection(
      client.agreeRefund({ externalId: id, orderExternalId: "6920000000000000600" }, 2_000),
    );
    expect(e).toMatchObject({ kind: "rejected", code: "AMOUNT_MISMATCH" });
    expect(e.message).toContain("30.00");
    expect(sim.inspect(id)).toEqual({ status: "6", calls: [], refunded: 0 });
  });

  it("a decision against a stale copy of the request is refused as stale_version", async () => {
    sim.placeOrder(order("6920000000000000700"));
    const id = sim.requestAftersale({
      orderExternalId: "6920000000000000700",
      type: "refund_only",
      reason: "damaged",
      lineId: "69200000000000007002",
      quantity: 1,
      amount: 3_000,
    });
    const seen = await client.getAftersale({ externalId: id, orderExternalId: "6920000000000000700" });
    const e = await rejection(
      client.agreeRefund(
        {
          externalId: id,
          orderExternalId: "6920000000000000700",
          version: String(Number(seen?.version) - 5),
        },
        3_000,
      ),
    );
    expect(e.kind).toBe("stale_version");
    expect(sim.inspect(id)).toMatchObject({ status: "6", refunded: 0 });
  });

  it("the platform's own refunds (极速退) are surfaced, not taken for the merchant's", async () => {
    sim.placeOrder(order("6920000000000000800"));
    const id = sim.requestAftersale({
      orderExternalId: "6920000000000000800",
      type: "refund_only",
      reason: "not_received",
      lineId: "69200000000000008002",
      quantity: 1,
      amount: 7_090,
    });
    sim.platformAutoRefund(id, { refundType: 3, autoAuditBits: [3] });
    const [c] = (await client.pullAftersales(WINDOW(), null)).items as DouyinCase[];
    expect(c).toMatchObject({
      externalId: id,
      state: "refunded",
      platformAuto: {
        refundType: { code: 3, label: "售后急速退" },
        autoAudit: [{ code: 3, label: "发货后极速退" }],
      },
    });
    await expect(
      client.agreeRefund({ externalId: id, orderExternalId: "6920000000000000800" }, 7_090),
    ).rejects.toMatchObject({
      kind: "invalid_state",
    });
  });

  it("arbitration puts an open request in the platform's hands", async () => {
    sim.placeOrder(order("6920000000000000900"));
    const id = sim.requestAftersale({
      orderExternalId: "6920000000000000900",
      type: "refund_only",
      reason: "quality",
      lineId: "69200000000000009001",
      quantity: 1,
      amount: 8_995,
    });
    sim.arbitrate(id, 1);
    expect(
      (await client.getAftersale({ externalId: id, orderExternalId: "6920000000000000900" }))?.state,
    ).toBe("intervened");
  });

  it("wrong credentials are refused as auth; transport trouble is an unknown outcome", async () => {
    const bad = douyinAdapter.connect({ ...sim.credentials, app_secret: "wrong" }, { baseUrl: sim.url });
    expect(await rejection(bad.pullAftersales(WINDOW(), null))).toMatchObject({
      kind: "auth",
      code: "isv.sign-invalid",
    });
    const badToken = douyinAdapter.connect(
      { ...sim.credentials, access_token: "expired" },
      { baseUrl: sim.url },
    );
    expect(await rejection(badToken.getOrder("1"))).toMatchObject({ kind: "auth" });

    sim.faults({ failNext: 1 });
    await expect(client.pullOrders(WINDOW(), null)).rejects.toMatchObject({ kind: "http", httpStatus: 500 });
    sim.faults({ unavailableNext: 1 });
    await expect(client.pullOrders(WINDOW(), null)).rejects.toBeInstanceOf(ChannelUnavailableError);
    sim.faults({ timeoutNext: 1 });
    await expect(client.pullOrders(WINDOW(), null)).rejects.toMatchObject({ kind: "network" });
    sim.faults({ delayMs: 300 });
    const slow = douyinAdapter.connect(sim.credentials, { baseUrl: sim.url, timeoutMs: 50 });
    await expect(slow.pullOrders(WINDOW(), null)).rejects.toMatchObject({ kind: "timeout" });
  });

  it("the simulator's signed pushes parse with the shop's credentials; a forged one is refused", async () => {
    sim.placeOrder(order("6920000000000001000"));
    const id = sim.requestAftersale({
      orderExternalId: "6920000000000001000",
      type: "return_refund",
      reason: "wrong_item",
      lineId: "69200000000000010001",
      quantity: 1,
      amount: 8_995,
    });
    const { headers, body } = sim.pushFor(id);
    expect(douyinAdapter.parsePush?.(sim.credentials, headers, body)).toMatchObject({
      aftersales: [{ externalId: id, orderExternalId: "6920000000000001000" }],
      orders: [],
    });
    expect(() => douyinAdapter.parsePush?.({ ...sim.credentials, app_secret: "x" }, headers, body)).toThrow(
      expect.objectContaining({ code: "DOUYIN_SIGNATURE_INVALID" }),
    );
  });
});
