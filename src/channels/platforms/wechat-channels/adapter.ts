import { formatMinor } from "../../../domain/money.ts";
import type { OrderInput } from "../../../domain/order.ts";
import type { RejectReasonCode } from "../../../domain/rules/actions.ts";
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
  type PullWindow,
  type Refusal,
  refusalCode,
} from "../platform.ts";
import {
  acceptApplyBody,
  BUSY_ERRCODE,
  decisionAllowed,
  decryptMessage,
  ERRCODE_KINDS,
  lineKey,
  NOT_FOUND_ERRCODES,
  PATHS,
  PUSH_QUERY_PARAMS,
  parseJsonExact,
  parseXml,
  rejectApplyBody,
  safeEqual,
  TOKEN_ERRCODES,
  WECHAT_API,
  WECHAT_CURRENCY,
  WECHAT_MAX_WINDOW_MS,
  WECHAT_STATUSES,
  WECHAT_TYPES,
  type WechatAftersaleOrder,
  type WechatDecision,
  type WechatOrder,
  wechatReason,
  wechatSignature,
} from "./protocol.ts";

/**
 * WeChat Channels shop (视频号小店 / 微信小店) adapter: getaftersalelist + getaftersaleorder for requests,
 * order/list/get + order/get for orders, acceptapply / rejectapply for decisions, and verified push
 * messages (channels_ec_aftersale_update). Calls carry an access_token fetched with the shop's appid
 * and secret (or a service provider's authorizer token given as `access_token`). Amounts are 分.
 */

const CHANNEL = "wechat_channels";

/**
 * Our rejection reason → rejectapply `reject_reason_type`, from the types getrejectreason lists in
 * WeChat's own sample (1 已在约定时间发货且物流运输正常, 4 包裹在买家发起售后时已完成发货/揽收,
 * 6 买家误操作/已协商取消申请). The rest of the platform's list is not published; a reason not here goes
 * as the shop's `reject_reason_type`, else the list's 其他 entry, with our text as reject_reason.
 */
export const WECHAT_REFUSE_REASONS: Readonly<Partial<Record<RejectReasonCode, number>>> = {
  signed_for: 1,
  duplicate: 6,
};
export const WECHAT_REFUSE_OTHER_TEXT = "其他";

/** A WeChat Channels request in our terms, plus the SLA clock and the dispute, when there is one. */
export interface WechatChannelsCase extends PlatformCase {
  /** `deadline` of the merchant's current step (SLA clock). */
  deadline: string | null;
  /** complaint_id: the buyer opened a dispute (纠纷) the platform handles. */
  complaintId: string | null;
}

export const WECHAT_CREDENTIAL_FIELDS = ["appid", "secret", "token"] as const;
/**
 * `encoding_aes_key`: safe-mode push decryption (when set, plaintext pushes are refused);
 * `access_token`: a token managed elsewhere (服务商 authorizer_access_token), used instead of appid+secret;
 * `return_address_id`: the address book id sent with 同意退货 when the decision names none;
 * `reject_reason_type`: the 拒绝原因 enum sent when the refusal text matches none of rejectreason/get.
 */
export const WECHAT_OPTIONAL_CREDENTIAL_FIELDS = [
  "encoding_aes_key",
  "access_token",
  "return_address_id",
  "reject_reason_type",
] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const iso = (seconds: number | undefined): string | undefined =>
  seconds ? new Date(seconds * 1000).toISOString() : undefined;
const NOT_FOUND = /不存在|not[-_ ]?exist/i;

