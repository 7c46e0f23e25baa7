import type { NotificationKind } from "../kind.ts";

/** 请寄回商品: approved, and the goods are to come back by a deadline. */
export const returnRequested: NotificationKind = {
  raisedBy: (e) => e.action === "approve" && ["return_refund", "exchange"].includes(e.caseType),
  words: {
    zh: {
      subject: "售后申请 {case} 已同意，请在 {deadline} 前寄回商品",
      text: "{shop}：您的售后申请 {case} 已同意，请在 {deadline} 前寄回商品并填写快递单号：{link}",
    },
    en: {
      subject: "Request {case} approved: please send the goods back by {deadline}",
      text: "{shop}: your request {case} has been approved. Please send the goods back by {deadline} and enter the tracking number: {link}",
    },
  },
  sms: { template: "SMS_AS_RETURN", params: ["shop", "case", "deadline"] },
  wechat: { template: "AS_RETURN", data: { character_string1: "case", date2: "deadline", thing3: "shop" } },
};
