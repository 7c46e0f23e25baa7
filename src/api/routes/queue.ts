import { Type } from "@fastify/type-provider-typebox";
import type { CaseType } from "../../domain/catalogue.ts";
import { AppError } from "../../domain/errors.ts";
import { CASE_STATE_NAMES, CASE_STATES, MACHINES } from "../../domain/lifecycle.ts";
import { describeError } from "../../domain/messages/index.ts";
import type { FlowContext } from "../../flows/context.ts";
import { createView, deleteView, type SavedView, updateView } from "../../flows/saved-views.ts";
import { riskThresholds } from "../../flows/settings.ts";
import {
  boardColumns,
  countEach,
  DEFAULT_ORDER,
  findSavedView,
  matchingIds,
  OPEN_STATES,
  type QueueFilter,
  type QueueSort,
  queuePage,
  queueWhere,
  SORTS,
  savedViews,
  type Viewer,
} from "../../store/queue.ts";
import { actorOf, PERMISSION_DESCRIPTIONS, type Principal, principal, roleMay } from "../auth.ts";
import { langOf } from "../problems.ts";
import { queueItemJson } from "../serialize.ts";
import type { App } from "../server.ts";
import { ACTIONS, MOVES } from "./cases.ts";
import { Enum, QueueFilterFields } from "./schemas.ts";

/**
 * The reviewer's desk: the queue (server-paged, sorted, filtered, searched), saved views with their
 * counts, the kanban, the lifecycle it draws, and batch actions with an answer per case.
 */

/** Views every queue has (内置视图); `filters` may depend on settings (the high-risk score). */
export const BUILT_IN_VIEWS: {
  id: string;
  label: { zh: string; en: string };
  filters: (ctx: FlowContext) => Promise<QueueFilter> | QueueFilter;
}[] = [
  { id: "mine", label: { zh: "我的", en: "Mine" }, filters: () => ({ owner: "me" }) },
  { id: "due_soon", label: { zh: "即将超时", en: "Due soon" }, filters: () => ({ due: "soon" }) },
  {
    id: "high_risk",
    label: { zh: "高风险", en: "High risk" },
    filters: async (ctx) => ({ minRisk: (await riskThresholds(ctx)).highAt }),
  },
  {
    id: "refund_failed",
    label: { zh: "退款失败", en: "Refund failed" },
    filters: () => ({ status: "refund_failed" }),
  },
  {
    id: "second_approval",
    label: { zh: "待复核", en: "Awaiting second approval" },
    filters: () => ({ secondApproval: true }),
  },
  { id: "qc_waiting", label: { zh: "待质检", en: "Awaiting QC" }, filters: () => ({ status: "received" }) },
];

/** Whose personal views these are: a person's, or (for an integration) a token's. */
const viewKey = (p: Principal) => (p.userId !== null ? `user:${p.userId}` : `token:${p.tokenId}`);
const viewerOf = (p: Principal): Viewer => ({ shops: p.shops, me: p.userId });
const editorOf = (p: Principal) => ({
  key: viewKey(p),
  actor: actorOf(p),
  mayShare: roleMay(p.role, "case.assign"),
});

const savedId = (id: string) => {
  const m = /^v(\d{1,15})$/.exec(id);
  if (m) return Number(m[1]);
  if (BUILT_IN_VIEWS.some((v) => v.id === id))
    throw new AppError("VIEW_BUILT_IN", `${id} is a built-in view`, { viewId: id });
  throw new AppError("VIEW_NOT_FOUND", `View ${id} does not exist`, { viewId: id });
};

/** The lifecycle's moves by the API action that makes them (reopen and revoke: an override). */
const SLUG_OF: Record<string, string> = {
  ...Object.fromEntries(Object.entries(MOVES).map(([slug, move]) => [move, slug])),
  reopen: "override",
  revoke: "override",
};

/** A batch acts on at most this many cases (one transaction each). */
const BATCH_MAX = 500;
const BATCH_ACTIONS = ["approve", "reject", "claim", "assign", "unassign"] as const;

