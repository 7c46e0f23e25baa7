import type { NotificationKind } from "../kind.ts";

/** 退款成功: the channel says the money is back. */
export const refundArrived: NotificationKind = {
  raisedBy: (e) => e.action === "refund_succeeded",
  words: {
    zh: {
      subject: "退款 {amount} 已到账",
      text: "{shop}：售后 {case} 的退款 {amount} 已退回{to}。详情：{link}",
    },
    en: {
      subject: "Your refund of {amount} has arrived",
      text: "{shop}: the refund of {amount} for {case} is back on your {to}. Details: {link}",
    },
  },
  sms: { template: "SMS_AS_REFUNDED", params: ["shop", "case", "amount", "to"] },
  wechat: { template: "AS_REFUNDED", data: { character_string1: "case", amount2: "amount", thing3: "to" } },
};
