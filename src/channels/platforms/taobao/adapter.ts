import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import { AppError } from "../../../domain/errors.ts";
import { parseMinor } from "../../../domain/money.ts";
import type { Channel, LogisticsStatus, OrderInput } from "../../../domain/order.ts";
import { channelFetch } from "../../http.ts";
import { ChannelUnavailableError, NotificationRejectedError } from "../../payments/channel.ts";
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
  type PlatformState,
  type PullWindow,
  pickListedReason,
  type ReturnAddress,
} from "../platform.ts";
import {
  API_VERSION,
  AUTH_CODES,
  fromTopTime,
  isSignMethod,
  PRODUCTION_GATEWAY,
  REFUND_SUB_CODES,
  type SignMethod,
  signTop,
  type TopErrorBody,
  toTopTime,
  UNAVAILABLE_CODES,
  verifyTopSignature,
} from "./protocol.ts";

/**
 * Taobao and Tmall (TOP): refunds (`taobao.refunds.receive.get`, `taobao.refund.get`), trades
 * (`taobao.trades.sold.increment.get` + `taobao.trade.fullinfo.get`) and the merchant's decisions
 * (`taobao.rp.refunds.agree`, `taobao.refund.refuse` / `taobao.rp.returngoods.refuse`,
 * `taobao.rp.returngoods.agree`, `taobao.nextone.logistics.warehouse.update`). Tmall speaks the same
 * protocol; it insists on `refund_phase` and `refund_version`, which we always send, and agrees only
 * refunds first marked reviewed (`taobao.rp.refund.review`).
 */

const CURRENCY = "CNY";

/** Refund `status` → where the request stands in our words. Anything unlisted is refused, not guessed. */
export const TAOBAO_STATUSES: Readonly<Record<string, PlatformState>> = {
  WAIT_SELLER_AGREE: "requested", // 买家已经申请退款，等待卖家同意
  WAIT_BUYER_RETURN_GOODS: "awaiting_return", // 卖家已经同意退款，等待买家退货
  WAIT_SELLER_CONFIRM_GOODS: "return_shipped", // 买家已经退货，等待卖家确认收货
  SELLER_REFUSE_BUYER: "refused", // 卖家拒绝退款
  CLOSED: "cancelled", // 退款关闭
  SUCCESS: "refunded", // 退款成功
  // Exchanges (换货) on the same list:
  WAIT_SELLER_CONSIGN_GOODS: "return_shipped", // 商家确认收货，等待商家发货
  WAIT_BUYER_CONFIRM_EXCHANGE_SELLER_SEND_GOODS: "completed", // 卖家已发出换货商品
  EXCHANGE_TRANSFORM_TO_REFUND: "cancelled", // 换货关闭，转退货退款 (a new refund follows)
};

/** Statuses in which a customer-service intervention (cs_status) does not matter any more. */
const SETTLED_STATUSES = ["SUCCESS", "CLOSED"];
/** `cs_status` values meaning the platform is arbitrating (需要客服介入 … 举证中, 开放申诉). */
export const INTERVENTION_CS_STATUSES: readonly number[] = [2, 3, 4, 5, 10, 11];

/** `dispute_type` → case type; absent or unlisted types fall back to `has_good_return`. */
export const TAOBAO_DISPUTE_TYPES: Readonly<Record<string, CaseType>> = {
  REFUND: "refund_only", // 仅退款
  REFUND_AND_RETURN: "return_refund", // 退货退款
  TMALL_EXCHANGE: "exchange",
  TAOBAO_EXCHANGE: "exchange",
  RESHIPPING: "reship", // 补寄
};

/**
 * The buyer's reason text → our reason code, first match wins (specific before general). Taobao
 * sends the reason as the words the buyer picked, so this matches words, with `other` as the fallback.
 */
export const TAOBAO_REASONS: readonly (readonly [RegExp, ReasonCode])[] = [
  [/发错|错发|发的不是/, "wrong_item"],
  [/少件|漏发|缺件|少发|空包/, "missing_item"],
  [/破损|损坏|压坏|碎了|变形/, "damaged"],
  [/变质|腐烂|不新鲜|过期|临期/, "spoiled"],
  [/质量问题|做工|瑕疵|故障|不能使用|无法使用|开线|掉色|起球/, "quality"],
  [/描述不符|与商品描述|假冒|材质|图片不符|货不对板/, "not_as_described"],
  [/尺码|尺寸|大小不合适|偏大|偏小/, "size_fit"],
  [/丢件|丢失|快递丢/, "logistics_lost"],
  [/未按约定时间发货|延迟发货|发货慢|物流慢|物流一直未送达|一直未送达|超时未送达/, "logistics_delay"],
  [/未收到货|没收到货|没有收到|未收到/, "not_received"],
  [/七天无理由|7天无理由|不想要|不喜欢|拍错|多拍|买错|效果不好|不合心意/, "changed_mind"],
];

