// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import type { DouyinSimulator } from "../../src/channels/platforms/douyin/simulator.ts";
import type { PddSimulator } from "../../src/channels/platforms/pdd/simulator.ts";
import type { PlatformSimulator, SimulatedOrder } from "../../src/channels/platforms/platform.ts";
import { signTop, toTopTime } from "../../src/channels/platforms/taobao/protocol.ts";
import type { TaobaoSimulator } from "../../src/channels/platforms/taobao/simulator.ts";
import type { CaseType } from "../../src/domain/catalogue.ts";
import type { Actor } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { inspectReturn, receiveReturn } from "../../src/flows/receive-return.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { onlyLeg } from "../support/fixtures.ts";
import {
  caseByExternal,
  customOrder,
  E2E_RETURN_ADDRESS,
  e2eSetup,
  eventsOf,
  expectResyncChangesNothing,
  orderRow,
  outboxOf,
  type PlatformTestEnv,
  platformEnv,
  pullAll,
  refundsOf,
  shortIds,
  simOrder,
  simulatedPlatformEnv,
} from "../support/platforms.ts";

/**
 * End to end on every platform's simulator, one row a platform: orders and requests appear on the
 * platform, are pulled (or pushed), judged by the live rules (E2E_RULES) or by people, refunded through
 * the `platform` tender — and every decision shows up on the platform, made with its own API calls.
 * The scenarios are written once; a row says how the platform carries each one out (its calls and raw
 * statuses) and what it cannot do (PDD cannot refuse, JD's service orders are decided in 京麦).
 */

const REVIEWER: Actor = { kind: "user", id: "reviewer-1" };
const WAREHOUSE: Actor = { kind: "user", id: "warehouse-1" };

/** One platform's database, simulator and shop with the e2e rules live; an API server on demand. */
interface Suite<S extends PlatformSimulator> {
  p: PlatformTestEnv<S>;
  version: number;
  /** Start (once) an API server on the suite's database: the platform's pushes go to `callback`. */
  serve(): Promise<{ app: App; callback: string }>;
}

/**
 * How a platform carries out the shared scenarios. S-typed hooks are methods (so a row for one
 * simulator fits the table of all).
 */
interface Row<S extends PlatformSimulator = PlatformSimulator> {
  name: string;
  start(): Promise<PlatformTestEnv<S>>;
  /** Live rules besides E2E_RULES. */
  rules?: unknown[];
  /** The platform's ids (JD and PDD send some as JSON numbers: shortIds). */
  ids?(order: SimulatedOrder): SimulatedOrder;
  /** A small quality refund-only request the rule approves: the platform's agreement and status. */
  refundOnly?: {
    /** The platform's id for such a request. */
    id?: RegExp;
    unshipped?: boolean;
    reason?: "quality" | "damaged";
    call: string;
    status: string;
    /** Agreeing is not the money back (JD): the refund stays processing; the platform pays later. */
    paidLater?: { status: string; afterMs: number };
  };
  /** Requests a rule rejects (the customised mug, changed mind). */
  rejects: {
    /** What the buyer's request is called here (in the test's name). */
    what: string;
    type: CaseType;
    id?: RegExp;
    unshipped?: boolean;
    /** The platform's status while our decision is on its way (and after, if nothing is sent). */
    waiting: string;
    /** Fetching what the refusal needs fails this many times first: nothing is guessed, it is retried. */
    failing?: { times: number; failedCall: string; fail(sim: S, attempt: number): void };
    /** The refusal the platform records (`call` is worked out from the platform's reason list). */
    refused?: { status: string; call(sim: S, id: string): string };
    /** The platform takes no refusal for it: the error the timeline keeps and where to decide instead. */
    notSent?: { code: string; where: string };
  }[];
  /** The buyer withdraws a request of this type; the platform's status then. */
  withdraw: { type: CaseType; status: string };
  /** A quality return of one T-shirt (99.00), agreed, shipped back, received, inspected, refunded. */
  ret?: {
    /** The order keeps its coupon (the platform states per-line paid amounts): the T-shirt is 94.00. */
    discounted?: boolean;
    /** The buyer asks for the money back, which this platform makes a return (Shopify). */
    requestedAs?: CaseType;
    /** A rule approves it (else a reviewer): the rule's id and the platform's status until we agree. */
    approvedBy?: { rule: string; status: string };
    carrier?: [string, string];
    agree: { call: string; status: string };
    /** The call confirming receipt, where the platform has one. */
    receipt?: string;
    refund: { call: string; status: string };
    before?(s: Suite<S>): void | Promise<void>;
    /** News comes by push: wait for the platform's pushes instead of pulling. */
    pushed?(s: Suite<S>): Promise<void>;
    after?(s: Suite<S>): void;
  };
  /** Scenarios only this platform has. */
  only?(s: () => Suite<S>): void;
}

