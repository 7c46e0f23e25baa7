import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import type { PlatformRejectedError, PlatformState } from "../platform.ts";

/**
 * Wire details of WeChat Channels shops (视频号小店 / 微信小店) after-sales, shared by the adapter
 * (wechat-channels.ts) and its simulator (wechat-channels-simulator.ts).
 *
 * - Every call is `POST https://api.weixin.qq.com/channels/ec/…?access_token=…` with a JSON body and an
 *   `{errcode, errmsg, …}` answer (errcode 0 on success). The token comes from `/cgi-bin/stable_token`
 *   (grant_type client_credential, appid, secret) and lives 7200 s.
 * - 售后单列表 getaftersalelist takes begin/end_update_time (≤ 24 h apart) and pages by next_key;
 *   getaftersaleorder returns `after_sale_order` (amounts in 分); acceptapply (accept_type 1 同意退货,
 *   2 同意退款) and rejectapply (reject_reason_type from rejectreason/get) decide.
 * - Push messages (消息推送, e.g. `channels_ec_aftersale_update`) arrive as JSON or XML with `signature`
 *   = sha1 of the sorted token, timestamp and nonce in the URL query; in safe mode the body carries
 *   `Encrypt` (AES-256-CBC, key = base64(EncodingAESKey + "="), iv = its first 16 bytes, PKCS#7 padded
 *   to 32 bytes, plaintext = 16 random bytes + 4-byte length + message + appid) and `msg_signature` =
 *   sha1 of the sorted token, timestamp, nonce and Encrypt.
 */

export const WECHAT_API = "https://api.weixin.qq.com";
export const WECHAT_CURRENCY = "CNY";
/** getaftersalelist refuses windows longer than 24 hours (errcode 10020004). */
export const WECHAT_MAX_WINDOW_MS = 24 * 60 * 60 * 1000;
/** What a push receiver answers once it took the message. */
export const WECHAT_PUSH_ACK = { status: 200, contentType: "text/plain", body: "success" };

export const PATHS = {
  token: "/cgi-bin/stable_token",
  aftersaleList: "/channels/ec/aftersale/getaftersalelist",
  aftersaleGet: "/channels/ec/aftersale/getaftersaleorder",
  acceptApply: "/channels/ec/aftersale/acceptapply",
  rejectApply: "/channels/ec/aftersale/rejectapply",
  acceptExchangeReship: "/channels/ec/aftersale/acceptexchangereship",
  reasonGet: "/channels/ec/aftersale/reason/get",
  rejectReasonGet: "/channels/ec/aftersale/rejectreason/get",
  orderList: "/channels/ec/order/list/get",
  orderGet: "/channels/ec/order/get",
} as const;

/** errcodes meaning the access_token is wrong or expired: fetch a new one and try once more. */
export const TOKEN_ERRCODES: readonly number[] = [40001, 40014, 42001];
/** errcodes meaning "no such after-sale order". */
export const NOT_FOUND_ERRCODES: readonly number[] = [10020000, 10021050, 10021057];
/** errcode -1: 系统繁忙 — the platform failed, the outcome is unknown. */
export const BUSY_ERRCODE = -1;
/** errcodes and what they tell the caller (everything else is a plain refusal). */
export const ERRCODE_KINDS: Readonly<Record<number, PlatformRejectedError["kind"]>> = {
  40001: "auth",
  40013: "auth",
  40014: "auth",
  40125: "auth",
  42001: "auth",
  10020001: "invalid_state",
  10021041: "invalid_state",
  10021043: "rejected",
  10021046: "rejected",
};

// ---------------------------------------------------------------------------------------------
// Enums as data
// ---------------------------------------------------------------------------------------------

/** after_sale_order.type → our case type. */
export const WECHAT_TYPES: Readonly<Record<string, { type: CaseType; zh: string }>> = {
  REFUND: { type: "refund_only", zh: "仅退款" },
  RETURN: { type: "return_refund", zh: "退货退款" },
  EXCHANGE: { type: "exchange", zh: "换货" },
};

/**
 * after_sale_order.status (AfterSaleStatus) → where the request stands. `final`: nothing more
 * happens unless the platform reopens it.
 */
