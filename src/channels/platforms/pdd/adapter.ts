import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import { AppError } from "../../../domain/errors.ts";
import { formatMinor } from "../../../domain/money.ts";
import { addressKey, type LogisticsStatus, type OrderInput } from "../../../domain/order.ts";
import { channelFetch } from "../../http.ts";
import { ChannelUnavailableError } from "../../payments/channel.ts";
import {
  type ConnectOptions,
  type Page,
  type PlatformAdapter,
  type PlatformCase,
  type PlatformClient,
  type PlatformCredentials,
  type PlatformRef,
  PlatformRejectedError,
  type PlatformState,
  type PullWindow,
  type Refusal,
  type ReturnAddress,
} from "../platform.ts";
import {
  PDD_AFTER_SALES_STATUS,
  PDD_ALL,
  type PDD_DETAIL_TYPES,
  type PDD_LIST_TYPES,
  PDD_MAX_PAGE_SIZE,
  PDD_MAX_WINDOW_MS,
  PDD_NOT_FOUND_SUB_CODE,
  PDD_ROUTER_PATH,
  type PddAfterSalesStatus,
  type PddAppCredentials,
  parsePddTime,
  pddFen,
  pddYuan,
  signedPddParams,
} from "./protocol.ts";

/**
 * Pinduoduo (拼多多) adapter: after-sales requests from pdd.refund.list.increment.get (30-minute windows,
 * pages of at most 100), single requests from pdd.refund.information.get, orders from
 * pdd.order.number.list.increment.get / pdd.order.information.get, and the merchant's decisions through
 * pdd.refund.agree and pdd.refund.returngoods.agree.
 *
 * What PDD's open platform does not offer, and how this adapter answers:
 * - No call refuses (驳回) a request: refuseRefund throws PlatformRejectedError PDD_NO_REFUSE_API saying to
 *   refuse in the PDD merchant backend (拼多多商家后台). Nothing is sent.
 * - No call confirms receipt of a return: agreeing the refund after the return arrived is the confirmation.
 *   confirmReceipt only checks that PDD shows the return as shipped (else invalid_state), and sends nothing.
 * - pdd.refund.agree refunds what the buyer asked for; agreeRefund refuses a different amount rather than
 *   refund the wrong sum (AMOUNT_MISMATCH).
 * - pdd.refund.returngoods.agree takes an id from the merchant's PDD return-address book (退货地址库): the
 *   address's `addressId` when we have it, else the book entry with the same phone and address; none is
 *   RETURN_ADDRESS_MISSING (the decision flow retries it once the merchant has added the address in PDD).
 *
 * Failures: no answer, 5xx, PDD's "busy" codes or an answer that is not PDD's JSON → ChannelUnavailableError
 * (outcome unknown); PDD's error envelope → PlatformRejectedError `PDD_<code>` (kind `auth` for sign, client
 * and token errors). Responses carry no signature, so their shape is all that can be checked.
 *
 * Unknown codes: a status or type code outside the documented tables is an AppError (PLATFORM_UNKNOWN_STATUS /
 * PLATFORM_UNKNOWN_TYPE) naming the request, never a guessed state — a guess could let automatic review
 * decide a request the platform already settled. Like an unknown Taobao status, it stops the pull and the
 * sync records why. Repair requests (维修) have no case type here and are left out of pulls (getAftersale
 * says so with PLATFORM_NOT_A_CASE).
 *
 * Money: the list and order APIs give 元 as decimal text ("1.00", 订单金额（元）), the detail API gives 分 as
 * whole numbers (refund_amount 100) — both become exact integer 分. 极速退款 (speed refund: PDD has already
 * paid the buyer) is kept in `raw` and named in `description`.
 */

export const PDD_CREDENTIAL_FIELDS = ["client_id", "client_secret", "access_token"] as const;

/** after_sales_status → our state. Every documented code (0–33) is here; 3 needs the return's tracking number. */
const STATUS_STATES: Record<
  PddAfterSalesStatus,
  { state: PlatformState; withReturnTracking?: PlatformState }
