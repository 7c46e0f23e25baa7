import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import type { PlatformRejectedError, PlatformState } from "../platform.ts";

/**
 * Wire details of the Douyin shop open platform (抖店开放平台), shared by the adapter (douyin.ts) and
 * its simulator (douyin-simulator.ts) so the two cannot drift apart.
 *
 * Every call is `POST {gateway}/{path}` with the business parameters as the JSON body (`param_json`,
 * keys sorted) and `app_key, method, access_token, timestamp, v=2, sign_method=hmac-sha256, sign` in
 * the query string. `sign` is the lower-case hex HMAC-SHA256, keyed with the app secret, of
 * `secret + "app_key"+key + "method"+method + "param_json"+json + "timestamp"+ts + "v"+v + secret`
 * (the concatenation of the official SDKs). Answers are `{code, msg, sub_code, sub_msg, log_id, data}`
 * with `code` 10000 for success. Push messages (消息推送) carry `app-id` and
 * `event-sign = md5(app_key + body + app_secret)` headers.
 *
 * Status, type and reason enums follow the official SDK models (afterSale/List, afterSale/Detail,
 * afterSale/operate) as summarised in the channel reference §1.4; there is no recorded Douyin payload
 * among the fixtures, so the shapes here are built from those documented fields.
 */

export const DOUYIN_API_VERSION = "2";
export const DOUYIN_SIGN_METHOD = "hmac-sha256";
/** `code` of a successful answer. */
export const DOUYIN_SUCCESS = 10000;
/** Douyin trades in 分 of CNY only. */
export const DOUYIN_CURRENCY = "CNY";
/** The platform accepts requests signed this far from its clock. */
export const DOUYIN_MAX_SKEW_SECONDS = 600;
export const DOUYIN_PUSH_APP_ID = "app-id";
export const DOUYIN_PUSH_SIGN = "event-sign";
/** What a push receiver answers once it took the messages. */
export const DOUYIN_PUSH_ACK = {
  status: 200,
  contentType: "application/json",
  body: '{"code":0,"msg":"success"}',
};

/** The production gateway; a shop's `gateway` credential (e.g. the simulator) overrides it. */
export const DOUYIN_GATEWAY = "https://openapi-fxg.jinritemai.com";

export const PATHS = {
  aftersaleList: "/afterSale/List",
  aftersaleDetail: "/afterSale/Detail",
  aftersaleOperate: "/afterSale/operate",
  rejectReasonCodeList: "/afterSale/rejectReasonCodeList",
  orderSearchList: "/order/searchList",
  orderDetail: "/order/orderDetail",
} as const;

/** "/afterSale/List" → "afterSale.List", the `method` the platform signs. */
export const methodOf = (path: string): string => path.replace(/^\/+/, "").replaceAll("/", ".");

/**
 * JSON with object keys sorted at every level and undefined members dropped — the form the SDKs sign
 * and send as `param_json` (they re-marshal through a map, which sorts keys).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export interface SignInput {
  appKey: string;
  method: string;
  paramJson: string;
  timestamp: string;
  v: string;
}

/** Hex HMAC-SHA256 (key: app secret) over secret + "app_key"… + "v"… + secret. */
export function douyinSign(appSecret: string, p: SignInput): string {
  const plain = `${appSecret}app_key${p.appKey}method${p.method}param_json${p.paramJson}timestamp${p.timestamp}v${p.v}${appSecret}`;
  return createHmac("sha256", appSecret).update(plain, "utf8").digest("hex");
}

/** The query string and body of one signed call. */
export function signedRequest(
  cfg: { appKey: string; appSecret: string; accessToken?: string },
  path: string,
  param: unknown,
  nowMs = Date.now(),
): { query: URLSearchParams; body: string } {
  const paramJson = canonicalJson(param ?? {});
  const timestamp = String(Math.floor(nowMs / 1000));
  const method = methodOf(path);
  const sign = douyinSign(cfg.appSecret, {
    appKey: cfg.appKey,
    method,
    paramJson,
    timestamp,
    v: DOUYIN_API_VERSION,
  });
  const query = new URLSearchParams({
    app_key: cfg.appKey,
    method,
    timestamp,
    v: DOUYIN_API_VERSION,
    sign_method: DOUYIN_SIGN_METHOD,
    sign,
  });
  if (cfg.accessToken) query.set("access_token", cfg.accessToken);
  return { query, body: paramJson };
}

export type DouyinCheck = { ok: true } | { ok: false; reason: string };

