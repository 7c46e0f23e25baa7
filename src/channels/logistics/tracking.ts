import type { LogisticsStatus } from "../../domain/order.ts";

/**
 * The flows' view of a parcel-tracking service (快递100, 快递鸟, a carrier's own API): subscribe to a
 * parcel, ask where it is, and take its signed pushes. Every adapter speaks its own protocol but
 * answers in our logistics statuses, so the flows never branch on the provider.
 */

/** One carrier scan in our terms: what record-tracking stores. */
export interface TrackingScan {
  /** ISO 8601 with the provider's offset (Kuaidi100 reports Beijing time). */
  at: string;
  status: LogisticsStatus;
  description: string;
  location?: string;
}

/** Where a parcel stands as the provider last saw it, with its whole scan history (newest first). */
export interface TrackingSnapshot {
  /** The provider's carrier code (Kuaidi100 `com`). */
  providerCarrier: string;
  trackingNo: string;
  /** The provider's own state code, kept for audit. */
  state: string;
  status: LogisticsStatus;
  signed: boolean;
  scans: TrackingScan[];
}

export interface SubscribeResult {
  /** `already_subscribed`: the provider already tracks this parcel for us — nothing to do. */
  status: "subscribed" | "already_subscribed";
  providerCarrier: string;
  message: string;
}

export type QueryResult =
  | { found: true; snapshot: TrackingSnapshot }
  /** The provider knows nothing yet (no scans, or a wrong carrier); ask again later. */
  | { found: false; code: string; message: string };

/** What a push says about the subscription itself (Kuaidi100: polling | shutdown | abort | updateall). */
export type TrackingMonitor = "polling" | "shutdown" | "abort" | "updateall";

/** A verified push about one parcel. */
export interface TrackingPush {
  /** Recognises a repeat of the very same push. */
  notificationId: string;
  monitor: TrackingMonitor;
  /** The provider's note on the subscription ("3天查询无记录", "60天无变化"). */
  message: string;
  providerCarrier: string;
  /** Set when the provider corrected our carrier code: the one we subscribed with. */
  previousCarrier?: string;
  trackingNo: string;
  /** The parcel as the push describes it; null when the push only reports on the subscription. */
  snapshot: TrackingSnapshot | null;
  /** The verified content, kept for audit. */
  payload: Record<string, unknown>;
}

export interface TrackingProvider {
  readonly name: string;
  /** The provider's code for one of our carrier codes (SF → shunfeng). */
  providerCarrier(carrier: string): string;
  /** Ask to be pushed every change of the parcel. Repeating it is harmless. */
  subscribe(carrier: string, trackingNo: string, opts?: { phone?: string }): Promise<SubscribeResult>;
  /** Ask where the parcel is now (实时查询). */
  query(carrier: string, trackingNo: string, opts?: { phone?: string }): Promise<QueryResult>;
  /**
   * Verify and read a push body exactly as received. Unsigned, tampered or unreadable pushes throw
   * PushRejectedError — and nothing is written.
   */
  parsePush(body: string | Readonly<Record<string, string>>): TrackingPush;
  /** What the provider expects back once a push was taken (or was a repeat). */
  readonly pushAck: { status: number; contentType: string; body: string };
}

/** A push that failed verification; the code says why (SIGNATURE_MISSING, SIGNATURE_INVALID, PUSH_MALFORMED). */
export class PushRejectedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "PushRejectedError";
    this.code = code;
  }
}

/**
 * The provider answered and said no (bad key, unsupported carrier, malformed number): retrying the same
 * request will not help. `code` is the provider's own return code.
 */
export class TrackingRejectedError extends Error {
  readonly provider: string;
  readonly code: string;
  constructor(provider: string, code: string, message: string) {
    super(`${provider}: ${code} ${message}`);
    this.name = "TrackingRejectedError";
    this.provider = provider;
    this.code = code;
  }
}

/** Transport failure, timeout, 5xx or an answer we cannot read: try again later. */
export class TrackingUnavailableError extends Error {
  readonly provider: string;
  constructor(provider: string, message: string, opts: { cause?: unknown } = {}) {
    super(`${provider}: ${message}`, { cause: opts.cause });
    this.name = "TrackingUnavailableError";
    this.provider = provider;
  }
}
