import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SHOPS, loadDemo } from "../../src/cli/demo.ts";
import { mulberry32 } from "../../src/cli/random.ts";
import { CASE_TYPES } from "../../src/domain/catalogue.ts";
import { OPEN_INTERCEPTION_STATUSES } from "../../src/domain/interception.ts";
import { CASE_STATE_NAMES, type CaseState } from "../../src/domain/lifecycle.ts";
import { deriveOrderStatus } from "../../src/domain/order-status.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { rebuildRollups } from "../../src/store/analytics.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { codeOf } from "../support/fixtures.ts";
import { dumpRollups } from "../support/rollups.ts";

let env: TestEnv;
let summary: Awaited<ReturnType<typeof loadDemo>>;
const progress: string[] = [];

beforeAll(async () => {
  env = await testEnv();
  summary = await loadDemo(env.ctx, { orders: 120, progress: (m) => progress.push(m) });
}, 120_000);
afterAll(() => env?.close());

const countBy = async (ctx: FlowContext, column: "status" | "type") =>
  new Map(
    (
      await ctx.db
        .selectFrom("cases")
        .select([column, (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy(column)
        .execute()
    ).map((r) => [r[column as keyof typeof r] as string, Number(r.n)]),
  );

describe("aftersales demo", () => {
  it("loads shops on several channels, the orders asked for and cases for a good share of them", async () => {
    const { ctx } = env;
    expect(summary.shops).toBeGreaterThanOrEqual(5);
    const shops = await ctx.db.selectFrom("shops").selectAll().execute();
    expect(shops.length).toBeGreaterThanOrEqual(5);
    expect(new Set(shops.map((s) => s.channel)).size).toBeGreaterThanOrEqual(5);
    expect(summary.orders).toBe(120);
    const orders = await ctx.db.selectFrom("orders").select(["shop_id", "currency"]).execute();
    expect(orders).toHaveLength(120);
    expect(new Set(orders.map((o) => o.shop_id)).size).toBeGreaterThanOrEqual(5);
    expect(orders.some((o) => o.currency === "USD")).toBe(true);
    expect(summary.cases).toBeGreaterThanOrEqual(120 * 0.35);
    expect(summary.cases).toBeLessThanOrEqual(120 * 0.6);
    expect(progress).toContain("orders 120/120");
    expect(progress.at(-1)).toBe(`cases ${summary.cases}/${summary.cases}`);
    expect(summary.text).toContain("tmall-flagship");
  });

  it("has a case resting in every state of the lifecycle, and every case type", async () => {
    const byStatus = await countBy(env.ctx, "status");
    for (const state of CASE_STATE_NAMES) {
      expect(byStatus.get(state) ?? 0, `cases in ${state}`).toBeGreaterThan(0);
      expect(summary.byStatus[state], `summary for ${state}`).toBe(byStatus.get(state));
    }
    const byType = await countBy(env.ctx, "type");
    for (const type of CASE_TYPES) expect(byType.get(type) ?? 0, `${type} cases`).toBeGreaterThan(0);
  });

  it("keeps every order's after-sales status and refunded total in step with its cases and refunds", async () => {
    const { db } = env.ctx;
    const orders = await db.selectFrom("orders").selectAll().execute();
    const cases = await db.selectFrom("cases").select(["order_id", "status", "type"]).execute();
    const refunds = await db
      .selectFrom("refunds")
      .select(["order_id", "case_id", "status", "amount"])
      .execute();
    const payments = await db.selectFrom("payments").select(["order_id", "amount"]).execute();
    const intercepting = new Set(
      (
        await db
          .selectFrom("interceptions")
          .select("order_id")
          .where("status", "in", OPEN_INTERCEPTION_STATUSES)
          .execute()
      ).map((i) => i.order_id),
    );
    for (const o of orders) {
      const mine = cases.filter((c) => c.order_id === o.id);
      const succeeded = refunds.filter((r) => r.order_id === o.id && r.status === "succeeded");
      expect(o.refunded_total).toBe(succeeded.reduce((a, r) => a + r.amount, 0));
      expect(o.refunded_total).toBeLessThanOrEqual(o.paid_total);
      expect(payments.filter((p) => p.order_id === o.id).reduce((a, p) => a + p.amount, 0)).toBe(
        o.paid_total,
      );
      expect(o.aftersales_status).toBe(
        deriveOrderStatus(
          mine.map((c) => c.status as CaseState),
          o.refunded_total,
          o.paid_total,
          { openInterception: intercepting.has(o.id) },
        ),
      );
      if (mine.some((c) => c.status === "refunded")) expect(o.refunded_total).toBeGreaterThan(0);
    }
    // Money cases that finished have their money back; refunding ones have a refund waiting to be sent.
    const caseIds = await db.selectFrom("cases").select(["id", "status", "type"]).execute();
    for (const c of caseIds) {
      const own = refunds.filter((r) => r.case_id === c.id);
      if (c.status === "refunded") expect(own.some((r) => r.status === "succeeded")).toBe(true);
      if (c.status === "refunding") expect(own.some((r) => r.status === "requested")).toBe(true);
      if (c.status === "refund_failed") expect(own.at(-1)?.status).toBe("failed");
      if (c.type === "exchange" || c.type === "reship") expect(own).toHaveLength(0);
    }
  });

  it("spreads its history over the last 60 days, never in the future", async () => {
    const { db } = env.ctx;
    const now = env.ctx.now().getTime();
    const placed = (await db.selectFrom("orders").select("placed_at").execute()).map((o) =>
      (o.placed_at as Date).getTime(),
    );
    expect(Math.max(...placed)).toBeLessThanOrEqual(now);
    expect(Math.min(...placed)).toBeGreaterThanOrEqual(now - 60 * 86_400_000);
    expect(Math.max(...placed) - Math.min(...placed)).toBeGreaterThan(40 * 86_400_000);
    const events = await db.selectFrom("case_events").select(["case_id", "at"]).orderBy("id").execute();
    expect(Math.max(...events.map((e) => e.at.getTime()))).toBeLessThanOrEqual(now);
    const last = new Map<number, number>();
    for (const e of events) {
      expect(e.at.getTime()).toBeGreaterThanOrEqual(last.get(e.case_id) ?? 0);
      last.set(e.case_id, e.at.getTime());
    }
  });

  it("refuses to load twice into the same database", async () => {
    expect(await codeOf(loadDemo(env.ctx, { orders: 5 }))).toBe("DEMO_ALREADY_LOADED");
    expect(await env.ctx.db.selectFrom("orders").select("id").execute()).toHaveLength(120);
  });

  it("is reproducible: the same seed gives the same merchant", async () => {
    const load = async () => {
      const e = await testEnv();
      try {
        const s = await loadDemo(e.ctx, { orders: 20, seed: 7 });
        const orders = await e.ctx.db
          .selectFrom("orders")
          .select(["shop_id", "external_id", "paid_total", "aftersales_status"])
          .orderBy("id")
          .execute();
        return { text: s.text, orders };
      } finally {
        await e.close();
      }
    };
    const [a, b] = [await load(), await load()];
    expect(a).toEqual(b);
    expect(DEMO_SHOPS.map((s) => s.id)).toContain("shopify-global");
    const r = mulberry32(1);
    const first = [r(), r(), r()];
    const again = mulberry32(1);
    expect([again(), again(), again()]).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  }, 180_000);
});

describe("analytics over the demo merchant", () => {
  it("the rollups the writes kept in step equal a rebuild from the facts", async () => {
    const kept = await dumpRollups(env.ctx.db);
    expect((kept.rollup_cases as unknown[]).length).toBeGreaterThan(10);
    expect((kept.rollup_stages as unknown[]).length).toBeGreaterThan(10);
    await rebuildRollups(env.ctx.db);
    expect(await dumpRollups(env.ctx.db)).toEqual(kept);
  });
});
