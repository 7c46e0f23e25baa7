import type { FlowContext } from "../flows/context.ts";
import { type SyncOptions, type SyncResult, syncShopStreams } from "../flows/sync-platform.ts";
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
  for (const shop of shops) results.push(...(await syncShopStreams(ctx, shop.id, options)));
  return results;
}

/** Every minute by default; push messages (TMC, webhooks) fill the gaps in between. */
export const startPlatformSync = (ctx: FlowContext, everyMs = 60_000) =>
  startPeriodic("platform sync", everyMs, () => syncAllShops(ctx));
