import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import { AppError } from "../../../domain/errors.ts";
import { formatMinor } from "../../../domain/money.ts";
import type { LogisticsStatus, OrderInput } from "../../../domain/order.ts";
import type { RejectReasonCode } from "../../../domain/rules/actions.ts";
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
  refusalCode,
} from "../platform.ts";
import {
  formatJdTime,
  JD_MAX_PAGE_INDEX,
  JD_MAX_PAGE_SIZE,
  JD_REFUND_APPLY_STATUS,
  JD_REJECT_OTHER,
  JD_REPLY,
  JD_ROUTER_PATH,
  type JdAppCredentials,
  type JdRefundApplyStatus,
  jdFen,
  jdRoot,
  jdYuan,
  parseJdJson,
  parseJdTime,
  signedJdParams,
} from "./protocol.ts";

/**
 * JD (京东) adapter over two lists that JD keeps apart:
 *
 * 1. 退款审核单 — refunds asked for before shipment (取消订单): jingdong.pop.afs.soa.refundapply.queryPageList
 *    (pageIndex 1–100, pageSize 1–50, filtered by apply time or check time, `ids` for one) and the
 *    merchant's audit jingdong.pop.afs.soa.refundapply.replyRefund (1 审核通过 / 2 审核不通过).
 *    externalId "refundapply:<id>". applyRefundSum is in 分.
 * 2. 售后服务单 — after-sales service orders (退货/换货/…): jingdong.asc.sync.list (by update time) and
 *    jingdong.asc.query.list (`serviceId` for one). externalId "asc:<serviceId>".
 *
 * Money is not the audit: 京东财务审核通过 (3) is JD's finance approving the refund, not the money being back
 * with the buyer, and an audit time is not a refund time. Every "approved" refund-apply status is therefore
 * `refunding`, never `refunded`; the fund leg has to come from JD's refund records
 * (jingdong.b2c.shop.aftersales.refund.get, actualRefundAmount in 元), which this adapter does not read yet.
 * The refund-apply list has no "modified" filter: a change that is not an audit (3, 7, 8…) is seen through
 * getAftersale, not through the window pulls.
 *
 * Service orders: the serviceStatus and customerExpect code tables are NOT verified against JD's own
 * documentation (channels.md flags the serviceStatus table as a gap). Only the few codes whose meaning is
 * the same in every copy we found are mapped; any other code is an AppError naming it
 * (PLATFORM_UNKNOWN_STATUS), never a guessed state. JD's service-order decisions (jingdong.asc.audit.*,
 * jingdong.asc.receive.register) take coded inputs we could not verify either, so every decision on a
 * service order throws PlatformRejectedError JD_ASC_DECISION_UNSUPPORTED (decide it in 京麦), and returns —
 * which only service orders have — are NO_RETURN on a refund-apply.
 *
 * Failures: no answer, 5xx, code 2 (call limit) or an answer that is not JOS JSON → ChannelUnavailableError;
 * the gateway's error_response, a non-"0" root code or `success: false` → PlatformRejectedError `JD_<code>`
 * (kind `auth` for 11/12/19). A refusal needs no note: JD's required remark defaults to 商家拒绝退款.
 */

export const JD_CREDENTIAL_FIELDS = ["app_key", "app_secret", "access_token", "vender_id"] as const;
/** Our choice, not JD's: refundapply has no documented window limit but at most 100 pages of 50. */
export const JD_MAX_WINDOW_MS = 60 * 60 * 1000;

/** refundapply status → our state, every documented code (0–9). */
const REFUND_APPLY_STATES: Record<JdRefundApplyStatus, PlatformState> = {
  0: "requested", // 未审核
  1: "refunding", // 审核通过: JD refunds next
  2: "refused", // 审核不通过
  3: "refunding", // 京东财务审核通过: finance approved — NOT the money back (see above)
  4: "intervened", // 京东财务审核不通过: JD's finance stopped it; someone has to look
  5: "refunding", // 人工审核通过
  6: "refunding", // 拦截并退款: the parcel is intercepted and refunded
  7: "refunding", // 青龙拦截成功: JD logistics intercepted it; the refund follows
  8: "intervened", // 青龙拦截失败: the parcel goes on to the buyer; followed up outside this API
  9: "refunding", // 强制关单并退款
};

