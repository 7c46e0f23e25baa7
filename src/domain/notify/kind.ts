/**
 * A kind of message to the customer (通知): which timeline events raise it and what it says. The words are
 * per language with {placeholders} filled from the case (see NotifyVars); the SMS and WeChat channels
 * send a template registered with the provider plus its parameters, so each kind names those too.
 */
export interface NotificationKind {
  /** Whether a timeline event (its action, the state it led to, the case's type) raises this message. */
  raisedBy(e: { action: string; toStatus: string | null; caseType: string }): boolean;
  /** Sent even in quiet hours (an SMS at night only when waiting would cost the customer). */
  urgent?: boolean;
  words: Record<NotifyLanguage, { subject: string; text: string }>;
  /** The provider's SMS template (Aliyun TemplateCode) and the variables it takes. */
  sms: { template: string; params: readonly NotifyVar[] };
  /** The WeChat subscribe-message template and its data keys (thing1, amount2, …) → variables. */
  wechat: { template: string; data: Readonly<Record<string, NotifyVar>> };
}

export type NotifyLanguage = "zh" | "en";

/** What a message may say about its case; every one is a short plain string. */
export interface NotifyVars {
  /** The case's number as the customer knows it (the platform's, else ours). */
  case: string;
  order: string;
  shop: string;
  /** Money with its currency (¥12.30), where the message is about a refund. */
  amount: string;
  /** Where the money goes back to (原路退回: 微信支付, 支付宝, …). */
  to: string;
  /** Why (a rejection's reason, a QC finding). */
  note: string;
  /** By when the customer should act (send the goods back). */
  deadline: string;
  /** The case's page in the portal. */
  link: string;
}
export type NotifyVar = keyof NotifyVars;

/** Fill {placeholders}; an unknown one stays as written (a template typo shows, rather than vanishing). */
export const fill = (text: string, vars: Partial<NotifyVars>) =>
  text.replace(/\{(\w+)\}/g, (all, name: string) => vars[name as NotifyVar] ?? all);
