import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { findOrder, orderLines, orderShipments } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, codeOf, REVIEWER, sampleOrder, snapshot } from "../support/fixtures.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx);
});
afterAll(() => env.close());

describe("ingest order", () => {
  it("stores lines with the coupon apportioned once, to the cent", async () => {
    const { id, outcome } = await ingestOrder(env.ctx, sampleOrder());
    expect(outcome).toBe("created");
    const lines = await orderLines(env.ctx.db, id);
    expect(lines.map((l) => [l.sku, l.order_discount, l.paid])).toEqual([
      ["TEE-BLK-M", 1535, 18265],
      ["CAP-01", 465, 5525],
    ]);
    expect((await findOrder(env.ctx.db, id))?.paid_total).toBe(24590);
  });

  it("uses the channel's own per-line paid amounts when given", async () => {
    const input = sampleOrder({
      lines: [
        { externalId: "A", sku: "A", quantity: 1, unitPrice: "100.00", paid: "90.00" },
        { externalId: "B", sku: "B", quantity: 1, unitPrice: "50.00", paid: "40.00" },
      ],
      discounts: [{ kind: "coupon", amount: "20.00" }],
      shippingFee: "0",
      payments: [{ tender: "platform", amount: "130.00" }],
    });
    const { id } = await ingestOrder(env.ctx, input);
    expect((await orderLines(env.ctx.db, id)).map((l) => [l.order_discount, l.paid])).toEqual([
      [1000, 9000],
      [1000, 4000],
    ]);
  });

  it("is a no-op when nothing changed and an update when something did", async () => {
    const input = sampleOrder();
    const { id } = await ingestOrder(env.ctx, input);
    const before = await snapshot(env.ctx);
    expect(await ingestOrder(env.ctx, structuredClone(input))).toEqual({ id, outcome: "unchanged" });
    expect(await snapshot(env.ctx)).toEqual(before);
    const shipped = {
      ...input,
      shipments: [{ carrier: "SF", trackingNo: "SF-NEW", status: "in_transit" as const }],
    };
    expect(await ingestOrder(env.ctx, shipped)).toEqual({ id, outcome: "updated" });
    expect((await orderShipments(env.ctx.db, id)).map((s) => [s.tracking_no, s.status])).toEqual([
      ["SF-NEW", "in_transit"],
    ]);
    expect((await findOrder(env.ctx.db, id))?.version).toBe(2);
  });

  it("freezes lines and amounts once a case holds them", async () => {
    const input = sampleOrder();
    const { id } = await ingestOrder(env.ctx, input);
    const [line] = await orderLines(env.ctx.db, id);
    await submitCase(env.ctx, REVIEWER, {
      orderId: id,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: line?.id ?? 0, quantity: 1 }],
    });
    const repriced = {
      ...input,
      discounts: [{ kind: "coupon", amount: "30.00" }],
      payments: [{ tender: "alipay" as const, amount: "235.90" }],
    };
    const before = await snapshot(env.ctx);
    expect(await codeOf(ingestOrder(env.ctx, repriced))).toBe("ORDER_LOCKED");
    expect(await snapshot(env.ctx)).toEqual(before);
    // logistics updates still flow in
    const signed = {
      ...input,
      shipments: [{ carrier: "SF", trackingNo: "SF-X", status: "delivered" as const }],
    };
    expect((await ingestOrder(env.ctx, signed)).outcome).toBe("updated");
  });

  it("two ingests of the same new order at once create it once", async () => {
    const input = sampleOrder();
    const results = await Promise.all([
      ingestOrder(env.ctx, input),
      ingestOrder(env.ctx, structuredClone(input)),
    ]);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.map((r) => r.outcome).sort()).toEqual(["created", "unchanged"]);
  });
});
