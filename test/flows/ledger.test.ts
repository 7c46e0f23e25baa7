import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import { compensate } from "../../src/flows/compensate.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { financeReport } from "../../src/flows/finance-report.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { issueRefunds, recordOutcome } from "../../src/flows/issue-refund.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { setFinanceFees } from "../../src/flows/settings.ts";
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

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 0 });
  ctx = {
    ...env.ctx,
    payments: {
      get: (name) => (name === "points" ? points : env.ctx.payments.get(name)),
      has: (name) => name === "points" || env.ctx.payments.has(name),
    },
  };
  await addShop(ctx);
  await addShop(ctx, "jd-1", "jd");
});
afterAll(() => env.close());

let n = 0;
async function approvedCase(over: Parameters<typeof sampleOrder>[0] = {}, reason = "quality") {
  n++;
  const { id: orderId } = await ingestOrder(ctx, sampleOrder({ externalId: `LEDGER-${n}`, ...over }));
  const lines = await orderLines(ctx.db, orderId);
  const c = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: reason as "quality",
    source: "phone",
    items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
  });
  await approveCase(ctx, REVIEWER, c.id);
  return { caseId: c.id, orderId };
}

const entriesOf = (caseId: number) =>
  ctx.db
    .selectFrom("ledger_entries")
    .select(["kind", "tender", "amount", "refund_id", "order_id", "payment_id", "shop_id", "reason"])
    .where("case_id", "=", caseId)
    .orderBy("id")
    .execute();

