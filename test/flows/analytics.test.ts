import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  analyticsLag,
  automationRate,
  costReport,
  foldAnalytics,
  reasonDistribution,
  rebuildAnalytics,
  refundRateReport,
  refundRateTrend,
  stageTimes,
} from "../../src/flows/analytics.ts";
import { compensate } from "../../src/flows/compensate.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { issueRefunds } from "../../src/flows/issue-refund.ts";
import { approveCase, overrideDecision, rejectCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { findCase } from "../../src/store/cases.ts";
import { orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, codeOf, REVIEWER, sampleOrder } from "../support/fixtures.ts";
import { dumpRollups } from "../support/rollups.ts";

let env: TestEnv;
const HOUR = 3_600_000;
const RULE = { kind: "rule" as const, id: "small-amount" };

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 0 });
  await addShop(env.ctx);
  const ctx = env.ctx;
  // November (Shanghai): 10 orders of two tees and a cap; 4 tee refunds (quality), 1 rejected cap case.
  env.clock.now = new Date("2026-11-03T02:00:00Z");
  for (let i = 0; i < 10; i++) {
    const { id: orderId } = await ingestOrder(
      ctx,
      sampleOrder({ externalId: `AN-${i}`, paidAt: "2026-11-03T01:00:00Z" }),
    );
    const [tee, cap] = await orderLines(ctx.db, orderId);
    if (i < 4) {
      const c = await submitCase(ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: tee?.id as number, quantity: 1 }],
      });
      env.clock.advance(2 * HOUR); // two hours awaiting review
      await approveCase(ctx, i < 2 ? RULE : REVIEWER, c.id);
      env.clock.advance(30 * 60_000); // half an hour approved before the refund is decided
      await issueRefunds(ctx, (await grantRefund(ctx, REVIEWER, c.id)).refunds);
    } else if (i === 4) {
      const c = await submitCase(ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "size_fit",
        source: "chat",
        items: [{ lineId: cap?.id as number, quantity: 1 }],
      });
      env.clock.advance(8 * HOUR);
      await rejectCase(ctx, REVIEWER, c.id, { note: "尺码表已标注" });
      await compensate(ctx, REVIEWER, c.id, {
        type: "coupon",
        amount: "5.00",
        expectedVersion: (await findCase(ctx.db, c.id))?.version as number,
      });
    }
  }
  // December: one more order, nothing refunded.
  env.clock.now = new Date("2026-12-02T02:00:00Z");
  await ingestOrder(env.ctx, sampleOrder({ externalId: "AN-DEC", paidAt: "2026-12-02T01:00:00Z" }));
  // What the analytics fold job does every second in a running service.
  await foldAnalytics(env.ctx);
});
afterAll(() => env.close());