/** The platform's side: is this request signed by the holder of `appSecret`, recently? */
export function verifyDouyinRequest(
  appKey: string,
  appSecret: string,
  path: string,
  query: URLSearchParams,
  body: string,
  nowMs = Date.now(),
): DouyinCheck {
  const get = (k: string) => query.get(k) ?? "";
  if (get("app_key") !== appKey) return { ok: false, reason: "unknown app_key" };
  if (get("method") !== methodOf(path)) return { ok: false, reason: "method does not match the path" };
  if (get("v") !== DOUYIN_API_VERSION) return { ok: false, reason: "v must be 2" };
  if (get("sign_method") !== DOUYIN_SIGN_METHOD) return { ok: false, reason: "unsupported sign_method" };
  const ts = get("timestamp");
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: "malformed timestamp" };
  if (Math.abs(nowMs / 1000 - Number(ts)) > DOUYIN_MAX_SKEW_SECONDS)
    return { ok: false, reason: "timestamp expired" };
  const expected = douyinSign(appSecret, {
    appKey,
    method: get("method"),
    paramJson: body,
    timestamp: ts,
    v: get("v"),
  });
  return safeEqual(expected, get("sign").toLowerCase())
    ? { ok: true }
    : { ok: false, reason: "sign mismatch" };
}

/** event-sign of a push message: hex MD5 of app_key + raw body + app_secret. */
export const pushSign = (appKey: string, body: string, appSecret: string): string =>
  createHash("md5").update(`${appKey}${body}${appSecret}`, "utf8").digest("hex");

/**
 * JSON.parse that keeps integers beyond 2^53 exact as decimal strings: Douyin ids (aftersale_id,
 * shop_order_id, sku_order_id, p_id…) are int64 and often sent as bare numbers. Uses the reviver's
 * source text (Node ≥ 22).
 */
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

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---------------------------------------------------------------------------------------------
// Enums as data
// ---------------------------------------------------------------------------------------------

/** aftersale_type (after_sale_type in afterSale/Detail) → our case type. */
export const AFTERSALE_TYPES: Readonly<Record<number, { type: CaseType; zh: string }>> = {
  0: { type: "return_refund", zh: "退货退款" },
  1: { type: "refund_only", zh: "已发货仅退款" },
  2: { type: "refund_only", zh: "未发货仅退款" },
  3: { type: "exchange", zh: "换货" },
  // afterSale/Detail only: order cancellations before shipping.
  4: { type: "refund_only", zh: "系统取消" },
  5: { type: "refund_only", zh: "用户取消" },
  6: { type: "refund_only", zh: "价保" },
  7: { type: "reship", zh: "补寄" },
  8: { type: "exchange", zh: "维修" },
};

/**
 * aftersale_status (standard_aftersale_status) → where the request stands. "settled" (售后成功) is
 * resolved by refund_status for money cases and is "completed" for exchanges and reships.
 */
export const AFTERSALE_STATUSES: Readonly<
  Record<number, { state: PlatformState | "settled"; zh: string; final: boolean }>
> = {
  3: { state: "completed", zh: "换货待买家收货", final: true },
  6: { state: "requested", zh: "待商家同意", final: false },
  7: { state: "awaiting_return", zh: "待买家退货", final: false },
  // 补寄/维修: agreed, the merchant still has to ship — the merchant's move.
  8: { state: "requested", zh: "待商家发货", final: false },
  11: { state: "return_shipped", zh: "待商家二次同意", final: false },
  12: { state: "settled", zh: "售后成功", final: true },
  13: { state: "completed", zh: "换货待买家收货", final: true },
  14: { state: "completed", zh: "换货成功", final: true },
  27: { state: "refused", zh: "商家一次拒绝", final: false },
  28: { state: "cancelled", zh: "售后失败", final: true },
  29: { state: "refused", zh: "商家二次拒绝", final: false },
  // afterSale/Detail only.
  51: { state: "settled", zh: "订单取消成功", final: true },
  53: { state: "settled", zh: "逆向交易已完成", final: true },
};

/** refund_status → where the money stands once the request succeeded. */
export const REFUND_STATUSES: Readonly<Record<number, { state: PlatformState; zh: string }>> = {
  1: { state: "refunding", zh: "待退款" },
  2: { state: "refunding", zh: "退款中" },
  3: { state: "refunded", zh: "退款成功" },
  // The platform failed to pay; it stays a refund in progress until someone retries or pays offline.
  4: { state: "refunding", zh: "退款失败" },
  5: { state: "refunded", zh: "追缴成功" },
};

/** aftersale_refund_type: how the money goes back. 4 (无需退款) means there is no money leg. */
export const AFTERSALE_REFUND_TYPES: Readonly<Record<number, string>> = {
  [-1]: "历史数据",
  0: "原路退款",
  1: "货到付款线下退款",
  2: "备用金",
  3: "保证金",
  4: "无需退款",
  5: "平台垫付",
};
export const NO_REFUND_NEEDED = 4;

/** refund_type: the platform refunded on its own (the merchant did not decide). */
export const PLATFORM_REFUND_TYPES: Readonly<Record<number, string>> = {
  1: "极速退款助手",
  2: "售后小助手",
  3: "售后急速退",
  4: "闪电退货",
};

