import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { syncShop } from "../../src/flows/sync-platform.ts";
import { createToken } from "../../src/store/tokens.ts";
import { addShop } from "../support/fixtures.ts";
import { type PlatformTestEnv, platformEnv, simOrder } from "../support/platforms.ts";

let p: PlatformTestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  p = await platformEnv();
  await addShop(p.ctx, "tb-new", "taobao");
  await addShop(p.ctx, "jd-1", "jd");
  for (const role of ["admin", "reviewer"])
    tokens[role] = (await createToken(p.ctx.db, { name: role, role })).token;
  tokens.otherShop = (
    await createToken(p.ctx.db, { name: "jd-admin", role: "admin", shops: ["jd-1"] })
  ).token;
  app = await buildServer({ ctx: p.ctx, dbKind: p.env.store.kind });
});
afterAll(async () => {
  await app.close();
  await p.close();
});

async function call(who: string, method: "GET" | "PUT" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined, raw: res.body };
}

describe("shop credentials over HTTP", () => {
  it("are write-only: a PUT and a GET say which fields are set, never their values", async () => {
    const secret = {
      app_key: "11112222",
      app_secret: "c0ffee00c0ffee00c0ffee00c0ffee00",
      session: "6100secret",
      gateway: p.sim.credentials.gateway,
    };
    const put = await call("admin", "PUT", "/shops/tb-new/credentials", secret);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      shop: "tb-new",
      channel: "taobao",
      supported: true,
      connected: true,
      fields: ["app_key", "app_secret", "gateway", "session"],
      required: ["app_key", "app_secret", "session"],
      optional: ["sign_method", "gateway"],
    });
    const get = await call("admin", "GET", "/shops/tb-new/credentials");
    expect(get.body.fields).toEqual(["app_key", "app_secret", "gateway", "session"]);
    for (const v of [secret.app_secret, secret.session, secret.app_key]) {
      expect(put.raw).not.toContain(v);
      expect(get.raw).not.toContain(v);
    }
  });

  it("are checked against the platform's fields and kept to those who may change shops", async () => {
    expect(
      await call("admin", "PUT", "/shops/tb-new/credentials", { app_key: "1", app_secret: "2" }),
    ).toMatchObject({
      status: 422,
      body: { code: "CREDENTIAL_FIELDS_MISSING", details: { missing: ["session"] } },
    });
    expect(
      await call("admin", "PUT", "/shops/tb-new/credentials", {
        app_key: "1",
        app_secret: "2",
        session: "3",
        password: "x",
      }),
    ).toMatchObject({
      status: 400,
      body: { code: "UNKNOWN_CREDENTIAL_FIELD" },
    });
    expect(
      await call("admin", "PUT", "/shops/tb-new/credentials", {
        app_key: "1",
        app_secret: "2",
        session: "3",
        gateway: "ftp://x",
      }),
    ).toMatchObject({
      body: { code: "INVALID_GATEWAY" },
    });
    expect((await call("admin", "PUT", "/shops/jd-1/credentials", { app_key: "1" })).body.code).toBe(
      "PLATFORM_NOT_SUPPORTED",
    );
    expect((await call("reviewer", "GET", "/shops/tb-new/credentials")).status).toBe(403);
    expect((await call("otherShop", "GET", "/shops/tb-new/credentials")).body.code).toBe("SHOP_NOT_FOUND");
    expect((await call("admin", "GET", "/shops/nope/credentials")).body.code).toBe("SHOP_NOT_FOUND");
  });

  it("can be removed, disconnecting the shop", async () => {
    expect((await call("admin", "DELETE", "/shops/tb-new/credentials")).status).toBe(204);
    expect((await call("admin", "GET", "/shops/tb-new/credentials")).body).toMatchObject({
      connected: false,
      fields: [],
    });
  });
});

describe("the return address and the sync's progress", () => {
  it("keeps the address the platform is told when a return is agreed", async () => {
    const address = {
      name: "售后仓",
      phone: "13800000000",
      address: "杭州市余杭区 1 号",
      postcode: "311121",
    };
    expect(await call("admin", "PUT", `/shops/${p.shop}/return-address`, address)).toMatchObject({
      status: 200,
      body: address,
    });
    expect((await call("admin", "GET", `/shops/${p.shop}/return-address`)).body).toEqual(address);
    expect((await call("admin", "PUT", `/shops/${p.shop}/return-address`, { name: "x" })).status).toBe(400);
  });

  it("shows how far each stream got and which requests failed", async () => {
    const order = simOrder();
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    p.env.clock.advance(60_000);
    await syncShop(p.ctx, p.shop, "orders", { initialLookbackMs: 3_600_000 });
    const res = await call("admin", "GET", `/shops/${p.shop}/sync`);
    expect(res.body).toMatchObject({
      shop: p.shop,
      streams: [
        { stream: "orders", syncedTo: p.env.clock.now.toISOString(), running: false, lastError: null },
      ],
      failedRequests: [],
    });
  });

  it("syncs a shop when asked, and says why a stream could not be synced", async () => {
    p.env.clock.advance(60_000);
    p.sim.placeOrder(simOrder());
    p.env.clock.advance(60_000);
    const now = await call("admin", "POST", `/shops/${p.shop}/sync`);
    expect(now.status, now.raw).toBe(200);
    expect(now.body.streams).toEqual([
      expect.objectContaining({ stream: "aftersales", running: false, lastError: null }),
      expect.objectContaining({
        stream: "orders",
        syncedTo: p.env.clock.now.toISOString(),
        lastError: null,
        lastRunAt: p.env.clock.now.toISOString(),
      }),
    ]);

    // A platform that cannot be reached: each stream says so, and the next pass tries again.
    const secret = { app_key: "11112222", app_secret: "c0ffee00c0ffee00", session: "6100secret" };
    const gateway = "http://127.0.0.1:9"; // nothing listens on the discard port
    expect((await call("admin", "PUT", "/shops/tb-new/credentials", { ...secret, gateway })).status).toBe(
      200,
    );
    const down = await call("admin", "POST", "/shops/tb-new/sync");
    expect(down.status, down.raw).toBe(200);
    expect(down.body.streams.map((s: { lastError: string }) => s.lastError)).toEqual([
      expect.stringMatching(/^ChannelUnavailableError: /),
      expect.stringMatching(/^ChannelUnavailableError: /),
    ]);
    expect((await call("admin", "GET", "/shops/tb-new/sync")).body.streams).toEqual(down.body.streams);

    // A shop that cannot connect at all: written on its streams too, where its sync status shows it.
    const none = await call("otherShop", "POST", "/shops/jd-1/sync");
    expect(none.body.streams.map((s: { lastError: string }) => s.lastError)).toEqual([
      expect.stringMatching(/^PLATFORM_NOT_(SUPPORTED|CONNECTED): /),
      expect.stringMatching(/^PLATFORM_NOT_(SUPPORTED|CONNECTED): /),
    ]);

    expect((await call("reviewer", "POST", `/shops/${p.shop}/sync`)).status).toBe(403);
    expect((await call("otherShop", "POST", `/shops/${p.shop}/sync`)).body.code).toBe("SHOP_NOT_FOUND");
  });
});
