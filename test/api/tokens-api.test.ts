import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantableRoles } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { createApiToken } from "../../src/flows/tokens.ts";
import { openStore } from "../../src/store/db.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv, usingPostgres } from "../support/db.ts";
import { addShop } from "../support/fixtures.ts";

const SUPERVISOR = { kind: "user" as const, id: "sup" };
let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-flagship", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  tokens.admin = (await createToken(env.ctx.db, { name: "admin", role: "admin" })).token;
  tokens.tmallAdmin = (
    await createToken(env.ctx.db, { name: "tmall-admin", role: "admin", shops: ["tmall-flagship"] })
  ).token;
  tokens.supervisor = (await createToken(env.ctx.db, { name: "sup", role: "supervisor" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(
  who: string,
  method: "GET" | "POST" | "DELETE",
  url: string,
  payload?: unknown,
  on = app,
) {
  const res = await on.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who] ?? who}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

describe("creating tokens (finding 2: no privilege escalation)", () => {
  it("gives a shop-limited caller that names no shops a token for its own shops, never an all-shops one", async () => {
    const res = await call("tmallAdmin", "POST", "/tokens", { name: "e", role: "admin" });
    expect(res.status).toBe(201);
    expect(res.body.shops).toEqual(["tmall-flagship"]);
    // The new token is as limited as its maker.
    const other = await call(res.body.token, "GET", "/shops");
    expect(other.body.items.map((s: { id: string }) => s.id)).toEqual(["tmall-flagship"]);
  });

  it("refuses a shop-limited caller an all-shops token or one for another shop", async () => {
    const all = await call("tmallAdmin", "POST", "/tokens", { name: "e", role: "admin", shops: null });
    expect(all).toMatchObject({ status: 403, body: { code: "TOKEN_SHOPS_FORBIDDEN" } });
    const jd = await call("tmallAdmin", "POST", "/tokens", { name: "e", role: "cs_agent", shops: ["jd-1"] });
    expect(jd).toMatchObject({ status: 403, body: { code: "TOKEN_SHOPS_FORBIDDEN" } });
    const mixed = await call("tmallAdmin", "POST", "/tokens", {
      name: "e",
      role: "cs_agent",
      shops: ["tmall-flagship", "jd-1"],
    });
    expect(mixed.body.code).toBe("TOKEN_SHOPS_FORBIDDEN");
  });

  it("refuses shops that do not exist and an empty list", async () => {
    const ghost = await call("admin", "POST", "/tokens", { name: "g", role: "finance", shops: ["nope"] });
    expect(ghost).toMatchObject({ status: 422, body: { code: "SHOP_NOT_FOUND" } });
    const none = await call("admin", "POST", "/tokens", { name: "g", role: "finance", shops: [] });
    expect(none.body.code).toBe("TOKEN_SHOPS_EMPTY");
  });

  it("lets a caller grant only roles whose permissions its own role holds", async () => {
    // Only admin holds tokens.write today; a role without it cannot create tokens at all.
    expect((await call("supervisor", "POST", "/tokens", { name: "x", role: "reviewer" })).status).toBe(403);
    // Were a supervisor to manage tokens, it could grant reviewer (a subset of its own) but not finance.
    const supervisor = { roles: grantableRoles("supervisor"), shops: null };
    expect(supervisor.roles).toEqual(expect.arrayContaining(["reviewer", "supervisor"]));
    for (const role of ["admin", "finance"]) {
      const refused = await createApiToken(env.ctx, SUPERVISOR, supervisor, { name: "x", role }).catch(
        (e) => e,
      );
      expect(refused.code).toBe("TOKEN_ROLE_FORBIDDEN");
    }
    const made = await call("admin", "POST", "/tokens", { name: "fin", role: "finance", shops: ["jd-1"] });
    expect(made).toMatchObject({ status: 201, body: { role: "finance", shops: ["jd-1"] } });
    expect(made.body.token).toMatch(/^as_/);
  });
});

describe("listing and revoking tokens", () => {
  it("lists tokens without their secrets, a shop-limited caller only those within its shops", async () => {
    const all = await call("admin", "GET", "/tokens");
    expect(all.status).toBe(200);
    const names = all.body.items.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(["admin", "tmall-admin", "sup"]));
    // Only how each secret starts (as_ and 8 of its characters), never the rest of it.
    expect(JSON.stringify(all.body)).not.toMatch(/as_[A-Za-z0-9_-]{9,}|token_hash|tokenHash/);
    expect(all.body.items[0]).toEqual(
      expect.objectContaining({ id: expect.any(Number), role: expect.any(String), revokedAt: null }),
    );
    // The admin's own token has been used by now.
    const me = all.body.items.find((t: { name: string }) => t.name === "admin");
    expect(me.lastUsedAt).not.toBeNull();
    // A refused request is no use of the token: it changes nothing.
    const idle = await call("admin", "POST", "/tokens", { name: "idle", role: "reviewer" });
    expect(
      (await call(idle.body.token, "POST", "/shops", { id: "x", name: "x", channel: "jd" })).status,
    ).toBe(403);
    const after = await call("admin", "GET", "/tokens");
    expect(after.body.items.find((t: { id: number }) => t.id === idle.body.id).lastUsedAt).toBeNull();
    const mine = await call("tmallAdmin", "GET", "/tokens");
    for (const t of mine.body.items) expect(t.shops).toEqual(["tmall-flagship"]);
    expect(mine.body.items.map((t: { name: string }) => t.name)).not.toContain("admin");
  });

  it("refuses a revoked token on its very next request, on this server and a second one on the same database", async () => {
    const made = await call("admin", "POST", "/tokens", { name: "temp", role: "reviewer" });
    const second = usingPostgres
      ? await openStore({ databaseUrl: env.store.url as string, migrate: false })
      : undefined;
    const app2 = await buildServer({
      ctx: { ...env.ctx, db: second?.db ?? env.ctx.db },
      dbKind: env.store.kind,
    });
    try {
      // Both servers have seen the token work (nothing may be cached from this).
      expect((await call(made.body.token, "GET", "/cases")).status).toBe(200);
      expect((await call(made.body.token, "GET", "/cases", undefined, app2)).status).toBe(200);
      const revoked = await call("admin", "DELETE", `/tokens/${made.body.id}`);
      expect(revoked).toMatchObject({
        status: 200,
        body: { id: made.body.id, revokedAt: expect.any(String) },
      });
      expect((await call(made.body.token, "GET", "/cases")).body.code).toBe("UNAUTHENTICATED");
      expect((await call(made.body.token, "GET", "/cases", undefined, app2)).status).toBe(401);
      // Revoking again changes nothing.
      expect((await call("admin", "DELETE", `/tokens/${made.body.id}`)).status).toBe(200);
    } finally {
      await app2.close();
      await second?.close();
    }
  });

  it("lets a shop-limited caller revoke only tokens within its shops", async () => {
    const jd = await call("admin", "POST", "/tokens", { name: "jd", role: "cs_agent", shops: ["jd-1"] });
    expect((await call("tmallAdmin", "DELETE", `/tokens/${jd.body.id}`)).body.code).toBe("TOKEN_NOT_FOUND");
    const everyShop = await call("admin", "POST", "/tokens", { name: "wide", role: "cs_agent" });
    expect((await call("tmallAdmin", "DELETE", `/tokens/${everyShop.body.id}`)).status).toBe(404);
    expect((await call(jd.body.token, "GET", "/cases")).status).toBe(200);
    const own = await call("tmallAdmin", "POST", "/tokens", { name: "own", role: "cs_agent" });
    expect((await call("tmallAdmin", "DELETE", `/tokens/${own.body.id}`)).status).toBe(200);
    expect((await call("admin", "DELETE", "/tokens/999999")).status).toBe(404);
  });
});
