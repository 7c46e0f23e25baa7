import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { issueRefunds } from "../../src/flows/issue-refund.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { setRefundTenderOrder } from "../../src/flows/settings.ts";
import { settleOfflineRefund } from "../../src/flows/settle-offline-refund.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { findCase } from "../../src/store/cases.ts";
import { orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, codeOf, REVIEWER, sampleOrder, snapshot } from "../support/fixtures.ts";

let env: TestEnv;
let ctx: FlowContext;
const FINANCE = { kind: "user" as const, id: "finance-1" };
const points = offlineChannel("points");
const coupon = offlineChannel("coupon");

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 0 });
  // Cash tenders refund through the sandbox simulator; points and coupons are re-credited by a person.
  const own: Record<string, ReturnType<typeof offlineChannel>> = { points, coupon };
  ctx = {
    ...env.ctx,
    payments: {
      get: (name) => own[name] ?? env.ctx.payments.get(name),
      has: (name) => name in own || env.ctx.payments.has(name),
    },
  };
  await addShop(ctx);
});
afterAll(() => env.close());

/** ¥245.90 paid as ¥200.00 WeChat Pay + ¥35.90 points + ¥10.00 store coupon. */
async function splitPaidCase(items: "all" | "cap" = "all") {
  const n = Math.random().toString(36).slice(2, 8);
  const { id: orderId } = await ingestOrder(
    ctx,
    sampleOrder({
      payments: [
        { tender: "points", amount: "35.90", transactionId: `PTS-${n}` },
        { tender: "wechat_pay", amount: "200.00", transactionId: `WX-${n}` },
        { tender: "coupon", amount: "10.00", transactionId: `CPN-${n}` },
      ],
    }),
  );
  const lines = await orderLines(ctx.db, orderId);
  const chosen =
    items === "all"
      ? lines.map((l) => ({ lineId: l.id, quantity: l.quantity }))
      : [{ lineId: lines[1]?.id as number, quantity: 1 }];
  const c = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "phone",
    items: chosen,
  });
  await approveCase(ctx, REVIEWER, c.id);
  return { caseId: c.id, orderId };
}

const refundsOf = (caseId: number) =>
  ctx.db
    .selectFrom("refunds")
    .select(["id", "channel", "amount", "status", "grant_no", "idempotency_key"])
    .where("case_id", "=", caseId)
    .orderBy("id")
    .execute();
const orderOf = (orderId: number) =>
  ctx.db
    .selectFrom("orders")
    .select(["refunded_total", "aftersales_status"])
    .where("id", "=", orderId)
    .executeTakeFirstOrThrow();
const atSimulator = (key: string) => env.sim.refunds().filter((r) => r.out_refund_no === key);

