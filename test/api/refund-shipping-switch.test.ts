import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { wechatPayChannel } from "../../src/channels/payments/wechat-pay/adapter.ts";
import {
  startWechatPaySimulator,
  type WechatPaySimulator,
} from "../../src/channels/payments/wechat-pay/simulator.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder, snapshot } from "../support/fixtures.ts";

/**
 * Finding 15 of issue 10, over HTTP with the WeChat Pay simulator: part of the shipping fee refunded
 * (capped by what is left of it), and a refund WeChat Pay refused for good paid by bank transfer instead —
 * once, never on top of a refund whose money may still arrive.
 */

let env: TestEnv;
let sim: WechatPaySimulator;
let ctx: FlowContext;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 10_000 });
  sim = await startWechatPaySimulator({ notifyTimeScale: 1000 });
  ctx = { ...env.ctx };
  app = await buildServer({ ctx, dbKind: env.store.kind });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  const wechat = wechatPayChannel({
    ...sim.merchantConfig,
    notifyUrl: `http://127.0.0.1:${port}/api/v1/callbacks/payments/wechat_pay`,
    timeoutMs: 5_000,
  });
  // The server holds this same object: the registry is set once the notify address is known.
  ctx.payments = createPaymentRegistry(
    { wechat_pay: wechat, bank_transfer: offlineChannel("bank_transfer"), wallet: offlineChannel("wallet") },
    env.ctx.payments.get("sandbox"),
  );
  await addShop(ctx, "tmall-1", "tmall");
  for (const role of ["admin", "reviewer", "finance", "cs_agent"])
    tokens[role] = (await createToken(ctx.db, { name: role, role })).token;
});
afterEach(async () => {
  sim.faults({ accountAbnormalNext: 0, abnormalNext: 0, timeoutNext: 0, processingFor: 0 });
  await sim.notificationsIdle();
});
afterAll(async () => {
  await app.close();
  await sim.close();
  await env.close();
});

async function call(who: string, method: "GET" | "POST", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

let n = 0;
/** 3 × 40.00 + 12.00 shipping = 132.00, paid with WeChat Pay. */
async function wechatOrder() {
  const tx = `4200009${String(Date.now()).slice(-9)}${String(++n).padStart(4, "0")}`;
  const res = await call(
    "admin",
    "POST",
    "/orders",
    sampleOrder({
      lines: [{ externalId: "L1", sku: "MUG-01", title: "马克杯", quantity: 3, unitPrice: "40.00" }],
      discounts: [],
      shippingFee: "12.00",
      payments: [{ tender: "wechat_pay", amount: "132.00", transactionId: tx }],
    }),
  );
  expect(res.status).toBe(201);
  const lines = (await call("admin", "GET", `/orders/${res.body.id}`)).body.lines as { id: number }[];
  return { orderId: res.body.id as number, lineId: (lines[0] as { id: number }).id, tx };
}

/** An approved refund_only case for `quantity` mugs (buyer's remorse: no shipping unless asked for). */
async function approvedCase(o: { orderId: number; lineId: number }, quantity = 1) {
  const c = await call("cs_agent", "POST", "/cases", {
    orderId: o.orderId,
    type: "refund_only",
    reason: "changed_mind",
    source: "chat",
    items: [{ lineId: o.lineId, quantity }],
  });
  expect(c.status).toBe(201);
  expect((await call("reviewer", "POST", `/cases/${c.body.id}/approve`, {})).status).toBe(200);
  return c.body.id as number;
}

const ledgerOf = (caseId: number) =>
  ctx.db
    .selectFrom("ledger_entries")
    .select(["kind", "tender", "amount", "refund_id"])
    .where("case_id", "=", caseId)
    .orderBy("id")
    .execute();

/** The case once the outbox has heard the channel's answer. */
async function settled(caseId: number) {
  await drainOutbox(2);
  return (await call("finance", "GET", `/cases/${caseId}`)).body;
}

async function drainOutbox(rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    env.clock.advance(30 * 60_000);
    await dispatchOnce(ctx);
  }
}

