import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { LISTENER_NAME } from "../../src/store/changes.ts";
import { hashPassword } from "../../src/store/passwords.ts";
import { createToken } from "../../src/store/tokens.ts";
import { insertUser } from "../../src/store/users.ts";
import { SIM_SECRET, type TestEnv, testEnv, usingPostgres } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";
import { eventually, type ServiceProcess, startServiceProcess } from "../support/process.ts";
import { type EventStream, openEventStream } from "../support/sse.ts";

/**
 * GET /api/v1/events over real HTTP, as the console's EventSource reads it: a change committed through
 * the API arrives with its ids, a rolled-back one never does, a shop-limited caller hears only its shops,
 * and on PostgreSQL every server hears every other server's changes.
 */

const A = "shop-a";
const B = "shop-b";
let env: TestEnv;
let app: App;
let base: string;
let admin: string;
let limited: string;

async function listening(a: App) {
  await a.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, A, "tmall");
  await addShop(env.ctx, B, "jd");
  admin = (await createToken(env.ctx.db, { name: "admin", role: "admin" })).token;
  limited = (await createToken(env.ctx.db, { name: "reviewer-a", role: "reviewer", shops: [A] })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, changes: env.store.changes });
  base = await listening(app);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await env?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
async function call(method: string, path: string, body?: unknown, url = base): Promise<any> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

let n = 0;
/** A return_refund case of `shop`, waiting for a reviewer. */
async function newCase(shop: string, url = base) {
  const order = await call("POST", "/orders", sampleOrder({ shop, externalId: `EV-${shop}-${++n}` }), url);
  const lines = (await call("GET", `/orders/${order.id}`, undefined, url)).lines as { id: number }[];
  const c = await call(
    "POST",
    "/cases",
    {
      orderId: order.id,
      type: "return_refund",
      reason: "quality",
      items: lines.map((l) => ({ lineId: l.id, quantity: 1 })),
    },
    url,
  );
  expect(c.status).toBe("requested");
  return { id: c.id as number, orderId: order.id as number };
}

const approve = (caseId: number, url = base) => call("POST", `/cases/${caseId}/approve`, {}, url);

const events = (token: string, url = base) =>
  openEventStream(`${url}/api/v1/events`, { authorization: `Bearer ${token}` });

const approveOf = (caseId: number) => (c: Record<string, unknown>) =>
  c.caseId === caseId && c.action === "approve";

