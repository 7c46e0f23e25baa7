import type { NotificationKind } from "../kind.ts";

/** 换货/补发已发出: the replacement is on its way. */
export const replacementShipped: NotificationKind = {
  raisedBy: (e) => e.action === "ship_replacement",
  words: {
    zh: {
      subject: "售后 {case} 的商品已发出",
      text: "{shop}：售后 {case} 的换货/补发商品已发出（{note}）。详情：{link}",
    },
    en: {
      subject: "Your replacement for {case} is on its way",
      text: "{shop}: the replacement for {case} has been shipped ({note}). Details: {link}",
    },
  },
  sms: { template: "SMS_AS_SHIPPED", params: ["shop", "case", "note"] },
  wechat: { template: "AS_SHIPPED", data: { character_string1: "case", thing2: "note" } },
};
