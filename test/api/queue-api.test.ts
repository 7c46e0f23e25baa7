import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, SESSION_COOKIE } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { CASE_STATE_NAMES } from "../../src/domain/lifecycle.ts";
import { SYSTEM_ACTOR } from "../../src/flows/audit.ts";
import type { Actor } from "../../src/flows/context.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { approveCase, cancelCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { createUser } from "../../src/flows/users.ts";
import { orderLines } from "../../src/store/orders.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * The reviewer's desk over HTTP, as the console uses it: the queue's filters, search, sorting and
 * paging; saved views and their counts; the kanban; the lifecycle it draws; batch actions with an
 * answer per case; and ownership in every case answer — always within the caller's shops.
 */

const PW = "queue-password";
const TM = "tmall-1";
const JD = "jd-1";
const CS: Actor = { kind: "user", id: "cs-desk" };

let env: TestEnv;
let app: App;
let token: string;
const users: Record<string, { id: number; cookie: string; csrf: string }> = {};
const c: Record<string, number> = {};

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Body = any;

/** A request as a signed-in person (by login), or with the admin API token ("token"). */
async function call(who: string, method: string, url: string, payload?: unknown, lang = "zh-CN") {
  const u = users[who];
  const res = await app.inject({
    method: method as "GET",
    url: `/api/v1${url}`,
    headers: {
      "accept-language": lang,
      ...(u ? { "x-csrf-token": u.csrf } : { authorization: `Bearer ${token}` }),
    },
    ...(u ? { cookies: { [SESSION_COOKIE]: u.cookie } } : {}),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: (res.body ? res.json() : undefined) as Body };
}
const ok = async (who: string, method: string, url: string, payload?: unknown) => {
  const r = await call(who, method, url, payload);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const ids = (items: { id: number }[]) => items.map((i) => i.id);
const queue = async (who: string, query = "") => ok(who, "GET", `/queue${query ? `?${query}` : ""}`);

async function newCase(
  key: string,
  o: {
    shop: string;
    order: string;
    customer: { id: string; name: string; phone: string };
    tracking: string;
    platformId?: string;
    type?: "refund_only" | "return_refund";
    reason?: "quality" | "damaged" | "changed_mind";
    source?: "chat" | "platform" | "phone";
    requested?: string;
  },
) {
  await addShop(env.ctx, o.shop, o.shop.startsWith("jd") ? "jd" : "tmall");
  const { id: orderId } = await ingestOrder(
    env.ctx,
    sampleOrder({
      shop: o.shop,
      externalId: o.order,
      customer: o.customer,
      shipments: [{ carrier: "SF", trackingNo: o.tracking, status: "delivered" }],
    }),
  );
  const lines = await orderLines(env.ctx.db, orderId);
  const res = await submitCase(env.ctx, CS, {
    orderId,
    type: o.type ?? "refund_only",
    reason: o.reason ?? "quality",
    source: o.source ?? "chat",
    items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
    ...(o.platformId ? { externalId: o.platformId } : {}),
    ...(o.requested ? { requestedAmount: o.requested } : {}),
  });
  c[key] = res.id;
  return res.id;
}
const setCase = (id: number, set: { risk?: number; slaHours?: number | null; firstApproval?: string }) =>
  sql`update cases set risk_score = coalesce(${set.risk ?? null}::int, risk_score),
                       sla_due_at = ${set.slaHours === undefined || set.slaHours === null ? null : new Date(env.clock.now.getTime() + set.slaHours * 3_600_000)}::timestamptz,
                       first_approval = coalesce(${set.firstApproval ?? null}::text, first_approval)
       where id = ${id}`.execute(env.ctx.db);

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, TM, "tmall");
  await addShop(env.ctx, JD, "jd");
  token = (await createToken(env.ctx.db, { name: "integration", role: "admin" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, consoleDir: null });
  for (const [login, role, shops, name] of [
    ["rev1", "reviewer", null, "审核一"],
    ["rev2", "reviewer", null, "审核二"],
    ["cs1", "cs_agent", null, "客服一"],
    ["tm", "reviewer", [TM], "天猫审核"],
  ] as const) {
    const u = await createUser(
      env.ctx,
      SYSTEM_ACTOR,
      { roles: Object.keys(ROLES), shops: null },
      { login, name, password: PW, role, shops: shops ? [...shops] : null },
    );
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/session",
      payload: { login, password: PW },
    });
    const cookie = res.cookies.find((k) => k.name === SESSION_COOKIE)?.value ?? "";
    users[login] = { id: u.id, cookie, csrf: res.json().csrfToken };
  }
  // Cases are given out by hand here; automatic assignment has its own tests (test/flows/assign-case).
  await ok("token", "PUT", "/settings/assignment", { auto: false });

  await newCase("a", {
    shop: TM,
    order: "TM-Alpha-001",
    customer: { id: "c-zhang", name: "张三丰", phone: "138-0000-1234" },
    tracking: "SF1001",
    platformId: "PLAT-777",
    source: "platform",
    requested: "50.00",
  });
  await newCase("b", {
    shop: TM,
    order: "TM-BETA-002",
    customer: { id: "c-li", name: "李四", phone: "13900005678" },
    tracking: "YT2002",
    type: "return_refund",
    reason: "damaged",
    requested: "80.00",
  });
  await newCase("c", {
    shop: JD,
    order: "JD-GAMMA-003",
    customer: { id: "c-wang", name: "王五", phone: "13700009999" },
    tracking: "JD3003",
    source: "phone",
  });
  await newCase("d", {
    shop: TM,
    order: "TM-DELTA-004",
    customer: { id: "c-zhao", name: "赵六", phone: "13600004321" },
    tracking: "SF4004",
  });
  await newCase("e", {
    shop: TM,
    order: "TM-EPS-005",
    customer: { id: "c-zhang", name: "张三丰", phone: "138-0000-1234" },
    tracking: "SF5005",
    reason: "changed_mind",
  });
  await newCase("f", {
    shop: JD,
    order: "JD-ZETA-006",
    customer: { id: "c-sun", name: "孙七", phone: "13500001111" },
    tracking: "JD6006",
  });
  await cancelCase(env.ctx, CS, c.d as number);
  await approveCase(env.ctx, { kind: "user", id: "rev1" }, c.e as number);
  await setCase(c.a as number, { risk: 80, slaHours: -1 });
  await setCase(c.b as number, { risk: 20, slaHours: 2 });
  await setCase(c.c as number, { risk: 90, slaHours: 10 });
  await setCase(c.e as number, { risk: 10, slaHours: null });
  await setCase(c.f as number, { risk: 30, slaHours: 3, firstApproval: "user:rev2" });
  await ok("rev1", "POST", `/cases/${c.a}/claim`, {});
  await ok("rev2", "POST", `/cases/${c.c}/assign`, { userId: users.rev2?.id });
}, 180_000);
afterAll(async () => {
  await app?.close();
  await env?.close();
});

