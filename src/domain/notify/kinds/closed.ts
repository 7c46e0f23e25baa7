import type { NotificationKind } from "../kind.ts";

/** 售后已完成: the case is over. */
export const closed: NotificationKind = {
  raisedBy: (e) => e.action === "close",
  words: {
    zh: { subject: "售后 {case} 已完成", text: "{shop}：您的售后 {case} 已完成，感谢您的耐心。详情：{link}" },
    en: {
      subject: "Request {case} completed",
      text: "{shop}: your request {case} is complete. Thank you for your patience. Details: {link}",
    },
  },
  sms: { template: "SMS_AS_CLOSED", params: ["shop", "case"] },
  wechat: { template: "AS_CLOSED", data: { character_string1: "case", thing2: "shop" } },
};
