import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import { AppError } from "../domain/errors.ts";
import type { FlowContext } from "../flows/context.ts";
import type { ChangeFeed } from "../store/changes.ts";
import { authenticator, authorize, declarePermission, recordTokenUse, requireCsrfToken } from "./auth.ts";
import { CONSOLE_DIR, consoleRoutes } from "./console.ts";
import { addSharedSchemas, declareResponses } from "./operations.ts";
import { errorHandler, frameworkErrors, notFoundHandler } from "./problems.ts";
import { adminRoutes } from "./routes/admin.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { analyticsRoutes } from "./routes/analytics.ts";
import { auditRoutes } from "./routes/audit.ts";
import { callbackRoutes } from "./routes/callbacks.ts";
import { caseRoutes } from "./routes/cases.ts";
import { eventRoutes } from "./routes/events.ts";
import { financeRoutes } from "./routes/finance.ts";
import { healthRoutes } from "./routes/health.ts";
import { importRoutes } from "./routes/imports.ts";
import { inventoryRoutes } from "./routes/inventory.ts";
import { logisticsCallbackRoutes } from "./routes/logistics-callbacks.ts";
import { orderRoutes } from "./routes/orders.ts";
import { platformCallbackRoutes, platformRoutes } from "./routes/platforms.ts";
import { queueRoutes } from "./routes/queue.ts";
import { receivingRoutes } from "./routes/receiving.ts";
import { reconciliationRoutes } from "./routes/reconciliations.ts";
import { refundRoutes } from "./routes/refunds.ts";
import { ruleSuggestionRoutes } from "./routes/rule-suggestions.ts";
import { ruleRoutes } from "./routes/rules.ts";
import { sessionRoutes, signInRoutes } from "./routes/session.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { trackingRoutes } from "./routes/tracking.ts";
import { userRoutes } from "./routes/users.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { registerSessions } from "./sessions.ts";
import { validatorCompiler } from "./validation.ts";

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
  /** Serve /api/docs without a token (AFTERSALES_PUBLIC_DOCS=1); by default any valid token reads it. */
  publicDocs?: boolean;
  /** Origins allowed to call the API from a browser (AFTERSALES_CORS_ORIGINS); none by default. */
  corsOrigins?: readonly string[];
  /**
   * The reverse proxies in front (AFTERSALES_TRUST_PROXY): their X-Forwarded-For and -Proto are believed,
   * so rate limits count the real client and a session cookie over https is Secure. true: any.
   */
  trustProxy?: boolean | string[];
  /** Requests per minute per client address: failed sign-ins and the public endpoints (callbacks, health). */
  rateLimits?: { authFailures?: number; public?: number };
  /** The store's committed changes, streamed at GET /api/v1/events; absent: that route is not offered. */
  changes?: ChangeFeed;
  /** How often an event stream sends a comment and checks its caller may still listen (default 20 s). */
  eventHeartbeatMs?: number;
  /** The built console served at `/`; default web/dist; null: none (API only). */
  consoleDir?: string | null;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route reads its body as a file (a Buffer), not as JSON fields. */
    fileBody?: boolean;
  }
}

/** JSON bodies above this are refused (413); routes that take files say their own limit. */
export const BODY_LIMIT = 512 * 1024;

