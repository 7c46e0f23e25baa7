import { type TSchema, Type } from "@fastify/type-provider-typebox";
import { CASE_SOURCES, CASE_TYPES, type CaseType } from "../../domain/catalogue.ts";
import { AppError } from "../../domain/errors.ts";
import { COMPENSATION_TYPES } from "../../domain/ledger.ts";
import {
  type Action,
  CASE_STATE_NAMES,
  type CaseState,
  isTerminal,
  availableActions as machineMoves,
} from "../../domain/lifecycle.ts";
import { describeError, type Lang } from "../../domain/messages/index.ts";
import { formatMinor } from "../../domain/money.ts";
import { assignCase, claimCase, unassignCase } from "../../flows/assign-case.ts";
import { autoReview } from "../../flows/auto-review.ts";
import { DryRun, type StepResult } from "../../flows/case-step.ts";
import { compensate } from "../../flows/compensate.ts";
import type { Actor, FlowContext } from "../../flows/context.ts";
import { grantRefund } from "../../flows/grant-refund.ts";
import { recommendationJson } from "../../flows/inspect-return.ts";
import { sendNow } from "../../flows/issue-refund.ts";
import { quoteForOrder } from "../../flows/quote-refund.ts";
import { CONDITIONS, inspectReturn, receiveReturn } from "../../flows/receive-return.ts";
import { approveCase, cancelCase, closeCase, overrideDecision, rejectCase } from "../../flows/review-case.ts";
import { recordReturnShipment, shipReplacement } from "../../flows/shipments.ts";
import { submitCase } from "../../flows/submit-case.ts";
import { caseSurroundings } from "../../store/case-view.ts";
import { findCase } from "../../store/cases.ts";
import { anyAssignee } from "../../store/queue.ts";
import { caseDetail, listCases, reviewQueue } from "../../store/views.ts";
import { canSeeShop, type Permission, type Principal, principal, roleMay } from "../auth.ts";
import { caseViewJson } from "../case-view.ts";
import { langOf } from "../problems.ts";
import { caseJson, caseSummaryJson, decimalMoney, decisionJson } from "../serialize.ts";
import type { App } from "../server.ts";
import { Amount, Deductions, Enum, Items, Reason } from "./schemas.ts";

const Common = { expectedVersion: Type.Optional(Type.Integer()), note: Type.Optional(Type.String()) };
const Parcel = Type.Object({ ...Common, carrier: Type.String(), trackingNo: Type.String() });

/** A case as the probes see it. */
interface ProbedCase {
  id: number;
  version: number;
  shop_id: string;
  owner_id: number | null;
}

interface CaseAction {
  permission: Permission;
  body: TSchema;
  summary: string;
  run: (
    ctx: FlowContext,
    actor: Actor,
    id: number,
    // biome-ignore lint/suspicious/noExplicitAny: each body is validated by its own schema above
    body: any,
    /** Who asks: the ownership actions need the person and whether they may assign. */
    p: Principal,
  ) => Promise<StepResult & object>;
  /** Bodies a person could send now (any that would succeed lists the action); default `{}`. */
  probe?: (kase: ProbedCase, ctx: FlowContext) => object[] | Promise<object[]>;
  /** Cases on which the flow would refuse at its first check, known without a dry run. */
  skip?: (kase: ProbedCase & { status: string }, p: Principal) => boolean;
}

/** The caller as the ownership flows know them: their account, and whether they may assign anyone's case. */
const owning = (p: Principal) => ({ me: p.userId, mayAssign: roleMay(p.role, "case.assign") });
/** An ended case's owner no longer changes. */
const ended = (k: { status: string }) => isTerminal(k.status as CaseState);

const PARCEL_PROBE = () => [{ carrier: "SF", trackingNo: "SF0000000000" }];

