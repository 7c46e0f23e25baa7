import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import { quoteRefund } from "../../src/domain/refund-quote.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { issueRefunds } from "../../src/flows/issue-refund.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { settleOfflineRefund } from "../../src/flows/settle-offline-refund.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { switchRefundToOffline } from "../../src/flows/switch-refund.ts";
import { findCase } from "../../src/store/cases.ts";
import { findOrder, orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, codeOf, REVIEWER, sampleOrder } from "../support/fixtures.ts";

const FINANCE = { kind: "user" as const, id: "finance-1" };

describe("partial shipping refunds (部分退运费), as a property of the quote", () => {
  it("never give back more shipping than was paid, and the last one can take exactly what is left", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 12 }),
        (fee, asks) => {
          let refunded = 0;
          // One line of many units, so every refund has a unit to go with its shipping.
          const line = { lineId: 1, quantity: 100, paid: 100_000, refundedQuantity: 0, refundedAmount: 0 };
          const quote = (shipping: number) =>
            quoteRefund({
              currency: "CNY",
              lines: [line],
              shippingFee: fee,
              shippingRefunded: refunded,
              items: [{ lineId: 1, quantity: 1 }],
              reason: "changed_mind",
              shipping,
            });
          for (const ask of asks) {
            if (ask <= fee - refunded) {
              const q = quote(ask);
              expect(q.shipping).toBe(ask);
              refunded += q.shipping;
            } else {
              expect(() => quote(ask)).toThrowError(
                expect.objectContaining({
                  code: "SHIPPING_EXCEEDS_REFUNDABLE",
                  details: expect.objectContaining({ refundable: ((fee - refunded) / 100).toFixed(2) }),
                }),
              );
            }
            expect(refunded).toBeLessThanOrEqual(fee);
          }
          const last = quote(fee - refunded);
          expect(refunded + last.shipping).toBe(fee);
        },
      ),
    );
  });
});

describe("partial shipping refunds through the flows, as a property", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await testEnv({ refundSendGraceMs: 0 });
    await addShop(env.ctx);
  });
  afterAll(() => env.close());

  it("grants of part of the shipping never exceed it (a refused refund gives its share back), and the last takes the rest", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3_000 }),
        fc.array(fc.record({ ask: fc.integer({ min: 0, max: 2_000 }), declined: fc.boolean() }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (fee, asks) => {
          const ctx = env.ctx;
          const { id: orderId } = await ingestOrder(
            ctx,
            sampleOrder({
              lines: [{ externalId: "L1", sku: "MUG-01", title: "马克杯", quantity: 6, unitPrice: "40.00" }],
              discounts: [],
              shippingFee: (fee / 100).toFixed(2),
              payments: [{ tender: "alipay", amount: ((24_000 + fee) / 100).toFixed(2) }],
            }),
          );
          const [line] = await orderLines(ctx.db, orderId);
          const oneMug = async () => {
            const c = await submitCase(ctx, REVIEWER, {
              orderId,
              type: "refund_only",
              reason: "changed_mind",
              source: "chat",
              items: [{ lineId: line?.id as number, quantity: 1 }],
            });
            await approveCase(ctx, REVIEWER, c.id);
            return c.id;
          };
          let given = 0;
          for (const { ask, declined } of asks) {
            const id = await oneMug();
            if (ask > fee - given) {
              expect(await codeOf(grantRefund(ctx, REVIEWER, id, { shipping: (ask / 100).toFixed(2) }))).toBe(
                "SHIPPING_EXCEEDS_REFUNDABLE",
              );
              continue;
            }
            env.sim.faults({ declineNext: declined ? 1 : 0 });
            const g = await grantRefund(ctx, REVIEWER, id, { shipping: (ask / 100).toFixed(2) });
            expect(g.quote.shipping).toBe(ask);
            const [sent] = await issueRefunds(ctx, g.refunds);
            if (sent?.status === "succeeded") given += ask;
            else expect(sent?.status).toBe("failed"); // its shipping is free again
          }
          const last = await oneMug();
          const rest = fee - given;
          const g = await grantRefund(ctx, REVIEWER, last, { shipping: (rest / 100).toFixed(2) });
          await issueRefunds(ctx, g.refunds);
          const posted = await ctx.db
            .selectFrom("ledger_entries")
            .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("amount"), eb.lit(0)).as("s"))
            .where("order_id", "=", orderId)
            .where("kind", "=", "refund_shipping")
            .executeTakeFirstOrThrow();
          expect(Number(posted.s)).toBe(fee);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);
});

