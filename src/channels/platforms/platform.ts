import type { CaseType, ReasonCode } from "../../domain/catalogue.ts";
import type { Channel, OrderInput } from "../../domain/order.ts";
import type { RejectReasonCode } from "../../domain/rules/actions.ts";

/**
 * What every platform adapter (Taobao/Tmall, JD, Pinduoduo, Douyin, WeChat Channels, Shopify) offers
 * the sync flows: incremental pulls of orders and after-sales requests, our decisions pushed back,
 * and verified push messages. Each adapter speaks its platform's published protocol (signing, field
 * names, units) and maps the platform's status and reason enums to ours in tables, never in `if`s.
 */

/** Where a platform's after-sales request stands, in our words. */
export const PLATFORM_STATES = {
  /** Waiting for the merchant's decision (e.g. Taobao WAIT_SELLER_AGREE, PDD 2/3, Douyin 6). */
  requested: "awaiting the merchant",
  /** The merchant agreed to a return; the buyer has not shipped it (WAIT_BUYER_RETURN_GOODS). */
  awaiting_return: "awaiting the buyer's return",
  /** The buyer shipped the return; the merchant must confirm receipt (WAIT_SELLER_CONFIRM_GOODS). */
  return_shipped: "return on its way",
  /** The merchant refused (SELLER_REFUSE_BUYER); the buyer may still escalate. */
  refused: "refused by the merchant",
  /** The platform is arbitrating (客服介入 / 平台处理中). */
  intervened: "the platform intervened",
  /** Money is on its way back (退款中). */
  refunding: "refund in progress",
  /** The platform reports the money back with the buyer (SUCCESS, 退款成功). */
  refunded: "refunded",
  /** Closed without a refund: the buyer withdrew, or it expired (CLOSED, 买家撤销). */
  cancelled: "withdrawn or closed",
  /** Exchange or reship finished on the platform. */
  completed: "completed",
} as const;
export type PlatformState = keyof typeof PLATFORM_STATES;

/** One after-sales request as a platform reports it, already in our terms (amounts in minor units). */
export interface PlatformCase {
  /** The platform's after-sales id (Taobao refund_id, PDD id, Douyin aftersale_id, Shopify Return gid). */
  externalId: string;
  /** The platform's order id (tid, order_sn, shop order id) — our order's externalId. */
  orderExternalId: string;
  type: CaseType;
  reason: ReasonCode;
  /** The buyer's reason in the platform's own words, for the timeline. */
  reasonText?: string;
  state: PlatformState;
  /** The platform's raw status code or name, kept for the timeline and debugging. */
  platformStatus: string;
  /** What the buyer asked for, in minor units of `currency` (null: not stated). */
  requestedAmount: number | null;
  currency: string;
  /** The order lines claimed, by the platform's line id (oid, sku order id) or SKU. */
  items: { lineExternalId?: string; sku?: string; quantity: number }[];
  returnTracking?: { carrier: string; trackingNo: string };
  description?: string;
  createdAt: string;
  updatedAt: string;
  /** A version the platform increments on every change (Taobao refund_version), to ignore stale copies. */
  version?: string;
  /**
   * When the current step times out and the platform acts on its own (Taobao refund_remind_timeout,
   * Douyin status_deadline, WeChat Channels deadline): ISO time; null or absent when there is none.
   * While the move is the merchant's (requested, return_shipped) the sync makes it the case's SLA.
   */
  deadline?: string | null;
  raw: unknown;
}

/**
 * Why we refuse (拒绝原因): our rejection reason when we know it (a rule's, or a reviewer's note that
 * names one), and the text the buyer reads. Each adapter maps the reason to its platform's code (from a
 * table, or from the platform's own list: pickListedReason) and falls back to "other" with the text.
 */
export interface Refusal {
  reason: RejectReasonCode | null;
  text: string;
}

/** A platform's code for a refusal: its table's for our reason, else the platform's "other" code. */
export function refusalCode<T>(
  table: Readonly<Partial<Record<RejectReasonCode, T>>>,
  other: T,
  refusal: Refusal,
): { code: T; mapped: boolean } {
  const code = refusal.reason ? table[refusal.reason] : undefined;
  return code === undefined ? { code: other, mapped: false } : { code, mapped: true };
}

/**
 * One entry of a platform's own list of refusal reasons for one request (Taobao
 * `taobao.refund.refusereason.get`, Douyin `afterSale/rejectReasonCodeList`): the id to send back and
 * the words the platform shows. Platforms that hand reasons out per request publish no fixed codes.
 */
