import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/cli/config.ts";
import { DEMO_PLATFORM_SHOP, seedDemoPlatform } from "../../src/cli/demo-platform.ts";
import { openRuntime } from "../../src/cli/service.ts";
import { syncAllShops } from "../../src/jobs/platform-sync.ts";
import { loadCredentials } from "../../src/store/credentials.ts";
import { addShop } from "../support/fixtures.ts";

/**
 * `npm start` with the demo, twice on one data directory: the simulated Tmall comes back with what it
 * held, on the credentials the shop already has, and the shop keeps syncing without errors.
 */

const dir = mkdtempSync(join(tmpdir(), "aftersales-demo-platform-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = readConfig(["--data-dir", dir], {}).config;
const shop = DEMO_PLATFORM_SHOP.id;

/** One start of the service: the simulated Tmall, a few new buyers there, one sync pass. */
async function startOnce() {
  const rt = await openRuntime(config);
  try {
    await addShop(rt.ctx, shop, DEMO_PLATFORM_SHOP.channel);
    const sim = await rt.simulatePlatform(shop, DEMO_PLATFORM_SHOP.channel);
    seedDemoPlatform(sim, rt.ctx.now());
    const requests = await rt.store.db
      .selectFrom("platform_requests")
      .select("external_id")
      .where("shop_id", "=", shop)
      .execute();
    const results = await syncAllShops(rt.ctx, { shop });
    const stored = await loadCredentials(rt.store.db, rt.ctx.secrets, shop);
    const cases = await rt.store.db
      .selectFrom("cases")
      .innerJoin("orders", "orders.id", "cases.order_id")
      .select("cases.id")
      .where("orders.shop_id", "=", shop)
      .execute();
    return {
      url: sim.url,
      credentials: { ...sim.credentials },
      stored,
      results,
      cases: cases.length,
      known: requests.map((r) => r.external_id),
      inspect: (id: string) => sim.inspect(id),
    };
  } finally {
    await rt.close();
  }
}

describe("the demo's simulated Tmall across a restart", () => {
  it("comes back on the same credentials at a new address, and the shop keeps syncing", async () => {
    const first = await startOnce();
    expect(first.results.map((r) => [r.stream, r.status, r.created, r.errors])).toEqual([
      ["orders", "done", 3, 0],
      ["aftersales", "done", 2, 0],
    ]);
    expect(first.cases).toBe(2);
    expect(existsSync(join(dir, `platform-${shop}-simulator.json`))).toBe(true);

    const second = await startOnce();
    // The requests synced the first time are still on the platform, with the same ids.
    expect(second.known).toHaveLength(2);
    for (const id of second.known) expect(second.inspect(id)?.status).toBe("WAIT_SELLER_AGREE");
    expect(second.credentials.app_key).toBe(first.credentials.app_key);
    expect(second.credentials.session).toBe(first.credentials.session);
    // The stored gateway follows the simulator to its new port.
    expect(second.stored?.gateway).toBe(second.credentials.gateway);
    expect(second.stored?.app_secret).toBe(first.credentials.app_secret);
    // New buyers' requests get new ids: nothing the first start synced is overwritten.
    expect(second.results.map((r) => [r.stream, r.status, r.created, r.errors])).toEqual([
      ["orders", "done", 3, 0],
      ["aftersales", "done", 2, 0],
    ]);
    expect(second.cases).toBe(4);
  }, 180_000);
});
