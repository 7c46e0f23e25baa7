import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import type { PlatformCase, PlatformClient, SimulatedOrder } from "../../src/channels/platforms/platform.ts";
import {
  connectShopify,
  parseShopifyWebhook,
  type ShopifyCase,
  shopifyAdapter,
} from "../../src/channels/platforms/shopify/adapter.ts";
import {
  type ShopifySimulator,
  startShopifySimulator,
} from "../../src/channels/platforms/shopify/simulator.ts";
import { normalizeOrder } from "../../src/domain/order.ts";

let sim: ShopifySimulator;
let client: PlatformClient;
const ADDRESS = { name: "Returns desk", phone: "+1 555 0100", address: "1 Warehouse Way, Reno NV" };
const WINDOW = () => ({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });

const order = (n: number): SimulatedOrder => ({
  externalId: String(5_000 + n),
  buyerId: `buyer-${n}`,
  currency: "USD",
  paidAt: "2024-05-01T08:00:00Z",
  shippingFee: 500,
  lines: [
    {
      lineId: `${7_000 + n * 10 + 1}`,
      sku: "SHIRT-M",
      title: "Shirt",
      quantity: 2,
      unitPrice: 2_500,
      paid: 4_667,
    },
    { lineId: `${7_000 + n * 10 + 2}`, sku: "CAP", title: "Cap", quantity: 1, unitPrice: 1_000, paid: 1_000 },
  ],
  shipment: { carrier: "UPS", trackingNo: `1Z${n}`, shippedAt: "2024-05-02T08:00:00Z" },
});
const ask = (n: number, type: "return_refund" | "exchange" | "refund_only" = "return_refund", quantity = 1) =>
  sim.requestAftersale({
    orderExternalId: String(5_000 + n),
    type,
    reason: "size_fit",
    lineId: `${7_000 + n * 10 + 1}`,
    quantity,
    amount: 0,
  });

beforeEach(async () => {
  sim = await startShopifySimulator({});
  client = shopifyAdapter.connect(sim.credentials, { baseUrl: sim.url, timeoutMs: 2_000, shop: "us-shop" });
});
afterEach(async () => {
  await sim.close();
});

