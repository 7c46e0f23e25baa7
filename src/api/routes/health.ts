import { databaseCalls } from "../../store/calls.ts";
import type { App } from "../server.ts";

export async function healthRoutes(app: App, opts: { dbKind: string }) {
  app.get("/healthz", { schema: { hide: true } }, async () => ({
    ok: true,
    database: opts.dbKind,
    // This process's database round trips and statements since it started (bench/run.ts counts per flow).
    calls: databaseCalls(),
  }));
}
