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
  type PlatformState,
  type PullWindow,
  pickListedReason,
  type ReturnAddress,
} from "../platform.ts";
import {
  ADDRESS_OPERATE_TYPES,
  AFTERSALE_STATUSES,
  AFTERSALE_TYPES,
  ARBITRATE_STATUSES,
  AUTO_AUDIT_BITS,
  DOUYIN_CURRENCY,
  DOUYIN_GATEWAY,
  DOUYIN_PUSH_APP_ID,
  DOUYIN_PUSH_SIGN,
  DOUYIN_SUCCESS,
  type DouyinDecision,
  type DouyinDetail,
  type DouyinListItem,
  type DouyinPushMessage,
  type DouyinRejectReason,
  type DouyinShopOrder,
  errorKindOf,
  NO_REFUND_NEEDED,
  operateTypeFor,
  PATHS,
  PLATFORM_REFUND_TYPES,
  parseJsonExact,
  pushSign,
  REFUND_STATUSES,
  REFUSING_OPERATE_TYPES,
  reasonOf,
  safeEqual,
  signedRequest,
} from "./protocol.ts";

/**
 * Douyin shop (抖店) adapter: afterSale/List and afterSale/Detail for requests, order/searchList and
 * order/orderDetail for orders, afterSale/operate for decisions, and the signed 消息推送 messages.
 * Amounts are 分 throughout. Every status, type and reason code is mapped by the tables in
 * douyin-protocol.ts.
 */

const CHANNEL = "douyin";

/** A Douyin request in our terms, plus what only Douyin tells: the SLA clock and platform self-service. */
export interface DouyinCase extends PlatformCase {
  /** status_deadline: when the current step times out and the platform acts on its own (SLA clock). */
  deadline: string | null;
  /** The platform handled this itself (极速退, 售后小助手…): not a merchant decision to make or undo. */
  platformAuto: {
    refundType: { code: number; label: string } | null;
    autoAudit: { code: number; label: string }[];
  };
}

export const DOUYIN_CREDENTIAL_FIELDS = ["app_key", "app_secret", "access_token"] as const;
/**
 * `reject_reason_code`: the shop's preferred 拒绝原因码 for refusals none of the listed reasons names —
 * used only when afterSale/rejectReasonCodeList lists it for that request (else the list's 其他);
 * `return_address_id`: the 退货地址 id sent when agreeing to a return without an address id of its own.
 */
export const DOUYIN_OPTIONAL_CREDENTIAL_FIELDS = ["reject_reason_code", "return_address_id"] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const iso = (seconds: number | undefined): string | undefined =>
  seconds ? new Date(seconds * 1000).toISOString() : undefined;
const text = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;

/** The platform answered "no such thing" (售后单/订单不存在). */
const NOT_FOUND = /不存在|not[-_ ]?exist|not[-_ ]?found/i;

export function caseState(
  type: number,
  status: number,
  refundStatus: number | undefined,
  refundKind: number | undefined,
  arbitrate: number | undefined,
): PlatformState {
  const rule = AFTERSALE_STATUSES[status];
  const kind = AFTERSALE_TYPES[type];
  if (!rule || !kind) {
    throw new PlatformRejectedError(
      "rejected",
      "UNKNOWN_STATUS",
      `Douyin after-sale status ${status} / type ${type} is not in the mapping table`,
    );
  }
  if (rule.state !== "settled") {
    return !rule.final && arbitrate !== undefined && ARBITRATE_STATUSES[arbitrate]?.intervened
      ? "intervened"
      : rule.state;
  }
  if (kind.type === "exchange" || kind.type === "reship" || refundKind === NO_REFUND_NEEDED)
    return "completed";
  return (refundStatus !== undefined && REFUND_STATUSES[refundStatus]?.state) || "refunding";
}

function platformAuto(refundType: number | undefined, bits: number[] | number | undefined) {
  const list = bits === undefined ? [] : Array.isArray(bits) ? bits : [bits];
  return {
    refundType:
      refundType !== undefined && PLATFORM_REFUND_TYPES[refundType]
        ? { code: refundType, label: PLATFORM_REFUND_TYPES[refundType] }
        : null,
    autoAudit: list.map((code) => ({ code, label: AUTO_AUDIT_BITS[code] ?? `auto_audit_bits ${code}` })),
  };
}