describe("Shopify adapter against the simulator", () => {
  it("pulls returns through orders with cursor pagination (pageInfo.endCursor), none lost or repeated", async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      sim.placeOrder(order(n));
      ids.push(ask(n));
    }
    const c = connectShopify(sim.credentials, { baseUrl: sim.url, pageSize: 2 });
    const cases: PlatformCase[] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const page = await c.pullAftersales(WINDOW(), cursor);
      cases.push(...page.items);
      cursor = page.next;
      cursors.push(cursor);
    } while (cursor);
    expect(cursors).toHaveLength(3);
    expect(cases.map((x) => x.externalId).sort()).toEqual([...ids].sort());
    expect(cases.find((x) => x.externalId === ids[0])).toMatchObject({
      orderExternalId: "gid://shopify/Order/5001",
      type: "return_refund",
      reason: "size_fit",
      state: "requested",
      platformStatus: "REQUESTED",
      currency: "USD",
      // One of two shirts: half of the 46.67 paid for the line, to the cent.
      requestedAmount: 2_334,
      items: [{ lineExternalId: "gid://shopify/LineItem/7011", sku: "SHIRT-M", quantity: 1 }],
      returnName: "#1001-R1",
    });
  });

  it("pulls orders by cursor and maps lines, Shopify's discount allocations, shipping and payments", async () => {
    for (const n of [1, 2, 3]) sim.placeOrder(order(n));
    const c = connectShopify(sim.credentials, { baseUrl: sim.url, pageSize: 2, shop: "us-shop" });
    const first = await c.pullOrders(WINDOW(), null);
    expect(first.items).toHaveLength(2);
    const second = await c.pullOrders(WINDOW(), first.next);
    expect(second.next).toBeNull();
    const o = second.items[0];
    expect(o).toMatchObject({
      shop: "us-shop",
      externalId: "gid://shopify/Order/5003",
      currency: "USD",
      lines: [
        {
          externalId: "gid://shopify/LineItem/7031",
          sku: "SHIRT-M",
          quantity: 2,
          unitPrice: "25.00",
          paid: "46.67",
        },
        {
          externalId: "gid://shopify/LineItem/7032",
          sku: "CAP",
          quantity: 1,
          unitPrice: "10.00",
          paid: "10.00",
        },
      ],
      shippingFee: "5.00",
      payments: [
        {
          tender: "platform",
          amount: "61.67",
          transactionId: expect.stringMatching(/^gid:\/\/shopify\/OrderTransaction\//),
        },
      ],
      shipments: [{ carrier: "UPS", trackingNo: "1Z3", status: "shipped" }],
    });
    expect(normalizeOrder(o as NonNullable<typeof o>).paidTotal).toBe(6_167);
    expect(await client.getOrder("gid://shopify/Order/404")).toBeNull();
    expect(
      await client.getAftersale({ externalId: "gid://shopify/Return/404", orderExternalId: "" }),
    ).toBeNull();
  });

  it("approve, the buyer ships, receipt, then returnProcess refunds and closes the return", async () => {
    sim.placeOrder(order(1));
    const id = ask(1);
    const ref = { externalId: id, orderExternalId: "gid://shopify/Order/5001" };
    await client.agreeReturn(ref, ADDRESS);
    expect(sim.inspect(id)).toEqual({ status: "OPEN", calls: ["returnApproveRequest"], refunded: 0 });
    expect((await client.getAftersale(ref))?.state).toBe("awaiting_return");
    sim.buyerShipsReturn(id, "UPS", "1ZRETURN");
    expect(await client.getAftersale(ref)).toMatchObject({
      state: "return_shipped",
      returnTracking: { carrier: "UPS", trackingNo: "1ZRETURN" },
    });
    await client.confirmReceipt(ref);
    expect(sim.inspect(id)?.calls).toEqual(["returnApproveRequest"]);
    await client.agreeRefund(ref, 2_334);
    expect(sim.inspect(id)).toEqual({
      status: "CLOSED",
      calls: ["returnApproveRequest", "returnProcess refund=23.34"],
      refunded: 2_334,
    });
    const done = (await client.getAftersale(ref)) as ShopifyCase;
    expect(done).toMatchObject({ state: "refunded", platformStatus: "CLOSED" });
    expect(done.refunds).toEqual([
      { id: expect.stringMatching(/^gid:\/\/shopify\/Refund\//), amount: 2_334 },
    ]);
  });

  it("a refund agreed on a requested return approves it first; more than is left to refund is refused untouched", async () => {
    sim.placeOrder(order(2));
    const big = ask(2, "return_refund", 2);
    await expect(client.agreeRefund({ externalId: big, orderExternalId: "" }, 99_999)).rejects.toMatchObject({
      code: "AMOUNT_EXCEEDS_REFUNDABLE",
    });
    expect(sim.inspect(big)).toMatchObject({ status: "OPEN", refunded: 0 });
    await client.agreeRefund({ externalId: big, orderExternalId: "" }, 4_667);
    expect(sim.inspect(big)).toEqual({
      status: "CLOSED",
      calls: ["returnApproveRequest", "returnProcess refund=46.67"],
      refunded: 4_667,
    });
  });

  it("a refusal declines a requested return with a reason; after approval it closes without a refund", async () => {
    sim.placeOrder(order(3));
    const declined = ask(3);
    const closed = ask(3);
    await client.refuseRefund(
      { externalId: declined, orderExternalId: "" },
      { reason: null, text: "The return window expired" },
    );
    expect(sim.inspect(declined)).toEqual({
      status: "DECLINED",
      calls: ["returnDeclineRequest RETURN_PERIOD_ENDED"],
      refunded: 0,
    });
    expect(await client.getAftersale({ externalId: declined, orderExternalId: "" })).toMatchObject({
      state: "refused",
      decline: { reason: "RETURN_PERIOD_ENDED", note: "The return window expired" },
    });
    await client.agreeReturn({ externalId: closed, orderExternalId: "" }, ADDRESS);
    await client.refuseRefund(
      { externalId: closed, orderExternalId: "" },
      { reason: null, text: "Item was used" },
    );
    expect(sim.inspect(closed)).toEqual({
      status: "CLOSED",
      calls: ["returnApproveRequest", "returnClose"],
      refunded: 0,
    });
    expect((await client.getAftersale({ externalId: closed, orderExternalId: "" }))?.state).toBe("completed");
    await expect(
      client.agreeReturn({ externalId: declined, orderExternalId: "" }, ADDRESS),
    ).rejects.toMatchObject({
      kind: "invalid_state",
      code: "INVALID_STATE",
    });
  });

  it("declines with the ReturnDeclineReason of our reason, and with OTHER and our note when there is none", async () => {
    sim.placeOrder(order(8));
    const [finalSale, other] = [ask(8), ask(8)];
    await client.refuseRefund(
      { externalId: finalSale, orderExternalId: "" },
      { reason: "policy_excludes", text: "Custom-engraved mugs cannot be returned" },
    );
    expect(sim.inspect(finalSale)?.calls).toEqual(["returnDeclineRequest FINAL_SALE"]);
    expect(await client.getAftersale({ externalId: finalSale, orderExternalId: "" })).toMatchObject({
      decline: { reason: "FINAL_SALE", note: "Custom-engraved mugs cannot be returned" },
    });
    await client.refuseRefund(
      { externalId: other, orderExternalId: "" },
      { reason: "abuse_suspected", text: "The returned item is not the one we sent" },
    );
    expect(sim.inspect(other)?.calls).toEqual(["returnDeclineRequest OTHER"]);
    expect(await client.getAftersale({ externalId: other, orderExternalId: "" })).toMatchObject({
      decline: { reason: "OTHER", note: "The returned item is not the one we sent" },
    });
  });

  it("an exchange is received by processing it: the replacement is released and the return completes", async () => {
    sim.placeOrder(order(4));
    const id = ask(4, "exchange");
    const ref = { externalId: id, orderExternalId: "" };
    expect((await client.getAftersale(ref))?.type).toBe("exchange");
    await client.agreeReturn(ref, ADDRESS);
    await client.confirmReceipt(ref);
    expect(sim.inspect(id)).toEqual({
      status: "CLOSED",
      calls: ["returnApproveRequest", "returnProcess"],
      refunded: 0,
    });
    expect((await client.getAftersale(ref))?.state).toBe("completed");
  });

  it("throttled calls wait for the cost bucket and succeed; auth and transport failures are typed", async () => {
    sim.placeOrder(order(5));
    sim.faults({ throttleNext: 2 });
    expect(await client.getOrder("5005")).toMatchObject({ externalId: "gid://shopify/Order/5005" });
    expect(sim.operations().filter((o) => o === "AftersalesOrder")).toHaveLength(3);

    const bad = connectShopify({ ...sim.credentials, access_token: "shpat_wrong" }, { baseUrl: sim.url });
    await expect(bad.getOrder("5005")).rejects.toMatchObject({ kind: "auth", code: "HTTP_401" });
    sim.faults({ failNext: 1 });
    await expect(client.getOrder("5005")).rejects.toMatchObject({ kind: "http", httpStatus: 500 });
    sim.faults({ timeoutNext: 1 });
    await expect(client.getOrder("5005")).rejects.toBeInstanceOf(ChannelUnavailableError);
    const impatient = connectShopify(sim.credentials, { baseUrl: sim.url, maxThrottleRetries: 0 });
    sim.faults({ throttleNext: 1 });
    await expect(impatient.getOrder("5005")).rejects.toMatchObject({ kind: "http" });
  });

  it("the simulator's webhooks verify with the shop's client secret and name what changed", async () => {
    sim.placeOrder(order(6));
    const id = ask(6);
    await client.agreeRefund({ externalId: id, orderExternalId: "" }, 1_000);
    const returnHook = sim.pushFor(id, "returns/approve");
    expect(parseShopifyWebhook(sim.credentials, returnHook.headers, returnHook.body)).toMatchObject({
      aftersales: [{ externalId: id, orderExternalId: "gid://shopify/Order/5006" }],
      orders: [],
    });
    const refundHook = sim.pushFor(id, "refunds/create");
    expect(parseShopifyWebhook(sim.credentials, refundHook.headers, refundHook.body)).toMatchObject({
      aftersales: [{ externalId: id }],
      orders: ["gid://shopify/Order/5006"],
    });
    expect(() =>
      parseShopifyWebhook(
        { ...sim.credentials, client_secret: "other" },
        refundHook.headers,
        refundHook.body,
      ),
    ).toThrow(expect.objectContaining({ code: "SHOPIFY_SIGNATURE_INVALID" }));
  });
});