describe("the queue", () => {
  it("shows open cases by default and filters by state, type, shop, reason, source, owner, risk, due and second approval", async () => {
    const all = await queue("rev1");
    expect(all.total).toBe(5);
    expect(ids(all.items).sort()).toEqual([c.a, c.b, c.c, c.e, c.f].sort());
    expect((await queue("rev1", "status=cancelled")).items.map((i: Body) => i.id)).toEqual([c.d]);
    expect(ids((await queue("rev1", "status=approved,requested&sort=id")).items)).toEqual(
      [c.a, c.b, c.c, c.e, c.f].sort((x, y) => (x as number) - (y as number)),
    );
    expect(ids((await queue("rev1", "type=return_refund")).items)).toEqual([c.b]);
    expect(ids((await queue("rev1", `shop=${JD}&sort=id`)).items)).toEqual([c.c, c.f]);
    expect(ids((await queue("rev1", "reason=damaged,changed_mind&sort=id")).items)).toEqual([c.b, c.e]);
    expect(ids((await queue("rev1", "source=platform,phone&sort=id")).items)).toEqual([c.a, c.c]);
    expect(ids((await queue("rev1", "owner=me")).items)).toEqual([c.a]);
    expect(ids((await queue("rev2", "owner=me")).items)).toEqual([c.c]);
    expect(ids((await queue("token", "owner=me")).items)).toEqual([]);
    expect(ids((await queue("rev1", `owner=${users.rev2?.id}`)).items)).toEqual([c.c]);
    expect(ids((await queue("rev1", "owner=none&sort=id")).items)).toEqual([c.b, c.e, c.f]);
    expect(ids((await queue("rev1", "minRisk=80&sort=id")).items)).toEqual([c.a, c.c]);
    expect(ids((await queue("rev1", "due=overdue")).items)).toEqual([c.a]);
    expect(ids((await queue("rev1", "due=soon")).items)).toEqual([c.a, c.b, c.f]);
    expect(ids((await queue("rev1", "secondApproval=true")).items)).toEqual([c.f]);

    const bad = await call("rev1", "GET", "/queue?status=requested,nowhere", undefined, "en");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: "INVALID_FILTER",
      details: { field: "status", value: "nowhere" },
    });
    expect(bad.body.detail).toBe('"nowhere" is not a status to filter by');
    expect((await call("rev1", "GET", "/queue?owner=someone")).status).toBe(400);
  });

  it("answers each line with what a reviewer scans: amount, customer, owner, deadline, parcel, platform id", async () => {
    const [a] = (await queue("rev1", "owner=me")).items;
    expect(a).toEqual({
      id: c.a,
      version: expect.any(Number),
      status: "requested",
      statusLabel: { zh: "待审核", en: "Awaiting review" },
      type: "refund_only",
      reason: "quality",
      shop: TM,
      source: "platform",
      riskScore: 80,
      amount: { amount: "50.00", currency: "CNY" },
      customer: { id: "c-zhang", name: "张三丰", tier: "normal" },
      owner: { id: users.rev1?.id, login: "rev1", name: "审核一" },
      slaDueAt: new Date(env.clock.now.getTime() - 3_600_000).toISOString(),
      createdAt: expect.any(String),
      statusSince: expect.any(String),
      orderId: expect.any(Number),
      orderExternalId: "TM-Alpha-001",
      externalId: "PLAT-777",
      trackingNo: "SF1001",
      awaitingSecondApproval: false,
      tags: expect.any(Array),
    });
    expect((await queue("rev1", "secondApproval=true")).items[0].awaitingSecondApproval).toBe(true);
  });

  it("finds a case by order number, platform case id, tracking number, phone's last four and name", async () => {
    const found = async (q: string) => ids((await queue("rev1", `q=${encodeURIComponent(q)}&sort=id`)).items);
    expect(await found("tm-alpha")).toEqual([c.a]);
    expect(await found("TM-")).toEqual([c.a, c.b, c.e]);
    expect(await found("plat-7")).toEqual([c.a]);
    expect(await found("JD300")).toEqual([c.c]);
    expect(await found("yt2002")).toEqual([c.b]);
    expect(await found("1234")).toEqual([c.a, c.e]);
    expect(await found("5678")).toEqual([c.b]);
    expect(await found("张三")).toEqual([c.a, c.e]);
    expect(await found("王")).toEqual([c.c]);
    // Terminal cases are found when asked for; LIKE's own characters are taken literally.
    expect(ids((await queue("rev1", "q=TM-DELTA&status=cancelled")).items)).toEqual([c.d]);
    expect(await found("TM%")).toEqual([]);
    expect(await found("_M-")).toEqual([]);
    expect(await found("nothing-like-this")).toEqual([]);
  });

  it("sorts, nearest deadline first by default, and pages with the total", async () => {
    expect(ids((await queue("rev1")).items)).toEqual([c.a, c.b, c.f, c.c, c.e]);
    expect(ids((await queue("rev1", "sort=slaDueAt&order=desc")).items)).toEqual([c.e, c.c, c.f, c.b, c.a]);
    expect(ids((await queue("rev1", "sort=riskScore")).items)).toEqual([c.c, c.a, c.f, c.b, c.e]);
    expect(ids((await queue("rev1", "sort=amount")).items)).toEqual([c.b, c.a, c.f, c.e, c.c]);
    expect(ids((await queue("rev1", "sort=amount&order=asc")).items)).toEqual([c.c, c.e, c.f, c.a, c.b]);
    expect(ids((await queue("rev1", "sort=createdAt")).items)).toEqual([c.a, c.b, c.c, c.e, c.f]);
    const p1 = await queue("rev1", "limit=2");
    const p2 = await queue("rev1", "limit=2&offset=2");
    const p3 = await queue("rev1", "limit=2&offset=4");
    expect([p1.total, p2.total, p3.total]).toEqual([5, 5, 5]);
    expect([...ids(p1.items), ...ids(p2.items), ...ids(p3.items)]).toEqual([c.a, c.b, c.f, c.c, c.e]);
    expect((await call("rev1", "GET", "/queue?limit=201")).status).toBe(400);
    expect((await call("rev1", "GET", "/queue?sort=name")).status).toBe(400);
  });
});

