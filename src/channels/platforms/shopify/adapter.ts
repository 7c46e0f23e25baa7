import { createHash } from "node:crypto";
import { formatMinor } from "../../../domain/money.ts";
import type { OrderInput } from "../../../domain/order.ts";
import { channelFetch } from "../../http.ts";
import {
  ChannelUnavailableError,
  type ChannelUnavailableKind,
  NotificationRejectedError,
} from "../../payments/channel.ts";
import {
  type ConnectOptions,
  type Page,
  type PlatformAdapter,
  type PlatformCase,
  type PlatformClient,
  type PlatformCredentials,
  type PlatformPush,
  type PlatformRef,
  PlatformRejectedError,
  refusalCode,
} from "../platform.ts";
import {
  DECLINE_NOTE_MAX,
  DOCUMENTS,
  declineReasonOf,
  gid,
  graphqlPath,
  HEADER_ACCESS_TOKEN,
  minor,
  nodesOf,
  parseJsonExact,
  type QueryCost,
  RETURN_STATUSES,
  returnReasonOf,
  SHOPIFY_API_VERSION,
  SHOPIFY_DECLINE_REASONS,
  type ShopifyOrder,
  type ShopifyReturn,
  type ShopifyReturnLineItem,
  type ShopifyTransaction,
  throttleWaitMs,
  USER_ERROR_KINDS,
  updatedWindowQuery,
  verifyWebhookHmac,
  WEBHOOK_HEADERS,
} from "./protocol.ts";

/**
 * Shopify adapter: Returns through the Admin GraphQL API (orders → returns, return(id:),
 * returnApproveRequest, returnDeclineRequest, returnProcess, returnClose), orders mapped to our order
 * input (line items with Shopify's own discount allocations, shipping lines, transactions), and
 * webhooks verified by X-Shopify-Hmac-Sha256. Money arrives as decimal strings in the shop's currency
 * and is converted to minor units exactly. Throttled calls wait for the cost bucket and retry.
 */

const CHANNEL = "shopify";

/** A Shopify return in our terms, plus what only Shopify tells. */
export interface ShopifyCase extends PlatformCase {
  /** The return's name ("#1001-R1"). */
  returnName: string | null;
  /** Why the merchant declined (DECLINED returns). */
  decline: { reason: string; note: string | null } | null;
  /** Refunds issued with this return (minor units). */
  refunds: { id: string; amount: number }[];
}

/**
 * `gateway`: the shop's admin origin, https://{shop}.myshopify.com — Shopify has no one production
 * address, so every shop names its own; `client_secret` verifies webhooks.
 */
export const SHOPIFY_CREDENTIAL_FIELDS = ["gateway", "access_token", "client_secret"] as const;
/**
 * `shop_domain`: the myshopify domain webhooks must come from (default: the gateway's host);
 * `api_version`: another Admin API version than the one the documents are written for.
 */
export const SHOPIFY_OPTIONAL_CREDENTIAL_FIELDS = ["shop_domain", "api_version"] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const iso = (v: string | null | undefined) => (v ? new Date(v).toISOString() : undefined);

/** What the buyer paid for `quantity` of a line, pro rata of the line's paid amount (Shopify's allocations). */
function lineShare(line: ShopifyReturnLineItem, currency: string): number | null {
  const li = line.fulfillmentLineItem?.lineItem;
  if (!li?.originalUnitPriceSet || !(li.quantity > 0)) return null;
  const paid =
    minor(li.originalUnitPriceSet, currency) * li.quantity -
    (li.discountAllocations ?? []).reduce((n, d) => n + minor(d.allocatedAmountSet, currency), 0);
  return Math.round((Math.max(0, paid) * line.quantity) / li.quantity);
}