describe("part of the shipping fee (部分退运费)", () => {
  it("refunds one unit with 4.00 of shipping, refuses 9.00 more when only 8.00 is left, then takes the 8.00", async () => {
    const o = await wechatOrder();
    const first = await approvedCase(o);
    const quote = await call("reviewer", "POST", "/refund-quotes", {
      orderId: o.orderId,
      items: [{ lineId: o.lineId, quantity: 1 }],
      reason: "changed_mind",
      shipping: "4.00",
    });
    expect(quote.body).toMatchObject({ total: "44.00", goods: "40.00", shipping: "4.00" });
    const granted = await call("finance", "POST", `/cases/${first}/grant-refund`, { shipping: "4.00" });
    expect(granted.status).toBe(200);
    const detail = await settled(first);
    expect(detail).toMatchObject({ status: "refunded" });
    expect(detail.refunds).toMatchObject([
      { amount: "44.00", goods: "40.00", shipping: "4.00", status: "succeeded" },
    ]);
    // The books: the goods and the shipping each posted as what they are.
    expect((await ledgerOf(first)).map((e) => [e.kind, Number(e.amount)])).toEqual(
      expect.arrayContaining([
        ["refund_goods", 4000],
        ["refund_shipping", 400],
      ]),
    );

    const second = await approvedCase(o);
    const before = await snapshot(ctx);
    const tooMuch = await call("finance", "POST", `/cases/${second}/grant-refund`, { shipping: "9.00" });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({
      code: "SHIPPING_EXCEEDS_REFUNDABLE",
      details: { refundable: "8.00", requested: "9.00", currency: "CNY" },
    });
    expect(await snapshot(ctx)).toEqual(before);
    const quoted = await call("reviewer", "POST", "/refund-quotes", {
      orderId: o.orderId,
      items: [{ lineId: o.lineId, quantity: 1 }],
      reason: "changed_mind",
      shipping: "9.00",
    });
    expect(quoted.body).toMatchObject({
      code: "SHIPPING_EXCEEDS_REFUNDABLE",
      details: { refundable: "8.00" },
    });

    const rest = await call("finance", "POST", `/cases/${second}/grant-refund`, { shipping: "8.00" });
    expect(rest.status).toBe(200);
    expect(await settled(second)).toMatchObject({
      status: "refunded",
      refunds: [{ amount: "48.00", shipping: "8.00", status: "succeeded" }],
    });
    // Nothing of the shipping is left: even 0.01 more is refused, and the order shows what went back.
    const third = await approvedCase(o);
    expect(
      (await call("finance", "POST", `/cases/${third}/grant-refund`, { shipping: "0.01" })).body.code,
    ).toBe("SHIPPING_EXCEEDS_REFUNDABLE");
    expect((await call("admin", "GET", `/orders/${o.orderId}`)).body.refundedTotal).toBe("92.00");
  });
});

