// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { expect } from "vitest";
import { platformPayChannel } from "../../src/channels/payments/platform/adapter.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { sandboxPayChannel } from "../../src/channels/payments/sandbox/adapter.ts";
import type {
  PlatformAdapter,
  PlatformSimulator,
  SimulatedOrder,
} from "../../src/channels/platforms/platform.ts";
import { PLATFORMS, SIMULATORS } from "../../src/channels/platforms/registry.ts";
import { type TaobaoAdapterOptions, taobaoAdapter } from "../../src/channels/platforms/taobao/adapter.ts";
import { startTaobaoSimulator, type TaobaoSimulator } from "../../src/channels/platforms/taobao/simulator.ts";
import type { Channel } from "../../src/domain/order.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { setReturnAddress } from "../../src/flows/platform-decision.ts";
import { activateRules, createRuleDraft } from "../../src/flows/rules.ts";
import { setPolicies } from "../../src/flows/settings.ts";
import { shopClient, syncShop } from "../../src/flows/sync-platform.ts";
import { saveCredentials } from "../../src/store/credentials.ts";
import { keyring } from "../../src/store/secrets.ts";
import { SIM_SECRET, type TestEnv, testEnv } from "./db.ts";
import { addShop } from "./fixtures.ts";

/** A fixed installation key for tests (never a real one). */
export const TEST_KEYRING = keyring([Buffer.alloc(32, 7)]);

export interface PlatformTestEnv<S extends PlatformSimulator = TaobaoSimulator> {
  env: TestEnv;
  ctx: FlowContext;
  sim: S;
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
  return connectEnv(env, sim, adapter, opts.shop ?? "tb-1");
}

/**
 * A database, the registry's simulator and adapter for `channel` (JD, PDD, Douyin, WeChat Channels,
 * Shopify, Taobao, Tmall) on the test clock, a shop connected to it with the simulator's credentials
 * (its address as the shop's `gateway`) and a flow context whose `platform` tender refunds through it.
 */
export async function simulatedPlatformEnv<S extends PlatformSimulator = PlatformSimulator>(
  channel: Channel,
  opts: { shop?: string; pushUrl?: string; credentials?: Record<string, string> } = {},
): Promise<PlatformTestEnv<S>> {
  const start = SIMULATORS[channel];
  const adapter = PLATFORMS[channel];
  if (!start || !adapter) throw new Error(`No simulator or adapter for the ${channel} channel`);
  const env = await testEnv();
  const sim = (await start({
    now: () => env.clock.now,
    ...(opts.pushUrl ? { pushUrl: opts.pushUrl } : {}),
  })) as S;
  return connectEnv(env, sim, adapter, opts.shop ?? `${channel}-1`, opts.credentials);
}

async function connectEnv<S extends PlatformSimulator>(
  env: TestEnv,
  sim: S,
  adapter: PlatformAdapter,
  shop: string,
  /** Shop credentials besides the simulator's own (e.g. a refusal reason code the platform needs). */
  extra: Record<string, string> = {},
): Promise<PlatformTestEnv<S>> {
  const channel = adapter.channel;
  const sandbox = sandboxPayChannel({
    name: "sandbox",
    url: env.sim.url,
    secret: SIM_SECRET,
    timeoutMs: 15_000,
  });
  const ctx: FlowContext = {
    ...env.ctx,
    secrets: TEST_KEYRING,
    platforms: (c) => (c === channel ? adapter : undefined),
    payments: createPaymentRegistry(
      { platform: platformPayChannel({ connect: (s) => shopClient(ctx, s), fallback: sandbox }) },
      sandbox,
    ),
  };
  await addShop(ctx, shop, channel);
  await saveCredentials(
    ctx.db,
    TEST_KEYRING,
    shop,
    { gateway: sim.url, ...sim.credentials, ...extra },
    ctx.now(),
  );
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

// --- end to end on a platform simulator -----------------------------------------------------------

/**
 * The live rules of the end-to-end tests: customised goods are refused change-of-mind after-sales, and a
 * small refund-only request for quality or damage is approved (so is a small return for quality, for the
 * platforms whose buyers can only ask for returns).
 */
export const E2E_RULES = {
  rules: [
    {
      id: "no-return-policy",
      name: { zh: "定制商品不支持无理由", en: "Customised goods: no change-of-mind returns" },
      priority: 90,
      when: {
        all: [
          { field: "case.reason", op: "eq", value: "changed_mind" },
          { field: "product.policy", op: "contains_any", value: ["customised"] },
        ],
      },
      then: [{ action: "reject", reason: "policy_excludes" }],
    },
    {
      id: "small-refund-only",
      name: { zh: "小额仅退款自动同意", en: "Small refund-only auto-approve" },
      priority: 50,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "refund_only" },
          { field: "case.quoted_amount", op: "lte", value: "100.00" },
          { field: "case.reason", op: "in", value: ["quality", "damaged"] },
        ],
      },
      then: [{ action: "approve" }],
    },
  ],
};

