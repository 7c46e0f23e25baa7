import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CaseType } from "../../src/domain/catalogue.ts";
import { OPEN_INTERCEPTION_STATUSES } from "../../src/domain/interception.ts";
import { MACHINES } from "../../src/domain/lifecycle.ts";
import { deriveOrderStatus } from "../../src/domain/order-status.ts";
import type { Actor, FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { inspectReturn, receiveReturn } from "../../src/flows/receive-return.ts";
import { approveCase, cancelCase, closeCase, rejectCase } from "../../src/flows/review-case.ts";
import { recordReturnShipment, shipReplacement } from "../../src/flows/shipments.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { findOrder, orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";

/**
 * Random sequences of people's actions against real cases on a real database: whatever they click,
 * no case leaves its machine, no line is refunded beyond what was paid, the channel holds exactly the
 * refunds we recorded, and the order's status is what its cases say.
 */
let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

type Step = (
  ctx: FlowContext,
  a: Actor,
  id: number,
  order: { orderId: number; lineIds: number[] },
) => Promise<unknown>;
const STEPS: Record<string, Step> = {
  // a second case on the same order competes for the same units
  submit_refund: (ctx, a, _id, { orderId, lineIds }) =>
    submitCase(ctx, a, {
      orderId,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: lineIds[0] ?? 0, quantity: 1 }],
    }),
  approve: (ctx, a, id) => approveCase(ctx, a, id),
  reject: (ctx, a, id) => rejectCase(ctx, a, id, { note: "不符合条件" }),
  cancel: (ctx, a, id) => cancelCase(ctx, a, id),
  ship_return: (ctx, a, id) => recordReturnShipment(ctx, a, id, { carrier: "SF", trackingNo: `R${id}` }),
  receive_1: (ctx, a, id) => receiveReturn(ctx, a, id, { quantity: 1, condition: "intact" }),
  receive_2: (ctx, a, id) => receiveReturn(ctx, a, id, { quantity: 2, condition: "opened" }),
  inspect_pass: (ctx, a, id) => inspectReturn(ctx, a, id, { result: "pass" }),
  inspect_fail: (ctx, a, id) => inspectReturn(ctx, a, id, { result: "fail" }),
  grant: async (ctx, a, id) => issueRefund(ctx, (await grantRefund(ctx, a, id)).refundId),
  grant_partial: async (ctx, a, id) =>
    issueRefund(ctx, (await grantRefund(ctx, a, id, { amount: "0.01" })).refundId),
  grant_only: (ctx, a, id) => grantRefund(ctx, a, id),
  ship_replacement: (ctx, a, id) => shipReplacement(ctx, a, id, { carrier: "ZTO", trackingNo: `N${id}` }),
  close: (ctx, a, id) => closeCase(ctx, a, id),
};
const EXPECTED = new Set([
  "INVALID_TRANSITION",
  "GUARD_FAILED",
  "RECEIPT_EXCEEDS_CASE",
  "QUANTITY_EXCEEDS_RETURNABLE",
  "QUANTITY_EXCEEDS_REFUNDABLE",
]);

describe("lifecycle on the database (property)", () => {
  it("random action sequences never reach an illegal state and never refund more than was paid", async () => {
    const types: CaseType[] = ["refund_only", "return_refund", "exchange", "reship"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...types),
        fc.array(fc.constantFrom(...Object.keys(STEPS)), { minLength: 1, maxLength: 14 }),
        async (type, steps) => {
          const { ctx } = env;
          const { orderId, lines } = await placeOrder(ctx);
          const lineIds = lines.map((l) => l.id);
          const { id } = await submitCase(ctx, REVIEWER, {
            orderId,
            type,
            reason: "quality",
            source: "chat",
            items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
          });
          const reachable = new Set<string>(["requested", ...MACHINES[type].map((t) => t.to)]);
          for (const step of steps) {
            try {
              await STEPS[step]?.(ctx, REVIEWER, id, { orderId, lineIds });
            } catch (e) {
              const code = (e as { code?: string }).code ?? "";
              if (!EXPECTED.has(code)) throw e;
            }
            const kase = await ctx.db
              .selectFrom("cases")
              .select("status")
              .where("id", "=", id)
              .executeTakeFirstOrThrow();
            expect(reachable.has(kase.status)).toBe(true);
          }
          const refunded = await ctx.db
            .selectFrom("refund_lines as rl")
            .innerJoin("refunds as r", "r.id", "rl.refund_id")
            .select(["rl.order_line_id", "rl.amount", "r.status", "r.idempotency_key"])
            .where("r.order_id", "=", orderId)
            .execute();
          for (const line of await orderLines(ctx.db, orderId)) {
            const held = refunded.filter((r) => r.order_line_id === line.id && r.status !== "failed");
            expect(held.reduce((a, r) => a + r.amount, 0)).toBeLessThanOrEqual(line.paid);
          }
          const refunds = await ctx.db
            .selectFrom("refunds")
            .selectAll()
            .where("order_id", "=", orderId)
            .execute();
          const succeeded = refunds.filter((r) => r.status === "succeeded");
          const order = await findOrder(ctx.db, orderId);
          expect(order?.refunded_total).toBe(succeeded.reduce((a, r) => a + r.amount, 0));
          expect(order?.refunded_total).toBeLessThanOrEqual(order?.paid_total ?? 0);
          for (const r of refunds) {
            const atChannel = env.sim.refunds().filter((s) => s.out_refund_no === r.idempotency_key);
            expect(atChannel.length).toBe(r.status === "requested" ? 0 : 1);
          }
          const states = (
            await ctx.db.selectFrom("cases").select("status").where("order_id", "=", orderId).execute()
          ).map((c) => c.status);
          const intercepting = await ctx.db
            .selectFrom("interceptions")
            .select("id")
            .where("order_id", "=", orderId)
            .where("status", "in", OPEN_INTERCEPTION_STATUSES)
            .executeTakeFirst();
          expect(order?.aftersales_status).toBe(
            deriveOrderStatus(states as never, order?.refunded_total ?? 0, order?.paid_total ?? 0, {
              openInterception: Boolean(intercepting),
            }),
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});