/** One Return → our case. `currency` when the return does not carry its order's. */
// No deadline: Shopify does not act on a return request the merchant leaves unanswered.
export function caseFromReturn(r: ShopifyReturn, fallback: { currency?: string } = {}): ShopifyCase {
  const rule = r.status ? RETURN_STATUSES[r.status] : undefined;
  if (!rule) {
    throw new PlatformRejectedError(
      "rejected",
      "UNKNOWN_STATUS",
      `Shopify return status "${String(r.status)}" is not in the mapping table`,
    );
  }
  const currency = r.order?.currencyCode ?? fallback.currency;
  if (!currency)
    throw new PlatformRejectedError(
      "rejected",
      "NO_CURRENCY",
      `Shopify return ${r.id} came without its order's currency`,
    );
  const lines = nodesOf(r.returnLineItems);
  const refunds = nodesOf(r.refunds).map((x) => ({ id: x.id, amount: minor(x.totalRefundedSet, currency) }));
  const tracking = nodesOf(r.reverseFulfillmentOrders)
    .flatMap((rfo) => nodesOf(rfo.reverseDeliveries))
    .map((d) => d.deliverable?.tracking)
    .find((t) => t?.number);
  const state =
    r.status === "CLOSED" && refunds.length > 0 && rule.refunded
      ? rule.refunded
      : tracking && rule.shipped
        ? rule.shipped
        : rule.state;
  const shares = lines.map((l) => lineShare(l, currency));
  const first = lines[0];
  const notes = lines
    .flatMap((l) => [l.returnReasonDefinition?.name, l.returnReasonNote, l.customerNote])
    .filter((x): x is string => typeof x === "string" && x !== "");
  const createdAt = iso(r.createdAt) ?? iso(r.order?.updatedAt) ?? new Date(0).toISOString();
  return {
    externalId: r.id,
    orderExternalId: r.order?.id ?? "",
    type: nodesOf(r.exchangeLineItems).length > 0 ? "exchange" : "return_refund",
    reason: returnReasonOf(first?.returnReason, first?.returnReasonDefinition?.handle),
    ...(notes.length ? { reasonText: [...new Set(notes)].join(" / ") } : {}),
    state,
    platformStatus: r.status as string,
    requestedAmount:
      shares.length > 0 && shares.every((s) => s !== null)
        ? shares.reduce((n: number, s) => n + (s ?? 0), 0)
        : null,
    currency,
    items: lines.map((l) => ({
      ...(l.fulfillmentLineItem?.lineItem.id ? { lineExternalId: l.fulfillmentLineItem.lineItem.id } : {}),
      ...(l.fulfillmentLineItem?.lineItem.sku ? { sku: l.fulfillmentLineItem.lineItem.sku } : {}),
      quantity: l.quantity,
    })),
    ...(tracking?.number
      ? { returnTracking: { carrier: tracking.carrierName ?? "", trackingNo: tracking.number } }
      : {}),
    createdAt,
    updatedAt: iso(r.closedAt) ?? iso(r.order?.updatedAt) ?? createdAt,
    returnName: r.name ?? null,
    decline: r.decline ? { reason: r.decline.reason, note: r.decline.note ?? null } : null,
    refunds,
    raw: r,
  };
}

