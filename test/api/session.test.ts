import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, SESSION_COOKIE } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { SYSTEM_ACTOR } from "../../src/flows/audit.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { createUser } from "../../src/flows/users.ts";
import { hashSessionId } from "../../src/store/sessions.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";

/**
 * The console's sign-in: sessions behind an HttpOnly cookie, CSRF tokens for cookie writes, lockout,
 * and the accounts an administrator keeps — all over HTTP, as the browser and the console see them.
 */

const PW = "correct horse";
const OWNER = { roles: Object.keys(ROLES), shops: null };
let env: TestEnv;
let app: App;
let adminToken: string;
const ids: Record<string, number> = {};
const cases: Record<string, number> = {};

beforeAll(async () => {
  env = await testEnv();
  for (const shop of ["shop-a", "shop-b"]) {
    const { orderId, lines } = await placeOrder(env.ctx, { shop });
    cases[shop] = (
      await submitCase(env.ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
      })
    ).id;
  }
  for (const [login, role, shops] of [
    ["admin", "admin", null],
    ["li.lei", "reviewer", null],
    ["han.mei", "cs_agent", ["shop-a"]],
    ["a-admin", "admin", ["shop-a"]],
    ["b-clerk", "warehouse", ["shop-b"]],
    ["sup", "supervisor", null],
  ] as const) {
    const u = await createUser(env.ctx, SYSTEM_ACTOR, OWNER, {
      login,
      name: login,
      password: PW,
      role,
      shops: shops ? [...shops] : null,
    });
    ids[login] = u.id;
  }
  adminToken = (await createToken(env.ctx.db, { name: "integration", role: "admin" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, consoleDir: null });
});
afterAll(async () => {
  await app?.close();
  await env?.close();
});

interface Signed {
  cookie: string;
  csrf: string;
}

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

async function post(url: string, payload: unknown, cookie?: string, on = app) {
  return on.inject({
    method: "POST",
    url: `/api/v1${url}`,
    payload: payload as object,
    ...(cookie ? { cookies: { [SESSION_COOKIE]: cookie } } : {}),
  });
}

const sessionCookie = (res: { cookies: { name: string; value: string; [attribute: string]: unknown }[] }) =>
  res.cookies.find((c) => c.name === SESSION_COOKIE);

async function signIn(login: string, password = PW): Promise<Signed> {
  const res = await post("/session", { login, password });
  expect(res.statusCode, res.body).toBe(200);
  return { cookie: sessionCookie(res)?.value ?? "", csrf: res.json().csrfToken };
}

/** A request with the session cookie; with its CSRF token unless told otherwise. */
async function as(s: Signed, method: Method, url: string, payload?: unknown, csrf: string | null = s.csrf) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    cookies: { [SESSION_COOKIE]: s.cookie },
    headers: csrf ? { "x-csrf-token": csrf } : {},
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined, res };
}

