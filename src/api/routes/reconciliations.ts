import { Type } from "@fastify/type-provider-typebox";
import { AppError } from "../../domain/errors.ts";
import { formatMinor } from "../../domain/money.ts";
import { CATEGORIES, type ReconciliationSummary } from "../../domain/reconcile/match.ts";
import type { FlowContext } from "../../flows/context.ts";
import { RECONCILABLE_CHANNELS, reconcileDay } from "../../flows/reconcile.ts";
import { reopenProblem, resolveProblem } from "../../flows/resolve-reconciliation.ts";
import {
  findRun,
  listRuns,
  type RunShare,
  resolvedProblems,
  runItems,
  runShares,
} from "../../store/reconciliations.ts";
import { actorOf, principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const money = (amount: number | null, currency: string) =>
  amount === null ? null : formatMinor(amount, currency);

type Run = NonNullable<Awaited<ReturnType<typeof findRun>>>;
/**
 * A report as the caller sees it: whole for a token of every shop; for a token limited to some shops,
 * counts and totals over their shops' items (`shops` says so), and nothing of the bill as a whole.
 */
const runJson = (
  r: Run,
  resolved: number,
  share?: { shops: readonly string[]; of: RunShare | undefined },
) => {
  const s = r.summary as unknown as ReconciliationSummary;
  const mine = share?.of;
  const problems = mine ? mine.problems : r.problems;
  return {
    id: r.id,
    channel: r.channel,
    date: r.bill_date,
    source: r.source,
    shops: share ? share.shops : null,
    billSha1: share ? null : r.bill_sha1,
    billRows: share ? null : r.bill_rows,
    counts: mine ? mine.counts : s.counts,
    problems,
    /** Problems marked resolved (已处理), and those still to deal with. */
    resolvedProblems: resolved,
    openProblems: problems - resolved,
    awaiting: mine ? mine.awaiting : r.awaiting,
    ignored: share ? null : s.ignored,
    currency: s.currency,
    billSucceededTotal: formatMinor(mine ? mine.billSucceededTotal : s.billSucceededTotal, s.currency),
    ourSucceededTotal: formatMinor(mine ? mine.ourSucceededTotal : s.ourSucceededTotal, s.currency),
    reconciledBy: r.reconciled_by,
    reconciledAt: r.reconciled_at,
    runs: r.runs,
  };
};

type Item = Awaited<ReturnType<typeof runItems>>["items"][number];
const resolutionJson = (r: Item["resolution"]) =>
  r ? { note: r.note, by: r.by.replace(/^\w+:/, ""), at: new Date(r.at).toISOString() } : null;
const itemJson = (i: Item) => ({
  category: i.category,
  key: i.idempotency_key,
  refundId: i.refund_id,
  caseId: i.case_id ?? null,
  currency: i.currency,
  ourAmount: money(i.our_amount, i.currency),
  ourStatus: i.our_status,
  billAmount: money(i.bill_amount, i.currency),
  billStatus: i.bill_status,
  channelRefundId: i.channel_refund_id,
  billDate: i.bill_date,
  billLine: i.bill_line,
  note: i.note,
  /** Marked resolved: by whom, when, what was done; null while open (or for a matched item). */
  resolution: resolutionJson(i.resolution),
  /** The last resolution of the same refund key that does not apply to this item: this day's report when
   * the problem has become another kind since, or another day's report. */
  earlierResolution: i.earlier_resolution
    ? {
        ...(resolutionJson(i.earlier_resolution) as NonNullable<ReturnType<typeof resolutionJson>>),
        category: i.earlier_resolution.category,
        date: i.earlier_resolution.date,
      }
    : null,
});

const Day = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "YYYY-MM-DD (Beijing)" });
/** Bill files as channels hand them out: CSV (UTF-8 or GBK), a zip (Alipay), gzip (WeChat tar_type=GZIP). */
const FILE_TYPES = [
  "text/csv",
  "text/plain",
  "application/csv",
  "application/zip",
  "application/x-zip-compressed",
  "application/gzip",
  "application/octet-stream",
];

