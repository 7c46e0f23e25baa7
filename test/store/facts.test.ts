import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { rejectCase } from "../../src/flows/review-case.ts";
import { setPolicies } from "../../src/flows/settings.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { loadCaseContexts } from "../../src/store/facts.ts";
import { orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, REVIEWER, sampleOrder } from "../support/fixtures.ts";

let env: TestEnv;
const DAY = 86_400_000;
let n = 0;

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx);
});
afterAll(() => env.close());

/** Place an order for `customer` paid at `paidAt`, then open a refund_only case on it at `caseAt`. */
async function orderAndCase(
  customer: string,
  paidAt: Date,
  caseAt: Date,
  over: Parameters<typeof sampleOrder>[0] = {},
  kase: { type?: "refund_only" | "return_refund"; reason?: "quality" | "not_received" } = {},
) {
  n++;
  env.clock.now = paidAt;
  const { id } = await ingestOrder(
    env.ctx,
    sampleOrder({ externalId: `F${n}`, customer: { id: customer }, paidAt: paidAt.toISOString(), ...over }),
  );
  const lines = await orderLines(env.ctx.db, id);
  env.clock.now = caseAt;
  const c = await submitCase(env.ctx, REVIEWER, {
    orderId: id,
    type: kase.type ?? "refund_only",
    reason: kase.reason ?? "quality",
    source: "chat",
    items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
  });
  return { orderId: id, caseId: c.id, lines };
}

const contextOf = async (caseId: number) =>
  (await loadCaseContexts(env.ctx.db, [caseId], "Asia/Shanghai"))[0] ?? expect.fail("no context");