async function withToken(method: Method, url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${adminToken}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

const sessionsOf = async (userId: number) =>
  env.ctx.db.selectFrom("user_sessions").selectAll().where("user_id", "=", userId).execute();

describe("signing in", () => {
  it("answers who is signed in and sets an HttpOnly, SameSite=Lax session cookie for 12 hours", async () => {
    const res = await post("/session", { login: "Li.Lei", password: PW });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      user: expect.objectContaining({ id: ids["li.lei"], login: "li.lei", role: "reviewer", shops: null }),
      permissions: [...(ROLES.reviewer ?? [])],
      csrfToken: expect.any(String),
    });
    expect(body.user.lastSignInAt).toBe(env.clock.now.toISOString());
    const cookie = sessionCookie(res);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    // Over plain http the cookie cannot be Secure (the browser would drop it); over https it is.
    expect(cookie?.secure).toBeFalsy();
    const hours = (((cookie?.expires as Date | undefined)?.getTime() ?? 0) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);
    // The database keeps the id's hash, never the id.
    const rows = await sessionsOf(ids["li.lei"] as number);
    expect(rows.map((r) => r.id_hash)).toContain(hashSessionId(cookie?.value ?? ""));
    expect(JSON.stringify(rows)).not.toContain(cookie?.value);

    const s = { cookie: cookie?.value ?? "", csrf: body.csrfToken };
    const me = await as(s, "GET", "/session");
    expect(me.status).toBe(200);
    expect(me.body.user.login).toBe("li.lei");
    expect((await as(s, "GET", "/cases")).status).toBe(200);
    // A reviewer may not write shops: the role is the account's.
    expect((await as(s, "POST", "/shops", { id: "x", name: "x", channel: "jd" })).body.code).toBe(
      "FORBIDDEN",
    );
  });

  it("makes the cookie Secure when the request came over https (through a trusted proxy)", async () => {
    const proxied = await buildServer({
      ctx: env.ctx,
      dbKind: env.store.kind,
      consoleDir: null,
      trustProxy: true,
    });
    try {
      const https = await proxied.inject({
        method: "POST",
        url: "/api/v1/session",
        headers: { "x-forwarded-proto": "https" },
        payload: { login: "sup", password: PW },
      });
      expect(sessionCookie(https)).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax" });
    } finally {
      await proxied.close();
    }
  });

  it("answers a wrong password, an unknown login and a disabled account alike", async () => {
    await withToken("POST", "/users", { login: "gone", name: "Gone", password: PW, role: "cs_agent" });
    const gone = await env.ctx.db
      .selectFrom("users")
      .select("id")
      .where("login", "=", "gone")
      .executeTakeFirst();
    await withToken("PATCH", `/users/${gone?.id}`, { disabled: true });
    const answers = [];
    for (const [login, password] of [
      ["sup", "wrong password"],
      ["nobody", PW],
      ["gone", PW],
    ]) {
      const res = await post("/session", { login, password });
      expect(sessionCookie(res)).toBeUndefined();
      answers.push({ status: res.statusCode, ...res.json(), instance: undefined });
    }
    expect(answers[0]).toMatchObject({ status: 401, code: "SIGN_IN_FAILED" });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    // The wrong password counted; the good one starts the count again.
    await signIn("sup");
  });

  it("locks an account after 5 failures in a row for 15 minutes, until an administrator unlocks it", async () => {
    const codes = [];
    for (let i = 0; i < 5; i++)
      codes.push((await post("/session", { login: "han.mei", password: "nope-nope" })).json());
    expect(codes.slice(0, 4).map((c) => c.code)).toEqual(Array(4).fill("SIGN_IN_FAILED"));
    const until = new Date(env.clock.now.getTime() + 15 * 60_000).toISOString();
    expect(codes[4]).toMatchObject({ status: 423, code: "ACCOUNT_LOCKED", details: { until } });
    // Locked: even the right password is refused, in the caller's language.
    const locked = await app.inject({
      method: "POST",
      url: "/api/v1/session",
      headers: { "accept-language": "en" },
      payload: { login: "han.mei", password: PW },
    });
    expect(locked.statusCode).toBe(423);
    expect(locked.json().detail).toContain(until);
    const listed = await withToken("GET", "/users?q=han.mei");
    expect(listed.body.items[0].lockedUntil).toBe(until);

    const admin = await signIn("admin");
    const unlocked = await as(admin, "PATCH", `/users/${ids["han.mei"]}`, { unlock: true });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.lockedUntil).toBeNull();
    await signIn("han.mei");

    // Left alone, a lock ends by itself after 15 minutes.
    for (let i = 0; i < 5; i++) await post("/session", { login: "han.mei", password: "nope-nope" });
    expect((await post("/session", { login: "han.mei", password: PW })).statusCode).toBe(423);
    env.clock.advance(15 * 60_000 + 1);
    await signIn("han.mei");
  });

  it("gives a new session id at each sign-in: a session id known before signs no one in", async () => {
    const before = await signIn("li.lei");
    const again = await post("/session", { login: "li.lei", password: PW }, before.cookie);
    const after = sessionCookie(again)?.value;
    expect(after).toBeTruthy();
    expect(after).not.toBe(before.cookie);
    expect((await as(before, "GET", "/session")).body.code).toBe("UNAUTHENTICATED");
    expect((await as({ cookie: after ?? "", csrf: "" }, "GET", "/session")).status).toBe(200);
    // A made-up id is no session.
    const forged = await as({ cookie: "forged-session-id", csrf: "" }, "GET", "/session");
    expect(forged).toMatchObject({ status: 401, body: { details: { reason: "session_ended" } } });
  });

  it("is limited per address, success or failure, like failed token authentication", async () => {
    const limited = await buildServer({
      ctx: env.ctx,
      dbKind: env.store.kind,
      consoleDir: null,
      rateLimits: { authFailures: 2 },
    });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push((await post("/session", { login: "sup", password: PW }, undefined, limited)).json().code);
      expect(codes).toEqual([undefined, undefined, "RATE_LIMITED"]);
    } finally {
      await limited.close();
    }
  });
});