const row = <S extends PlatformSimulator>(r: Row<S>) => r as unknown as Row;

const taobao = row<TaobaoSimulator>({
  name: "Taobao",
  start: () => platformEnv({ pageSize: 10 }),
  refundOnly: { call: "taobao.rp.refunds.agree", status: "SUCCESS" },
  rejects: [
    {
      what: "request",
      type: "return_refund",
      waiting: "WAIT_SELLER_AGREE",
      // The reason list cannot be had (a gateway 500, then a time-out envelope).
      failing: {
        times: 2,
        failedCall: "taobao.refund.refusereason.get",
        fail: (sim, attempt) =>
          sim.failNext("taobao.refund.refusereason.get", 1, attempt === 0 ? "http500" : "isp"),
      },
      refused: {
        status: "SELLER_REFUSE_BUYER",
        // The rule's reason (policy_excludes) as the id this refund's own list gives it, with its words.
        call: (sim, id) =>
          `taobao.refund.refuse:${sim.refuseReasons(id).find((r) => r.text === "定制类商品不支持七天无理由退换货")?.id}:该商品不支持此售后`,
      },
    },
  ],
  withdraw: { type: "refund_only", status: "CLOSED" },
  ret: {
    discounted: true,
    carrier: ["中通快递", "ZTO31415926"],
    agree: { call: "taobao.rp.returngoods.agree", status: "WAIT_BUYER_RETURN_GOODS" },
    receipt: "taobao.nextone.logistics.warehouse.update",
    refund: { call: "taobao.rp.refunds.agree", status: "SUCCESS" },
    // Driven by TMC pushes alone: the push opens the case (and pulls its order), follows the buyer's shipping.
    before: async (s) => s.p.sim.setPushUrl((await s.serve()).callback),
    pushed: (s) => s.p.sim.pushesSettled(),
    after: (s) => {
      expect(s.p.sim.pushes.filter((x) => x.status !== 200)).toEqual([]);
      s.p.sim.setPushUrl(undefined);
    },
  },
  only: (suite) =>
    it("takes a TMC push once, and refuses one that is not signed with the shop's secret", async () => {
      const { p } = suite();
      const { app } = await suite().serve();
      const order = simOrder();
      p.env.clock.advance(60_000);
      p.sim.placeOrder(order);
      const cap = order.lines[1] as (typeof order.lines)[number];
      const id = p.sim.requestAftersale({
        orderExternalId: order.externalId,
        type: "refund_only",
        reason: "changed_mind",
        lineId: cap.lineId,
        quantity: 1,
        amount: 1000,
      });
      const message = (secret: string) => {
        const params: Record<string, string> = {
          id: "9000000001",
          topic: "taobao_refund_RefundCreated",
          content: JSON.stringify({ refund_id: id, tid: order.externalId, refund_fee: "10.00" }),
          pub_time: toTopTime(p.env.clock.now),
          pub_app_key: p.sim.credentials.app_key as string,
          user_id: "2200000000001",
          user_nick: "模拟淘宝小店",
          app_key: p.sim.credentials.app_key as string,
          timestamp: toTopTime(p.env.clock.now),
          sign_method: "hmac-sha256",
        };
        params.sign = signTop(params, secret, "hmac-sha256");
        return new URLSearchParams(params).toString();
      };
      const post = (body: string) =>
        app.inject({
          method: "POST",
          url: `/api/v1/callbacks/platforms/${p.shop}`,
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: body,
        });
      const forged = await post(message("f".repeat(32)));
      expect(forged.statusCode).toBe(401);
      expect(forged.json()).toMatchObject({ code: "INVALID_SIGNATURE" });
      expect(await caseByExternal(p.ctx, p.shop, id)).toBeUndefined();

      const first = await post(message(p.sim.credentials.app_secret as string));
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ success: true, status: "applied" });
      const c = await caseByExternal(p.ctx, p.shop, id);
      expect(c?.requested_amount).toBe(1000);
      const again = await post(message(p.sim.credentials.app_secret as string));
      expect(again.json()).toEqual({ success: true, status: "duplicate" });
      const cases = await p.ctx.db.selectFrom("cases").select("id").where("external_id", "=", id).execute();
      expect(cases).toHaveLength(1);
    }),
});