export const taobaoReason = (text: string | undefined): ReasonCode =>
  TAOBAO_REASONS.find(([re]) => re.test(text ?? ""))?.[1] ?? "other";

/** The refund fields we ask for (the Qianniu default list plus what we map). */
export const REFUND_FIELDS = [
  "refund_id",
  "tid",
  "oid",
  "total_fee",
  "buyer_nick",
  "buyer_open_uid",
  "seller_nick",
  "created",
  "modified",
  "order_status",
  "status",
  "good_status",
  "has_good_return",
  "refund_fee",
  "payment",
  "reason",
  "desc",
  "title",
  "num",
  "price",
  "company_name",
  "sid",
  "refund_phase",
  "refund_version",
  "sku",
  "outer_id",
  "num_iid",
  "dispute_type",
  "cs_status",
  "attribute",
  "operation_contraint",
  "refund_remind_timeout",
].join(",");

/**
 * Statuses in which the move is the merchant's, so `refund_remind_timeout.timeout` is when Taobao acts
 * for them (WAIT_SELLER_AGREE_TIME_OUT: the refund is agreed; WAIT_SELLER_CONFIRM_GOODS_TIME_OUT: the
 * return is taken as received and refunded). Other statuses' timeouts are the buyer's.
 */
export const MERCHANT_TIMEOUT_STATUSES: readonly string[] = [
  "WAIT_SELLER_AGREE",
  "WAIT_SELLER_CONFIRM_GOODS",
];

/**
 * `taobao.refund.refusereason.get` (获取商家拒绝原因列表): the reasons a seller may give for one refund,
 * asked with `refund_id`, `refund_phase` and `fields`. Its answer, as the community SDKs model it:
 * `reasons.reason[]` of `{reason_id, reason_text, reason_tips}`, `total_results`, `has_next`. TOP
 * publishes no fixed ids, so a refusal sends one from this list (see pickListedReason). Not confirmed:
 * the exact `fields` values (we ask for the three names above) and a "proof required" flag per reason —
 * none appears in the SDK models; proof goes as the `refuse_proof` image of the refuse calls, which we do
 * not send.
 */
export const REFUSE_REASON_FIELDS = "reason_id,reason_text,reason_tips";

/** One entry of `taobao.refund.refusereason.get` (ids read from their source text, see parseTopJson). */
export interface TopRefuseReason {
  reason_id?: string | number | null;
  reason_text?: string;
  /** The platform's hint for the seller, e.g. which proof to keep. */
  reason_tips?: string;
}

export const TRADE_FIELDS = [
  "tid",
  "status",
  "payment",
  "total_fee",
  "post_fee",
  "discount_fee",
  "created",
  "pay_time",
  "modified",
  "consign_time",
  "end_time",
  "buyer_nick",
  "buyer_open_uid",
  "alipay_no",
  "receiver_state",
  "receiver_city",
  "receiver_district",
  "receiver_address",
  "orders",
].join(",");

/** A refund as TOP returns it (fields we read). Ids arrive as JSON numbers; we read them as strings. */
export interface TopRefund {
  refund_id: string;
  tid: string;
  oid?: string;
  status: string;
  has_good_return?: boolean;
  dispute_type?: string;
  cs_status?: number;
  refund_fee?: string;
  reason?: string;
  desc?: string;
  title?: string;
  num?: number;
  outer_id?: string;
  sku?: string;
  company_name?: string;
  sid?: string;
  created?: string;
  modified?: string;
  refund_phase?: string;
  refund_version?: string | number;
  good_status?: string;
  /** The running timer: `timeout` (yyyy-MM-dd HH:mm:ss, Beijing) when `exist_timeout`. */
  refund_remind_timeout?: { remind_type?: number; exist_timeout?: boolean; timeout?: string };
}

