import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop } from "../support/fixtures.ts";
import { TEST_KEYRING } from "../support/platforms.ts";
import { startReceiver, verifies } from "../support/webhook-receiver.ts";

let env: TestEnv;
let app: App;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  env.ctx.secrets = TEST_KEYRING;
  receiver = await startReceiver();
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  for (const role of ["admin", "supervisor", "reviewer"])
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  tokens.tmallAdmin = (
    await createToken(env.ctx.db, { name: "tmall", role: "admin", shops: ["tmall-1"] })
  ).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await receiver.close();
  await env.close();
});

async function call(
  who: string,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  payload?: unknown,
) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return {
    status: res.statusCode,
    body: res.body ? res.json() : undefined,
    type: res.headers["content-type"],
  };
}

const send = async () => {
  while ((await dispatchOnce(env.ctx)) > 0);
};

describe("the webhooks API", () => {
  let id = 0;
  let secret = "";

  it("creates an endpoint and shows its secret once", async () => {
    const made = await call("admin", "POST", "/webhooks", {
      url: receiver.url("/api-hook"),
      description: "ERP",
      eventTypes: ["case.created", "refund.succeeded"],
    });
    expect(made).toMatchObject({
      status: 201,
      body: { enabled: true, shops: null, createdBy: "user:admin" },
    });
    ({ id, secret } = made.body);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), "base64").length).toBe(32);
    const list = await call("admin", "GET", "/webhooks");
    expect(list.body.items).toMatchObject([{ id, eventTypes: ["case.created", "refund.succeeded"] }]);
    expect(JSON.stringify(list.body)).not.toContain("whsec_");
    expect((await call("admin", "GET", "/webhooks/event-types")).body.items).toContain("refund.failed");
  });

  it("refuses what is not an http(s) URL or a known event type, and changes nothing", async () => {
    for (const url of ["ftp://example.com/x", "javascript:alert(1)", "file:///etc/passwd", "not a url"]) {
      const r = await call("admin", "POST", "/webhooks", { url });
      expect(r).toMatchObject({ status: 422, body: { code: "WEBHOOK_URL_INVALID" } });
      expect(r.type).toMatch(/application\/problem\+json/);
    }
    const unknown = await call("admin", "POST", "/webhooks", {
      url: receiver.url("/x"),
      eventTypes: ["case.created", "case.exploded"],
    });
    expect(unknown).toMatchObject({ status: 422, body: { code: "WEBHOOK_EVENT_TYPE_UNKNOWN" } });
    const patched = await call("admin", "PATCH", `/webhooks/${id}`, { url: "gopher://x" });
    expect(patched.body.code).toBe("WEBHOOK_URL_INVALID");
    expect((await call("admin", "GET", "/webhooks")).body.items).toMatchObject([
      { id, url: receiver.url("/api-hook") },
    ]);
  });

  it("lets a supervisor read, and no role without the permission read or write", async () => {
    expect((await call("supervisor", "GET", "/webhooks")).status).toBe(200);
    expect((await call("supervisor", "GET", `/webhooks/${id}/deliveries`)).status).toBe(200);
    const write = await call("supervisor", "POST", "/webhooks", { url: receiver.url("/s") });
    expect(write).toMatchObject({ status: 403, body: { code: "FORBIDDEN" } });
    expect((await call("reviewer", "GET", "/webhooks")).status).toBe(403);
    expect((await call("reviewer", "POST", `/webhooks/${id}/test`)).status).toBe(403);
    expect((await call("admin", "GET", "/webhooks")).body.items).toHaveLength(1);
  });

  it("sends a signed test event, lists the delivery, and replays it with the same id", async () => {
    const queued = await call("admin", "POST", `/webhooks/${id}/test`);
    expect(queued).toMatchObject({ status: 202, body: { eventType: "webhook.test", status: "pending" } });
    await send();
    const [got] = receiver.at("/api-hook");
    expect(got?.json).toMatchObject({ type: "webhook.test", data: { endpointId: id } });
    expect(verifies(got as never, secret)).toBe(true);
    const page = await call("admin", "GET", `/webhooks/${id}/deliveries?limit=1`);
    expect(page.body).toMatchObject({
      total: 1,
      items: [{ status: "succeeded", attempts: 1, lastStatusCode: 200 }],
    });
    const replay = await call("admin", "POST", `/webhooks/${id}/deliveries/${queued.body.id}/replay`);
    expect(replay.status).toBe(202);
    await send();
    const both = receiver.at("/api-hook");
    expect(both.map((r) => r.headers["webhook-id"])).toEqual([queued.body.messageId, queued.body.messageId]);
    const missing = await call("admin", "POST", `/webhooks/${id}/deliveries/999999/replay`);
    expect(missing).toMatchObject({ status: 404, body: { code: "WEBHOOK_DELIVERY_NOT_FOUND" } });
  });

  it("rotates the secret: the new one signs from then on", async () => {
    const rotated = await call("admin", "POST", `/webhooks/${id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(secret);
    await call("admin", "POST", `/webhooks/${id}/test`);
    await send();
    const last = receiver.at("/api-hook").at(-1);
    expect(verifies(last as never, rotated.body.secret)).toBe(true);
    expect(verifies(last as never, secret)).toBe(false);
    secret = rotated.body.secret;
  });

  it("pages deliveries on the server", async () => {
    const all = await call("admin", "GET", `/webhooks/${id}/deliveries`);
    expect(all.body.total).toBe(2);
    const second = await call("admin", "GET", `/webhooks/${id}/deliveries?offset=1&limit=1`);
    expect(second.body).toMatchObject({ total: 2, items: [{ id: all.body.items[1].id }] });
  });

  it("disables and enables an endpoint; a disabled one takes no test", async () => {
    const off = await call("admin", "PATCH", `/webhooks/${id}`, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, disabledReason: "disabled by user:admin" });
    const refused = await call("admin", "POST", `/webhooks/${id}/test`);
    expect(refused).toMatchObject({ status: 409, body: { code: "WEBHOOK_ENDPOINT_DISABLED" } });
    const on = await call("admin", "PATCH", `/webhooks/${id}`, { enabled: true, eventTypes: [] });
    expect(on.body).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null, eventTypes: [] });
  });

  it("keeps a shop-limited admin to endpoints within its shops", async () => {
    const mine = await call("tmallAdmin", "POST", "/webhooks", { url: receiver.url("/tmall") });
    expect(mine).toMatchObject({ status: 201, body: { shops: ["tmall-1"] } });
    const wider = await call("tmallAdmin", "POST", "/webhooks", { url: receiver.url("/x"), shops: null });
    expect(wider).toMatchObject({ status: 403, body: { code: "WEBHOOK_SHOPS_FORBIDDEN" } });
    const other = await call("tmallAdmin", "POST", "/webhooks", { url: receiver.url("/x"), shops: ["jd-1"] });
    expect(other.body.code).toBe("WEBHOOK_SHOPS_FORBIDDEN");
    expect(
      (await call("tmallAdmin", "GET", "/webhooks")).body.items.map((e: { id: number }) => e.id),
    ).toEqual([mine.body.id]);
    // The all-shops endpoint answers as one that does not exist.
    const hidden = await call("tmallAdmin", "DELETE", `/webhooks/${id}`);
    expect(hidden).toMatchObject({ status: 404, body: { code: "WEBHOOK_NOT_FOUND" } });
  });

  it("logs who added, changed, re-keyed and deleted a subscription, never its secret", async () => {
    const made = await call("admin", "POST", "/webhooks", { url: receiver.url("/audited") });
    await call("admin", "PATCH", `/webhooks/${made.body.id}`, { description: "ERP 2" });
    await call("admin", "POST", `/webhooks/${made.body.id}/secret`);
    await call("admin", "DELETE", `/webhooks/${made.body.id}`);
    const log = await call("admin", "GET", `/audit-log?subject=${made.body.id}`);
    const mine = (log.body.items as { action: string; actor: string; subject: string; after: unknown }[])
      .filter((e) => e.action.startsWith("webhook."))
      .reverse();
    expect(mine.map((e) => [e.action, e.actor])).toEqual([
      ["webhook.create", "user:admin"],
      ["webhook.update", "user:admin"],
      ["webhook.rotate_secret", "user:admin"],
      ["webhook.delete", "user:admin"],
    ]);
    expect(mine[1]?.after).toMatchObject({ description: "ERP 2", url: receiver.url("/audited") });
    expect(JSON.stringify(log.body)).not.toContain("whsec_");
  });

  it("deletes an endpoint with its deliveries", async () => {
    expect((await call("admin", "DELETE", `/webhooks/${id}`)).status).toBe(200);
    expect((await call("admin", "GET", `/webhooks/${id}/deliveries`)).status).toBe(404);
    const count = await env.ctx.db
      .selectFrom("webhook_deliveries")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("endpoint_id", "=", id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
});