describe("the session", () => {
  it("ends at sign-out: the cookie is cleared and the old one signs no one in", async () => {
    const s = await signIn("li.lei");
    const out = await as(s, "DELETE", "/session");
    expect(out.status).toBe(204);
    expect(sessionCookie(out.res)).toMatchObject({ value: "" });
    const again = await as(s, "GET", "/cases");
    expect(again).toMatchObject({
      status: 401,
      body: { code: "UNAUTHENTICATED", details: { reason: "session_ended" } },
    });
    expect(
      await env.ctx.db
        .selectFrom("user_sessions")
        .where("id_hash", "=", hashSessionId(s.cookie))
        .selectAll()
        .execute(),
    ).toEqual([]);
  });

  it("ends 12 hours after sign-in, and ended sessions are swept", async () => {
    const s = await signIn("sup");
    env.clock.advance(11 * 3_600_000);
    expect((await as(s, "GET", "/session")).status).toBe(200);
    env.clock.advance(3_600_000);
    expect((await as(s, "GET", "/session")).body.details).toEqual({ reason: "session_ended" });
    await signIn("li.lei");
    const left = await env.ctx.db
      .selectFrom("user_sessions")
      .select("id_hash")
      .where("expires_at", "<=", env.clock.now)
      .execute();
    expect(left).toEqual([]);
  });

  it("ends at once, with every other session of the account, when an administrator disables it", async () => {
    const s = await signIn("b-clerk");
    const other = await signIn("b-clerk");
    expect((await as(s, "GET", "/cases")).status).toBe(200);
    const admin = await signIn("admin");
    const disabled = await as(admin, "PATCH", `/users/${ids["b-clerk"]}`, { disabled: true });
    expect(disabled).toMatchObject({ status: 200, body: { disabled: true } });
    expect((await as(s, "GET", "/cases")).status).toBe(401);
    expect((await as(other, "GET", "/cases")).status).toBe(401);
    expect(await sessionsOf(ids["b-clerk"] as number)).toEqual([]);
    expect((await post("/session", { login: "b-clerk", password: PW })).json().code).toBe("SIGN_IN_FAILED");
    await as(admin, "PATCH", `/users/${ids["b-clerk"]}`, { disabled: false });
    await signIn("b-clerk");
  });

  it("refuses a disabled person's session even where it was not ended", async () => {
    const s = await signIn("li.lei");
    // Disabled behind the API's back: the account is read at every request.
    await env.ctx.db
      .updateTable("users")
      .set({ disabled_at: env.clock.now })
      .where("id", "=", ids["li.lei"] as number)
      .execute();
    try {
      expect((await as(s, "GET", "/cases")).status).toBe(401);
    } finally {
      await env.ctx.db
        .updateTable("users")
        .set({ disabled_at: null })
        .where("id", "=", ids["li.lei"] as number)
        .execute();
    }
  });

  it("shows a person limited to some shops only those shops' cases", async () => {
    const s = await signIn("han.mei");
    const list = await as(s, "GET", "/cases?limit=200");
    const shops = new Set((list.body.items as { shop: string }[]).map((c) => c.shop));
    expect([...shops]).toEqual(["shop-a"]);
    expect((await as(s, "GET", `/cases/${cases["shop-a"]}`)).status).toBe(200);
    expect((await as(s, "GET", `/cases/${cases["shop-b"]}`)).body.code).toBe("CASE_NOT_FOUND");
  });

  it("reads the role fresh at each request", async () => {
    const s = await signIn("sup");
    expect((await as(s, "GET", "/finance/ledger")).status).toBe(200);
    await withToken("PATCH", `/users/${ids.sup}`, { role: "reviewer" });
    try {
      expect((await as(s, "GET", "/finance/ledger")).body.code).toBe("FORBIDDEN");
      expect((await as(s, "GET", "/session")).body.permissions).not.toContain("finance.read");
    } finally {
      await withToken("PATCH", `/users/${ids.sup}`, { role: "supervisor" });
    }
  });
});