export interface TopOrderLine {
  oid: string;
  num: number;
  price: string;
  title?: string;
  outer_sku_id?: string;
  outer_iid?: string;
  num_iid?: string;
  discount_fee?: string;
  payment?: string;
  divide_order_fee?: string;
  logistics_company?: string;
  invoice_no?: string;
}

export interface TopTrade {
  tid: string;
  status: string;
  payment: string;
  post_fee?: string;
  created?: string;
  pay_time?: string;
  modified?: string;
  consign_time?: string;
  end_time?: string;
  buyer_nick?: string;
  buyer_open_uid?: string;
  alipay_no?: string;
  receiver_state?: string;
  receiver_city?: string;
  receiver_district?: string;
  receiver_address?: string;
  orders?: { order?: TopOrderLine[] };
}

/** Trade statuses that are not yet a sale (unpaid) — nothing to ingest until they are paid. */
const UNPAID_TRADE_STATUSES = [
  "TRADE_NO_CREATE_PAY",
  "WAIT_BUYER_PAY",
  "PAY_PENDING",
  "TRADE_CLOSED_BY_TAOBAO",
];

/** Trade status → the state of its parcel. */
export const TAOBAO_PARCEL: Readonly<Record<string, LogisticsStatus>> = {
  WAIT_SELLER_SEND_GOODS: "unshipped",
  SELLER_CONSIGNED_PART: "in_transit",
  WAIT_BUYER_CONFIRM_GOODS: "in_transit",
  TRADE_BUYER_SIGNED: "delivered",
  TRADE_FINISHED: "delivered",
  TRADE_CLOSED: "delivered",
};

const iso = (top: string | undefined): string | undefined => fromTopTime(top)?.toISOString();

/** A TOP refund in our terms; throws on a status we do not know (the sync records it against the request). */
export function mapRefund(r: TopRefund): PlatformCase {
  const base = TAOBAO_STATUSES[r.status];
  if (!base)
    throw new PlatformRejectedError(
      "rejected",
      "UNKNOWN_STATUS",
      `Unknown Taobao refund status "${r.status}"`,
    );
  const intervened =
    r.cs_status !== undefined &&
    INTERVENTION_CS_STATUSES.includes(Number(r.cs_status)) &&
    !SETTLED_STATUSES.includes(r.status);
  const type =
    (r.dispute_type ? TAOBAO_DISPUTE_TYPES[r.dispute_type] : undefined) ??
    (r.has_good_return ? "return_refund" : "refund_only");
  const created = iso(r.created) ?? new Date(0).toISOString();
  const timer = r.refund_remind_timeout;
  const deadline =
    !intervened && timer?.exist_timeout && MERCHANT_TIMEOUT_STATUSES.includes(r.status)
      ? iso(timer.timeout)
      : undefined;
  return {
    externalId: String(r.refund_id),
    orderExternalId: String(r.tid),
    type,
    reason: taobaoReason(r.reason),
    ...(r.reason ? { reasonText: r.reason } : {}),
    state: intervened ? "intervened" : base,
    platformStatus: intervened ? `${r.status}/cs_status=${r.cs_status}` : r.status,
    requestedAmount: r.refund_fee === undefined ? null : parseMinor(r.refund_fee, CURRENCY),
    currency: CURRENCY,
    items: [
      {
        ...(r.oid !== undefined ? { lineExternalId: String(r.oid) } : {}),
        ...(r.outer_id ? { sku: r.outer_id } : {}),
        quantity: Number(r.num ?? 1) || 1,
      },
    ],
    ...(r.sid && r.company_name ? { returnTracking: { carrier: r.company_name, trackingNo: r.sid } } : {}),
    ...(r.desc ? { description: r.desc } : {}),
    createdAt: created,
    updatedAt: iso(r.modified) ?? created,
    ...(r.refund_version !== undefined ? { version: String(r.refund_version) } : {}),
    ...(deadline ? { deadline } : {}),
    raw: r,
  };
}