describe("GET /events", () => {
  it("streams a case approved through the API, with its ids, to an open stream", async () => {
    const kase = await newCase(A);
    const stream = await events(admin);
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
      expect(stream.headers["cache-control"]).toContain("no-cache");
      expect(stream.events[0] ?? (await stream.waitFor(() => true))).toEqual({ retry: 2000 });
      await approve(kase.id);
      const change = await stream.waitForChange(approveOf(kase.id));
      const event = await env.ctx.db
        .selectFrom("case_events")
        .select(["id", "at"])
        .where("case_id", "=", kase.id)
        .where("action", "=", "approve")
        .executeTakeFirstOrThrow();
      expect(change).toEqual({
        kind: "case",
        caseId: kase.id,
        orderId: kase.orderId,
        shopId: A,
        status: "awaiting_return",
        action: "approve",
        eventId: event.id,
        at: new Date(event.at).toISOString(),
      });
    } finally {
      stream.close();
    }
  });

  it("never streams a change that was rolled back", async () => {
    const kase = await newCase(A);
    const stream = await events(admin);
    try {
      // Reading the case tries every action on it (availableActions): each runs and is rolled back.
      const read = await call("GET", `/cases/${kase.id}`);
      expect(read.availableActions).toEqual(expect.arrayContaining(["approve", "reject"]));
      // And a transaction of our own that writes the timeline, then fails.
      await env.ctx.db
        .transaction()
        .execute(async (tx) => {
          await sql`insert into case_events (case_id, at, actor, action, from_status, to_status)
                    values (${kase.id}, now(), 'user:test', 'reject', 'requested', 'rejected')`.execute(tx);
          throw new Error("rolled back");
        })
        .catch(() => undefined);
      // Notifications arrive in commit order: whatever those would have sent comes before this one.
      // (The case's own submission may come too: it is announced just after it commits, maybe after the
      // stream opened.)
      await approve(kase.id);
      await stream.waitForChange(approveOf(kase.id));
      const heard = stream.changes().filter((c) => c.caseId === kase.id && c.action !== "submit");
      expect(heard.filter((c) => c.action !== "update")).toEqual([
        expect.objectContaining({ action: "approve", status: "awaiting_return" }),
      ]);
    } finally {
      stream.close();
    }
  });

  it("streams a shop-limited caller only its shops' changes", async () => {
    const mine = await newCase(A);
    const theirs = await newCase(B);
    const [narrow, wide] = await Promise.all([events(limited), events(admin)]);
    try {
      await approve(theirs.id);
      await approve(mine.id);
      await wide.waitForChange(approveOf(mine.id));
      expect(wide.changes().some(approveOf(theirs.id))).toBe(true);
      await narrow.waitForChange(approveOf(mine.id));
      expect(narrow.changes().filter((c) => c.shopId !== A)).toEqual([]);
    } finally {
      narrow.close();
      wide.close();
    }
  });

  it("refuses a caller without a token, and anything but a plain GET", async () => {
    const anonymous = await openEventStream(`${base}/api/v1/events`);
    expect(anonymous.status).toBe(401);
    await anonymous.ended;
    const typo = await openEventStream(`${base}/api/v1/events?since=1`, { authorization: `Bearer ${admin}` });
    expect(typo.status).toBe(400);
    await typo.ended;
  });

  it("releases the subscriber when the client goes away, and ends open streams when the server closes", async () => {
    const before = env.store.changes.subscribers;
    const stream = await events(admin);
    expect(env.store.changes.subscribers).toBe(before + 1);
    stream.close();
    await eventually(async () => (env.store.changes.subscribers === before ? true : undefined), 30_000);

    const other = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, changes: env.store.changes });
    const url = await listening(other);
    const open = await events(admin, url);
    expect(env.store.changes.subscribers).toBe(before + 1);
    await other.close();
    await open.ended;
    expect(env.store.changes.subscribers).toBe(before);
  });

  it("ends a stream at its next heartbeat once its token is revoked", async () => {
    const quick = await buildServer({
      ctx: env.ctx,
      dbKind: env.store.kind,
      changes: env.store.changes,
      eventHeartbeatMs: 50,
    });
    const url = await listening(quick);
    try {
      const { token, id } = await createToken(env.ctx.db, { name: "short-lived", role: "reviewer" });
      const stream = await events(token, url);
      await stream.waitFor((e) => e.comment === "ping");
      await env.ctx.db
        .updateTable("api_tokens")
        .set({ revoked_at: new Date() })
        .where("id", "=", id)
        .execute();
      await stream.ended;
      expect((await events(token, url)).status).toBe(401);
    } finally {
      await quick.close();
    }
  });

  it("streams to a console signed in with its session cookie, until it signs out", async () => {
    const quick = await buildServer({
      ctx: env.ctx,
      dbKind: env.store.kind,
      changes: env.store.changes,
      eventHeartbeatMs: 50,
    });
    const url = await listening(quick);
    try {
      const password = "a long enough password";
      await insertUser(env.ctx.db, {
        login: "li.lei",
        name: "李雷",
        passwordHash: await hashPassword(password),
        role: "reviewer",
        shops: [A],
        at: new Date(),
      });
      const signIn = await fetch(`${url}/api/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ login: "li.lei", password }),
      });
      expect(signIn.status).toBe(200);
      const { csrfToken } = (await signIn.json()) as { csrfToken: string };
      const cookie = `${SESSION_COOKIE}=${/aftersales_session=([^;]+)/.exec(signIn.headers.get("set-cookie") ?? "")?.[1]}`;
      // What EventSource sends: the cookie, no token.
      const stream = await openEventStream(`${url}/api/v1/events`, { cookie });
      expect(stream.status).toBe(200);
      const kase = await newCase(A);
      await approve(kase.id);
      await stream.waitForChange(approveOf(kase.id));
      // Signed out elsewhere (another tab): the stream ends at its next check.
      const out = await fetch(`${url}/api/v1/session`, {
        method: "DELETE",
        headers: { cookie, "x-csrf-token": csrfToken },
      });
      expect(out.status).toBe(204);
      await stream.ended;
    } finally {
      await quick.close();
    }
  });
});

describe.runIf(usingPostgres)("on PostgreSQL, several servers", () => {
  let other: ServiceProcess;
  beforeAll(async () => {
    // Another process on the same database, started as `npm start` runs it.
    other = await startServiceProcess({
      DATABASE_URL: env.store.url as string,
      AFTERSALES_DEMO: "0",
      PAY_SANDBOX_URL: env.sim.url,
      PAY_SANDBOX_SECRET: SIM_SECRET,
    });
  }, 200_000);
  afterAll(async () => {
    await other?.stop();
  });

  it("each hears the others' changes", async () => {
    const here = await events(admin);
    const there = await events(admin, other.url);
    try {
      // Changed there, heard here; changed here, heard there.
      const a = await newCase(A, other.url);
      await approve(a.id, other.url);
      await here.waitForChange(approveOf(a.id));
      const b = await newCase(B);
      await approve(b.id);
      await there.waitForChange(approveOf(b.id));
      await there.waitForChange(approveOf(a.id));
    } finally {
      here.close();
      there.close();
    }
  });

  it("listens again after losing its connection, and tells its streams to reload", async () => {
    const stream: EventStream = await events(admin);
    const lost = await sql<{ n: number }>`
      select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
       where datname = current_database() and application_name = ${LISTENER_NAME}`.execute(env.ctx.db);
    // Ours and the other process's.
    expect(lost.rows[0]?.n).toBe(2);
    // The stream ends once the feed listens again: changes may have been missed in between.
    await stream.ended;
    const again = await events(admin);
    const there = await events(admin, other.url);
    try {
      const kase = await newCase(A);
      await approve(kase.id);
      await again.waitForChange(approveOf(kase.id));
      await there.waitForChange(approveOf(kase.id));
    } finally {
      again.close();
      there.close();
    }
  });
});
