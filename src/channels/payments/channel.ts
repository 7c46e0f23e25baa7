import type { RefundBill } from "../../domain/reconcile/bill.ts";

/**
 * The money leg's view of a payment channel (WeChat Pay, Alipay, platform wallets, the sandbox).
 * Every adapter speaks its own protocol but answers in these terms, so issue-refund never branches on
 * the channel.
 */

export interface RefundRequest {
  /** Our refund's idempotency key; the channel sees it as out_refund_no / out_request_no. */
  idempotencyKey: string;
  /** The channel's payment transaction id; null when only the order number is known. */
  transactionId: string | null;
  /** The merchant order number the payment was made against (out_trade_no). */
  orderRef: string;
  /** Integer minor units (分) to refund now. */
  amount: number;
  /** Integer minor units originally paid on this transaction — channels check cumulative refunds against it. */
  total: number;
  currency: string;
  reason?: string;
  /** Our shop the order belongs to — for channels where the platform holds the money (tender `platform`). */
  shop?: string;
  /** The platform's after-sales id of the case (Taobao refund_id…), for the same channels. */
  caseExternalId?: string;
}

export type RefundOutcome =
  | { status: "succeeded"; channelRefundId: string; succeededAt?: string }
  | { status: "processing"; channelRefundId: string }
  /** Definitive business failure: the channel answered and money did not move. */
  | { status: "failed"; code: string; message: string };

export type RefundQueryResult = RefundOutcome | { status: "not_found" };

export interface PaymentChannel {
  readonly name: string;
  /** The money moves outside any system (bank transfer): a person records it; nothing to poll. */
  readonly awaitsPerson?: boolean;
  /** Safe to repeat with the same idempotency key: the channel returns the existing refund. */
  refund(req: RefundRequest): Promise<RefundOutcome>;
  /**
   * Refuse (AppError) a refund that can never be sent as it is — no connected shop, a reference the
   * platform cannot have issued — before anything is decided, and before a refund that was never
   * sent is sent. Local facts only: it moves no money and asks no one.
   */
  check?(req: RefundRequest): Promise<void>;
  /** `request`: the refund as it was (or would be) sent, for channels that look refunds up by more than the key. */
  query(idempotencyKey: string, request?: RefundRequest): Promise<RefundQueryResult>;
  /**
   * Channels that call back (WeChat Pay's refund notify, Alipay's async notify): verify the
   * signature over the raw body, decrypt, and say which refund it is about. Anything unsigned,
   * tampered or undecryptable throws NotificationRejectedError — and changes nothing.
   */
  parseNotification?(
    headers: Readonly<Record<string, string | undefined>>,
    rawBody: string,
  ): RefundNotification;
  /** What the channel expects back once a notification was taken (or was a repeat). */
  readonly notificationAck?: { status: number; contentType: string; body: string };
}

/** A verified callback about one of our refunds. */
export interface RefundNotification {
  /** The channel's own id of this notification: a repeat is recognised by it. */
  notificationId: string;
  /** Our refund's idempotency key (out_refund_no / out_request_no). */
  idempotencyKey: string;
  outcome: RefundOutcome;
  /** The decrypted, verified content, kept for audit. */
  payload: Record<string, unknown>;
}

/** A callback that failed verification: the answer is a 4xx (or the channel's retry status), nothing is written. */
export class NotificationRejectedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "NotificationRejectedError";
    this.code = code;
  }
}

/** Why the outcome is unknown; all of them mean "query before retrying". */
export type ChannelUnavailableKind = "timeout" | "network" | "http" | "untrusted_response";

/**
 * Transport failure, timeout, 5xx or a response we cannot trust: the channel may or may not have moved
 * the money. The caller must query by idempotency key before deciding anything — never mark failed.
 */
export class ChannelUnavailableError extends Error {
  readonly channel: string;
  readonly kind: ChannelUnavailableKind;
  readonly httpStatus: number | undefined;
  constructor(
    channel: string,
    kind: ChannelUnavailableKind,
    message: string,
    opts: { httpStatus?: number; cause?: unknown } = {},
  ) {
    super(`${channel}: ${message}`, { cause: opts.cause });
    this.name = "ChannelUnavailableError";
    this.channel = channel;
    this.kind = kind;
    this.httpStatus = opts.httpStatus;
  }
}

/** A payment an order was paid with, as a payment channel knows it. */
export interface PaymentTaken {
  tender: string;
  /** The merchant order number (out_trade_no). */
  orderRef: string;
  transactionId?: string;
  /** Minor units. */
  amount: number;
}

/** A payment channel running on its local simulator, refunded through its real adapter. */
export interface SimulatedPayment {
  /** The simulator itself (tests look inside it). */
  simulator: unknown;
  url: string;
  /** What the adapter needs to reach the simulator (`aftersales simulate` prints it). */
  config: unknown;
  adapter: PaymentChannel;
  /** Once our API listens at `apiUrl`: where the channel sends its notifications. */
  listening?(apiUrl: string): void;
  /** A payment taken outside the simulator (an ingested order), for channels that refund only trades they know. */
  paymentTaken?(p: PaymentTaken): void;
  close(): Promise<void>;
}

/** A payment channel as the registry holds it (registry.ts PAYMENT_CHANNELS). */
export interface PaymentEntry {
  /** For people: the start banner, `aftersales simulate`. */
  label: string;
  /** Run the channel's simulator with the real adapter pointed at it; state kept in `stateFile` when given. */
  simulate(o: { port?: number; host?: string; stateFile?: string }): Promise<SimulatedPayment>;
  /** The channel's refund bill file (as downloaded or uploaded) as rows, for reconciliation; absent: no bills. */
  readBill?(file: Uint8Array, date: string): Promise<RefundBill>;
}