/** The HTTP API: /api/v1 behind bearer tokens, OpenAPI at /api/docs, errors as problem+json. */
export async function buildServer(opts: ServerOptions): Promise<App> {
  const app = Fastify({
    logger: opts.logger ? { level: "info" } : false,
    bodyLimit: BODY_LIMIT,
    // An id longer than this is no id of ours; answered 414 as problem+json by frameworkErrors.
    routerOptions: { maxParamLength: 200 },
    trustProxy: opts.trustProxy ?? false,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document what is sent (operations.ts) and never change it: no property is dropped.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  addSharedSchemas(app);
  app.setErrorHandler(errorHandler);
  await app.register(helmet, {
    // Swagger UI sets its own script hashes (staticCSP below); elsewhere nothing may run inline.
    // No upgrade-insecure-requests: a console reached over plain http on a LAN address must load its own scripts.
    // Images from any https host: a case's evidence photos live on the platforms' own image servers.
    contentSecurityPolicy: {
      directives: { "img-src": ["'self'", "data:", "https:"], "upgrade-insecure-requests": null },
    },
  });
  // After helmet, so the console's pages carry its headers too.
  if (opts.consoleDir === null) app.setNotFoundHandler(notFoundHandler);
  else await consoleRoutes(app, opts.consoleDir ?? CONSOLE_DIR);
  if (opts.corsOrigins?.length)
    await app.register(cors, { origin: [...opts.corsOrigins], credentials: true });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      new AppError("RATE_LIMITED", `Too many requests; try again in ${Math.ceil(ctx.ttl / 1000)} s`, {
        retryAfterSeconds: Math.ceil(ctx.ttl / 1000),
      }),
  });
  const authLimit = app.rateLimit({ max: opts.rateLimits?.authFailures ?? 60, timeWindow: 60_000 });
  const publicLimit = app.rateLimit({ max: opts.rateLimits?.public ?? 1200, timeWindow: 60_000 });
  const authenticate = authenticator(opts.ctx.db, authLimit);
  // Console sessions (cookie + CSRF); API tokens need none of it.
  await registerSessions(app, opts.ctx);
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
    // Shared schemas appear under components.schemas by their own names.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: "/api/docs",
    staticCSP: true,
    uiHooks: { onRequest: opts.publicDocs ? publicLimit : authenticate },
  });
  await app.register(async (open) => {
    open.addHook("onRequest", publicLimit);
    await open.register(healthRoutes, { dbKind: opts.dbKind, ctx: opts.ctx });
  });
  await app.register(
    async (api) => {
      api.addHook("onRequest", authenticate);
      api.addHook("onRequest", requireCsrfToken(app.csrfProtection));
      // Each route declares its permission (config.permission); one hook checks it.
      api.addHook("onRequest", authorize);
      api.addHook("onSend", recordTokenUse(opts.ctx.db));
      api.addHook("onRoute", declarePermission);
      api.addHook("onRoute", requireSchemas);
      api.addHook("onRoute", declareResponses);
      await api.register(adminRoutes, { ctx: opts.ctx });
      await api.register(tokenRoutes, { ctx: opts.ctx });
      await api.register(sessionRoutes, { ctx: opts.ctx });
      await api.register(userRoutes, { ctx: opts.ctx });
      await api.register(auditRoutes, { ctx: opts.ctx });
      await api.register(orderRoutes, { ctx: opts.ctx });
      await api.register(caseRoutes, { ctx: opts.ctx });
      await api.register(queueRoutes, { ctx: opts.ctx });
      await api.register(ruleRoutes, { ctx: opts.ctx });
      await api.register(ruleSuggestionRoutes, { ctx: opts.ctx });
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
      await api.register(importRoutes, { ctx: opts.ctx });
      await api.register(webhookRoutes, { ctx: opts.ctx });
      if (opts.changes)
        await api.register(eventRoutes, {
          changes: opts.changes,
          authenticate: authenticator(opts.ctx.db),
          heartbeatMs: opts.eventHeartbeatMs,
        });
    },
    { prefix: "/api/v1" },
  );
  // Signing in needs no token or session: each attempt counts against the address's authentication budget.
  await app.register(
    async (open) => {
      open.addHook("onRoute", requireSchemas);
      open.addHook("onRoute", declareResponses);
      await open.register(signInRoutes, { ctx: opts.ctx, limit: authLimit });
    },
    { prefix: "/api/v1" },
  );
  // Channels call back without our tokens; each adapter checks the channel's own signature instead.
  await app.register(
    async (open) => {
      open.addHook("onRequest", publicLimit);
      open.addHook("onRoute", declareResponses);
      await open.register(callbackRoutes, { ctx: opts.ctx });
      await open.register(platformCallbackRoutes, { ctx: opts.ctx });
      await open.register(logisticsCallbackRoutes, { ctx: opts.ctx });
    },
    { prefix: "/api/v1" },
  );
  return app;
}

/**
 * A route that declares no query string or body takes none: `?source=platform` on a list without that
 * filter is refused rather than silently ignored. A route that reads a file (a Buffer body) says so.
 */
function requireSchemas(route: import("fastify").RouteOptions) {
  route.schema ??= {};
  const schema = route.schema as Record<string, unknown>;
  schema.querystring ??= { type: "object", properties: {} };
  const methods = [route.method].flat();
  if (
    methods.some((m) => m !== "GET" && m !== "HEAD") &&
    schema.body === undefined &&
    !route.config?.fileBody
  ) {
    schema.body = { type: "object", properties: {} };
  }
}
