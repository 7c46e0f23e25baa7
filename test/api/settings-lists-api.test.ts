import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop } from "../support/fixtures.ts";

/**
 * What the console's settings screens read (issue 13): tokens and product policies a page at a time with
 * their totals, a token told apart by its first characters once its secret is gone, a policy's bad name
 * refused at its field, and the audit log narrowed to one kind of object.
 */
let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  tokens.admin = (await createToken(env.ctx.db, { name: "admin", role: "admin" })).token;
  tokens.jdAdmin = (
    await createToken(env.ctx.db, { name: "jd-admin", role: "admin", shops: ["jd-1"] })
  ).token;
  tokens.supervisor = (await createToken(env.ctx.db, { name: "sup", role: "supervisor" })).token;
  tokens.reviewer = (await createToken(env.ctx.db, { name: "rev", role: "reviewer" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(who: string, method: string, url: string, payload?: unknown, lang = "en") {
  const res = await app.inject({
    method: method as "GET",
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who] ?? who}`, "accept-language": lang },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

describe("the token list", () => {
  it("pages newest first with the total, filters by status and keeps only the secret's first characters", async () => {
    const made: { id: number; token: string; prefix: string }[] = [];
    for (const name of ["one", "two", "three"]) {
      const r = await call("admin", "POST", "/tokens", { name, role: "cs_agent", shops: ["tmall-1"] });
      expect(r.status).toBe(201);
      made.push(r.body);
    }
    for (const t of made) {
      expect(t.prefix).toBe(t.token.slice(0, 11));
      expect(t.token.length).toBeGreaterThan(t.prefix.length + 20);
    }
    await call("admin", "DELETE", `/tokens/${made[0]?.id}`);

    const first = await call("admin", "GET", "/tokens?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(7); // four set up here, three made above
    expect(first.body.items.map((t: { name: string }) => t.name)).toEqual(["three", "two"]);
    expect(JSON.stringify(first.body)).not.toContain(made[2]?.token);
    expect(first.body.items[0].prefix).toBe(made[2]?.prefix);
    const second = await call("admin", "GET", "/tokens?limit=2&offset=2");
    expect(second.body.items.map((t: { name: string }) => t.name)).toEqual(["one", "rev"]);

    const revoked = await call("admin", "GET", "/tokens?status=revoked");
    expect(revoked.body).toMatchObject({ total: 1, items: [{ name: "one", prefix: made[0]?.prefix }] });
    expect((await call("admin", "GET", "/tokens?status=active")).body.total).toBe(6);
    // A shop-limited admin sees no token beyond its shops, and counts none.
    expect((await call("jdAdmin", "GET", "/tokens")).body).toMatchObject({
      total: 1,
      items: [{ name: "jd-admin" }],
    });
    expect((await call("admin", "GET", "/tokens?limit=0")).status).toBe(400);
  });
});

describe("product policies", () => {
  it("pages by kind and key with the total, filtered by kind, name and policy", async () => {
    for (const [kind, key, policies] of [
      ["category", "fresh_food", ["fresh", "no_7day_return"]],
      ["category", "imported", ["cross_border"]],
      ["sku", "MUG-CUSTOM", ["customised"]],
      ["sku", "TEE-1", ["no_7day_return"]],
    ] as const) {
      const r = await call("supervisor", "PUT", `/catalog/policies/${kind}/${key}`, { policies });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const page = await call("reviewer", "GET", "/catalog/policies?limit=3");
    expect(page.body.total).toBe(4);
    expect(page.body.items.map((p: { key: string }) => p.key)).toEqual([
      "fresh_food",
      "imported",
      "MUG-CUSTOM",
    ]);
    const rest = await call("reviewer", "GET", "/catalog/policies?limit=3&offset=3");
    expect(rest.body).toMatchObject({ total: 4, items: [{ kind: "sku", key: "TEE-1" }] });
    expect((await call("reviewer", "GET", "/catalog/policies?kind=sku")).body.total).toBe(2);
    expect((await call("reviewer", "GET", "/catalog/policies?q=mug")).body.items).toMatchObject([
      { key: "MUG-CUSTOM", policies: ["customised"] },
    ]);
    const noReturn = await call("reviewer", "GET", "/catalog/policies?policy=no_7day_return");
    expect(noReturn.body.items.map((p: { key: string }) => p.key)).toEqual(["fresh_food", "TEE-1"]);
    // A LIKE wildcard typed into the search is a character, not a pattern.
    expect(
      (await call("reviewer", "GET", "/catalog/policies?q=_")).body.items.map((p: { key: string }) => p.key),
    ).toEqual(["fresh_food"]);
  });

  it("stores the name trimmed, answers what it stored, and refuses a blank or over-long name at its field", async () => {
    const saved = await call("supervisor", "PUT", "/catalog/policies/sku/%20CAP-9%20", {
      policies: ["fresh", "fresh"],
    });
    expect(saved.body).toEqual({ kind: "sku", key: "CAP-9", policies: ["fresh"] });
    const before = (await call("admin", "GET", "/audit-log?action=policies.set")).body.items.length;

    const blank = await call(
      "supervisor",
      "PUT",
      "/catalog/policies/sku/%20%20",
      { policies: ["fresh"] },
      "zh-CN",
    );
    expect(blank.status).toBe(400);
    expect(blank.body.code).toBe("INVALID_POLICY_SCOPE");
    expect(blank.body.details.field).toBe("key");
    expect(blank.body.detail).toMatch(/SKU 或类目/);
    const long = await call("supervisor", "PUT", `/catalog/policies/sku/${"X".repeat(101)}`, {
      policies: ["fresh"],
    });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ code: "VALIDATION_ERROR", in: "params", field: "key" });
    const unknown = await call("supervisor", "PUT", "/catalog/policies/sku/CAP-9", {
      policies: ["free_lunch"],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: "VALIDATION_ERROR", in: "body", field: "policies.0" });

    // Refusals changed nothing and recorded nothing.
    expect((await call("admin", "GET", "/audit-log?action=policies.set")).body.items.length).toBe(before);
    expect((await call("reviewer", "GET", "/catalog/policies?q=cap")).body.items).toMatchObject([
      { key: "CAP-9", policies: ["fresh"] },
    ]);
    expect((await call("reviewer", "PUT", "/catalog/policies/sku/CAP-9", { policies: [] })).status).toBe(403);
  });
});

describe("the audit log by object", () => {
  it("narrows to one kind of object (every action on it) and refuses a kind it does not know", async () => {
    const t = await call("admin", "POST", "/tokens", { name: "audit-me", role: "reviewer", shops: null });
    await call("admin", "DELETE", `/tokens/${t.body.id}`);
    await call("supervisor", "PUT", "/catalog/policies/category/toys", { policies: ["cross_border"] });

    const byToken = await call("admin", "GET", "/audit-log?object=token");
    const actions = new Set(byToken.body.items.map((e: { action: string }) => e.action));
    expect(actions).toEqual(new Set(["token.create", "token.revoke"]));
    const one = await call("admin", "GET", `/audit-log?object=token&subject=${t.body.id}`);
    expect(one.body.items.map((e: { action: string }) => e.action)).toEqual(["token.revoke", "token.create"]);
    expect(one.body.items[1]).toMatchObject({
      actor: "user:admin",
      before: null,
      after: { name: "audit-me" },
    });
    const policies = await call("admin", "GET", "/audit-log?object=policies&subject=category:toys");
    expect(policies.body.items).toMatchObject([
      { action: "policies.set", before: [], after: ["cross_border"] },
    ]);
    expect((await call("admin", "GET", "/audit-log?object=everything")).status).toBe(400);
  });
});