describe("the finance ledger", () => {
  it("posts a refund's goods, shipping and the fee Alipay keeps, linked to case, order and payment", async () => {
    const { caseId, orderId } = await approvedCase();
    const g = await grantRefund(ctx, REVIEWER, caseId);
    await issueRefunds(ctx, g.refunds);
    const entries = await entriesOf(caseId);
    const payment = await ctx.db
      .selectFrom("payments")
      .select("id")
      .where("order_id", "=", orderId)
      .executeTakeFirstOrThrow();
    // ¥245.90 = goods ¥237.90 + shipping ¥8.00; Alipay keeps 0.6% of the refunded money: ¥1.48 (half up).
    expect(entries.map((e) => [e.kind, e.tender, Number(e.amount)])).toEqual([
      ["refund_goods", "alipay", 23790],
      ["refund_shipping", "alipay", 800],
      ["channel_fee", "alipay", 148],
    ]);
    for (const e of entries) {
      expect(e).toMatchObject({
        order_id: orderId,
        payment_id: payment.id,
        shop_id: "tmall-1",
        reason: "quality",
      });
      expect(e.refund_id).toBe(g.refunds[0]?.id);
    }
  });

  it("WeChat Pay gives its fee back on refund, so a WeChat refund costs no fee; fees are the merchant's to state", async () => {
    const { caseId } = await approvedCase({
      payments: [{ tender: "wechat_pay", amount: "245.90", transactionId: "WX-LEDGER-1" }],
    });
    await issueRefunds(ctx, (await grantRefund(ctx, REVIEWER, caseId)).refunds);
    expect((await entriesOf(caseId)).map((e) => e.kind)).toEqual(["refund_goods", "refund_shipping"]);

    await setFinanceFees(ctx, { wechat_pay: { rateBp: 38, returnedOnRefund: false } });
    try {
      const second = await approvedCase({
        payments: [{ tender: "wechat_pay", amount: "245.90", transactionId: "WX-LEDGER-2" }],
      });
      await issueRefunds(ctx, (await grantRefund(ctx, REVIEWER, second.caseId)).refunds);
      const fee = (await entriesOf(second.caseId)).find((e) => e.kind === "channel_fee");
      expect(Number(fee?.amount)).toBe(93); // 0.38% of ¥245.90 = ¥0.934…
    } finally {
      await setFinanceFees(ctx, {});
    }
    expect(await codeOf(setFinanceFees(ctx, { alipay: { rateBp: -1, returnedOnRefund: true } }))).toBe(
      "INVALID_FEES",
    );
  });

  it("a duplicate or concurrent success posts once", async () => {
    const { caseId } = await approvedCase();
    const g = await grantRefund(ctx, REVIEWER, caseId);
    const id = g.refunds[0]?.id as number;
    const outcome = {
      status: "succeeded" as const,
      channelRefundId: "R-DUP",
      succeededAt: ctx.now().toISOString(),
    };
    await Promise.all([recordOutcome(ctx, id, outcome), recordOutcome(ctx, id, outcome)]);
    await recordOutcome(ctx, id, outcome);
    expect((await entriesOf(caseId)).map((e) => e.kind)).toEqual([
      "refund_goods",
      "refund_shipping",
      "channel_fee",
    ]);
  });

  it("each leg of a split refund is posted under its own tender", async () => {
    const { caseId } = await approvedCase({
      payments: [
        { tender: "wechat_pay", amount: "200.00", transactionId: "WX-SPLIT-L" },
        { tender: "points", amount: "45.90", transactionId: "PTS-SPLIT-L" },
      ],
    });
    const g = await grantRefund(ctx, REVIEWER, caseId);
    await issueRefunds(ctx, g.refunds);
    await settleOfflineRefund(ctx, FINANCE, g.refunds[1]?.id as number, { reference: "JF-1" });
    const byTender = new Map<string, number>();
    for (const e of await entriesOf(caseId))
      byTender.set(e.tender as string, (byTender.get(e.tender as string) ?? 0) + Number(e.amount));
    expect(Object.fromEntries(byTender)).toEqual({ wechat_pay: 20000, points: 4590 });
  });

  it("compensation is posted once per version of the case; a double click is refused, not paid twice", async () => {
    const { caseId } = await approvedCase({}, "logistics_delay");
    const kase = await findCase(ctx.db, caseId);
    const form = {
      type: "coupon" as const,
      amount: "10.00",
      reference: "CPN-8899",
      expectedVersion: kase?.version as number,
    };
    const [a, b] = await Promise.allSettled([
      compensate(ctx, REVIEWER, caseId, form),
      compensate(ctx, REVIEWER, caseId, form),
    ]);
    expect([a.status, b.status].sort()).toEqual(["fulfilled", "rejected"]);
    const before = await snapshot(ctx);
    expect(await codeOf(compensate(ctx, REVIEWER, caseId, form))).toBe("VERSION_CONFLICT");
    expect(
      await codeOf(
        compensate(ctx, REVIEWER, caseId, {
          ...form,
          type: "voucher" as never,
          expectedVersion: (kase?.version as number) + 1,
        }),
      ),
    ).toBe("INVALID_COMPENSATION");
    expect(
      await codeOf(
        compensate(ctx, REVIEWER, caseId, {
          ...form,
          amount: "0",
          expectedVersion: (kase?.version as number) + 1,
        }),
      ),
    ).toBe("INVALID_AMOUNT");
    expect(await snapshot(ctx)).toEqual(before);
    const subsidy = await compensate(ctx, FINANCE, caseId, {
      type: "shipping_subsidy",
      amount: "12.00",
      expectedVersion: (kase?.version as number) + 1,
    });
    expect(subsidy.version).toBe((kase?.version as number) + 2);
    expect((await entriesOf(caseId)).map((e) => [e.kind, e.tender, Number(e.amount)])).toEqual([
      ["compensation", "coupon", 1000],
      ["shipping_subsidy", "cash", 1200],
    ]);
    const events = await ctx.db
      .selectFrom("case_events")
      .select(["action", "from_status", "to_status"])
      .where("case_id", "=", caseId)
      .where("action", "=", "compensate")
      .execute();
    expect(events).toEqual([
      { action: "compensate", from_status: "approved", to_status: "approved" },
      { action: "compensate", from_status: "approved", to_status: "approved" },
    ]);
  });

  it("the report cuts the money by day in the merchant's time zone, shop, channel and reason", async () => {
    // 2026-11-10 23:30 in Shanghai is 15:30 UTC: the refund belongs to the 10th, the next one to the 11th.
    env.clock.now = new Date("2026-11-10T15:30:00Z");
    const late = await approvedCase({ shop: "jd-1" }, "damaged");
    await issueRefunds(ctx, (await grantRefund(ctx, REVIEWER, late.caseId)).refunds);
    env.clock.now = new Date("2026-11-10T16:30:00Z");
    const next = await approvedCase({ shop: "jd-1" }, "damaged");
    await issueRefunds(ctx, (await grantRefund(ctx, REVIEWER, next.caseId)).refunds);
    await compensate(ctx, REVIEWER, next.caseId, {
      type: "cash",
      amount: "5.00",
      reference: "BANK-1",
      expectedVersion: (await findCase(ctx.db, next.caseId))?.version as number,
    });

    const report = await financeReport(ctx, { from: "2026-11-10", to: "2026-11-11", by: "day,shop,reason" });
    expect(report.timeZone).toBe("Asia/Shanghai");
    expect(report.rows).toEqual([
      {
        currency: "CNY",
        day: "2026-11-10",
        shop: "jd-1",
        reason: "damaged",
        goods: 23790,
        shipping: 800,
        compensation: 0,
        subsidies: 0,
        fees: 148,
        net: 24738,
        entries: 3,
      },
      {
        currency: "CNY",
        day: "2026-11-11",
        shop: "jd-1",
        reason: "damaged",
        goods: 23790,
        shipping: 800,
        compensation: 500,
        subsidies: 0,
        fees: 148,
        net: 25238,
        entries: 4,
      },
    ]);
    const byChannel = await financeReport(ctx, { from: "2026-11-10", to: "2026-11-11", by: "month,channel" });
    expect(byChannel.rows.map((r) => [r.month, r.channel, r.net])).toEqual([
      ["2026-11", "alipay", 49476],
      ["2026-11", "cash", 500],
    ]);
    expect(await codeOf(financeReport(ctx, { from: "2026-11-11", to: "2026-11-10" }))).toBe(
      "INVALID_DATE_RANGE",
    );
    expect(await codeOf(financeReport(ctx, { from: "2026-11-1", to: "2026-11-10" }))).toBe("INVALID_DATE");
    expect(await codeOf(financeReport(ctx, { from: "2026-11-01", to: "2026-11-10", by: "week" }))).toBe(
      "INVALID_REPORT_DIMENSION",
    );
  });

  it("the books agree with the money: refund entries add up to the succeeded refunds and each order's refunded total", async () => {
    const { rows } = await sql<{ order_id: number; ledger: string; refunds: string; refunded_total: string }>`
      select o.id as order_id,
             (select coalesce(sum(amount), 0) from ledger_entries l
               where l.order_id = o.id and l.kind in ('refund_goods', 'refund_shipping')) as ledger,
             (select coalesce(sum(amount), 0) from refunds r where r.order_id = o.id and r.status = 'succeeded') as refunds,
             o.refunded_total
        from orders o`.execute(ctx.db);
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) {
      expect(Number(r.ledger)).toBe(Number(r.refunds));
      expect(Number(r.refunds)).toBe(Number(r.refunded_total));
    }
  });
});
