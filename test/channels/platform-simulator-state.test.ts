import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PlatformSimulator, SimulatorOptions } from "../../src/channels/platforms/platform.ts";
import { PLATFORM_CHANNELS, PLATFORMS, SIMULATORS } from "../../src/channels/platforms/registry.ts";
import { SimulatorStateError } from "../../src/channels/platforms/simulator-kit.ts";
import type { Channel } from "../../src/domain/order.ts";
import { shortIds, simOrder } from "../support/platforms.ts";

/**
 * Every platform simulator on a state file: a restart keeps what the marketplace held — orders,
 * requests, what the merchant decided, the credentials the shop was given — and its ids carry on.
 */

const dir = mkdtempSync(join(tmpdir(), "aftersales-sim-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clock = { now: new Date("2026-11-02T08:00:00Z") };
/** Every platform in the registry: a new one is held to the same. */
const CHANNELS = Object.keys(PLATFORM_CHANNELS) as Channel[];

const start = (channel: Channel, over: SimulatorOptions = {}) =>
  (SIMULATORS[channel] as (o: SimulatorOptions) => Promise<PlatformSimulator>)({
    channel,
    now: () => clock.now,
    ...over,
  });

/** The adapter connected the way a shop is: the simulator's credentials, its address as the gateway. */
function connect(channel: Channel, credentials: Record<string, string>, url: string) {
  const creds = { ...credentials, gateway: credentials.gateway?.replace(/^http:\/\/[^/]+/, url) ?? url };
  return (PLATFORMS[channel] as NonNullable<(typeof PLATFORMS)[Channel]>).connect(creds, {
    baseUrl: creds.gateway,
    now: () => clock.now,
    shop: `${channel}-1`,
  });
}

/** An order not shipped yet, with two lines, and a refund-only request on each line. */
function orderWithTwoRequests(sim: PlatformSimulator) {
  const order = shortIds(simOrder({ shipment: undefined, shippingFee: 0 }));
  sim.placeOrder(order);
  const [a, b] = order.lines as [(typeof order.lines)[number], (typeof order.lines)[number]];
  const ask = (line: typeof a) =>
    sim.requestAftersale({
      orderExternalId: order.externalId,
      type: "refund_only",
      reason: "quality",
      lineId: line.lineId,
      quantity: 1,
      amount: line.paid,
    });
  return { order, first: { id: ask(a), amount: a.paid }, second: ask(b) };
}

const withoutGateway = ({ gateway: _, ...rest }: Record<string, string>) => rest;
const serial = (id: string) => BigInt(/(\d+)$/.exec(id)?.[1] ?? "0");

describe.each(CHANNELS)("the %s simulator on a state file", (channel) => {
  it("comes back with its requests, the merchant's decision and its credentials, and carries on its ids", async () => {
    const file = join(dir, `${channel}.json`);
    const sim = await start(channel, { stateFile: file });
    let made: ReturnType<typeof orderWithTwoRequests>;
    let decided: string | undefined;
    const credentials = { ...sim.credentials };
    try {
      made = orderWithTwoRequests(sim);
      const client = connect(channel, credentials, sim.url);
      const ref = { externalId: made.first.id, orderExternalId: made.order.externalId };
      const seen = await client.getAftersale(ref);
      await client.agreeRefund(
        { ...ref, ...(seen?.version ? { version: seen.version } : {}) },
        made.first.amount,
      );
      decided = (await client.getAftersale(ref))?.state;
      // JD models no withdrawal of a refund-apply: its second request stays awaiting the merchant.
      if (channel !== "jd") sim.buyerCancels(made.second);
    } finally {
      await sim.close();
    }
    const before = [sim.inspect(made.first.id), sim.inspect(made.second)];
    expect(existsSync(`${file}.tmp`)).toBe(false);

    const again = await start(channel, { stateFile: file });
    try {
      expect(again.url).not.toBe(sim.url);
      expect(withoutGateway(again.credentials)).toEqual(withoutGateway(credentials));
      expect([again.inspect(made.first.id), again.inspect(made.second)]).toEqual(before);
      expect(before[0]?.calls.length).toBeGreaterThan(0);
      expect(before[0]?.refunded).toBe(made.first.amount);
      // The shop's stored credentials still work; only the gateway moved to the new port.
      const client = connect(channel, credentials, again.url);
      const ref = { externalId: made.first.id, orderExternalId: made.order.externalId };
      expect((await client.getAftersale(ref))?.state).toBe(decided);
      const next = orderWithTwoRequests(again);
      expect(serial(next.first.id)).toBeGreaterThan(serial(made.second));
      expect(again.inspect(next.first.id)?.calls).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe("a state file the simulator cannot use", () => {
  it("stops the start with an error that names the file, rather than starting empty", async () => {
    const garbled = join(dir, "garbled.json");
    writeFileSync(garbled, '{"platform":"jd","version":1,"sequ');
    await expect(start("jd", { stateFile: garbled })).rejects.toThrow(SimulatorStateError);
    await expect(start("jd", { stateFile: garbled })).rejects.toThrow(/garbled\.json/);
    expect(readFileSync(garbled, "utf8")).toBe('{"platform":"jd","version":1,"sequ');

    const folder = join(dir, "a-folder.json");
    mkdirSync(folder);
    await expect(start("pdd", { stateFile: folder })).rejects.toThrow(/cannot use its state file/);

    const other = join(dir, "not-a-state.json");
    writeFileSync(other, JSON.stringify({ orders: [] }));
    await expect(start("douyin", { stateFile: other })).rejects.toThrow(/not a simulator state file/);
  });

  it("is refused by another platform's simulator", async () => {
    const file = join(dir, "tmall-shop.json");
    await (await start("tmall", { stateFile: file })).close();
    await expect(start("taobao", { stateFile: file })).rejects.toThrow(/holds the tmall simulator's state/);
    await expect(start("shopify", { stateFile: file })).rejects.toThrow(/holds the tmall simulator's state/);
  });
});

describe("the control API every simulator serves", () => {
  it("places orders and requests, withdraws them as the buyer and shows what the merchant did", async () => {
    const sim = await start("pdd");
    try {
      const order = shortIds(simOrder({ shipment: undefined }));
      const post = (path: string, body: unknown = {}) =>
        fetch(`${sim.url}/_sim/${path}`, { method: "POST", body: JSON.stringify(body) });
      expect(await (await post("orders", order)).json()).toEqual({ externalId: order.externalId });
      const created = await post("requests", {
        orderExternalId: order.externalId,
        type: "refund_only",
        reason: "quality",
        lineId: order.lines[0]?.lineId,
        quantity: 1,
        amount: 100,
      });
      expect(created.status).toBe(201);
      const { externalId } = (await created.json()) as { externalId: string };
      expect(await (await fetch(`${sim.url}/_sim/requests/${externalId}`)).json()).toEqual({
        status: "2",
        calls: [],
        refunded: 0,
      });
      expect(await (await post(`requests/${externalId}/cancel`)).json()).toMatchObject({ status: "11" });
      expect((await post(`requests/${externalId}/cancel`)).status).toBe(400);
      expect((await post(`requests/${externalId}/explode`)).status).toBe(404);
      expect((await fetch(`${sim.url}/_sim/requests/404`)).status).toBe(404);
      expect(await (await post("faults", { failNext: 1 })).json()).toMatchObject({ failNext: 1 });
      expect((await post("faults", { explode: 1 })).status).toBe(400);
    } finally {
      await sim.close();
    }
  });

  it("speaks Taobao's own words under /__sim/", async () => {
    const sim = await start("taobao");
    try {
      const order = simOrder();
      const post = (path: string, body: unknown = {}) =>
        fetch(`${sim.url}/__sim/${path}`, { method: "POST", body: JSON.stringify(body) });
      expect(await (await post("orders", order)).json()).toEqual({ tid: order.externalId });
      const { refund_id } = (await (
        await post("refunds", {
          orderExternalId: order.externalId,
          type: "refund_only",
          reason: "quality",
          lineId: order.lines[1]?.lineId,
          quantity: 1,
          amount: 5590,
        })
      ).json()) as { refund_id: string };
      expect(await (await post(`refunds/${refund_id}/intervene`)).json()).toMatchObject({
        status: "WAIT_SELLER_AGREE",
      });
      expect(await (await post(`refunds/${refund_id}/refund`)).json()).toEqual({
        status: "SUCCESS",
        calls: [],
        refunded: 5590,
      });
    } finally {
      await sim.close();
    }
  });
});