describe("CSRF", () => {
  it("refuses a write made with the cookie but without the session's CSRF token", async () => {
    const s = await signIn("admin");
    const body = { login: "csrf-1", name: "CSRF", password: PW, role: "cs_agent" };
    const none = await as(s, "POST", "/users", body, null);
    expect(none).toMatchObject({ status: 403, body: { code: "CSRF_TOKEN_INVALID" } });
    const wrong = await as(s, "POST", "/users", body, "not-the-token");
    expect(wrong).toMatchObject({ status: 403, body: { code: "CSRF_TOKEN_INVALID" } });
    // Another session's token is not this one's.
    const other = await signIn("admin");
    expect((await as(s, "POST", "/users", body, other.csrf)).body.code).toBe("CSRF_TOKEN_INVALID");
    expect(await env.ctx.db.selectFrom("users").select("id").where("login", "=", "csrf-1").execute()).toEqual(
      [],
    );
    // Reads need none; the token from GET /session serves as well as the sign-in's.
    const me = await as(s, "GET", "/session", undefined, null);
    expect(me.status).toBe(200);
    expect((await as(s, "POST", "/users", body, me.body.csrfToken)).status).toBe(201);
    // Sign-out is a write too.
    expect((await as(s, "DELETE", "/session", undefined, null)).status).toBe(403);
  });

  it("needs no CSRF token with an API token, which no browser sends by itself", async () => {
    const made = await withToken("POST", "/users", {
      login: "csrf-2",
      name: "CSRF",
      password: PW,
      role: "cs_agent",
    });
    expect(made.status).toBe(201);
    // A token has no session to show.
    expect((await withToken("GET", "/session")).body.code).toBe("NO_SESSION");
    expect((await withToken("PATCH", "/me", { onDuty: false })).body.code).toBe("NO_SESSION");
    expect((await withToken("DELETE", "/session")).status).toBe(204);
  });
});