export const WECHAT_STATUSES: Readonly<Record<string, { state: PlatformState; zh: string; final: boolean }>> =
  {
    USER_CANCELD: { state: "cancelled", zh: "用户取消申请", final: true },
    MERCHANT_PROCESSING: { state: "requested", zh: "商家受理中", final: false },
    MERCHANT_REJECT_REFUND: { state: "refused", zh: "商家拒绝退款", final: false },
    MERCHANT_REJECT_RETURN: { state: "refused", zh: "商家拒绝退货退款", final: false },
    USER_WAIT_RETURN: { state: "awaiting_return", zh: "待买家退货", final: false },
    RETURN_CLOSED: { state: "cancelled", zh: "退货退款关闭", final: true },
    MERCHANT_WAIT_RECEIPT: { state: "return_shipped", zh: "待商家收货", final: false },
    // The platform's refund failed and the merchant did not pay offline in time: money still owed.
    MERCHANT_OVERDUE_REFUND: { state: "refunding", zh: "商家逾期未退款", final: false },
    MERCHANT_REFUND_SUCCESS: { state: "refunded", zh: "退款完成", final: true },
    MERCHANT_RETURN_SUCCESS: { state: "refunded", zh: "退货退款完成", final: true },
    PLATFORM_REFUNDING: { state: "refunding", zh: "平台退款中", final: false },
    // Money did not reach the buyer; it stays a refund in progress until retried or paid offline.
    PLATFORM_REFUND_FAIL: { state: "refunding", zh: "平台退款失败", final: false },
    // Waiting on the buyer (to confirm a change or a replacement): not the merchant's move.
    USER_WAIT_CONFIRM: { state: "awaiting_return", zh: "待用户确认", final: false },
    MERCHANT_REFUND_RETRY_FAIL: { state: "cancelled", zh: "商家打款失败，客服关闭售后", final: true },
    MERCHANT_FAIL: { state: "cancelled", zh: "售后关闭", final: true },
    MERCHANT_REJECT_RESHIP: { state: "refused", zh: "商家拒绝发货", final: false },
  };

/**
 * after_sale_order.reason → our reason: the early names (AfterSaleReason) and the numeric codes of
 * 获取全量售后原因 (reason/get) that replaced them.
 */
export const WECHAT_REASONS: Readonly<Record<string, ReasonCode>> = {
  INCORRECT_SELECTION: "changed_mind",
  NO_LONGER_WANT: "changed_mind",
  NO_EXPRESS_INFO: "logistics_lost",
  EMPTY_PACKAGE: "not_received",
  REJECT_RECEIVE_PACKAGE: "not_received",
  NOT_DELIVERED_TOO_LONG: "logistics_delay",
  NOT_MATCH_PRODUCT_DESC: "not_as_described",
  QUALITY_ISSUE: "quality",
  SEND_WRONG_GOODS: "wrong_item",
  THREE_NO_PRODUCT: "quality",
  FAKE_PRODUCT: "not_as_described",
  OTHERS: "other",
  "10000000": "changed_mind", // 不想要了
  "10000001": "other", // 缺货
  "10000002": "changed_mind", // 拍错/多拍
  "10000003": "changed_mind", // 没用/少用优惠
  "10000004": "changed_mind", // 地址/电话等信息填写错误
  "10000005": "missing_item", // 少件/漏发
  "10000006": "wrong_item", // 卖家发错货
  "10000007": "not_received", // 未收到商品
  "10000008": "other", // 其他
  "10000010": "logistics_delay", // 商家未按约定时间发货
  "10000011": "not_as_described", // 与商品描述不符
  "10000014": "changed_mind", // 双方协商一致退款
  "10000015": "logistics_delay", // 快递长时间未送达
  "10000016": "not_received", // 包裹为空
  "10000017": "logistics_lost", // 物流无跟踪记录
  "10000018": "not_received", // 已拒签包裹
  "10000019": "changed_mind", // 7天无理由
  "10000021": "quality", // 质量问题
  "10000023": "not_as_described", // 课程/服务与描述不符
  "10000028": "quality", // 肤质不匹配
  "10000029": "quality", // 宠物食用不适
  "10000031": "quality", // 开线/走丝
  "10000033": "not_as_described", // 假冒产品
  "10000039": "size_fit", // 大小/尺寸与商品描述不符
  "10000040": "damaged", // 包装/商品破损/污渍/裂痕/变形
  "10000041": "not_as_described", // 功能/效果与商品描述不符
  "10000042": "not_as_described", // 材质/面料与商品描述不符
  "10000043": "not_as_described", // 颜色/图案/款式与商品描述不符
};