> = {
  0: { state: "cancelled" }, // 无售后: nothing open
  2: { state: "requested" }, // 买家申请退款，待商家处理
  // 退货退款，待商家处理: a return request awaiting the decision, or — once the buyer sent the goods back
  // (the record carries the return's tracking number) — awaiting the merchant's receipt and refund.
  3: { state: "requested", withReturnTracking: "return_shipped" },
  4: { state: "refunding" }, // 商家同意退款，退款中
  5: { state: "refunding" }, // 平台同意退款，退款中
  6: { state: "refused" }, // 驳回退款，待买家处理: the buyer may change it or escalate
  7: { state: "awaiting_return" }, // 已同意退货退款,待用户发货
  8: { state: "intervened" }, // 平台处理中
  9: { state: "cancelled" }, // 平台拒绝退款，退款关闭
  10: { state: "refunded" }, // 退款成功
  11: { state: "cancelled" }, // 买家撤销
  12: { state: "cancelled" }, // 买家逾期未处理，退款失败
  13: { state: "cancelled" }, // 买家逾期，超过有效期
  14: { state: "requested" }, // 换货补寄待商家处理
  15: { state: "awaiting_return" }, // 换货补寄待用户处理: waiting on the buyer (an exchange: the old item back)
  16: { state: "completed" }, // 换货补寄成功
  17: { state: "cancelled" }, // 换货补寄失败
  18: { state: "completed" }, // 换货补寄待用户确认完成: the merchant's part is done
  21: { state: "requested" }, // 待商家同意维修
  22: { state: "awaiting_return" }, // 待用户确认发货 (repair: the buyer sends the item)
  24: { state: "cancelled" }, // 维修关闭
  25: { state: "completed" }, // 维修成功
  27: { state: "completed" }, // 待用户确认收货: the merchant's part is done
  31: { state: "awaiting_return" }, // 已同意拒收退款，待用户拒收: the parcel comes back by refusal
  32: { state: "requested" }, // 补寄待商家发货: the merchant still has to act
  33: { state: "awaiting_return" }, // 待商家召回 (agreed to refund once the parcel is recalled)
};

/** A type code either names our case type, or is documented but not a case for us (with why). */
type TypeRule = { type: CaseType } | { notACase: string } | { invalid: string };

/** List after_sales_type (the request's own codes). */
const LIST_TYPES: Record<keyof typeof PDD_LIST_TYPES, TypeRule> = {
  1: { invalid: "1 (全部) is a filter value, never a request's type" },
  2: { type: "refund_only" },
  3: { type: "return_refund" },
  4: { type: "exchange" },
  5: { type: "reship" }, // 缺货补寄
  6: { notACase: "repair requests (维修) are handled in the PDD merchant backend" },
};
/** Detail after_sales_type (pdd.refund.information.get numbers them differently). */
const DETAIL_TYPES: Record<keyof typeof PDD_DETAIL_TYPES, TypeRule> = {
  1: { type: "refund_only" },
  2: { type: "return_refund" },
  3: { type: "exchange" },
  4: { type: "reship" },
  5: { notACase: "repair requests (维修) are handled in the PDD merchant backend" },
};

/**
 * The buyer's reason text → our reason, first match wins (PDD sends free text such as 不想要了,
 * 多拍/拍错/不想要, 商品破损/已变质). Order matters: the specific before the general.
 */
export const PDD_REASONS: readonly (readonly [fragment: string, reason: ReasonCode])[] = [
  ["七天无理由", "changed_mind"],
  ["不想要", "changed_mind"],
  ["多拍", "changed_mind"],
  ["拍错", "changed_mind"],
  ["发错货", "wrong_item"],
  ["错发", "wrong_item"],
  ["少件", "missing_item"],
  ["漏发", "missing_item"],
  ["空包裹", "missing_item"],
  ["变质", "spoiled"],
  ["发霉", "spoiled"],
  ["腐烂", "spoiled"],
  ["破损", "damaged"],
  ["无跟踪记录", "logistics_lost"],
  ["丢件", "logistics_lost"],
  ["一直未送到", "logistics_delay"],
  ["未按约定时间发货", "logistics_delay"],
  ["延迟发货", "logistics_delay"],
  ["未收到货", "not_received"],
  ["尺码", "size_fit"],
  ["描述不符", "not_as_described"],
  ["假冒", "not_as_described"],
  ["质量问题", "quality"],
  ["瑕疵", "quality"],
];