/** A TOP trade (trade.fullinfo.get) as an order to ingest; undefined for one not yet paid. */
export function mapTrade(t: TopTrade, channel: Channel, shop: string): OrderInput | undefined {
  if (UNPAID_TRADE_STATUSES.includes(t.status)) return undefined;
  const lines = t.orders?.order ?? [];
  const parcel = TAOBAO_PARCEL[t.status];
  const parcels = new Map<string, { carrier: string; trackingNo: string }>();
  for (const l of lines) {
    if (l.invoice_no && l.logistics_company)
      parcels.set(l.invoice_no, { carrier: l.logistics_company, trackingNo: l.invoice_no });
  }
  const signed = parcel === "delivered" ? iso(t.end_time) : undefined;
  const address = [t.receiver_state, t.receiver_city, t.receiver_district, t.receiver_address]
    .filter(Boolean)
    .join("");
  const buyer = t.buyer_open_uid || t.buyer_nick;
  return {
    shop,
    externalId: String(t.tid),
    currency: CURRENCY,
    ...(buyer
      ? { customer: { id: `${channel}:${buyer}`, ...(t.buyer_nick ? { name: t.buyer_nick } : {}) } }
      : {}),
    ...(address ? { address } : {}),
    ...(iso(t.created) ? { placedAt: iso(t.created) } : {}),
    ...(iso(t.pay_time) ? { paidAt: iso(t.pay_time) } : {}),
    lines: lines.map((l) => ({
      externalId: String(l.oid),
      sku: l.outer_sku_id || l.outer_iid || String(l.num_iid ?? l.oid),
      ...(l.title ? { title: l.title } : {}),
      quantity: Number(l.num),
      unitPrice: l.price,
      ...(l.discount_fee ? { discount: l.discount_fee } : {}),
      // Taobao's own apportionment of order-level discounts (分摊之后的实付金额) wins.
      ...(l.divide_order_fee !== undefined || l.payment !== undefined
        ? { paid: (l.divide_order_fee ?? l.payment) as string }
        : {}),
    })),
    ...(t.post_fee ? { shippingFee: t.post_fee } : {}),
    payments: [
      { tender: "platform", amount: t.payment, ...(t.alipay_no ? { transactionId: t.alipay_no } : {}) },
    ],
    shipments:
      parcel && parcel !== "unshipped"
        ? [...parcels.values()].map((p) => ({
            ...p,
            status: parcel,
            ...(iso(t.consign_time) ? { shippedAt: iso(t.consign_time) } : {}),
            ...(signed ? { signedAt: signed } : {}),
          }))
        : [],
  };
}

