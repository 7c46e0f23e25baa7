import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { installationId, type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder, snapshot } from "../support/fixtures.ts";

let env: TestEnv;
let INST: string;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  INST = await installationId(env.ctx.db);
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  for (const role of ["admin", "cs_agent", "reviewer", "warehouse", "finance"]) {
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  }
  tokens.jdOnly = (await createToken(env.ctx.db, { name: "jd-agent", role: "admin", shops: ["jd-1"] })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(who: string, method: "GET" | "POST", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {},
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, type: res.headers["content-type"], body: res.json() };
}

async function newCase(over: Record<string, unknown> = {}) {
  const order = await call("admin", "POST", "/orders", sampleOrder());
  const detail = await call("admin", "GET", `/orders/${order.body.id}`);
  const lines = detail.body.lines as { id: number; quantity: number }[];
  const res = await call("cs_agent", "POST", "/cases", {
    orderId: order.body.id,
    type: "return_refund",
    reason: "quality",
    source: "chat",
    items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
    ...over,
  });
  expect(res.status).toBe(201);
  return { orderId: order.body.id as number, caseId: res.body.id as number, lines };
}

describe("HTTP API", () => {
  it("serves health without a token and OpenAPI to any token holder", async () => {
    const health = async () => (await app.inject({ url: "/healthz" })).json();
    const before = await health();
    expect(before).toMatchObject({ ok: true, database: env.store.kind });
    // It counts this process's database calls: a case opened is statements inside a transaction.
    await newCase();
    const after = (await health()).calls;
    expect(after.statements).toBeGreaterThan(before.calls.statements);
    expect(after.roundTrips - before.calls.roundTrips).toBeGreaterThan(
      after.statements - before.calls.statements,
    );
    expect((await app.inject({ url: "/api/docs/json" })).statusCode).toBe(401);
    const doc = (
      await app.inject({ url: "/api/docs/json", headers: { authorization: `Bearer ${tokens.admin}` } })
    ).json();
    expect(doc.openapi).toMatch(/^3/);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/orders",
        "/api/v1/cases",
        "/api/v1/cases/{id}/grant-refund",
        "/api/v1/refund-quotes",
      ]),
    );
  });

  it("takes a return_refund case from request to closed through each role", async () => {
    const { orderId, caseId } = await newCase();
    const steps: [string, string, unknown, string][] = [
      ["reviewer", "approve", {}, "awaiting_return"],
      ["cs_agent", "return-shipment", { carrier: "SF", trackingNo: "SF123" }, "return_in_transit"],
      ["warehouse", "receive", { quantity: 3, condition: "intact" }, "received"],
      ["warehouse", "inspect", { result: "pass" }, "inspected"],
      ["finance", "grant-refund", {}, "refunded"],
      ["reviewer", "close", {}, "closed"],
    ];
    for (const [who, action, body, status] of steps) {
      const res = await call(who, "POST", `/cases/${caseId}/${action}`, body);
      expect(res.status, `${who} ${action}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.status).toBe(status);
    }
    const detail = await call("reviewer", "GET", `/cases/${caseId}`);
    expect(detail.body).toMatchObject({
      status: "closed",
      statusLabel: { zh: "已完结" },
      reasonLabel: { zh: "质量问题" },
      quote: { total: "245.90", shipping: "8.00", wholeOrder: true },
      refunds: [{ amount: "245.90", status: "succeeded", idempotencyKey: `AS${INST}C${caseId}R1` }],
      // Closed: the reviewer may still compensate the customer, or have the rules look again (they only annotate).
      availableActions: ["compensate", "review"],
    });
    expect((detail.body.timeline as { to: string }[]).map((e) => e.to)).toEqual([
      "requested",
      "awaiting_return",
      "return_in_transit",
      "received",
      "inspected",
      "refunding",
      "refunded",
      "closed",
    ]);
    const order = await call("finance", "GET", `/orders/${orderId}`);
    expect(order.body).toMatchObject({
      aftersalesStatus: "refunded",
      refundedTotal: "245.90",
      paidTotal: "245.90",
    });
  });

  it("lets each role do only its own actions", async () => {
    const { caseId } = await newCase();
    const denied: [string, string, unknown][] = [
      ["warehouse", "approve", {}],
      ["cs_agent", "approve", {}],
      ["finance", "receive", { quantity: 1, condition: "intact" }],
      ["reviewer", "inspect", { result: "pass" }],
    ];
    for (const [who, action, body] of denied) {
      const res = await call(who, "POST", `/cases/${caseId}/${action}`, body);
      expect(res.status).toBe(403);
      expect(res.type).toContain("application/problem+json");
      expect(res.body.code).toBe("FORBIDDEN");
    }
    expect((await call("warehouse", "POST", "/orders", sampleOrder())).body.code).toBe("FORBIDDEN");
    expect((await call("nobody", "GET", "/cases")).status).toBe(401);
    const bad = await app.inject({ url: "/api/v1/cases", headers: { authorization: "Bearer as_nope" } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe("UNAUTHENTICATED");
  });

  it("keeps a shop-limited token to its shops", async () => {
    const { orderId, caseId } = await newCase();
    expect((await call("jdOnly", "GET", `/cases/${caseId}`)).status).toBe(404);
    expect((await call("jdOnly", "GET", `/orders/${orderId}`)).status).toBe(404);
    expect((await call("jdOnly", "POST", `/cases/${caseId}/approve`, {})).status).toBe(404);
    expect((await call("jdOnly", "POST", "/orders", sampleOrder())).body.code).toBe("SHOP_FORBIDDEN");
    const jdOrder = await call("jdOnly", "POST", "/orders", sampleOrder({ shop: "jd-1" }));
    expect(jdOrder.status).toBe(201);
    const list = await call("jdOnly", "GET", "/cases?limit=200");
    expect((list.body.items as { shop: string }[]).every((c) => c.shop === "jd-1")).toBe(true);
    expect(((await call("jdOnly", "GET", "/shops")).body.items as { id: string }[]).map((s) => s.id)).toEqual(
      ["jd-1"],
    );
  });

  it("answers bad input with a problem and a stable code, and changes nothing", async () => {
    const { orderId, caseId, lines } = await newCase();
    const lineId = lines[0]?.id;
    const bad: [string, "POST", string, unknown, number, string][] = [
      [
        "admin",
        "POST",
        "/orders",
        sampleOrder({ lines: [{ sku: "X", quantity: 1, unitPrice: "1.234" }] }),
        400,
        "AMOUNT_PRECISION",
      ],
      [
        "admin",
        "POST",
        "/orders",
        sampleOrder({ lines: [{ sku: "X", quantity: 1, unitPrice: "-1.00" }] }),
        400,
        "NEGATIVE_AMOUNT",
      ],
      [
        "admin",
        "POST",
        "/orders",
        sampleOrder({ lines: [{ sku: "X", quantity: 1, unitPrice: "abc" }] }),
        400,
        "INVALID_AMOUNT",
      ],
      [
        "admin",
        "POST",
        "/orders",
        sampleOrder({ lines: [{ sku: "X", quantity: 0, unitPrice: "1.00" }] }),
        400,
        "INVALID_QUANTITY",
      ],
      ["admin", "POST", "/orders", sampleOrder({ currency: "XXX" }), 400, "UNKNOWN_CURRENCY"],
      ["admin", "POST", "/orders", sampleOrder({ shop: "nope" }), 422, "SHOP_NOT_FOUND"],
      [
        "admin",
        "POST",
        "/orders",
        sampleOrder({ payments: [{ tender: "alipay", amount: "1.00" }] }),
        400,
        "PAYMENT_MISMATCH",
      ],
      ["admin", "POST", "/orders", { shop: "tmall-1" }, 400, "VALIDATION_ERROR"],
      [
        "admin",
        "POST",
        "/cases",
        { orderId: 999999, type: "refund_only", reason: "quality", items: [{ lineId, quantity: 1 }] },
        404,
        "ORDER_NOT_FOUND",
      ],
      [
        "admin",
        "POST",
        "/cases",
        { orderId, type: "refund_only", reason: "quality", items: [{ lineId, quantity: 1 }] },
        422,
        "QUANTITY_EXCEEDS_RETURNABLE",
      ],
      [
        "admin",
        "POST",
        "/cases",
        { orderId, type: "refund_only", reason: "bored", items: [{ lineId, quantity: 1 }] },
        400,
        "VALIDATION_ERROR",
      ],
      [
        "admin",
        "POST",
        `/cases/${caseId}/receive`,
        { quantity: 1, condition: "intact" },
        409,
        "INVALID_TRANSITION",
      ],
      ["admin", "POST", `/cases/${caseId}/grant-refund`, {}, 409, "INVALID_TRANSITION"],
      ["admin", "POST", `/cases/${caseId}/approve`, { expectedVersion: 99 }, 409, "VERSION_CONFLICT"],
      ["admin", "POST", `/cases/${caseId}/reject`, {}, 400, "VALIDATION_ERROR"],
      ["admin", "POST", "/cases/424242/approve", {}, 404, "CASE_NOT_FOUND"],
      [
        "admin",
        "POST",
        "/refund-quotes",
        { orderId, items: [{ lineId, quantity: 1 }], reason: "quality", amount: "9999.00" },
        422,
        "REFUND_ABOVE_CAP",
      ],
      [
        "admin",
        "POST",
        "/refund-quotes",
        { orderId, items: [{ lineId, quantity: 1 }], reason: "quality", amount: "1.001" },
        400,
        "AMOUNT_PRECISION",
      ],
    ];
    const before = await snapshot(env.ctx);
    for (const [who, method, url, body, status, code] of bad) {
      const res = await call(who, method, url, body);
      expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status, code });
      expect(res.type).toContain("application/problem+json");
      expect(typeof res.body.detail).toBe("string");
    }
    expect(await snapshot(env.ctx)).toEqual(before);
  });

  it("refunds above the cap are refused and nothing moves", async () => {
    const { caseId } = await newCase({ type: "refund_only" });
    await call("reviewer", "POST", `/cases/${caseId}/approve`, {});
    const before = await snapshot(env.ctx);
    const sent = env.sim.refunds().length;
    const res = await call("reviewer", "POST", `/cases/${caseId}/grant-refund`, { amount: "1000.00" });
    expect(res.status).toBe(422);
    // What a person reads: decimal strings in the order's currency, never fen.
    expect(res.body).toMatchObject({
      code: "REFUND_ABOVE_CAP",
      details: { cap: "245.90", requested: "1000.00", currency: "CNY" },
    });
    expect(await snapshot(env.ctx)).toEqual(before);
    expect(env.sim.refunds().length).toBe(sent);
    const ok = await call("reviewer", "POST", `/cases/${caseId}/grant-refund`, { amount: "100.00" });
    expect(ok.body).toMatchObject({ status: "refunded", refund: { status: "succeeded" } });
  });

  it("quotes a refund without creating anything", async () => {
    const order = await call("admin", "POST", "/orders", sampleOrder());
    const orderId = order.body.id as number;
    const lines = (await call("admin", "GET", `/orders/${orderId}`)).body.lines as { id: number }[];
    const before = await snapshot(env.ctx);
    const q = await call("reviewer", "POST", "/refund-quotes", {
      orderId,
      items: [{ lineId: lines[1]?.id, quantity: 1 }],
      reason: "changed_mind",
      deductions: [{ kind: "restocking_fee", amount: "5.00" }],
    });
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({
      cap: "55.25",
      total: "50.25",
      shipping: "0.00",
      deductions: [{ kind: "restocking_fee", amount: "5.00" }],
    });
    expect(await snapshot(env.ctx)).toEqual(before);
  });

  it("is idempotent: the same order twice is unchanged, the same platform case twice is the same case", async () => {
    const input = sampleOrder();
    expect((await call("admin", "POST", "/orders", input)).body.outcome).toBe("created");
    const second = await call("admin", "POST", "/orders", input);
    expect(second).toMatchObject({ status: 200, body: { outcome: "unchanged" } });
    const changed = await call("admin", "POST", "/orders", { ...input, customer: { id: "cust-9" } });
    expect(changed.body.outcome).toBe("updated");
    const d = await call("admin", "GET", `/orders?shop=tmall-1&externalId=${input.externalId}`);
    const lineId = (d.body.items as { lines: { id: number }[] }[])[0]?.lines[0]?.id;
    const body = {
      shop: "tmall-1",
      externalOrderId: input.externalId,
      externalId: "TB-RF-1",
      type: "refund_only",
      reason: "quality",
      items: [{ lineId, quantity: 1 }],
    };
    const a = await call("admin", "POST", "/cases", body);
    const b = await call("admin", "POST", "/cases", body);
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
  });

  it("lists cases newest first with filters and a cursor", async () => {
    const page1 = await call("admin", "GET", "/cases?limit=2");
    expect(page1.body.items).toHaveLength(2);
    const page2 = await call("admin", "GET", `/cases?limit=2&cursor=${page1.body.nextCursor}`);
    const ids = [...(page1.body.items as { id: number }[]), ...(page2.body.items as { id: number }[])].map(
      (c) => c.id,
    );
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(ids.length);
    const closed = await call("admin", "GET", "/cases?status=closed&type=return_refund");
    expect((closed.body.items as { status: string }[]).length).toBeGreaterThan(0);
    expect(
      (closed.body.items as { status: string; type: string }[]).every(
        (c) => c.status === "closed" && c.type === "return_refund",
      ),
    ).toBe(true);
    const future = await call("admin", "GET", "/cases?from=2030-01-01T00:00:00Z");
    expect(future.body.items).toEqual([]);
  });
});
