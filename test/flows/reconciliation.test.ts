import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { type AlipayChannel, alipayChannel } from "../../src/channels/payments/alipay/adapter.ts";
import { type AlipaySimulator, startAlipaySimulator } from "../../src/channels/payments/alipay/simulator.ts";
import type { PaymentChannel } from "../../src/channels/payments/channel.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { wechatPayChannel } from "../../src/channels/payments/wechat-pay/adapter.ts";
import {
  renderRefundBill,
  startWechatPaySimulator,
  type WechatPaySimulator,
} from "../../src/channels/payments/wechat-pay/simulator.ts";
import { AppError } from "../../src/domain/errors.ts";
import type { RefundBillSource } from "../../src/domain/reconcile/bill.ts";
import { addDays, beijingDate } from "../../src/domain/reconcile/match.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { reconcileDay } from "../../src/flows/reconcile.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { reconcileYesterday } from "../../src/jobs/reconcile.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv, usingPostgres } from "../support/db.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";

/**
 * Reconciliation against the WeChat Pay and Alipay simulators: refunds made through the real flows and
 * adapters, refunds only one side knows about, then the day's bill fetched over each channel's protocol
 * and compared. The clock is the real one: the simulators file refunds under the day they happen.
 */

let env: TestEnv;
let wsim: WechatPaySimulator;
let asim: AlipaySimulator;
let wechat: PaymentChannel & RefundBillSource;
let alipay: AlipayChannel;
let ctx: FlowContext;
const FINANCE = { kind: "user" as const, id: "finance-1" };
const today = () => beijingDate(new Date());
const fixture = (name: string) => readFileSync(new URL(`../fixtures/bills/${name}`, import.meta.url));
/** No midnight grace in these tests: a refund made at 23:50 is missing, not awaiting, so results do not depend on the hour. */
const NO_WINDOW = { midnightWindowMs: 0 };

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 10_000 });
  [wsim, asim] = await Promise.all([startWechatPaySimulator(), startAlipaySimulator()]);
  wechat = wechatPayChannel({ ...wsim.merchantConfig, timeoutMs: 5_000 });
  alipay = alipayChannel({ ...asim.merchantConfig, timeoutMs: 5_000 });
  ctx = {
    ...env.ctx,
    now: () => new Date(),
    payments: createPaymentRegistry({ wechat_pay: wechat, alipay }, env.ctx.payments.get("sandbox")),
  };
});
afterAll(async () => {
  await wsim?.close();
  await asim?.close();
  await env?.close();
});

let n = 0;
/** A delivered order paid 245.90 through `tender`, a refund_only case for one T-shirt, approved and granted. */
async function refundThrough(tender: "wechat_pay" | "alipay") {
  const tx = `${tender === "alipay" ? "2026" : "4200"}${String(Date.now()).slice(-9)}${String(++n).padStart(4, "0")}`;
  const { orderId, lines } = await placeOrder(ctx, {
    payments: [{ tender, amount: "245.90", transactionId: tx }],
  });
  if (tender === "alipay") {
    const order = await ctx.db
      .selectFrom("orders")
      .select("external_id")
      .where("id", "=", orderId)
      .executeTakeFirstOrThrow();
    asim.openTrade({ tradeNo: tx, outTradeNo: order.external_id, total: 24590 });
  }
  const { id } = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
  });
  await approveCase(ctx, REVIEWER, id);
  await grantRefund(ctx, REVIEWER, id);
  const { id: refundId } = await ctx.db
    .selectFrom("refunds")
    .select("id")
    .where("case_id", "=", id)
    .executeTakeFirstOrThrow();
  // What the API does right after granting: send it now (the outbox would otherwise, later).
  await issueRefund(ctx, refundId).catch(() => undefined);
  const refund = await ctx.db
    .selectFrom("refunds")
    .select(["id", "idempotency_key", "amount", "status"])
    .where("case_id", "=", id)
    .executeTakeFirstOrThrow();
  return { ...refund, tx };
}