/**
 * asc serviceStatus → our state. UNVERIFIED: taken from integrators' copies of the JD documentation
 * (e.g. "10001-待审核 … 10004-审核关闭 … 10010-完成 10011-取消"), not from JD's pages; codes those copies
 * disagree on (10002, 10005, 10007, …) are deliberately absent. Verify against open.jd.com before adding.
 */
const ASC_STATES: Record<number, { state: PlatformState; name: string }> = {
  10001: { state: "requested", name: "待审核" },
  10004: { state: "cancelled", name: "审核关闭" },
  10010: { state: "completed", name: "完成" },
  10011: { state: "cancelled", name: "取消" },
};

/**
 * asc customerExpect → case type. UNVERIFIED, same sources: "10-退货 20-换货 30-维修 … 80-补发商品 … 11-仅退款".
 * 维修 and the appliance services (30–70, 90, 100) are not cases here.
 */
const ASC_TYPES: Record<number, { type: CaseType } | { notACase: string }> = {
  10: { type: "return_refund" },
  11: { type: "refund_only" },
  20: { type: "exchange" },
  80: { type: "reship" },
  30: { notACase: "repair (维修)" },
  40: { notACase: "appliance installation (大家电安装)" },
  50: { notACase: "appliance relocation (大家电移机)" },
  60: { notACase: "appliance add-on service (大家电增值服务)" },
  70: { notACase: "on-site repair (上门维修)" },
  90: { notACase: "fresh-produce compensation (优鲜赔)" },
  100: { notACase: "trial recall (试用收回)" },
};

/**
 * Our rejection reason → replyRefund `rejectType`. The refund-apply list is cancel-before-ship (未发货退款),
 * and JD's types 1–4 and 6 name warehouse/logistics situations (already out of the warehouse, and the
 * like) whose exact wording we could not find published, so none of our reasons is mapped to them yet:
 * every refusal goes as 5 其他 with our text as the remark. Add a line here once the table is verified.
 */
export const JD_REFUSE_REASONS: Readonly<Partial<Record<RejectReasonCode, number>>> = {};

/** Cancel-before-ship reasons (free text) → our reason, first match wins. */
export const JD_REASONS: readonly (readonly [fragment: string, reason: ReasonCode])[] = [
  ["不想", "changed_mind"],
  ["买错", "changed_mind"],
  ["拍错", "changed_mind"],
  ["多买", "changed_mind"],
  ["重复下单", "changed_mind"],
  ["发货慢", "logistics_delay"],
  ["未按约定时间发货", "logistics_delay"],
  ["配送", "logistics_delay"],
  ["发错", "wrong_item"],
  ["破损", "damaged"],
  ["质量", "quality"],
  ["描述不符", "not_as_described"],
];

export function jdReason(text: string | undefined): ReasonCode {
  const t = text ?? "";
  return JD_REASONS.find(([fragment]) => t.includes(fragment))?.[1] ?? "other";
}

/** Order states (orderState) → where the parcel is. */
const ORDER_PARCEL: Record<string, LogisticsStatus> = {
  WAIT_GOODS_RECEIVE_CONFIRM: "shipped",
  FINISHED_L: "delivered",
};

type Raw = Record<string, unknown>;
export type JdParsed = { case: PlatformCase } | { notACase: string };

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
  new AppError("PLATFORM_BAD_RESPONSE", message, { platform: "jd", ...details });
const int = (v: unknown): number | undefined => {
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) ? n : undefined;
};
function required(v: unknown, field: string): string {
  const t = text(v);
  if (!t) throw bad(`JD sent a record without ${field}`, { field });
  return t;
}

export const REFUND_APPLY_PREFIX = "refundapply:";
export const ASC_PREFIX = "asc:";