export interface ListedRefusalReason {
  id: string;
  text: string;
}

/**
 * How a listed reason's text names each of our rejection reasons: the text must match every pattern
 * of the row (e.g. outside_window: 超过/超出 and 期限/时效). Matched on the platform's words, because the
 * ids differ per platform and per request.
 */
export const REFUSAL_KEYWORDS: Readonly<Record<RejectReasonCode, readonly RegExp[]>> = {
  outside_window: [/超过|超出|已过/, /期限|时效|售后期/],
  policy_excludes: [/不支持|不适用|不在.{0,6}范围/],
  evidence_missing: [/未提供|缺少|没有|无有效/, /凭证|证据|照片|图片/],
  abuse_suspected: [/二次销售|不符|调包|掉包|恶意/],
  signed_for: [/已签收/],
  duplicate: [/重复/],
};
const OTHER_REASON = /^\s*(其他|其它)/;

/**
 * The listed reason for a refusal: the first whose text names our reason (`mapped`), else the list's
 * 其他 entry, else its first — always one the platform listed, so it cannot be refused as unknown.
 * Null when the list is empty.
 */
export function pickListedReason<T extends ListedRefusalReason>(
  list: readonly T[],
  refusal: Refusal,
): { reason: T; mapped: boolean } | null {
  const words = refusal.reason ? REFUSAL_KEYWORDS[refusal.reason] : undefined;
  const match = words && list.find((r) => words.every((w) => w.test(r.text)));
  if (match) return { reason: match, mapped: true };
  const fallback = list.find((r) => OTHER_REASON.test(r.text)) ?? list[0];
  return fallback ? { reason: fallback, mapped: false } : null;
}

/** A half-open time window [from, to) of "updated at", within the platform's maximum window. */
export interface PullWindow {
  from: Date;
  to: Date;
}

/** One page; `next` resumes inside the same window (a page number or a platform cursor), null when done. */
export interface Page<T> {
  items: T[];
  next: string | null;
  /**
   * Records on this page the adapter could not put in our terms (an unknown status, a malformed
   * amount): the sync writes each down against its request and carries on with the page.
   */
  skipped?: { externalId: string; orderExternalId: string; error: string }[];
}

/** A shop's credentials for its platform: app key/secret, access token, platform shop id… */
export type PlatformCredentials = Readonly<Record<string, string>>;

/** Where a buyer sends a return. */
export interface ReturnAddress {
  name: string;
  phone: string;
  address: string;
  /** Postcode, where the platform asks for one (Taobao `post`). */
  postcode?: string;
  /** The platform's own id of this address in the merchant's address book (Taobao `seller_address_id`). */
  addressId?: string;
}

/** Which request a decision is about. */
export interface PlatformRef {
  externalId: string;
  orderExternalId: string;
  /** Taobao and others refuse a decision made against a stale version. */
  version?: string;
}

/** A connected client for one shop. Every call is signed per the platform's rules. */
export interface PlatformClient {
  pullOrders(window: PullWindow, cursor: string | null): Promise<Page<OrderInput>>;
  pullAftersales(window: PullWindow, cursor: string | null): Promise<Page<PlatformCase>>;
  /** One request by id (after a push message, or to confirm a refund). Null: the platform does not know it. */
  getAftersale(ref: PlatformRef): Promise<PlatformCase | null>;
  /** One order by id, when an after-sales request arrives for an order we have not pulled yet. */
  getOrder(orderExternalId: string): Promise<OrderInput | null>;
  /** Throws AppError PLATFORM_REF_INVALID for an id this platform cannot have issued (no call made). */
  checkRef?(ref: PlatformRef): void;
  /** 同意退款 (refund only, or after the return arrived): the platform pays the buyer back. */
  agreeRefund(ref: PlatformRef, amount: number): Promise<void>;
  /** 拒绝 with the platform's reason code for our reason, and the text the buyer sees. */
  refuseRefund(ref: PlatformRef, refusal: Refusal): Promise<void>;
  /** 同意退货 with the address to send it to. */
  agreeReturn(ref: PlatformRef, address: ReturnAddress): Promise<void>;
  /** 确认收货 of a return. */
  confirmReceipt(ref: PlatformRef): Promise<void>;
}

export interface ConnectOptions {
  baseUrl: string;
  timeoutMs?: number;
  /** The clock requests are stamped with (tests run a simulated one); default the wall clock. */
  now?: () => Date;
  /** Our shop id, for OrderInput.shop (the sync sets it too). */
  shop?: string;
}