describe("views", () => {
  it("lists the built-in views with their counts, for the caller", async () => {
    const views = (await ok("rev1", "GET", "/views")).items;
    // The high-risk view follows the risk settings' own threshold.
    const highAt = (await ok("rev1", "GET", "/settings/risk")).highAt;
    expect(views.map((v: Body) => [v.id, v.count])).toEqual([
      ["mine", 1],
      ["due_soon", 3],
      ["high_risk", (await queue("rev1", `minRisk=${highAt}`)).total],
      ["refund_failed", 0],
      ["second_approval", 1],
      ["qc_waiting", 0],
    ]);
    expect(views[0]).toMatchObject({
      name: "我的",
      label: { zh: "我的", en: "Mine" },
      builtIn: true,
      filters: { owner: "me" },
    });
    expect(views.find((v: Body) => v.id === "high_risk").filters).toEqual({ minRisk: highAt });
    expect((await queue("rev1", "view=mine")).total).toBe(1);
  });

  it("keeps personal views to their creator and shows shared ones to everyone; sharing needs case.assign", async () => {
    const mine = await call("rev1", "POST", "/views", {
      name: " 天猫高风险 ",
      filters: { shop: TM, minRisk: 50 },
    });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({
      id: expect.stringMatching(/^v\d+$/),
      name: "天猫高风险",
      label: null,
      builtIn: false,
      shared: false,
      mine: true,
      filters: { shop: TM, minRisk: 50 },
      count: 1,
    });
    const seen = async (who: string) => (await ok(who, "GET", "/views")).items.map((v: Body) => v.id);
    expect(await seen("rev1")).toContain(mine.body.id);
    expect(await seen("rev2")).not.toContain(mine.body.id);
    expect((await call("rev2", "GET", `/queue?view=${mine.body.id}`)).status).toBe(404);
    expect((await call("rev2", "PATCH", `/views/${mine.body.id}`, { name: "x" })).status).toBe(404);

    // The view's filters apply; the query's own win.
    expect(ids((await queue("rev1", `view=${mine.body.id}`)).items)).toEqual([c.a]);
    expect(ids((await queue("rev1", `view=${mine.body.id}&minRisk=10&sort=id`)).items)).toEqual([
      c.a,
      c.b,
      c.e,
    ]);

    const refused = await call("cs1", "POST", "/views", { name: "全部", shared: true, filters: {} });
    expect(refused).toMatchObject({ status: 403, body: { code: "FORBIDDEN" } });
    const shared = await ok("rev1", "POST", "/views", { name: "京东", shared: true, filters: { shop: JD } });
    const csView = (await ok("cs1", "GET", "/views")).items.find((v: Body) => v.id === shared.id);
    expect(csView).toMatchObject({ shared: true, mine: false, count: 2 });
    expect((await call("cs1", "PATCH", `/views/${shared.id}`, { name: "改" })).status).toBe(403);
    expect((await call("cs1", "DELETE", `/views/${shared.id}`)).status).toBe(403);
    const renamed = await ok("rev2", "PATCH", `/views/${shared.id}`, {
      name: "京东店",
      filters: { shop: JD, owner: "none" },
    });
    expect(renamed).toMatchObject({ name: "京东店", mine: false, count: 1 });

    expect((await call("rev1", "PATCH", "/views/mine", { name: "x" })).body.code).toBe("VIEW_BUILT_IN");
    expect((await call("rev1", "DELETE", "/views/v999999")).body.code).toBe("VIEW_NOT_FOUND");
    expect(
      (await call("rev1", "POST", "/views", { name: "x", filters: { status: "nowhere" } })).body.code,
    ).toBe("INVALID_FILTER");
    expect((await call("rev1", "DELETE", `/views/${mine.body.id}`)).status).toBe(204);
    expect(await seen("rev1")).not.toContain(mine.body.id);
    expect((await call("rev2", "DELETE", `/views/${shared.id}`)).status).toBe(204);
  });
});

