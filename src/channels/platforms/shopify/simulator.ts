import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ReasonCode } from "../../../domain/catalogue.ts";
import { formatMinor, parseMinor } from "../../../domain/money.ts";
import type { PlatformSimulator, SimulatedOrder, SimulatedRequest, SimulatorOptions } from "../platform.ts";
import { faultSwitch, isObject, send, simulatorKit } from "../simulator-kit.ts";
import {
  DECLINE_NOTE_MAX,
  DECLINE_REASONS,
  gid,
  gidId,
  HEADER_ACCESS_TOKEN,
  operationName,
  SHOPIFY_API_VERSION,
  WEBHOOK_HEADERS,
  webhookHmac,
} from "./protocol.ts";

/**
 * A local Shopify Admin GraphQL endpoint for returns: the same path, access-token header, `{data,
 * errors, extensions.cost}` answers, cursor paging, Return statuses, userErrors and HMAC-signed
 * webhooks. It is not a GraphQL engine: it recognises the adapter's documents by operation name and
 * answers with the fields they select; anything else gets a GraphQL error.
 */

export interface ShopifySimulatorOptions extends SimulatorOptions {
  shopDomain?: string;
  accessToken?: string;
  clientSecret?: string;
}

export interface ShopifyFaults {
  /** Answer the next n calls with HTTP 500 without doing anything. */
  failNext: number;
  /** Answer the next n calls THROTTLED (the cost bucket is empty) without doing anything. */
  throttleNext: number;
  /** Do the next n calls, then drop the connection. */
  timeoutNext: number;
  /** Latency before every answer (ms). */
  delayMs: number;
}

export interface ShopifySimulator extends PlatformSimulator {
  faults(patch?: Partial<ShopifyFaults>): ShopifyFaults;
  /** The signed webhook Shopify sends about this return (returns/* topic by status, or refunds/create). */
  pushFor(returnId: string, topic?: string): { headers: Record<string, string>; body: string };
  pushes(): { topic: string; id: string; status: number }[];
  /** GraphQL operations received, in order (operation names). */
  operations(): string[];
}

interface Line {
  gid: string;
  fulfillmentLineGid: string;
  sku: string;
  title: string;
  quantity: number;
  unitPrice: number;
  paid: number;
}
interface Tx {
  id: string;
  kind: "SALE" | "REFUND";
  status: "SUCCESS";
  gateway: string;
  amount: number;
  parentId?: string;
}
interface StoredOrder {
  gid: string;
  currency: string;
  buyerId: string;
  createdAt: number;
  updatedAt: number;
  shippingFee: number;
  lines: Line[];
  transactions: Tx[];
  shipment?: SimulatedOrder["shipment"];
  name: string;
}
interface ReturnLine {
  gid: string;
  lineGid: string;
  quantity: number;
  processed: number;
  reason: string;
  note: string;
}
interface StoredReturn {
  gid: string;
  name: string;
  status: "REQUESTED" | "OPEN" | "DECLINED" | "CLOSED" | "CANCELED";
  orderGid: string;
  createdAt: number;
  closedAt: number | null;
  lines: ReturnLine[];
  exchange: { gid: string; quantity: number; processed: number }[];
  refunds: {
    gid: string;
    amount: number;
    createdAt: number;
    lines: { lineGid: string; quantity: number }[];
  }[];
  decline?: { reason: string; note: string | null };
  tracking?: { number: string; carrierName: string };
  refunded: number;
  calls: string[];
}

type GqlResult = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** What a restarted simulator keeps (see simulator-kit.ts). */
interface ShopifyState {
  shopDomain: string;
  accessToken: string;
  clientSecret: string;
  orders: StoredOrder[];
  returns: StoredReturn[];
}

const MAX_BODY = 512 * 1024;
const COST = { requestedQueryCost: 10, actualQueryCost: 10 };
const BUCKET = { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 };