/** Every lifecycle action, one line each: URL slug → who may, what it takes, which flow runs. */
export const ACTIONS: Record<string, CaseAction> = {
  approve: {
    permission: "case.approve",
    body: Type.Object(Common),
    summary: "Approve (同意)",
    run: approveCase,
  },
  reject: {
    permission: "case.reject",
    body: Type.Object({ ...Common, note: Type.String({ minLength: 1 }) }),
    summary: "Reject with a reason (拒绝)",
    run: rejectCase,
    probe: () => [{ note: "-" }],
  },
  cancel: {
    permission: "case.cancel",
    body: Type.Object(Common),
    summary: "Withdraw (撤销)",
    run: cancelCase,
  },
  "return-shipment": {
    permission: "case.ship_return",
    body: Parcel,
    summary: "Record the buyer's return parcel",
    run: recordReturnShipment,
    probe: PARCEL_PROBE,
  },
  receive: {
    permission: "case.receive",
    body: Type.Object({ ...Common, quantity: Type.Integer(), condition: Enum(CONDITIONS) }),
    summary: "Receive returned goods (收货)",
    run: (ctx, actor, id, body) => receiveReturn(ctx, actor, id, body),
    probe: () => [{ quantity: 1, condition: "intact" }],
  },
  inspect: {
    permission: "case.inspect",
    body: Type.Object({ ...Common, result: Enum(["pass", "fail"]) }),
    summary: "Quality control result (质检)",
    probe: () => [{ result: "pass" }, { result: "fail" }],
    run: async (ctx, actor, id, body) => {
      const r = await inspectReturn(ctx, actor, id, body);
      if (!r.recommendation) return r;
      const kase = await findCase(ctx.db, id);
      return { ...r, recommendation: recommendationJson(r.recommendation, kase?.currency ?? "CNY") };
    },
  },
  "grant-refund": {
    permission: "case.grant_refund",
    body: Type.Object({
      ...Common,
      amount: Type.Optional(Amount),
      deductions: Type.Optional(Deductions),
      /** The part of the shipping fee to give back (部分退运费), at most what is left of it. */
      shipping: Type.Optional(Amount),
    }),
    summary: "Decide the refund and send it through the original payment channel (同意退款)",
    run: async (ctx, actor, id, body) => {
      const granted = await grantRefund(ctx, actor, id, body);
      // Send at once; if this fails or the process dies, the outbox sends it (same key) later.
      return sendNow(ctx, granted, granted.refunds);
    },
  },
  "issue-refund": {
    permission: "case.issue_refund",
    body: Type.Object(Common),
    summary: "Send (or re-check with the channel) the case's pending refund now",
    run: async (ctx, _actor, id, body) => {
      // Every leg of the grant still waiting: a refund split over tenders sends them all.
      const pending = await ctx.db
        .selectFrom("refunds as r")
        .innerJoin("cases as c", "c.id", "r.case_id")
        .select(["r.id", "c.shop_id", "c.status", "c.version"])
        .where("r.case_id", "=", id)
        .where("r.status", "in", ["requested", "processing"])
        .orderBy("r.id")
        .execute();
      const head = pending[0];
      if (!head || (body.shops && !body.shops.includes(head.shop_id))) {
        throw new AppError("NOTHING_TO_SEND", "This case has no refund waiting to be sent");
      }
      if (ctx.dryRun) throw new DryRun();
      return sendNow(ctx, { status: head.status as StepResult["status"], version: head.version }, pending);
    },
  },
  "replacement-shipment": {
    permission: "case.ship_replacement",
    body: Parcel,
    summary: "Ship the replacement (换货/补发)",
    run: shipReplacement,
    probe: PARCEL_PROBE,
  },
  close: { permission: "case.close", body: Type.Object(Common), summary: "Close (完结)", run: closeCase },
  compensate: {
    permission: "case.compensate",
    body: Type.Object({
      ...Common,
      type: Enum(COMPENSATION_TYPES),
      amount: Amount,
      reference: Type.Optional(Type.String()),
      expectedVersion: Type.Integer(),
    }),
    summary: "Compensate the customer — cash, coupon, points or return postage (补偿) — posted to the ledger",
    probe: (k) => [{ type: "cash", amount: "0.01", expectedVersion: k.version }],
    run: async (ctx, actor, id, body) => {
      const r = await compensate(ctx, actor, id, body);
      return { ...r, amount: formatMinor(r.amount, r.currency) };
    },
  },
  override: {
    permission: "case.override",
    body: Type.Object({
      ...Common,
      decision: Enum(["approve", "reject"]),
      note: Type.String({ minLength: 1 }),
    }),
    summary: "Override a rule's decision (人工改判); the timeline keeps both",
    run: overrideDecision,
    probe: () => [
      { decision: "approve", note: "-" },
      { decision: "reject", note: "-" },
    ],
  },
  claim: {
    permission: "case.claim",
    body: Type.Object(Common),
    summary: "Take the case as your own (认领); someone else's only with case.assign",
    run: (ctx, actor, id, body, p) => claimCase(ctx, actor, id, { ...body, ...owning(p) }),
    skip: (k, p) => ended(k) || p.userId === null || k.owner_id === p.userId,
  },
  assign: {
    permission: "case.assign",
    body: Type.Object({ ...Common, userId: Type.Integer({ description: "The person to give it to" }) }),
    summary: "Give the case to a person (分配), who must be enabled and see its shop",
    run: (ctx, actor, id, body, p) => assignCase(ctx, actor, id, { ...body, ...owning(p) }),
    skip: ended,
    // Listed when someone other than the owner could take it.
    probe: async (k, ctx) => {
      const userId = await anyAssignee(ctx.db, k.shop_id, k.owner_id);
      return userId === null ? [] : [{ userId }];
    },
  },
  unassign: {
    permission: "case.claim",
    body: Type.Object(Common),
    summary: "Let go of the case (取消分配): your own, or anyone's with case.assign",
    run: (ctx, actor, id, body, p) => unassignCase(ctx, actor, id, { ...body, ...owning(p) }),
    skip: (k) => ended(k) || k.owner_id === null,
  },
  review: {
    permission: "case.approve",
    body: Type.Object(Common),
    summary: "Judge the case by the live rules again (it acts only while the case awaits review)",
    run: async (ctx, _actor, id, body) => {
      const kase = await findCase(ctx.db, id);
      if (!kase || (body.shops && !body.shops.includes(kase.shop_id)))
        throw new AppError("CASE_NOT_FOUND", `Case ${id} does not exist`, { caseId: id });
      if (ctx.dryRun) throw new DryRun();
      const r = await autoReview(ctx, id, "manual");
      const now = await findCase(ctx.db, id);
      return {
        status: now?.status as StepResult["status"],
        version: now?.version as number,
        decision: { outcome: r.decision.outcome, decidedBy: r.decision.decidedBy, applied: r.applied },
        riskScore: r.risk.score,
      };
    },
  },
};

