import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acknowledgeAlert, scanQuality } from "../../src/flows/alerts.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, REVIEWER, sampleOrder } from "../support/fixtures.ts";

let env: TestEnv;
const DAY = 86_400_000;
const NOW = new Date("2026-11-01T08:00:00Z");
let n = 0;

/** `orders` orders of 10 units of `sku` paid `daysAgo`, the first `claims` of them with a case for `units` units. */
async function sales(
  sku: string,
  category: string,
  daysAgo: number,
  orders: number,
  claims: number,
  units: number,
  reason: "quality" | "not_as_described" | "changed_mind",
) {
  for (let i = 0; i < orders; i++) {
    n++;
    const paidAt = new Date(NOW.getTime() - daysAgo * DAY);
    env.clock.now = paidAt;
    const { id } = await ingestOrder(
      env.ctx,
      sampleOrder({
        externalId: `Q${n}`,
        customer: { id: `q-cust-${n}` },
        paidAt: paidAt.toISOString(),
        lines: [{ externalId: "L1", sku, title: sku, category, quantity: 10, unitPrice: "20.00" }],
        discounts: [],
        shippingFee: "0.00",
        payments: [{ tender: "alipay", amount: "200.00" }],
      }),
    );
    if (i < claims) {
      const lines = await orderLines(env.ctx.db, id);
      env.clock.now = new Date(paidAt.getTime() + DAY);
      await submitCase(env.ctx, REVIEWER, {
        orderId: id,
        type: "refund_only",
        reason,
        source: "chat",
        items: [{ lineId: lines[0]?.id as number, quantity: units }],
      });
    }
  }
}

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx);
  // Baseline (15–100 days ago): both SKUs sell 200 units. KETTLE-1 gets 4 claimed units (2%),
  // STEADY-1 20 (10%). Recent 14 days: 60 units each; KETTLE-1 jumps to 15 claimed (25%),
  // STEADY-1 stays at 6 (10%).
  await sales("KETTLE-1", "kitchen", 60, 20, 4, 1, "quality");
  await sales("STEADY-1", "toys", 60, 20, 20, 1, "quality");
  await sales("KETTLE-1", "kitchen", 5, 6, 3, 5, "quality");
  await sales("STEADY-1", "toys", 5, 6, 6, 1, "quality");
  // REMORSE-1 jumps too, but only with changed minds: that says nothing about the product.
  await sales("REMORSE-1", "toys", 60, 20, 4, 1, "changed_mind");
  await sales("REMORSE-1", "toys", 5, 6, 3, 5, "changed_mind");
  env.clock.now = NOW;
});
afterAll(() => env.close());

describe("quality alerts", () => {
  it("raises an alert for the SKU (and its category) whose refund rate jumped, not for a steady one", async () => {
    const res = await scanQuality(env.ctx);
    expect(res.raised.map((a) => `${a.kind}:${a.key}`).sort()).toEqual(["category:kitchen", "sku:KETTLE-1"]);
    const sku = res.raised.find((a) => a.key === "KETTLE-1");
    expect(sku).toMatchObject({ suspected: "quality", recentRate: 0.25, baselineRate: 0.02 });
    const rows = await env.ctx.db.selectFrom("alerts").selectAll().orderBy("kind", "desc").execute();
    // Judged per shop: each alert is the shop's whose sales it counts, so only that shop's staff see it.
    expect(rows.map((r) => [r.kind, r.subject, r.status, r.shop_id])).toEqual([
      ["sku_quality", "KETTLE-1", "open", "tmall-1"],
      ["category_quality", "kitchen", "open", "tmall-1"],
    ]);
    expect(rows[0]?.reason.zh).toContain("KETTLE-1");
  });

  it("updates rather than duplicates on a rescan, and keeps an acknowledgement", async () => {
    const first = await env.ctx.db
      .selectFrom("alerts")
      .select("id")
      .where("subject", "=", "KETTLE-1")
      .executeTakeFirstOrThrow();
    await acknowledgeAlert(env.ctx, REVIEWER, first.id, "供应商已换批次");
    await scanQuality(env.ctx);
    const rows = await env.ctx.db
      .selectFrom("alerts")
      .selectAll()
      .where("kind", "like", "%quality")
      .execute();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.subject === "KETTLE-1")).toMatchObject({
      status: "acknowledged",
      note: "供应商已换批次",
    });
  });
});
