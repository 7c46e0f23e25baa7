import { createHmac, timingSafeEqual } from "node:crypto";
import type { ReasonCode } from "../../../domain/catalogue.ts";
import { parseMinor } from "../../../domain/money.ts";
import type { RejectReasonCode } from "../../../domain/rules/actions.ts";
import type { PlatformRejectedError, PlatformState } from "../platform.ts";

/**
 * Wire details of Shopify returns and refunds, shared by the adapter (shopify.ts) and its simulator
 * (shopify-simulator.ts). Facts from shopify.dev (Admin GraphQL and webhooks):
 * - `POST https://{shop}.myshopify.com/admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`;
 *   answers are `{data, errors?, extensions: {cost: {requestedQueryCost, actualQueryCost,
 *   throttleStatus: {maximumAvailable, currentlyAvailable, restoreRate}}}}`; a throttled call gets an
 *   error with `extensions.code = "THROTTLED"` and should wait until the bucket refills.
 * - `Return.status`: REQUESTED OPEN DECLINED CLOSED CANCELED. returnApproveRequest moves REQUESTED → OPEN,
 *   returnDeclineRequest REQUESTED → DECLINED (reason FINAL_SALE, RETURN_PERIOD_ENDED or OTHER, note
 *   ≤ 500 characters), returnProcess confirms items and may issue the refund, returnClose closes.
 *   Mutations report refusals in `userErrors {code field message}`.
 * - Money is `{amount: "12.34", currencyCode}` decimal strings in the shop's currency.
 * - Webhooks (returns/*, refunds/create, orders/*) carry `X-Shopify-Hmac-Sha256` = base64
 *   HMAC-SHA256 of the raw body keyed with the app's client secret, plus `X-Shopify-Topic` and
 *   `X-Shopify-Webhook-Id` (the same across retries of one delivery).
 */

/** The Admin API version every document below is written for (has Return.createdAt, returnProcess). */
export const SHOPIFY_API_VERSION = "2026-01";
export const graphqlPath = (version = SHOPIFY_API_VERSION) => `/admin/api/${version}/graphql.json`;
export const HEADER_ACCESS_TOKEN = "x-shopify-access-token";
export const WEBHOOK_HEADERS = {
  hmac: "x-shopify-hmac-sha256",
  topic: "x-shopify-topic",
  webhookId: "x-shopify-webhook-id",
  eventId: "x-shopify-event-id",
  shopDomain: "x-shopify-shop-domain",
  apiVersion: "x-shopify-api-version",
} as const;
/** Return decline notes are cut to this many characters. */
export const DECLINE_NOTE_MAX = 500;

export function webhookHmac(secret: string, rawBody: string): string {
  return createHmac("sha256", secret).update(rawBody, "utf8").digest("base64");
}