/** One refund-apply record (RefundApplyVo): id, orderId, status, applyRefundSum (分), reason, applyTime, checkTime. */
// No deadline: neither the refund-apply record nor the service order carries a merchant deadline field in
// the JOS documents we could find, so JD cases keep the rules' SLA.
export function parseJdRefundApply(raw: unknown): PlatformCase {
  if (!isObject(raw)) throw bad("JD sent a refund-apply record that is not an object");
  const id = required(raw.id, "id");
  const status = int(raw.status);
  const state = status === undefined ? undefined : REFUND_APPLY_STATES[status as JdRefundApplyStatus];
  if (status === undefined || !state) {
    throw new AppError(
      "PLATFORM_UNKNOWN_STATUS",
      `JD refund-apply ${id} has status ${JSON.stringify(raw.status)}, which is not in JD's documented 0–9 table; it was not guessed`,
      { platform: "jd", externalId: `${REFUND_APPLY_PREFIX}${id}`, status: raw.status },
    );
  }
  const createdAt = parseJdTime(raw.applyTime, "applyTime");
  if (!createdAt) throw bad(`JD refund-apply ${id} has no applyTime`, { externalId: id });
  const checkedAt = parseJdTime(raw.checkTime, "checkTime");
  const reasonText = text(raw.reason);
  const remark = text(raw.checkRemark);
  const skus = Array.isArray(raw.skuVoList) ? raw.skuVoList.filter(isObject) : [];
  return {
    externalId: `${REFUND_APPLY_PREFIX}${id}`,
    orderExternalId: required(raw.orderId, "orderId"),
    type: "refund_only",
    reason: jdReason(reasonText),
    ...(reasonText ? { reasonText } : {}),
    state,
    platformStatus: `${status} ${JD_REFUND_APPLY_STATUS[status as JdRefundApplyStatus]}`,
    requestedAmount: raw.applyRefundSum === undefined ? null : jdFen(raw.applyRefundSum, "applyRefundSum"),
    currency: "CNY",
    items: skus.flatMap((s) => {
      const qty = int(s.skuCount);
      const sku = text(s.skuId);
      return qty && qty > 0 && sku ? [{ lineExternalId: sku, sku, quantity: qty }] : [];
    }),
    description: ["取消订单退款 — refund before shipment", ...(remark ? [`审核备注: ${remark}`] : [])].join(
      " · ",
    ),
    createdAt,
    updatedAt: checkedAt ?? createdAt,
    raw,
  };
}

/** One service order (ServiceBrief: serviceId, orderId, customerExpect, serviceStatus, skuId, serviceCount…). */
export function parseJdService(raw: unknown): JdParsed {
  if (!isObject(raw)) throw bad("JD sent a service order that is not an object");
  const id = required(raw.serviceId, "serviceId");
  const externalId = `${ASC_PREFIX}${id}`;
  const expect = int(raw.customerExpect);
  const kind = expect === undefined ? undefined : ASC_TYPES[expect];
  if (!kind) {
    throw new AppError(
      "PLATFORM_UNKNOWN_TYPE",
      `JD service order ${id} has customerExpect ${JSON.stringify(raw.customerExpect)}${text(raw.customerExpectName) ? ` (${text(raw.customerExpectName)})` : ""}, which is not a verified code`,
      { platform: "jd", externalId, customerExpect: raw.customerExpect },
    );
  }
  const status = int(raw.serviceStatus);
  const mapped = status === undefined ? undefined : ASC_STATES[status];
  if (!mapped) {
    throw new AppError(
      "PLATFORM_UNKNOWN_STATUS",
      `JD service order ${id} has serviceStatus ${JSON.stringify(raw.serviceStatus)}${text(raw.serviceStatusName) ? ` (${text(raw.serviceStatusName)})` : ""}; JD's serviceStatus table is unverified and this code is not mapped`,
      { platform: "jd", externalId, status: raw.serviceStatus },
    );
  }
  if ("notACase" in kind) return { notACase: `JD service order ${id} is a ${kind.notACase}` };
  const createdAt = parseJdTime(raw.applyTime, "applyTime");
  if (!createdAt) throw bad(`JD service order ${id} has no applyTime`, { externalId });
  const updatedAt =
    parseJdTime(raw.updateTime, "updateTime") ??
    parseJdTime(raw.processTime, "processTime") ??
    parseJdTime(raw.approveTime, "approveTime") ??
    createdAt;
  const qty = int(raw.serviceCount);
  const sku = text(raw.skuId);
  const reasonText = text(raw.questionDesc);
  return {
    case: {
      externalId,
      orderExternalId: required(raw.orderId, "orderId"),
      type: kind.type,
      reason: jdReason(reasonText),
      ...(reasonText ? { reasonText } : {}),
      state: mapped.state,
      platformStatus: `${status} ${text(raw.serviceStatusName) ?? mapped.name}`,
      requestedAmount: null, // the service list states no refund amount
      currency: "CNY",
      items: qty && qty > 0 ? [{ ...(sku ? { lineExternalId: sku, sku } : {}), quantity: qty }] : [],
      ...(text(raw.wareName) ? { description: `售后服务单 — ${text(raw.wareName)}` } : {}),
      createdAt,
      updatedAt,
      raw,
    },
  };
}

