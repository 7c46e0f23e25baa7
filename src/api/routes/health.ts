import type { App } from "../server.ts";

export async function healthRoutes(app: App, opts: { dbKind: string }) {
  app.get("/healthz", { schema: { hide: true } }, async () => ({ ok: true, database: opts.dbKind }));
}
