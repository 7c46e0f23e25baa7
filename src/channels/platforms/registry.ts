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

/** Channel → its platform adapter: one line per platform. Tmall speaks the Taobao (TOP) protocol. */
export const PLATFORMS: Partial<Record<Channel, PlatformAdapter>> = {
  taobao: taobaoAdapter({ channel: "taobao" }),
  tmall: taobaoAdapter({ channel: "tmall" }),
  jd: jdAdapter,
  pdd: pddAdapter,
  douyin: douyinAdapter,
  wechat_channels: wechatChannelsAdapter,
  shopify: shopifyAdapter,
};

/** Channel → how to start its local simulator (`aftersales simulate <channel>`, tests, the demo). */
export const SIMULATORS: Partial<Record<Channel, SimulatorFactory>> = {
  taobao: (o) => startTaobaoSimulator({ ...o, channel: "taobao" }),
  tmall: (o) => startTaobaoSimulator({ ...o, channel: "tmall" }),
  jd: startJdSimulator,
  pdd: startPddSimulator,
  douyin: startDouyinSimulator,
  wechat_channels: startWechatChannelsSimulator,
  shopify: startShopifySimulator,
};

/** The registry as a lookup (FlowContext.platforms defaults to it; tests pass their own). */
export const platformFor: PlatformLookup = (channel) => PLATFORMS[channel as Channel];