/** TOP ids are 64-bit; JSON numbers lose digits past 2^53, so id fields are read from their source text. */
const ID_FIELDS = new Set([
  "tid",
  "reason_id",
  "oid",
  "refund_id",
  "num_iid",
  "sku_id",
  "refund_version",
  "user_id",
  "id",
]);
export function parseTopJson(text: string): unknown {
  return JSON.parse(text, ((key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && ID_FIELDS.has(key) && context?.source ? context.source : value) as never);
}

/** `taobao.refunds.receive.get` → `refunds_receive_get_response`. */
export const responseKey = (method: string) =>
  `${method.replace(/^taobao\./, "").replaceAll(".", "_")}_response`;

const REJECTION_KINDS: Readonly<Record<string, PlatformRejectedError["kind"]>> = {
  [REFUND_SUB_CODES.STALE_VERSION]: "stale_version",
  [REFUND_SUB_CODES.INVALID_STATUS]: "invalid_state",
};

export interface TaobaoAdapterOptions {
  channel: "taobao" | "tmall";
  /** Items per page (TOP allows at most 100). */
  pageSize?: number;
  /** The longest pull window; `taobao.trades.sold.increment.get` allows one day. */
  maxWindowMs?: number;
}

export function taobaoAdapter(opts: TaobaoAdapterOptions): PlatformAdapter {
  const { channel } = opts;
  const pageSize = Math.min(100, opts.pageSize ?? 100);
  return {
    channel,
    credentialFields: ["app_key", "app_secret", "session"],
    optionalCredentialFields: ["sign_method"],
    limits: { maxWindowMs: opts.maxWindowMs ?? 24 * 3_600_000, pageSize },
    baseUrl: PRODUCTION_GATEWAY,
    connect: (credentials, options) => taobaoClient(channel, pageSize, credentials, options),
    parsePush: (credentials, headers, rawBody) => parseTmcPush(credentials, headers, rawBody),
  };
}

function taobaoClient(
  channel: Channel,
  pageSize: number,
  credentials: PlatformCredentials,
  options: ConnectOptions,
): PlatformClient {
  const { app_key: appKey, app_secret: secret, session } = credentials;
  if (!appKey || !secret || !session)
    throw new PlatformRejectedError(
      "auth",
      "CREDENTIALS_INCOMPLETE",
      "app_key, app_secret and session are required",
    );
  const signMethod: SignMethod = isSignMethod(credentials.sign_method)
    ? credentials.sign_method
    : "hmac-sha256";
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const shop = options.shop ?? "";
  const unavailable = (message: string, extra: { httpStatus?: number; cause?: unknown } = {}) =>
    new ChannelUnavailableError(channel, extra.httpStatus ? "http" : "network", message, extra);

  /** One signed call; returns the API's own response object or throws a typed failure. */
  async function call(
    method: string,
    params: Record<string, string | undefined>,
  ): Promise<Record<string, unknown>> {
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries({
      method,
      app_key: appKey,
      session,
      timestamp: toTopTime(now()),
      format: "json",
      v: API_VERSION,
      sign_method: signMethod,
      ...params,
    })) {
      if (v !== undefined && v !== "") all[k] = v as string;
    }
    all.sign = signTop(all, secret as string, signMethod);
    const { status, text } = await channelFetch(channel, method, options.baseUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
      body: new URLSearchParams(all).toString(),
      timeoutMs,
    });
    const res = { status };
    if (res.status >= 500)
      throw unavailable(`${method}: HTTP ${res.status}; outcome unknown`, { httpStatus: res.status });
    let body: Record<string, unknown>;
    try {
      body = parseTopJson(text) as Record<string, unknown>;
    } catch {
      throw new ChannelUnavailableError(channel, "untrusted_response", `${method}: the answer is not JSON`);
    }
    const err = body?.error_response as TopErrorBody | undefined;
    if (err) throw topFailure(channel, method, err);
    const payload = body?.[responseKey(method)];
    if (!payload || typeof payload !== "object")
      throw new ChannelUnavailableError(
        channel,
        "untrusted_response",
        `${method}: no ${responseKey(method)} in the answer`,
      );
    return payload as Record<string, unknown>;
  }

  /** Backward paging (last page first), as TOP recommends for increments: a record that moves out of the
   * window while we page shifts later records onto pages already read, never past us. */
  async function pageBackwards<T>(
    method: string,
    params: Record<string, string>,
    listOf: (r: Record<string, unknown>) => T[],
    cursor: string | null,
  ): Promise<{ items: T[]; next: string | null }> {
    const page = cursor === null ? 1 : Number(cursor);
    if (!Number.isSafeInteger(page) || page < 1)
      throw new PlatformRejectedError("rejected", "BAD_CURSOR", `Not a page number: "${cursor}"`);
    const r = await call(method, {
      ...params,
      page_no: String(page),
      page_size: String(pageSize),
      use_has_next: "false",
    });
    if (cursor === null) {
      const pages = Math.ceil(Number(r.total_results ?? 0) / pageSize);
      // One page holds the window: done. Otherwise this was only the count; start from the last page.
      if (pages <= 1) return { items: listOf(r), next: null };
      return { items: [], next: String(pages) };
    }
    return { items: listOf(r), next: page > 1 ? String(page - 1) : null };
  }

  const windowParams = (w: PullWindow) => ({
    start_modified: toTopTime(w.from),
    end_modified: toTopTime(w.to),
  });

  async function fetchRefund(refundId: string): Promise<TopRefund | null> {
    try {
      const r = await call("taobao.refund.get", { refund_id: refundId, fields: REFUND_FIELDS });
      return (r.refund as TopRefund | undefined) ?? null;
    } catch (e) {
      if (e instanceof PlatformRejectedError && e.code === REFUND_SUB_CODES.NOT_FOUND) return null;
      throw e;
    }
  }

  async function fetchTrade(tid: string): Promise<OrderInput | null> {
    try {
      const r = await call("taobao.trade.fullinfo.get", { tid, fields: TRADE_FIELDS });
      const trade = r.trade as TopTrade | undefined;
      return trade ? (mapTrade(trade, channel, shop) ?? null) : null;
    } catch (e) {
      if (e instanceof PlatformRejectedError && e.code === REFUND_SUB_CODES.TRADE_NOT_FOUND) return null;
      throw e;
    }
  }

  /** The refund as it stands, for the phase and version a decision must carry. */
  async function current(ref: PlatformRef): Promise<TopRefund> {
    const r = await fetchRefund(ref.externalId);
    if (!r)
      throw new PlatformRejectedError(
        "invalid_state",
        REFUND_SUB_CODES.NOT_FOUND,
        `Refund ${ref.externalId} does not exist`,
      );
    return r;
  }
  const versionOf = (ref: PlatformRef, r: TopRefund) => ref.version ?? String(r.refund_version ?? "");

  return {
    async pullOrders(window, cursor) {
      const page = await pageBackwards(
        "taobao.trades.sold.increment.get",
        { fields: "tid,status,modified", ...windowParams(window) },
        (r) => ((r.trades as { trade?: TopTrade[] } | undefined)?.trade ?? []) as TopTrade[],
        cursor,
      );
      const orders: OrderInput[] = [];
      for (const t of page.items) {
        if (UNPAID_TRADE_STATUSES.includes(t.status)) continue;
        const order = await fetchTrade(String(t.tid));
        if (order) orders.push(order);
      }
      return { items: orders, next: page.next } satisfies Page<OrderInput>;
    },
    async pullAftersales(window, cursor) {
      const page = await pageBackwards(
        "taobao.refunds.receive.get",
        { fields: REFUND_FIELDS, ...windowParams(window) },
        (r) => ((r.refunds as { refund?: TopRefund[] } | undefined)?.refund ?? []) as TopRefund[],
        cursor,
      );
      const items: PlatformCase[] = [];
      const skipped: NonNullable<Page<PlatformCase>["skipped"]> = [];
      for (const r of page.items) {
        try {
          items.push(mapRefund(r));
        } catch (e) {
          const error =
            e instanceof PlatformRejectedError || e instanceof AppError
              ? `${e.code}: ${e.message}`
              : String(e);
          skipped.push({ externalId: String(r.refund_id), orderExternalId: String(r.tid), error });
        }
      }
      return { items, next: page.next, ...(skipped.length ? { skipped } : {}) } satisfies Page<PlatformCase>;
    },
    async getAftersale(ref) {
      const r = await fetchRefund(ref.externalId);
      return r ? mapRefund(r) : null;
    },
    getOrder: (orderExternalId) => fetchTrade(orderExternalId),
    async agreeRefund(ref, amount) {
      const r = await current(ref);
      // Tmall agrees refunds in batches of reviewed ones: mark this one reviewed (审核通过) first.
      if (channel === "tmall")
        await call("taobao.rp.refund.review", {
          refund_id: r.refund_id,
          operator: "aftersales",
          refund_phase: r.refund_phase,
          refund_version: versionOf(ref, r),
          result: "true",
          message: "审核通过，同意退款",
        });
      const info = [r.refund_id, amount, versionOf(ref, r), r.refund_phase ?? ""].join("|");
      const res = await call("taobao.rp.refunds.agree", { refund_infos: info });
      const results = (
        res.results as { refund_mapping_result?: { refund_id: string; succ: boolean; message?: string }[] }
      )?.refund_mapping_result;
      const mine = results?.find((x) => String(x.refund_id) === String(r.refund_id));
      if (res.succ === false || mine?.succ === false) {
        const message = mine?.message ?? String(res.message ?? "refund not agreed");
        const code =
          Object.keys(REJECTION_KINDS).find((c) => message.includes(c)) ??
          String(res.msg_code ?? "OP_FAILURE_UE");
        throw new PlatformRejectedError(REJECTION_KINDS[code] ?? "rejected", code, message);
      }
    },
    async refuseRefund(ref, refusal) {
      const r = await current(ref);
      // 2–200 characters is what TOP accepts as the reason the buyer reads.
      const message = (refusal.text.trim() || "不符合退款条件").padEnd(2, "。").slice(0, 200);
      // Ask for this refund's own list first: a listing that fails throws before anything is refused,
      // so the decision stays in the outbox and is retried — never sent with a guessed id.
      const listed = await call("taobao.refund.refusereason.get", {
        refund_id: r.refund_id,
        refund_phase: r.refund_phase,
        fields: REFUSE_REASON_FIELDS,
      });
      const reasons = (
        ((listed.reasons as { reason?: TopRefuseReason[] } | undefined)?.reason ?? []) as TopRefuseReason[]
      )
        .filter((x) => x.reason_id !== undefined && x.reason_id !== null)
        .map((x) => ({ id: String(x.reason_id), text: String(x.reason_text ?? "") }));
      // refuse_reason_id is optional on TOP: an empty list refuses with our words alone.
      const picked = pickListedReason(reasons, refusal);
      const common = {
        refund_id: r.refund_id,
        refund_phase: r.refund_phase,
        refund_version: versionOf(ref, r),
        refuse_reason_id: picked?.reason.id,
      };
      // Goods already on their way back are refused with the return-goods API; a request still
      // awaiting agreement with the refund one.
      if (r.status === "WAIT_SELLER_CONFIRM_GOODS")
        await call("taobao.rp.returngoods.refuse", { ...common, refuse_message: message });
      else await call("taobao.refund.refuse", { ...common, refuse_message: message });
    },
    async agreeReturn(ref, address: ReturnAddress) {
      const r = await current(ref);
      await call("taobao.rp.returngoods.agree", {
        refund_id: r.refund_id,
        name: address.name,
        address: address.address,
        post: address.postcode,
        tel: address.phone,
        mobile: address.phone,
        remark: "请按此地址寄回，并在平台填写退货运单号",
        refund_phase: r.refund_phase,
        refund_version: versionOf(ref, r),
        seller_address_id: address.addressId,
      });
    },
    async confirmReceipt(ref) {
      const r = await current(ref);
      // AliGenius (AG) 退货入仓: the goods are in our warehouse; the refund itself is agreed separately.
      await call("taobao.nextone.logistics.warehouse.update", {
        refund_id: r.refund_id,
        warehouse_status: "1",
      });
    },
  };
}