describe("the kanban", () => {
  it("has a column per open state with its count and first cards, nearest deadline first", async () => {
    const board = await ok("rev1", "GET", "/board");
    const open = CASE_STATE_NAMES.filter((s) => !["closed", "rejected", "cancelled"].includes(s));
    expect(board.columns.map((col: Body) => col.status)).toEqual(open);
    const col = (s: string) => board.columns.find((x: Body) => x.status === s);
    expect(col("requested")).toMatchObject({ label: { zh: "待审核", en: "Awaiting review" }, count: 4 });
    expect(ids(col("requested").items)).toEqual([c.a, c.b, c.f, c.c]);
    expect(ids(col("approved").items)).toEqual([c.e]);
    expect(col("refunding")).toMatchObject({ count: 0, items: [] });

    const one = await ok("rev1", "GET", "/board?limit=1&status=requested");
    expect(one.columns).toEqual([expect.objectContaining({ status: "requested", count: 4 })]);
    expect(ids(one.columns[0].items)).toEqual([c.a]);
    // The rest of a column: the queue, by state, in the same order.
    expect(ids((await queue("rev1", "status=requested&sort=slaDueAt&offset=1")).items)).toEqual([
      c.b,
      c.f,
      c.c,
    ]);
    expect(
      (await ok("rev1", "GET", `/board?shop=${JD}`)).columns.find((x: Body) => x.status === "requested")
        .count,
    ).toBe(2);
  });

  it("says which action moves a case from one column to another", async () => {
    const life = await ok("rev1", "GET", "/lifecycle");
    expect(life.states).toHaveLength(CASE_STATE_NAMES.length);
    expect(life.states.find((s: Body) => s.status === "closed")).toEqual({
      status: "closed",
      label: { zh: "已完结", en: "Closed" },
      terminal: true,
    });
    expect(life.transitions).toContainEqual({
      type: "refund_only",
      from: "requested",
      to: "approved",
      action: "approve",
    });
    expect(life.transitions).toContainEqual({
      type: "return_refund",
      from: "return_in_transit",
      to: "partially_received",
      action: "receive",
    });
    expect(life.transitions).toContainEqual({
      type: "refund_only",
      from: "rejected",
      to: "requested",
      action: "override",
    });
    expect(life.transitions).toContainEqual({
      type: "refund_only",
      from: "refund_failed",
      to: "refunding",
      action: "grant-refund",
    });
    // A refund settling is the channel's move: no action of ours makes it.
    expect(life.transitions.filter((t: Body) => t.from === "refunding")).toEqual([]);
  });
});