/** One order (OrderInfo of jingdong.pop.order.search / .get); amounts in 元. */
export function parseJdOrder(raw: unknown, shop: string): OrderInput {
  if (!isObject(raw)) throw bad("JD sent an order that is not an object");
  const orderId = required(raw.orderId, "orderId");
  const items = Array.isArray(raw.itemInfoList) ? raw.itemInfoList : [];
  if (items.length === 0) throw bad(`JD order ${orderId} has no itemInfoList`, { externalId: orderId });
  const lines = items.map((it: unknown, i) => {
    if (!isObject(it)) throw bad(`JD order ${orderId}: item ${i + 1} is not an object`);
    const qty = int(it.itemTotal);
    if (!qty || qty < 1)
      throw bad(`JD order ${orderId}: item ${i + 1} has no itemTotal`, { externalId: orderId });
    const skuId = required(it.skuId, "skuId");
    return {
      externalId: skuId,
      sku: text(it.outerSkuId) ?? skuId,
      title: text(it.skuName) ?? skuId,
      quantity: qty,
      unitPrice: jdYuan(it.jdPrice, "jdPrice"),
    };
  });
  const freight = raw.freightPrice === undefined ? 0 : jdYuan(raw.freightPrice, "freightPrice");
  const payment = jdYuan(raw.orderPayment, "orderPayment");
  const gross = lines.reduce((s, l) => s + l.unitPrice * l.quantity, 0);
  const discount = gross + freight - payment;
  const seller = raw.sellerDiscount === undefined ? 0 : jdYuan(raw.sellerDiscount, "sellerDiscount");
  if (discount < 0 || seller > discount) {
    throw bad(
      `JD order ${orderId}: orderPayment ${formatMinor(payment, "CNY")} does not follow from its items and freight`,
      {
        externalId: orderId,
      },
    );
  }
  const discounts = [
    { kind: "seller", name: "商家优惠", amount: seller },
    { kind: "platform", name: "京东优惠", amount: discount - seller },
  ]
    .filter((d) => d.amount > 0)
    .map((d) => ({ ...d, amount: formatMinor(d.amount, "CNY") }));
  const waybill = text(raw.waybill);
  const parcel = ORDER_PARCEL[text(raw.orderState) ?? ""];
  const placedAt = parseJdTime(raw.orderStartTime, "orderStartTime");
  const paidAt = parseJdTime(raw.paymentConfirmTime, "paymentConfirmTime");
  const pin = text(raw.pin);
  return {
    shop,
    externalId: orderId,
    currency: "CNY",
    ...(pin ? { customer: { id: pin } } : {}),
    ...(placedAt ? { placedAt } : {}),
    ...(paidAt ? { paidAt } : {}),
    lines: lines.map((l) => ({ ...l, unitPrice: formatMinor(l.unitPrice, "CNY") })),
    ...(discounts.length > 0 ? { discounts } : {}),
    shippingFee: formatMinor(freight, "CNY"),
    payments: [{ tender: "platform", amount: formatMinor(payment, "CNY") }],
    ...(waybill
      ? {
          shipments: [
            {
              carrier: text(raw.logisticsId) ?? "",
              trackingNo: waybill,
              ...(parcel ? { status: parcel } : {}),
            },
          ],
        }
      : {}),
  };
}