/**
 * JD keeps two lists: a refund asked for before shipment is a refund-apply (退款审核单,
 * "refundapply:<id>") the merchant audits with replyRefund; anything else is a service order (售后服务单,
 * "asc:<id>") whose decisions the adapter cannot make (decide it in 京麦). An approved refund-apply is
 * `refunding`, never `refunded`: JD's finance approval is not the money back, and the adapter does not
 * read JD's refund records yet.
 */
const jd = row({
  name: "JD",
  start: () => simulatedPlatformEnv("jd"),
  ids: shortIds,
  refundOnly: {
    id: /^refundapply:\d+$/,
    unshipped: true,
    reason: "damaged",
    call: "jingdong.pop.afs.soa.refundapply.replyRefund status=1",
    status: "1",
    paidLater: { status: "3", afterMs: 3_600_000 },
  },
  rejects: [
    {
      what: "refund-apply",
      type: "refund_only",
      id: /^refundapply:\d+$/,
      unshipped: true,
      waiting: "0",
      refused: {
        status: "2",
        call: () =>
          "jingdong.pop.afs.soa.refundapply.replyRefund status=2 rejectType=5 remark=该商品不支持此售后",
      },
    },
    {
      what: "service order (return)",
      type: "return_refund",
      id: /^asc:\d+$/,
      waiting: "10001",
      notSent: { code: "JD_ASC_DECISION_UNSUPPORTED", where: "京麦" },
    },
  ],
  withdraw: { type: "return_refund", status: "10011" },
});

/**
 * The agreement (pdd.refund.agree) is the refund. PDD's open platform has no call to refuse a request
 * (refuse it in 拼多多商家后台) and none to confirm a return's receipt (agreeing the refund is that).
 */
const pdd = row<PddSimulator>({
  name: "PDD",
  start: () => simulatedPlatformEnv("pdd"),
  ids: shortIds,
  refundOnly: { call: "pdd.refund.agree", status: "10" },
  rejects: [
    {
      what: "request",
      type: "return_refund",
      waiting: "3",
      notSent: { code: "PDD_NO_REFUSE_API", where: "拼多多商家后台" },
    },
  ],
  withdraw: { type: "refund_only", status: "11" },
  ret: {
    agree: { call: "pdd.refund.returngoods.agree", status: "7" },
    refund: { call: "pdd.refund.agree", status: "10" },
    // PDD agrees a return with an address from PDD's own address book.
    before: (s) => void s.p.sim.addReturnAddress(E2E_RETURN_ADDRESS),
  },
});

/** 抖店: every decision is an afterSale/operate call of its own type. */
const douyin = row<DouyinSimulator>({
  name: "Douyin",
  start: () => simulatedPlatformEnv("douyin"),
  refundOnly: { call: "afterSale/operate type=201", status: "12" },
  rejects: [
    {
      what: "request",
      type: "return_refund",
      waiting: "6",
      // The 拒绝原因码 listing fails (HTTP 500).
      failing: {
        times: 1,
        failedCall: "rejectReasonCodeList",
        fail: (sim) => sim.failCalls("/afterSale/rejectReasonCodeList"),
      },
      refused: {
        status: "27",
        // The rule's reason (policy_excludes) as the code this request's list gives it, with the words the buyer reads.
        call: (sim, id) => {
          const code = sim
            .rejectReasons(id)
            .find((r) => r.text === "商品属于定制类，不支持七天无理由退货")?.id;
          expect(code).toMatch(/^\d{6,}$/);
          return `afterSale/operate type=102 reject_reason_code=${code} reason=该商品不支持此售后`;
        },
      },
    },
  ],
  withdraw: { type: "refund_only", status: "28" },
  ret: {
    agree: { call: "afterSale/operate type=101", status: "7" },
    refund: { call: "afterSale/operate type=111", status: "12" },
  },
});

