import { Type } from "@fastify/type-provider-typebox";
import {
  AUDIT_ACTION_NAMES,
  AUDIT_OBJECTS,
  type AuditObject,
  auditObjectOf,
  GLOBAL_AUDIT_ACTIONS,
} from "../../flows/audit.ts";
import type { FlowContext } from "../../flows/context.ts";
import { listAudit } from "../../store/audit.ts";
import { principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

type Row = Awaited<ReturnType<typeof listAudit>>["items"][number];
const entryJson = (r: Row) => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  actorTokenId: r.actor_token_id,
  action: r.action,
  subject: r.subject,
  shops: r.shops,
  before: r.before,
  after: r.after,
});

/** 审计日志: who changed which setting, rule, shop or token, when, from what to what. */
export async function auditRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/audit-log",
    {
      config: { permission: "audit.read" },
      schema: {
        tags: ["audit"],
        summary:
          "Changes to settings, rules, shops and tokens, newest first (page with `cursor`). A token limited " +
          "to some shops sees its shops' entries and the installation-wide settings, not other tokens.",
        querystring: Type.Object({
          action: Type.Optional(Enum(AUDIT_ACTION_NAMES)),
          object: Type.Optional(
            Enum(AUDIT_OBJECTS, {
              description: "What kind of thing changed: the actions whose names start with it and a dot",
            }),
          ),
          subject: Type.Optional(
            Type.String({ maxLength: 200, description: "Which one: a shop id, a rule version, a token id…" }),
          ),
          actor: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. "user:alice"' })),
          actorTokenId: Type.Optional(Type.Integer({ minimum: 1 })),
          from: Type.Optional(Type.String({ format: "date-time", description: "inclusive" })),
          to: Type.Optional(Type.String({ format: "date-time", description: "exclusive" })),
          cursor: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const { items, nextCursor } = await listAudit(ctx.db, {
        action: q.action,
        actions: q.object
          ? AUDIT_ACTION_NAMES.filter((a) => auditObjectOf(a) === (q.object as AuditObject))
          : undefined,
        subject: q.subject,
        actor: q.actor,
        actorTokenId: q.actorTokenId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        cursor: q.cursor,
        limit: q.limit ?? 50,
        shops: principal(req).shops,
        globalActions: GLOBAL_AUDIT_ACTIONS,
      });
      return { items: items.map(entryJson), nextCursor: nextCursor ?? null };
    },
  );
}