/** What a finance person changing our record by hand (or a bug) would leave behind. */
const setRefund = (id: number, set: { status?: string; amount?: number }) =>
  ctx.db
    .updateTable("refunds")
    .set({ ...set, ...(set.status === "succeeded" ? { succeeded_at: new Date() } : {}) })
    .where("id", "=", id)
    .execute();

const categoryOf = async (runId: number, key: string) =>
  (
    await ctx.db
      .selectFrom("reconciliation_items")
      .select("category")
      .where("run_id", "=", runId)
      .where("idempotency_key", "=", key)
      .execute()
  ).map((r) => r.category);

const counts = async () => ({
  runs: Number(
    (
      await ctx.db
        .selectFrom("reconciliation_runs")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  ),
  items: Number(
    (
      await ctx.db
        .selectFrom("reconciliation_items")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  ),
  stamps: (await ctx.db.selectFrom("reconciliation_runs").select(["id", "runs"]).orderBy("id").execute()).map(
    (r) => `${r.id}:${r.runs}`,
  ),
});

async function codeOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
  return "no error";
}

describe("WeChat Pay", () => {
  it("sorts a day's refunds: matched, missing on either side, amount and status mismatches", async () => {
    const matched = await refundThrough("wechat_pay");
    expect(matched.status).toBe("succeeded");

    // We recorded a success the channel never saw: the send failed and someone marked it refunded.
    wsim.faults({ failNext: 1 });
    const neverSent = await refundThrough("wechat_pay");
    expect(neverSent.status).not.toBe("succeeded");
    await setRefund(neverSent.id, { status: "succeeded" });

    // The channel refunded something we know nothing of (a refund made on the merchant platform by hand).
    const strayKey = `MANUAL${Date.now()}`;
    const stray = await wechat.refund({
      idempotencyKey: strayKey,
      transactionId: `4200${Date.now()}`,
      orderRef: "T-by-hand",
      amount: 1234,
      total: 5000,
      currency: "CNY",
    });
    expect(stray.status).toBe("succeeded");

    // Both sides have it, for different amounts.
    const drifted = await refundThrough("wechat_pay");
    await setRefund(drifted.id, { amount: drifted.amount - 1 });

    // WeChat closed it (退款关闭); we think it succeeded.
    wsim.faults({ declineNext: 1 });
    const closed = await refundThrough("wechat_pay");
    expect(closed.status).toBe("failed");
    await setRefund(closed.id, { status: "succeeded" });

    const r = await reconcileDay(ctx, FINANCE, { channel: "wechat_pay", date: today(), ...NO_WINDOW });
    expect(r.source).toBe("channel");
    expect(await categoryOf(r.runId, matched.idempotency_key)).toEqual(["matched"]);
    expect(await categoryOf(r.runId, neverSent.idempotency_key)).toEqual(["missing_on_channel"]);
    expect(await categoryOf(r.runId, strayKey)).toEqual(["missing_on_our_side"]);
    expect(await categoryOf(r.runId, drifted.idempotency_key)).toEqual(["amount_mismatch"]);
    expect(await categoryOf(r.runId, closed.idempotency_key)).toEqual(["status_mismatch"]);
    const item = r.problems.find((i) => i.key === drifted.idempotency_key);
    expect(item).toMatchObject({
      ourAmount: drifted.amount - 1,
      billAmount: drifted.amount,
      refundId: drifted.id,
    });
    expect(r.summary.problems).toBeGreaterThanOrEqual(4);
  });

  it("reconciling the same day again replaces its report instead of adding one", async () => {
    const first = await reconcileDay(ctx, FINANCE, { channel: "wechat_pay", date: today(), ...NO_WINDOW });
    const before = await counts();
    const again = await reconcileDay(ctx, FINANCE, { channel: "wechat_pay", date: today(), ...NO_WINDOW });
    const after = await counts();
    expect(again.runId).toBe(first.runId);
    expect(after.runs).toBe(before.runs);
    expect(after.items).toBe(before.items);
    const run = await ctx.db
      .selectFrom("reconciliation_runs")
      .selectAll()
      .where("id", "=", first.runId)
      .executeTakeFirstOrThrow();
    expect(run.runs).toBeGreaterThanOrEqual(2);
  });

  it("a downloaded bill that does not hash to what WeChat announced is refused, and nothing is stored", async () => {
    await refundThrough("wechat_pay");
    const before = await counts();
    wsim.faults({ tamperBillNext: 1 });
    expect(await codeOf(reconcileDay(ctx, FINANCE, { channel: "wechat_pay", date: today() }))).toBe(
      "BILL_HASH_MISMATCH",
    );
    expect(await counts()).toEqual(before);
  });

  it("a day whose bill is not out yet is said so, and nothing is stored", async () => {
    const before = await counts();
    expect(
      await codeOf(reconcileDay(ctx, FINANCE, { channel: "wechat_pay", date: addDays(today(), 2) })),
    ).toBe("BILL_NOT_READY");
    expect(await counts()).toEqual(before);
  });

  it("an uploaded bill is reconciled like a fetched one; a malformed one is refused and stores nothing", async () => {
    const r = await reconcileDay(ctx, FINANCE, {
      channel: "wechat_pay",
      date: "2026-11-22",
      file: fixture("wechat-refund-2026-11-22.csv"),
    });
    expect(r.source).toBe("upload");
    // None of the bill's refunds is ours: the successful one is missing on our side, the others moved nothing yet.
    expect(r.problems.map((i) => [i.key, i.category])).toEqual([["RF-1001-1", "missing_on_our_side"]]);
    expect(r.summary).toMatchObject({ billRows: 3, ignored: 2, billSucceededTotal: 9900 });

    const before = await counts();
    const broken = Buffer.from(
      fixture("wechat-refund-2026-11-22.csv").toString("utf8").replace(",`ORIGINAL,`SUCCESS,", ",`SUCCESS,"),
    );
    expect(
      await codeOf(reconcileDay(ctx, FINANCE, { channel: "wechat_pay", date: "2026-11-22", file: broken })),
    ).toBe("BILL_MALFORMED");
    expect(await counts()).toEqual(before);
  });
});

describe("Alipay", () => {
  it("sorts a day's refunds from the zipped GBK bill", async () => {
    const matched = await refundThrough("alipay");
    expect(matched.status).toBe("succeeded");

    asim.faults({ failNext: 1 });
    const neverSent = await refundThrough("alipay");
    expect(neverSent.status).not.toBe("succeeded");
    await setRefund(neverSent.id, { status: "succeeded" });

    const strayKey = `MANUAL${Date.now()}`;
    const tradeNo = `2026${Date.now()}`;
    asim.openTrade({ tradeNo, outTradeNo: `T-by-hand-${Date.now()}`, total: 5000 });
    const stray = await alipay.refund({
      idempotencyKey: strayKey,
      transactionId: tradeNo,
      orderRef: "T-by-hand",
      amount: 1234,
      total: 5000,
      currency: "CNY",
    });
    expect(stray.status).toBe("succeeded");

    const drifted = await refundThrough("alipay");
    await setRefund(drifted.id, { amount: drifted.amount + 100 });

    const r = await reconcileDay(ctx, FINANCE, { channel: "alipay", date: today(), ...NO_WINDOW });
    expect(await categoryOf(r.runId, matched.idempotency_key)).toEqual(["matched"]);
    expect(await categoryOf(r.runId, neverSent.idempotency_key)).toEqual(["missing_on_channel"]);
    expect(await categoryOf(r.runId, strayKey)).toEqual(["missing_on_our_side"]);
    expect(await categoryOf(r.runId, drifted.idempotency_key)).toEqual(["amount_mismatch"]);
  });

  it("an uploaded zip for another day than the one asked is refused", async () => {
    const before = await counts();
    const file = fixture("20880000000000000156_20261122.csv.zip");
    expect(await codeOf(reconcileDay(ctx, FINANCE, { channel: "alipay", date: "2026-11-21", file }))).toBe(
      "BILL_DATE_MISMATCH",
    );
    expect(await counts()).toEqual(before);
    const r = await reconcileDay(ctx, FINANCE, { channel: "alipay", date: "2026-11-22", file });
    expect(r.problems.map((i) => i.key).sort()).toEqual(["RF-2001-1", "RF-2002-1"]);
  });
});

describe("the daily job", () => {
  it("reconciles yesterday once per channel, however many workers run it", async () => {
    const yesterday = addDays(today(), -1);
    const runsOf = async () =>
      Object.fromEntries(
        (
          await ctx.db
            .selectFrom("reconciliation_runs")
            .select(["channel", "runs"])
            .where("bill_date", "=", yesterday)
            .execute()
        ).map((r) => [r.channel, r.runs]),
      );
    // An earlier test may have uploaded a bill of that day already: count from there.
    const before = await runsOf();
    const jobs = await Promise.all([
      reconcileYesterday(ctx, { worker: "worker-a", notBeforeHour: 0 }),
      reconcileYesterday({ ...ctx }, { worker: "worker-b", notBeforeHour: 0 }),
    ]);
    const ran = jobs.flat().filter((j) => j.date === yesterday);
    expect(ran.map((j) => j.channel).sort()).toEqual(["alipay", "wechat_pay"]);
    expect(ran.every((j) => j.runId !== undefined)).toBe(true);
    expect(await runsOf()).toEqual({
      alipay: (before.alipay ?? 0) + 1,
      wechat_pay: (before.wechat_pay ?? 0) + 1,
    });
    // The next tick finds the day done.
    expect(
      (await reconcileYesterday(ctx, { worker: "worker-a", notBeforeHour: 0 })).filter(
        (j) => j.date === yesterday,
      ),
    ).toEqual([]);
  });
});

describe("the daily job, near midnight", () => {
  it("looks at the day before yesterday again once the bill after it is out", async () => {
    const dayBefore = addDays(today(), -2);
    // A success of ours two minutes before that day's midnight, which the channel never made.
    wsim.faults({ failNext: 1 });
    const late = await refundThrough("wechat_pay");
    await ctx.db
      .updateTable("refunds")
      .set({ status: "succeeded", succeeded_at: new Date(`${dayBefore}T23:58:00+08:00`) })
      .where("id", "=", late.id)
      .execute();
    // Reconciled from an uploaded bill where no neighbouring bill can be fetched: it waits for the next day's.
    const noFetching = { ...ctx, payments: createPaymentRegistry({ alipay }, ctx.payments.get("sandbox")) };
    const empty = Buffer.from(renderRefundBill("1900000109", []));
    const first = await reconcileDay(noFetching, FINANCE, {
      channel: "wechat_pay",
      date: dayBefore,
      file: empty,
    });
    expect(first.awaiting.map((i) => i.key)).toEqual([late.idempotency_key]);

    const jobs = await reconcileYesterday(ctx, { worker: "worker-c", notBeforeHour: 0 });
    expect(jobs).toContainEqual({ channel: "wechat_pay", date: dayBefore, runId: first.runId });
    // The next day's bill is out now and does not show it either: missing after all.
    expect(await categoryOf(first.runId, late.idempotency_key)).toEqual(["missing_on_channel"]);
    const run = await ctx.db
      .selectFrom("reconciliation_runs")
      .selectAll()
      .where("id", "=", first.runId)
      .executeTakeFirstOrThrow();
    expect(run.awaiting).toBe(0);
    // Looked at once: the recheck is claimed like the day itself.
    const again = await reconcileYesterday(ctx, { worker: "worker-d", notBeforeHour: 0 });
    expect(again.filter((j) => j.date === dayBefore)).toEqual([]);
  });
});

describe("API", () => {
  let app: App;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    for (const role of ["finance", "admin", "cs_agent"])
      tokens[role] = (await createToken(ctx.db, { name: `${role}-r`, role })).token;
    app = await buildServer({ ctx, dbKind: env.store.kind });
  });
  afterAll(async () => {
    await app?.close();
  });
  const call = (role: string, method: "GET" | "POST", url: string, body?: Buffer, type?: string) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${tokens[role]}`, ...(type ? { "content-type": type } : {}) },
      ...(body ? { payload: body } : {}),
    });

  it("runs, lists and shows reconciliations for finance; others may not", async () => {
    const made = await refundThrough("wechat_pay");
    const posted = await call(
      "finance",
      "POST",
      `/api/v1/reconciliations?channel=wechat_pay&date=${today()}`,
    );
    expect(posted.statusCode).toBe(201);
    const run = posted.json();
    expect(run).toMatchObject({ channel: "wechat_pay", date: today(), source: "channel", currency: "CNY" });
    expect(run.counts.matched).toBeGreaterThanOrEqual(1);

    const list = await call("admin", "GET", "/api/v1/reconciliations?channel=wechat_pay");
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((r: { id: number }) => r.id)).toContain(run.id);

    const one = await call("finance", "GET", `/api/v1/reconciliations/${run.id}?category=matched`);
    expect(one.statusCode).toBe(200);
    const item = one.json().items.find((i: { key: string }) => i.key === made.idempotency_key);
    expect(item).toMatchObject({ category: "matched", refundId: made.id });
    expect(item.ourAmount).toMatch(/^\d+\.\d\d$/);
    expect(item.billAmount).toBe(item.ourAmount);

    expect((await call("cs_agent", "GET", "/api/v1/reconciliations")).statusCode).toBe(403);
    const missing = await call("finance", "GET", "/api/v1/reconciliations/999999");
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe("RECONCILIATION_NOT_FOUND");
  });

  it("takes an uploaded bill file; a malformed one is a 422 problem and stores nothing", async () => {
    const up = await call(
      "finance",
      "POST",
      "/api/v1/reconciliations?channel=alipay&date=2026-11-22",
      fixture("alipay-trade-2026-11-22.csv"),
      "text/csv",
    );
    expect(up.statusCode).toBe(201);
    expect(up.json()).toMatchObject({ source: "upload", billRows: 2 });
    // A problem item says what was found in Chinese and in English; the console shows the reader's.
    const shown = await call(
      "finance",
      "GET",
      `/api/v1/reconciliations/${up.json().id}?category=missing_on_our_side`,
    );
    expect(shown.statusCode).toBe(200);
    expect(shown.json().items.find((i: { key: string }) => i.key === "RF-2001-1")).toMatchObject({
      category: "missing_on_our_side",
      note: {
        zh: "渠道已退款；我方没有此退款单号的退款",
        en: "The channel refunded it; we have no refund with this key",
      },
    });

    const before = await counts();
    const bad = await call(
      "finance",
      "POST",
      "/api/v1/reconciliations?channel=wechat_pay&date=2026-11-20",
      Buffer.from("交易时间,商户退款单号\n`1,`2\n"),
      "text/csv",
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.headers["content-type"]).toContain("application/problem+json");
    expect(bad.json().code).toBe("BILL_MALFORMED");
    expect(await counts()).toEqual(before);
  });
});

describe("CLI", () => {
  it("aftersales reconcile --file prints the summary and the problem items", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aftersales-reconcile-"));
    try {
      const db = usingPostgres && env.store.url ? ["--database-url", env.store.url] : ["--data-dir", dir];
      const args = ["src/cli/main.ts", "reconcile", "--channel", "wechat_pay", "--date", "2026-11-22"];
      const file = new URL("../fixtures/bills/wechat-refund-2026-11-22.csv", import.meta.url).pathname;
      const { code, out } = await run([...args, "--file", file, ...db]);
      expect(code, out).toBe(0);
      expect(out).toMatch(
        /wechat_pay 2026-11-22 \(uploaded bill\), report \d+: 3 bill rows; matched 0, missing on our side 1/,
      );
      expect(out).toMatch(/missing on our side\s+RF-1001-1\s+bill 99\.00/);

      const wrong = await run([...args, "--channel", "paypal", ...db]);
      expect(wrong.code).not.toBe(0);
      expect(wrong.out).toMatch(/--channel is one of wechat_pay, alipay/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, DATABASE_URL: "", AFTERSALES_LANG: "en" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}
