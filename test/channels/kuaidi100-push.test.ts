import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logisticsCallbackRoutes } from "../../src/api/routes/logistics-callbacks.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { kuaidi100Tracking } from "../../src/channels/logistics/kuaidi100/adapter.ts";
import { pushSign } from "../../src/channels/logistics/kuaidi100/protocol.ts";
import {
  type Kuaidi100Simulator,
  startKuaidi100Simulator,
} from "../../src/channels/logistics/kuaidi100/simulator.ts";
import type { TrackingProvider } from "../../src/channels/logistics/tracking.ts";
import { recordTracking } from "../../src/flows/record-tracking.ts";
import { queryTracking, resubscribeDue, subscribeTracking } from "../../src/flows/track-parcel.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { placeOrder, snapshot } from "../support/fixtures.ts";

/**
 * The simulated Kuaidi100 pushes to the real callback route of a listening server: signatures are
 * checked on the wire, scans land in the database through record-tracking, and faults (duplicate,
 * out-of-order, tampered, unsigned pushes) change nothing they should not.
 */

const KEY = "k100-key";
const CUSTOMER = "K100CUSTOMER";
const SALT = "k100-salt-0123456789abcdef";

let env: TestEnv;
let app: App;
let sim: Kuaidi100Simulator;
let k100: TrackingProvider;
let base = "";
let n = 0;

beforeAll(async () => {
  env = await testEnv();
  sim = await startKuaidi100Simulator({ key: KEY, customer: CUSTOMER, now: () => env.clock.now });
  k100 = kuaidi100Tracking({
    baseUrl: sim.url,
    key: KEY,
    customer: CUSTOMER,
    salt: SALT,
    callbackUrl: () => `${base}/api/v1/callbacks/logistics/kuaidi100`,
    timeoutMs: 5_000,
  });
  env.ctx.logistics = { tracking: k100 };
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
  // Until src/api/server.ts registers it, register the route the way it will be.
  if (!app.hasRoute({ method: "POST", url: "/api/v1/callbacks/logistics/:provider" }))
    await app.register(logisticsCallbackRoutes, { ctx: env.ctx, prefix: "/api/v1" });
  await app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim?.close();
  await app?.close();
  await env?.close();
});

/** An order whose parcel has just left with ZTO, subscribed at Kuaidi100. */
async function shippedParcel(subscribe = true) {
  const trackingNo = `ZT${Date.now()}${++n}`;
  const { orderId } = await placeOrder(env.ctx, {
    shipments: [{ carrier: "ZTO", trackingNo, status: "shipped", shippedAt: "2026-10-31T10:00:00Z" }],
  });
  if (subscribe) await subscribeTracking(env.ctx, "ZTO", trackingNo);
  return { orderId, trackingNo };
}

const parcel = (trackingNo: string) =>
  env.ctx.db
    .selectFrom("shipments")
    .select(["status", "signed_at"])
    .where("tracking_no", "=", trackingNo)
    .executeTakeFirstOrThrow();
const scans = (trackingNo: string) =>
  env.ctx.db
    .selectFrom("tracking_events")
    .select(["status", "description", "location"])
    .where("tracking_no", "=", trackingNo)
    .orderBy("at")
    .orderBy("id")
    .execute();
const subscription = (trackingNo: string) =>
  env.ctx.db
    .selectFrom("tracking_subscriptions")
    .selectAll()
    .where("tracking_no", "=", trackingNo)
    .executeTakeFirstOrThrow();
