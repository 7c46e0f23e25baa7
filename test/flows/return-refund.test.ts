import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { inspectReturn, receiveReturn } from "../../src/flows/receive-return.ts";
import { approveCase, cancelCase, closeCase, rejectCase } from "../../src/flows/review-case.ts";
import { recordReturnShipment, shipReplacement } from "../../src/flows/shipments.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { caseShipments, findCase } from "../../src/store/cases.ts";
import { findOrder } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { codeOf, placeOrder, REVIEWER, WAREHOUSE } from "../support/fixtures.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

const parcel = { carrier: "SF", trackingNo: "SF-RET-1" };

describe("return_refund", () => {
  it("goes request → return → partial and full receipt → QC → refund → closed, shipping included for a seller fault on the whole order", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx);
    const items = lines.map((l) => ({ lineId: l.id, quantity: l.quantity }));
    const { id } = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "return_refund",
      reason: "not_as_described",
      source: "platform",
      items,
    });
    expect((await approveCase(ctx, REVIEWER, id)).status).toBe("awaiting_return");
    expect((await recordReturnShipment(ctx, REVIEWER, id, parcel)).status).toBe("return_in_transit");
    expect((await receiveReturn(ctx, WAREHOUSE, id, { quantity: 2, condition: "intact" })).status).toBe(
      "partially_received",
    );
    expect(await codeOf(receiveReturn(ctx, WAREHOUSE, id, { quantity: 2, condition: "intact" }))).toBe(
      "RECEIPT_EXCEEDS_CASE",
    );
    expect(await codeOf(inspectReturn(ctx, WAREHOUSE, id, { result: "pass" }))).toBe("INVALID_TRANSITION");
    expect((await receiveReturn(ctx, WAREHOUSE, id, { quantity: 1, condition: "opened" })).status).toBe(
      "received",
    );
    expect((await inspectReturn(ctx, WAREHOUSE, id, { result: "pass" })).status).toBe("inspected");
    const granted = await grantRefund(ctx, REVIEWER, id);
    expect(granted.quote.shipping).toBe(800);
    expect(granted.quote.total).toBe(24590);
    expect((await issueRefund(ctx, granted.refundId)).status).toBe("succeeded");
    await closeCase(ctx, REVIEWER, id);
    const order = await findOrder(ctx.db, orderId);
    expect(order?.refunded_total).toBe(order?.paid_total);
    expect(order?.aftersales_status).toBe("refunded");
    expect((await caseShipments(ctx.db, id)).map((s) => s.direction)).toEqual(["return"]);
  });

  it("a changed-mind return of the whole order keeps the shipping; QC failure allows a reduced refund or a rejection", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx);
    const items = lines.map((l) => ({ lineId: l.id, quantity: l.quantity }));
    const { id } = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "return_refund",
      reason: "changed_mind",
      source: "portal",
      items,
    });
    await approveCase(ctx, REVIEWER, id);
    await receiveReturn(ctx, WAREHOUSE, id, { quantity: 3, condition: "damaged" });
    expect((await inspectReturn(ctx, WAREHOUSE, id, { result: "fail", note: "划痕" })).status).toBe(
      "inspection_failed",
    );
    expect(await codeOf(grantRefund(ctx, REVIEWER, id, { amount: "238.00" }))).toBe("REFUND_ABOVE_CAP");
    const granted = await grantRefund(ctx, REVIEWER, id, { amount: "100.00" });
    expect(granted.quote.shipping).toBe(0);
    expect(granted.quote.cap).toBe(23790);
    expect(granted.quote.lines.reduce((a, l) => a + l.amount, 0)).toBe(10000);
    expect((await issueRefund(ctx, granted.refundId)).status).toBe("succeeded");
    expect((await findOrder(ctx.db, orderId))?.aftersales_status).toBe("partially_refunded");
  });

  it("rejecting needs a reason and releases the quantity for a new case", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx);
    const items = [{ lineId: lines[1]?.id ?? 0, quantity: 1 }];
    const { id } = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "return_refund",
      reason: "size_fit",
      source: "chat",
      items,
    });
    expect(
      await codeOf(
        submitCase(ctx, REVIEWER, { orderId, type: "refund_only", reason: "quality", source: "chat", items }),
      ),
    ).toBe("QUANTITY_EXCEEDS_RETURNABLE");
    expect(await codeOf(rejectCase(ctx, REVIEWER, id, { note: " " }))).toBe("GUARD_FAILED");
    expect((await rejectCase(ctx, REVIEWER, id, { note: "超过退货期" })).status).toBe("rejected");
    expect((await findOrder(ctx.db, orderId))?.aftersales_status).toBe("closed");
    const again = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items,
    });
    expect(again.created).toBe(true);
    expect((await cancelCase(ctx, REVIEWER, again.id)).status).toBe("cancelled");
  });

  it("cannot return what was never shipped", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx, { shipments: [] });
    const items = [{ lineId: lines[0]?.id ?? 0, quantity: 1 }];
    expect(
      await codeOf(
        submitCase(ctx, REVIEWER, {
          orderId,
          type: "return_refund",
          reason: "changed_mind",
          source: "chat",
          items,
        }),
      ),
    ).toBe("NOT_SHIPPED");
    // …but an unshipped order can be refunded.
    const { id } = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "changed_mind",
      source: "chat",
      items,
    });
    expect((await findCase(ctx.db, id))?.status).toBe("requested");
  });
});

