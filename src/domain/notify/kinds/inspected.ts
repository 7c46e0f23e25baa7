import type { NotificationKind } from "../kind.ts";

/** 检验结果: the returned goods were checked. */
export const inspected: NotificationKind = {
  raisedBy: (e) => e.action === "inspect",
  words: {
    zh: { subject: "售后 {case} 的商品检验结果", text: "{shop}：您寄回的商品已检验（{note}）。进度：{link}" },
    en: {
      subject: "Your return for {case} has been checked",
      text: "{shop}: the goods you sent back have been checked ({note}). Follow it: {link}",
    },
  },
  sms: { template: "SMS_AS_INSPECTED", params: ["shop", "note"] },
  wechat: { template: "AS_INSPECTED", data: { character_string1: "case", thing2: "note" } },
};