const count = async (table: "tracking_events" | "channel_notifications" | "tracking_subscriptions") =>
  Number(
    (
      await env.ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const tick = () => env.clock.advance(60_000);

describe("Kuaidi100 pushes through the callback route", () => {
  it("subscribes a parcel and follows its pushes until it is signed for", async () => {
    const { trackingNo } = await shippedParcel();
    expect(await subscription(trackingNo)).toMatchObject({
      provider: "kuaidi100",
      carrier: "ZTO",
      provider_carrier: "zhongtong",
      status: "subscribed",
    });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      tick();
      const pushes = await sim.advance("zhongtong", trackingNo);
      expect(pushes).toHaveLength(1);
      expect(pushes[0]).toMatchObject({ kind: "normal", httpStatus: 200 });
      expect(JSON.parse(pushes[0]?.answer ?? "{}")).toEqual({
        result: true,
        returnCode: "200",
        message: "成功",
      });
      seen.push((await parcel(trackingNo)).status);
    }
    expect(seen).toEqual(["shipped", "in_transit", "in_transit", "in_transit"]);
    tick();
    await sim.sign("zhongtong", trackingNo);
    const signed = await parcel(trackingNo);
    expect(signed.status).toBe("delivered");
    expect(signed.signed_at?.toISOString()).toBe(env.clock.now.toISOString().replace(/\.\d+Z$/, ".000Z"));
    const recorded = await scans(trackingNo);
    expect(recorded.map((s) => s.status)).toEqual([
      "shipped",
      "in_transit",
      "in_transit",
      "in_transit",
      "delivered",
    ]);
    expect(recorded[0]).toMatchObject({
      description: "【深圳市】快件已揽收",
      location: "广东,深圳市,南山区",
    });
    // Kuaidi100 ends the subscription once the parcel is signed for.
    expect(await subscription(trackingNo)).toMatchObject({ status: "shutdown" });
  });

  it("takes a duplicated push once: the repeat is acknowledged and adds nothing", async () => {
    const { trackingNo } = await shippedParcel();
    tick();
    await sim.advance("zhongtong", trackingNo);
    const before = { events: await count("tracking_events"), pushes: await count("channel_notifications") };
    sim.faults({ duplicateNext: 1 });
    tick();
    const pushes = await sim.advance("zhongtong", trackingNo);
    expect(pushes.map((p) => [p.kind, p.httpStatus])).toEqual([
      ["normal", 200],
      ["duplicate", 200],
    ]);
    expect(await count("tracking_events")).toBe(before.events + 1);
    expect(await count("channel_notifications")).toBe(before.pushes + 1);
    expect((await scans(trackingNo)).map((s) => s.status)).toEqual(["shipped", "in_transit"]);
  });

  it("never moves a parcel back when an older push arrives after a newer one", async () => {
    const { trackingNo } = await shippedParcel();
    tick();
    await sim.advance("zhongtong", trackingNo); // 已揽收
    // The push of the trunk scan is delayed on the way and arrives after the next one.
    sim.faults({ outOfOrderNext: 1 });
    tick();
    expect(await sim.advance("zhongtong", trackingNo)).toEqual([]);
    tick();
    await sim.advance("zhongtong", trackingNo); // 到达派件城市, then the stale 干线 push
    tick();
    const late = await sim.sign("zhongtong", trackingNo);
    expect(late.map((p) => p.kind)).toEqual(["normal"]);
    // Now the stale one lands after the signature: a push older than everything we have.
    sim.faults({ outOfOrderNext: 1 });
    tick();
    await sim.scan("zhongtong", trackingNo, { statusCode: "3", context: "【上海市】签收回单已上传" });
    const pushes = sim.pushes().filter((p) => p.nu === trackingNo);
    expect(pushes.map((p) => p.kind)).toEqual(["normal", "normal", "stale", "normal"]);
    expect(pushes.every((p) => p.httpStatus === 200)).toBe(true);
    expect((await parcel(trackingNo)).status).toBe("delivered");
    expect((await scans(trackingNo)).map((s) => s.status)).toEqual([
      "shipped",
      "in_transit",
      "in_transit",
      "delivered",
    ]);
    // The held push is delivered after the next one: still nothing moves back, nothing doubles.
    tick();
    await sim.push("zhongtong", trackingNo);
    expect(
      sim
        .pushes()
        .filter((p) => p.nu === trackingNo)
        .map((p) => p.kind),
    ).toEqual(["normal", "normal", "stale", "normal", "normal", "stale"]);
    expect((await parcel(trackingNo)).status).toBe("delivered");
    expect(await scans(trackingNo)).toHaveLength(5);
  });

  it("keeps a parcel the channel reported signed for signed when an older journey arrives late", async () => {
    const trackingNo = `ZT-SIGNED-${++n}`;
    await placeOrder(env.ctx, {
      shipments: [
        {
          carrier: "ZTO",
          trackingNo,
          status: "delivered",
          shippedAt: "2026-10-28T10:00:00Z",
          signedAt: "2026-10-30T10:00:00Z",
        },
      ],
    });
    const r = await recordTracking(env.ctx, {
      carrier: "ZTO",
      trackingNo,
      events: [
        { at: "2026-10-28T12:00:00Z", status: "shipped", description: "已揽收" },
        { at: "2026-10-29T12:00:00Z", status: "in_transit", description: "干线" },
      ],
    });
    expect(r.added).toBe(2);
    expect((await parcel(trackingNo)).status).toBe("delivered");
    // A scan after the signature does move it (a refusal, a return).
    await recordTracking(env.ctx, {
      carrier: "ZTO",
      trackingNo,
      events: [{ at: "2026-10-31T09:00:00Z", status: "exception", description: "拒收" }],
    });
    expect((await parcel(trackingNo)).status).toBe("exception");
  });

  it("refuses tampered and unsigned pushes with a clear code, changing nothing", async () => {
    const { trackingNo } = await shippedParcel();
    tick();
    await sim.advance("zhongtong", trackingNo);
    const before = {
      tables: await snapshot(env.ctx),
      events: await count("tracking_events"),
      pushes: await count("channel_notifications"),
      subscription: await subscription(trackingNo),
    };
    sim.faults({ tamperNext: 1 });
    tick();
    const [tampered] = await sim.advance("zhongtong", trackingNo);
    expect(tampered).toMatchObject({ kind: "tampered", httpStatus: 401 });
    expect(JSON.parse(tampered?.answer ?? "{}")).toMatchObject({ code: "SIGNATURE_INVALID", status: 401 });
    sim.faults({ unsignedNext: 1 });
    tick();
    const [unsigned] = await sim.advance("zhongtong", trackingNo);
    expect(unsigned).toMatchObject({ kind: "unsigned", httpStatus: 401 });
    expect(JSON.parse(unsigned?.answer ?? "{}")).toMatchObject({ code: "SIGNATURE_MISSING" });

    // By hand: a forged signature, a foreign salt, a JSON body, no body at all.
    const param = JSON.parse(tampered?.param ?? "{}");
    param.lastResult.state = "3";
    const forged = JSON.stringify(param);
    const post = (payload: string, contentType = "application/x-www-form-urlencoded") =>
      app.inject({
        method: "POST",
        url: "/api/v1/callbacks/logistics/kuaidi100",
        headers: { "content-type": contentType },
        payload,
      });
    const codeOf = async (payload: string, contentType?: string) => {
      const res = await post(payload, contentType);
      expect(res.headers["content-type"]).toMatch(/problem\+json/);
      return [res.statusCode, res.json().code];
    };
    expect(
      await codeOf(new URLSearchParams({ param: forged, sign: pushSign(forged, "wrong") }).toString()),
    ).toEqual([401, "SIGNATURE_INVALID"]);
    expect(
      await codeOf(JSON.stringify({ param: forged, sign: pushSign(forged, SALT) }), "application/json"),
    ).toEqual([400, "PUSH_MALFORMED"]);
    expect(await codeOf("")).toEqual([400, "PUSH_MALFORMED"]);
    const other = await app.inject({
      method: "POST",
      url: "/api/v1/callbacks/logistics/kuaidiniao",
      payload: "",
    });
    expect([other.statusCode, other.json().code]).toEqual([404, "UNKNOWN_TRACKING_PROVIDER"]);

    expect(await snapshot(env.ctx)).toEqual(before.tables);
    expect(await count("tracking_events")).toBe(before.events);
    expect(await count("channel_notifications")).toBe(before.pushes);
    expect(await subscription(trackingNo)).toEqual(before.subscription);
    expect((await parcel(trackingNo)).status).toBe("shipped");

    // Nothing was lost either: the next genuine push carries the whole history.
    tick();
    await sim.advance("zhongtong", trackingNo);
    expect((await scans(trackingNo)).map((s) => s.status)).toEqual([
      "shipped",
      "in_transit",
      "in_transit",
      "in_transit",
    ]);
  });

  it("asks where a parcel nobody subscribed is now, and records the answer once", async () => {
    const { trackingNo } = await shippedParcel(false);
    expect(await queryTracking(env.ctx, "ZTO", trackingNo)).toEqual({
      found: false,
      message: "查询无结果，请隔段时间再查",
    });
    tick();
    await sim.advance("zhongtong", trackingNo);
    tick();
    await sim.advance("zhongtong", trackingNo);
    expect(sim.pushes().filter((p) => p.nu === trackingNo)).toHaveLength(0);
    expect(await queryTracking(env.ctx, "ZTO", trackingNo)).toMatchObject({
      found: true,
      added: 2,
      status: "in_transit",
    });
    expect(await queryTracking(env.ctx, "ZTO", trackingNo)).toMatchObject({ found: true, added: 0 });
    expect((await parcel(trackingNo)).status).toBe("in_transit");
  });

  it("acknowledges a push about a parcel we do not know, and keeps it", async () => {
    const stranger = `ZT-STRANGER-${++n}`;
    await k100.subscribe("ZTO", stranger);
    const before = await count("tracking_events");
    tick();
    const [push] = await sim.advance("zhongtong", stranger);
    expect(push).toMatchObject({ httpStatus: 200 });
    expect(await count("tracking_events")).toBe(before);
    const kept = await env.ctx.db
      .selectFrom("channel_notifications")
      .select(["result", "payload"])
      .where("channel", "=", "kuaidi100")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(kept.result).toBe("unknown_parcel");
    expect(kept.payload).toMatchObject({ lastResult: { nu: stranger } });
  });

  it("renews an aborted subscription after half an hour while the parcel is still on its way", async () => {
    const { trackingNo } = await shippedParcel();
    tick();
    await sim.advance("zhongtong", trackingNo);
    tick();
    const [aborted] = await sim.abort("zhongtong", trackingNo, "60天无变化");
    expect(aborted).toMatchObject({ httpStatus: 200 });
    const row = await subscription(trackingNo);
    expect(row).toMatchObject({ status: "abort", message: "60天无变化" });
    expect(row.resubscribe_at?.getTime()).toBe(env.clock.now.getTime() + 30 * 60_000);
    expect(await resubscribeDue(env.ctx)).toEqual({ resubscribed: 0 });
    env.clock.advance(31 * 60_000);
    expect(await resubscribeDue(env.ctx)).toEqual({ resubscribed: 1 });
    expect(await subscription(trackingNo)).toMatchObject({ status: "subscribed", resubscribe_at: null });
    expect(sim.parcels().find((p) => p.nu === trackingNo)).toMatchObject({
      subscribed: true,
      monitor: "polling",
    });
    // A delivered parcel's aborted subscription is left alone.
    tick();
    await sim.sign("zhongtong", trackingNo);
    await sim.abort("zhongtong", trackingNo);
    env.clock.advance(31 * 60_000);
    expect(await resubscribeDue(env.ctx)).toEqual({ resubscribed: 0 });
  });
});