/** One after_sale_order → our case. */
export function caseFromWechat(a: WechatAftersaleOrder): WechatChannelsCase {
  const status = WECHAT_STATUSES[a.status];
  const kind = WECHAT_TYPES[a.type];
  if (!status || !kind) {
    throw new PlatformRejectedError(
      "rejected",
      "UNKNOWN_STATUS",
      `WeChat Channels after-sale status "${a.status}" / type "${a.type}" is not in the mapping table`,
    );
  }
  const complaintId = a.complaint_id ? String(a.complaint_id) : null;
  const state = complaintId && !status.final && status.state !== "refunding" ? "intervened" : status.state;
  const ret = a.return_info;
  return {
    externalId: String(a.after_sale_order_id),
    orderExternalId: String(a.order_id),
    type: kind.type,
    reason: wechatReason(a.reason === undefined ? undefined : String(a.reason), a.reason_text),
    ...(a.reason_text || a.reason ? { reasonText: a.reason_text || String(a.reason) } : {}),
    state,
    platformStatus: a.status,
    requestedAmount: typeof a.refund_info?.amount === "number" ? a.refund_info.amount : null,
    currency: WECHAT_CURRENCY,
    items: [
      {
        lineExternalId: lineKey(a.product_info.product_id, a.product_info.sku_id),
        sku: String(a.product_info.sku_id),
        quantity: a.product_info.count,
      },
    ],
    ...(ret?.waybill_id
      ? {
          returnTracking: { carrier: ret.delivery_name || ret.delivery_id || "", trackingNo: ret.waybill_id },
        }
      : {}),
    ...(a.details?.desc ? { description: a.details.desc } : {}),
    createdAt: iso(a.create_time) ?? new Date(0).toISOString(),
    updatedAt: iso(a.update_time) ?? iso(a.create_time) ?? new Date(0).toISOString(),
    version: String(a.update_time),
    deadline: iso(a.deadline) ?? null,
    complaintId,
    raw: a,
  };
}

/** One order (order/get) → our order input. Lines are keyed product:sku, the way after-sales name them. */
export function orderFromWechat(o: WechatOrder, shop: string): OrderInput {
  const yuan = (fen: number) => formatMinor(fen, WECHAT_CURRENCY);
  const products = o.order_detail.product_infos;
  const price = o.order_detail.price_info ?? {};
  const apportioned = products.every((p) => typeof p.real_price === "number");
  const goods = apportioned
    ? products.reduce((n, p) => n + (p.real_price ?? 0), 0)
    : products.reduce((n, p) => n + p.sale_price * p.sku_cnt, 0) - (price.discounted_price ?? 0);
  const freight = price.freight ?? 0;
  const pay = o.order_detail.pay_info;
  const deliveries = o.order_detail.delivery_info?.delivery_product_info ?? [];
  return {
    shop,
    externalId: String(o.order_id),
    currency: WECHAT_CURRENCY,
    ...(o.openid ? { customer: { id: o.openid } } : {}),
    ...(o.create_time ? { placedAt: iso(o.create_time) } : {}),
    ...(pay?.pay_time ? { paidAt: iso(pay.pay_time) } : {}),
    lines: products.map((p) => ({
      externalId: lineKey(p.product_id, p.sku_id),
      sku: p.sku_code || String(p.sku_id),
      ...(p.title ? { title: p.title } : {}),
      quantity: p.sku_cnt,
      unitPrice: yuan(p.sale_price),
      ...(apportioned ? { paid: yuan(p.real_price ?? 0) } : {}),
    })),
    ...(!apportioned && price.discounted_price
      ? { discounts: [{ kind: "order", name: "优惠", amount: yuan(price.discounted_price) }] }
      : {}),
    shippingFee: yuan(freight),
    ...(goods + freight > 0
      ? {
          payments: [
            {
              tender: "platform" as const,
              amount: yuan(goods + freight),
              ...(pay?.transaction_id ? { transactionId: pay.transaction_id } : {}),
            },
          ],
        }
      : {}),
    ...(deliveries.length
      ? {
          shipments: deliveries.map((d) => ({
            carrier: d.delivery_name || d.delivery_id || "",
            trackingNo: d.waybill_id,
            status: "shipped" as const,
            ...(d.delivery_time ? { shippedAt: iso(Number(d.delivery_time)) } : {}),
          })),
        }
      : {}),
  };
}

export interface WechatConnectOptions extends ConnectOptions {
  /** Orders per order/list/get page (the platform allows 1..100). */
  pageSize?: number;
  /** How many getaftersaleorder / order/get calls run at once while expanding a page of ids. */
  concurrency?: number;
}

const PAGE_MAX = 100;