/** A TOP error envelope as a typed failure: unknown outcome, wrong credentials, or a business refusal. */
function topFailure(channel: Channel, method: string, err: TopErrorBody): Error {
  const code = Number(err.code);
  const what = `${method}: ${err.code} ${err.msg}${err.sub_code ? ` (${err.sub_code}${err.sub_msg ? `: ${err.sub_msg}` : ""})` : ""}`;
  if (UNAVAILABLE_CODES.includes(code) || err.sub_code?.startsWith("isp."))
    return new ChannelUnavailableError(channel, "http", `${what}; outcome unknown`);
  if (AUTH_CODES.includes(code)) return new PlatformRejectedError("auth", `TOP_${code}`, what);
  const sub = err.sub_code ?? `TOP_${code}`;
  return new PlatformRejectedError(REJECTION_KINDS[sub] ?? "rejected", sub, what);
}

/** Topics that name a refund, and those that name a trade (TMC `taobao_refund_*`, `taobao_trade_*`). */
const isRefundTopic = (t: string) => t.startsWith("taobao_refund_");
const isTradeTopic = (t: string) => t.startsWith("taobao_trade_");

/**
 * A TMC message delivered over HTTP: form fields of the message (id, topic, content, pub_time,
 * pub_app_key, user_id, user_nick) plus `app_key, timestamp, sign_method, sign`, signed by the TOP rules
 * with the app secret. (TMC itself is a long-lived channel; whatever bridges it to us forwards messages
 * in this signed form.) A replay is harmless: it is recognised by its id, and it only makes us read the
 * request again.
 */