export const E2E_RETURN_ADDRESS = {
  name: "售后仓 王师傅",
  phone: "13800000000",
  address: "浙江省杭州市余杭区仓前街道文一西路 1 号",
  postcode: "311121",
};

/** Activate E2E_RULES (plus `extra` rules), mark MUG-CUSTOM customised, set the shop's return address; the rule version. */
export async function e2eSetup(
  p: PlatformTestEnv<PlatformSimulator>,
  extra: unknown[] = [],
): Promise<number> {
  const supervisor = { kind: "user", id: "supervisor" } as const;
  const draft = await createRuleDraft(p.ctx, supervisor, {
    definition: { rules: [...E2E_RULES.rules, ...extra] },
    note: `e2e rules (${p.adapter.channel})`,
  });
  await activateRules(p.ctx, supervisor, draft.version);
  await setPolicies(p.ctx, "sku", "MUG-CUSTOM", ["customised"]);
  await setReturnAddress(p.ctx, p.shop, E2E_RETURN_ADDRESS);
  return draft.version;
}

/** Pull everything new: orders, then requests (both must finish). */
export async function pullAll(p: PlatformTestEnv<PlatformSimulator>) {
  p.env.clock.advance(60_000);
  const opts = { initialLookbackMs: 3_600_000 };
  const orders = await syncShop(p.ctx, p.shop, "orders", opts);
  const aftersales = await syncShop(p.ctx, p.shop, "aftersales", opts);
  if (orders.status !== "done" || aftersales.status !== "done")
    throw new Error(`sync failed: ${orders.error ?? ""} ${aftersales.error ?? ""}`);
  return { orders, aftersales };
}

let shortSeq = 0;
/**
 * The order with 12-digit numeric order and line ids, for platforms whose APIs send those as JSON
 * numbers (JD orderId and skuId, PDD goods_id): 19-digit Taobao-style ids would not survive that.
 */
export function shortIds(order: SimulatedOrder): SimulatedOrder {
  return {
    ...order,
    externalId: String(300_000_000_000 + ++shortSeq),
    lines: order.lines.map((l) => ({ ...l, lineId: String(100_000_000_000 + ++shortSeq) })),
  };
}

/** A delivered order of one customised mug (39.00), no shipping fee. */
export const customOrder = (over: Partial<SimulatedOrder> = {}) =>
  simOrder({
    lines: [
      {
        lineId: bigId(4_300_000_000_000_000_000n),
        sku: "MUG-CUSTOM",
        title: "定制马克杯",
        quantity: 1,
        unitPrice: 3900,
        paid: 3900,
      },
    ],
    shippingFee: 0,
    ...over,
  });

export const outboxOf = (ctx: FlowContext, topic: string) =>
  ctx.db.selectFrom("outbox").selectAll().where("topic", "=", topic).orderBy("id").execute();

export const refundsOf = (ctx: FlowContext, caseId: number) =>
  ctx.db.selectFrom("refunds").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

export const orderRow = (ctx: FlowContext, orderId: number) =>
  ctx.db.selectFrom("orders").selectAll().where("id", "=", orderId).executeTakeFirstOrThrow();

export const platformRequest = (ctx: FlowContext, shop: string, externalId: string) =>
  ctx.db
    .selectFrom("platform_requests")
    .selectAll()
    .where("shop_id", "=", shop)
    .where("external_id", "=", externalId)
    .executeTakeFirst();

/** Pulling again changes nothing on the case: no new timeline events. */
export async function expectResyncChangesNothing(p: PlatformTestEnv<PlatformSimulator>, caseId: number) {
  const before = (await eventsOf(p.ctx, caseId)).length;
  await pullAll(p);
  expect((await eventsOf(p.ctx, caseId)).length).toBe(before);
}
