import type { NotificationKind } from "../kind.ts";

/** 已收到退货: everything that was to come back is here. */
export const parcelReceived: NotificationKind = {
  raisedBy: (e) => e.action === "receive" && e.toStatus === "received",
  words: {
    zh: {
      subject: "已收到您寄回的商品（{case}）",
      text: "{shop}：已收到您为售后 {case} 寄回的商品，正在检验。进度：{link}",
    },
    en: {
      subject: "We received your return ({case})",
      text: "{shop}: the goods you sent back for {case} have arrived and are being checked. Follow it: {link}",
    },
  },
  sms: { template: "SMS_AS_PARCEL", params: ["shop", "case"] },
  wechat: { template: "AS_PARCEL", data: { character_string1: "case", thing2: "shop" } },
};