describe("accounts", () => {
  it("lets only users.write create accounts, with roles and shops of the caller's own", async () => {
    const sup = await signIn("sup");
    const body = { login: "new-1", name: "新人", password: PW, role: "cs_agent" };
    expect((await as(sup, "POST", "/users", body)).body.code).toBe("FORBIDDEN");
    const aAdmin = await signIn("a-admin");
    const everyShop = await as(aAdmin, "POST", "/users", { ...body, shops: null });
    expect(everyShop).toMatchObject({ status: 403, body: { code: "USER_SHOPS_FORBIDDEN" } });
    const otherShop = await as(aAdmin, "POST", "/users", { ...body, shops: ["shop-b"] });
    expect(otherShop.body.code).toBe("USER_SHOPS_FORBIDDEN");
    expect((await as(aAdmin, "POST", "/users", { ...body, shops: [] })).body.code).toBe("USER_SHOPS_EMPTY");
    const own = await as(aAdmin, "POST", "/users", body);
    expect(own).toMatchObject({ status: 201, body: { login: "new-1", shops: ["shop-a"], role: "cs_agent" } });
    // Only shops of one's own to change, too: shop B's clerk is not there for shop A's admin.
    expect((await as(aAdmin, "PATCH", `/users/${ids["b-clerk"]}`, { onDuty: false })).body.code).toBe(
      "USER_NOT_FOUND",
    );
    expect((await as(aAdmin, "PATCH", "/users/999999", { onDuty: false })).body.code).toBe("USER_NOT_FOUND");
    expect((await as(aAdmin, "POST", "/users", body)).body.code).toBe("USER_EXISTS");
    expect((await as(aAdmin, "POST", "/users", { ...body, login: "New-1" })).status).toBe(409);
    expect(
      (await as(aAdmin, "POST", "/users", { ...body, login: "new-2", password: "short" })).body,
    ).toMatchObject({
      code: "PASSWORD_TOO_SHORT",
      details: { min: 8 },
    });
    expect((await as(aAdmin, "POST", "/users", { ...body, login: "两个字" })).body.code).toBe(
      "LOGIN_INVALID",
    );
  });

  it("keeps an administrator from disabling themselves or changing their own role or shops", async () => {
    const admin = await signIn("admin");
    for (const change of [{ disabled: true }, { role: "reviewer" }, { shops: ["shop-a"] }])
      expect((await as(admin, "PATCH", `/users/${ids.admin}`, change)).body.code).toBe(
        "OWN_ACCOUNT_PROTECTED",
      );
    expect((await as(admin, "PATCH", `/users/${ids.admin}`, { name: "管理员" })).body.name).toBe("管理员");
  });

  it("resets a password: the old one no longer signs in and the person's sessions end", async () => {
    const mine = await signIn("li.lei");
    const admin = await signIn("admin");
    expect((await as(admin, "PATCH", `/users/${ids["li.lei"]}`, { password: "a new secret" })).status).toBe(
      200,
    );
    expect((await as(mine, "GET", "/session")).status).toBe(401);
    expect((await post("/session", { login: "li.lei", password: PW })).json().code).toBe("SIGN_IN_FAILED");
    await signIn("li.lei", "a new secret");
    await as(admin, "PATCH", `/users/${ids["li.lei"]}`, { password: PW });
  });

  it("records account changes in the audit log, by the person's login", async () => {
    const admin = await signIn("admin");
    const made = await as(admin, "POST", "/users", {
      login: "audited",
      name: "审计",
      password: PW,
      role: "finance",
    });
    await as(admin, "PATCH", `/users/${made.body.id}`, { onDuty: false, password: "another secret" });
    // A change that changes nothing records nothing.
    await as(admin, "PATCH", `/users/${made.body.id}`, { onDuty: false });
    const log = await as(admin, "GET", `/audit-log?subject=${made.body.id}`);
    const entries = (log.body.items as Record<string, unknown>[]).toReversed();
    expect(entries.map((e) => e.action)).toEqual(["user.create", "user.update"]);
    expect(entries[0]).toMatchObject({ actor: "user:admin", actorTokenId: null, before: null });
    expect(entries[1]).toMatchObject({
      before: { onDuty: true },
      after: { onDuty: false, passwordChanged: true },
    });
    expect(JSON.stringify(entries)).not.toMatch(/scrypt|another secret/);
  });

  it("lists people by role, duty and name, a shop-limited caller only those who share its shops", async () => {
    const all = await withToken("GET", "/users?limit=2");
    expect(all.body.items).toHaveLength(2);
    expect(all.body.total).toBeGreaterThan(5);
    const reviewers = await withToken("GET", "/users?role=reviewer");
    expect(reviewers.body.items.map((u: { login: string }) => u.login)).toContain("li.lei");
    expect(reviewers.body.items.every((u: { role: string }) => u.role === "reviewer")).toBe(true);
    const found = await withToken("GET", "/users?q=LI.L");
    expect(found.body).toMatchObject({ total: 1, items: [{ login: "li.lei" }] });
    expect((await withToken("GET", "/users?q=%25")).body.total).toBe(0);

    const aPerson = await signIn("han.mei");
    const seen = (await as(aPerson, "GET", "/users?limit=200")).body.items as {
      login: string;
      shops: string[] | null;
    }[];
    const logins = seen.map((u) => u.login);
    expect(logins).toEqual(expect.arrayContaining(["admin", "li.lei", "han.mei", "a-admin"]));
    expect(logins).not.toContain("b-clerk");
    expect(JSON.stringify(seen)).not.toContain("shop-b");
  });

  it("lets a person set their own duty, language and password", async () => {
    const s = await signIn("han.mei");
    const other = await signIn("han.mei");
    const duty = await as(s, "PATCH", "/me", { onDuty: false, language: "en" });
    expect(duty).toMatchObject({ status: 200, body: { user: { onDuty: false, language: "en" } } });
    const wrong = await as(s, "PATCH", "/me", { password: { current: "not it", new: "brand new pw" } });
    expect(wrong).toMatchObject({ status: 422, body: { code: "PASSWORD_INCORRECT" } });
    const short = await as(s, "PATCH", "/me", { password: { current: PW, new: "short" } });
    expect(short.body.code).toBe("PASSWORD_TOO_SHORT");
    const changed = await as(s, "PATCH", "/me", { password: { current: PW, new: "brand new pw" } });
    expect(changed.status).toBe(200);
    // This session goes on; the person's other sessions end.
    expect((await as(s, "GET", "/session")).status).toBe(200);
    expect((await as(other, "GET", "/session")).status).toBe(401);
    await signIn("han.mei", "brand new pw");
    await as(s, "PATCH", "/me", {
      password: { current: "brand new pw", new: PW },
      onDuty: true,
      language: null,
    });
  });
});