/** 视频号小店: decisions are acceptapply / rejectapply; agreeing a refund is the refund. */
const wechatChannels = row({
  name: "WeChat Channels",
  // WeChat refuses only with one of its reject_reason_type codes: the shop says which it uses.
  start: () => simulatedPlatformEnv("wechat_channels", { credentials: { reject_reason_type: "20" } }), // 商品影响二次销售
  refundOnly: { call: "acceptapply accept_type=2", status: "MERCHANT_REFUND_SUCCESS" },
  rejects: [
    {
      what: "request",
      type: "return_refund",
      waiting: "MERCHANT_PROCESSING",
      refused: {
        status: "MERCHANT_REJECT_RETURN",
        call: () => "rejectapply reject_reason_type=20 reject_reason=该商品不支持此售后",
      },
    },
  ],
  withdraw: { type: "refund_only", status: "USER_CANCELD" },
  ret: {
    agree: { call: "acceptapply", status: "USER_WAIT_RETURN" },
    refund: { call: "acceptapply accept_type=2", status: "MERCHANT_RETURN_SUCCESS" },
  },
});

/**
 * Shopify buyers ask for Returns, never a refund on its own: every request is a return, approved with
 * returnApproveRequest, declined with returnDeclineRequest, and refunded when it is processed
 * (returnProcess with a refund), which is also its receipt. So a rule approves a small quality return.
 */
const shopify = row({
  name: "Shopify",
  start: () => simulatedPlatformEnv("shopify"),
  rules: [
    {
      id: "small-quality-return",
      name: { zh: "小额质量问题退货自动同意", en: "Small quality return auto-approve" },
      priority: 40,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "return_refund" },
          { field: "case.quoted_amount", op: "lte", value: "100.00" },
          { field: "case.reason", op: "in", value: ["quality", "damaged"] },
        ],
      },
      then: [{ action: "approve" }],
    },
  ],
  rejects: [
    {
      what: "return",
      type: "return_refund",
      waiting: "REQUESTED",
      // The rule's reason, policy_excludes, is Shopify's FINAL_SALE.
      refused: { status: "DECLINED", call: () => "returnDeclineRequest FINAL_SALE" },
    },
  ],
  withdraw: { type: "return_refund", status: "CANCELED" },
  ret: {
    requestedAs: "refund_only",
    approvedBy: { rule: "small-quality-return", status: "REQUESTED" },
    carrier: ["UPS", "1Z999AA10123456784"],
    agree: { call: "returnApproveRequest", status: "OPEN" },
    refund: { call: "returnProcess refund=99.00", status: "CLOSED" },
  },
});

const PLATFORMS: Row[] = [taobao, jd, pdd, douyin, wechatChannels, shopify];