describe("a failed leg of a split refund switched to bank transfer (改线下退款)", () => {
  let env: TestEnv;
  let ctx: FlowContext;

  beforeAll(async () => {
    env = await testEnv({ refundSendGraceMs: 0 });
    // WeChat Pay refunds through the sandbox simulator; points and bank transfers are paid by a person.
    const own: Record<string, ReturnType<typeof offlineChannel>> = {
      points: offlineChannel("points"),
      bank_transfer: offlineChannel("bank_transfer"),
    };
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

  it("waits for every leg to settle, switches only the failed one, and the customer is paid the whole once", async () => {
    const { id: orderId } = await ingestOrder(
      ctx,
      sampleOrder({
        payments: [
          { tender: "wechat_pay", amount: "210.00", transactionId: "WX-SPLIT-1" },
          { tender: "points", amount: "35.90", transactionId: "PTS-SPLIT-1" },
        ],
      }),
    );
    const lines = await orderLines(ctx.db, orderId);
    const c = await submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "quality",
      source: "phone",
      items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
    });
    await approveCase(ctx, REVIEWER, c.id);
    env.sim.faults({ declineNext: 1 });
    const g = await grantRefund(ctx, REVIEWER, c.id);
    const sent = await issueRefunds(ctx, g.refunds);
    const wechat = g.refunds.find((r) => r.channel === "wechat_pay");
    const pts = g.refunds.find((r) => r.channel === "points");
    expect(sent.map((x) => x.status).sort()).toEqual(["failed", "processing"]);

    // The points leg is still with a person: the case is refunding, and nothing can be switched yet.
    expect(
      await codeOf(
        switchRefundToOffline(ctx, FINANCE, wechat?.id as number, {
          tender: "bank_transfer",
          note: "改银行卡",
        }),
      ),
    ).toBe("INVALID_TRANSITION");
    // Nor can a leg whose outcome is not failed be switched.
    expect(
      await codeOf(
        switchRefundToOffline(ctx, FINANCE, pts?.id as number, { tender: "bank_transfer", note: "x" }),
      ),
    ).toBe("REFUND_NOT_FAILED");
    await settleOfflineRefund(ctx, FINANCE, pts?.id as number, { reference: "PTS-BACK-1" });
    expect((await findCase(ctx.db, c.id))?.status).toBe("refund_failed");

    const switched = await switchRefundToOffline(ctx, FINANCE, wechat?.id as number, {
      tender: "bank_transfer",
      note: "微信退款被拒，改银行转账",
    });
    expect(switched.refunds).toHaveLength(1);
    const leg = switched.refunds[0];
    expect(leg).toMatchObject({ channel: "bank_transfer", amount: wechat?.amount });
    expect(leg?.idempotency_key).not.toBe(wechat?.idempotency_key);
    const old = await ctx.db
      .selectFrom("refunds")
      .select(["status", "replaced_by"])
      .where("id", "=", wechat?.id as number)
      .executeTakeFirstOrThrow();
    expect(old).toEqual({ status: "failed", replaced_by: leg?.id });

    await issueRefunds(ctx, switched.refunds);
    await settleOfflineRefund(ctx, FINANCE, leg?.id as number, { reference: "BANK-SPLIT-1" });
    expect((await findCase(ctx.db, c.id))?.status).toBe("refunded");
    const order = await findOrder(ctx.db, orderId);
    expect(order?.refunded_total).toBe(order?.paid_total);
    // Nothing is left to send, switch or grant: the sandbox was asked once and refused.
    expect(
      await codeOf(
        switchRefundToOffline(ctx, FINANCE, wechat?.id as number, { tender: "bank_transfer", note: "x" }),
      ),
    ).toBe("REFUND_ALREADY_REPLACED");
    expect(await codeOf(grantRefund(ctx, REVIEWER, c.id))).toBe("INVALID_TRANSITION");
    expect(env.sim.refunds().filter((r) => r.out_trade_no === order?.external_id)).toHaveLength(1);
  });
});