export function pddReason(text: string | undefined): ReasonCode {
  const t = text ?? "";
  return PDD_REASONS.find(([fragment]) => t.includes(fragment))?.[1] ?? "other";
}

/** speed_refund_status: "1" 有极速退款资格, "2" 极速退款失败, "3" 极速退款成功 (anything else: none). */
const SPEED_REFUND_TAGS: Record<string, string> = {
  "1": "极速退款资格 — eligible for PDD speed refund",
  "2": "极速退款失败 — PDD's speed refund failed",
  "3": "极速退款成功 — PDD has already refunded the buyer",
};

/** Order 发货状态: 1 待发货, 2 已发货待签收, 3 已签收. */
const SHIPPING_STATUSES: Record<string, LogisticsStatus> = {
  "1": "unshipped",
  "2": "shipped",
  "3": "delivered",
};

// --- Parsing ------------------------------------------------------------------------------------------

type Raw = Record<string, unknown>;
export type PddParsed = { case: PlatformCase } | { notACase: string };

const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
  typeof v === "string"
    ? v.trim() === ""
      ? undefined
      : v.trim()
    : typeof v === "number"
      ? String(v)
      : undefined;
const bad = (message: string, details: Record<string, unknown> = {}) =>
  new AppError("PLATFORM_BAD_RESPONSE", message, { platform: "pdd", ...details });

function idOf(v: unknown, field: string): string {
  const id = text(v);
  if (!id) throw bad(`PDD sent a request without ${field}`, { field });
  return id;
}