/** A Shopify order → our order input: per-line paid amounts are Shopify's own discount allocations. */
export function orderFromShopify(o: ShopifyOrder, shop: string): OrderInput {
  const cur = o.currencyCode;
  const fmt = (n: number) => formatMinor(n, cur);
  const lines = nodesOf(o.lineItems).map((li) => {
    const unit = minor(li.originalUnitPriceSet, cur);
    const allocated = (li.discountAllocations ?? []).reduce(
      (n, d) => n + minor(d.allocatedAmountSet, cur),
      0,
    );
    const paid = Math.max(0, unit * li.quantity - allocated);
    return { li, unit, paid };
  });
  const shipping = nodesOf(o.shippingLines).reduce((n, s) => n + minor(s.discountedPriceSet, cur), 0);
  const cart = minor(o.cartDiscountAmountSet, cur);
  const charges = (o.transactions ?? []).filter(
    (t) => (t.kind === "SALE" || t.kind === "CAPTURE") && t.status === "SUCCESS",
  );
  const total = lines.reduce((n, l) => n + l.paid, 0) + shipping;
  const tracking = (o.fulfillments ?? []).flatMap((f) =>
    (f.trackingInfo ?? [])
      .filter((t) => t.number)
      .map((t) => ({
        carrier: t.company ?? "",
        trackingNo: t.number as string,
        status: f.displayStatus === "DELIVERED" ? ("delivered" as const) : ("shipped" as const),
        ...(f.createdAt ? { shippedAt: iso(f.createdAt) } : {}),
      })),
  );
  return {
    shop,
    externalId: o.id,
    currency: cur,
    ...(o.customer
      ? {
          customer: {
            id: o.customer.id,
            ...(o.customer.displayName ? { name: o.customer.displayName } : {}),
          },
        }
      : {}),
    ...(o.createdAt ? { placedAt: iso(o.createdAt) } : {}),
    ...(o.processedAt ? { paidAt: iso(o.processedAt) } : {}),
    lines: lines.map(({ li, unit, paid }) => ({
      externalId: li.id,
      sku: li.sku || li.id,
      ...(li.name ? { title: li.name } : {}),
      quantity: li.quantity,
      unitPrice: fmt(unit),
      paid: fmt(paid),
    })),
    ...(cart > 0 ? { discounts: [{ kind: "order", name: "cart discount", amount: fmt(cart) }] } : {}),
    shippingFee: fmt(shipping),
    // Shopify holds the money: a refund is made on Shopify (returnProcess), whatever the gateway was.
    // Taxes are not modelled, so the payment is what the goods and shipping came to.
    ...(total > 0
      ? {
          payments: [
            {
              tender: "platform" as const,
              amount: fmt(total),
              ...(charges[0] ? { transactionId: charges[0].id } : {}),
            },
          ],
        }
      : {}),
    ...(tracking.length ? { shipments: tracking } : {}),
  };
}

export interface ShopifyConnectOptions extends ConnectOptions {
  /** Orders per page (each carries up to 30 line items or 10 returns, which bounds the query cost). */
  pageSize?: number;
  /** Throttled calls are retried this many times. Default 5. */
  maxThrottleRetries?: number;
  /** The longest wait for the cost bucket before giving up (ms). Default 10 s. */
  maxThrottleWaitMs?: number;
}

const PAGE_MAX = 20;
const RETURN_BATCH = 10;