/** 退款对账: refund bills of the payment channels compared with our refunds, one report per channel and day. */
export async function reconciliationRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.addContentTypeParser(
    FILE_TYPES,
    { parseAs: "buffer", bodyLimit: 64 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.get(
    "/reconciliations",
    {
      config: { permission: "reconciliations.read" },
      schema: {
        tags: ["reconciliations"],
        summary: "Reconciliation reports, newest day first",
        querystring: Type.Object({
          channel: Type.Optional(Enum(RECONCILABLE_CHANNELS)),
          from: Type.Optional(Day),
          to: Type.Optional(Day),
          problems: Type.Optional(Type.Boolean()),
          cursor: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const { shops } = principal(req);
      const { items, nextCursor } = await listRuns(ctx.db, {
        ...req.query,
        shops,
        limit: req.query.limit ?? 50,
      });
      const ids = items.map((r) => r.id);
      const shares = shops ? await runShares(ctx.db, ids, shops) : undefined;
      const resolved = await resolvedProblems(ctx.db, ids, shops);
      return {
        items: items.map((r) =>
          runJson(r, resolved.get(r.id) ?? 0, shops ? { shops, of: shares?.get(r.id) } : undefined),
        ),
        nextCursor: nextCursor ?? null,
      };
    },
  );

  app.get(
    "/reconciliations/:id",
    {
      config: { permission: "reconciliations.read" },
      schema: {
        tags: ["reconciliations"],
        summary:
          "One report with its items (all, or some categories; open or resolved problems only), a page at a time with `limit`",
        params: Type.Object({ id: Type.Integer() }),
        querystring: Type.Object({
          category: Type.Optional(Type.Array(Enum(CATEGORIES))),
          state: Type.Optional(Enum(["open", "resolved"] as const)),
          cursor: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const run = await findRun(ctx.db, req.params.id);
      if (!run)
        throw new AppError("RECONCILIATION_NOT_FOUND", `No reconciliation ${req.params.id}`, {
          id: req.params.id,
        });
      const { shops } = principal(req);
      const { category, state, cursor, limit } = req.query;
      const { items, nextCursor } = await runItems(ctx.db, run.id, {
        categories: category,
        shops,
        state,
        cursor,
        limit,
      });
      const share = shops ? { shops, of: (await runShares(ctx.db, [run.id], shops)).get(run.id) } : undefined;
      const resolved = (await resolvedProblems(ctx.db, [run.id], shops)).get(run.id) ?? 0;
      return { ...runJson(run, resolved, share), items: items.map(itemJson), nextCursor: nextCursor ?? null };
    },
  );

  app.post(
    "/reconciliations",
    {
      config: { permission: "reconciliations.run", allShops: true, fileBody: true },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        tags: ["reconciliations"],
        summary:
          "Reconcile a channel's day: with an empty body the bill is fetched from the channel; with a bill file as the body (CSV, or Alipay's zip) that file is used",
        querystring: Type.Object({ channel: Enum(RECONCILABLE_CHANNELS), date: Day }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const file = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
      const r = await reconcileDay(
        ctx,
        { kind: "user", id: p.name },
        { channel: req.query.channel, date: req.query.date, ...(file ? { file } : {}) },
      );
      const run = await findRun(ctx.db, r.runId);
      const { items } = await runItems(ctx.db, r.runId, {
        categories: CATEGORIES.filter((c) => c !== "matched"),
      });
      const resolved = (await resolvedProblems(ctx.db, [r.runId])).get(r.runId) ?? 0;
      return reply
        .status(201)
        .send({ ...runJson(run as Run, resolved), items: items.map(itemJson), nextCursor: null });
    },
  );

  const Problem = {
    key: Type.String({ minLength: 1, description: "The refund's idempotency key, as the item shows it" }),
    category: Enum(CATEGORIES),
  };
  app.post(
    "/reconciliations/:id/resolve",
    {
      config: { permission: "reconciliations.run", allShops: true },
      schema: {
        tags: ["reconciliations"],
        summary:
          "Mark a problem item resolved (已处理), saying what was done; it stays resolved when the day is reconciled again and is still the same kind of problem",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object({ ...Problem, note: Type.String({ maxLength: 2000 }) }),
      },
    },
    async (req) => {
      return resolveProblem(ctx, actorOf(principal(req)), {
        runId: req.params.id,
        ...req.body,
      });
    },
  );

  app.post(
    "/reconciliations/:id/reopen",
    {
      config: { permission: "reconciliations.run", allShops: true },
      schema: {
        tags: ["reconciliations"],
        summary: "Take back a problem's resolution: it is open again (the audit log keeps what it said)",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object(Problem),
      },
    },
    async (req, reply) => {
      await reopenProblem(ctx, actorOf(principal(req)), {
        runId: req.params.id,
        ...req.body,
      });
      return reply.status(204).send();
    },
  );
}
