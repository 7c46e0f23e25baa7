import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder, snapshot } from "../support/fixtures.ts";

/** The edges of the API: what a typo, a hostile value or a wrong type gets back, and that it changes nothing. */
let env: TestEnv;
let app: App;
let admin: string;

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  admin = (await createToken(env.ctx.db, { name: "admin", role: "admin" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: method as "GET",
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${admin}`, ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  const json = res.headers["content-type"]?.includes("json") ? res.json() : undefined;
  return { status: res.statusCode, type: res.headers["content-type"], body: json };
}

async function approvedCase() {
  const order = await call("POST", "/orders", sampleOrder());
  const detail = await call("GET", `/orders/${order.body.id}`);
  const lines = detail.body.lines as { id: number; quantity: number }[];
  const c = await call("POST", "/cases", {
    orderId: order.body.id,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
  });
  expect(c.status).toBe(201);
  const ok = await call("POST", `/cases/${c.body.id}/approve`, {});
  expect(ok.status).toBe(200);
  return { caseId: c.body.id as number, orderId: order.body.id as number };
}

/** A refusal: problem+json with the code, and the database exactly as before. */
async function refused(
  req: () => Promise<{ status: number; type?: string; body: Record<string, unknown> }>,
  status: number,
  code: string,
) {
  const before = await snapshot(env.ctx);
  const res = await req();
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.type).toContain("application/problem+json");
  expect(await snapshot(env.ctx)).toEqual(before);
  return res.body;
}

describe("a typo or a wrong type is refused, never guessed", () => {
  it("refuses an unknown field in a grant instead of refunding the full amount", async () => {
    const { caseId } = await approvedCase();
    const body = await refused(
      () => call("POST", `/cases/${caseId}/grant-refund`, { amout: "1.00" }),
      400,
      "UNKNOWN_FIELD",
    );
    expect(body.field).toBe("amout");
    expect((await call("GET", `/cases/${caseId}`)).body.status).toBe("approved");
  });

  it("refuses a JSON number where an amount is a decimal string", async () => {
    const { caseId } = await approvedCase();
    const body = await refused(
      () => call("POST", `/cases/${caseId}/grant-refund`, { amount: 1.5 }),
      400,
      "VALIDATION_ERROR",
    );
    expect(body.field).toBe("amount");
  });

  it("refuses an unknown filter instead of listing everything", async () => {
    const body = await refused(() => call("GET", "/cases?source=platform"), 400, "UNKNOWN_FIELD");
    expect(body).toMatchObject({ in: "querystring", field: "source" });
    await refused(() => call("POST", "/alerts/quality-scan?shop=x", {}), 400, "UNKNOWN_FIELD");
  });

  it("refuses a body on an action that takes none", async () => {
    await refused(() => call("POST", "/alerts/quality-scan", { everything: true }), 400, "UNKNOWN_FIELD");
  });

  it("keeps a null as null: a token for every shop is not a token for the shop named ''", async () => {
    const res = await call("POST", "/tokens", { name: "all", role: "reviewer", shops: null });
    expect(res.status).toBe(201);
    expect(res.body.shops).toBeNull();
    await refused(
      () => call("POST", "/tokens", { name: "x", role: "reviewer", shops: "tmall-1" }),
      400,
      "VALIDATION_ERROR",
    );
  });
});

describe("values the database cannot hold are a 400, not a 500", () => {
  it("answers integers too big for an id with a validation error", async () => {
    await refused(() => call("GET", "/orders/99999999999999999999"), 400, "VALIDATION_ERROR");
    await refused(() => call("GET", "/cases?cursor=99999999999999999999"), 400, "VALIDATION_ERROR");
    await refused(
      () => call("POST", "/refund-quotes", { orderId: "1e309", items: [] }),
      400,
      "VALIDATION_ERROR",
    );
    await refused(
      () => call("POST", "/refund-quotes", { orderId: 1e300, items: [] }),
      400,
      "VALIDATION_ERROR",
    );
  });

  it("does not read hexadecimal or exponent notation as a number", async () => {
    await refused(() => call("GET", "/orders/0x10"), 400, "VALIDATION_ERROR");
    await refused(() => call("GET", "/orders/1e1"), 400, "VALIDATION_ERROR");
    await refused(() => call("GET", "/cases?limit=%2010"), 400, "VALIDATION_ERROR");
  });

  it("refuses NUL characters and lone surrogates in text", async () => {
    const order = sampleOrder({ externalId: "nul\u0000byte" });
    const body = await refused(() => call("POST", "/orders", order), 400, "INVALID_TEXT");
    expect(body.field).toBe("externalId");
    const raw = JSON.stringify(sampleOrder({ externalId: "X" })).replace('"X"', '"\\ud800"');
    await refused(
      () => call("POST", "/orders", raw, { "content-type": "application/json" }),
      400,
      "INVALID_TEXT",
    );
    await refused(() => call("GET", "/cases?shop=a%00b"), 400, "INVALID_TEXT");
  });

  it("answers an over-long id and a malformed body as problem+json", async () => {
    await refused(() => call("GET", `/orders/${"9".repeat(5000)}`), 414, "URL_TOO_LONG");
    await refused(
      () => call("POST", "/orders", "{", { "content-type": "application/json" }),
      400,
      "INVALID_JSON",
    );
    await refused(
      () => call("POST", "/orders", "x=1", { "content-type": "text/x-unknown" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    const big = JSON.stringify({ ...sampleOrder(), note: "x".repeat(600 * 1024) });
    await refused(
      () => call("POST", "/orders", big, { "content-type": "application/json" }),
      413,
      "BODY_TOO_LARGE",
    );
    await refused(() => call("GET", "/no-such-thing"), 404, "ROUTE_NOT_FOUND");
  });
});

describe("a shop is made of the fields a shop has", () => {
  it("refuses settings and timestamps smuggled into POST /shops, and new cases in it still work", async () => {
    await refused(
      () =>
        call("POST", "/shops", {
          id: "smuggle",
          name: "S",
          channel: "manual",
          review: { autoRefundLimit: "abc", secondApprovalAbove: -5 },
          created_at: "1999-01-01T00:00:00Z",
        }),
      400,
      "UNKNOWN_FIELD",
    );
    expect((await call("POST", "/shops", { id: "plain", name: "P", channel: "manual" })).status).toBe(201);
    const order = await call("POST", "/orders", sampleOrder({ shop: "plain" }));
    expect(order.status).toBe(201);
  });

  it("does not make up settings for a shop that does not exist", async () => {
    await refused(() => call("GET", "/shops/no-such-shop/review-settings"), 422, "SHOP_NOT_FOUND");
  });

  it("takes an empty JSON body where a route takes none, next to a file upload", async () => {
    const res = await call("POST", "/imports/999999/stop", {});
    expect(res.body.code).toBe("IMPORT_NOT_FOUND");
  });

  it("refuses a review limit that is not an amount", async () => {
    await refused(
      () => call("PUT", "/shops/tmall-1/review-settings", { autoRefundLimit: "abc" }),
      400,
      "INVALID_AMOUNT",
    );
    await refused(
      () => call("PUT", "/shops/tmall-1/review-settings", { autoRefundLimit: "-5" }),
      400,
      "NEGATIVE_AMOUNT",
    );
  });
});

describe("general protections", () => {
  it("sends security headers and no CORS unless configured", async () => {
    const res = await app.inject({ url: "/healthz", headers: { origin: "https://evil.example" } });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["content-security-policy"]).toBeTruthy();
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("limits failed authentication per client, and leaves good tokens alone", async () => {
    const limited = await buildServer({
      ctx: env.ctx,
      dbKind: env.store.kind,
      rateLimits: { authFailures: 3 },
    });
    try {
      const bad = () => limited.inject({ url: "/api/v1/cases", headers: { authorization: "Bearer nope" } });
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await bad()).json().code);
      expect(codes).toEqual([
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "RATE_LIMITED",
        "RATE_LIMITED",
      ]);
      const good = await limited.inject({
        url: "/api/v1/cases",
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(good.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("serves the API documentation without a token only when configured", async () => {
    expect((await app.inject({ url: "/api/docs/json" })).statusCode).toBe(401);
    const open = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, publicDocs: true });
    try {
      expect((await open.inject({ url: "/api/docs/json" })).json().openapi).toMatch(/^3/);
    } finally {
      await open.close();
    }
  });
});
