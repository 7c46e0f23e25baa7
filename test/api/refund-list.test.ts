import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * Finance's refund list (GET /refunds): each leg with its case and grant, its last error in the caller's
 * language and what can be done to it now — a refused leg sent again or switched to a bank transfer, the
 * transfer waiting for finance and then settled with its reference — filtered, searched, paged on the
 * server, and only the caller's shops.
 */

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 10_000 });
  env.ctx.payments = createPaymentRegistry(
    { bank_transfer: offlineChannel("bank_transfer"), wallet: offlineChannel("wallet") },
    env.ctx.payments.get("sandbox"),
  );
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  for (const role of ["admin", "finance", "warehouse"])
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  tokens.jdFinance = (await createToken(env.ctx.db, { name: "jd", role: "finance", shops: ["jd-1"] })).token;
});
afterAll(async () => {
  await app?.close();
  await env?.close();
});

async function call(
  who: string,
  method: "GET" | "POST",
  url: string,
  payload?: unknown,
  lang?: string,
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
): Promise<any> {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(lang ? { "accept-language": lang } : {}) },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

/** An approved refund_only case for one T-shirt in `shop`, its refund granted (declined by the channel when asked). */
async function granted(shop: string, opts: { decline?: boolean } = {}) {
  const input = sampleOrder({ shop });
  const o = await call("admin", "POST", "/orders", input);
  expect(o.status).toBe(201);
  const lines = (await call("admin", "GET", `/orders/${o.body.id}`)).body.lines as { id: number }[];
  const c = await call("admin", "POST", "/cases", {
    orderId: o.body.id,
    type: "refund_only",
    reason: "quality",
    items: [{ lineId: lines[0]?.id, quantity: 1 }],
  });
  expect(c.status).toBe(201);
  await call("admin", "POST", `/cases/${c.body.id}/approve`, {});
  if (opts.decline) env.sim.faults({ declineNext: 1 });
  const g = await call("finance", "POST", `/cases/${c.body.id}/grant-refund`, {});
  expect(g.status).toBe(200);
  return { caseId: c.body.id as number, order: input.externalId };
}

const legsOf = async (caseId: number, who = "finance") =>
  (await call(who, "GET", `/refunds?q=${caseId}`)).body.items as {
    id: number;
    status: string;
    channel: string;
    actions: string[];
    replacedBy: number | null;
    channelRefundId: string | null;
    byHand: boolean;
    lastError: { code: string; message: string } | null;
  }[];

describe("the refund list", () => {
  it("says what went wrong with a refused leg and offers to send it again or switch it; the switch waits for finance's transfer, which settles it with its reference", async () => {
    const { caseId } = await granted("tmall-1", { decline: true });
    const [failed] = await legsOf(caseId);
    expect(failed).toMatchObject({ status: "failed", actions: ["resend", "switch"], byHand: false });
    expect(failed?.lastError?.code).toBeTruthy();
    const needs = (await call("finance", "GET", "/refunds?awaiting=action")).body;
    expect(needs.items.map((r: { id: number }) => r.id)).toContain(failed?.id);

    const sw = await call("finance", "POST", `/refunds/${failed?.id}/switch-to-offline`, {
      tender: "bank_transfer",
      note: "顾客提供了银行卡",
    });
    expect(sw.status).toBe(200);
    const [transfer, old] = await legsOf(caseId);
    expect(old).toMatchObject({ id: failed?.id, replacedBy: transfer?.id, actions: [] });
    expect(transfer).toMatchObject({ channel: "bank_transfer", byHand: true, actions: ["settle"] });
    const waiting = (await call("finance", "GET", "/refunds?awaiting=transfer")).body;
    expect(waiting.items.map((r: { id: number }) => r.id)).toEqual([transfer?.id]);
    expect(waiting.total).toBe(1);

    const paid = await call("finance", "POST", `/refunds/${transfer?.id}/offline-settlement`, {
      reference: "ICBC-20261101-0042",
    });
    expect(paid.status).toBe(200);
    const [settled] = await legsOf(caseId);
    expect(settled).toMatchObject({
      status: "succeeded",
      channelRefundId: "ICBC-20261101-0042",
      actions: [],
    });
    expect((await call("finance", "GET", "/refunds?awaiting=transfer")).body.total).toBe(0);
  });

  it("sends a refused leg again through its channel when asked, and the old leg points at the new one", async () => {
    const { caseId } = await granted("tmall-1", { decline: true });
    const [failed] = await legsOf(caseId);
    const again = await call("finance", "POST", `/cases/${caseId}/grant-refund`, {});
    expect(again.status).toBe(200);
    const [fresh, old] = await legsOf(caseId);
    expect(fresh).toMatchObject({ status: "succeeded", actions: [] });
    expect(old?.id).toBe(failed?.id);
    expect(old?.actions).toEqual([]);
  });

  it("filters, searches and pages on the server, shows only the caller's shops, and refuses a filter it does not know in the caller's language", async () => {
    const jd = await granted("jd-1");
    const page = (await call("finance", "GET", "/refunds?status=succeeded&limit=1")).body;
    expect(page.items).toHaveLength(1);
    expect(page.total).toBeGreaterThan(1);
    const next = (await call("finance", "GET", "/refunds?status=succeeded&limit=1&offset=1")).body;
    expect(next.items[0].id).toBeLessThan(page.items[0].id);
    expect((await call("finance", "GET", `/refunds?q=${jd.order}`)).body.items).toMatchObject([
      { caseId: jd.caseId, shop: "jd-1", orderExternalId: jd.order },
    ]);
    const mine = (await call("jdFinance", "GET", "/refunds")).body;
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((r: { shop: string }) => r.shop === "jd-1")).toBe(true);
    expect((await call("jdFinance", "GET", "/refunds?shop=tmall-1")).body.total).toBe(0);

    const bad = await call("finance", "GET", "/refunds?status=lost", undefined, "zh-CN");
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("INVALID_FILTER");
    expect(bad.body.detail).toContain("lost");
    expect((await call("warehouse", "GET", "/refunds")).status).toBe(403);
  });
});