describe.each(PLATFORMS)("$name: requests decided here, carried out there", (row) => {
  let s: Suite<PlatformSimulator>;
  let server: Promise<{ app: App; callback: string }> | undefined;

  beforeAll(async () => {
    const p = await row.start();
    const version = await e2eSetup(p, row.rules);
    s = {
      p,
      version,
      serve: () => {
        server ??= (async () => {
          const app = await buildServer({ ctx: p.ctx, dbKind: p.env.store.kind });
          await app.listen({ port: 0, host: "127.0.0.1" });
          const { port } = app.server.address() as { port: number };
          return { app, callback: `http://127.0.0.1:${port}/api/v1/callbacks/platforms/${p.shop}` };
        })();
        return server;
      },
    };
  });
  afterAll(async () => {
    await s.p.sim.close(); // its pushes settle first
    if (server) await (await server).app.close();
    await s.p.close();
  });

  const ids = (order: SimulatedOrder, unshipped?: boolean) => {
    const o = row.ids ? row.ids(order) : order;
    if (unshipped) delete o.shipment;
    return o;
  };
  const caseOf = (id: string) => caseByExternal(s.p.ctx, s.p.shop, id);
  const decisions = () => outboxOf(s.p.ctx, "platform.decision");

  const r1 = row.refundOnly;
  if (r1)
    it(`a small refund-only request is approved by a rule and agreed on the platform (${r1.call})`, async () => {
      const { p } = s;
      const order = ids(simOrder(), r1.unshipped);
      p.env.clock.advance(60_000);
      p.sim.placeOrder(order);
      const cap = order.lines[1] as (typeof order.lines)[number];
      const id = p.sim.requestAftersale({
        orderExternalId: order.externalId,
        type: "refund_only",
        reason: r1.reason ?? "quality",
        lineId: cap.lineId,
        quantity: 1,
        amount: 5590,
      });
      if (r1.id) expect(id).toMatch(r1.id);
      const { aftersales } = await pullAll(p);
      expect(aftersales).toMatchObject({ created: 1, errors: 0 });

      const c = await caseOf(id);
      expect(c).toMatchObject({
        status: r1.paidLater ? "refunding" : "refunded",
        source: "platform",
        type: "refund_only",
        requested_amount: 5590,
      });
      const caseId = c?.id as number;
      const timeline = await eventsOf(p.ctx, caseId);
      expect(timeline.find((e) => e.action === "approve")?.actor).toBe(
        `rule:small-refund-only@v${s.version}`,
      );
      if (r1.paidLater) {
        // Agreed on the platform, which refunds next: the agreement is not the money back.
        expect(await refundsOf(p.ctx, caseId)).toEqual([
          expect.objectContaining({ channel: "platform", amount: 5590, status: "processing" }),
        ]);
        expect(p.sim.inspect(id)?.calls).toEqual([r1.call]);
        expect([r1.status, r1.paidLater.status]).toContain(p.sim.inspect(id)?.status);
        // The platform's finance pays: it shows the request refunded.
        p.env.clock.advance(r1.paidLater.afterMs);
        expect(p.sim.inspect(id)).toEqual({ status: r1.paidLater.status, calls: [r1.call], refunded: 5590 });
      } else {
        // The platform moved the money: the merchant's agreement is the refund.
        expect(await refundsOf(p.ctx, caseId)).toEqual([
          expect.objectContaining({
            channel: "platform",
            status: "succeeded",
            amount: 5590,
            channel_refund_id: id,
          }),
        ]);
        expect(p.sim.inspect(id)).toEqual({ status: r1.status, calls: [r1.call], refunded: 5590 });
        expect(await orderRow(p.ctx, c?.order_id as number)).toMatchObject({
          refunded_total: 5590,
          aftersales_status: "partially_refunded",
        });
      }

      // The approval's own message finds the platform already agreed: nothing more is called.
      expect((await decisions()).map((m) => m.payload)).toEqual([
        expect.objectContaining({ caseId, decision: "approve" }),
      ]);
      await dispatchOnce(p.ctx);
      expect((await decisions()).every((m) => m.status === "done")).toBe(true);
      // Later pulls change nothing.
      await expectResyncChangesNothing(p, caseId);
      await expectResyncChangesNothing(p, caseId);
      expect(p.sim.inspect(id)?.calls).toEqual([r1.call]);
    });

  for (const r of row.rejects)
    it(
      r.refused
        ? `a ${r.what} a rule rejects is refused on the platform, once${r.failing ? " (a failed reason list is retried, never guessed)" : ""}`
        : `a ${r.what} a rule rejects is rejected here; the platform takes no refusal, so nothing is sent and the timeline says why`,
      async () => {
        const { p } = s;
        const order = ids(customOrder(), r.unshipped);
        p.env.clock.advance(60_000);
        p.sim.placeOrder(order);
        const id = p.sim.requestAftersale({
          orderExternalId: order.externalId,
          type: r.type,
          reason: "changed_mind",
          lineId: order.lines[0]?.lineId as string,
          quantity: 1,
          amount: 3900,
        });
        if (r.id) expect(id).toMatch(r.id);
        await pullAll(p);
        const c = await caseOf(id);
        expect(c).toMatchObject({ status: "rejected", type: r.type });
        const caseId = c?.id as number;
        // Not yet: it goes out through the outbox.
        expect(p.sim.inspect(id)).toEqual({ status: r.waiting, calls: [], refunded: 0 });

        if (r.failing) {
          // What the refusal needs cannot be had: nothing is refused with a guess; the decision waits.
          for (let attempt = 0; attempt < r.failing.times; attempt++) {
            if (attempt > 0) p.env.clock.advance(10 * 60_000);
            r.failing.fail(p.sim, attempt);
            await dispatchOnce(p.ctx);
          }
          expect(p.sim.inspect(id)).toMatchObject({ status: r.waiting, calls: [] });
          const waiting = (await decisions()).filter((m) => m.status !== "done");
          expect(waiting).toHaveLength(1);
          expect(waiting[0]).toMatchObject({ status: "pending", attempts: r.failing.times });
          expect(waiting[0]?.last_error).toContain(r.failing.failedCall);
          p.env.clock.advance(10 * 60_000);
        }

        const expected = r.refused?.call(p.sim, id);
        await dispatchOnce(p.ctx);
        const last = (await eventsOf(p.ctx, caseId)).at(-1);
        if (r.refused) {
          expect(p.sim.inspect(id)).toEqual({ status: r.refused.status, calls: [expected], refunded: 0 });
          expect(last).toMatchObject({ action: "platform_decision", note: "已回传平台：refuseRefund" });
        } else if (r.notSent) {
          expect(p.sim.inspect(id)).toEqual({ status: r.waiting, calls: [], refunded: 0 });
          expect(last).toMatchObject({ action: "platform_decision", actor: `channel:${p.adapter.channel}` });
          expect(last?.note).toMatch(new RegExp(`^平台拒绝了回传：.*${r.notSent.where}`));
          expect(last?.data).toMatchObject({ decision: "reject", code: r.notSent.code });
        }
        expect((await decisions()).every((m) => m.status === "done")).toBe(true);
        // Nothing retried, nothing sent twice; a re-sync leaves our rejection standing.
        await dispatchOnce(p.ctx);
        await expectResyncChangesNothing(p, caseId);
        expect(p.sim.inspect(id)?.calls).toHaveLength(r.refused ? 1 : 0);
        expect((await caseOf(id))?.status).toBe("rejected");
      },
    );

  it("a buyer who withdraws on the platform cancels our case; a re-sync changes nothing", async () => {
    const { p } = s;
    const order = ids(simOrder());
    p.env.clock.advance(60_000);
    p.sim.placeOrder(order);
    const tee = order.lines[0] as (typeof order.lines)[number];
    const id = p.sim.requestAftersale({
      orderExternalId: order.externalId,
      type: row.withdraw.type,
      reason: "changed_mind",
      lineId: tee.lineId,
      quantity: 1,
      amount: 9400,
    });
    await pullAll(p);
    expect((await caseOf(id))?.status).toBe("requested"); // the rules leave it to people

    p.env.clock.advance(1000);
    p.sim.buyerCancels(id);
    await pullAll(p);
    const c = await caseOf(id);
    expect(c?.status).toBe("cancelled");
    expect((await eventsOf(p.ctx, c?.id as number)).at(-1)).toMatchObject({
      action: "cancel",
      actor: `channel:${p.adapter.channel}`,
    });
    expect((await orderRow(p.ctx, c?.order_id as number)).aftersales_status).not.toBe("in_progress");
    expect(p.sim.inspect(id)).toEqual({ status: row.withdraw.status, calls: [], refunded: 0 });
    await expectResyncChangesNothing(p, c?.id as number);
  });

  const ret = row.ret;
  if (ret)
    it(`a return is agreed${ret.approvedBy ? " by a rule" : ""}, followed as the buyer ships${ret.pushed ? " (by push)" : ""}, received and refunded on the platform`, async () => {
      const { p } = s;
      await ret.before?.(s);
      // News is pulled, or pushed by the platform as it happens (then there is nothing to pull).
      const settled = async () => void (await ret.pushed?.(s));
      const news = async () => (ret.pushed ? void (await ret.pushed(s)) : await pullAll(p));
      // Without a coupon the platform's per-line amounts and ours agree to the cent.
      const base = simOrder();
      const amount = ret.discounted ? 9400 : 9900;
      const order = ids(
        ret.discounted
          ? base
          : { ...base, lines: base.lines.map((l) => ({ ...l, paid: l.unitPrice * l.quantity })) },
      );
      p.env.clock.advance(60_000);
      p.sim.placeOrder(order);
      await settled();
      const tee = order.lines[0] as (typeof order.lines)[number];
      const id = p.sim.requestAftersale({
        orderExternalId: order.externalId,
        type: ret.requestedAs ?? "return_refund",
        reason: "quality",
        lineId: tee.lineId,
        quantity: 1,
        amount,
      });
      const pulled = await news();
      if (pulled) expect(pulled.aftersales).toMatchObject({ created: 1, errors: 0 });
      const c = await caseOf(id);
      expect(c).toMatchObject({
        status: ret.approvedBy ? "awaiting_return" : "requested",
        source: "platform",
        type: "return_refund",
      });
      const caseId = c?.id as number;
      if (ret.approvedBy) {
        const timeline = await eventsOf(p.ctx, caseId);
        expect(timeline.find((e) => e.action === "approve")?.actor).toBe(
          `rule:${ret.approvedBy.rule}@v${s.version}`,
        );
        // It goes out through the outbox.
        expect(p.sim.inspect(id)).toEqual({ status: ret.approvedBy.status, calls: [], refunded: 0 });
      } else {
        await approveCase(p.ctx, REVIEWER, caseId);
      }
      await dispatchOnce(p.ctx);
      await settled();
      expect(p.sim.inspect(id)).toEqual({ status: ret.agree.status, calls: [ret.agree.call], refunded: 0 });

      p.env.clock.advance(60_000);
      const [carrier, trackingNo] = ret.carrier ?? ["中通快递", "ZTO27182818"];
      p.sim.buyerShipsReturn(id, carrier, trackingNo);
      await news();
      expect((await caseOf(id))?.status).toBe("return_in_transit");

      await receiveReturn(p.ctx, WAREHOUSE, caseId, { quantity: 1, condition: "intact" });
      await dispatchOnce(p.ctx);
      await settled();
      // Receipt is confirmed where the platform has a call for it; elsewhere the refund confirms it.
      const calls = [ret.agree.call, ...(ret.receipt ? [ret.receipt] : [])];
      expect(p.sim.inspect(id)?.calls).toEqual(calls);

      await inspectReturn(p.ctx, WAREHOUSE, caseId, { result: "pass" });
      const granted = await grantRefund(p.ctx, REVIEWER, caseId);
      expect(onlyLeg(granted).amount).toBe(amount);
      await issueRefund(p.ctx, granted.refundId, onlyLeg(granted));
      await settled();
      const done = await caseOf(id);
      expect(done?.status).toBe("refunded");
      expect(await refundsOf(p.ctx, caseId)).toEqual([
        expect.objectContaining({ channel: "platform", status: "succeeded", amount }),
      ]);
      expect(p.sim.inspect(id)).toEqual({
        status: ret.refund.status,
        calls: [...calls, ret.refund.call],
        refunded: amount,
      });
      expect(await orderRow(p.ctx, done?.order_id as number)).toMatchObject({
        refunded_total: amount,
        aftersales_status: "partially_refunded",
      });
      ret.after?.(s);

      // Every decision went out; pulling and dispatching again changes and sends nothing.
      expect((await decisions()).every((m) => m.status === "done")).toBe(true);
      await dispatchOnce(p.ctx);
      await expectResyncChangesNothing(p, caseId);
      expect(p.sim.inspect(id)?.calls).toHaveLength(calls.length + 1);
    });

  row.only?.(() => s);
});