const actorOf = (p: Principal): Actor => ({ kind: "user", id: p.name });

type Sent = { error?: { code: string; message: string } };
/** A sending problem reported inside a success, said in the caller's language where the catalogue knows its code. */
export function inCallersWords<T extends object>(res: T, lang: Lang): T {
  const { refund, refunds } = res as { refund?: Sent; refunds?: Sent[] };
  const say = (r: Sent): Sent =>
    r.error ? { ...r, error: { code: r.error.code, message: describeError(r.error, lang) } } : r;
  return {
    ...res,
    ...(refund ? { refund: say(refund) } : {}),
    ...(refunds ? { refunds: refunds.map(say) } : {}),
  };
}

/** The machine's move each action's flow fires (the others — compensate, override, review, issue-refund, claim… — fire none of their own). */
export const MOVES: Readonly<Record<string, Action>> = {
  approve: "approve",
  reject: "reject",
  cancel: "cancel",
  "return-shipment": "ship_return",
  receive: "receive",
  inspect: "inspect",
  "grant-refund": "grant_refund",
  "replacement-shipment": "ship_replacement",
  close: "close",
};

/**
 * What `p` can do to the case now: every action its role allows, tried as a dry run of the action's
 * own flow with a body the person could send (the flow's guards, caps, second approval, stock… all
 * decide, then everything is rolled back). Listed means it would succeed; unlisted means it would not.
 */
export async function availableActions(
  ctx: FlowContext,
  p: Principal,
  kase: ProbedCase & { type: string; status: string },
) {
  const dry: FlowContext = { ...ctx, dryRun: true };
  // A move the machine has no row for from this state fails first in its flow: not worth a dry run.
  const moves = machineMoves(kase.type as CaseType, kase.status as CaseState);
  const out: string[] = [];
  for (const [slug, a] of Object.entries(ACTIONS)) {
    if (!roleMay(p.role, a.permission)) continue;
    const move = MOVES[slug];
    if ((move && !moves.includes(move)) || a.skip?.(kase, p)) continue;
    for (const body of (await a.probe?.(kase, ctx)) ?? [{}]) {
      const ok = await a.run(dry, actorOf(p), kase.id, { ...body, shops: p.shops }, p).then(
        () => true,
        (e) => (e instanceof DryRun ? true : e instanceof AppError ? false : Promise.reject(e)),
      );
      if (ok) {
        out.push(slug);
        break;
      }
    }
  }
  return out;
}