/** One afterSale/List item → our case. */
export function caseFromListItem(item: DouyinListItem): DouyinCase {
  const a = item.aftersale_info;
  const o = item.order_info;
  const kind = AFTERSALE_TYPES[a.aftersale_type];
  const state = caseState(
    a.aftersale_type,
    a.aftersale_status,
    a.refund_status,
    a.aftersale_refund_type,
    a.arbitrate_status,
  );
  const reasonText =
    text(item.text_part?.reason_text) ?? a.reason_second_labels?.map((l) => l.name).join("/") ?? undefined;
  const lines = o.related_order_info ?? [];
  return {
    externalId: String(a.aftersale_id),
    orderExternalId: String(o.shop_order_id),
    type: (kind as { type: PlatformCase["type"] }).type,
    reason: reasonOf(reasonText),
    ...(reasonText ? { reasonText } : {}),
    state,
    platformStatus: String(a.aftersale_status),
    requestedAmount: typeof a.refund_amount === "number" ? a.refund_amount : null,
    currency: DOUYIN_CURRENCY,
    items: lines.map((l) => ({
      lineExternalId: String(l.sku_order_id),
      ...(l.shop_sku_code ? { sku: l.shop_sku_code } : {}),
      quantity:
        l.aftersale_item_num ??
        (lines.length === 1 ? (a.aftersale_num ?? l.item_num ?? 1) : (l.item_num ?? 1)),
    })),
    ...(a.return_logistics_code
      ? {
          returnTracking: {
            carrier: a.return_logistics_company_name ?? "",
            trackingNo: a.return_logistics_code,
          },
        }
      : {}),
    ...(a.remark ? { description: a.remark } : {}),
    createdAt: iso(a.apply_time) ?? new Date(0).toISOString(),
    updatedAt: iso(a.update_time) ?? iso(a.apply_time) ?? new Date(0).toISOString(),
    version: String(a.update_time),
    deadline: iso(a.status_deadline) ?? null,
    platformAuto: platformAuto(a.refund_type, a.auto_audit_bits),
    raw: item,
  };
}

/** afterSale/Detail data → our case (Detail names the same fields after_sale_*). */
export function caseFromDetail(d: DouyinDetail): DouyinCase {
  const a = d.process_info.after_sale_info;
  const kind = AFTERSALE_TYPES[a.after_sale_type];
  const state = caseState(
    a.after_sale_type,
    a.after_sale_status,
    a.refund_status,
    undefined,
    d.process_info.arbitrate_info?.arbitrate_status,
  );
  const skus = d.order_info.sku_order_infos ?? [];
  const ret = d.process_info.logistics_info?.return;
  return {
    externalId: String(a.after_sale_id),
    orderExternalId: String(d.order_info.shop_order_id),
    type: (kind as { type: PlatformCase["type"] }).type,
    reason: reasonOf(a.reason),
    ...(a.reason ? { reasonText: a.reason } : {}),
    state,
    platformStatus: String(a.after_sale_status),
    requestedAmount: typeof a.refund_total_amount === "number" ? a.refund_total_amount : null,
    currency: DOUYIN_CURRENCY,
    items: skus.map((s) => ({
      lineExternalId: String(s.sku_order_id),
      ...(s.shop_sku_code ? { sku: s.shop_sku_code } : {}),
      quantity:
        s.after_sale_item_count ??
        (skus.length === 1 ? (a.after_sale_apply_count ?? s.item_quantity ?? 1) : (s.item_quantity ?? 1)),
    })),
    ...(ret?.tracking_no
      ? {
          returnTracking: {
            carrier: ret.company_name ?? ret.company_code ?? "",
            trackingNo: ret.tracking_no,
          },
        }
      : {}),
    ...(a.reason_remark ? { description: a.reason_remark } : {}),
    createdAt: iso(a.apply_time) ?? new Date(0).toISOString(),
    updatedAt: iso(a.update_time) ?? iso(a.apply_time) ?? new Date(0).toISOString(),
    version: String(a.update_time),
    deadline: iso(a.status_deadline) ?? null,
    platformAuto: platformAuto(a.refund_type, a.auto_audit_bits),
    raw: d,
  };
}