function code(v: unknown): number | undefined {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

function stateOf(
  status: unknown,
  hasReturnTracking: boolean,
  id: string,
): { state: PlatformState; name: string } {
  const c = code(status);
  const rule = c === undefined ? undefined : STATUS_STATES[c as PddAfterSalesStatus];
  if (c === undefined || !rule) {
    throw new AppError(
      "PLATFORM_UNKNOWN_STATUS",
      `PDD after-sales ${id} has status ${JSON.stringify(status)}, which is not in PDD's documented after_sales_status table; it was not guessed`,
      { platform: "pdd", externalId: id, status },
    );
  }
  const state = hasReturnTracking && rule.withReturnTracking ? rule.withReturnTracking : rule.state;
  return { state, name: `${c} ${PDD_AFTER_SALES_STATUS[c as PddAfterSalesStatus]}` };
}

function typeOf(
  rules: Record<number, TypeRule>,
  value: unknown,
  id: string,
): { type: CaseType } | { notACase: string } {
  const c = code(value);
  const rule = c === undefined ? undefined : rules[c];
  if (!rule || "invalid" in rule) {
    throw new AppError(
      "PLATFORM_UNKNOWN_TYPE",
      `PDD after-sales ${id} has type ${JSON.stringify(value)}${rule ? `: ${rule.invalid}` : ", which is not a documented after_sales_type"}`,
      { platform: "pdd", externalId: id, type: value },
    );
  }
  return rule;
}

function quantity(v: unknown): number | undefined {
  const n = code(v);
  return n !== undefined && n > 0 ? n : undefined;
}

function describe(raw: Raw): string | undefined {
  const tags: string[] = [];
  if (code(raw.speed_refund_flag) === 1) tags.push("极速退款 — speed refund");
  const speed = text(raw.speed_refund_status);
  if (speed && SPEED_REFUND_TAGS[speed]) tags.push(SPEED_REFUND_TAGS[speed]);
  if (code(raw.dispute_refund_status) === 1) tags.push("纠纷退款 — disputed refund");
  const remark = text(raw.remark);
  if (remark) tags.push(remark);
  return tags.length > 0 ? tags.join(" · ") : undefined;
}

/** One record of pdd.refund.list.increment.get (amounts in 元, times in UNIX seconds or Beijing text). */
// No deadline: pdd.refund.list.increment.get and pdd.refund.information.get publish no merchant deadline
// field that we could find (PDD shows its 倒计时 only in the merchant backend), so PDD cases keep the rules' SLA.
export function parsePddListRecord(raw: unknown): PddParsed {
  if (!isObject(raw)) throw bad("PDD sent an after-sales record that is not an object");
  const id = idOf(raw.id, "id");
  const kind = typeOf(LIST_TYPES, raw.after_sales_type, id);
  const trackingNo = text(raw.tracking_number);
  const { state, name } = stateOf(raw.after_sales_status, trackingNo !== undefined, id);
  if ("notACase" in kind) return kind;
  const reasonText = text(raw.after_sale_reason);
  const createdAt = parsePddTime(raw.created_time, "created_time");
  const updatedAt = parsePddTime(raw.updated_time, "updated_time") ?? createdAt;
  if (!createdAt || !updatedAt) throw bad(`PDD after-sales ${id} has no created_time`, { externalId: id });
  const qty = quantity(raw.goods_number);
  const skuId = text(raw.sku_id);
  const description = describe(raw);
  return {
    case: {
      externalId: id,
      orderExternalId: idOf(raw.order_sn, "order_sn"),
      type: kind.type,
      reason: pddReason(reasonText),
      ...(reasonText ? { reasonText } : {}),
      state,
      platformStatus: name,
      requestedAmount: raw.refund_amount === undefined ? null : pddYuan(raw.refund_amount, "refund_amount"),
      currency: "CNY",
      items: qty
        ? [{ ...(skuId ? { lineExternalId: skuId } : {}), sku: text(raw.outer_id) ?? skuId, quantity: qty }]
        : [],
      ...(trackingNo ? { returnTracking: { carrier: text(raw.shipping_name) ?? "", trackingNo } } : {}),
      ...(description ? { description } : {}),
      createdAt,
      updatedAt,
      raw,
    },
  };
}

/** The pdd.refund.information.get answer (amounts in 分, times in epoch milliseconds). */
export function parsePddDetail(raw: unknown): PddParsed {
  if (!isObject(raw)) throw bad("PDD sent an after-sales detail that is not an object");
  const id = idOf(raw.id, "id");
  const kind = typeOf(DETAIL_TYPES, raw.after_sales_type, id);
  const trackingNo = text(raw.express_no);
  const { state, name } = stateOf(raw.after_sales_status, trackingNo !== undefined, id);
  if ("notACase" in kind) return kind;
  const reasonText = text(raw.after_sales_reason);
  const createdAt = parsePddTime(raw.recreated_at, "recreated_at");
  if (!createdAt) throw bad(`PDD after-sales ${id} has no recreated_at`, { externalId: id });
  const updatedAt = (() => {
    try {
      return parsePddTime(raw.updated_time, "updated_time") ?? createdAt;
    } catch {
      return createdAt; // the page documents updated_time as free text ("str"); an unreadable one is not fatal
    }
  })();
  const qty = quantity(raw.goods_number);
  const skuId = text(raw.sku_id);
  const description = describe(raw);
  return {
    case: {
      externalId: id,
      orderExternalId: idOf(raw.order_sn, "order_sn"),
      type: kind.type,
      reason: pddReason(reasonText),
      ...(reasonText ? { reasonText } : {}),
      state,
      platformStatus: name,
      requestedAmount: raw.refund_amount === undefined ? null : pddFen(raw.refund_amount, "refund_amount"),
      currency: "CNY",
      items: qty ? [{ ...(skuId ? { lineExternalId: skuId, sku: skuId } : {}), quantity: qty }] : [],
      ...(trackingNo ? { returnTracking: { carrier: text(raw.shipping_name) ?? "", trackingNo } } : {}),
      ...(description ? { description } : {}),
      createdAt,
      updatedAt,
      raw,
    },
  };
}

/** One order (pdd.order.information.get order_info or an increment record), amounts in 元. */
export function parsePddOrder(raw: unknown, shop: string): OrderInput {
  if (!isObject(raw)) throw bad("PDD sent an order that is not an object");
  const orderSn = idOf(raw.order_sn, "order_sn");
  const items = Array.isArray(raw.item_list) ? raw.item_list : [];
  if (items.length === 0) throw bad(`PDD order ${orderSn} has no item_list`, { externalId: orderSn });
  const lines = items.map((it: unknown, i) => {
    if (!isObject(it)) throw bad(`PDD order ${orderSn}: item ${i + 1} is not an object`);
    const qty = quantity(it.goods_count);
    if (!qty) throw bad(`PDD order ${orderSn}: item ${i + 1} has no goods_count`, { externalId: orderSn });
    const skuId = idOf(it.sku_id, "sku_id");
    return {
      externalId: skuId,
      sku: text(it.outer_id) ?? skuId,
      title: text(it.goods_name) ?? skuId,
      quantity: qty,
      unitPrice: pddYuan(it.goods_price, "goods_price"),
    };
  });
  const postage = raw.postage === undefined ? 0 : pddYuan(raw.postage, "postage");
  const payAmount = pddYuan(raw.pay_amount, "pay_amount");
  const gross = lines.reduce((s, l) => s + l.unitPrice * l.quantity, 0);
  const totalDiscount = gross - (payAmount - postage);
  const platformDiscount =
    raw.platform_discount === undefined ? 0 : pddYuan(raw.platform_discount, "platform_discount");
  const sellerDiscount =
    raw.seller_discount === undefined ? 0 : pddYuan(raw.seller_discount, "seller_discount");
  const rest = totalDiscount - platformDiscount - sellerDiscount;
  if (totalDiscount < 0 || rest < 0) {
    throw bad(
      `PDD order ${orderSn}: pay_amount ${formatMinor(payAmount, "CNY")} does not follow from goods, discounts and postage`,
      { externalId: orderSn },
    );
  }
  const discounts = [
    { kind: "platform", name: "平台优惠", amount: platformDiscount },
    { kind: "seller", name: "店铺优惠", amount: sellerDiscount },
    { kind: "other", name: "改价/团长免单", amount: rest },
  ]
    .filter((d) => d.amount > 0)
    .map((d) => ({ ...d, amount: formatMinor(d.amount, "CNY") }));
  const trackingNo = text(raw.tracking_number);
  const shippedAt = parsePddTime(raw.shipping_time, "shipping_time");
  const signedAt = parsePddTime(raw.receive_time, "receive_time");
  const placedAt = parsePddTime(raw.created_time, "created_time");
  const paidAt = parsePddTime(raw.pay_time, "pay_time");
  const status = SHIPPING_STATUSES[text(raw.order_status) ?? ""];
  const payNo = text(raw.pay_no);
  return {
    shop,
    externalId: orderSn,
    currency: "CNY",
    ...(placedAt ? { placedAt } : {}),
    ...(paidAt ? { paidAt } : {}),
    lines: lines.map((l) => ({ ...l, unitPrice: formatMinor(l.unitPrice, "CNY") })),
    ...(discounts.length > 0 ? { discounts } : {}),
    shippingFee: formatMinor(postage, "CNY"),
    payments: [
      {
        // PDD holds the buyer's money whatever they paid with (pay_type WEIXIN, ALIPAY…): a refund is
        // agreed on PDD (pdd.refund.agree), never sent through WeChat Pay or Alipay by the merchant.
        tender: "platform",
        amount: formatMinor(payAmount, "CNY"),
        ...(payNo ? { transactionId: payNo } : {}),
      },
    ],
    ...(trackingNo
      ? {
          shipments: [
            {
              carrier: text(raw.logistics_id) ?? "",
              trackingNo,
              ...(status ? { status } : {}),
              ...(shippedAt ? { shippedAt } : {}),
              ...(signedAt ? { signedAt } : {}),
            },
          ],
        }
      : {}),
  };
}

// --- Wire ---------------------------------------------------------------------------------------------

/** JSON.parse that keeps integers beyond 2^53 (PDD ids are LONG) as their exact digits. */
export function parseJsonExact(body: string): unknown {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
      ? context.source
      : value;
  return JSON.parse(body, reviver as (key: string, value: unknown) => unknown);
}

function credentialsOf(c: PlatformCredentials): PddAppCredentials {
  const missing = PDD_CREDENTIAL_FIELDS.filter((f) => !c[f]);
  if (missing.length > 0) {
    throw new PlatformRejectedError("auth", "CREDENTIALS_INCOMPLETE", `PDD needs ${missing.join(", ")}`);
  }
  return {
    clientId: c.client_id as string,
    clientSecret: c.client_secret as string,
    accessToken: c.access_token as string,
  };
}

/** Error codes (返回错误码说明) that say the credentials are wrong or expired. */
const AUTH_CODES = [10016, 10019, 20004, 20031, 20032];
/** Error codes that say PDD is busy or broken: the call may or may not have happened. */
const UNAVAILABLE_CODES = [50000, 50002, 52001, 52002, 52101, 52102, 52103, 70031, 70033];

/** PDD's error envelope as a typed failure: unknown outcome, wrong credentials, or a business refusal. */
function pddFailure(type: string, err: Raw): Error {
  const n = code(err.error_code);
  const subCode = text(err.sub_code);
  const what = `${type}: ${text(err.error_code) ?? "?"} ${text(err.error_msg) ?? ""}${text(err.sub_msg) ? ` (${text(err.sub_msg)})` : ""}`;
  if (n !== undefined && UNAVAILABLE_CODES.includes(n)) {
    return new ChannelUnavailableError("pdd", "http", `${what}; outcome unknown`);
  }
  const id = `PDD_${subCode && subCode !== String(n) ? subCode : (n ?? "ERROR")}`;
  return new PlatformRejectedError(n !== undefined && AUTH_CODES.includes(n) ? "auth" : "rejected", id, what);
}
/** What PDD answers for an order or after-sales id that is not this shop's or does not exist. */
const NOT_FOUND = `PDD_${PDD_NOT_FOUND_SUB_CODE}`;
const isNotFound = (e: unknown) => e instanceof PlatformRejectedError && e.code === NOT_FOUND;

/**
 * One signed call; answers the documented root object. Throws ChannelUnavailableError when the outcome is
 * unknown (no answer, 5xx, an answer that is not PDD's JSON) and PlatformRejectedError when PDD refused.
 */
export function pddCaller(creds: PddAppCredentials, opts: ConnectOptions) {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const url = base.endsWith(PDD_ROUTER_PATH) ? base : base + PDD_ROUTER_PATH;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? (() => new Date());
  return async (type: string, business: Record<string, unknown>, root: string | null): Promise<Raw> => {
    const params = signedPddParams(creds, type, business, now().getTime());
    const { status, text: body } = await channelFetch("pdd", type, url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
      body: new URLSearchParams(params).toString(),
      timeoutMs,
    });
    const res = { status };
    if (res.status >= 500) {
      throw new ChannelUnavailableError("pdd", "http", `${type}: HTTP ${res.status}; outcome unknown`, {
        httpStatus: res.status,
      });
    }
    let json: unknown;
    try {
      json = parseJsonExact(body);
    } catch {
      json = undefined;
    }
    if (!isObject(json)) {
      throw new ChannelUnavailableError(
        "pdd",
        "untrusted_response",
        `${type}: the answer is not a JSON object (HTTP ${res.status}): ${JSON.stringify(body.slice(0, 80))}`,
        { httpStatus: res.status },
      );
    }
    if (isObject(json.error_response)) throw pddFailure(type, json.error_response);
    if (root === null) {
      // pdd.refund.information.get documents its fields at the top level; accept a *_response wrapper too.
      const keys = Object.keys(json);
      const only = keys.length === 1 ? json[keys[0] as string] : undefined;
      return keys.length === 1 && keys[0]?.endsWith("_response") && isObject(only) ? only : json;
    }
    const inner = json[root];
    if (!isObject(inner)) {
      throw new ChannelUnavailableError("pdd", "untrusted_response", `${type}: the answer has no ${root}`, {
        httpStatus: res.status,
      });
    }
    return inner;
  };
}