export async function caseRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  const visibleCase = async (p: Principal, id: number) => {
    const kase = await findCase(ctx.db, id);
    if (!kase || !canSeeShop(p, kase.shop_id))
      throw new AppError("CASE_NOT_FOUND", `Case ${id} does not exist`, { caseId: id });
    return kase;
  };

  app.post(
    "/cases",
    {
      config: { permission: "cases.create" },
      schema: {
        tags: ["cases"],
        body: Type.Object({
          orderId: Type.Optional(Type.Integer()),
          shop: Type.Optional(Type.String()),
          externalOrderId: Type.Optional(Type.String()),
          externalId: Type.Optional(Type.String()),
          type: Enum(CASE_TYPES),
          reason: Reason,
          source: Type.Optional(Enum(CASE_SOURCES)),
          items: Items,
          description: Type.Optional(Type.String()),
          evidence: Type.Optional(Type.Array(Type.Object({ kind: Type.String(), url: Type.String() }))),
          requestedAmount: Type.Optional(Amount),
          claim: Type.Optional(
            Type.Object({
              receivedSku: Type.Optional(Type.String()),
              receivedTitle: Type.Optional(Type.String()),
            }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      // The token's shops travel into the flow, which treats another shop's order as absent.
      const b = { ...req.body, source: req.body.source ?? "api", shops: p.shops };
      const res = await submitCase(ctx, actorOf(p), b as never);
      if (!res.review) return reply.status(res.created ? 201 : 200).send(res);
      // The review speaks like every answer: amounts in rule traces and risk data as decimal strings.
      const currency = (await findCase(ctx.db, res.id))?.currency ?? "CNY";
      const review = {
        ...res.review,
        decision: decisionJson(res.review.decision),
        risk: decimalMoney(res.review.risk, currency),
      };
      return reply.status(res.created ? 201 : 200).send({ ...res, review });
    },
  );

  app.get(
    "/cases/:id",
    {
      config: { permission: "cases.read" },
      schema: { tags: ["cases"], params: Type.Object({ id: Type.Integer() }) },
    },
    async (req) => {
      const p = principal(req);
      await visibleCase(p, req.params.id);
      const d = await caseDetail(ctx.db, req.params.id);
      if (!d)
        throw new AppError("CASE_NOT_FOUND", `Case ${req.params.id} does not exist`, {
          caseId: req.params.id,
        });
      let preview = null;
      if (d.refunds.length === 0 && (d.kase.type === "refund_only" || d.kase.type === "return_refund")) {
        // What the refund would be now; a case whose lines were refunded elsewhere has no quote.
        preview = await quoteForOrder(ctx.db, ctx, d.order, {
          items: d.items.map((i) => ({ lineId: i.order_line_id, quantity: i.quantity })),
          reason: d.kase.reason as never,
        }).catch((e) => (e instanceof AppError ? null : Promise.reject(e)));
      }
      return caseJson(d, preview, await availableActions(ctx, p, d.kase));
    },
  );

  app.get(
    "/cases",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["cases"],
        querystring: Type.Object({
          status: Type.Optional(Enum(CASE_STATE_NAMES)),
          type: Type.Optional(Enum(CASE_TYPES)),
          shop: Type.Optional(Type.String()),
          reason: Type.Optional(Reason),
          from: Type.Optional(Type.String({ format: "date-time" })),
          to: Type.Optional(Type.String({ format: "date-time" })),
          cursor: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const { items, nextCursor } = await listCases(ctx.db, {
        ...req.query,
        shops: p.shops,
        limit: req.query.limit ?? 50,
      });
      return { items: items.map(caseSummaryJson), nextCursor: nextCursor ?? null };
    },
  );

  app.get(
    "/cases/:id/view",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["cases"],
        summary: "The integrated case view: order, parcel, customer history, risk, rules, recommendation",
        params: Type.Object({ id: Type.Integer() }),
      },
    },
    async (req) => {
      const p = principal(req);
      await visibleCase(p, req.params.id);
      const d = await caseDetail(ctx.db, req.params.id);
      if (!d)
        throw new AppError("CASE_NOT_FOUND", `Case ${req.params.id} does not exist`, {
          caseId: req.params.id,
        });
      const now = ctx.now();
      return caseViewJson(
        d,
        await caseSurroundings(ctx.db, d.kase, now, p.shops),
        now,
        await availableActions(ctx, p, d.kase),
      );
    },
  );

  app.get(
    "/review-queue",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["cases"],
        summary: "Cases awaiting review, most urgent first, with the size of every queue",
        querystring: Type.Object({
          queue: Type.Optional(Type.String()),
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const { items, queues } = await reviewQueue(ctx.db, {
        ...req.query,
        shops: p.shops,
        limit: req.query.limit ?? 50,
        offset: req.query.offset ?? 0,
      });
      return {
        queues: Object.fromEntries(queues.map((q) => [q.queue, Number(q.n)])),
        items: items.map((k) => ({
          ...caseSummaryJson(k),
          queue: k.queue,
          priority: k.priority,
          slaDueAt: k.sla_due_at,
          riskScore: k.risk_score,
          tags: k.tags,
          awaitingSecondApproval: k.first_approval !== null,
          firstApproval: k.first_approval,
        })),
      };
    },
  );

  for (const [slug, a] of Object.entries(ACTIONS)) {
    app.post(
      `/cases/:id/${slug}`,
      {
        config: { permission: a.permission },
        schema: {
          tags: ["case actions"],
          summary: a.summary,
          params: Type.Object({ id: Type.Integer() }),
          body: a.body,
        },
      },
      async (req) => {
        const p = principal(req);
        // The token's shops travel into the flow, which treats any other shop's case as absent.
        const res = await a.run(
          ctx,
          actorOf(p),
          req.params.id,
          { ...(req.body as object), shops: p.shops },
          p,
        );
        return { id: req.params.id, ...inCallersWords(res, langOf(req)) };
      },
    );
  }
}