/** A Douyin shop order → our order input (amounts 分 → decimal strings, exact). */
export function orderFromDouyin(o: DouyinShopOrder, shop: string): OrderInput {
  const yuan = (fen: number) => formatMinor(fen, DOUYIN_CURRENCY);
  const lines = o.sku_order_list.map((s) => {
    const gross = s.origin_amount * s.item_num;
    // sku pay_amount includes that sku's share of shipping; the goods part is what a refund can return.
    const goodsPaid = Math.min(gross, Math.max(0, s.pay_amount - (s.post_amount ?? 0)));
    return {
      externalId: String(s.order_id),
      sku: s.code || s.out_sku_id || String(s.sku_id ?? s.order_id),
      ...(s.product_name ? { title: s.product_name } : {}),
      quantity: s.item_num,
      unitPrice: yuan(s.origin_amount),
      paid: yuan(goodsPaid),
      goodsPaid,
    };
  });
  const shipping = o.post_amount ?? o.sku_order_list.reduce((n, s) => n + (s.post_amount ?? 0), 0);
  const paidTotal = lines.reduce((n, l) => n + l.goodsPaid, 0) + shipping;
  return {
    shop,
    externalId: String(o.order_id),
    currency: DOUYIN_CURRENCY,
    ...(o.doudian_open_id ? { customer: { id: o.doudian_open_id } } : {}),
    ...(o.create_time ? { placedAt: iso(o.create_time) } : {}),
    ...(o.pay_time ? { paidAt: iso(o.pay_time) } : {}),
    lines: lines.map(({ goodsPaid: _, ...l }) => l),
    shippingFee: yuan(shipping),
    ...(paidTotal > 0
      ? {
          payments: [
            {
              tender: "platform" as const,
              amount: yuan(paidTotal),
              ...(o.channel_payment_no ? { transactionId: o.channel_payment_no } : {}),
            },
          ],
        }
      : {}),
    ...(o.logistics_info?.length
      ? {
          shipments: o.logistics_info.map((l) => ({
            carrier: l.company_name ?? l.company ?? "",
            trackingNo: l.tracking_no,
            status: "shipped" as const,
            ...(l.ship_time ? { shippedAt: iso(l.ship_time) } : {}),
          })),
        }
      : {}),
  };
}

export interface DouyinConnectOptions extends ConnectOptions {
  /** Page size for list calls (the platform allows at most 100). */
  pageSize?: number;
}

const PAGE_MAX = 100;