/** auto_audit_bits: how the platform auto-approved the request. */
export const AUTO_AUDIT_BITS: Readonly<Record<number, string>> = {
  1: "发货前极速退",
  2: "小助手自动同意退款",
  3: "发货后极速退",
  4: "闪电退货",
  6: "云仓拦截自动退",
  7: "小助手自动同意退货",
  8: "小助手自动同意拒签后退款",
  12: "商家快递拦截成功自动退款",
  13: "质检商品免审核",
};

/** arbitrate_status; `intervened` ones put an open request in the platform's hands. */
export const ARBITRATE_STATUSES: Readonly<Record<number, { zh: string; intervened: boolean }>> = {
  0: { zh: "无仲裁记录", intervened: false },
  1: { zh: "仲裁中", intervened: true },
  2: { zh: "客服同意", intervened: false },
  3: { zh: "客服拒绝", intervened: false },
  4: { zh: "待商家举证", intervened: true },
  5: { zh: "协商期", intervened: false },
  255: { zh: "仲裁结束", intervened: false },
};

/** The buyer's reason text (reason_text / reason) → our reason, first match wins. */
export const REASON_KEYWORDS: readonly (readonly [RegExp, ReasonCode])[] = [
  [/尺码|尺寸|大小/, "size_fit"],
  [/七天无理由|7天无理由|不想要|拍错|多拍|不喜欢|买错|协商一致/, "changed_mind"],
  [/变质|腐烂|不新鲜|过期/, "spoiled"],
  [/破损|损坏|压坏|碎|污渍|变形/, "damaged"],
  [/发错|错发/, "wrong_item"],
  [/少件|漏发|缺件|少发/, "missing_item"],
  [/质量/, "quality"],
  [/描述不符|假冒|材质|颜色|图案|款式/, "not_as_described"],
  [/丢件|丢失|物流无跟踪/, "logistics_lost"],
  [/长时间未送达|延误|未按约定时间发货|发货慢/, "logistics_delay"],
  [/未收到|没收到|空包|包裹为空|拒签/, "not_received"],
];

export function reasonOf(text: string | undefined): ReasonCode {
  if (!text) return "other";
  for (const [pattern, code] of REASON_KEYWORDS) if (pattern.test(text)) return code;
  return "other";
}

/**
 * afterSale/operate `type` per decision, by aftersale_type and current aftersale_status
 * (101 同意退货申请, 102 拒绝退货申请, 111 同意退货(二次审核: 确认收货并退款), 112 拒绝退货(二次审核),
 * 201 同意仅退款, 202 拒绝仅退款, 301 同意换货申请, 302 拒绝换货申请, 311 同意换货(二次审核, 需换货物流),
 * 312 拒绝换货(二次审核), 401 同意售前退). A missing entry means the decision does not exist on Douyin in
 * that state. Douyin has no receipt-only step: the second review (111) confirms receipt and pays in one
 * go, so confirmReceipt writes nothing and agreeRefund sends 111 once the goods are back.
 */
export type DouyinDecision = "agreeReturn" | "refuse" | "agreeRefund";
export const OPERATE_TYPES: Readonly<Record<DouyinDecision, Readonly<Record<string, number>>>> = {
  agreeReturn: { "0:6": 101, "3:6": 301 },
  refuse: { "0:6": 102, "0:11": 112, "1:6": 202, "3:6": 302, "3:11": 312 },
  agreeRefund: { "0:11": 111, "1:6": 201, "2:6": 401 },
};
export const operateTypeFor = (decision: DouyinDecision, type: number, status: number): number | undefined =>
  OPERATE_TYPES[decision][`${type}:${status}`];
/**
 * One entry of afterSale/rejectReasonCodeList (asked with `aftersale_id`; answer `data.items[]`), as the
 * platform's SDKs model it: `reject_reason_code` (int64), `reason` (the text), `evidence_need` ("Y": a
 * refusal with this code must carry `evidence`), `evidence_description`, `image` (an example proof),
 * `order_type` and `pkg` (goods received: 0 no, 1 yes, -1 either). The codes are not published: the
 * platform hands them out per request, and a not-yet-shipped order's request gets an empty list.
 */
export interface DouyinRejectReason {
  reject_reason_code: number | string;
  reason: string;
  evidence_need?: "Y" | "N";
  evidence_description?: string;
  image?: string;
  order_type?: number;
  pkg?: number;
}

/** Operate types that reject and therefore need a reason, a remark and a reject_reason_code. */
export const REFUSING_OPERATE_TYPES: ReadonlySet<number> = new Set([102, 112, 202, 302, 312]);
/** Operate types that send the buyer a return address. */
export const ADDRESS_OPERATE_TYPES: ReadonlySet<number> = new Set([101, 301]);

