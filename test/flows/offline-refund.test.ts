import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { settleOfflineRefund } from "../../src/flows/settle-offline-refund.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { findCase } from "../../src/store/cases.ts";
import { orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, codeOf, REVIEWER, refundOnlyCase, sampleOrder, snapshot } from "../support/fixtures.ts";

let env: TestEnv;
let ctx: FlowContext;
const FINANCE = { kind: "user" as const, id: "finance-1" };
const bank = offlineChannel("bank_transfer");

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 0 });
  // Bank transfers go to the offline channel; everything else to the sandbox, as configured.
  ctx = {
    ...env.ctx,
    payments: {
      get: (name) => (name === "bank_transfer" ? bank : env.ctx.payments.get(name)),
      has: (name) => name === "bank_transfer" || env.ctx.payments.has(name),
    },
  };
  await addShop(ctx);
});
afterAll(() => env.close());

async function bankPaidCase() {
  const { id: orderId } = await ingestOrder(
    ctx,
    sampleOrder({ payments: [{ tender: "bank_transfer", amount: "245.90", transactionId: "BANK-IN-1" }] }),
  );
  const lines = await orderLines(ctx.db, orderId);
  const c = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "phone",
    items: [{ lineId: lines[1]?.id as number, quantity: 1 }],
  });
  await approveCase(ctx, REVIEWER, c.id);
  return c.id;
}

describe("offline refunds", () => {
  it("wait for finance, without the outbox retrying, and succeed once with the transfer's reference", async () => {
    const caseId = await bankPaidCase();
    const g = await grantRefund(ctx, REVIEWER, caseId);
    expect((await issueRefund(ctx, g.refundId)).status).toBe("processing");
    expect((await findCase(ctx.db, caseId))?.status).toBe("refunding");
    env.clock.advance(60_000);
    await dispatchOnce(ctx);
    const msg = await ctx.db
      .selectFrom("outbox")
      .selectAll()
      .where("topic", "=", "refund.send")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(msg.status).toBe("done");

    const before = await snapshot(ctx);
    expect(await codeOf(settleOfflineRefund(ctx, FINANCE, g.refundId, { reference: "  " }))).toBe(
      "REFERENCE_REQUIRED",
    );
    expect(await snapshot(ctx)).toEqual(before);

    const res = await settleOfflineRefund(ctx, FINANCE, g.refundId, { reference: "ICBC-20261101-0042" });
    expect(res).toMatchObject({ status: "succeeded", caseStatus: "refunded" });
    const refund = await ctx.db
      .selectFrom("refunds")
      .selectAll()
      .where("id", "=", g.refundId)
      .executeTakeFirstOrThrow();
    expect(refund).toMatchObject({ status: "succeeded", channel_refund_id: "ICBC-20261101-0042" });
    const event = await ctx.db
      .selectFrom("case_events")
      .selectAll()
      .where("case_id", "=", caseId)
      .where("action", "=", "refund_succeeded")
      .executeTakeFirstOrThrow();
    expect(event.actor).toBe("user:finance-1");
    expect(await codeOf(settleOfflineRefund(ctx, FINANCE, g.refundId, { reference: "AGAIN" }))).toBe(
      "REFUND_ALREADY_SETTLED",
    );
  });

  it("cannot be used to settle a channel's refund by hand", async () => {
    const { id } = await refundOnlyCase(ctx);
    env.sim.faults({ failNext: 1 });
    const g = await grantRefund(ctx, REVIEWER, id);
    await issueRefund(ctx, g.refundId);
    expect(await codeOf(settleOfflineRefund(ctx, FINANCE, g.refundId, { reference: "X" }))).toBe(
      "NOT_AN_OFFLINE_REFUND",
    );
  });
});