describe("ownership over HTTP", () => {
  it("names the owner in every case answer and offers claim, assign and unassign as they would succeed", async () => {
    const id = c.b as number;
    const before = await ok("rev2", "GET", `/cases/${id}`);
    expect(before.owner).toBeNull();
    expect(before.availableActions).toEqual(expect.arrayContaining(["claim", "assign"]));
    expect(before.availableActions).not.toContain("unassign");
    const cs = await ok("cs1", "GET", `/cases/${id}`);
    expect(cs.availableActions).toContain("claim");
    expect(cs.availableActions).not.toContain("assign");
    // An API token is no person: it assigns, it does not claim.
    const byToken = await ok("token", "GET", `/cases/${id}`);
    expect(byToken.availableActions).toContain("assign");
    expect(byToken.availableActions).not.toContain("claim");
    expect((await call("token", "POST", `/cases/${id}/claim`, {})).body.code).toBe("USER_REQUIRED");

    const claimed = await ok("rev2", "POST", `/cases/${id}/claim`, {
      note: "我来",
      expectedVersion: before.version,
    });
    expect(claimed).toEqual({
      id,
      status: "requested",
      version: before.version + 1,
      owner: { id: users.rev2?.id, login: "rev2", name: "审核二" },
    });
    const after = await ok("rev2", "GET", `/cases/${id}`);
    expect(after.owner).toEqual(claimed.owner);
    expect(after.availableActions).toEqual(expect.arrayContaining(["unassign", "assign"]));
    expect(after.availableActions).not.toContain("claim");
    expect(after.timeline.at(-1)).toMatchObject({
      actor: "user:rev2",
      action: "assign",
      note: "我来",
      data: { from: null, to: { login: "rev2" }, note: "我来" },
    });
    expect((await ok("cs1", "GET", `/cases/${id}`)).availableActions).not.toContain("unassign");
    expect((await ok("rev1", "GET", `/cases/${id}/view`)).case.owner).toEqual(claimed.owner);
    const list = (await ok("rev1", "GET", "/cases?limit=50")).items.find((k: Body) => k.id === id);
    expect(list.owner).toEqual(claimed.owner);
    const reviewQueue = (await ok("rev1", "GET", "/review-queue")).items.find((k: Body) => k.id === id);
    expect(reviewQueue.owner).toEqual(claimed.owner);

    // A stale version: who changed it, when, and how.
    const stale = await call(
      "rev1",
      "POST",
      `/cases/${id}/assign`,
      {
        userId: users.rev1?.id,
        expectedVersion: before.version,
      },
      "en",
    );
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      code: "VERSION_CONFLICT",
      detail: `user:rev2 changed the case since you loaded it (it is at version ${before.version + 1} now); reload and try again`,
      details: {
        currentVersion: before.version + 1,
        changedBy: "user:rev2",
        changedAt: env.clock.now.toISOString(),
        changes: [{ action: "assign", actor: "user:rev2", from: "requested", to: "requested" }],
      },
    });
    const unknown = await call("rev1", "POST", `/cases/${id}/assign`, { userId: 987654 });
    expect(unknown).toMatchObject({
      status: 422,
      body: { code: "ASSIGNEE_INVALID", details: { reason: "unknown" } },
    });
    const dropped = await ok("rev2", "POST", `/cases/${id}/unassign`, {});
    expect(dropped.owner).toBeNull();
  });

  it("reads and changes whether assignment is automatic", async () => {
    expect(await ok("cs1", "GET", "/settings/assignment")).toEqual({ auto: false });
    expect((await call("rev1", "PUT", "/settings/assignment", { auto: true })).status).toBe(403);
    expect((await call("token", "PUT", "/settings/assignment", { auto: "yes" })).status).toBe(400);
    expect(await ok("token", "PUT", "/settings/assignment", { auto: true })).toEqual({ auto: true });
    expect(await ok("token", "PUT", "/settings/assignment", { auto: false })).toEqual({ auto: false });
  });
});

