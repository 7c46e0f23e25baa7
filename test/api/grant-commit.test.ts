import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import type { JdSimulator } from "../../src/channels/platforms/jd/simulator.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { settleStaleRefunds } from "../../src/flows/settle-refunds.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { createToken } from "../../src/store/tokens.ts";
import { REVIEWER, sampleOrder, snapshot } from "../support/fixtures.ts";
import { type PlatformTestEnv, simulatedPlatformEnv } from "../support/platforms.ts";

/**
 * Finding 4 of issue 10: a grant is one committed step. What can be known before it (a platform
 * request id the platform cannot have issued) refuses it with nothing changed; what goes wrong after it
 * (the channel refuses, is down, or cannot send) is answered as granted, with the problem stated, and
 * the refund is left to a message that will send or fail it.
 */

let p: PlatformTestEnv<JdSimulator>;
let app: App;
let token: string;

beforeAll(async () => {
  p = await simulatedPlatformEnv<JdSimulator>("jd", { shop: "jd-1" });
  await p.ctx.db.insertInto("shops").values({ id: "tmall-1", name: "tmall-1", channel: "tmall" }).execute();
  token = (await createToken(p.ctx.db, { name: "admin", role: "admin" })).token;
  app = await buildServer({ ctx: p.ctx, dbKind: p.env.store.kind });
});
afterAll(async () => {
  await app.close();
  await p.close();
});

async function call(method: "GET" | "POST", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

/** An approved refund_only case: a JD order whose money the platform holds, or a Tmall order paid by Alipay. */
async function approvedCase(kind: "jd" | "tmall", externalId?: string) {
  const order = await call(
    "POST",
    "/orders",
    sampleOrder(
      kind === "jd"
        ? { shop: "jd-1", payments: [{ tender: "platform", amount: "245.90" }] }
        : { shop: "tmall-1" },
    ),
  );
  expect(order.status).toBe(201);
  const detail = await call("GET", `/orders/${order.body.id}`);
  const c = await call("POST", "/cases", {
    orderId: order.body.id,
    ...(externalId ? { externalId } : {}),
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: detail.body.lines[1].id, quantity: 1 }],
  });
  expect(c.status).toBe(201);
  expect((await call("POST", `/cases/${c.body.id}/approve`, {})).status).toBe(200);
  return c.body.id as number;
}

/**
 * The invariant: a refund not yet settled is never left alone. One still `requested` (nothing known
 * to have reached a channel) has a pending `refund.send` message; one `processing` has one too, or
 * the refund settler asks its channel about it — and then the asking shows (attempts go up).
 */
async function expectEveryOpenRefundCovered(ctx: FlowContext) {
  const open = await ctx.db
    .selectFrom("refunds as r")
    .leftJoin("outbox as o", (j) =>
      j
        .onRef("o.key", "=", "r.idempotency_key")
        .on("o.topic", "=", "refund.send")
        .on("o.status", "=", "pending"),
    )
    .select(["r.id", "r.status", "r.attempts", "o.id as message"])
    .where("r.status", "in", ["requested", "processing"])
    .execute();
  expect(open.filter((r) => r.status === "requested" && r.message === null)).toEqual([]);
  const settlerOnly = open.filter((r) => r.message === null);
  if (settlerOnly.length === 0) return;
  p.env.clock.advance(11 * 60_000);
  await settleStaleRefunds(ctx);
  const after = await ctx.db
    .selectFrom("refunds")
    .select(["id", "status", "attempts"])
    .where(
      "id",
      "in",
      settlerOnly.map((r) => r.id),
    )
    .execute();
  for (const r of after) {
    const before = settlerOnly.find((x) => x.id === r.id);
    expect(r.status !== "processing" || r.attempts > (before?.attempts ?? 0)).toBe(true);
  }
}

async function drainOutbox(rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    p.env.clock.advance(30 * 60_000);
    await dispatchOnce(p.ctx);
  }
}