export function connectShopify(
  credentials: PlatformCredentials,
  options: ShopifyConnectOptions,
): PlatformClient {
  if (!credentials.access_token) {
    throw new PlatformRejectedError(
      "auth",
      "CREDENTIALS_INCOMPLETE",
      "Shopify needs the shop's access_token",
    );
  }
  const base = (
    options.baseUrl ||
    credentials.gateway ||
    (credentials.shop_domain ? `https://${credentials.shop_domain}` : "")
  ).replace(/\/+$/, "");
  if (!base) {
    throw new PlatformRejectedError(
      "auth",
      "CREDENTIALS_INCOMPLETE",
      "Shopify needs the shop's gateway (https://{shop}.myshopify.com)",
    );
  }
  const endpoint = `${base}${graphqlPath(credentials.api_version || SHOPIFY_API_VERSION)}`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pageSize = Math.min(PAGE_MAX, Math.max(1, options.pageSize ?? PAGE_MAX));
  const maxRetries = options.maxThrottleRetries ?? 5;
  const maxWait = options.maxThrottleWaitMs ?? 10_000;
  const shop = options.shop ?? "";
  const unavailable = (
    kind: ChannelUnavailableKind,
    message: string,
    extra?: { httpStatus?: number; cause?: unknown },
  ) => new ChannelUnavailableError(CHANNEL, kind, message, extra);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** One GraphQL call; waits out throttling; returns `data`. */
  async function gql(document: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    const op = /(?:query|mutation)\s+(\w+)/.exec(document)?.[1] ?? "graphql";
    for (let attempt = 0; ; attempt++) {
      const res = await channelFetch(CHANNEL, op, endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          [HEADER_ACCESS_TOKEN]: credentials.access_token as string,
        },
        body: JSON.stringify({ query: document, variables }),
        timeoutMs,
      });
      const raw = res.text;
      let answer: unknown;
      try {
        answer = parseJsonExact(raw);
      } catch {
        answer = undefined;
      }
      const body = isObject(answer) ? answer : {};
      if (res.status === 401 || res.status === 403) {
        throw new PlatformRejectedError(
          "auth",
          `HTTP_${res.status}`,
          `Shopify ${op}: ${String(body.errors ?? "access denied")}`,
        );
      }
      if (res.status === 429) {
        const retryAfter = Number(res.headers.get("retry-after"));
        if (attempt < maxRetries) {
          await sleep(
            Math.min(maxWait, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1_000),
          );
          continue;
        }
        throw unavailable("http", `${op}: still throttled after ${maxRetries} retries`, { httpStatus: 429 });
      }
      if (res.status >= 500)
        throw unavailable("http", `${op}: HTTP ${res.status}; outcome unknown`, { httpStatus: res.status });
      if (res.status !== 200 || !isObject(answer)) {
        throw new PlatformRejectedError(
          "rejected",
          `HTTP_${res.status}`,
          `Shopify ${op}: HTTP ${res.status} ${raw.slice(0, 200)}`,
        );
      }
      const errors = Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : [];
      const codes = errors.map((e) => String((isObject(e.extensions) ? e.extensions.code : undefined) ?? ""));
      if (codes.includes("THROTTLED")) {
        const cost = isObject(body.extensions) ? (body.extensions.cost as QueryCost | undefined) : undefined;
        const wait = throttleWaitMs(cost);
        if (attempt < maxRetries && wait <= maxWait) {
          await sleep(wait);
          continue;
        }
        throw unavailable("http", `${op}: throttled (the cost bucket refills in ${wait} ms)`);
      }
      if (errors.length > 0) {
        const messages = errors.map((e) => String(e.message ?? "")).join("; ");
        const kind = codes.includes("ACCESS_DENIED") ? "auth" : "rejected";
        throw new PlatformRejectedError(
          kind,
          codes.find((c) => c) ?? "GRAPHQL_ERROR",
          `Shopify ${op}: ${messages}`,
        );
      }
      return isObject(body.data) ? body.data : {};
    }
  }

  /** A mutation's payload; userErrors become a refusal with Shopify's code. */
  async function mutate(field: string, document: string, variables: Record<string, unknown>) {
    const data = await gql(document, variables);
    const payload = isObject(data[field]) ? (data[field] as Record<string, unknown>) : {};
    const userErrors = Array.isArray(payload.userErrors)
      ? (payload.userErrors as Record<string, unknown>[])
      : [];
    if (userErrors.length > 0) {
      const code = String(userErrors[0]?.code ?? "USER_ERROR");
      throw new PlatformRejectedError(
        USER_ERROR_KINDS[code] ?? "rejected",
        code,
        `Shopify ${field}: ${userErrors.map((e) => String(e.message ?? "")).join("; ")}`,
      );
    }
    return payload;
  }

  async function getReturn(id: string): Promise<ShopifyReturn | null> {
    const data = await gql(DOCUMENTS.return, { id: gid("Return", id) });
    return isObject(data.return) ? (data.return as unknown as ShopifyReturn) : null;
  }

  async function openReturn(
    ref: PlatformRef,
    what: string,
    allowed: readonly string[],
  ): Promise<ShopifyReturn> {
    const r = await getReturn(ref.externalId);
    if (!r)
      throw new PlatformRejectedError(
        "invalid_state",
        "NOT_FOUND",
        `Shopify has no return ${ref.externalId}`,
      );
    if (!allowed.includes(r.status ?? "")) {
      throw new PlatformRejectedError(
        "invalid_state",
        "INVALID_STATE",
        `Shopify cannot ${what} return ${ref.externalId} while it is ${String(r.status)}`,
      );
    }
    return r;
  }

  /** Spread `amount` over the order's charges, oldest first, within what each can still refund. */
  async function refundTransactions(orderId: string, amount: number, currency: string) {
    const data = await gql(DOCUMENTS.orderTransactions, { id: orderId });
    const order = isObject(data.order) ? data.order : {};
    const txs = (Array.isArray(order.transactions) ? order.transactions : []) as ShopifyTransaction[];
    const refunded = new Map<string, number>();
    for (const t of txs) {
      if (t.kind === "REFUND" && t.status === "SUCCESS" && t.parentTransaction) {
        refunded.set(
          t.parentTransaction.id,
          (refunded.get(t.parentTransaction.id) ?? 0) + minor(t.amountSet, currency),
        );
      }
    }
    const out: { transactionAmount: { amount: string; currencyCode: string }; parentId: string }[] = [];
    let left = amount;
    for (const t of txs) {
      if (left === 0) break;
      if ((t.kind !== "SALE" && t.kind !== "CAPTURE") || t.status !== "SUCCESS") continue;
      const room = minor(t.amountSet, currency) - (refunded.get(t.id) ?? 0);
      const take = Math.min(room, left);
      if (take <= 0) continue;
      out.push({
        transactionAmount: { amount: formatMinor(take, currency), currencyCode: currency },
        parentId: t.id,
      });
      left -= take;
    }
    if (left > 0) {
      throw new PlatformRejectedError(
        "rejected",
        "AMOUNT_EXCEEDS_REFUNDABLE",
        `Shopify order ${orderId} has only ${formatMinor(amount - left, currency)} ${currency} left to refund, not ${formatMinor(amount, currency)}`,
      );
    }
    return out;
  }

  const processable = (r: ShopifyReturn) =>
    nodesOf(r.returnLineItems)
      .map((l) => ({ id: l.id, quantity: l.processableQuantity ?? l.quantity }))
      .filter((l) => l.quantity > 0);

  return {
    async pullAftersales(window, cursor): Promise<Page<PlatformCase>> {
      const data = await gql(DOCUMENTS.orderReturns, {
        first: pageSize,
        after: cursor,
        query: updatedWindowQuery(window.from, window.to),
      });
      const orders = (isObject(data.orders) ? data.orders : {}) as {
        nodes?: { returns?: { nodes?: { id: string }[] } }[];
        pageInfo?: { hasNextPage?: boolean; endCursor?: string | null };
      };
      const ids = (orders.nodes ?? []).flatMap((o) => (o.returns?.nodes ?? []).map((r) => r.id));
      const returns: ShopifyReturn[] = [];
      for (let i = 0; i < ids.length; i += RETURN_BATCH) {
        const got = await gql(DOCUMENTS.returnsById, { ids: ids.slice(i, i + RETURN_BATCH) });
        const nodes = Array.isArray(got.nodes) ? got.nodes : [];
        returns.push(...nodes.filter((n): n is ShopifyReturn => isObject(n) && typeof n.id === "string"));
      }
      const next =
        orders.pageInfo?.hasNextPage && orders.pageInfo.endCursor ? orders.pageInfo.endCursor : null;
      return { items: returns.map((r) => caseFromReturn(r)), next };
    },

    async pullOrders(window, cursor): Promise<Page<OrderInput>> {
      const data = await gql(DOCUMENTS.orders, {
        first: pageSize,
        after: cursor,
        query: updatedWindowQuery(window.from, window.to),
      });
      const orders = (isObject(data.orders) ? data.orders : {}) as {
        nodes?: ShopifyOrder[];
        pageInfo?: { hasNextPage?: boolean; endCursor?: string | null };
      };
      return {
        items: (orders.nodes ?? []).map((o) => orderFromShopify(o, shop)),
        next: orders.pageInfo?.hasNextPage && orders.pageInfo.endCursor ? orders.pageInfo.endCursor : null,
      };
    },

    async getAftersale(ref) {
      const r = await getReturn(ref.externalId);
      return r ? caseFromReturn(r) : null;
    },

    async getOrder(orderExternalId) {
      const data = await gql(DOCUMENTS.order, { id: gid("Order", orderExternalId) });
      return isObject(data.order) ? orderFromShopify(data.order as unknown as ShopifyOrder, shop) : null;
    },

    async agreeReturn(ref) {
      // Shopify sends the buyer the shop's own return instructions; the address is not an input here.
      await mutate("returnApproveRequest", DOCUMENTS.returnApproveRequest, {
        input: { id: gid("Return", ref.externalId) },
      });
    },

    async refuseRefund(ref, refusal) {
      const r = await openReturn(ref, "decline", ["REQUESTED", "OPEN"]);
      if (r.status === "OPEN") {
        // Approved already: Shopify cannot decline any more, so the return is closed without a refund.
        await mutate("returnClose", DOCUMENTS.returnClose, { id: r.id });
        return;
      }
      const text = refusal.text.trim();
      // Our reason's ReturnDeclineReason when it has one; otherwise read the text (OTHER when nothing fits).
      const declineReason = refusalCode(SHOPIFY_DECLINE_REASONS, declineReasonOf(text), refusal).code;
      // The note is what the buyer reads; a bare enum name says nothing more than the reason itself.
      const note = text === declineReason ? "" : text.slice(0, DECLINE_NOTE_MAX);
      await mutate("returnDeclineRequest", DOCUMENTS.returnDeclineRequest, {
        input: { id: r.id, declineReason, ...(note ? { declineNote: note } : {}), notifyCustomer: true },
      });
    },

    async agreeRefund(ref, amount) {
      let r = await openReturn(ref, "refund", ["REQUESTED", "OPEN"]);
      if (r.status === "REQUESTED") {
        // A refund agreed before the goods come back: approve, then process.
        await mutate("returnApproveRequest", DOCUMENTS.returnApproveRequest, { input: { id: r.id } });
        r = await openReturn(ref, "refund", ["OPEN"]);
      }
      const currency = r.order?.currencyCode;
      if (!currency || !r.order?.id)
        throw new PlatformRejectedError(
          "rejected",
          "NO_CURRENCY",
          `Shopify return ${r.id} has no order currency`,
        );
      const lines = processable(r);
      if (lines.length === 0) {
        throw new PlatformRejectedError(
          "invalid_state",
          "NOTHING_TO_PROCESS",
          `Shopify return ${r.id} has no items left to process`,
        );
      }
      const orderTransactions = amount > 0 ? await refundTransactions(r.order.id, amount, currency) : [];
      await mutate("returnProcess", DOCUMENTS.returnProcess, {
        input: {
          returnId: r.id,
          returnLineItems: lines,
          ...(orderTransactions.length ? { financialTransfer: { issueRefund: { orderTransactions } } } : {}),
          notifyCustomer: true,
        },
      });
    },

    async confirmReceipt(ref) {
      const r = await openReturn(ref, "receive", ["OPEN"]);
      const exchange = nodesOf(r.exchangeLineItems)
        .map((l) => ({ id: l.id, quantity: l.processableQuantity ?? 1 }))
        .filter((l) => l.quantity > 0);
      // Refund returns are received and refunded in one returnProcess (agreeRefund); an exchange has
      // no money leg, so receiving it processes the items and releases the replacement now.
      if (exchange.length === 0) return;
      await mutate("returnProcess", DOCUMENTS.returnProcess, {
        input: {
          returnId: r.id,
          returnLineItems: processable(r),
          exchangeLineItems: exchange,
          notifyCustomer: true,
        },
      });
    },
  };
}