/** Reason codes added later have no literal meaning: read their reason_text, first match wins. */
export const REASON_TEXT_KEYWORDS: readonly (readonly [RegExp, ReasonCode])[] = [
  [/尺码|尺寸|大小/, "size_fit"],
  [/7天无理由|七天无理由|不想要|拍错|多拍|协商一致/, "changed_mind"],
  [/破损|污渍|裂痕|变形/, "damaged"],
  [/发错/, "wrong_item"],
  [/少件|漏发/, "missing_item"],
  [/变质|腐烂/, "spoiled"],
  [/质量/, "quality"],
  [/描述不符|假冒/, "not_as_described"],
  [/无跟踪|丢件/, "logistics_lost"],
  [/长时间未送达|未按约定时间发货/, "logistics_delay"],
  [/未收到|包裹为空|拒签/, "not_received"],
];

export function wechatReason(reason: string | undefined, reasonText: string | undefined): ReasonCode {
  const byCode = reason === undefined ? undefined : WECHAT_REASONS[reason];
  if (byCode) return byCode;
  for (const [pattern, code] of REASON_TEXT_KEYWORDS) if (reasonText && pattern.test(reasonText)) return code;
  return "other";
}

// ---------------------------------------------------------------------------------------------
// Request bodies, field for field as the platform names them
// ---------------------------------------------------------------------------------------------

export interface AftersaleListBody {
  begin_update_time: number;
  end_update_time: number;
  next_key?: string;
}
export interface AcceptApplyBody {
  after_sale_order_id: string;
  address_id?: string;
  /** 1 同意退货 (returns, exchanges), 2 同意退款 (refund only, or goods received). */
  accept_type?: 1 | 2;
}
export interface RejectApplyBody {
  after_sale_order_id: string;
  reject_reason: string;
  reject_reason_type: number;
}
/** 换货发货: the merchant ships the replacement (not reachable through PlatformClient). */
export interface AcceptExchangeReshipBody {
  after_sale_order_id: string;
  waybill_id: string;
  delivery_id: string;
}
/** 差价退款 the merchant starts (not reachable through PlatformClient). */
export interface RefundPriceDiffBody {
  request_id: string;
  order_id: string;
  product_id: string;
  sku_id: string;
  amount: number;
  reason: string;
  desc?: string;
}

export const acceptApplyBody = (
  id: string,
  opts: { addressId?: string; acceptType?: 1 | 2 } = {},
): AcceptApplyBody => ({
  after_sale_order_id: id,
  ...(opts.addressId ? { address_id: opts.addressId } : {}),
  ...(opts.acceptType ? { accept_type: opts.acceptType } : {}),
});
export const rejectApplyBody = (id: string, reason: string, reasonType: number): RejectApplyBody => ({
  after_sale_order_id: id,
  reject_reason: reason,
  reject_reason_type: reasonType,
});
export const acceptExchangeReshipBody = (
  id: string,
  waybillId: string,
  deliveryId: string,
): AcceptExchangeReshipBody => ({
  after_sale_order_id: id,
  waybill_id: waybillId,
  delivery_id: deliveryId,
});
export const refundPriceDiffBody = (b: RefundPriceDiffBody): RefundPriceDiffBody => ({
  request_id: b.request_id,
  order_id: b.order_id,
  product_id: b.product_id,
  sku_id: b.sku_id,
  amount: b.amount,
  reason: b.reason,
  ...(b.desc ? { desc: b.desc } : {}),
});

// ---------------------------------------------------------------------------------------------
// Wire shapes (the fields this adapter reads)
// ---------------------------------------------------------------------------------------------