describe("a grant is answered as what it is", () => {
  it("a platform request id the platform cannot have issued is refused before anything is decided", async () => {
    const id = await approvedCase("jd", "AS123456780001");
    const before = await snapshot(p.ctx);
    const res = await call("POST", `/cases/${id}/grant-refund`, {});
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: "PLATFORM_REF_INVALID" });
    expect(await snapshot(p.ctx)).toEqual(before);
    expect((await call("GET", `/cases/${id}`)).body).toMatchObject({ status: "approved", refunds: [] });
    await expectEveryOpenRefundCovered(p.ctx);
  });

  it("a refund that goes through is answered refunded", async () => {
    const id = await approvedCase("tmall");
    const res = await call("POST", `/cases/${id}/grant-refund`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "refunded", refund: { status: "succeeded" } });
    expect(res.body.refund.error).toBeUndefined();
    await expectEveryOpenRefundCovered(p.ctx);
  });

  it("a channel that refuses the refund: granted, the refund failed, and why", async () => {
    const id = await approvedCase("tmall");
    p.env.sim.faults({ declineNext: 1 });
    const res = await call("POST", `/cases/${id}/grant-refund`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "refund_failed",
      refund: { status: "failed", error: { code: expect.any(String), message: expect.any(String) } },
    });
    await expectEveryOpenRefundCovered(p.ctx);
  });

  it("a platform that does not know the request: granted, the refund failed, and why", async () => {
    const id = await approvedCase("jd", "refundapply:990001");
    const res = await call("POST", `/cases/${id}/grant-refund`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "refund_failed",
      refund: { status: "failed", error: { code: "PLATFORM_REQUEST_NOT_FOUND" } },
    });
    await expectEveryOpenRefundCovered(p.ctx);
  });

  it("a channel that is down: granted, the refund processing with the reason, and the outbox sends it once", async () => {
    const id = await approvedCase("tmall");
    p.env.sim.faults({ failNext: 1 });
    const res = await call("POST", `/cases/${id}/grant-refund`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "refunding",
      refund: { status: "processing", error: { code: "CHANNEL_UNAVAILABLE" } },
    });
    // Said in the caller's language (zh-CN unless asked otherwise), like every problem.
    expect(res.body.refund.error.message).toMatch(/支付渠道/);
    await expectEveryOpenRefundCovered(p.ctx);
    await drainOutbox();
    expect((await call("GET", `/cases/${id}`)).body).toMatchObject({
      status: "refunded",
      refunds: [{ status: "succeeded" }],
    });
  });

  it("a refund decided with a bad platform id (before the check existed) fails clearly when sent, never sits", async () => {
    // A refund such as the one in the report: decided, its platform id one JD cannot have issued.
    const id = await approvedCase("jd", "refundapply:990002");
    const settings = p.ctx.settings;
    const granted = await grantRefund(
      { ...p.ctx, settings: { ...settings, refundSendGraceMs: 0 } },
      REVIEWER,
      id,
    );
    await p.ctx.db.updateTable("cases").set({ external_id: "AS123456780002" }).where("id", "=", id).execute();
    await expectEveryOpenRefundCovered(p.ctx);
    await dispatchOnce(p.ctx);
    const refund = await p.ctx.db
      .selectFrom("refunds")
      .select(["status", "attempts", "last_error"])
      .where("id", "=", granted.refundId)
      .executeTakeFirstOrThrow();
    expect(refund).toMatchObject({ status: "failed", attempts: 1 });
    expect(refund.last_error).toMatch(/^PLATFORM_REF_INVALID: /);
    expect((await call("GET", `/cases/${id}`)).body.status).toBe("refund_failed");
    await expectEveryOpenRefundCovered(p.ctx);
  });

  it("a new case whose automatic review fails is answered created, with the review's problem; the sweep judges it later", async () => {
    // Settings written before they were validated: every review of the installation fails.
    await p.ctx.db
      .insertInto("settings")
      .values({ key: "risk.thresholds", value: JSON.stringify({ weights: 5 }) })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify({ weights: 5 }) }))
      .execute();
    try {
      const order = await call("POST", "/orders", sampleOrder({ shop: "tmall-1" }));
      const detail = await call("GET", `/orders/${order.body.id}`);
      const res = await call("POST", "/cases", {
        orderId: order.body.id,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: detail.body.lines[1].id, quantity: 1 }],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: "requested",
        reviewError: { code: "RISK_THRESHOLDS_INVALID" },
      });
      expect((await call("GET", `/cases/${res.body.id}`)).body.status).toBe("requested");
    } finally {
      await p.ctx.db.deleteFrom("settings").where("key", "=", "risk.thresholds").execute();
    }
  });
});