function checkWindow(window: PullWindow) {
  const span = window.to.getTime() - window.from.getTime();
  if (!(span > 0)) {
    throw new AppError("PLATFORM_WINDOW_INVALID", "A pull window must end after it starts", {
      platform: "pdd",
    });
  }
  if (span > PDD_MAX_WINDOW_MS) {
    throw new AppError(
      "PLATFORM_WINDOW_TOO_LONG",
      `PDD answers windows of at most 30 minutes; this one is ${Math.ceil(span / 60000)} minutes`,
      { platform: "pdd", maxWindowMs: PDD_MAX_WINDOW_MS },
    );
  }
  // Seconds, both ends inclusive on PDD's side: the next window repeats the boundary second, which is
  // harmless because cases are ingested by id.
  return { start: Math.floor(window.from.getTime() / 1000), end: Math.ceil(window.to.getTime() / 1000) };
}

function pageOf(cursor: string | null): number {
  if (cursor === null) return 1;
  if (!/^\d{1,6}$/.test(cursor) || Number(cursor) < 1) {
    throw new AppError("PLATFORM_CURSOR_INVALID", `"${cursor}" is not a PDD page cursor`, {
      platform: "pdd",
    });
  }
  return Number(cursor);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function connectPdd(credentials: PlatformCredentials, options: ConnectOptions): PlatformClient {
  const creds = credentialsOf(credentials);
  const call = pddCaller(creds, options);
  const shop = options.shop ?? credentials.shop ?? "pdd";
  const bookAddressId = (address: ReturnAddress) => bookAddressIdOf(call, address);

  const detail = async (ref: PlatformRef): Promise<PlatformCase | null> => {
    let raw: Raw;
    try {
      raw = await call(
        "pdd.refund.information.get",
        { after_sales_id: ref.externalId, order_sn: ref.orderExternalId },
        null,
      );
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const parsed = parsePddDetail(raw);
    if ("notACase" in parsed) {
      throw new AppError("PLATFORM_NOT_A_CASE", `PDD after-sales ${ref.externalId}: ${parsed.notACase}`, {
        platform: "pdd",
        externalId: ref.externalId,
      });
    }
    return parsed.case;
  };
  const current = async (ref: PlatformRef): Promise<PlatformCase> => {
    const found = await detail(ref);
    if (!found) {
      throw new PlatformRejectedError(
        "invalid_state",
        NOT_FOUND,
        `PDD does not know after-sales ${ref.externalId} on order ${ref.orderExternalId}`,
      );
    }
    return found;
  };
  const decide = async (type: string, request: Record<string, unknown>) => {
    const res = await call(type, { request }, "response");
    // pdd.refund.agree answers result.succ; pdd.refund.returngoods.agree answers success and result.success.
    const result = isObject(res.result) ? res.result : {};
    const ok =
      result.succ === true || result.success === true || (res.success === true && result.success !== false);
    if (!ok) {
      throw new PlatformRejectedError(
        "rejected",
        "PDD_DECISION_REFUSED",
        `${type}: PDD refused: ${text(result.message) ?? text(res.error_msg) ?? "no reason given"}`,
      );
    }
  };

  return {
    async pullAftersales(window: PullWindow, cursor: string | null): Promise<Page<PlatformCase>> {
      const { start, end } = checkWindow(window);
      const page = pageOf(cursor);
      const res = await call(
        "pdd.refund.list.increment.get",
        {
          after_sales_status: PDD_ALL,
          after_sales_type: PDD_ALL,
          start_updated_at: start,
          end_updated_at: end,
          page,
          page_size: PDD_MAX_PAGE_SIZE,
        },
        "refund_increment_get_response",
      );
      const records = list(res.refund_list);
      const total = code(res.total_count);
      if (total === undefined) throw bad("PDD pdd.refund.list.increment.get: the answer has no total_count");
      const items: PlatformCase[] = [];
      for (const r of records) {
        const parsed = parsePddListRecord(r);
        if ("case" in parsed) items.push(parsed.case);
      }
      return {
        items,
        next: page * PDD_MAX_PAGE_SIZE < total && records.length > 0 ? String(page + 1) : null,
      };
    },

    async pullOrders(window: PullWindow, cursor: string | null): Promise<Page<OrderInput>> {
      const { start, end } = checkWindow(window);
      const page = pageOf(cursor);
      const res = await call(
        "pdd.order.number.list.increment.get",
        {
          is_lucky_flag: 0, // 0 全部
          order_status: 5, // 5 全部
          refund_status: 5, // 5 全部
          start_updated_at: start,
          end_updated_at: end,
          page,
          page_size: PDD_MAX_PAGE_SIZE,
          use_has_next: true,
        },
        "order_sn_increment_get_response",
      );
      return {
        items: list(res.order_sn_list).map((o) => parsePddOrder(o, shop)),
        next: res.has_next === true ? String(page + 1) : null,
      };
    },

    getAftersale: detail,

    async getOrder(orderExternalId: string): Promise<OrderInput | null> {
      let res: Raw;
      try {
        res = await call(
          "pdd.order.information.get",
          { order_sn: orderExternalId },
          "order_info_get_response",
        );
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
      return isObject(res.order_info) ? parsePddOrder(res.order_info, shop) : null;
    },

    async agreeRefund(ref: PlatformRef, amount: number): Promise<void> {
      const c = await current(ref);
      if (c.requestedAmount !== null && c.requestedAmount !== amount) {
        throw new PlatformRejectedError(
          "rejected",
          "AMOUNT_MISMATCH",
          `PDD refunds what the buyer asked for (${formatMinor(c.requestedAmount, "CNY")}); it cannot refund ${formatMinor(amount, "CNY")} — agree a different amount with the buyer in PDD first`,
        );
      }
      await decide("pdd.refund.agree", {
        after_sales_id: ref.externalId,
        order_sn: ref.orderExternalId,
        operate_desc: "同意退款",
      });
    },

    async refuseRefund(ref: PlatformRef, _refusal: Refusal): Promise<void> {
      throw new PlatformRejectedError(
        "rejected",
        "PDD_NO_REFUSE_API",
        `PDD's open platform has no call to refuse (驳回) after-sales ${ref.externalId}; refuse it in the PDD merchant backend (拼多多商家后台)`,
      );
    },

    async agreeReturn(ref: PlatformRef, address: ReturnAddress): Promise<void> {
      const addressId = address.addressId ?? (await bookAddressId(address));
      await decide("pdd.refund.returngoods.agree", {
        after_sales_id: ref.externalId,
        order_sn: ref.orderExternalId,
        return_address_id: addressId,
        operate_desc: `请退回至 ${address.name} ${address.phone} ${address.address}`,
      });
    },

    async confirmReceipt(ref: PlatformRef): Promise<void> {
      // PDD has no receipt call: pdd.refund.agree after the goods are back is the confirmation.
      const c = await current(ref);
      if (c.state !== "return_shipped") {
        throw new PlatformRejectedError(
          "invalid_state",
          "NOT_RETURNED",
          `PDD shows after-sales ${ref.externalId} as "${c.platformStatus}", not as a return on its way to the merchant`,
        );
      }
    },
  };
}

/** The PDD return-address book's id for this address (matched on phone and normalised address). */
async function bookAddressIdOf(call: ReturnType<typeof pddCaller>, address: ReturnAddress): Promise<string> {
  const book = await call("pdd.refund.address.list.get", {}, "refund_address_list_get_response");
  const want = addressKey(address.address);
  const match = list(book.refund_address_list).find((a) => {
    if (!isObject(a)) return false;
    const full = [a.province_name, a.city_name, a.district_name, a.refund_address]
      .map((p) => text(p) ?? "")
      .join("");
    const street = text(a.refund_address) ?? "";
    return (
      text(a.refund_phone) === address.phone.trim() &&
      (addressKey(full) === want || addressKey(street) === want)
    );
  });
  const addressId = isObject(match) ? (text(match.id) ?? text(match.refund_address_id)) : undefined;
  if (!addressId) {
    // The decision flow retries this code: the merchant adds the address in PDD, the next try succeeds.
    throw new AppError(
      "RETURN_ADDRESS_MISSING",
      `PDD takes return addresses from the shop's return-address book (退货地址库); add "${address.address}" (${address.phone}) there first`,
      { platform: "pdd" },
    );
  }
  return addressId;
}

/** PDD's production router origin; a shop's `gateway` credential (a simulator) overrides it. */
export const PDD_PRODUCTION_GATEWAY = "https://gw-api.pinduoduo.com";

export const pddAdapter: PlatformAdapter = {
  channel: "pdd",
  credentialFields: PDD_CREDENTIAL_FIELDS,
  baseUrl: PDD_PRODUCTION_GATEWAY,
  // A second short of PDD's 30 minutes: the window goes out in whole seconds (start rounded down, end
  // up), so a window starting mid-second would otherwise ask for 30 minutes and a second and be refused.
  limits: { maxWindowMs: PDD_MAX_WINDOW_MS - 1000, pageSize: PDD_MAX_PAGE_SIZE },
  connect: (credentials, options) => connectPdd(credentials, options),
};