describe("a refund split across tenders", () => {
  it("a small refund goes back to the cash payment alone", async () => {
    const { caseId } = await splitPaidCase("cap");
    const g = await grantRefund(ctx, REVIEWER, caseId);
    expect(g.refunds.map((r) => [r.channel, r.amount])).toEqual([["wechat_pay", g.quote.total]]);
    await issueRefunds(ctx, g.refunds);
    expect((await findCase(ctx.db, caseId))?.status).toBe("refunded");
  });

  it("the whole order: cash first, then points, then the coupon; refunded only when every leg is back", async () => {
    const { caseId, orderId } = await splitPaidCase();
    const g = await grantRefund(ctx, REVIEWER, caseId);
    expect(g.quote.total).toBe(24590);
    expect(g.refunds.map((r) => [r.channel, r.amount])).toEqual([
      ["wechat_pay", 20000],
      ["points", 3590],
      ["coupon", 1000],
    ]);
    const results = await issueRefunds(ctx, g.refunds);
    expect(results.map((r) => r.status)).toEqual(["succeeded", "processing", "processing"]);
    // WeChat Pay took its leg once, against its own payment's total — not the order's.
    const [cash] = atSimulator(g.refunds[0]?.idempotency_key as string);
    expect(cash?.amount).toMatchObject({ refund: 20000, total: 20000 });
    expect((await findCase(ctx.db, caseId))?.status).toBe("refunding");
    expect((await orderOf(orderId)).refunded_total).toBe(0);

    await settleOfflineRefund(ctx, FINANCE, g.refunds[1]?.id as number, { reference: "PTS-BACK-1" });
    expect((await findCase(ctx.db, caseId))?.status).toBe("refunding");
    const last = await settleOfflineRefund(ctx, FINANCE, g.refunds[2]?.id as number, {
      reference: "CPN-REISSUE-1",
    });
    expect(last.caseStatus).toBe("refunded");
    expect(await orderOf(orderId)).toEqual({ refunded_total: 24590, aftersales_status: "refunded" });
    const event = await ctx.db
      .selectFrom("case_events")
      .select("data")
      .where("case_id", "=", caseId)
      .where("action", "=", "refund_succeeded")
      .executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({
      amount: 24590,
      legs: [
        { channel: "wechat_pay", amount: 20000, status: "succeeded" },
        { channel: "points", amount: 3590, status: "succeeded" },
        { channel: "coupon", amount: 1000, status: "succeeded" },
      ],
    });
  });

  it("a failed leg fails the case; granting again resends only that leg, and the money adds up once", async () => {
    const { caseId, orderId } = await splitPaidCase();
    env.sim.faults({ declineNext: 1 });
    const g = await grantRefund(ctx, REVIEWER, caseId);
    await issueRefunds(ctx, g.refunds);
    await settleOfflineRefund(ctx, FINANCE, g.refunds[1]?.id as number, { reference: "PTS-2" });
    await settleOfflineRefund(ctx, FINANCE, g.refunds[2]?.id as number, { reference: "CPN-2" });
    expect((await findCase(ctx.db, caseId))?.status).toBe("refund_failed");
    // The points and the coupon did come back: the order says so.
    expect(await orderOf(orderId)).toMatchObject({ refunded_total: 4590 });

    // A new amount would re-decide money already paid back: refused, and nothing changes.
    const before = await snapshot(ctx);
    expect(await codeOf(grantRefund(ctx, REVIEWER, caseId, { amount: "100.00" }))).toBe("REFUND_PARTLY_PAID");
    expect(await snapshot(ctx)).toEqual(before);

    const again = await grantRefund(ctx, REVIEWER, caseId);
    expect(again.refunds.map((r) => [r.channel, r.amount])).toEqual([["wechat_pay", 20000]]);
    expect(again.refunds[0]?.idempotency_key).not.toBe(g.refunds[0]?.idempotency_key);
    const [sent] = await issueRefunds(ctx, again.refunds);
    expect(sent?.caseStatus).toBe("refunded");
    expect(await orderOf(orderId)).toEqual({ refunded_total: 24590, aftersales_status: "refunded" });
    const rows = await refundsOf(caseId);
    expect(rows.map((r) => [r.grant_no, r.channel, r.status])).toEqual([
      [1, "wechat_pay", "failed"],
      [1, "points", "succeeded"],
      [1, "coupon", "succeeded"],
      [2, "wechat_pay", "succeeded"],
    ]);
    // Exactly one WeChat refund moved money for this case.
    const moved = rows
      .filter((r) => r.channel === "wechat_pay")
      .flatMap((r) => atSimulator(r.idempotency_key))
      .filter((r) => r.status === "SUCCESS");
    expect(moved.map((r) => r.amount.refund)).toEqual([20000]);
  });

  it("follows the merchant's stated order: points first", async () => {
    await setRefundTenderOrder(ctx, ["points", "coupon"]);
    try {
      const { caseId } = await splitPaidCase("cap");
      const g = await grantRefund(ctx, REVIEWER, caseId);
      // The cap's line (¥59.90 less its coupon share) is more than the points hold: points, coupon, then cash.
      expect(g.refunds.map((r) => r.channel)).toEqual(["points", "coupon", "wechat_pay"]);
      expect(g.refunds.slice(0, 2).map((r) => r.amount)).toEqual([3590, 1000]);
      expect(g.refunds.reduce((a, r) => a + r.amount, 0)).toBe(g.quote.total);
    } finally {
      await setRefundTenderOrder(ctx, ["wechat_pay"]);
    }
  });

  it("a second case on the same order only takes what each payment has left", async () => {
    const { caseId, orderId } = await splitPaidCase("cap");
    const first = await grantRefund(ctx, REVIEWER, caseId);
    await issueRefunds(ctx, first.refunds);
    const lines = await orderLines(ctx.db, orderId);
    const c2 = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "quality",
      source: "phone",
      items: [{ lineId: lines[0]?.id as number, quantity: 2 }],
    });
    await approveCase(ctx, REVIEWER, c2.id);
    const second = await grantRefund(ctx, REVIEWER, c2.id);
    const cashLeft = 20000 - first.quote.total;
    expect(second.refunds[0]).toMatchObject({ channel: "wechat_pay", amount: cashLeft });
    expect(second.refunds.reduce((a, r) => a + r.amount, 0)).toBe(second.quote.total);
  });
});