/**
 * How a refusal reads to the caller, by the platform's sub_code and message (first match wins):
 * credentials, a decision against a stale copy (the `update_time` check), or a state that no longer
 * allows the call. Anything else is a plain business refusal.
 */
export const ERROR_KINDS: readonly (readonly [RegExp, PlatformRejectedError["kind"]])[] = [
  [/access[-_]?token|sign|app[-_]?key|授权|令牌/i, "auth"],
  [/version|版本/i, "stale_version"],
  [/status|state|状态|不支持此操作|已关闭|已完结/i, "invalid_state"],
];
export function errorKindOf(said: string): PlatformRejectedError["kind"] {
  for (const [pattern, kind] of ERROR_KINDS) if (pattern.test(said)) return kind;
  return "rejected";
}

// ---------------------------------------------------------------------------------------------
// Wire shapes (the fields this adapter reads)
// ---------------------------------------------------------------------------------------------

export interface DouyinListItem {
  aftersale_info: {
    aftersale_id: string;
    aftersale_type: number;
    aftersale_status: number;
    related_id?: string;
    apply_time: number;
    update_time: number;
    status_deadline?: number;
    refund_amount?: number;
    refund_post_amount?: number;
    aftersale_num?: number;
    aftersale_refund_type?: number;
    refund_type?: number;
    refund_status?: number;
    arbitrate_status?: number;
    auto_audit_bits?: number[] | number;
    return_logistics_code?: string;
    return_logistics_company_name?: string;
    reason_second_labels?: { code: number; name: string }[];
    remark?: string;
    got_pkg?: number;
  };
  order_info: {
    shop_order_id: string;
    related_order_info?: {
      sku_order_id: string;
      shop_sku_code?: string;
      item_num?: number;
      aftersale_item_num?: number;
      pay_amount?: number;
      post_amount?: number;
    }[];
  };
  text_part?: { reason_text?: string; aftersale_status_text?: string; aftersale_type_text?: string };
}

export interface DouyinDetail {
  process_info: {
    after_sale_info: {
      after_sale_id: number | string;
      after_sale_status: number;
      after_sale_type: number;
      refund_status?: number;
      refund_type?: number;
      refund_total_amount?: number;
      refund_post_amount?: number;
      apply_time: number;
      update_time: number;
      status_deadline?: number;
      reason?: string;
      reason_remark?: string;
      after_sale_apply_count?: number;
      auto_audit_bits?: number[] | number;
    };
    arbitrate_info?: { arbitrate_status?: number };
    logistics_info?: { return?: { tracking_no?: string; company_name?: string; company_code?: string } };
  };
  order_info: {
    shop_order_id: number | string;
    sku_order_infos?: {
      sku_order_id: number | string;
      shop_sku_code?: string;
      item_quantity?: number;
      after_sale_item_count?: number;
    }[];
  };
}

export interface DouyinSkuOrder {
  order_id: string;
  code?: string;
  out_sku_id?: string;
  sku_id?: number;
  product_name?: string;
  item_num: number;
  /** Current unit price (分). */
  origin_amount: number;
  sum_amount?: number;
  /** What the buyer paid for this sku order, shipping included (分). */
  pay_amount: number;
  post_amount?: number;
  promotion_amount?: number;
}

export interface DouyinShopOrder {
  order_id: string;
  order_status?: number;
  create_time?: number;
  pay_time?: number;
  update_time?: number;
  pay_type?: number;
  channel_payment_no?: string;
  order_amount?: number;
  pay_amount: number;
  post_amount?: number;
  promotion_amount?: number;
  doudian_open_id?: string;
  sku_order_list: DouyinSkuOrder[];
  logistics_info?: { tracking_no: string; company?: string; company_name?: string; ship_time?: number }[];
}

export interface DouyinPushMessage {
  tag: string;
  msg_id: string;
  /** A JSON string on the wire (some relays send the object itself). */
  data: string | Record<string, unknown>;
}

/** Push tags about after-sales requests (2xx) and orders (1xx). */
export const PUSH_TAGS: Readonly<Record<string, string>> = {
  "100": "trade_TradeCreate",
  "101": "trade_TradePaid",
  "102": "trade_TradeSellerShip",
  "103": "trade_TradeSuccess",
  "104": "trade_TradeLogisticsChanged",
  "105": "trade_TradeAddressChanged",
  "106": "trade_TradeCanceled",
  "200": "refund_RefundCreated",
  "201": "refund_RefundAgreed",
  "202": "refund_ReturnApplyAgreed",
  "203": "refund_BuyerReturnGoods",
  "204": "refund_RefundRefused",
  "205": "refund_ReturnApplyRefused",
  "207": "refund_RefundSuccess",
  "208": "refund_RefundClosed",
};