const hostOf = (url: string | undefined): string | undefined => {
  try {
    return url ? new URL(url).host : undefined;
  } catch {
    return undefined;
  }
};

/** Webhook topic families → what changed. */
const TOPIC_KINDS: readonly (readonly [RegExp, "return" | "refund" | "order"])[] = [
  [/^returns\//, "return"],
  [/^refunds\/create$/, "refund"],
  [/^orders\//, "order"],
];

/**
 * Verify and parse a Shopify webhook: `X-Shopify-Hmac-Sha256` must be the base64 HMAC-SHA256 of the
 * raw body keyed with the app's client secret. returns/* name a return and its order, refunds/create
 * an order (and the return it came from), orders/* an order. The delivery id dedupes retries.
 */
export function parseShopifyWebhook(
  credentials: PlatformCredentials,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): PlatformPush {
  const reject = (code: string, message: string): never => {
    throw new NotificationRejectedError(code, `Shopify webhook rejected: ${message}`);
  };
  const header = (name: string) => headers[name] ?? headers[name.toLowerCase()];
  const hmac = header(WEBHOOK_HEADERS.hmac);
  if (!hmac) return reject("SHOPIFY_SIGNATURE_MISSING", "no X-Shopify-Hmac-Sha256");
  const secret = credentials.client_secret;
  if (!secret) return reject("SHOPIFY_CREDENTIALS_MISSING", "this shop has no client_secret");
  if (!verifyWebhookHmac(secret, rawBody, hmac))
    return reject("SHOPIFY_SIGNATURE_INVALID", "HMAC does not match the body");
  const shopDomain = header(WEBHOOK_HEADERS.shopDomain);
  const expectedShop = credentials.shop_domain || hostOf(credentials.gateway);
  if (shopDomain && expectedShop && shopDomain !== expectedShop) {
    return reject("SHOPIFY_SHOP_MISMATCH", `sent for ${shopDomain}`);
  }
  const topic = header(WEBHOOK_HEADERS.topic);
  if (!topic) return reject("SHOPIFY_PUSH_MALFORMED", "no X-Shopify-Topic");
  let payload: unknown;
  try {
    payload = parseJsonExact(rawBody);
  } catch {
    payload = undefined;
  }
  if (!isObject(payload)) return reject("SHOPIFY_PUSH_MALFORMED", "body is not a JSON object");
  const p = isObject(payload.refund) ? payload.refund : payload;
  const messageId =
    header(WEBHOOK_HEADERS.webhookId) ??
    header(WEBHOOK_HEADERS.eventId) ??
    `${topic}:${createHash("sha256").update(rawBody).digest("hex")}`;
  const idOf = (type: string, v: unknown): string | undefined => {
    if (isObject(v)) return idOf(type, v.admin_graphql_api_id ?? v.id);
    return typeof v === "string" || typeof v === "number" ? gid(type, String(v)) : undefined;
  };
  const kind = TOPIC_KINDS.find(([pattern]) => pattern.test(topic))?.[1];
  const aftersales: PlatformRef[] = [];
  const orders: string[] = [];
  if (kind === "return") {
    const returnId = idOf("Return", p.admin_graphql_api_id ?? p.id);
    const orderId = idOf("Order", p.order ?? p.order_id);
    if (returnId) aftersales.push({ externalId: returnId, orderExternalId: orderId ?? "" });
  } else if (kind === "refund") {
    const orderId = idOf("Order", p.order_id);
    const returnId = isObject(p.return) ? idOf("Return", p.return) : undefined;
    if (returnId) aftersales.push({ externalId: returnId, orderExternalId: orderId ?? "" });
    if (orderId) orders.push(orderId);
  } else if (kind === "order") {
    const orderId = idOf("Order", p.admin_graphql_api_id ?? p.id);
    if (orderId) orders.push(orderId);
  }
  return { messageId, aftersales, orders };
}

export const shopifyAdapter: PlatformAdapter = {
  channel: "shopify",
  credentialFields: SHOPIFY_CREDENTIAL_FIELDS,
  optionalCredentialFields: SHOPIFY_OPTIONAL_CREDENTIAL_FIELDS,
  // No baseUrl: each shop's gateway credential is its own https://{shop}.myshopify.com.
  limits: { maxWindowMs: 31 * 24 * 60 * 60 * 1000, pageSize: PAGE_MAX },
  connect: (credentials, options) => connectShopify(credentials, options),
  parsePush: parseShopifyWebhook,
};