describe("analytics", () => {
  it("refund rate by SKU: units refunded over units sold, worst first", async () => {
    const r = await refundRateReport(env.ctx, { by: "sku", minSold: 1 });
    expect(r.rows.map((x) => [x.key, x.soldQty, x.refundedQty])).toEqual([
      ["TEE-BLK-M", 22, 4],
      ["CAP-01", 11, 0],
    ]);
    expect(r.rows[0]?.rate).toBeCloseTo(4 / 22);
    const byMonth = await refundRateReport(env.ctx, { by: "month" });
    expect(byMonth.rows.map((x) => [x.key, x.soldQty, x.refundedQty])).toEqual([
      ["2026-11", 30, 4],
      ["2026-12", 3, 0],
    ]);
    const nov = await refundRateReport(env.ctx, { by: "category", from: "2026-12", to: "2026-12" });
    expect(nov.rows.map((x) => x.refundedQty)).toEqual([0]);
    expect(await codeOf(refundRateReport(env.ctx, { by: "colour" }))).toBe("INVALID_DIMENSION");
    expect(await codeOf(refundRateReport(env.ctx, { from: "2026-13" }))).toBe("INVALID_MONTH");
  });

  it("reasons, automation and cost", async () => {
    const reasons = await reasonDistribution(env.ctx, {});
    expect(reasons.rows).toEqual([
      { reason: "quality", cases: 4, share: 0.8 },
      { reason: "size_fit", cases: 1, share: 0.2 },
    ]);
    const auto = await automationRate(env.ctx, {});
    expect([auto.cases, auto.decided, auto.automated, auto.rate]).toEqual([5, 5, 2, 0.4]);
    const cost = await costReport(env.ctx, {});
    expect(cost.rows.find((r) => r.kind === "compensation")).toMatchObject({ month: "2026-11", amount: 500 });
    expect(cost.rows.find((r) => r.kind === "refund_goods")?.entries).toBe(4);
  });

  it("every question narrows to a channel's shops", async () => {
    expect((await reasonDistribution(env.ctx, { channel: "tmall" })).cases).toBe(5);
    expect(await reasonDistribution(env.ctx, { channel: "jd" })).toEqual({ cases: 0, rows: [] });
    expect((await automationRate(env.ctx, { channel: "jd" })).months).toEqual([]);
    expect((await costReport(env.ctx, { channel: "jd" })).rows).toEqual([]);
    const shops = await refundRateReport(env.ctx, { by: "shop", channel: "tmall" });
    expect(shops.rows.map((r) => r.key)).toEqual(["tmall-1"]);
  });

  it("cost totals per kind add up the months", async () => {
    const cost = await costReport(env.ctx, {});
    const goods = cost.rows.filter((r) => r.kind === "refund_goods");
    expect(cost.totals.find((t) => t.kind === "refund_goods")).toEqual({
      kind: "refund_goods",
      currency: "CNY",
      amount: goods.reduce((a, r) => a + r.amount, 0),
      entries: 4,
    });
  });

  it("refund rate month by month for the most refunded subjects, with the quality scan's jumps marked", async () => {
    // The scan found the tee's refund rate jumping in November (as scanQuality raises it).
    await sql`insert into alerts (kind, subject, severity, dedupe_key, shop_id, reason, data, created_at, updated_at)
              values ('sku_quality', 'TEE-BLK-M', 'critical', 'sku_quality:tmall-1:TEE-BLK-M:1', 'tmall-1',
                      ${JSON.stringify({ zh: "退款率跃升", en: "Refund rate jumped" })}::jsonb,
                      ${JSON.stringify({ recentRate: 0.4, baselineRate: 0.05 })}::jsonb,
                      '2026-11-20T02:00:00Z', '2026-11-20T02:00:00Z')`.execute(env.ctx.db);
    const bySku = await refundRateTrend(env.ctx, { by: "sku", top: 1 });
    expect(bySku.months).toEqual(["2026-11", "2026-12"]);
    expect(bySku.series.map((x) => x.key)).toEqual(["TEE-BLK-M"]);
    expect(bySku.series[0]?.points.map((p) => [p.month, p.soldQty, p.refundedQty])).toEqual([
      ["2026-11", 20, 4],
      ["2026-12", 2, 0],
    ]);
    expect(bySku.series[0]?.points[0]?.rate).toBeCloseTo(0.2);
    expect(bySku.spikes).toMatchObject([
      { kind: "sku_quality", key: "TEE-BLK-M", shop: "tmall-1", month: "2026-11", recentRate: 0.4 },
    ]);
    // By shop the tee's jump marks its shop; by category it is not a category's; without alerts.read none.
    expect((await refundRateTrend(env.ctx, { by: "shop" })).spikes.map((x) => x.key)).toEqual(["tmall-1"]);
    expect((await refundRateTrend(env.ctx, { by: "category" })).spikes).toEqual([]);
    expect((await refundRateTrend(env.ctx, { by: "sku", spikes: false })).spikes).toEqual([]);
    // A range after November shows neither the jump nor November's sales.
    const dec = await refundRateTrend(env.ctx, { by: "sku", from: "2026-12" });
    expect([dec.months, dec.spikes]).toEqual([["2026-12"], []]);
    expect(await codeOf(refundRateTrend(env.ctx, { by: "month" }))).toBe("INVALID_DIMENSION");
  });

  it("time in each stage: p50 and p90 within a bucket of the truth", async () => {
    const { stages } = await stageTimes(env.ctx, {});
    const requested = stages.find((s) => s.stage === "requested");
    // Four cases waited 2 h, one 8 h: p50 is 2 h, p90 8 h, the mean 3.2 h.
    expect(requested?.n).toBe(5);
    expect(requested?.p50Hours).toBeGreaterThan(2 * 0.81);
    expect(requested?.p50Hours).toBeLessThan(2 * 1.19);
    expect(requested?.p90Hours).toBeGreaterThan(8 * 0.81);
    expect(requested?.p90Hours).toBeLessThan(8 * 1.19);
    expect(requested?.meanHours).toBeCloseTo(3.2, 5);
    expect(stages.find((s) => s.stage === "approved")).toMatchObject({ n: 4, meanHours: 0.5 });
  });

  it("time in each stage month by month (its trend)", async () => {
    const { trend } = await stageTimes(env.ctx, {});
    expect(trend.find((s) => s.stage === "requested")).toMatchObject({
      month: "2026-11",
      n: 5,
      meanHours: 3.2,
    });
    expect(trend.every((s) => s.month === "2026-11")).toBe(true);
  });

  it("a re-sent order with changed lines moves its sales, not adds to them", async () => {
    const before = await refundRateReport(env.ctx, { by: "month", from: "2026-12" });
    await ingestOrder(
      env.ctx,
      sampleOrder({
        externalId: "AN-DEC",
        paidAt: "2026-12-02T01:00:00Z",
        lines: [{ externalId: "L1", sku: "TEE-BLK-M", title: "T恤", quantity: 5, unitPrice: "99.00" }],
        discounts: [],
        payments: [{ tender: "alipay", amount: "503.00" }],
      }),
    );
    // Until the fold job has run, the report still shows what it showed (dashboards lag by its period).
    const unfolded = await refundRateReport(env.ctx, { by: "month", from: "2026-12" });
    expect((await analyticsLag(env.ctx)).pending).toBeGreaterThan(0);
    await foldAnalytics(env.ctx);
    const after = await refundRateReport(env.ctx, { by: "month", from: "2026-12" });
    expect(before.rows[0]?.soldQty).toBe(3);
    expect(unfolded.rows[0]?.soldQty).toBe(3);
    expect(after.rows[0]?.soldQty).toBe(5);
    expect((await analyticsLag(env.ctx)).pending).toBe(0);
  });

  it("folders running at once add every delta exactly once, equal to a rebuild from the facts", async () => {
    env.clock.now = new Date("2026-12-05T02:00:00Z");
    for (let i = 0; i < 12; i++) {
      const { id: orderId } = await ingestOrder(
        env.ctx,
        sampleOrder({ externalId: `AN-FOLD-${i}`, paidAt: "2026-12-05T01:00:00Z" }),
      );
      const [tee] = await orderLines(env.ctx.db, orderId);
      const c = await submitCase(env.ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: i % 2 ? "quality" : "damaged",
        source: "chat",
        items: [{ lineId: tee?.id as number, quantity: 1 }],
      });
      env.clock.advance(HOUR);
      await approveCase(env.ctx, i % 3 ? REVIEWER : RULE, c.id);
      await issueRefunds(env.ctx, (await grantRefund(env.ctx, REVIEWER, c.id)).refunds);
    }
    const pending = (await analyticsLag(env.ctx)).pending;
    expect(pending).toBeGreaterThan(12 * 4);
    // Three workers folding at once, a transaction per batch as the job does, in batches smaller than the
    // backlog (sql, so the batch size is ours).
    const fold = async () => {
      let total = 0;
      for (;;) {
        const { rows } = await sql<{ n: number }>`select analytics_fold(7) as n`.execute(env.ctx.db);
        const n = Number(rows[0]?.n);
        total += n;
        if (n === 0) return total;
      }
    };
    const folded = await Promise.all([fold(), fold(), fold()]);
    // Each queued fact and each delta is taken once (facts become deltas, which are then taken too).
    expect(folded.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(pending);
    const lag = await analyticsLag(env.ctx);
    expect(lag.pending).toBe(0);
    expect(lag.foldsLastHour).toBeGreaterThan(0);
    const kept = await dumpRollups(env.ctx.db);
    await rebuildAnalytics(env.ctx);
    expect(await dumpRollups(env.ctx.db)).toEqual(kept);
    const dec = await automationRate(env.ctx, { from: "2026-12", to: "2026-12" });
    expect([dec.cases, dec.decided, dec.automated]).toEqual([12, 12, 4]);
  });

  it("rule agreement: a rule's decision a person overrode counts against it, by the month the case was opened", async () => {
    env.clock.now = new Date("2027-01-10T02:00:00Z");
    const made: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { id: orderId } = await ingestOrder(
        env.ctx,
        sampleOrder({ externalId: `AN-JAN-${i}`, paidAt: "2027-01-10T01:00:00Z" }),
      );
      const [tee] = await orderLines(env.ctx.db, orderId);
      const c = await submitCase(env.ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: tee?.id as number, quantity: 1 }],
      });
      await approveCase(env.ctx, RULE, c.id);
      made.push(c.id);
    }
    env.clock.advance(HOUR);
    await overrideDecision(env.ctx, REVIEWER, made[0] as number, { decision: "reject", note: "凭证不足" });
    await foldAnalytics(env.ctx);
    const jan = await automationRate(env.ctx, { from: "2027-01", to: "2027-01" });
    expect([jan.decided, jan.automated, jan.overridden, jan.agreement]).toEqual([4, 4, 1, 0.75]);
    expect(jan.months).toEqual([
      { month: "2027-01", cases: 4, decided: 4, automated: 4, overridden: 1, rate: 1, agreement: 0.75 },
    ]);
    // December's rule decisions nobody overrode: full agreement.
    expect((await automationRate(env.ctx, { from: "2026-12", to: "2026-12" })).agreement).toBe(1);
    const kept = await dumpRollups(env.ctx.db);
    expect(kept.rollup_overrides).toHaveLength(1);
    await rebuildAnalytics(env.ctx);
    expect(await dumpRollups(env.ctx.db)).toEqual(kept);
  });
});