export interface WechatAftersaleOrder {
  after_sale_order_id: string;
  status: string;
  openid?: string;
  order_id: string;
  product_info: { product_id: string; sku_id: string; count: number };
  details?: { desc?: string; receive_product?: boolean; cancel_time?: number; tel_number?: string };
  refund_info?: { amount?: number; refund_reason?: number };
  return_info?: { waybill_id?: string; delivery_id?: string; delivery_name?: string };
  merchant_upload_info?: { reject_reason?: string };
  create_time: number;
  update_time: number;
  reason?: string;
  reason_text?: string;
  type: string;
  complaint_id?: string;
  /** 截止时间 of the merchant's current step (SLA clock), seconds. */
  deadline?: number;
}

export interface WechatOrder {
  order_id: string;
  status?: number;
  create_time?: number;
  update_time?: number;
  openid?: string;
  order_detail: {
    product_infos: {
      product_id: string;
      sku_id: string;
      sku_cnt: number;
      title?: string;
      sku_code?: string;
      /** 售卖单价 (分). */
      sale_price: number;
      /** sku 实付总价 (分), when the platform apportioned the discounts itself. */
      real_price?: number;
    }[];
    price_info?: {
      product_price?: number;
      order_price?: number;
      freight?: number;
      discounted_price?: number;
    };
    pay_info?: { transaction_id?: string; pay_time?: number };
    delivery_info?: {
      delivery_product_info?: {
        waybill_id: string;
        delivery_id?: string;
        delivery_name?: string;
        delivery_time?: number;
      }[];
    };
  };
}

/** Our order line id for a WeChat order line (the platform has none): product and sku. */
export const lineKey = (productId: string | number, skuId: string | number) => `${productId}:${skuId}`;

// ---------------------------------------------------------------------------------------------
// Push messages: signature, AES, XML
// ---------------------------------------------------------------------------------------------

/** sha1 of the lexicographically sorted parts, concatenated (signature and msg_signature). */
export function wechatSignature(...parts: string[]): string {
  return createHash("sha1")
    .update([...parts].sort().join(""), "utf8")
    .digest("hex");
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function aesKey(encodingAesKey: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, "base64");
  if (encodingAesKey.length !== 43 || key.length !== 32)
    throw new Error("EncodingAESKey must be 43 characters");
  return key;
}

/** Safe-mode encryption (the platform's side; the simulator uses it). */
export function encryptMessage(
  encodingAesKey: string,
  message: string,
  appid: string,
  random = randomBytes(16),
): string {
  const key = aesKey(encodingAesKey);
  const msg = Buffer.from(message, "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length, 0);
  const plain = Buffer.concat([random, len, msg, Buffer.from(appid, "utf8")]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([
    cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]).toString("base64");
}

/** Safe-mode decryption; throws on a wrong key, bad padding or a malformed frame. */
export function decryptMessage(
  encodingAesKey: string,
  encrypted: string,
): { message: string; appid: string } {
  const key = aesKey(encodingAesKey);
  const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, "base64")), decipher.final()]);
  const pad = padded.at(-1) ?? 0;
  if (pad < 1 || pad > 32 || padded.length < 20 + pad) throw new Error("bad padding");
  const plain = padded.subarray(0, padded.length - pad);
  const length = plain.readUInt32BE(16);
  if (20 + length > plain.length) throw new Error("bad length");
  return {
    message: plain.subarray(20, 20 + length).toString("utf8"),
    appid: plain.subarray(20 + length).toString("utf8"),
  };
}

export type XmlValue = string | { [key: string]: XmlValue | XmlValue[] };

/**
 * A small parser for the flat, attribute-free XML of WeChat push messages (<xml><Tag>text or
 * <![CDATA[…]]></Tag>…</xml>): nested elements become objects, repeated ones arrays. Not a general
 * XML parser: no attributes, processing instructions or entities beyond the five predefined ones.
 */