export function parseTmcPush(
  credentials: PlatformCredentials,
  _headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): PlatformPush {
  const params = Object.fromEntries(new URLSearchParams(rawBody));
  if (!params.sign)
    throw new NotificationRejectedError("MISSING_SIGNATURE", "The push message is not signed");
  if (params.app_key !== credentials.app_key)
    throw new NotificationRejectedError("INVALID_APP_KEY", "The push message is for another app");
  if (!credentials.app_secret || !verifyTopSignature(params, credentials.app_secret))
    throw new NotificationRejectedError("INVALID_SIGNATURE", "The push message's signature does not match");
  if (!params.id || !params.topic)
    throw new NotificationRejectedError("INVALID_MESSAGE", "The push message has no id or topic");
  let content: Record<string, unknown> = {};
  try {
    content = (parseTopJson(params.content ?? "{}") as Record<string, unknown>) ?? {};
  } catch {
    throw new NotificationRejectedError("INVALID_MESSAGE", "The push message's content is not JSON");
  }
  const push: PlatformPush = { messageId: params.id, aftersales: [], orders: [] };
  if (isRefundTopic(params.topic) && content.refund_id !== undefined && content.tid !== undefined)
    push.aftersales.push({ externalId: String(content.refund_id), orderExternalId: String(content.tid) });
  else if (isTradeTopic(params.topic) && content.tid !== undefined) push.orders.push(String(content.tid));
  return push;
}