export async function queueRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  /** A view's filters (built-in or saved, and visible to `p`), or VIEW_NOT_FOUND. */
  const viewFilters = async (p: Principal, id: string): Promise<QueueFilter> => {
    const builtIn = BUILT_IN_VIEWS.find((v) => v.id === id);
    if (builtIn) return builtIn.filters(ctx);
    const n = /^v(\d{1,15})$/.exec(id)?.[1];
    const saved = n ? await findSavedView(ctx.db, Number(n)) : undefined;
    if (!saved || (!saved.shared && saved.owner_key !== viewKey(p)))
      throw new AppError("VIEW_NOT_FOUND", `View ${id} does not exist`, { viewId: id });
    return saved.filters as QueueFilter;
  };
  /** The query's filters: its view's, then what it says itself. */
  const filtersOf = async (p: Principal, q: QueueFilter & { view?: string }) => {
    const { view, ...explicit } = q as QueueFilter & { view?: string; [k: string]: unknown };
    const own = Object.fromEntries(Object.entries(explicit).filter(([k]) => k in QueueFilterFields));
    return { ...(view ? await viewFilters(p, view) : {}), ...own } as QueueFilter;
  };
  const savedJson = (p: Principal, v: SavedView, count: number) => ({
    id: `v${v.id}`,
    name: v.name,
    label: null,
    builtIn: false,
    shared: v.shared,
    mine: v.owner_key === viewKey(p),
    filters: v.filters,
    count,
  });
  const countOf = async (p: Principal, f: QueueFilter) =>
    (await countEach(ctx.db, [queueWhere(f, viewerOf(p), ctx.now())]))[0] ?? 0;

  app.get(
    "/queue",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["queue"],
        summary:
          "The reviewer queue: open cases (unless states are named), filtered, searched, sorted, paged",
        querystring: Type.Object({
          ...QueueFilterFields,
          view: Type.Optional(
            Type.String({ description: "A view's id: its filters apply, the query's win" }),
          ),
          sort: Type.Optional(Enum(Object.keys(SORTS) as QueueSort[])),
          order: Type.Optional(Enum(["asc", "desc"], { description: "Default: most urgent first" })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const { sort = "slaDueAt", order, offset = 0, limit = 50, ...rest } = req.query;
      const where = queueWhere(await filtersOf(p, rest), viewerOf(p), ctx.now());
      const page = await queuePage(ctx.db, where, {
        sort: sort as QueueSort,
        order: (order ?? DEFAULT_ORDER[sort as QueueSort]) as "asc" | "desc",
        offset,
        limit,
      });
      return { total: page.total, items: page.rows.map(queueItemJson) };
    },
  );

  app.get(
    "/board",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["queue"],
        summary: "The kanban: a column per open state with its count and first cards by SLA",
        querystring: Type.Object({
          ...QueueFilterFields,
          view: Type.Optional(
            Type.String({ description: "A view's id: its filters apply, the query's win" }),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "Cards per column" })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const { limit = 20, ...rest } = req.query;
      const f = await filtersOf(p, rest);
      // The columns are the open states (those the filter names, when it names some).
      const named = f.status
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const statuses = OPEN_STATES.filter((s) => !named || named.includes(s));
      const { counts, cards } = await boardColumns(
        ctx.db,
        queueWhere(f, viewerOf(p), ctx.now()),
        statuses,
        limit,
      );
      return {
        columns: statuses.map((status) => ({
          status,
          label: { zh: CASE_STATES[status].zh, en: CASE_STATES[status].en },
          count: counts.get(status) ?? 0,
          items: cards.filter((c) => c.status === status).map(queueItemJson),
        })),
      };
    },
  );

  app.get(
    "/views",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["queue"],
        summary: "The built-in views, shared views and your own, each with its count",
      },
    },
    async (req) => {
      const p = principal(req);
      const builtIn = await Promise.all(
        BUILT_IN_VIEWS.map(async (v) => ({ v, filters: await v.filters(ctx) })),
      );
      const saved = await savedViews(ctx.db, viewKey(p));
      const now = ctx.now();
      const counts = await countEach(ctx.db, [
        ...builtIn.map((b) => queueWhere(b.filters, viewerOf(p), now)),
        ...saved.map((v) => queueWhere(v.filters as QueueFilter, viewerOf(p), now)),
      ]);
      return {
        items: [
          ...builtIn.map(({ v, filters }, i) => ({
            id: v.id,
            name: v.label.zh,
            label: v.label,
            builtIn: true,
            shared: true,
            mine: false,
            filters,
            count: counts[i] ?? 0,
          })),
          ...saved.map((v, i) => savedJson(p, v as SavedView, counts[builtIn.length + i] ?? 0)),
        ],
      };
    },
  );

  const ViewBody = {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    shared: Type.Boolean({ description: "Everyone sees it (needs case.assign); else only you" }),
    filters: Type.Object(QueueFilterFields),
  };
  app.post(
    "/views",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["queue"],
        summary: "Save a view: a name and the queue's filters",
        body: Type.Object({
          name: ViewBody.name,
          shared: Type.Optional(ViewBody.shared),
          filters: Type.Optional(ViewBody.filters),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const v = await createView(ctx, editorOf(p), req.body);
      return reply.status(201).send(savedJson(p, v, await countOf(p, v.filters as QueueFilter)));
    },
  );
  app.patch(
    "/views/:id",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["queue"],
        summary: "Rename, share or refilter a saved view (your own; a shared one with case.assign)",
        params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
        body: Type.Object({
          name: Type.Optional(ViewBody.name),
          shared: Type.Optional(ViewBody.shared),
          filters: Type.Optional(ViewBody.filters),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const v = await updateView(ctx, editorOf(p), savedId(req.params.id), req.body);
      return savedJson(p, v, await countOf(p, v.filters as QueueFilter));
    },
  );
  app.delete(
    "/views/:id",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["queue"],
        summary: "Delete a saved view (your own; a shared one with case.assign)",
        params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
      },
    },
    async (req, reply) => {
      await deleteView(ctx, editorOf(principal(req)), savedId(req.params.id));
      return reply.status(204).send();
    },
  );

  app.get(
    "/lifecycle",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["queue"],
        summary: "The case states and, per case type, which action moves a case from one to another",
      },
    },
    async () => ({
      states: CASE_STATE_NAMES.map((status) => ({
        status,
        label: { zh: CASE_STATES[status].zh, en: CASE_STATES[status].en },
        terminal: CASE_STATES[status].terminal,
      })),
      // Moves the channels make (a refund settling) have no action of ours: a card cannot be dropped there.
      transitions: Object.entries(MACHINES).flatMap(([type, rows]) =>
        rows.flatMap((t) =>
          SLUG_OF[t.action]
            ? t.from.map((from) => ({
                type: type as CaseType,
                from,
                to: t.to,
                action: SLUG_OF[t.action] as string,
              }))
            : [],
        ),
      ),
    }),
  );

  app.post(
    "/cases/batch",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["case actions"],
        summary:
          "One action on many cases — by id, or every case a filter matches — each in its own transaction, with an answer per case",
        body: Type.Object({
          action: Enum(BATCH_ACTIONS),
          ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: BATCH_MAX })),
          filter: Type.Optional(Type.Object(QueueFilterFields)),
          expectedCount: Type.Optional(
            Type.Integer({ minimum: 0, description: "With a filter: how many cases you saw it match" }),
          ),
          note: Type.Optional(Type.String({ maxLength: 2000 })),
          userId: Type.Optional(Type.Integer({ description: "assign: the person to give them to" })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body;
      const a = ACTIONS[b.action] as (typeof ACTIONS)[string];
      if (!roleMay(p.role, a.permission))
        throw new AppError(
          "FORBIDDEN",
          `The ${p.role} role may not ${PERMISSION_DESCRIPTIONS[a.permission]}`,
          {
            role: p.role,
            permission: a.permission,
          },
        );
      if ((b.ids === undefined) === (b.filter === undefined) || (b.filter && b.expectedCount === undefined))
        throw new AppError("BATCH_TARGET_INVALID", "Send either ids, or a filter with expectedCount");
      if (b.action === "assign" && b.userId === undefined)
        throw new AppError("ASSIGNEE_INVALID", "Say whom to assign the cases to (userId)", {
          reason: "missing",
        });
      let ids: number[];
      if (b.filter) {
        const where = queueWhere(b.filter, viewerOf(p), ctx.now());
        const [count = 0] = await countEach(ctx.db, [where]);
        if (count !== b.expectedCount)
          throw new AppError("BATCH_COUNT_CHANGED", `The filter matches ${count} cases now`, {
            expected: b.expectedCount,
            actual: count,
          });
        if (count > BATCH_MAX)
          throw new AppError("BATCH_TOO_LARGE", `The filter matches ${count} cases`, {
            count,
            max: BATCH_MAX,
          });
        ids = await matchingIds(ctx.db, where, BATCH_MAX);
      } else ids = [...new Set(b.ids)];
      const lang = langOf(req);
      const body = { note: b.note, userId: b.userId, shops: p.shops };
      const results = [];
      for (const id of ids) {
        try {
          const r = await a.run(ctx, actorOf(p), id, body, p);
          results.push({ id, ok: true, status: r.status, version: r.version });
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          results.push({ id, ok: false, error: { code: e.code, message: describeError(e, lang) } });
        }
      }
      // Name each case by its order number, as people know it — only where the caller may see the case.
      const orderNo = new Map(
        (
          await ctx.db
            .selectFrom("cases as c")
            .innerJoin("orders as o", "o.id", "c.order_id")
            .select(["c.id", "o.external_id"])
            .where("c.id", "in", ids.length ? ids : [0])
            .$if(p.shops !== null, (q) =>
              q.where("c.shop_id", "in", p.shops?.length ? [...(p.shops ?? [])] : [""]),
            )
            .execute()
        ).map((r) => [r.id, r.external_id]),
      );
      const named = results.map((r) => {
        const no = orderNo.get(r.id);
        return no === undefined ? r : { ...r, orderExternalId: no };
      });
      const succeeded = results.filter((r) => r.ok).length;
      return { total: results.length, succeeded, failed: results.length - succeeded, results: named };
    },
  );
}