export function connectDouyin(
  credentials: PlatformCredentials,
  options: DouyinConnectOptions,
): PlatformClient {
  for (const field of DOUYIN_CREDENTIAL_FIELDS) {
    if (!credentials[field]) {
      throw new PlatformRejectedError(
        "auth",
        "CREDENTIALS_INCOMPLETE",
        `Douyin needs the credential "${field}"`,
      );
    }
  }
  const cfg = {
    appKey: credentials.app_key as string,
    appSecret: credentials.app_secret as string,
    accessToken: credentials.access_token as string,
  };
  const base = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 12_000;
  const pageSize = Math.min(PAGE_MAX, Math.max(1, options.pageSize ?? PAGE_MAX));
  const now = () => (options.now ? options.now().getTime() : Date.now());
  const shop = options.shop ?? "";
  const unavailable = (
    kind: ChannelUnavailableKind,
    message: string,
    extra?: { httpStatus?: number; cause?: unknown },
  ) => new ChannelUnavailableError(CHANNEL, kind, message, extra);

  /** One signed call; returns `data` of a code-10000 answer, throws a typed error otherwise. */
  async function call(path: string, param: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { query, body } = signedRequest(cfg, path, param, now());
    const { status, text: raw } = await channelFetch(CHANNEL, path, `${base}${path}?${query}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      timeoutMs,
    });
    const res = { status };
    if (res.status >= 500 || res.status === 429) {
      throw unavailable("http", `${path}: HTTP ${res.status}; outcome unknown`, { httpStatus: res.status });
    }
    let answer: unknown;
    try {
      answer = parseJsonExact(raw);
    } catch {
      answer = undefined;
    }
    if (!isObject(answer) || typeof answer.code !== "number") {
      throw unavailable("untrusted_response", `${path}: HTTP ${res.status} without a Douyin answer`, {
        httpStatus: res.status,
      });
    }
    if (answer.code !== DOUYIN_SUCCESS) throw platformError(path, answer);
    return isObject(answer.data) ? answer.data : {};
  }

  function platformError(path: string, a: Record<string, unknown>): Error {
    const sub = String(a.sub_code ?? "");
    const said = String(a.sub_msg || a.msg || "refused");
    const what = `Douyin ${path}: ${said} (code ${String(a.code)}${sub ? `, ${sub}` : ""}${a.log_id ? `, log_id ${String(a.log_id)}` : ""})`;
    // 20000 服务不可用 / isp.*: the platform itself failed; the outcome is unknown.
    if (a.code === 20000 || sub.startsWith("isp.")) return unavailable("http", what);
    return new PlatformRejectedError(errorKindOf(`${sub} ${said}`), sub || `DOUYIN_${String(a.code)}`, what);
  }

  const isNotFound = (e: unknown) => e instanceof PlatformRejectedError && NOT_FOUND.test(e.message);

  /** [from, to) as whole seconds, both ends inclusive on the wire. */
  function secondsOf(window: PullWindow): { start: number; end: number } {
    // The platform stamps changes in whole seconds: ask for every second the window touches. The next
    // window starts in the second this one ended in, since a change can still come later in it (the two
    // overlap by that second; ingesting is idempotent). Rounding `from` up instead lost such a change.
    const start = Math.floor(window.from.getTime() / 1000);
    const end = Math.ceil(window.to.getTime() / 1000) - 1;
    return { start, end };
  }

  function pageOf(cursor: string | null): number {
    if (cursor === null) return 0;
    if (!/^\d{1,9}$/.test(cursor)) {
      throw new PlatformRejectedError("rejected", "BAD_CURSOR", `Not a Douyin page number: "${cursor}"`);
    }
    return Number(cursor);
  }

  async function detail(id: string): Promise<DouyinDetail | null> {
    try {
      const data = await call(PATHS.aftersaleDetail, { after_sale_id: id });
      return isObject(data.process_info) && isObject(data.order_info)
        ? (data as unknown as DouyinDetail)
        : null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Read the request as it stands now, pick the afterSale/operate type for the decision, send it. */
  async function decide(
    ref: PlatformRef,
    decision: DouyinDecision,
    fill: (type: number, current: DouyinDetail) => Record<string, unknown>,
  ) {
    const d = await detail(ref.externalId);
    if (!d) {
      throw new PlatformRejectedError(
        "invalid_state",
        "NOT_FOUND",
        `Douyin has no after-sale ${ref.externalId}`,
      );
    }
    const a = d.process_info.after_sale_info;
    const type = operateTypeFor(decision, a.after_sale_type, a.after_sale_status);
    if (type === undefined) {
      const status = AFTERSALE_STATUSES[a.after_sale_status]?.zh ?? String(a.after_sale_status);
      const kind = AFTERSALE_TYPES[a.after_sale_type]?.zh ?? String(a.after_sale_type);
      const hint =
        decision === "refuse" && a.after_sale_type === 2
          ? "; a pre-shipment refund (未发货仅退款) is refused by shipping the order"
          : "";
      throw new PlatformRejectedError(
        "invalid_state",
        "OPERATE_NOT_ALLOWED",
        `Douyin cannot ${decision} after-sale ${ref.externalId} (${kind}) while it is ${status}${hint}`,
      );
    }
    const item = {
      aftersale_id: ref.externalId,
      // The platform refuses a decision made against a stale copy of the request.
      update_time: ref.version && /^\d+$/.test(ref.version) ? Number(ref.version) : a.update_time,
      ...fill(type, d),
    };
    const data = await call(PATHS.aftersaleOperate, { type, items: [item] });
    const results = Array.isArray(data.items) ? (data.items as Record<string, unknown>[]) : [];
    const mine = results.find((r) => String(r.aftersale_id) === ref.externalId) ?? results[0];
    if (mine && Number(mine.status_code ?? 0) !== 0) {
      const said = String(mine.status_msg ?? "");
      throw new PlatformRejectedError(
        errorKindOf(said),
        `OPERATE_${String(mine.status_code)}`,
        `Douyin refused afterSale/operate type ${type} on ${ref.externalId}: ${said}`,
      );
    }
    return { type, detail: d };
  }

  return {
    async pullAftersales(window, cursor): Promise<Page<PlatformCase>> {
      const { start, end } = secondsOf(window);
      const page = pageOf(cursor);
      const data = await call(PATHS.aftersaleList, {
        update_start_time: start,
        update_end_time: end,
        page,
        size: pageSize,
        order_by: ["update_time asc"],
      });
      const items = Array.isArray(data.items) ? (data.items as DouyinListItem[]) : [];
      return { items: items.map(caseFromListItem), next: data.has_more === true ? String(page + 1) : null };
    },

    async pullOrders(window, cursor): Promise<Page<OrderInput>> {
      const { start, end } = secondsOf(window);
      const page = pageOf(cursor);
      const data = await call(PATHS.orderSearchList, {
        update_time_start: start,
        update_time_end: end,
        page,
        size: pageSize,
        order_by: "update_time",
        order_asc: true,
      });
      const orders = Array.isArray(data.shop_order_list) ? (data.shop_order_list as DouyinShopOrder[]) : [];
      const total = typeof data.total === "number" ? data.total : 0;
      return {
        items: orders.map((o) => orderFromDouyin(o, shop)),
        next: (page + 1) * pageSize < total && orders.length > 0 ? String(page + 1) : null,
      };
    },

    async getAftersale(ref) {
      const d = await detail(ref.externalId);
      return d ? caseFromDetail(d) : null;
    },

    async getOrder(orderExternalId) {
      try {
        const data = await call(PATHS.orderDetail, { shop_order_id: orderExternalId });
        return isObject(data.shop_order_detail)
          ? orderFromDouyin(data.shop_order_detail as unknown as DouyinShopOrder, shop)
          : null;
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },

    async agreeRefund(ref, amount) {
      await decide(ref, "agreeRefund", (_type, d) => {
        const asked = d.process_info.after_sale_info.refund_total_amount;
        // afterSale/operate agrees to what the buyer asked; it cannot pay a different amount.
        if (typeof asked === "number" && asked !== amount) {
          throw new PlatformRejectedError(
            "rejected",
            "AMOUNT_MISMATCH",
            `Douyin refunds exactly what the buyer asked (${formatMinor(asked, DOUYIN_CURRENCY)}), not ${formatMinor(amount, DOUYIN_CURRENCY)}; ask the buyer to change the request, or refuse it`,
          );
        }
        return {};
      });
    },

    async refuseRefund(ref, refusal) {
      // Ask for this request's own reject reasons first: a listing that fails throws before anything is
      // refused, so the decision stays in the outbox and is retried — never sent with a guessed code.
      const listed = await call(PATHS.rejectReasonCodeList, { aftersale_id: ref.externalId });
      const items = (Array.isArray(listed.items) ? listed.items : []) as DouyinRejectReason[];
      // A reason that needs evidence (evidence_need Y) cannot go without the proof we do not hold.
      const usable = items
        .filter((x) => x.evidence_need !== "Y" && x.reject_reason_code !== undefined)
        .map((x) => ({ id: String(x.reject_reason_code), text: String(x.reason ?? "") }));
      const own = usable.find((x) => x.id === credentials.reject_reason_code);
      const picked = pickListedReason(usable, refusal);
      const chosen = picked && !picked.mapped && own ? own : picked?.reason;
      // reason and remark are both required with a refusal: the buyer reads them.
      const text = refusal.text.trim() || "商家拒绝";
      await decide(ref, "refuse", (type) => {
        if (!REFUSING_OPERATE_TYPES.has(type)) return {};
        if (!chosen)
          throw new PlatformRejectedError(
            "rejected",
            "NO_REJECT_REASON",
            `Douyin lists no reject reason for after-sale ${ref.externalId} that can go without evidence (${items.length} listed); refuse it in the 抖店 backend`,
          );
        return { reason: text, remark: text, reject_reason_code: Number(chosen.id) };
      });
    },

    async agreeReturn(ref, address: ReturnAddress) {
      const addressId = address.addressId ?? credentials.return_address_id;
      await decide(ref, "agreeReturn", (type) =>
        ADDRESS_OPERATE_TYPES.has(type)
          ? {
              logistics:
                addressId && /^\d+$/.test(addressId)
                  ? { receiver_address_id: Number(addressId) }
                  : {
                      after_sale_address_detail: {
                        user_name: address.name,
                        mobile: address.phone,
                        detail: address.address,
                      },
                    },
            }
          : {},
      );
    },

    async confirmReceipt(ref) {
      // Douyin's only receipt step is the second review, which also pays (111, sent by agreeRefund);
      // here we only make sure the return is really back with the merchant.
      const d = await detail(ref.externalId);
      if (!d)
        throw new PlatformRejectedError(
          "invalid_state",
          "NOT_FOUND",
          `Douyin has no after-sale ${ref.externalId}`,
        );
      const current = caseFromDetail(d);
      if (current.state !== "return_shipped") {
        throw new PlatformRejectedError(
          "invalid_state",
          "NOT_RETURNED",
          `Douyin after-sale ${ref.externalId} is ${AFTERSALE_STATUSES[d.process_info.after_sale_info.after_sale_status]?.zh ?? current.platformStatus}, not 待商家二次同意 (return shipped)`,
        );
      }
    },
  };
}

/**
 * Verify and parse a Douyin push (消息推送): headers `app-id` (our app_key) and `event-sign`
 * (md5 of app_key + raw body + app_secret); the body is an array of `{tag, msg_id, data}` where data is
 * a JSON string. Refund messages (2xx) name an aftersale_id and its shop order p_id.
 */
export function parseDouyinPush(
  credentials: PlatformCredentials,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): PlatformPush {
  const appKey = credentials.app_key ?? "";
  const appSecret = credentials.app_secret ?? "";
  const header = (name: string) => headers[name] ?? headers[name.toLowerCase()];
  const appId = header(DOUYIN_PUSH_APP_ID);
  const sign = header(DOUYIN_PUSH_SIGN);
  if (!appId || !sign) {
    throw new NotificationRejectedError(
      "DOUYIN_SIGNATURE_MISSING",
      "Douyin push without app-id or event-sign",
    );
  }
  if (!appKey || !appSecret) {
    throw new NotificationRejectedError(
      "DOUYIN_CREDENTIALS_MISSING",
      "this shop has no Douyin app_key/app_secret",
    );
  }
  if (appId !== appKey)
    throw new NotificationRejectedError("DOUYIN_APP_MISMATCH", "Douyin push for another app");
  if (!safeEqual(pushSign(appKey, rawBody, appSecret), sign.toLowerCase())) {
    throw new NotificationRejectedError(
      "DOUYIN_SIGNATURE_INVALID",
      "Douyin push signature does not match its body",
    );
  }
  let messages: unknown;
  try {
    messages = parseJsonExact(rawBody);
  } catch {
    messages = undefined;
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new NotificationRejectedError("DOUYIN_PUSH_MALFORMED", "Douyin push body is not a message array");
  }
  const ids: string[] = [];
  const aftersales = new Map<string, PlatformRef>();
  const orders = new Set<string>();
  for (const m of messages as DouyinPushMessage[]) {
    if (!isObject(m) || m.msg_id === undefined || m.tag === undefined) {
      throw new NotificationRejectedError(
        "DOUYIN_PUSH_MALFORMED",
        "Douyin push message without tag or msg_id",
      );
    }
    ids.push(String(m.msg_id));
    let data: unknown = m.data;
    if (typeof data === "string") {
      try {
        data = data === "" ? {} : parseJsonExact(data);
      } catch {
        throw new NotificationRejectedError(
          "DOUYIN_PUSH_MALFORMED",
          `Douyin push ${String(m.msg_id)} data is not JSON`,
        );
      }
    }
    if (!isObject(data)) continue;
    const aftersaleId = text(data.aftersale_id);
    const orderId = text(data.p_id) ?? text(data.shop_order_id);
    if (aftersaleId) aftersales.set(aftersaleId, { externalId: aftersaleId, orderExternalId: orderId ?? "" });
    else if (orderId) orders.add(orderId);
  }
  return { messageId: ids.join(","), aftersales: [...aftersales.values()], orders: [...orders] };
}

export const douyinAdapter: PlatformAdapter = {
  channel: "douyin",
  credentialFields: DOUYIN_CREDENTIAL_FIELDS,
  optionalCredentialFields: DOUYIN_OPTIONAL_CREDENTIAL_FIELDS,
  baseUrl: DOUYIN_GATEWAY,
  // afterSale/List and order/searchList take at most 100 a page; one day keeps each window's pages few.
  limits: { maxWindowMs: 24 * 60 * 60 * 1000, pageSize: PAGE_MAX },
  connect: (credentials, options) => connectDouyin(credentials, options),
  parsePush: parseDouyinPush,
};
