import type { Channel } from "../../domain/order.ts";
import { douyinAdapter } from "./douyin/adapter.ts";
import { startDouyinSimulator } from "./douyin/simulator.ts";
import { jdAdapter } from "./jd/adapter.ts";
import { startJdSimulator } from "./jd/simulator.ts";
import { pddAdapter } from "./pdd/adapter.ts";
import { startPddSimulator } from "./pdd/simulator.ts";
import type { PlatformAdapter, PlatformLookup, SimulatorFactory } from "./platform.ts";
import { shopifyAdapter } from "./shopify/adapter.ts";
import { startShopifySimulator } from "./shopify/simulator.ts";
import { taobaoAdapter } from "./taobao/adapter.ts";
import { startTaobaoSimulator } from "./taobao/simulator.ts";
import { wechatChannelsAdapter } from "./wechat-channels/adapter.ts";
import { startWechatChannelsSimulator } from "./wechat-channels/simulator.ts";

/** A platform as the registry holds it: its adapter, and how to start its local simulator. */
export interface PlatformEntry {
  adapter: PlatformAdapter;
  /** `aftersales simulate <channel>`, the demo's marketplaces, the tests. */
  simulator: SimulatorFactory;
}

/** Tmall speaks the Taobao (TOP) protocol: one adapter and simulator presenting as either. */
const top = (channel: "taobao" | "tmall"): PlatformEntry => ({
  adapter: taobaoAdapter({ channel }),
  simulator: (o) => startTaobaoSimulator({ ...o, channel }),
});

/** Channel → its platform (a folder under platforms/): one line per platform, all the rest reads it. */
export const PLATFORM_CHANNELS: Partial<Record<Channel, PlatformEntry>> = {
  taobao: top("taobao"),
  tmall: top("tmall"),
  jd: { adapter: jdAdapter, simulator: startJdSimulator },
  pdd: { adapter: pddAdapter, simulator: startPddSimulator },
  douyin: { adapter: douyinAdapter, simulator: startDouyinSimulator },
  wechat_channels: { adapter: wechatChannelsAdapter, simulator: startWechatChannelsSimulator },
  shopify: { adapter: shopifyAdapter, simulator: startShopifySimulator },
};

const each = <T>(pick: (e: PlatformEntry) => T) =>
  Object.fromEntries(Object.entries(PLATFORM_CHANNELS).map(([c, e]) => [c, pick(e)])) as Partial<
    Record<Channel, T>
  >;
/** Channel → its platform adapter. */
export const PLATFORMS = each((e) => e.adapter);
/** Channel → how to start its local simulator. */
export const SIMULATORS = each((e) => e.simulator);

/** The registry as a lookup (FlowContext.platforms defaults to it; tests pass their own). */
export const platformFor: PlatformLookup = (channel) => PLATFORMS[channel as Channel];