export function parseXml(text: string): Record<string, XmlValue | XmlValue[]> {
  let pos = 0;
  const src = text.replace(/^\uFEFF/, "").trim();
  const fail = (why: string): never => {
    throw new Error(`malformed XML at ${pos}: ${why}`);
  };
  const decodeEntities = (s: string) =>
    s.replace(
      /&(lt|gt|amp|quot|apos);/g,
      (_m, e: string) => ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" })[e] ?? "",
    );
  function element(): [string, XmlValue] {
    const open = /^<([A-Za-z_][\w.-]*)\s*>/.exec(src.slice(pos));
    if (!open?.[1]) return fail("expected an opening tag");
    const name = open[1];
    pos += open[0].length;
    const children: Record<string, XmlValue | XmlValue[]> = {};
    let textValue = "";
    let hasChildren = false;
    for (;;) {
      if (pos >= src.length) fail(`unclosed <${name}>`);
      if (src.startsWith("<![CDATA[", pos)) {
        const end = src.indexOf("]]>", pos);
        if (end < 0) fail("unclosed CDATA");
        textValue += src.slice(pos + 9, end);
        pos = end + 3;
      } else if (src.startsWith(`</${name}`, pos)) {
        const close = /^<\/[\w.-]+\s*>/.exec(src.slice(pos));
        if (!close) fail("bad closing tag");
        pos += (close as RegExpExecArray)[0].length;
        break;
      } else if (src[pos] === "<") {
        hasChildren = true;
        const [childName, value] = element();
        const prior = children[childName];
        children[childName] =
          prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
      } else {
        const next = src.indexOf("<", pos);
        if (next < 0) fail("text outside an element");
        textValue += decodeEntities(src.slice(pos, next));
        pos = next;
      }
    }
    return [name, hasChildren ? children : textValue.trim()];
  }
  const [root, value] = element();
  if (root !== "xml" || typeof value === "string")
    throw new Error("the root element must be <xml> with children");
  return value as Record<string, XmlValue | XmlValue[]>;
}

/** Render an object as WeChat push XML (the simulator's side). */
export function toXml(value: Record<string, unknown>, root = "xml"): string {
  const inner = (v: unknown): string =>
    v !== null && typeof v === "object"
      ? Object.entries(v as Record<string, unknown>)
          .map(([k, x]) => `<${k}>${inner(x)}</${k}>`)
          .join("")
      : typeof v === "number"
        ? String(v)
        : `<![CDATA[${String(v ?? "")}]]>`;
  return `<${root}>${inner(value)}</${root}>`;
}

/** JSON.parse that keeps integers beyond 2^53 exact as decimal strings (order ids are int64). */
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

/**
 * Which after-sale types and statuses each merchant decision applies to. WeChat has no receipt-only
 * step: acceptapply accept_type 2 on a received return confirms receipt and pays in one go, so
 * confirmReceipt only checks the goods are on their way back and agreeRefund sends accept_type 2.
 */
export type WechatDecision = "agreeReturn" | "agreeRefund" | "refuse" | "confirmReceipt";
export const WECHAT_DECISIONS: Readonly<Record<WechatDecision, Readonly<Record<string, readonly string[]>>>> =
  {
    agreeReturn: { RETURN: ["MERCHANT_PROCESSING"], EXCHANGE: ["MERCHANT_PROCESSING"] },
    agreeRefund: { REFUND: ["MERCHANT_PROCESSING"], RETURN: ["MERCHANT_WAIT_RECEIPT"] },
    refuse: {
      REFUND: ["MERCHANT_PROCESSING"],
      RETURN: ["MERCHANT_PROCESSING", "MERCHANT_WAIT_RECEIPT"],
      EXCHANGE: ["MERCHANT_PROCESSING", "MERCHANT_WAIT_RECEIPT"],
    },
    confirmReceipt: { RETURN: ["MERCHANT_WAIT_RECEIPT"], EXCHANGE: ["MERCHANT_WAIT_RECEIPT"] },
  };
export const decisionAllowed = (decision: WechatDecision, type: string, status: string): boolean =>
  WECHAT_DECISIONS[decision][type]?.includes(status) ?? false;

/** Push parameters travel in the URL query (signature, timestamp, nonce, msg_signature, encrypt_type). */
export const PUSH_QUERY_PARAMS = [
  "signature",
  "timestamp",
  "nonce",
  "msg_signature",
  "encrypt_type",
  "openid",
] as const;
