import type { NotificationKind } from "../kind.ts";

/** 申请未通过: rejected, with the reason. */
export const rejected: NotificationKind = {
  raisedBy: (e) => e.action === "reject",
  words: {
    zh: {
      subject: "售后申请 {case} 未通过",
      text: "{shop}：很抱歉，您的售后申请 {case} 未通过：{note}。详情：{link}",
    },
    en: {
      subject: "Request {case} declined",
      text: "{shop}: we are sorry, your request {case} was declined: {note}. Details: {link}",
    },
  },
  sms: { template: "SMS_AS_REJECTED", params: ["shop", "case", "note"] },
  wechat: { template: "AS_REJECTED", data: { character_string1: "case", thing2: "note" } },
};
