/**
 * A channel that tells a customer something (SMS, email, WeChat subscribe message). Every adapter speaks
 * its provider's protocol but answers in these terms, so the flows and the outbox never branch on the
 * channel. De-duplication is ours: none of the providers is idempotent, so the outbox keeps `id` and
 * never sends a message again once it was answered "sent" or "refused".
 */

export type NotifyKind = "sms" | "email" | "wechat";

export interface NotifyMessage {
  /** Our message id (unique, stable across retries): SMS OutId, email Message-ID local part, de-dup key. */
  id: string;
  /** Phone number (CN 11 digits or E.164), email address, or WeChat openid. */
  to: string;
  /** SMS TemplateCode / WeChat template_id; unused by email. */
  template?: string;
  /** SMS TemplateParam values / WeChat data values (key -> value). */
  params?: Record<string, string>;
  /** Email: subject, plain text and optional HTML. */
  subject?: string;
  text?: string;
  html?: string;
  /** WeChat: the mini-program page to open, and the language. */
  page?: string;
  lang?: "zh_CN" | "en_US";
}

export type NotifyOutcome =
  | { status: "sent"; providerId: string }
  /** Definitive: never retry (not subscribed 43101, invalid number, content refused, value rule broken). */
  | { status: "refused"; code: string; message: string }
  /** Flow control: try again no earlier than `retryAt` (e.g. Aliyun isv.BUSINESS_LIMIT_CONTROL / isv.DAY_LIMIT_CONTROL → tomorrow). */
  | { status: "later"; code: string; message: string; retryAt: Date };

export interface NotifyChannel {
  readonly kind: NotifyKind;
  /** Transient trouble (timeout, 5xx, connection refused, unreadable answer) THROWS NotifyUnavailableError: the outbox retries. */
  send(message: NotifyMessage): Promise<NotifyOutcome>;
  /** What one message costs (minor units + currency), for counting cost per channel; undefined when free. */
  readonly cost?: { amount: number; currency: string };
}

export class NotifyUnavailableError extends Error {
  override name = "NotifyUnavailableError";
}

/** A notify channel running on its local simulator, reached through its real adapter. */
export interface SimulatedNotify {
  /** The simulator itself (tests and the demo look inside it). */
  simulator: unknown;
  /** Where a person opens what the simulator received (`GET <url>/_sim/`). */
  url: string;
  adapter: NotifyChannel;
  close(): Promise<void>;
}

/** A notify channel as the registry holds it (registry.ts NOTIFY_CHANNELS). */
export interface NotifyEntry {
  /** For people: the start banner. */
  label: string;
  /** Start the channel's simulator and point the real adapter at it. */
  simulate(o?: { port?: number; host?: string }): Promise<SimulatedNotify>;
  /** The adapter for the real provider, from the environment; null when the channel is not configured. */
  fromEnv(env: Readonly<Record<string, string | undefined>>): NotifyChannel | null;
}

/** `later` for the start of the next calendar day in Asia/Shanghai (UTC+8 all year: China has no DST). */
export function nextShanghaiMidnight(now: Date): Date {
  const day = 86_400_000;
  const offset = 8 * 3_600_000;
  return new Date(Math.floor((now.getTime() + offset) / day + 1) * day - offset);
}
