import { Type } from "@fastify/type-provider-typebox";
import { acknowledgeAlert, scanQuality } from "../../flows/alerts.ts";
import type { FlowContext } from "../../flows/context.ts";
import { listAlerts } from "../../store/alerts.ts";
import { list } from "../../store/queue.ts";
import { principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const alertJson = (a: Awaited<ReturnType<typeof listAlerts>>["items"][number]) => ({
  id: a.id,
  kind: a.kind,
  subject: a.subject,
  severity: a.severity,
  status: a.status,
  caseId: a.case_id,
  shop: a.shop_id,
  reason: a.reason,
  data: a.data,
  createdAt: a.created_at,
  updatedAt: a.updated_at,
  acknowledgedBy: a.acknowledged_by,
  acknowledgedAt: a.acknowledged_at,
  note: a.note,
});

/** 预警: risky cases and SKUs or categories whose refund rate jumped. */
export async function alertRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/alerts",
    {
      config: { permission: "alerts.read" },
      schema: {
        tags: ["alerts"],
        querystring: Type.Object({
          status: Type.Optional(Enum(["open", "acknowledged"])),
          kind: Type.Optional(Enum(["case_risk", "sku_quality", "category_quality"])),
          severity: Type.Optional(Enum(["warning", "critical"])),
          shop: Type.Optional(Type.String({ maxLength: 2000, description: "Shops, comma-separated" })),
          cursor: Type.Optional(Type.Integer()),
          offset: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 1_000_000,
              description: "Skip this many (a page by number)",
            }),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const { shop, ...rest } = req.query;
      const { items, nextCursor, total } = await listAlerts(ctx.db, {
        ...rest,
        ...(shop !== undefined ? { shop: list("shop", shop, null) as string[] } : {}),
        shops: p.shops,
        limit: req.query.limit ?? 50,
      });
      return { items: items.map(alertJson), nextCursor: nextCursor ?? null, total };
    },
  );

  app.post(
    "/alerts/:id/acknowledge",
    {
      config: { permission: "alerts.ack" },
      schema: {
        tags: ["alerts"],
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Optional(Type.Object({ note: Type.Optional(Type.String()) })),
      },
    },
    async (req) => {
      const p = principal(req);
      return alertJson(
        await acknowledgeAlert(ctx, { kind: "user", id: p.name }, req.params.id, req.body?.note, p.shops),
      );
    },
  );

  app.post(
    "/alerts/quality-scan",
    { config: { permission: "settings.write", allShops: true }, schema: { tags: ["alerts"] } },
    async (_req) => {
      const r = await scanQuality(ctx);
      return { subjects: r.subjects, alerts: r.alerts };
    },
  );
}