describe("case facts as of the moment a case was opened", () => {
  it("counts only the customer's earlier money cases that still stand, per window", async () => {
    const now = new Date("2026-11-01T04:00:00Z");
    await orderAndCase("hist-1", new Date(now.getTime() - 120 * DAY), new Date(now.getTime() - 100 * DAY));
    await orderAndCase("hist-1", new Date(now.getTime() - 25 * DAY), new Date(now.getTime() - 20 * DAY));
    await orderAndCase("hist-1", new Date(now.getTime() - 12 * DAY), new Date(now.getTime() - 10 * DAY));
    const rejected = await orderAndCase(
      "hist-1",
      new Date(now.getTime() - 6 * DAY),
      new Date(now.getTime() - 5 * DAY),
    );
    await rejectCase(env.ctx, REVIEWER, rejected.caseId, { note: "照片不符" });
    const subject = await orderAndCase("hist-1", new Date(now.getTime() - 2 * DAY), now);
    // A later case must not leak into the earlier one's facts.
    await orderAndCase("hist-1", new Date(now.getTime() + DAY), new Date(now.getTime() + 2 * DAY));

    const { facts, profile } = await contextOf(subject.caseId);
    expect(facts.customerRefunds).toEqual({ 30: 2, 90: 2, 365: 3 });
    // Orders paid in each window up to the case, its own order included.
    expect(profile.customer.orders).toEqual({ 30: 4, 90: 4, 365: 5 });
    expect(facts.customerRefundRate[30]).toBeCloseTo(0.5);
    expect(facts.customerRefundRate[365]).toBeCloseTo(0.6);
    // Every earlier order paid 245.90.
    expect(profile.customer.typicalOrderAmount).toBe(24590);
    expect(facts).toMatchObject({
      caseType: "refund_only",
      reason: "quality",
      shop: "tmall-1",
      channel: "tmall",
      orderAmount: 24590,
      itemCount: 1,
      wholeOrder: false,
      casesOnOrder: 0,
      // 12:00 in Shanghai
      submittedHour: 12,
    });
    // One T-shirt of two: half the line's paid amount after its coupon share.
    expect(facts.quotedAmount).toBeGreaterThan(8000);
    expect(facts.quotedAmount).toBeLessThan(9900);
    expect(facts.daysSincePayment).toBeCloseTo(2);
  });

  it("sees the parcel as it stood: signed before the case, or still on its way", async () => {
    const paid = new Date("2026-10-01T02:00:00Z");
    const shipments = [
      {
        carrier: "SF",
        trackingNo: "SF-FACTS-1",
        status: "delivered" as const,
        shippedAt: "2026-10-02T02:00:00Z",
        signedAt: "2026-10-04T02:00:00Z",
      },
    ];
    const after = await orderAndCase("parcel-1", paid, new Date("2026-10-04T02:20:00Z"), { shipments });
    const a = await contextOf(after.caseId);
    expect(a.facts.parcel).toBe("signed");
    expect(a.facts.daysSinceShipment).toBeCloseTo(2.0139, 3);
    expect(a.profile.minutesSinceSigned).toBeCloseTo(20);

    const before = await orderAndCase("parcel-2", paid, new Date("2026-10-03T02:00:00Z"), {
      shipments: [{ ...shipments[0], trackingNo: "SF-FACTS-2" }] as never,
    });
    const b = await contextOf(before.caseId);
    expect(b.facts.parcel).toBe("in_transit");
    expect(b.facts.daysSinceDelivery).toBeNull();
    expect(b.profile.minutesSinceSigned).toBeNull();

    const unshipped = await orderAndCase("parcel-3", paid, new Date("2026-10-01T03:00:00Z"), {
      shipments: [],
    });
    expect((await contextOf(unshipped.caseId)).facts).toMatchObject({
      parcel: "unshipped",
      daysSinceShipment: null,
    });
  });

  it("joins SKU and category policies, and counts earlier refund-only cases after delivery", async () => {
    await setPolicies(env.ctx, "sku", "TEE-BLK-M", ["customised"]);
    await setPolicies(env.ctx, "category", "apparel", ["no_7day_return"]);
    const lines = [
      {
        externalId: "L1",
        sku: "TEE-BLK-M",
        title: "T恤",
        category: "apparel",
        quantity: 2,
        unitPrice: "99.00",
      },
      { externalId: "L2", sku: "CAP-01", title: "帽", quantity: 1, unitPrice: "59.90" },
    ];
    const signed = (k: number) => [
      {
        carrier: "SF",
        trackingNo: `SF-RO-${k}`,
        status: "delivered" as const,
        shippedAt: "2026-09-01T00:00:00Z",
        signedAt: "2026-09-03T00:00:00Z",
      },
    ];
    const at = (d: string) => new Date(d);
    await orderAndCase("ro-1", at("2026-09-01T00:00:00Z"), at("2026-09-04T00:00:00Z"), {
      lines,
      shipments: signed(1),
    });
    await orderAndCase("ro-1", at("2026-09-01T00:00:00Z"), at("2026-09-05T00:00:00Z"), {
      lines,
      shipments: signed(2),
    });
    const c = await orderAndCase("ro-1", at("2026-09-01T00:00:00Z"), at("2026-09-06T00:00:00Z"), {
      lines,
      shipments: signed(3),
    });
    const { facts, profile } = await contextOf(c.caseId);
    expect(facts.policies.sort()).toEqual(["customised", "no_7day_return"]);
    expect(facts.categories).toEqual(["apparel"]);
    expect(facts.skus).toEqual(["TEE-BLK-M"]);
    expect(profile.customer.refundOnlyAfterDelivery90).toBe(2);
  });

  it("links accounts by a real shared phone, address or device, but not by a masked phone", async () => {
    const paid = new Date("2026-10-10T02:00:00Z");
    const opened = new Date("2026-10-12T02:00:00Z");
    await orderAndCase("ring-a", paid, opened, {
      customer: { id: "ring-a", phone: "13912345678" },
      address: "上海市 浦东新区 世纪大道 100 号",
      deviceId: "dev-1",
    });
    await orderAndCase("ring-b", paid, opened, {
      customer: { id: "ring-b", phone: "13912345678" },
      address: "上海市浦东新区世纪大道100号",
    });
    await orderAndCase("ring-c", paid, opened, { customer: { id: "ring-c" }, deviceId: "dev-1" });
    const masked1 = await orderAndCase("mask-a", paid, opened, {
      customer: { id: "mask-a", phone: "138****0001" },
    });
    await orderAndCase("mask-b", paid, opened, { customer: { id: "mask-b", phone: "138****0001" } });
    const subject = await orderAndCase("ring-a", paid, opened, { customer: { id: "ring-a" } });
    const { profile } = await contextOf(subject.caseId);
    expect(profile.customer).toMatchObject({ sharedPhone: 1, sharedAddress: 1, sharedDevice: 1 });
    expect((await contextOf(masked1.caseId)).profile.customer.sharedPhone).toBe(0);
  });
});
