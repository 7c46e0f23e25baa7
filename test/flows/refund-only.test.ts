import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { approveCase, closeCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { caseEvents } from "../../src/store/cases.ts";
import { findOrder } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

describe("refund_only from request to money", () => {
  it("submits, approves, refunds through the channel exactly once and closes", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx);
    const line = lines[0];
    if (!line) throw new Error("no line");
    const { id } = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: line.id, quantity: 1 }],
    });
    expect((await findOrder(ctx.db, orderId))?.aftersales_status).toBe("in_progress");
    await approveCase(ctx, REVIEWER, id);
    const granted = await grantRefund(ctx, REVIEWER, id);
    // 2 × 99.00 share a 20.00 coupon with 59.90 by value: the T-shirts carry 15.35 of it
    // (1535.48 → 1535; the cap takes the extra cent: 464.52 → 465).
    expect(line.paid).toBe(19800 - 1535);
    expect(granted.quote.total).toBe(Math.floor(line.paid / 2));
    const sent = await issueRefund(ctx, granted.refundId);
    expect(sent.status).toBe("succeeded");
    expect((await issueRefund(ctx, granted.refundId)).status).toBe("succeeded");
    expect(env.sim.refunds()).toHaveLength(1);
    expect(env.sim.refunds()[0]?.amount.refund).toBe(granted.quote.total);
    await closeCase(ctx, REVIEWER, id);
    const order = await findOrder(ctx.db, orderId);
    expect(order?.refunded_total).toBe(granted.quote.total);
    expect(order?.aftersales_status).toBe("partially_refunded");
    const events = await caseEvents(ctx.db, id);
    expect(events.map((e) => e.to_status)).toEqual([
      "requested",
      "approved",
      "refunding",
      "refunded",
      "closed",
    ]);
    expect(events.map((e) => e.actor)).toEqual([
      "user:reviewer-1",
      "user:reviewer-1",
      "user:reviewer-1",
      "channel:alipay",
      "user:reviewer-1",
    ]);
  });
});