// --- Wire ---------------------------------------------------------------------------------------------

function credentialsOf(c: PlatformCredentials): JdAppCredentials {
  const missing = JD_CREDENTIAL_FIELDS.filter((f) => !c[f]);
  if (missing.length > 0) {
    throw new PlatformRejectedError("auth", "CREDENTIALS_INCOMPLETE", `JD needs ${missing.join(", ")}`);
  }
  return {
    appKey: c.app_key as string,
    appSecret: c.app_secret as string,
    accessToken: c.access_token as string,
  };
}

/** Gateway codes that say the credentials are wrong or expired (11/12 sign, 19 access_token). */
const AUTH_CODES = ["11", "12", "19"];
/** Gateway codes that say "not now": 2 限制时间内调用失败次数 (App Call Limited). */
const UNAVAILABLE_CODES = ["2"];

/**
 * One signed call; answers the method's `_responce` object. Throws ChannelUnavailableError when the
 * outcome is unknown (no answer, 5xx, an answer that is not JOS's JSON) and PlatformRejectedError when
 * JD refused (gateway error_response, or a non-"0" code in the root).
 */
export function jdCaller(creds: JdAppCredentials, opts: ConnectOptions) {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const url = base.endsWith(JD_ROUTER_PATH) ? base : base + JD_ROUTER_PATH;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? (() => new Date());
  return async (method: string, business: Record<string, unknown>): Promise<Raw> => {
    const params = signedJdParams(creds, method, business, now().getTime());
    const { status, text: body } = await channelFetch("jd", method, url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
      body: new URLSearchParams(params).toString(),
      timeoutMs,
    });
    const res = { status };
    if (res.status >= 500) {
      throw new ChannelUnavailableError("jd", "http", `${method}: HTTP ${res.status}; outcome unknown`, {
        httpStatus: res.status,
      });
    }
    let json: unknown;
    try {
      json = parseJdJson(body);
    } catch {
      json = undefined;
    }
    if (!isObject(json)) {
      throw new ChannelUnavailableError(
        "jd",
        "untrusted_response",
        `${method}: the answer is not a JSON object (HTTP ${res.status}): ${JSON.stringify(body.slice(0, 80))}`,
        { httpStatus: res.status },
      );
    }
    if (isObject(json.error_response)) {
      const e = json.error_response;
      const code = text(e.code) ?? "?";
      const what = `${method}: ${code} ${text(e.zh_desc) ?? text(e.en_desc) ?? ""}`;
      if (UNAVAILABLE_CODES.includes(code))
        throw new ChannelUnavailableError("jd", "http", `${what}; try later`);
      throw new PlatformRejectedError(AUTH_CODES.includes(code) ? "auth" : "rejected", `JD_${code}`, what);
    }
    const root = json[jdRoot(method)];
    if (!isObject(root)) {
      throw new ChannelUnavailableError(
        "jd",
        "untrusted_response",
        `${method}: the answer has no ${jdRoot(method)}`,
        {
          httpStatus: res.status,
        },
      );
    }
    if (root.code !== undefined && text(root.code) !== "0") {
      throw new PlatformRejectedError(
        "rejected",
        `JD_${text(root.code)}`,
        `${method}: code ${text(root.code)} ${text(root.errorMsg) ?? ""}`,
      );
    }
    return root;
  };
}

