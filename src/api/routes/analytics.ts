import { Type } from "@fastify/type-provider-typebox";
import { REFUND_RATE_DIMENSIONS } from "../../domain/analytics.ts";
import {
  automationRate,
  costReport,
  reasonDistribution,
  rebuildAnalytics,
  refundRateReport,
  stageTimes,
} from "../../flows/analytics.ts";
import type { FlowContext } from "../../flows/context.ts";
import { type Permission, principal } from "../auth.ts";
import { money } from "../serialize.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const Scope = {
  from: Type.Optional(Type.String({ description: "First month, YYYY-MM" })),
  to: Type.Optional(Type.String({ description: "Last month, YYYY-MM (inclusive)" })),
  shop: Type.Optional(Type.String()),
};

/** 售后分析: answered from rollups the writes keep in step (migration 012), so each stays fast at any size. */
export async function analyticsRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  const read = (
    summary: string,
    extra: Record<string, ReturnType<typeof Type.Optional>> = {},
    permission: Permission = "cases.read",
  ) => ({
    config: { permission },
    schema: { tags: ["analytics"], summary, querystring: Type.Object({ ...Scope, ...extra }) },
  });
  app.get(
    "/analytics/refund-rates",
    read("Refund rate (units refunded / sold) by SKU, category, shop or month; worst first", {
      by: Type.Optional(Enum(REFUND_RATE_DIMENSIONS)),
      minSold: Type.Optional(Type.Integer({ minimum: 0 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    }),
    async (req) => {
      const p = principal(req);
      const r = await refundRateReport(ctx, { ...(req.query as object), shops: p.shops });
      return {
        ...r,
        rows: r.rows.map((x) => ({
          ...x,
          soldAmount: money(x.soldAmount, x.currency),
          refundedAmount: money(x.refundedAmount, x.currency),
        })),
      };
    },
  );
  app.get("/analytics/reasons", read("Cases by reason, with shares"), async (req) => {
    const p = principal(req);
    return reasonDistribution(ctx, { ...req.query, shops: p.shops });
  });
  app.get("/analytics/automation", read("Share of decisions made by rules, by month"), async (req) => {
    const p = principal(req);
    return automationRate(ctx, { ...req.query, shops: p.shops });
  });
  app.get("/analytics/stage-times", read("Time in each state: p50, p90, mean (hours)"), async (req) => {
    const p = principal(req);
    return stageTimes(ctx, { ...req.query, shops: p.shops });
  });
  app.get(
    "/analytics/costs",
    read("After-sales cost by month and kind, from the ledger", {}, "finance.read"),
    async (req) => {
      const p = principal(req);
      const r = await costReport(ctx, { ...req.query, shops: p.shops });
      return { rows: r.rows.map((x) => ({ ...x, amount: money(x.amount, x.currency) })) };
    },
  );
  app.post(
    "/analytics/rebuild",
    { config: { permission: "settings.write", allShops: true }, schema: { tags: ["analytics"] } },
    async (_req, reply) => {
      await rebuildAnalytics(ctx);
      return reply.status(204).send();
    },
  );
}