describe("a refund refused for good goes by bank transfer instead (改线下退款)", () => {
  it("switches the failed leg: new key, same amount, the old leg replaced, paid once when finance records it", async () => {
    const o = await wechatOrder();
    const id = await approvedCase(o);
    sim.faults({ accountAbnormalNext: 1 });
    const granted = await call("finance", "POST", `/cases/${id}/grant-refund`, {});
    expect(granted.status).toBe(200);
    const failedId = granted.body.refund.refundId as number;
    // WeChat Pay refused it for good (a loaded machine may need the outbox to hear the answer).
    expect(await settled(id)).toMatchObject({ status: "refund_failed", refunds: [{ status: "failed" }] });
    expect((await settled(id)).refunds[0].lastError).toMatch(/^USER_ACCOUNT_ABNORMAL: /);

    const switched = await call("finance", "POST", `/refunds/${failedId}/switch-to-offline`, {
      tender: "bank_transfer",
      note: "买家提供了新的银行卡",
    });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ id, status: "refunding", refund: { status: "processing" } });
    const newId = switched.body.refund.refundId as number;
    const detail = (await call("finance", "GET", `/cases/${id}`)).body;
    const [old, leg] = detail.refunds as {
      id: number;
      amount: string;
      channel: string;
      idempotencyKey: string;
    }[];
    expect(old).toMatchObject({ id: failedId, status: "failed", channel: "wechat_pay", amount: "40.00" });
    expect(leg).toMatchObject({ id: newId, status: "processing", channel: "bank_transfer", amount: "40.00" });
    expect(leg?.idempotencyKey).not.toBe(old?.idempotencyKey);
    const switchEvent = (
      detail.timeline as { action: string; note: string; data: Record<string, unknown> }[]
    ).at(-1);
    expect(switchEvent).toMatchObject({
      action: "grant_refund",
      note: "买家提供了新的银行卡",
      data: { switched: { refundId: failedId, tender: "bank_transfer" } },
    });

    // The failed leg can be neither switched again nor sent; the case cannot be granted on top.
    const again = await call("finance", "POST", `/refunds/${failedId}/switch-to-offline`, {
      tender: "wallet",
      note: "再试一次",
    });
    expect(again).toMatchObject({ status: 409, body: { code: "REFUND_ALREADY_REPLACED" } });
    expect((await call("finance", "POST", `/cases/${id}/grant-refund`, {})).body.code).toBe(
      "INVALID_TRANSITION",
    );
    await drainOutbox();
    expect(sim.refunds().filter((r) => r.transaction_id === o.tx && r.status !== "CLOSED")).toHaveLength(0);

    // Finance pays and records the transfer: the case is refunded, the books hold it once, with no WeChat fee.
    const paid = await call("finance", "POST", `/refunds/${newId}/offline-settlement`, {
      reference: "BANK-0001",
    });
    expect(paid.body).toMatchObject({ status: "succeeded", caseStatus: "refunded" });
    const entries = await ledgerOf(id);
    expect(entries.filter((e) => e.kind === "refund_goods")).toEqual([
      { kind: "refund_goods", tender: "bank_transfer", amount: 4000, refund_id: newId },
    ]);
    expect(entries.filter((e) => e.refund_id === failedId)).toEqual([]);
    expect((await call("admin", "GET", `/orders/${o.orderId}`)).body.refundedTotal).toBe("40.00");
  });

  it("refuses to switch a refund whose money may still arrive (WeChat ABNORMAL, a timeout): never paid twice", async () => {
    const o = await wechatOrder();
    const id = await approvedCase(o);
    // WeChat took the money but could not pay the buyer yet (退款异常): processing, not failed.
    sim.faults({ abnormalNext: 1 });
    const granted = await call("finance", "POST", `/cases/${id}/grant-refund`, {});
    expect(granted.status).toBe(200);
    const refundId = granted.body.refund.refundId as number;
    expect(await settled(id)).toMatchObject({ status: "refunding", refunds: [{ status: "processing" }] });
    const before = await snapshot(ctx);
    const refused = await call("finance", "POST", `/refunds/${refundId}/switch-to-offline`, {
      tender: "bank_transfer",
      note: "换银行卡",
    });
    expect(refused).toMatchObject({
      status: 409,
      body: { code: "REFUND_NOT_FAILED", details: { status: "processing" } },
    });
    expect(await snapshot(ctx)).toEqual(before);
    // The merchant handles the abnormal refund at WeChat; it arrives, once, and there is nothing left to switch.
    const key = (await call("finance", "GET", `/cases/${id}`)).body.refunds[0].idempotencyKey as string;
    sim.resolveAbnormal(key);
    await drainOutbox();
    await sim.notificationsIdle();
    const after = (await call("finance", "GET", `/cases/${id}`)).body;
    expect(after).toMatchObject({ status: "refunded", refunds: [{ status: "succeeded" }] });
    expect(
      (
        await call("finance", "POST", `/refunds/${refundId}/switch-to-offline`, {
          tender: "wallet",
          note: "x",
        })
      ).body.code,
    ).toBe("REFUND_NOT_FAILED");
    expect((await call("admin", "GET", `/orders/${o.orderId}`)).body.refundedTotal).toBe("40.00");
  });

  it("refuses a tender nobody pays by hand, an unknown refund, and a shop the caller cannot see", async () => {
    const o = await wechatOrder();
    const id = await approvedCase(o);
    sim.faults({ accountAbnormalNext: 1 });
    const refundId = (await call("finance", "POST", `/cases/${id}/grant-refund`, {})).body.refund.refundId;
    await settled(id);
    const bad = await call("finance", "POST", `/refunds/${refundId}/switch-to-offline`, {
      tender: "wechat_pay",
      note: "x",
    });
    expect(bad.status).toBe(400);
    expect(
      (await call("finance", "POST", "/refunds/999999/switch-to-offline", { tender: "wallet", note: "x" }))
        .status,
    ).toBe(404);
    tokens.other = (await createToken(ctx.db, { name: "other", role: "finance", shops: ["jd-1"] })).token;
    expect(
      (await call("other", "POST", `/refunds/${refundId}/switch-to-offline`, { tender: "wallet", note: "x" }))
        .status,
    ).toBe(404);
    expect(
      (
        await call("cs_agent", "POST", `/refunds/${refundId}/switch-to-offline`, {
          tender: "wallet",
          note: "x",
        })
      ).status,
    ).toBe(403);
  });
});
