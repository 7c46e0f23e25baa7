import type { NotificationKind } from "../kind.ts";

/** 已收到申请: a new case. */
export const received: NotificationKind = {
  raisedBy: (e) => e.action === "submit",
  words: {
    zh: {
      subject: "我们已收到您的售后申请 {case}",
      text: "{shop}：您对订单 {order} 的售后申请 {case} 已收到，我们会尽快处理。进度：{link}",
    },
    en: {
      subject: "We have your request {case}",
      text: "{shop}: we have your after-sales request {case} for order {order} and will look at it soon. Follow it: {link}",
    },
  },
  sms: { template: "SMS_AS_RECEIVED", params: ["shop", "order", "case"] },
  wechat: { template: "AS_RECEIVED", data: { character_string1: "case", thing2: "shop" } },
};
