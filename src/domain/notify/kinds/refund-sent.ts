import type { NotificationKind } from "../kind.ts";

/** 退款已发起: the refund is on its way back, the original way (原路退回). */
export const refundSent: NotificationKind = {
  raisedBy: (e) => e.action === "grant_refund",
  words: {
    zh: {
      subject: "退款 {amount} 已发起",
      text: "{shop}：售后 {case} 的退款 {amount} 已原路退回{to}，请留意到账。详情：{link}",
    },
    en: {
      subject: "Refund of {amount} on its way",
      text: "{shop}: the refund of {amount} for {case} is going back to your {to}. Details: {link}",
    },
  },
  sms: { template: "SMS_AS_REFUND_SENT", params: ["shop", "case", "amount", "to"] },
  wechat: {
    template: "AS_REFUND_SENT",
    data: { character_string1: "case", amount2: "amount", thing3: "to" },
  },
};