describe("batch actions", () => {
  it("acts on each case by id in its own step and says each outcome in the caller's language", async () => {
    const res = await call(
      "rev1",
      "POST",
      "/cases/batch",
      { action: "approve", ids: [c.b, c.d, c.f, c.b] },
      "en",
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
    expect(res.body.results).toEqual([
      {
        id: c.b,
        orderExternalId: "TM-BETA-002",
        ok: true,
        status: "awaiting_return",
        version: expect.any(Number),
      },
      {
        id: c.d,
        orderExternalId: "TM-DELTA-004",
        ok: false,
        error: {
          code: "INVALID_TRANSITION",
          message: "The case is “Cancelled”; it cannot approve (nothing more can be done with it)",
        },
      },
      expect.objectContaining({ id: c.f, ok: true }),
    ]);
    // A reviewer of one shop learns nothing of another shop's case, not even its order number.
    const tm = await ok("tm", "POST", "/cases/batch", { action: "claim", ids: [c.f] });
    expect(tm.results).toEqual([
      { id: c.f, ok: false, error: expect.objectContaining({ code: "CASE_NOT_FOUND" }) },
    ]);
    const zh = await ok("rev1", "POST", "/cases/batch", { action: "reject", ids: [c.a] });
    expect(zh.results[0]).toMatchObject({ ok: false, error: { code: "GUARD_FAILED" } });
    expect(zh.results[0].error.message).toMatch(/[\u4e00-\u9fff]/);
    // Needs the action's own permission.
    const cs = await call("cs1", "POST", "/cases/batch", { action: "approve", ids: [c.e] });
    expect(cs).toMatchObject({
      status: 403,
      body: { code: "FORBIDDEN", details: { permission: "case.approve" } },
    });
    expect((await call("rev1", "POST", "/cases/batch", { action: "claim" })).body.code).toBe(
      "BATCH_TARGET_INVALID",
    );
    expect((await call("rev1", "POST", "/cases/batch", { action: "assign", ids: [c.e] })).body.code).toBe(
      "ASSIGNEE_INVALID",
    );
  });

  it("acts on every case a filter matches, once the caller's count still holds", async () => {
    const filter = { owner: "none", shop: TM };
    const { total } = await queue("rev1", `owner=none&shop=${TM}`);
    const changed = await call("rev1", "POST", "/cases/batch", {
      action: "claim",
      filter,
      expectedCount: total + 1,
    });
    expect(changed).toMatchObject({
      status: 409,
      body: { code: "BATCH_COUNT_CHANGED", details: { expected: total + 1, actual: total } },
    });
    expect((await call("rev1", "POST", "/cases/batch", { action: "claim", filter })).body.code).toBe(
      "BATCH_TARGET_INVALID",
    );
    const claimed = await ok("rev1", "POST", "/cases/batch", {
      action: "claim",
      filter,
      expectedCount: total,
    });
    expect(claimed).toMatchObject({ total, succeeded: total, failed: 0 });
    expect((await queue("rev1", `owner=none&shop=${TM}`)).total).toBe(0);
    const given = await ok("rev1", "POST", "/cases/batch", {
      action: "assign",
      filter: { owner: "me" },
      expectedCount: total + 1,
      userId: users.rev2?.id,
      note: "交接",
    });
    expect(given).toMatchObject({ succeeded: total + 1 });
    expect((await queue("rev1", "owner=me")).total).toBe(0);
  });
});

describe("shop scoping", () => {
  it("never shows, counts, finds or touches another shop's case", async () => {
    const all = await queue("tm");
    expect(all.items.every((i: Body) => i.shop === TM)).toBe(true);
    expect((await queue("tm", "q=JD-GAMMA")).total).toBe(0);
    expect((await queue("tm", `shop=${JD}`)).total).toBe(0);
    const board = await ok("tm", "GET", "/board");
    expect(board.columns.flatMap((col: Body) => col.items).every((i: Body) => i.shop === TM)).toBe(true);
    const requested = board.columns.find((col: Body) => col.status === "requested").count;
    expect(requested).toBe((await queue("tm", "status=requested")).total);
    const views = (await ok("tm", "GET", "/views")).items;
    expect(views.find((v: Body) => v.id === "high_risk").count).toBe(
      (await queue("tm", `minRisk=${views.find((v: Body) => v.id === "high_risk").filters.minRisk}`)).total,
    );
    expect(views.find((v: Body) => v.id === "second_approval").count).toBe(0);

    const jd = await env.ctx.db
      .selectFrom("cases")
      .select(["id", "version", "owner_id"])
      .where("shop_id", "=", JD)
      .orderBy("id")
      .execute();
    const res = await ok("tm", "POST", "/cases/batch", { action: "claim", ids: jd.map((k) => k.id) });
    expect(res.results.map((r: Body) => r.error?.code)).toEqual(jd.map(() => "CASE_NOT_FOUND"));
    const byFilter = await call("tm", "POST", "/cases/batch", {
      action: "claim",
      filter: { shop: JD },
      expectedCount: 0,
    });
    expect(byFilter.body).toMatchObject({ total: 0, results: [] });
    expect((await call("tm", "GET", `/cases/${jd[0]?.id}`)).status).toBe(404);
    expect(
      await env.ctx.db
        .selectFrom("cases")
        .select(["id", "version", "owner_id"])
        .where("shop_id", "=", JD)
        .orderBy("id")
        .execute(),
    ).toEqual(jd);
  });
});
