import { Type } from "@fastify/type-provider-typebox";
import { AppError } from "../../domain/errors.ts";
import { formatMinor } from "../../domain/money.ts";
import { CATEGORIES, type ReconciliationSummary } from "../../domain/reconcile/match.ts";
import type { FlowContext } from "../../flows/context.ts";
import { RECONCILABLE_CHANNELS, reconcileDay } from "../../flows/reconcile.ts";
import { findRun, listRuns, type RunShare, runItems, runShares } from "../../store/reconciliations.ts";
import { principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const money = (amount: number | null, currency: string) =>
  amount === null ? null : formatMinor(amount, currency);

type Run = NonNullable<Awaited<ReturnType<typeof findRun>>>;
/**
 * A report as the caller sees it: whole for a token of every shop; for a token limited to some shops,
 * counts and totals over their shops' items (`shops` says so), and nothing of the bill as a whole.
 */
const runJson = (r: Run, share?: { shops: readonly string[]; of: RunShare | undefined }) => {
  const s = r.summary as unknown as ReconciliationSummary;
  const mine = share?.of;
  return {
    id: r.id,
    channel: r.channel,
    date: r.bill_date,
    source: r.source,
    shops: share ? share.shops : null,
    billSha1: share ? null : r.bill_sha1,
    billRows: share ? null : r.bill_rows,
    counts: mine ? mine.counts : s.counts,
    problems: mine ? mine.problems : r.problems,
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

type Item = Awaited<ReturnType<typeof runItems>>[number];
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
      const shares = shops
        ? await runShares(
            ctx.db,
            items.map((r) => r.id),
            shops,
          )
        : undefined;
      return {
        items: items.map((r) => runJson(r, shops ? { shops, of: shares?.get(r.id) } : undefined)),
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
        summary: "One report with its items (all, or some categories)",
        params: Type.Object({ id: Type.Integer() }),
        querystring: Type.Object({ category: Type.Optional(Type.Array(Enum(CATEGORIES))) }),
      },
    },
    async (req) => {
      const run = await findRun(ctx.db, req.params.id);
      if (!run)
        throw new AppError("RECONCILIATION_NOT_FOUND", `No reconciliation ${req.params.id}`, {
          id: req.params.id,
        });
      const { shops } = principal(req);
      const items = await runItems(ctx.db, run.id, req.query.category, shops);
      const share = shops ? { shops, of: (await runShares(ctx.db, [run.id], shops)).get(run.id) } : undefined;
      return { ...runJson(run, share), items: items.map(itemJson) };
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
      const items = await runItems(
        ctx.db,
        r.runId,
        CATEGORIES.filter((c) => c !== "matched"),
      );
      return reply.status(201).send({ ...runJson(run as Run), items: items.map(itemJson) });
    },
  );
}
