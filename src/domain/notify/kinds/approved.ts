import type { NotificationKind } from "../kind.ts";

/** 申请已同意: approved where nothing has to come back (refund only, reship). */
export const approved: NotificationKind = {
  raisedBy: (e) => e.action === "approve" && !["return_refund", "exchange"].includes(e.caseType),
  words: {
    zh: {
      subject: "售后申请 {case} 已同意",
      text: "{shop}：您的售后申请 {case} 已同意，我们会尽快处理。进度：{link}",
    },
    en: {
      subject: "Request {case} approved",
      text: "{shop}: your request {case} has been approved; we are on it. Follow it: {link}",
    },
  },
  sms: { template: "SMS_AS_APPROVED", params: ["shop", "case"] },
  wechat: { template: "AS_APPROVED", data: { character_string1: "case", thing2: "shop" } },
};
