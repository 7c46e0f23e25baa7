import type { Channel } from "../../order.ts";
import { defineCondition, labelsOf } from "../condition.ts";

export const CHANNEL_LABELS = labelsOf<Channel>({
  taobao: { zh: "淘宝", en: "Taobao" },
  tmall: { zh: "天猫", en: "Tmall" },
  jd: { zh: "京东", en: "JD.com" },
  pdd: { zh: "拼多多", en: "Pinduoduo" },
  douyin: { zh: "抖音", en: "Douyin" },
  wechat_channels: { zh: "微信视频号", en: "WeChat Channels" },
  shopify: { zh: "Shopify", en: "Shopify" },
  manual: { zh: "手工/线下", en: "Manual" },
});

export const orderChannel = defineCondition({
  field: "order.channel",
  type: "enum",
  label: { zh: "销售渠道", en: "sales channel" },
  values: CHANNEL_LABELS,
  get: (f) => f.channel,
});
