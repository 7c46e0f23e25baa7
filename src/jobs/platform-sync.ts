import type { FlowContext } from "../flows/context.ts";
import { STREAMS, type SyncOptions, type SyncResult, syncShop } from "../flows/sync-platform.ts";
import { shopsWithCredentials } from "../store/credentials.ts";
import { startPeriodic } from "./periodic.ts";

/**
 * One pass over every connected shop (one with platform credentials), orders first so the after-sales
 * requests find their orders. Each shop's stream is leased, so any number of workers can run this.
 */
export async function syncAllShops(
  ctx: FlowContext,
  options: SyncOptions & { shop?: string } = {},
): Promise<SyncResult[]> {
  if (!ctx.secrets) return [];
  const shops = (await shopsWithCredentials(ctx.db)).filter((s) => !options.shop || s.id === options.shop);
  const results: SyncResult[] = [];
  for (const shop of shops) {
    for (const stream of STREAMS) {
      try {
        results.push(await syncShop(ctx, shop.id, stream, options));
      } catch (e) {
        // A shop that cannot even connect (no adapter, unreadable credentials) does not stop the others.
        results.push({
          shop: shop.id,
          stream,
          status: "failed",
          windows: 0,
          pages: 0,
          items: 0,
          created: 0,
          updated: 0,
          unchanged: 0,
          errors: 0,
          retried: 0,
          syncedTo: null,
          error: e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e),
        });
      }
    }
  }
  return results;
}

/** Every minute by default; push messages (TMC, webhooks) fill the gaps in between. */
export const startPlatformSync = (ctx: FlowContext, everyMs = 60_000) =>
  startPeriodic("platform sync", everyMs, () => syncAllShops(ctx));