/**
 * The platform answered and refused the call (not a transport failure — that is ChannelUnavailableError
 * from payments/channel.ts: outcome unknown, ask again). `kind` tells the caller what to do:
 * `stale_version` — the request changed since we read it, re-read and decide again; `invalid_state` —
 * the request is no longer where the call applies; `auth` — credentials are wrong or expired;
 * `rejected` — any other business refusal.
 */
export class PlatformRejectedError extends Error {
  readonly code: string;
  readonly kind: "stale_version" | "invalid_state" | "auth" | "rejected";
  constructor(kind: PlatformRejectedError["kind"], code: string, message: string) {
    super(message);
    this.name = "PlatformRejectedError";
    this.kind = kind;
    this.code = code;
  }
}

/** A verified push message: which requests (or orders) changed, to fetch and apply. */
export interface PlatformPush {
  /** The platform's message id: a repeat is recognised by it. */
  messageId: string;
  aftersales: PlatformRef[];
  orders: string[];
}

export interface PlatformAdapter {
  readonly channel: Channel;
  /** The credential fields a shop must provide (checked when they are saved). */
  readonly credentialFields: readonly string[];
  /** The platform's limits: the longest pull window and the largest page. */
  readonly limits: { maxWindowMs: number; pageSize: number };
  /** Credential fields a shop may add (e.g. Taobao `sign_method`). Every adapter also takes `gateway`. */
  readonly optionalCredentialFields?: readonly string[];
  /** The platform's production API address; a shop's `gateway` credential (e.g. a simulator) overrides it. */
  readonly baseUrl?: string;
  connect(credentials: PlatformCredentials, options: ConnectOptions): PlatformClient;
  /** Verify and parse a push message (webhook, TMC message); throws NotificationRejectedError when unsigned or tampered. */
  parsePush?(
    credentials: PlatformCredentials,
    headers: Readonly<Record<string, string | undefined>>,
    rawBody: string,
  ): PlatformPush;
}

/** Adapters by channel (the registry's, or a test's own). */
export type PlatformLookup = (channel: string) => PlatformAdapter | undefined;

/** How `aftersales simulate` and the tests start a platform's simulator (see registry.ts SIMULATORS). */
export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** Which channel to present as, for simulators that speak for several (Taobao and Tmall). */
  channel?: Channel;
  /** Where push messages (Taobao TMC, webhooks) go; none are sent without it. */
  pushUrl?: string;
  /** The platform's clock (timestamps, signature freshness); default the wall clock. */
  now?: () => Date;
  /**
   * Keep the platform's orders, requests, the merchant's decisions, credentials and id sequences in this
   * file, so a restarted simulator carries on where it stopped (see simulator-kit.ts).
   */
  stateFile?: string;
}
export type SimulatorFactory = (options: SimulatorOptions) => Promise<PlatformSimulator>;

/** An order placed on a simulated platform (amounts in minor units). */
export interface SimulatedOrder {
  externalId: string;
  buyerId: string;
  currency: string;
  paidAt: string;
  shippingFee: number;
  lines: { lineId: string; sku: string; title: string; quantity: number; unitPrice: number; paid: number }[];
  shipment?: { carrier: string; trackingNo: string; shippedAt: string; signedAt?: string };
}

/** What a simulated buyer asks for. */
export interface SimulatedRequest {
  orderExternalId: string;
  type: CaseType;
  reason: ReasonCode;
  lineId: string;
  quantity: number;
  amount: number;
}

/**
 * Each platform's simulator speaks the platform's protocol on loopback (same signing, same fields,
 * same enums) so the adapter cannot tell it from the real thing; the demo and the tests drive it
 * through this interface as buyers and as the platform.
 */
export interface PlatformSimulator {
  readonly channel: Channel;
  readonly url: string;
  /** Credentials the simulator accepts; anything else is refused the way the platform refuses it. */
  readonly credentials: PlatformCredentials;
  placeOrder(order: SimulatedOrder): void;
  /** The buyer opens an after-sales request; returns the platform's id for it. */
  requestAftersale(request: SimulatedRequest): string;
  buyerCancels(externalId: string): void;
  buyerShipsReturn(externalId: string, carrier: string, trackingNo: string): void;
  /** The request as the platform holds it: its raw status and every merchant call made on it. */
  inspect(externalId: string): { status: string; calls: string[]; refunded: number } | undefined;
  close(): Promise<void>;
}