/** A result object carrying JOS's own success flag ({success, errorCode, errorMsg}). */
function succeeded(method: string, result: unknown, name: string): Raw {
  if (!isObject(result)) {
    throw new ChannelUnavailableError("jd", "untrusted_response", `${method}: the answer has no ${name}`);
  }
  if (result.success === false) {
    throw new PlatformRejectedError(
      "rejected",
      `JD_${text(result.errorCode) ?? "REFUSED"}`,
      `${method}: JD refused: ${text(result.errorMsg) ?? text(result.chineseErrCode) ?? "no reason given"}`,
    );
  }
  return result;
}

const PHASES = ["apply", "check", "asc"] as const;
type Phase = (typeof PHASES)[number];

function cursorOf(cursor: string | null): { phase: Phase; page: number } {
  if (cursor === null) return { phase: "apply", page: 1 };
  const m = /^(apply|check|asc):(\d{1,3})$/.exec(cursor);
  const page = m ? Number(m[2]) : 0;
  if (!m || page < 1 || page > JD_MAX_PAGE_INDEX) {
    throw new AppError("PLATFORM_CURSOR_INVALID", `"${cursor}" is not a JD page cursor`, { platform: "jd" });
  }
  return { phase: m[1] as Phase, page };
}

function windowOf(window: PullWindow): { start: string; end: string } {
  const span = window.to.getTime() - window.from.getTime();
  if (!(span > 0))
    throw new AppError("PLATFORM_WINDOW_INVALID", "A pull window must end after it starts", {
      platform: "jd",
    });
  if (span > JD_MAX_WINDOW_MS) {
    throw new AppError(
      "PLATFORM_WINDOW_TOO_LONG",
      `JD pulls take windows of at most 60 minutes; this one is ${Math.ceil(span / 60000)}`,
      {
        platform: "jd",
        maxWindowMs: JD_MAX_WINDOW_MS,
      },
    );
  }
  // Seconds, both ends inclusive: the boundary second is read twice, harmless as cases are ingested by id.
  return {
    start: formatJdTime(Math.floor(window.from.getTime() / 1000) * 1000),
    end: formatJdTime(Math.ceil(window.to.getTime() / 1000) * 1000),
  };
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Service-order decisions take JD codes we could not verify: they are made in JD's backend for now. */
const ascUnsupported = (ref: PlatformRef, decision: string) =>
  new PlatformRejectedError(
    "rejected",
    "JD_ASC_DECISION_UNSUPPORTED",
    `JD service orders (售后服务单) cannot be decided through this adapter yet (${decision}); decide ${ref.externalId} in the JD merchant backend (京麦)`,
  );

export function connectJd(credentials: PlatformCredentials, options: ConnectOptions): PlatformClient {
  const creds = credentialsOf(credentials);
  const call = jdCaller(creds, options);
  const shop = options.shop ?? credentials.shop ?? "jd";
  const operator = credentials.operator_pin ?? "aftersales";
  const asc = { buId: credentials.vender_id, operatePin: operator, operateNick: operator };

  const refundApplies = async (filter: Record<string, unknown>, page: number) => {
    const method = "jingdong.pop.afs.soa.refundapply.queryPageList";
    const res = await call(method, { ...filter, pageIndex: page, pageSize: JD_MAX_PAGE_SIZE });
    const q = succeeded(method, res.queryResult, "queryResult");
    return { records: list(q.result), total: int(q.totalCount) ?? 0 };
  };
  const services = async (method: string, filter: Record<string, unknown>, page: number) => {
    const res = await call(method, { ...asc, ...filter, pageNumber: page, pageSize: JD_MAX_PAGE_SIZE });
    const r = succeeded(method, res.pageResult, "pageResult");
    return { records: list(r.data), total: int(r.totalCount) ?? 0 };
  };
  const split = (ref: PlatformRef): { kind: "apply" | "asc"; id: string } => {
    for (const [prefix, kind] of [
      [REFUND_APPLY_PREFIX, "apply"],
      [ASC_PREFIX, "asc"],
    ] as const) {
      if (ref.externalId.startsWith(prefix) && ref.externalId.length > prefix.length) {
        return { kind, id: ref.externalId.slice(prefix.length) };
      }
    }
    throw new AppError(
      "PLATFORM_REF_INVALID",
      `"${ref.externalId}" is not a JD refund-apply or service-order id`,
      { platform: "jd", externalId: ref.externalId },
    );
  };
  const get = async (ref: PlatformRef): Promise<PlatformCase | null> => {
    const { kind, id } = split(ref);
    if (kind === "apply") {
      const { records } = await refundApplies({ ids: id }, 1);
      const found = records.find((r) => isObject(r) && text(r.id) === id);
      return found ? parseJdRefundApply(found) : null;
    }
    const { records } = await services("jingdong.asc.query.list", { serviceId: id }, 1);
    const found = records.find((r) => isObject(r) && text(r.serviceId) === id);
    if (!found) return null;
    const parsed = parseJdService(found);
    if ("notACase" in parsed)
      throw new AppError("PLATFORM_NOT_A_CASE", parsed.notACase, {
        platform: "jd",
        externalId: ref.externalId,
      });
    return parsed.case;
  };
  /** The refund-apply a decision is about, as JD holds it now. */
  const pending = async (ref: PlatformRef, decision: string): Promise<{ id: string; c: PlatformCase }> => {
    const { kind, id } = split(ref);
    if (kind === "asc") throw ascUnsupported(ref, decision);
    const c = await get(ref);
    if (!c)
      throw new PlatformRejectedError("invalid_state", "NOT_FOUND", `JD does not know refund-apply ${id}`);
    return { id, c };
  };
  const reply = async (id: string, business: Record<string, unknown>) => {
    const method = "jingdong.pop.afs.soa.refundapply.replyRefund";
    const res = await call(method, { id, checkUserName: operator, ...business });
    succeeded(method, res.replyResult, "replyResult");
  };
  const noReturn = (ref: PlatformRef, decision: string) => {
    if (split(ref).kind === "asc") throw ascUnsupported(ref, decision);
    throw new PlatformRejectedError(
      "invalid_state",
      "NO_RETURN",
      `JD refund-apply ${ref.externalId} is a refund before shipment: there is no return to ${decision}`,
    );
  };

  return {
    async pullAftersales(window: PullWindow, cursor: string | null): Promise<Page<PlatformCase>> {
      const { start, end } = windowOf(window);
      const { phase, page } = cursorOf(cursor);
      let records: unknown[];
      let total: number;
      let items: PlatformCase[];
      if (phase === "asc") {
        ({ records, total } = await services(
          "jingdong.asc.sync.list",
          { updateTimeBegin: start, updateTimeEnd: end },
          page,
        ));
        items = records.map(parseJdService).flatMap((p) => ("case" in p ? [p.case] : []));
      } else {
        const filter =
          phase === "apply"
            ? { applyTimeStart: start, applyTimeEnd: end }
            : { checkTimeStart: start, checkTimeEnd: end };
        ({ records, total } = await refundApplies(filter, page));
        items = records.map(parseJdRefundApply);
      }
      const more = page * JD_MAX_PAGE_SIZE < total && records.length > 0;
      if (more && page >= JD_MAX_PAGE_INDEX) {
        throw new AppError(
          "PLATFORM_WINDOW_TOO_BUSY",
          `JD pages stop at ${JD_MAX_PAGE_INDEX}: this window holds more than ${JD_MAX_PAGE_INDEX * JD_MAX_PAGE_SIZE} records; pull it in shorter windows`,
          { platform: "jd", total },
        );
      }
      const following = PHASES[PHASES.indexOf(phase) + 1];
      return { items, next: more ? `${phase}:${page + 1}` : following ? `${following}:1` : null };
    },

    async pullOrders(window: PullWindow, cursor: string | null): Promise<Page<OrderInput>> {
      const { start, end } = windowOf(window);
      const page = cursor === null ? 1 : Number(cursor);
      if (!Number.isSafeInteger(page) || page < 1)
        throw new AppError("PLATFORM_CURSOR_INVALID", `"${cursor}" is not a JD page cursor`, {
          platform: "jd",
        });
      const method = "jingdong.pop.order.search";
      const size = 100;
      const res = await call(method, {
        start_date: start,
        end_date: end,
        order_state:
          "WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,FINISHED_L,TRADE_CANCELED,LOCKED,PAUSE",
        optional_fields:
          "orderId,pin,orderState,orderStartTime,paymentConfirmTime,orderTotalPrice,orderPayment,freightPrice,sellerDiscount,itemInfoList,waybill,logisticsId,modified",
        page: String(page),
        page_size: String(size),
        dateType: 0, // by modification time
        sortType: 0,
      });
      const r = res.searchorderinfo_result;
      if (!isObject(r)) throw bad(`JD ${method}: the answer has no searchorderinfo_result`);
      if (isObject(r.apiResult)) succeeded(method, r.apiResult, "apiResult");
      const orders = list(r.orderInfoList);
      const total = int(r.orderTotal) ?? 0;
      return {
        items: orders.map((o) => parseJdOrder(o, shop)),
        next: page * size < total && orders.length > 0 ? String(page + 1) : null,
      };
    },

    getAftersale: get,
    checkRef: (ref) => void split(ref),

    async getOrder(orderExternalId: string): Promise<OrderInput | null> {
      const method = "jingdong.pop.order.get";
      const res = await call(method, {
        order_id: orderExternalId,
        optional_fields:
          "orderId,pin,orderState,orderStartTime,paymentConfirmTime,orderTotalPrice,orderPayment,freightPrice,sellerDiscount,itemInfoList,waybill,logisticsId",
      });
      const d = res.orderDetailInfo;
      if (!isObject(d)) throw bad(`JD ${method}: the answer has no orderDetailInfo`);
      return isObject(d.orderInfo) ? parseJdOrder(d.orderInfo, shop) : null;
    },

    async agreeRefund(ref: PlatformRef, amount: number): Promise<void> {
      const { id, c } = await pending(ref, "agree refund");
      if (c.requestedAmount !== null && c.requestedAmount !== amount) {
        throw new PlatformRejectedError(
          "rejected",
          "AMOUNT_MISMATCH",
          `JD refunds the amount asked for (${formatMinor(c.requestedAmount, "CNY")}); it cannot refund ${formatMinor(amount, "CNY")}`,
        );
      }
      await reply(id, { status: JD_REPLY.APPROVE, remark: "同意退款" });
    },

    async refuseRefund(ref: PlatformRef, refusal: Refusal): Promise<void> {
      const { id } = await pending(ref, "refuse");
      // JD requires a remark (审核备注) for every audit but 强制关单.
      const remark = refusal.text.trim() || "商家拒绝退款";
      const { code } = refusalCode(JD_REFUSE_REASONS, JD_REJECT_OTHER, refusal);
      await reply(id, { status: JD_REPLY.REJECT, remark, rejectType: code });
    },

    async agreeReturn(ref: PlatformRef): Promise<void> {
      noReturn(ref, "agree");
    },

    async confirmReceipt(ref: PlatformRef): Promise<void> {
      noReturn(ref, "confirm receipt of");
    },
  };
}

/** JOS's production gateway origin; a shop's `gateway` credential (a simulator) overrides it. */
export const JD_PRODUCTION_GATEWAY = "https://api.jd.com";

export const jdAdapter: PlatformAdapter = {
  channel: "jd",
  credentialFields: JD_CREDENTIAL_FIELDS,
  optionalCredentialFields: ["operator_pin"],
  baseUrl: JD_PRODUCTION_GATEWAY,
  limits: { maxWindowMs: JD_MAX_WINDOW_MS, pageSize: JD_MAX_PAGE_SIZE },
  connect: (credentials, options) => connectJd(credentials, options),
};