/** The simulated buyer's reason → ReturnReason. */
const SIM_REASONS: Readonly<Record<ReasonCode, string>> = {
  changed_mind: "UNWANTED",
  quality: "DEFECTIVE",
  wrong_item: "WRONG_ITEM",
  damaged: "DEFECTIVE",
  not_as_described: "NOT_AS_DESCRIBED",
  missing_item: "OTHER",
  not_received: "OTHER",
  logistics_lost: "OTHER",
  logistics_delay: "OTHER",
  spoiled: "DEFECTIVE",
  size_fit: "SIZE_TOO_SMALL",
  other: "OTHER",
};
/** Webhook topic when a return enters a status. */
const STATUS_TOPICS: Readonly<Record<StoredReturn["status"], string>> = {
  REQUESTED: "returns/request",
  OPEN: "returns/approve",
  DECLINED: "returns/decline",
  CLOSED: "returns/close",
  CANCELED: "returns/cancel",
};

const userError = (code: string, message: string, field: string[] = ["id"]) => ({ code, field, message });

export async function startShopifySimulator(opts: ShopifySimulatorOptions = {}): Promise<ShopifySimulator> {
  const kit = simulatorKit<ShopifyState>({ platform: "shopify", ...opts });
  const saved = kit.saved;
  const shopDomain = saved?.shopDomain ?? opts.shopDomain ?? "aftersales-sim.myshopify.com";
  const accessToken = saved?.accessToken ?? opts.accessToken ?? `shpat_${randomBytes(16).toString("hex")}`;
  const clientSecret = saved?.clientSecret ?? opts.clientSecret ?? `shpss_${randomBytes(16).toString("hex")}`;
  const { nowMs } = kit;
  const orders = new Map((saved?.orders ?? []).map((o) => [o.gid, o]));
  const returns = new Map((saved?.returns ?? []).map((r) => [r.gid, r]));
  kit.persist(() => ({
    shopDomain,
    accessToken,
    clientSecret,
    orders: [...orders.values()],
    returns: [...returns.values()],
  }));
  const ops: string[] = [];
  const pushLog: { topic: string; id: string; status: number }[] = [];
  const fault = faultSwitch<ShopifyFaults>({ failNext: 0, throttleNext: 0, timeoutNext: 0, delayMs: 0 });
  const faults = fault.current;
  const nextId = kit.sequence("gid", 900_000_001);
  const nextGid = (type: string) => `gid://shopify/${type}/${nextId()}`;
  const money = (minor: number, currency: string) => ({
    shopMoney: { amount: formatMinor(minor, currency), currencyCode: currency },
  });
  const isoOf = (ms: number) => new Date(ms).toISOString();

  function touchOrder(o: StoredOrder) {
    o.updatedAt = Math.max(nowMs(), o.updatedAt + 1);
  }
  function setStatus(r: StoredReturn, status: StoredReturn["status"]) {
    r.status = status;
    if (status === "CLOSED") r.closedAt = nowMs();
    const o = orders.get(r.orderGid);
    if (o) touchOrder(o);
    if (opts.pushUrl) void deliver(r, STATUS_TOPICS[status]);
  }
  function needReturn(id: string): StoredReturn {
    const r = returns.get(gid("Return", id));
    if (!r) throw new Error(`no Shopify return ${id}`);
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // Views (the fields the adapter's documents select)
  // -------------------------------------------------------------------------------------------

  function lineItemView(o: StoredOrder, l: Line) {
    const discount = l.unitPrice * l.quantity - l.paid;
    return {
      id: l.gid,
      sku: l.sku,
      name: l.title,
      quantity: l.quantity,
      originalUnitPriceSet: money(l.unitPrice, o.currency),
      discountAllocations: discount > 0 ? [{ allocatedAmountSet: money(discount, o.currency) }] : [],
    };
  }

  function returnView(r: StoredReturn) {
    const o = orders.get(r.orderGid) as StoredOrder;
    return {
      id: r.gid,
      name: r.name,
      status: r.status,
      createdAt: isoOf(r.createdAt),
      closedAt: r.closedAt ? isoOf(r.closedAt) : null,
      totalQuantity: r.lines.reduce((n, l) => n + l.quantity, 0),
      decline: r.decline ?? null,
      order: { id: o.gid, currencyCode: o.currency, updatedAt: isoOf(o.updatedAt) },
      returnLineItems: {
        nodes: r.lines.map((l) => {
          const line = o.lines.find((x) => x.gid === l.lineGid) as Line;
          return {
            id: l.gid,
            quantity: l.quantity,
            returnReason: l.reason,
            returnReasonNote: l.note,
            customerNote: null,
            processableQuantity: l.quantity - l.processed,
            returnReasonDefinition: { handle: l.reason.toLowerCase().replaceAll("_", "-"), name: l.reason },
            fulfillmentLineItem: { lineItem: lineItemView(o, line) },
          };
        }),
      },
      exchangeLineItems: {
        nodes: r.exchange.map((x) => ({ id: x.gid, processableQuantity: x.quantity - x.processed })),
      },
      refunds: {
        nodes: r.refunds.map((x) => ({ id: x.gid, totalRefundedSet: money(x.amount, o.currency) })),
      },
      reverseFulfillmentOrders: {
        nodes:
          r.status === "OPEN" || r.status === "CLOSED"
            ? [
                {
                  reverseDeliveries: { nodes: r.tracking ? [{ deliverable: { tracking: r.tracking } }] : [] },
                },
              ]
            : [],
      },
    };
  }

  function txView(o: StoredOrder, t: Tx) {
    return {
      id: t.id,
      kind: t.kind,
      status: t.status,
      gateway: t.gateway,
      amountSet: money(t.amount, o.currency),
      parentTransaction: t.parentId ? { id: t.parentId } : null,
    };
  }

  function orderView(o: StoredOrder) {
    return {
      id: o.gid,
      name: o.name,
      createdAt: isoOf(o.createdAt),
      updatedAt: isoOf(o.updatedAt),
      processedAt: isoOf(o.createdAt),
      currencyCode: o.currency,
      customer: { id: gid("Customer", o.buyerId), displayName: o.buyerId },
      cartDiscountAmountSet: money(0, o.currency),
      lineItems: { nodes: o.lines.map((l) => lineItemView(o, l)) },
      shippingLines: {
        nodes: o.shippingFee > 0 ? [{ discountedPriceSet: money(o.shippingFee, o.currency) }] : [],
      },
      transactions: o.transactions.map((t) => txView(o, t)),
      fulfillments: o.shipment
        ? [
            {
              createdAt: o.shipment.shippedAt,
              displayStatus: o.shipment.signedAt ? "DELIVERED" : "IN_TRANSIT",
              trackingInfo: [{ number: o.shipment.trackingNo, company: o.shipment.carrier }],
            },
          ]
        : [],
    };
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  const cursorOf = (offset: number) => Buffer.from(`offset:${offset}`).toString("base64url");
  function offsetOf(after: unknown): number | undefined {
    if (after === null || after === undefined) return 0;
    const m = /^offset:(\d+)$/.exec(Buffer.from(String(after), "base64url").toString("utf8"));
    return m ? Number(m[1]) : undefined;
  }

  function ordersPage(v: Record<string, unknown>) {
    const query = String(v.query ?? "");
    const from = /updated_at:>='([^']+)'/.exec(query)?.[1];
    const to = /updated_at:<'([^']+)'/.exec(query)?.[1];
    const start = from ? Date.parse(from) : Number.NEGATIVE_INFINITY;
    const end = to ? Date.parse(to) : Number.POSITIVE_INFINITY;
    const first = Number(v.first);
    if (!Number.isSafeInteger(first) || first < 1 || first > 250)
      return { error: "first must be between 1 and 250" };
    const offset = offsetOf(v.after);
    if (offset === undefined) return { error: "Invalid cursor" };
    const all = [...orders.values()]
      .filter((o) => o.updatedAt >= start && o.updatedAt < end)
      .sort((x, y) => x.updatedAt - y.updatedAt || (x.gid < y.gid ? -1 : 1));
    const page = all.slice(offset, offset + first);
    const hasNextPage = offset + first < all.length;
    return {
      page,
      pageInfo: { hasNextPage, endCursor: page.length ? cursorOf(offset + page.length) : null },
    };
  }

  const invalid = (message: string): GqlResult => ({
    errors: [{ message, extensions: { code: "BAD_USER_INPUT" } }],
  });

  function mutationReturn(
    field: string,
    id: unknown,
    fn: (r: StoredReturn) => ReturnType<typeof userError>[] | undefined,
  ): GqlResult {
    const r = returns.get(String(id ?? ""));
    if (!r)
      return {
        data: { [field]: { return: null, userErrors: [userError("NOT_FOUND", "Return does not exist")] } },
      };
    const errors = fn(r) ?? [];
    return { data: { [field]: { return: errors.length ? null : { ...returnView(r) }, userErrors: errors } } };
  }

  const OPERATIONS: Readonly<Record<string, (v: Record<string, unknown>) => GqlResult>> = {
    AftersalesOrderReturns(v) {
      const got = ordersPage(v);
      if ("error" in got) return invalid(got.error as string);
      return {
        data: {
          orders: {
            nodes: got.page.map((o) => ({
              id: o.gid,
              updatedAt: isoOf(o.updatedAt),
              returns: {
                nodes: [...returns.values()].filter((r) => r.orderGid === o.gid).map((r) => ({ id: r.gid })),
              },
            })),
            pageInfo: got.pageInfo,
          },
        },
      };
    },
    AftersalesReturns(v) {
      const ids = Array.isArray(v.ids) ? v.ids : [];
      if (ids.length > 250) return invalid("too many ids");
      return {
        data: {
          nodes: ids.map((id) =>
            returns.has(String(id)) ? returnView(returns.get(String(id)) as StoredReturn) : null,
          ),
        },
      };
    },
    AftersalesReturn(v) {
      const r = returns.get(String(v.id ?? ""));
      return { data: { return: r ? returnView(r) : null } };
    },
    AftersalesOrders(v) {
      const got = ordersPage(v);
      if ("error" in got) return invalid(got.error as string);
      return { data: { orders: { nodes: got.page.map(orderView), pageInfo: got.pageInfo } } };
    },
    AftersalesOrder(v) {
      const o = orders.get(String(v.id ?? ""));
      return { data: { order: o ? orderView(o) : null } };
    },
    AftersalesOrderTransactions(v) {
      const o = orders.get(String(v.id ?? ""));
      return {
        data: {
          order: o
            ? { id: o.gid, currencyCode: o.currency, transactions: o.transactions.map((t) => txView(o, t)) }
            : null,
        },
      };
    },
    ReturnApproveRequest(v) {
      const input = isObject(v.input) ? v.input : {};
      return mutationReturn("returnApproveRequest", input.id, (r) => {
        r.calls.push("returnApproveRequest");
        if (r.status !== "REQUESTED") {
          return [
            userError(
              "INVALID_STATE",
              "Return is not approvable. Only returns with status REQUESTED can be approved.",
            ),
          ];
        }
        setStatus(r, "OPEN");
      });
    },
    ReturnDeclineRequest(v) {
      const input = isObject(v.input) ? v.input : {};
      return mutationReturn("returnDeclineRequest", input.id, (r) => {
        r.calls.push(`returnDeclineRequest ${String(input.declineReason)}`);
        if (!(DECLINE_REASONS as readonly unknown[]).includes(input.declineReason)) {
          return [userError("INVALID", "Decline reason is invalid", ["declineReason"])];
        }
        if (typeof input.declineNote === "string" && input.declineNote.length > DECLINE_NOTE_MAX) {
          return [
            userError("TOO_LONG", "Decline note is too long (maximum is 500 characters)", ["declineNote"]),
          ];
        }
        if (r.status !== "REQUESTED") {
          return [
            userError(
              "INVALID_STATE",
              "Return is not declinable. Only returns with status REQUESTED can be declined.",
            ),
          ];
        }
        r.decline = {
          reason: String(input.declineReason),
          note: typeof input.declineNote === "string" ? input.declineNote : null,
        };
        setStatus(r, "DECLINED");
      });
    },
    ReturnProcess(v) {
      const input = isObject(v.input) ? v.input : {};
      return mutationReturn("returnProcess", input.returnId, (r) => {
        const o = orders.get(r.orderGid) as StoredOrder;
        const transfer =
          isObject(input.financialTransfer) && isObject(input.financialTransfer.issueRefund)
            ? input.financialTransfer.issueRefund
            : null;
        const txs =
          transfer && Array.isArray(transfer.orderTransactions)
            ? (transfer.orderTransactions as Record<string, unknown>[])
            : [];
        if (r.status !== "OPEN")
          return [userError("INVALID_STATE", "Return must be open to be processed.", ["returnId"])];
        const items = Array.isArray(input.returnLineItems)
          ? (input.returnLineItems as Record<string, unknown>[])
          : [];
        const exchange = Array.isArray(input.exchangeLineItems)
          ? (input.exchangeLineItems as Record<string, unknown>[])
          : [];
        for (const it of items) {
          const l = r.lines.find((x) => x.gid === it.id);
          if (
            !l ||
            !Number.isSafeInteger(it.quantity) ||
            (it.quantity as number) < 1 ||
            (it.quantity as number) > l.quantity - l.processed
          ) {
            return [
              userError(
                "INVALID",
                `Return line item ${String(it.id)} cannot be processed for that quantity`,
                ["returnLineItems"],
              ),
            ];
          }
        }
        // Check every transfer before moving anything.
        let amount = 0;
        const refundedOf = (parentId: string) =>
          o.transactions
            .filter((t) => t.kind === "REFUND" && t.parentId === parentId)
            .reduce((n, t) => n + t.amount, 0);
        const planned: { parent: Tx; amount: number }[] = [];
        for (const t of txs) {
          const parent = o.transactions.find((x) => x.id === t.parentId && x.kind === "SALE");
          const m = isObject(t.transactionAmount) ? t.transactionAmount : {};
          if (!parent)
            return [
              userError("INVALID", `Parent transaction ${String(t.parentId)} is not a sale or capture`, [
                "financialTransfer",
              ]),
            ];
          if (m.currencyCode !== o.currency)
            return [userError("INVALID", "Currency does not match the order", ["financialTransfer"])];
          let minorAmount: number;
          try {
            minorAmount = parseMinor(String(m.amount), o.currency);
          } catch {
            return [userError("INVALID", `Amount ${String(m.amount)} is invalid`, ["financialTransfer"])];
          }
          const room =
            parent.amount -
            refundedOf(parent.id) -
            planned.filter((p) => p.parent === parent).reduce((n, p) => n + p.amount, 0);
          if (minorAmount > room)
            return [
              userError("INVALID", "Refund amount exceeds the refundable amount", ["financialTransfer"]),
            ];
          planned.push({ parent, amount: minorAmount });
          amount += minorAmount;
        }
        for (const it of items) {
          const l = r.lines.find((x) => x.gid === it.id) as ReturnLine;
          l.processed += it.quantity as number;
        }
        for (const it of exchange) {
          const x = r.exchange.find((e) => e.gid === it.id);
          if (x) x.processed = Math.min(x.quantity, x.processed + Number(it.quantity ?? 0));
        }
        r.calls.push(
          amount > 0 ? `returnProcess refund=${formatMinor(amount, o.currency)}` : "returnProcess",
        );
        if (amount > 0) {
          for (const p of planned) {
            o.transactions.push({
              id: nextGid("OrderTransaction"),
              kind: "REFUND",
              status: "SUCCESS",
              gateway: p.parent.gateway,
              amount: p.amount,
              parentId: p.parent.id,
            });
          }
          const refund = {
            gid: nextGid("Refund"),
            amount,
            createdAt: nowMs(),
            lines: items.map((it) => ({
              lineGid: (r.lines.find((x) => x.gid === it.id) as ReturnLine).lineGid,
              quantity: it.quantity as number,
            })),
          };
          r.refunds.push(refund);
          r.refunded += amount;
          if (opts.pushUrl) void deliver(r, "refunds/create");
        }
        const done =
          r.lines.every((l) => l.processed >= l.quantity) &&
          r.exchange.every((x) => x.processed >= x.quantity);
        if (done) setStatus(r, "CLOSED");
        else touchOrder(o);
      });
    },
    ReturnClose(v) {
      return mutationReturn("returnClose", v.id, (r) => {
        r.calls.push("returnClose");
        if (r.status !== "OPEN") return [userError("INVALID_STATE", "Return must be open to be closed.")];
        setStatus(r, "CLOSED");
      });
    },
  };

  // -------------------------------------------------------------------------------------------
  // Webhooks
  // -------------------------------------------------------------------------------------------

  function webhook(r: StoredReturn, topic: string) {
    const o = orders.get(r.orderGid) as StoredOrder;
    const last = r.refunds.at(-1);
    const payload =
      topic === "refunds/create" && last
        ? {
            id: Number(gidId(last.gid)),
            admin_graphql_api_id: last.gid,
            order_id: Number(gidId(o.gid)),
            created_at: isoOf(last.createdAt),
            note: null,
            restock: false,
            refund_line_items: last.lines.map((l, i) => ({
              id: i + 1,
              line_item_id: Number(gidId(l.lineGid)),
              quantity: l.quantity,
              restock_type: "no_restock",
            })),
            transactions: o.transactions
              .filter((t) => t.kind === "REFUND")
              .slice(-1)
              .map((t) => ({
                id: Number(gidId(t.id)),
                order_id: Number(gidId(o.gid)),
                amount: formatMinor(t.amount, o.currency),
                kind: "refund",
                status: "success",
                currency: o.currency,
                gateway: t.gateway,
              })),
            order_adjustments: [],
            return: { id: Number(gidId(r.gid)), admin_graphql_api_id: r.gid },
          }
        : {
            id: Number(gidId(r.gid)),
            admin_graphql_api_id: r.gid,
            status: r.status.toLowerCase(),
            name: r.name,
            order: { id: Number(gidId(o.gid)), admin_graphql_api_id: o.gid },
            total_return_line_items: r.lines.length,
            ...(r.decline
              ? { decline: { reason: r.decline.reason.toLowerCase(), note: r.decline.note } }
              : {}),
          };
    const body = JSON.stringify(payload);
    return {
      headers: {
        "content-type": "application/json",
        [WEBHOOK_HEADERS.topic]: topic,
        [WEBHOOK_HEADERS.hmac]: webhookHmac(clientSecret, body),
        [WEBHOOK_HEADERS.webhookId]: randomBytes(12).toString("hex"),
        [WEBHOOK_HEADERS.shopDomain]: shopDomain,
        [WEBHOOK_HEADERS.apiVersion]: SHOPIFY_API_VERSION,
      },
      body,
    };
  }

  async function deliver(r: StoredReturn, topic: string) {
    const { headers, body } = webhook(r, topic);
    const entry = { topic, id: r.gid, status: 0 };
    pushLog.push(entry);
    try {
      const res = await fetch(opts.pushUrl as string, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(5_000),
      });
      entry.status = res.status;
      await res.arrayBuffer();
    } catch {
      entry.status = 0;
    }
  }

  // -------------------------------------------------------------------------------------------
  // HTTP
  // -------------------------------------------------------------------------------------------

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    if (!/^\/admin\/api\/[\w-]+\/graphql\.json$/.test(url.pathname))
      return send(res, 404, { errors: "Not Found" });
    if (req.method !== "POST") return send(res, 405, { errors: "Method Not Allowed" });
    if (req.headers[HEADER_ACCESS_TOKEN] !== accessToken) {
      return send(res, 401, {
        errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
      });
    }
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch {
      return send(res, 400, { errors: [{ message: "Invalid JSON" }] });
    }
    const doc = isObject(request) && typeof request.query === "string" ? request.query : "";
    const variables = isObject(request) && isObject(request.variables) ? request.variables : {};
    const name = operationName(doc) ?? "";
    ops.push(name);
    const delay = faults.delayMs;
    if (fault.take("failNext"))
      return kit.later(delay, () => send(res, 500, { errors: "Internal Server Error" }));
    if (fault.take("throttleNext")) {
      return kit.later(delay, () =>
        send(res, 200, {
          errors: [
            {
              message: "Throttled",
              extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" },
            },
          ],
          extensions: {
            cost: {
              requestedQueryCost: 10,
              actualQueryCost: null,
              throttleStatus: { ...BUCKET, currentlyAvailable: 5, restoreRate: 100 },
            },
          },
        }),
      );
    }
    const op = OPERATIONS[name];
    const result: GqlResult = op
      ? op(variables)
      : {
          errors: [
            {
              message: `The simulator does not know the operation "${name}"`,
              extensions: { code: "undefinedField" },
            },
          ],
        };
    const reply = { ...result, extensions: { cost: { ...COST, throttleStatus: BUCKET } } };
    if (fault.take("timeoutNext")) return kit.later(delay, () => req.socket.destroy());
    kit.later(delay, () => send(res, 200, reply));
  }

  const url = await kit.listen(
    {
      ...opts,
      maxBody: MAX_BODY,
      tooLarge: [413, { errors: "body too large" }],
      onError: (e) => [500, { errors: String(e) }],
    },
    handle,
  );

  const sim: ShopifySimulator = {
    channel: "shopify",
    url,
    credentials: {
      gateway: url,
      shop_domain: shopDomain,
      access_token: accessToken,
      client_secret: clientSecret,
    },

    placeOrder(order) {
      const orderGid = gid("Order", order.externalId);
      if (orders.has(orderGid)) throw new Error(`order ${order.externalId} exists`);
      const t = nowMs();
      const lines = order.lines.map((l) => ({
        gid: gid("LineItem", l.lineId),
        fulfillmentLineGid: nextGid("FulfillmentLineItem"),
        sku: l.sku,
        title: l.title,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        paid: l.paid,
      }));
      const total = order.lines.reduce((n, l) => n + l.paid, 0) + order.shippingFee;
      orders.set(orderGid, {
        gid: orderGid,
        name: `#${1000 + orders.size + 1}`,
        currency: order.currency,
        buyerId: order.buyerId,
        createdAt: Date.parse(order.paidAt) || t,
        updatedAt: t,
        shippingFee: order.shippingFee,
        lines,
        transactions: [
          {
            id: nextGid("OrderTransaction"),
            kind: "SALE",
            status: "SUCCESS",
            gateway: "shopify_payments",
            amount: total,
          },
        ],
        ...(order.shipment ? { shipment: order.shipment } : {}),
      });
    },

    requestAftersale(request: SimulatedRequest) {
      const o = orders.get(gid("Order", request.orderExternalId));
      if (!o) throw new Error(`no order ${request.orderExternalId}`);
      if (request.type === "reship")
        throw new Error("Shopify buyers request returns or exchanges, not reships");
      const line = o.lines.find((l) => l.gid === gid("LineItem", request.lineId));
      if (!line) throw new Error(`order ${request.orderExternalId} has no line ${request.lineId}`);
      if (request.quantity < 1 || request.quantity > line.quantity) throw new Error("quantity out of range");
      const count = [...returns.values()].filter((r) => r.orderGid === o.gid).length;
      const r: StoredReturn = {
        gid: nextGid("Return"),
        name: `${o.name}-R${count + 1}`,
        status: "REQUESTED",
        orderGid: o.gid,
        createdAt: nowMs(),
        closedAt: null,
        lines: [
          {
            gid: nextGid("ReturnLineItem"),
            lineGid: line.gid,
            quantity: request.quantity,
            processed: 0,
            reason: SIM_REASONS[request.reason],
            note: "",
          },
        ],
        exchange:
          request.type === "exchange"
            ? [{ gid: nextGid("ExchangeLineItem"), quantity: request.quantity, processed: 0 }]
            : [],
        refunds: [],
        refunded: 0,
        calls: [],
      };
      returns.set(r.gid, r);
      setStatus(r, "REQUESTED");
      return r.gid;
    },

    buyerCancels(returnId) {
      const r = needReturn(returnId);
      if (r.status !== "REQUESTED" && r.status !== "OPEN")
        throw new Error(`return ${returnId} is ${r.status}`);
      if (r.lines.some((l) => l.processed > 0)) throw new Error("a processed return cannot be canceled");
      setStatus(r, "CANCELED");
    },

    buyerShipsReturn(returnId, carrier, trackingNo) {
      const r = needReturn(returnId);
      if (r.status !== "OPEN") throw new Error(`return ${returnId} is ${r.status}, not OPEN`);
      r.tracking = { number: trackingNo, carrierName: carrier };
      touchOrder(orders.get(r.orderGid) as StoredOrder);
    },

    inspect(returnId) {
      const r = returns.get(gid("Return", returnId));
      return r ? { status: r.status, calls: [...r.calls], refunded: r.refunded } : undefined;
    },

    pushFor(returnId, topic) {
      const r = needReturn(returnId);
      return webhook(r, topic ?? STATUS_TOPICS[r.status]);
    },
    pushes: () => pushLog.map((p) => ({ ...p })),
    operations: () => [...ops],
    faults: (patch = {}) => fault.patch(patch),
    close: async () => {},
  };
  return kit.finish(sim, {
    control: {
      faults: fault,
      views: { returns: () => ({ returns: [...returns.values()].map(returnView) }) },
    },
  });
}
