import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { keyring } from "../../src/store/secrets.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop } from "../support/fixtures.ts";

/** Finding 16: every change to settings, rules, shops and tokens leaves one audit entry; a refusal none. */
let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};

beforeAll(async () => {
  env = await testEnv();
  env.ctx.secrets = keyring([randomBytes(32)]); // shop credentials are sealed
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "tb-1", "taobao");
  await addShop(env.ctx, "jd-1", "jd");
  for (const [who, role, shops] of [
    ["admin", "admin", null],
    ["supervisor", "supervisor", null],
    ["tmallSupervisor", "supervisor", ["tmall-1"]],
    ["reviewer", "reviewer", null],
  ] as const) {
    const t = await createToken(env.ctx.db, { name: who, role, shops: shops ? [...shops] : null });
    tokens[who] = t.token;
    ids[who] = t.id;
  }
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(who: string, method: string, url: string, payload?: unknown) {
  const res = await app.inject({
    method: method as "GET",
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

interface Entry {
  id: number;
  at: string;
  actor: string;
  actorTokenId: number | null;
  action: string;
  subject: string | null;
  shops: string[] | null;
  before: unknown;
  after: unknown;
}

/** Every entry, oldest first, read through the API page by page. */
async function entries(who = "admin", query = ""): Promise<Entry[]> {
  const all: Entry[] = [];
  let cursor: number | null = null;
  do {
    const sep: string = query ? "&" : "";
    const page = await call(
      who,
      "GET",
      `/audit-log?limit=3${sep}${query}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    all.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return all.reverse();
}

/** Make one change and return the entries it left. */
async function change(
  who: string,
  method: string,
  url: string,
  payload: unknown,
  status: number | null = 200,
) {
  const before = (await entries()).length;
  const res = await call(who, method, url, payload);
  if (status !== null) expect(res.status, JSON.stringify(res.body)).toBe(status);
  return { res, made: (await entries()).slice(before) };
}

/** A refused change leaves no entry. */
async function refused(who: string, method: string, url: string, payload: unknown) {
  const { res, made } = await change(who, method, url, payload, null);
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(made).toEqual([]);
}

describe("the audit log", () => {
  it("records a shop's review limits with who, before and after; a bad amount leaves nothing", async () => {
    const { made } = await change("supervisor", "PUT", "/shops/tmall-1/review-settings", {
      autoRefundLimit: "50.00",
    });
    expect(made).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        actor: "user:supervisor",
        actorTokenId: ids.supervisor,
        action: "shop.review",
        subject: "tmall-1",
        shops: ["tmall-1"],
        before: { autoRefundLimit: "200.00", secondApprovalAbove: null },
        after: { autoRefundLimit: "50.00", secondApprovalAbove: null },
      },
    ]);
    await refused("supervisor", "PUT", "/shops/tmall-1/review-settings", { autoRefundLimit: "abc" });
  });

  it("records risk and quality thresholds as they were and became", async () => {
    const risk = (await call("admin", "GET", "/settings/risk")).body;
    const r = await change("supervisor", "PUT", "/settings/risk", { highAt: 70 });
    expect(r.made).toHaveLength(1);
    expect(r.made[0]).toMatchObject({ action: "settings.risk", subject: null, shops: null, before: risk });
    expect(r.made[0]?.after).toEqual({ ...risk, highAt: 70 });
    await refused("supervisor", "PUT", "/settings/risk", { highAt: -1 });

    const quality = (await call("admin", "GET", "/settings/quality")).body;
    const q = await change("supervisor", "PUT", "/settings/quality", { minSold: 50 });
    expect(q.made).toMatchObject([
      { action: "settings.quality", before: quality, after: { ...quality, minSold: 50 } },
    ]);
    await refused("supervisor", "PUT", "/settings/quality", { minSold: "many" });
  });

  it("records fees, the refund tender order and the time zone", async () => {
    const fees = (await call("admin", "GET", "/settings/finance")).body.fees;
    const f = await change("supervisor", "PUT", "/settings/finance", {
      fees: { wechat_pay: { rateBp: 38, returnedOnRefund: false } },
    });
    expect(f.made).toMatchObject([
      {
        action: "settings.fees",
        before: fees,
        after: { ...fees, wechat_pay: { rateBp: 38, returnedOnRefund: false } },
      },
    ]);
    await refused("supervisor", "PUT", "/settings/finance", {
      fees: { alipay: { rateBp: -1, returnedOnRefund: true } },
    });

    const order = (await call("admin", "GET", "/settings/refunds")).body.tenderOrder;
    const t = await change("supervisor", "PUT", "/settings/refunds", { tenderOrder: ["points", "coupon"] });
    expect(t.made).toHaveLength(1);
    expect(t.made[0]).toMatchObject({ action: "settings.refund_tender_order", before: order });
    expect(t.made[0]?.after).toEqual((await call("admin", "GET", "/settings/refunds")).body.tenderOrder);
    await refused("supervisor", "PUT", "/settings/refunds", { tenderOrder: ["gold_bars"] });

    const z = await change("supervisor", "PUT", "/settings/timezone", { timeZone: "Asia/Tokyo" });
    expect(z.made).toMatchObject([
      { action: "settings.timezone", before: "Asia/Shanghai", after: "Asia/Tokyo" },
    ]);
    await refused("supervisor", "PUT", "/settings/timezone", { timeZone: "Mars/Olympus_Mons" });
  });

  it("records automatic assignment and who may activate rules", async () => {
    const a = await change("admin", "PUT", "/settings/assignment", { auto: false });
    expect(a.made).toMatchObject([
      { action: "settings.assignment", actor: "user:admin", before: { auto: true }, after: { auto: false } },
    ]);
    await refused("admin", "PUT", "/settings/assignment", { auto: "sometimes" });
    await refused("reviewer", "PUT", "/settings/assignment", { auto: true });

    const r = await change("supervisor", "PUT", "/settings/rules-activation", { secondPerson: true });
    expect(r.made).toMatchObject([
      {
        action: "settings.rules_activation",
        before: { secondPerson: false },
        after: { secondPerson: true },
      },
    ]);
    await refused("supervisor", "PUT", "/settings/rules-activation", { secondPerson: true, extra: 1 });
    await call("supervisor", "PUT", "/settings/rules-activation", { secondPerson: false });
  });

  it("records policies on a SKU", async () => {
    const p = await change("supervisor", "PUT", "/catalog/policies/sku/MUG-CUSTOM", {
      policies: ["customised"],
    });
    expect(p.made).toMatchObject([
      { action: "policies.set", subject: "sku:MUG-CUSTOM", before: [], after: ["customised"] },
    ]);
    const cleared = await change("supervisor", "PUT", "/catalog/policies/sku/MUG-CUSTOM", { policies: [] });
    expect(cleared.made).toMatchObject([{ before: ["customised"], after: [] }]);
    await refused("supervisor", "PUT", "/catalog/policies/sku/MUG-CUSTOM", { policies: ["free_lunch"] });
  });

  it("records rule drafts written, changed, deleted and activated", async () => {
    const definition = { rules: [], solutions: [] };
    const created = await change("supervisor", "POST", "/rules/versions", { definition, note: "first" }, 201);
    const version = created.res.body.version as number;
    expect(created.made).toMatchObject([
      {
        action: "rules.draft.create",
        subject: `${version}`,
        before: null,
        after: { definition, note: "first" },
      },
    ]);
    const updated = await change("supervisor", "PUT", `/rules/versions/${version}`, {
      definition,
      note: "second",
    });
    expect(updated.made).toMatchObject([
      { action: "rules.draft.update", before: { note: "first" }, after: { note: "second" } },
    ]);
    await refused("supervisor", "POST", "/rules/versions", { definition: { rules: "everything" } });
    const activated = await change("supervisor", "POST", `/rules/versions/${version}/activate`, {});
    expect(activated.made).toMatchObject([
      {
        action: "rules.activate",
        subject: `${version}`,
        before: { active: null },
        after: { active: version },
      },
    ]);
    await refused("supervisor", "POST", "/rules/versions/999999/activate", {});
    const draft = await call("supervisor", "POST", "/rules/versions", { definition });
    const deleted = await change(
      "supervisor",
      "DELETE",
      `/rules/versions/${draft.body.version}`,
      undefined,
      204,
    );
    expect(deleted.made).toMatchObject([
      { action: "rules.draft.delete", subject: `${draft.body.version}`, after: null },
    ]);
    await refused("supervisor", "DELETE", `/rules/versions/${version}`, undefined);
  });

  it("records shops and tokens, never a token's secret", async () => {
    const shop = { id: "pdd-1", name: "拼多多店", channel: "pdd" };
    const s = await change("admin", "POST", "/shops", shop, 201);
    expect(s.made).toMatchObject([
      { action: "shop.create", subject: "pdd-1", shops: ["pdd-1"], before: null, after: shop },
    ]);
    await refused("admin", "POST", "/shops", shop); // exists already

    const t = await change(
      "admin",
      "POST",
      "/tokens",
      { name: "pdd-cs", role: "cs_agent", shops: ["pdd-1"] },
      201,
    );
    expect(t.made).toMatchObject([
      {
        action: "token.create",
        subject: `${t.res.body.id}`,
        actor: "user:admin",
        actorTokenId: ids.admin,
        shops: ["pdd-1"],
        before: null,
        after: { id: t.res.body.id, name: "pdd-cs", role: "cs_agent", shops: ["pdd-1"], revokedAt: null },
      },
    ]);
    expect(JSON.stringify(t.made)).not.toContain(t.res.body.token);
    await refused("admin", "POST", "/tokens", { name: "x", role: "cs_agent", shops: ["nowhere"] });
    const r = await change("admin", "DELETE", `/tokens/${t.res.body.id}`, undefined);
    expect(r.made).toMatchObject([
      { action: "token.revoke", before: { revokedAt: null }, after: { revokedAt: expect.any(String) } },
    ]);
    // Revoking again changes nothing, so records nothing.
    expect((await change("admin", "DELETE", `/tokens/${t.res.body.id}`, undefined)).made).toEqual([]);
  });

  it("records a shop's platform connection (field names, never values) and its return address", async () => {
    const secret = { app_key: "12345678", app_secret: "c0ffee00c0ffee00", session: "6100secret" };
    const c = await change("admin", "PUT", "/shops/tb-1/credentials", secret);
    expect(c.made).toMatchObject([
      {
        action: "shop.credentials",
        subject: "tb-1",
        shops: ["tb-1"],
        before: null,
        after: { fields: ["app_key", "app_secret", "session"] },
      },
    ]);
    expect(JSON.stringify(c.made)).not.toMatch(/c0ffee|6100secret|12345678/);
    await refused("admin", "PUT", "/shops/tb-1/credentials", { app_key: "1" }); // fields missing
    const d = await change("admin", "DELETE", "/shops/tb-1/credentials", undefined, 204);
    expect(d.made).toMatchObject([
      { action: "shop.disconnect", before: { fields: ["app_key", "app_secret", "session"] }, after: null },
    ]);
    expect((await change("admin", "DELETE", "/shops/tb-1/credentials", undefined, 204)).made).toEqual([]);

    const address = { name: "退货仓", phone: "0571-88888888", address: "杭州市余杭区 1 号" };
    const a = await change("admin", "PUT", "/shops/tb-1/return-address", address);
    expect(a.made).toMatchObject([
      { action: "shop.return_address", subject: "tb-1", before: null, after: address },
    ]);
    await refused("admin", "PUT", "/shops/tb-1/return-address", { ...address, name: " " });
  });

  it("filters by action, subject, actor and time, and pages with a cursor", async () => {
    const all = await entries();
    expect(all.length).toBeGreaterThan(10);
    expect((await entries("admin", "action=settings.timezone")).map((e) => e.after)).toEqual(["Asia/Tokyo"]);
    expect((await entries("admin", "subject=tmall-1")).every((e) => e.subject === "tmall-1")).toBe(true);
    const byAdmin = await entries("admin", "actor=user:admin");
    expect(byAdmin.length).toBeGreaterThan(0);
    expect(byAdmin.every((e) => e.actor === "user:admin")).toBe(true);
    expect(await entries("admin", `actorTokenId=${ids.admin}`)).toEqual(byAdmin);
    // Entries are stamped by the flows' clock (the test's).
    const future = encodeURIComponent(new Date(env.clock.now.getTime() + 86_400_000).toISOString());
    const now = encodeURIComponent(env.clock.now.toISOString());
    expect(await entries("admin", `from=${now}&to=${future}`)).toEqual(all);
    expect(await entries("admin", `from=${future}`)).toEqual([]);
    expect(await entries("admin", `to=${future}`)).toEqual(all);
    expect((await call("admin", "GET", "/audit-log?action=settings.everything")).status).toBe(400);
  });

  it("is for admins and supervisors; a shop-limited reader sees its shops and the shared settings only", async () => {
    expect((await call("reviewer", "GET", "/audit-log")).body.code).toBe("FORBIDDEN");
    await call("admin", "PUT", "/shops/jd-1/review-settings", { autoRefundLimit: "10.00" });
    const seen = await entries("tmallSupervisor");
    const actions = new Set(seen.map((e) => e.action));
    expect(actions).toContain("shop.review");
    expect(actions).toContain("settings.risk");
    expect(actions).toContain("rules.activate");
    for (const e of seen) {
      if (e.shops === null) expect(e.action).not.toMatch(/^(token|shop)\./);
      else expect(e.shops).toEqual(["tmall-1"]);
    }
    expect(seen.some((e) => e.subject === "jd-1" || e.subject === "pdd-1")).toBe(false);
  });
});
