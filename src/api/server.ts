import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import type { FlowContext } from "../flows/context.ts";
import { authenticator, authorize, declarePermission } from "./auth.ts";
import { errorHandler } from "./problems.ts";
import { adminRoutes } from "./routes/admin.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { analyticsRoutes } from "./routes/analytics.ts";
import { callbackRoutes } from "./routes/callbacks.ts";
import { caseRoutes } from "./routes/cases.ts";
import { financeRoutes } from "./routes/finance.ts";
import { healthRoutes } from "./routes/health.ts";
import { inventoryRoutes } from "./routes/inventory.ts";
import { logisticsCallbackRoutes } from "./routes/logistics-callbacks.ts";
import { orderRoutes } from "./routes/orders.ts";
import { platformCallbackRoutes, platformRoutes } from "./routes/platforms.ts";
import { receivingRoutes } from "./routes/receiving.ts";
import { reconciliationRoutes } from "./routes/reconciliations.ts";
import { refundRoutes } from "./routes/refunds.ts";
import { ruleRoutes } from "./routes/rules.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { trackingRoutes } from "./routes/tracking.ts";

export type App = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  import("fastify").FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServerOptions {
  ctx: FlowContext;
  dbKind: string;
  logger?: boolean;
}

/** The HTTP API: /api/v1 behind bearer tokens, OpenAPI at /api/docs, errors as problem+json. */
export async function buildServer(opts: ServerOptions): Promise<App> {
  const app = Fastify({
    logger: opts.logger ? { level: "info" } : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  app.setErrorHandler(errorHandler);
  await app.register(swagger, {
    openapi: {
      info: {
        title: "Aftersales API",
        version: "1",
        description: "After-sales (售后) cases, refunds and returns",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });
  await app.register(healthRoutes, { dbKind: opts.dbKind });
  await app.register(
    async (api) => {
      api.addHook("onRequest", authenticator(opts.ctx.db));
      // Each route declares its permission (config.permission); one hook checks it.
      api.addHook("onRequest", authorize);
      api.addHook("onRoute", declarePermission);
      await api.register(adminRoutes, { ctx: opts.ctx });
      await api.register(orderRoutes, { ctx: opts.ctx });
      await api.register(caseRoutes, { ctx: opts.ctx });
      await api.register(ruleRoutes, { ctx: opts.ctx });
      await api.register(alertRoutes, { ctx: opts.ctx });
      await api.register(settingsRoutes, { ctx: opts.ctx });
      await api.register(trackingRoutes, { ctx: opts.ctx });
      await api.register(platformRoutes, { ctx: opts.ctx });
      await api.register(refundRoutes, { ctx: opts.ctx });
      await api.register(financeRoutes, { ctx: opts.ctx });
      await api.register(analyticsRoutes, { ctx: opts.ctx });
      await api.register(receivingRoutes, { ctx: opts.ctx });
      await api.register(inventoryRoutes, { ctx: opts.ctx });
      await api.register(reconciliationRoutes, { ctx: opts.ctx });
    },
    { prefix: "/api/v1" },
  );
  // Channels call back without our tokens; each adapter checks the channel's own signature instead.
  await app.register(callbackRoutes, { ctx: opts.ctx, prefix: "/api/v1" });
  await app.register(platformCallbackRoutes, { ctx: opts.ctx, prefix: "/api/v1" });
  await app.register(logisticsCallbackRoutes, { ctx: opts.ctx, prefix: "/api/v1" });
  return app;
}