export function connectWechatChannels(
  credentials: PlatformCredentials,
  options: WechatConnectOptions,
): PlatformClient {
  const staticToken = credentials.access_token;
  if (!staticToken && (!credentials.appid || !credentials.secret)) {
    throw new PlatformRejectedError(
      "auth",
      "CREDENTIALS_INCOMPLETE",
      "WeChat Channels needs appid and secret (or an access_token)",
    );
  }
  const base = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pageSize = Math.min(PAGE_MAX, Math.max(1, options.pageSize ?? PAGE_MAX));
  const concurrency = Math.max(1, options.concurrency ?? 5);
  const now = () => (options.now ? options.now().getTime() : Date.now());
  const shop = options.shop ?? "";
  let token: { value: string; expiresAt: number } | null = staticToken
    ? { value: staticToken, expiresAt: Number.POSITIVE_INFINITY }
    : null;
  let rejectReasons: { type: number; text: string; defaultText: string }[] | null = null;
  const unavailable = (
    kind: ChannelUnavailableKind,
    message: string,
    extra?: { httpStatus?: number; cause?: unknown },
  ) => new ChannelUnavailableError(CHANNEL, kind, message, extra);

  async function post(pathAndQuery: string, body: unknown): Promise<Record<string, unknown>> {
    const path = pathAndQuery.split("?")[0] ?? pathAndQuery;
    const res = await channelFetch(CHANNEL, path, `${base}${pathAndQuery}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      timeoutMs,
    });
    const raw = res.text;
    if (res.status >= 500 || res.status === 429) {
      throw unavailable("http", `${path}: HTTP ${res.status}; outcome unknown`, { httpStatus: res.status });
    }
    let answer: unknown;
    try {
      answer = parseJsonExact(raw);
    } catch {
      answer = undefined;
    }
    if (!isObject(answer)) {
      throw unavailable("untrusted_response", `${path}: HTTP ${res.status} without a JSON answer`, {
        httpStatus: res.status,
      });
    }
    return answer;
  }

  async function accessToken(force: boolean): Promise<string> {
    if (token && !force && token.expiresAt > now()) return token.value;
    if (staticToken) return staticToken;
    const answer = await post(PATHS.token, {
      grant_type: "client_credential",
      appid: credentials.appid,
      secret: credentials.secret,
      force_refresh: force,
    });
    if (typeof answer.access_token !== "string") {
      throw new PlatformRejectedError(
        "auth",
        `WECHAT_${String(answer.errcode ?? "TOKEN")}`,
        `WeChat refused the shop's appid/secret: ${String(answer.errmsg ?? "no access_token")}`,
      );
    }
    const ttl = typeof answer.expires_in === "number" ? answer.expires_in : 7200;
    // Refresh five minutes early so a token never expires mid-call.
    token = { value: answer.access_token, expiresAt: now() + Math.max(60, ttl - 300) * 1000 };
    return token.value;
  }

  /** One business call; an expired token is replaced once. Returns the whole answer (errcode 0). */
  async function call(path: string, body: unknown): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const tok = await accessToken(attempt > 0);
      const answer = await post(`${path}?access_token=${encodeURIComponent(tok)}`, body);
      const errcode = typeof answer.errcode === "number" ? answer.errcode : 0;
      if (errcode === 0) return answer;
      if (TOKEN_ERRCODES.includes(errcode) && attempt === 0 && !staticToken) continue;
      const what = `WeChat Channels ${path}: ${String(answer.errmsg ?? "refused")} (errcode ${errcode})`;
      if (errcode === BUSY_ERRCODE) throw unavailable("http", what);
      throw new PlatformRejectedError(ERRCODE_KINDS[errcode] ?? "rejected", `WECHAT_${errcode}`, what);
    }
  }

  const isNotFound = (e: unknown) =>
    e instanceof PlatformRejectedError &&
    (NOT_FOUND_ERRCODES.some((c) => e.code === `WECHAT_${c}`) || NOT_FOUND.test(e.message));

  async function aftersale(id: string): Promise<WechatAftersaleOrder | null> {
    try {
      const answer = await call(PATHS.aftersaleGet, { after_sale_order_id: id });
      return isObject(answer.after_sale_order)
        ? (answer.after_sale_order as unknown as WechatAftersaleOrder)
        : null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async function order(id: string): Promise<WechatOrder | null> {
    try {
      const answer = await call(PATHS.orderGet, { order_id: id });
      return isObject(answer.order) ? (answer.order as unknown as WechatOrder) : null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Fetch every id, a few at a time, keeping the list's order; ids that vanished are skipped. */
  async function expand<T, R>(ids: T[], fetchOne: (id: T) => Promise<R | null>): Promise<R[]> {
    const out: (R | null)[] = new Array(ids.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        out[i] = await fetchOne(ids[i] as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
    return out.filter((x): x is R => x !== null);
  }

  function secondsOf(window: PullWindow): { start: number; end: number } {
    // The platform stamps changes in whole seconds: ask for every second the window touches. The next
    // window starts in the second this one ended in, since a change can still come later in it (the two
    // overlap by that second; ingesting is idempotent). Rounding `from` up instead lost such a change.
    const start = Math.floor(window.from.getTime() / 1000);
    const end = Math.ceil(window.to.getTime() / 1000) - 1;
    if (window.to.getTime() - window.from.getTime() > WECHAT_MAX_WINDOW_MS) {
      throw new PlatformRejectedError(
        "rejected",
        "BAD_WINDOW",
        "WeChat Channels lists at most 24 hours at a time",
      );
    }
    return { start, end };
  }

  /** Read the request now and make sure the decision applies to its type and status. */
  async function current(ref: PlatformRef, decision: WechatDecision): Promise<WechatAftersaleOrder> {
    const a = await aftersale(ref.externalId);
    if (!a)
      throw new PlatformRejectedError(
        "invalid_state",
        "NOT_FOUND",
        `WeChat Channels has no after-sale ${ref.externalId}`,
      );
    // WeChat keeps no version of its own: a request updated since the copy we decided on is stale.
    if (ref.version && /^\d+$/.test(ref.version) && a.update_time > Number(ref.version)) {
      throw new PlatformRejectedError(
        "stale_version",
        "STALE_VERSION",
        `WeChat Channels after-sale ${ref.externalId} changed since it was read (update_time ${a.update_time} > ${ref.version})`,
      );
    }
    if (!decisionAllowed(decision, a.type, a.status)) {
      const status = WECHAT_STATUSES[a.status]?.zh ?? a.status;
      const kind = WECHAT_TYPES[a.type]?.zh ?? a.type;
      throw new PlatformRejectedError(
        "invalid_state",
        "DECISION_NOT_ALLOWED",
        `WeChat Channels cannot ${decision} after-sale ${ref.externalId} (${kind}) while it is ${status} (${a.status})`,
      );
    }
    return a;
  }

  async function rejectReasonType(refusal: Refusal): Promise<number> {
    if (!rejectReasons) {
      const answer = await call(PATHS.rejectReasonGet, {});
      const list = Array.isArray(answer.reason_list) ? (answer.reason_list as Record<string, unknown>[]) : [];
      rejectReasons = list.map((r) => ({
        type: Number(r.reject_reason_type),
        text: String(r.reject_reason_type_text ?? ""),
        defaultText: String(r.reject_reason ?? ""),
      }));
    }
    const { code, mapped } = refusalCode(WECHAT_REFUSE_REASONS, null, refusal);
    if (mapped && code !== null) return code;
    // A reviewer may have written one of the platform's own reasons word for word.
    const text = refusal.text.trim();
    const match = rejectReasons.find((r) => r.text === text || r.defaultText === text);
    if (match) return match.type;
    const fallback = credentials.reject_reason_type;
    if (fallback && /^\d+$/.test(fallback)) return Number(fallback);
    const other = rejectReasons.find((r) => r.text === WECHAT_REFUSE_OTHER_TEXT);
    if (other) return other.type;
    throw new PlatformRejectedError(
      "rejected",
      "REJECT_REASON_TYPE_REQUIRED",
      `WeChat Channels needs a reject_reason_type: use one of ${rejectReasons
        .map((r) => `${r.type} ${r.text}`)
        .join("; ")} as the reason, or set the shop credential "reject_reason_type"`,
    );
  }

  return {
    async pullAftersales(window, cursor): Promise<Page<PlatformCase>> {
      const { start, end } = secondsOf(window);
      const answer = await call(PATHS.aftersaleList, {
        begin_update_time: start,
        end_update_time: end,
        ...(cursor ? { next_key: cursor } : {}),
      });
      const ids = Array.isArray(answer.after_sale_order_id_list)
        ? answer.after_sale_order_id_list.map(String)
        : [];
      const orders = await expand(ids, aftersale);
      const next = answer.has_more === true && typeof answer.next_key === "string" ? answer.next_key : null;
      return { items: orders.map(caseFromWechat), next };
    },

    async pullOrders(window, cursor): Promise<Page<OrderInput>> {
      const { start, end } = secondsOf(window);
      const answer = await call(PATHS.orderList, {
        update_time_range: { start_time: start, end_time: end },
        page_size: pageSize,
        ...(cursor ? { next_key: cursor } : {}),
      });
      const ids = Array.isArray(answer.order_id_list) ? answer.order_id_list.map(String) : [];
      const orders = await expand(ids, order);
      const next = answer.has_more === true && typeof answer.next_key === "string" ? answer.next_key : null;
      return { items: orders.map((o) => orderFromWechat(o, shop)), next };
    },

    async getAftersale(ref) {
      const a = await aftersale(ref.externalId);
      return a ? caseFromWechat(a) : null;
    },

    async getOrder(orderExternalId) {
      const o = await order(orderExternalId);
      return o ? orderFromWechat(o, shop) : null;
    },

    async agreeRefund(ref, amount) {
      const a = await current(ref, "agreeRefund");
      const asked = a.refund_info?.amount;
      // acceptapply pays what the buyer applied for; there is no amount to change.
      if (typeof asked === "number" && asked !== amount) {
        throw new PlatformRejectedError(
          "rejected",
          "AMOUNT_MISMATCH",
          `WeChat Channels refunds exactly what the buyer applied for (${formatMinor(asked, WECHAT_CURRENCY)}), not ${formatMinor(amount, WECHAT_CURRENCY)}`,
        );
      }
      await call(PATHS.acceptApply, acceptApplyBody(a.after_sale_order_id, { acceptType: 2 }));
    },

    async refuseRefund(ref, refusal) {
      const a = await current(ref, "refuse");
      const type = await rejectReasonType(refusal);
      await call(PATHS.rejectApply, rejectApplyBody(a.after_sale_order_id, refusal.text.trim(), type));
    },

    async agreeReturn(ref, address) {
      const a = await current(ref, "agreeReturn");
      const addressId = address.addressId ?? credentials.return_address_id;
      if (!addressId) {
        throw new PlatformRejectedError(
          "rejected",
          "ADDRESS_ID_REQUIRED",
          'WeChat Channels sends the buyer a return address from the shop\'s address book: give the address an addressId or set the shop credential "return_address_id"',
        );
      }
      // The state was checked above (商家受理中), where acceptapply without accept_type means 同意退货.
      await call(PATHS.acceptApply, acceptApplyBody(a.after_sale_order_id, { addressId }));
    },

    async confirmReceipt(ref) {
      // WeChat's receipt step is acceptapply accept_type 2, which also pays (sent by agreeRefund);
      // here we only make sure the goods are on their way back to the merchant.
      await current(ref, "confirmReceipt");
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Push messages
// ---------------------------------------------------------------------------------------------

const str = (v: unknown): string | undefined =>
  typeof v === "string" ? (v === "" ? undefined : v) : typeof v === "number" ? String(v) : undefined;
const obj = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

/**
 * The URL query of a push (signature, timestamp, nonce, msg_signature, encrypt_type): from the
 * request target in `:path` (as HTTP/2 names it; the push route passes it for HTTP/1.1), or from
 * headers of the same names.
 */
function pushQuery(headers: Readonly<Record<string, string | undefined>>): URLSearchParams {
  const target = headers[":path"];
  if (target?.includes("?")) return new URLSearchParams(target.slice(target.indexOf("?") + 1));
  const q = new URLSearchParams();
  for (const name of PUSH_QUERY_PARAMS) {
    const v = headers[name];
    if (v) q.set(name, v);
  }
  return q;
}

function parseBody(text: string): Record<string, unknown> {
  const t = text.trim();
  if (t.startsWith("<") || t.startsWith("\uFEFF<")) return parseXml(t) as Record<string, unknown>;
  const v = parseJsonExact(t);
  if (!isObject(v)) throw new Error("not an object");
  return v;
}

/**
 * Verify and parse a WeChat Channels push. Plaintext mode: `signature` = sha1(sort(token, timestamp,
 * nonce)) — it proves the sender knows the token but does not cover the body; that is acceptable only
 * because a push is a hint (the request is read back from the API), and safe mode is recommended. Safe mode (the shop has
 * `encoding_aes_key`, and then plaintext is refused): `msg_signature` = sha1(sort(token, timestamp,
 * nonce, Encrypt)), then the AES payload is decrypted and its appid checked. JSON and XML bodies both work.
 */
export function parseWechatPush(
  credentials: PlatformCredentials,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): PlatformPush {
  const reject = (code: string, message: string): never => {
    throw new NotificationRejectedError(code, `WeChat Channels push rejected: ${message}`);
  };
  const token = credentials.token;
  if (!token) return reject("WECHAT_CREDENTIALS_MISSING", "this shop has no push token");
  const q = pushQuery(headers);
  const timestamp = q.get("timestamp") ?? "";
  const nonce = q.get("nonce") ?? "";
  if (!timestamp || !nonce) return reject("WECHAT_SIGNATURE_MISSING", "no timestamp or nonce in the query");
  if (!/^\d{1,12}$/.test(timestamp)) return reject("WECHAT_SIGNATURE_INVALID", "malformed timestamp");

  let outer: Record<string, unknown>;
  try {
    outer = parseBody(rawBody);
  } catch (e) {
    return reject("WECHAT_PUSH_MALFORMED", `body is neither JSON nor push XML (${(e as Error).message})`);
  }
  const encrypted = str(outer.Encrypt);
  const aesKey = credentials.encoding_aes_key;
  let message = outer;
  if (aesKey || encrypted) {
    if (!encrypted)
      return reject("WECHAT_PLAINTEXT_REFUSED", "this shop takes encrypted (safe-mode) pushes only");
    const msgSignature = q.get("msg_signature");
    if (!msgSignature) return reject("WECHAT_SIGNATURE_MISSING", "no msg_signature for an encrypted push");
    if (!safeEqual(wechatSignature(token, timestamp, nonce, encrypted), msgSignature.toLowerCase())) {
      return reject("WECHAT_SIGNATURE_INVALID", "msg_signature does not match");
    }
    if (!aesKey)
      return reject("WECHAT_CREDENTIALS_MISSING", "an encrypted push, but the shop has no encoding_aes_key");
    let plain: { message: string; appid: string };
    try {
      plain = decryptMessage(aesKey, encrypted);
    } catch (e) {
      return reject("WECHAT_DECRYPT_FAILED", (e as Error).message);
    }
    if (credentials.appid && plain.appid !== credentials.appid)
      return reject("WECHAT_APP_MISMATCH", "encrypted for another appid");
    try {
      message = parseBody(plain.message);
    } catch (e) {
      return reject("WECHAT_PUSH_MALFORMED", `decrypted message is unreadable (${(e as Error).message})`);
    }
  } else {
    const signature = q.get("signature");
    if (!signature) return reject("WECHAT_SIGNATURE_MISSING", "no signature in the query");
    if (!safeEqual(wechatSignature(token, timestamp, nonce), signature.toLowerCase())) {
      return reject("WECHAT_SIGNATURE_INVALID", "signature does not match the shop's token");
    }
  }

  const event = str(message.Event) ?? "";
  const aftersales: PlatformRef[] = [];
  const orders: string[] = [];
  const update = obj(message.finder_shop_aftersale_status_update);
  const info = obj(message.aftersale_info);
  const orderInfo = obj(message.order_info);
  const aftersaleId = str(update.after_sale_order_id) ?? str(info.aftersale_id);
  const orderId = str(update.order_id) ?? str(info.order_id) ?? str(orderInfo.order_id);
  if (aftersaleId) aftersales.push({ externalId: aftersaleId, orderExternalId: orderId ?? "" });
  else if (orderId) orders.push(orderId);
  if (!event) return reject("WECHAT_PUSH_MALFORMED", "no Event in the message");
  const messageId = [
    str(message.FromUserName) ?? "",
    str(message.CreateTime) ?? timestamp,
    event,
    aftersaleId ?? orderId ?? "",
    str(update.status) ?? "",
  ].join(":");
  return { messageId, aftersales, orders };
}

/**
 * The URL check WeChat makes when the push URL is configured (GET with signature, timestamp, nonce
 * and echostr): the echostr to answer with when the signature is the shop token's, null otherwise.
 */
export function wechatEchoResponse(credentials: PlatformCredentials, query: URLSearchParams): string | null {
  const token = credentials.token;
  const [signature, timestamp, nonce, echostr] = ["signature", "timestamp", "nonce", "echostr"].map((k) =>
    query.get(k),
  );
  if (!token || !signature || !timestamp || !nonce || !echostr) return null;
  return safeEqual(wechatSignature(token, timestamp, nonce), signature.toLowerCase()) ? echostr : null;
}

export const wechatChannelsAdapter: PlatformAdapter = {
  channel: "wechat_channels",
  credentialFields: WECHAT_CREDENTIAL_FIELDS,
  optionalCredentialFields: WECHAT_OPTIONAL_CREDENTIAL_FIELDS,
  baseUrl: WECHAT_API,
  // getaftersalelist takes at most 24 hours; order/list/get pages of up to 100.
  limits: { maxWindowMs: WECHAT_MAX_WINDOW_MS, pageSize: PAGE_MAX },
  connect: (credentials, options) => connectWechatChannels(credentials, options),
  parsePush: parseWechatPush,
};
