import { analyticsLag } from "../../flows/analytics.ts";
import type { FlowContext } from "../../flows/context.ts";
import { databaseCalls } from "../../store/calls.ts";
import type { App } from "../server.ts";

export async function healthRoutes(app: App, opts: { dbKind: string; ctx: FlowContext }) {
  app.get("/healthz", { schema: { hide: true } }, async () => {
    // This process's database round trips and statements since it started (bench/run.ts counts per flow),
    // read before the query below adds its own.
    const calls = databaseCalls();
    return {
      ok: true,
      database: opts.dbKind,
      calls,
      // How far the analytics rollups are behind the facts (the fold job's backlog and recent lag).
      analytics: await analyticsLag(opts.ctx),
    };
  });
}