export function verifyWebhookHmac(secret: string, rawBody: string, given: string): boolean {
  const expected = Buffer.from(webhookHmac(secret, rawBody));
  const got = Buffer.from(given);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

export const gid = (type: string, id: string | number): string =>
  String(id).startsWith("gid://") ? String(id) : `gid://shopify/${type}/${id}`;
/** The numeric part of a gid ("gid://shopify/Return/945000959" → "945000959"). */
export const gidId = (value: string): string => value.slice(value.lastIndexOf("/") + 1);

// ---------------------------------------------------------------------------------------------
// Enums as data
// ---------------------------------------------------------------------------------------------

export type ReturnStatus = "REQUESTED" | "OPEN" | "DECLINED" | "CLOSED" | "CANCELED";

/**
 * ReturnStatus → where the request stands. An OPEN return whose reverse delivery has a tracking
 * number is on its way back; a CLOSED one is refunded when refunds came with it, completed otherwise.
 */
export const RETURN_STATUSES: Readonly<
  Record<ReturnStatus, { state: PlatformState; shipped?: PlatformState; refunded?: PlatformState }>
> = {
  REQUESTED: { state: "requested" },
  OPEN: { state: "awaiting_return", shipped: "return_shipped" },
  DECLINED: { state: "refused" },
  CLOSED: { state: "completed", refunded: "refunded" },
  CANCELED: { state: "cancelled" },
};

/** ReturnReason → our reason. */
export const RETURN_REASONS: Readonly<Record<string, ReasonCode>> = {
  COLOR: "changed_mind",
  DEFECTIVE: "quality",
  NOT_AS_DESCRIBED: "not_as_described",
  OTHER: "other",
  SIZE_TOO_LARGE: "size_fit",
  SIZE_TOO_SMALL: "size_fit",
  STYLE: "changed_mind",
  UNKNOWN: "other",
  UNWANTED: "changed_mind",
  WRONG_ITEM: "wrong_item",
};

/** ReturnReasonDefinition.handle (the merchant-editable successor of ReturnReason) → our reason. */
export const REASON_HANDLES: Readonly<Record<string, ReasonCode>> = {
  color: "changed_mind",
  style: "changed_mind",
  unwanted: "changed_mind",
  "changed-mind": "changed_mind",
  "too-small": "size_fit",
  "too-large": "size_fit",
  "size-too-small": "size_fit",
  "size-too-large": "size_fit",
  defective: "quality",
  "damaged-or-defective": "damaged",
  damaged: "damaged",
  "not-as-described": "not_as_described",
  "wrong-item": "wrong_item",
  "received-wrong-item": "wrong_item",
  other: "other",
  unknown: "other",
};

export function returnReasonOf(
  reason: string | null | undefined,
  handle: string | null | undefined,
): ReasonCode {
  return (
    (handle ? REASON_HANDLES[handle] : undefined) ?? (reason ? RETURN_REASONS[reason] : undefined) ?? "other"
  );
}

export const DECLINE_REASONS = ["FINAL_SALE", "RETURN_PERIOD_ENDED", "OTHER"] as const;
export type ReturnDeclineReason = (typeof DECLINE_REASONS)[number];
/**
 * Our rejection reason → ReturnDeclineReason (FINAL_SALE, RETURN_PERIOD_ENDED, OTHER per shopify.dev);
 * the rest have no Shopify equivalent and go as OTHER with our text as the decline note.
 */
export const SHOPIFY_DECLINE_REASONS: Readonly<Partial<Record<RejectReasonCode, ReturnDeclineReason>>> = {
  outside_window: "RETURN_PERIOD_ENDED",
  policy_excludes: "FINAL_SALE",
};
/** Our refusal text → ReturnDeclineReason (an exact enum name wins; OTHER otherwise). */
export const DECLINE_KEYWORDS: readonly (readonly [RegExp, ReturnDeclineReason])[] = [
  [/final sale|不退不换|不支持退货|清仓/i, "FINAL_SALE"],
  [/return (period|window)|period ended|expired|超过.*(天|期)|已过.*期|售后期/i, "RETURN_PERIOD_ENDED"],
];
export function declineReasonOf(text: string): ReturnDeclineReason {
  const t = text.trim();
  if ((DECLINE_REASONS as readonly string[]).includes(t)) return t as ReturnDeclineReason;
  for (const [pattern, reason] of DECLINE_KEYWORDS) if (pattern.test(t)) return reason;
  return "OTHER";
}

/** ReturnUserError / UserError codes → what the caller should do. */
export const USER_ERROR_KINDS: Readonly<Record<string, PlatformRejectedError["kind"]>> = {
  INVALID_STATE: "invalid_state",
  NOT_FOUND: "invalid_state",
  ALREADY_EXISTS: "invalid_state",
  INVALID: "rejected",
  BLANK: "rejected",
  TOO_LONG: "rejected",
  GREATER_THAN: "rejected",
  LESS_THAN_OR_EQUAL_TO: "rejected",
};

// ---------------------------------------------------------------------------------------------
// GraphQL documents (fixed; the simulator recognises them by operation name)
// ---------------------------------------------------------------------------------------------

const MONEY = "shopMoney { amount currencyCode }";

export const RETURN_FIELDS = `fragment ReturnFields on Return {
  id
  name
  status
  createdAt
  closedAt
  totalQuantity
  decline { reason note }
  order { id currencyCode updatedAt }
  returnLineItems(first: 20) {
    nodes {
      id
      quantity
      returnReason
      returnReasonNote
      customerNote
      ... on ReturnLineItem {
        processableQuantity
        returnReasonDefinition { handle name }
        fulfillmentLineItem {
          lineItem {
            id
            sku
            quantity
            originalUnitPriceSet { ${MONEY} }
            discountAllocations { allocatedAmountSet { ${MONEY} } }
          }
        }
      }
    }
  }
  exchangeLineItems(first: 10) { nodes { id processableQuantity } }
  refunds(first: 10) { nodes { id totalRefundedSet { ${MONEY} } } }
  reverseFulfillmentOrders(first: 2) {
    nodes {
      reverseDeliveries(first: 2) {
        nodes { deliverable { ... on ReverseDeliveryShippingDeliverable { tracking { number carrierName } } } }
      }
    }
  }
}`;

export const ORDER_FIELDS = `fragment OrderFields on Order {
  id
  name
  createdAt
  updatedAt
  processedAt
  currencyCode
  customer { id displayName }
  cartDiscountAmountSet { ${MONEY} }
  lineItems(first: 30) {
    nodes {
      id
      sku
      name
      quantity
      originalUnitPriceSet { ${MONEY} }
      discountAllocations { allocatedAmountSet { ${MONEY} } }
    }
  }
  shippingLines(first: 5) { nodes { discountedPriceSet { ${MONEY} } } }
  transactions(first: 20) { id kind status gateway amountSet { ${MONEY} } parentTransaction { id } }
  fulfillments(first: 5) { createdAt displayStatus trackingInfo(first: 3) { number company } }
}`;

export const DOCUMENTS = {
  orderReturns: `query AftersalesOrderReturns($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id updatedAt returns(first: 10) { nodes { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  returnsById: `query AftersalesReturns($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Return { ...ReturnFields } }
}
${RETURN_FIELDS}`,
  return: `query AftersalesReturn($id: ID!) {
  return(id: $id) { ...ReturnFields }
}
${RETURN_FIELDS}`,
  orders: `query AftersalesOrders($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...OrderFields }
    pageInfo { hasNextPage endCursor }
  }
}
${ORDER_FIELDS}`,
  order: `query AftersalesOrder($id: ID!) {
  order(id: $id) { ...OrderFields }
}
${ORDER_FIELDS}`,
  orderTransactions: `query AftersalesOrderTransactions($id: ID!) {
  order(id: $id) { id currencyCode transactions(first: 50) { id kind status gateway amountSet { ${MONEY} } parentTransaction { id } } }
}`,
  returnApproveRequest: `mutation ReturnApproveRequest($input: ReturnApproveRequestInput!) {
  returnApproveRequest(input: $input) { return { id name status } userErrors { code field message } }
}`,
  returnDeclineRequest: `mutation ReturnDeclineRequest($input: ReturnDeclineRequestInput!) {
  returnDeclineRequest(input: $input) { return { id status decline { reason note } } userErrors { code field message } }
}`,
  returnProcess: `mutation ReturnProcess($input: ReturnProcessInput!) {
  returnProcess(input: $input) { return { id status } userErrors { code field message } }
}`,
  returnClose: `mutation ReturnClose($id: ID!) {
  returnClose(id: $id) { return { id status } userErrors { code field message } }
}`,
} as const;

/** "query AftersalesReturn($id: ID!) {…" → "AftersalesReturn". */
export const operationName = (document: string): string | undefined =>
  /^\s*(?:query|mutation)\s+([A-Za-z_]\w*)/.exec(document)?.[1];

/** `updated_at:>='…' AND updated_at:<'…'`: Shopify search syntax for a half-open window. */
export const updatedWindowQuery = (from: Date, to: Date): string =>
  `updated_at:>='${from.toISOString()}' AND updated_at:<'${to.toISOString()}'`;

// ---------------------------------------------------------------------------------------------
// Throttling
// ---------------------------------------------------------------------------------------------

export interface QueryCost {
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

/** How long to wait before the bucket holds the requested cost again (ms, at least 50). */
export function throttleWaitMs(cost: QueryCost | undefined, fallbackMs = 1_000): number {
  const t = cost?.throttleStatus;
  if (!t || !(t.restoreRate > 0)) return fallbackMs;
  const missing = Math.max(0, (cost?.requestedQueryCost ?? 0) - t.currentlyAvailable);
  return Math.max(50, Math.ceil((missing / t.restoreRate) * 1000));
}

// ---------------------------------------------------------------------------------------------
// Wire shapes and money
// ---------------------------------------------------------------------------------------------

export interface MoneyV2 {
  amount: string;
  currencyCode?: string;
}
export interface MoneyBag {
  shopMoney: MoneyV2;
}
/** A connection as either `nodes` or `edges { node }` (the docs' fixtures use edges). */
export interface Connection<T> {
  nodes?: T[];
  edges?: { node: T }[];
}
export const nodesOf = <T>(c: Connection<T> | null | undefined): T[] =>
  c?.nodes ?? c?.edges?.map((e) => e.node) ?? [];

/** A decimal money string in the shop's currency → minor units, exactly. */
export const minor = (money: MoneyBag | MoneyV2 | null | undefined, currency: string): number => {
  const m = money && "shopMoney" in money ? money.shopMoney : (money as MoneyV2 | null | undefined);
  return m ? parseMinor(m.amount, m.currencyCode ?? currency, { allowNegative: true }) : 0;
};

export interface ShopifyLineItem {
  id: string;
  sku?: string | null;
  name?: string;
  quantity: number;
  originalUnitPriceSet?: MoneyBag;
  discountAllocations?: { allocatedAmountSet: MoneyBag }[];
}

export interface ShopifyReturnLineItem {
  id: string;
  quantity: number;
  returnReason?: string | null;
  returnReasonNote?: string | null;
  customerNote?: string | null;
  processableQuantity?: number;
  returnReasonDefinition?: { handle: string; name?: string } | null;
  fulfillmentLineItem?: { lineItem: ShopifyLineItem } | null;
}

export interface ShopifyReturn {
  id: string;
  name?: string;
  status?: ReturnStatus;
  createdAt?: string;
  closedAt?: string | null;
  totalQuantity?: number;
  decline?: { reason: ReturnDeclineReason; note?: string | null } | null;
  order?: { id: string; currencyCode?: string; updatedAt?: string };
  returnLineItems?: Connection<ShopifyReturnLineItem>;
  exchangeLineItems?: Connection<{ id: string; processableQuantity?: number }>;
  refunds?: Connection<{ id: string; totalRefundedSet?: MoneyBag }>;
  reverseFulfillmentOrders?: Connection<{
    reverseDeliveries?: Connection<{
      deliverable?: { tracking?: { number?: string; carrierName?: string } | null } | null;
    }>;
  }>;
}

export interface ShopifyTransaction {
  id: string;
  kind: string;
  status: string;
  gateway?: string;
  amountSet: MoneyBag;
  parentTransaction?: { id: string } | null;
}

export interface ShopifyOrder {
  id: string;
  name?: string;
  createdAt?: string;
  updatedAt?: string;
  processedAt?: string;
  currencyCode: string;
  customer?: { id: string; displayName?: string } | null;
  cartDiscountAmountSet?: MoneyBag | null;
  lineItems: Connection<ShopifyLineItem>;
  shippingLines?: Connection<{ discountedPriceSet: MoneyBag }>;
  transactions?: ShopifyTransaction[];
  fulfillments?: {
    createdAt?: string;
    displayStatus?: string;
    trackingInfo?: { number?: string; company?: string }[];
  }[];
}

// ---------------------------------------------------------------------------------------------
// REST refunds (the refunds/create webhook and refunds/calculate)
// ---------------------------------------------------------------------------------------------

interface RestMoneyLine {
  amount?: string;
  tax_amount?: string;
  kind?: string;
}

/** A REST Refund (refunds/create payload, or GET refunds/{id}) in minor units. */
export function refundFromRest(input: Record<string, unknown>, currency: string) {
  const r = (input.refund && typeof input.refund === "object" ? input.refund : input) as Record<
    string,
    unknown
  >;
  const transactions = (Array.isArray(r.transactions) ? r.transactions : []) as Record<string, unknown>[];
  const cur = (t: Record<string, unknown>) => (typeof t.currency === "string" ? t.currency : currency);
  const paid = transactions.filter((t) => t.kind === "refund" && t.status === "success");
  const lines = (Array.isArray(r.refund_line_items) ? r.refund_line_items : []) as Record<string, unknown>[];
  const adjustments = (Array.isArray(r.order_adjustments) ? r.order_adjustments : []) as RestMoneyLine[];
  const ret = r.return as Record<string, unknown> | null | undefined;
  return {
    refundId: gid("Refund", String(r.admin_graphql_api_id ?? r.id)),
    orderExternalId: gid("Order", String(r.order_id)),
    returnExternalId: ret ? gid("Return", String(ret.admin_graphql_api_id ?? ret.id)) : null,
    createdAt: typeof r.created_at === "string" ? new Date(r.created_at).toISOString() : null,
    note: typeof r.note === "string" ? r.note : null,
    amount: paid.reduce((n, t) => n + parseMinor(String(t.amount), cur(t)), 0),
    currency: paid[0] ? cur(paid[0]) : currency,
    lines: lines.map((l) => ({
      lineExternalId: gid("LineItem", String(l.line_item_id)),
      quantity: Number(l.quantity),
      ...(l.subtotal !== undefined ? { subtotal: parseMinor(String(l.subtotal), currency) } : {}),
      ...(l.total_tax !== undefined ? { tax: parseMinor(String(l.total_tax), currency) } : {}),
      restockType: typeof l.restock_type === "string" ? l.restock_type : null,
    })),
    shippingRefund: adjustments
      .filter((a) => a.kind === "shipping_refund")
      .reduce((n, a) => n - parseMinor(String(a.amount ?? "0"), currency, { allowNegative: true }), 0),
  };
}

/** POST refunds/calculate → what Shopify suggests refunding, in minor units. */
export function suggestedRefund(input: Record<string, unknown>, currency: string) {
  const r = (input.refund ?? input) as Record<string, unknown>;
  const m = (v: unknown) => parseMinor(String(v ?? "0"), currency);
  const shipping = (r.shipping ?? {}) as Record<string, unknown>;
  const lines = (Array.isArray(r.refund_line_items) ? r.refund_line_items : []) as Record<string, unknown>[];
  const transactions = (Array.isArray(r.transactions) ? r.transactions : []) as Record<string, unknown>[];
  return {
    shipping: {
      amount: m(shipping.amount),
      tax: m(shipping.tax),
      maximumRefundable: m(shipping.maximum_refundable),
    },
    lines: lines.map((l) => ({
      lineExternalId: gid("LineItem", String(l.line_item_id)),
      quantity: Number(l.quantity),
      price: m(l.price),
      subtotal: m(l.subtotal),
      tax: m(l.total_tax),
      cartDiscount: m(l.total_cart_discount_amount),
    })),
    transactions: transactions
      .filter((t) => t.kind === "suggested_refund")
      .map((t) => ({
        parentId: gid("OrderTransaction", String(t.parent_id)),
        amount: m(t.amount),
        maximumRefundable: m(t.maximum_refundable),
        gateway: String(t.gateway ?? ""),
      })),
  };
}

/** JSON.parse that keeps integers beyond 2^53 exact as decimal strings. */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    typeof context?.source === "string" &&
    /^-?\d+$/.test(context.source)
      ? context.source
      : value,
  );
}