describe("partial refunds add up exactly", () => {
  it("three cases on one line of 3 units refund exactly what the line paid", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx, {
      lines: [{ externalId: "L1", sku: "SOCK", quantity: 3, unitPrice: "10.00" }],
      discounts: [{ kind: "coupon", amount: "0.01" }],
      shippingFee: "0",
      payments: [{ tender: "wechat_pay", amount: "29.99" }],
    });
    const lineId = lines[0]?.id ?? 0;
    let refunded = 0;
    for (let i = 0; i < 3; i++) {
      const { id } = await submitCase(ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId, quantity: 1 }],
      });
      await approveCase(ctx, REVIEWER, id);
      const g = await grantRefund(ctx, REVIEWER, id);
      await issueRefund(ctx, g.refundId);
      refunded += g.quote.total;
    }
    expect(refunded).toBe(2999);
    const order = await findOrder(ctx.db, orderId);
    expect(order?.refunded_total).toBe(2999);
    expect(order?.aftersales_status).toBe("refunded");
    expect(
      await codeOf(
        submitCase(ctx, REVIEWER, {
          orderId,
          type: "refund_only",
          reason: "quality",
          source: "chat",
          items: [{ lineId, quantity: 1 }],
        }),
      ),
    ).toBe("QUANTITY_EXCEEDS_RETURNABLE");
  });

  it("a deduction the merchant kept is not given back by the line's last refund", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx, {
      lines: [{ externalId: "L1", sku: "MUG", quantity: 2, unitPrice: "10.00" }],
      discounts: [],
      shippingFee: "0",
      payments: [{ tender: "wechat_pay", amount: "20.00" }],
    });
    const items = [{ lineId: lines[0]?.id ?? 0, quantity: 1 }];
    const first = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "changed_mind",
      source: "chat",
      items,
    });
    await approveCase(ctx, REVIEWER, first.id);
    const g1 = await grantRefund(ctx, REVIEWER, first.id, {
      deductions: [{ kind: "restocking_fee", amount: "1.00" }],
    });
    expect(g1.quote.total).toBe(900);
    await issueRefund(ctx, g1.refundId);
    const second = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "changed_mind",
      source: "chat",
      items,
    });
    await approveCase(ctx, REVIEWER, second.id);
    const g2 = await grantRefund(ctx, REVIEWER, second.id);
    expect(g2.quote.total).toBe(1000);
    await issueRefund(ctx, g2.refundId);
    expect((await findOrder(ctx.db, orderId))?.refunded_total).toBe(1900);
  });
});

describe("exchange and reship", () => {
  it("an exchange takes the goods back and ships a replacement", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx);
    const { id } = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "exchange",
      reason: "size_fit",
      source: "mini_program",
      items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
    });
    await approveCase(ctx, REVIEWER, id);
    await recordReturnShipment(ctx, REVIEWER, id, parcel);
    await receiveReturn(ctx, WAREHOUSE, id, { quantity: 1, condition: "intact" });
    await inspectReturn(ctx, WAREHOUSE, id, { result: "pass" });
    expect(await codeOf(grantRefund(ctx, REVIEWER, id))).toBe("INVALID_TRANSITION");
    expect(await codeOf(shipReplacement(ctx, WAREHOUSE, id, { carrier: "SF", trackingNo: "" }))).toBe(
      "TRACKING_REQUIRED",
    );
    expect(
      (await shipReplacement(ctx, WAREHOUSE, id, { carrier: "SF", trackingNo: "SF-NEW-1" })).status,
    ).toBe("replacement_shipped");
    expect((await findOrder(ctx.db, orderId))?.aftersales_status).toBe("closed");
    await closeCase(ctx, REVIEWER, id);
    expect((await caseShipments(ctx.db, id)).map((s) => s.direction)).toEqual(["return", "replacement"]);
  });

  it("a reship sends the missing item again without any return", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx);
    const { id } = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "reship",
      reason: "missing_item",
      source: "phone",
      items: [{ lineId: lines[1]?.id ?? 0, quantity: 1 }],
    });
    expect(await codeOf(recordReturnShipment(ctx, REVIEWER, id, parcel))).toBe("INVALID_TRANSITION");
    await approveCase(ctx, REVIEWER, id);
    await shipReplacement(ctx, WAREHOUSE, id, { carrier: "ZTO", trackingNo: "ZTO-9" });
    expect((await closeCase(ctx, REVIEWER, id)).status).toBe("closed");
  });
});
