import { platformPayChannel } from "../../src/channels/payments/platform.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { sandboxPayChannel } from "../../src/channels/payments/sandbox.ts";
import type { PlatformAdapter, SimulatedOrder } from "../../src/channels/platforms/platform.ts";
import { type TaobaoAdapterOptions, taobaoAdapter } from "../../src/channels/platforms/taobao.ts";
import { startTaobaoSimulator, type TaobaoSimulator } from "../../src/channels/platforms/taobao-simulator.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { shopClient } from "../../src/flows/sync-platform.ts";
import { saveCredentials } from "../../src/store/credentials.ts";
import { keyring } from "../../src/store/secrets.ts";
import { SIM_SECRET, type TestEnv, testEnv } from "./db.ts";
import { addShop } from "./fixtures.ts";

/** A fixed installation key for tests (never a real one). */
export const TEST_KEYRING = keyring([Buffer.alloc(32, 7)]);

export interface PlatformTestEnv {
  env: TestEnv;
  ctx: FlowContext;
  sim: TaobaoSimulator;
  adapter: PlatformAdapter;
  shop: string;
  close(): Promise<void>;
}

/**
 * A database, a Taobao (or Tmall) simulator on the test clock, a shop connected to it (credentials
 * sealed with the test key) and a flow context whose `platform` tender refunds through it.
 */
export async function platformEnv(
  opts: Partial<TaobaoAdapterOptions> & { shop?: string; pushUrl?: string } = {},
): Promise<PlatformTestEnv> {
  const env = await testEnv();
  const channel = opts.channel ?? "taobao";
  const sim = await startTaobaoSimulator({
    channel,
    now: () => env.clock.now,
    ...(opts.pushUrl ? { pushUrl: opts.pushUrl } : {}),
  });
  const adapter = taobaoAdapter({
    channel,
    ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
    ...(opts.maxWindowMs ? { maxWindowMs: opts.maxWindowMs } : {}),
  });
  const sandbox = sandboxPayChannel({
    name: "sandbox",
    url: env.sim.url,
    secret: SIM_SECRET,
    timeoutMs: 2_000,
  });
  const ctx: FlowContext = {
    ...env.ctx,
    secrets: TEST_KEYRING,
    platforms: (c) => (c === channel ? adapter : undefined),
    payments: createPaymentRegistry(
      { platform: platformPayChannel({ connect: (shop) => shopClient(ctx, shop), fallback: sandbox }) },
      sandbox,
    ),
  };
  const shop = opts.shop ?? "tb-1";
  await addShop(ctx, shop, channel);
  await saveCredentials(ctx.db, TEST_KEYRING, shop, { ...sim.credentials }, ctx.now());
  return {
    env,
    ctx,
    sim,
    adapter,
    shop,
    async close() {
      await sim.close();
      await env.close();
    },
  };
}

let seq = 0;
/** Taobao ids are 64-bit: 19 digits, past what a JSON number holds exactly. */
export const bigId = (prefix: bigint) => String(prefix + BigInt(++seq));

/**
 * A delivered Taobao trade: 2 × T-shirt at 99.00 paying 188.00 after the shop's coupon and 1 × cap at
 * 59.90 paying 55.90 (Taobao's own per-line apportionment), 8.00 shipping.
 */
export function simOrder(over: Partial<SimulatedOrder> = {}): SimulatedOrder {
  const tid = bigId(4_100_000_000_000_000_000n);
  return {
    externalId: tid,
    buyerId: `buyer${seq}`,
    currency: "CNY",
    paidAt: "2026-10-20T10:00:00Z",
    shippingFee: 800,
    lines: [
      {
        lineId: bigId(4_200_000_000_000_000_000n),
        sku: "TEE-BLK-M",
        title: "T恤 黑 M",
        quantity: 2,
        unitPrice: 9900,
        paid: 18800,
      },
      {
        lineId: bigId(4_200_000_000_000_000_000n),
        sku: "CAP-01",
        title: "棒球帽",
        quantity: 1,
        unitPrice: 5990,
        paid: 5590,
      },
    ],
    shipment: {
      carrier: "SF",
      trackingNo: `SF${tid.slice(-8)}`,
      shippedAt: "2026-10-21T10:00:00Z",
      signedAt: "2026-10-23T10:00:00Z",
    },
    ...over,
  };
}

/** Cases, their events and the platform's view of them, by platform id. */
export async function caseByExternal(ctx: FlowContext, shop: string, externalId: string) {
  return ctx.db
    .selectFrom("cases")
    .selectAll()
    .where("shop_id", "=", shop)
    .where("external_id", "=", externalId)
    .executeTakeFirst();
}

export const eventsOf = (ctx: FlowContext, caseId: number) =>
  ctx.db.selectFrom("case_events").selectAll().where("case_id", "=", caseId).orderBy("id").execute();
