import { randomBytes } from "node:crypto";
import { REASONS } from "../../../domain/catalogue.ts";
import type { PlatformSimulator, SimulatedOrder, SimulatedRequest, SimulatorOptions } from "../platform.ts";
import { faultSwitch, isObject, type Reply, send, simulatorKit } from "../simulator-kit.ts";
import {
  AFTERSALE_STATUSES,
  AFTERSALE_TYPES,
  DOUYIN_CURRENCY,
  DOUYIN_PUSH_APP_ID,
  DOUYIN_PUSH_SIGN,
  DOUYIN_SUCCESS,
  PATHS,
  pushSign,
  verifyDouyinRequest,
} from "./protocol.ts";

/**
 * A local Douyin shop open platform: the same paths, signing (HMAC-SHA256 over param_json), int64 ids,
 * enums and 分 amounts as the real gateway, so the adapter cannot tell it from the real thing. The
 * tests and the demo drive it as buyers (requestAftersale, buyerShipsReturn…) and as the platform
 * (platformAutoRefund, arbitrate), inject faults through `faults()` or `POST /_sim/faults`, and see
 * every merchant call in `inspect()`.
 */

export interface DouyinSimulatorOptions extends SimulatorOptions {
  appKey?: string;
  appSecret?: string;
  accessToken?: string;
}

export interface DouyinFaults {
  /** Answer the next n API calls with HTTP 500 without doing anything. */
  failNext: number;
  /** Answer the next n API calls with code 20000 (服务不可用) without doing anything. */
  unavailableNext: number;
  /** Do the next n API calls, then drop the connection: the caller cannot tell what happened. */
  timeoutNext: number;
  /** Latency before every API answer (ms). */
  delayMs: number;
}

export interface DouyinSimulator extends PlatformSimulator {
  faults(patch?: Partial<DouyinFaults>): DouyinFaults;
  /** Answer the next `times` calls of one API path (e.g. /afterSale/rejectReasonCodeList) with HTTP 500. */
  failCalls(path: string, times?: number): void;
  /** The platform refunds by itself (极速退, 售后小助手…): status 12, refund_status 3, refund_type set. */
  platformAutoRefund(externalId: string, how?: { refundType?: number; autoAuditBits?: number[] }): void;
  /** The platform's customer service steps in (arbitrate_status 1 仲裁中, 4 待商家举证, 255 结束…). */
  arbitrate(externalId: string, arbitrateStatus: number): void;
  /** What afterSale/rejectReasonCodeList lists for this request as it stands now. */
  rejectReasons(externalId: string): { id: string; text: string; evidenceNeeded: boolean }[];
  /** The signed push the platform sends about this request (refund tags 2xx), as headers and raw body. */
  pushFor(externalId: string, tag?: string): { headers: Record<string, string>; body: string };
  /** Push deliveries attempted to `pushUrl` and their HTTP status (0: not delivered). */
  pushes(): { tag: string; externalId: string; status: number }[];
}

interface StoredOrder extends SimulatedOrder {
  createdAt: number;
  updatedAt: number;
}

interface StoredAftersale {
  id: string;
  orderId: string;
  lineId: string;
  quantity: number;
  type: number;
  status: number;
  refundStatus: number;
  refundAmount: number;
  reasonText: string;
  applyTime: number;
  updateTime: number;
  deadline: number;
  returnTracking?: { carrier: string; trackingNo: string };
  refundType?: number;
  autoAuditBits?: number[];
  arbitrateStatus: number;
  refunded: number;
  calls: string[];
}

/** What a restarted simulator keeps (see simulator-kit.ts). */
interface DouyinState {
  appKey: string;
  appSecret: string;
  accessToken: string;
  orders: StoredOrder[];
  aftersales: StoredAftersale[];
}

const MAX_BODY = 256 * 1024;
const PAGE_MAX = 100;
const HOUR = 3600;

/** Emits an int64 id as a bare JSON number, as Douyin does (beyond 2^53 for real ids). */
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
const int64 = (id: string): unknown => (/^[1-9]\d{0,18}$/.test(id) ? rawJson(id) : id);

/** Error answers in the documented families: 2xxxx platform, 3xxxx authorisation, 4xxxx parameters, 5xxxx business. */
const ERRORS = {
  unavailable: { code: 20000, msg: "服务不可用", sub_code: "isp.service-unavailable" },
  sign: { code: 30001, msg: "授权验证失败", sub_code: "isv.sign-invalid" },
  token: { code: 30001, msg: "授权验证失败", sub_code: "isv.access-token-invalid" },
  param: { code: 40004, msg: "参数错误", sub_code: "isv.parameter-invalid" },
  business: { code: 50002, msg: "业务处理失败", sub_code: "isv.business-failed" },
} as const;

/** What each afterSale/operate type does on the simulated platform: from (type:status), to, and what it needs. */
const OPERATE_EFFECTS: Readonly<
  Record<
    number,
    { from: readonly string[]; to: number; refund?: true; needs?: "address" | "reject" | "logistics" }
  >
> = {
  101: { from: ["0:6"], to: 7, needs: "address" },
  102: { from: ["0:6"], to: 27, needs: "reject" },
  111: { from: ["0:11"], to: 12, refund: true },
  112: { from: ["0:11"], to: 29, needs: "reject" },
  201: { from: ["1:6"], to: 12, refund: true },
  202: { from: ["1:6"], to: 27, needs: "reject" },
  301: { from: ["3:6"], to: 7, needs: "address" },
  302: { from: ["3:6"], to: 27, needs: "reject" },
  311: { from: ["3:11"], to: 13, needs: "logistics" },
  312: { from: ["3:11"], to: 29, needs: "reject" },
  401: { from: ["2:6"], to: 12, refund: true },
};

/** Push tag per status a request moves into. */
const STATUS_TAGS: Readonly<Record<number, string>> = {
  6: "200",
  7: "202",
  11: "203",
  12: "207",
  27: "204",
  29: "205",
  28: "208",
  13: "201",
};

/**
 * What afterSale/rejectReasonCodeList lists, in the words the 抖店 backend shows. The platform publishes
 * no fixed codes; these are scattered like real ones, and a request is offered only the rows that fit
 * where it stands (`fits`), so an adapter that remembered codes instead of asking is caught. A request
 * on an order not yet shipped (type 2) gets an empty list, as the platform documents.
 */
const REJECT_REASONS: readonly {
  code: number;
  reason: string;
  pkg: number;
  evidence?: string;
  fits: (a: StoredAftersale) => boolean;
}[] = [
  { code: 710432, reason: "买家申请已超出售后时效", pkg: -1, fits: (a) => a.status === 6 },
  { code: 710587, reason: "商品属于定制类，不支持七天无理由退货", pkg: -1, fits: (a) => a.status === 6 },
  { code: 711203, reason: "买家未提供有效凭证", pkg: -1, fits: () => true },
  { code: 711648, reason: "物流显示买家已签收", pkg: 1, fits: (a) => a.type === 1 && a.status === 6 },
  { code: 712019, reason: "买家重复申请售后", pkg: -1, fits: (a) => a.status === 6 },
  { code: 712374, reason: "已与买家协商一致", pkg: -1, fits: (a) => a.status === 6 },
  {
    code: 713590,
    reason: "退回商品影响二次销售",
    pkg: 1,
    evidence: "请上传退回商品的实物照片",
    fits: (a) => a.status === 11,
  },
  {
    code: 713862,
    reason: "退回商品与发出商品不符",
    pkg: 1,
    evidence: "请上传退回商品及包裹面单照片",
    fits: (a) => a.status === 11,
  },
  { code: 714105, reason: "未收到买家退回的商品", pkg: 0, fits: (a) => a.status === 11 },
  { code: 719999, reason: "其他", pkg: -1, fits: () => true },
];
const rejectReasonsFor = (a: StoredAftersale) =>
  a.type === 2 ? [] : REJECT_REASONS.filter((r) => r.fits(a));

/** How long each waiting status gives the one whose move it is (status_deadline). */
const DEADLINE_HOURS: Readonly<Record<number, number>> = { 6: 48, 7: 7 * 24, 8: 48, 11: 48, 27: 7 * 24 };

const CASE_TYPE_CODES = {
  return_refund: 0,
  exchange: 3,
  reship: 7,
} as const;

export async function startDouyinSimulator(opts: DouyinSimulatorOptions = {}): Promise<DouyinSimulator> {
  const kit = simulatorKit<DouyinState>({ platform: "douyin", ...opts });
  const saved = kit.saved;
  const appKey = saved?.appKey ?? opts.appKey ?? "dy-sim-app";
  const appSecret = saved?.appSecret ?? opts.appSecret ?? `dy-sim-secret-${randomBytes(8).toString("hex")}`;
  const accessToken =
    saved?.accessToken ?? opts.accessToken ?? `dy-sim-token-${randomBytes(8).toString("hex")}`;
  const { nowMs, nowS } = kit;
  const orders = new Map((saved?.orders ?? []).map((o) => [o.externalId, o]));
  const aftersales = new Map((saved?.aftersales ?? []).map((a) => [a.id, a]));
  kit.persist(() => ({
    appKey,
    appSecret,
    accessToken,
    orders: [...orders.values()],
    aftersales: [...aftersales.values()],
  }));
  const pushLog: { tag: string; externalId: string; status: number }[] = [];
  const fault = faultSwitch<DouyinFaults>({ failNext: 0, unavailableNext: 0, timeoutNext: 0, delayMs: 0 });
  const faults = fault.current;
  /** Calls of one API path to answer with HTTP 500 (failCalls), counted down. */
  const pathFailures = new Map<string, number>();
  const nextId = kit.sequence("aftersale", 7_000_000_000_000_000_001n);
  let logSeq = 0;

  const ok = (data: unknown): Reply => [
    200,
    { code: DOUYIN_SUCCESS, msg: "success", sub_code: "", sub_msg: "", log_id: logId(), data },
  ];
  const fail = (e: { code: number; msg: string; sub_code: string }, subMsg: string): Reply => [
    200,
    { ...e, sub_code: e.sub_code, sub_msg: subMsg, log_id: logId(), data: {} },
  ];
  const logId = () => `sim${nowMs().toString(36)}${(logSeq++).toString(36)}`;

  // -------------------------------------------------------------------------------------------
  // The platform's state
  // -------------------------------------------------------------------------------------------

  function touch(a: StoredAftersale, status?: number) {
    if (status !== undefined) a.status = status;
    a.updateTime = Math.max(nowS(), a.updateTime + 1);
    const hours = DEADLINE_HOURS[a.status];
    a.deadline = hours ? a.updateTime + hours * HOUR : 0;
    const order = orders.get(a.orderId);
    if (order) order.updatedAt = a.updateTime;
    const tag = STATUS_TAGS[a.status];
    if (tag && opts.pushUrl) void deliver(a, tag);
  }

  function needAftersale(id: string): StoredAftersale {
    const a = aftersales.get(id);
    if (!a) throw new Error(`no Douyin after-sale ${id}`);
    return a;
  }

  function pushMessage(a: StoredAftersale, tag: string) {
    const data = {
      aftersale_id: int64(a.id),
      aftersale_status: a.status,
      aftersale_type: a.type,
      p_id: int64(a.orderId),
      s_id: int64(a.lineId),
      refund_amount: a.refundAmount,
      refund_post_amount: 0,
      reason_code: 0,
      update_time: a.updateTime,
    };
    const body = JSON.stringify([
      { tag, msg_id: `${a.id}:${tag}:${a.updateTime}`, data: JSON.stringify(data) },
    ]);
    return {
      headers: {
        "content-type": "application/json",
        [DOUYIN_PUSH_APP_ID]: appKey,
        [DOUYIN_PUSH_SIGN]: pushSign(appKey, body, appSecret),
      },
      body,
    };
  }

  async function deliver(a: StoredAftersale, tag: string) {
    const { headers, body } = pushMessage(a, tag);
    const entry = { tag, externalId: a.id, status: 0 };
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
  // Wire views
  // -------------------------------------------------------------------------------------------

  function lineOf(a: StoredAftersale) {
    const order = orders.get(a.orderId);
    return order?.lines.find((l) => l.lineId === a.lineId);
  }

  function listItem(a: StoredAftersale) {
    const order = orders.get(a.orderId);
    const line = lineOf(a);
    return {
      aftersale_info: {
        aftersale_id: a.id,
        aftersale_order_type: 1,
        aftersale_type: a.type,
        aftersale_status: a.status,
        related_id: a.lineId,
        apply_time: a.applyTime,
        update_time: a.updateTime,
        create_time: a.applyTime,
        status_deadline: a.deadline,
        refund_amount: a.refundAmount,
        refund_post_amount: 0,
        aftersale_num: a.quantity,
        part_type: line && a.quantity < line.quantity ? 1 : 0,
        aftersale_refund_type: 0,
        ...(a.refundType !== undefined ? { refund_type: a.refundType } : {}),
        ...(a.autoAuditBits ? { auto_audit_bits: a.autoAuditBits } : {}),
        arbitrate_status: a.arbitrateStatus,
        refund_status: a.refundStatus,
        return_logistics_code: a.returnTracking?.trackingNo ?? "",
        return_logistics_company_name: a.returnTracking?.carrier ?? "",
        got_pkg: order?.shipment?.signedAt ? 1 : 0,
        reason_second_labels: [],
        order_logistics: order?.shipment
          ? [{ tracking_no: order.shipment.trackingNo, company_name: order.shipment.carrier }]
          : [],
      },
      order_info: {
        shop_order_id: a.orderId,
        related_order_info: [
          {
            sku_order_id: a.lineId,
            order_status: order?.shipment ? 3 : 2,
            pay_amount: line?.paid ?? 0,
            post_amount: 0,
            item_num: line?.quantity ?? a.quantity,
            product_name: line?.title ?? "",
            shop_sku_code: line?.sku ?? "",
            aftersale_pay_amount: a.refundAmount,
            aftersale_item_num: a.quantity,
            price: line?.unitPrice ?? 0,
          },
        ],
      },
      text_part: {
        reason_text: a.reasonText,
        aftersale_status_text: AFTERSALE_STATUSES[a.status]?.zh ?? "",
        aftersale_type_text: AFTERSALE_TYPES[a.type]?.zh ?? "",
      },
    };
  }

  function detailOf(a: StoredAftersale) {
    const line = lineOf(a);
    return {
      process_info: {
        after_sale_info: {
          after_sale_id: int64(a.id),
          after_sale_status: a.status,
          after_sale_status_desc: AFTERSALE_STATUSES[a.status]?.zh ?? "",
          after_sale_type: a.type,
          after_sale_type_text: AFTERSALE_TYPES[a.type]?.zh ?? "",
          refund_status: a.refundStatus,
          ...(a.refundType !== undefined ? { refund_type: a.refundType } : {}),
          ...(a.autoAuditBits ? { auto_audit_bits: a.autoAuditBits } : {}),
          refund_total_amount: a.refundAmount,
          refund_post_amount: 0,
          real_refund_amount: a.refunded,
          apply_time: a.applyTime,
          update_time: a.updateTime,
          status_deadline: a.deadline,
          reason: a.reasonText,
          reason_remark: "",
          after_sale_apply_count: a.quantity,
          need_return_count: a.type === 0 || a.type === 3 ? a.quantity : 0,
          evidence: [],
        },
        arbitrate_info: { arbitrate_status: a.arbitrateStatus },
        logistics_info: {
          ...(a.returnTracking
            ? {
                return: {
                  tracking_no: a.returnTracking.trackingNo,
                  company_name: a.returnTracking.carrier,
                  company_code: a.returnTracking.carrier,
                },
              }
            : {}),
        },
      },
      order_info: {
        shop_order_id: int64(a.orderId),
        sku_order_infos: [
          {
            sku_order_id: int64(a.lineId),
            shop_sku_code: line?.sku ?? "",
            item_quantity: line?.quantity ?? a.quantity,
            after_sale_item_count: a.quantity,
            pay_amount: line?.paid ?? 0,
            product_name: line?.title ?? "",
          },
        ],
      },
    };
  }

  function orderView(o: StoredOrder) {
    const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);
    const skus = o.lines.map((l, i) => {
      const post = i === 0 ? o.shippingFee : 0;
      return {
        order_id: l.lineId,
        parent_order_id: o.externalId,
        code: l.sku,
        product_name: l.title,
        item_num: l.quantity,
        origin_amount: l.unitPrice,
        sum_amount: l.unitPrice * l.quantity,
        pay_amount: l.paid + post,
        post_amount: post,
        promotion_amount: l.unitPrice * l.quantity - l.paid,
      };
    });
    const goods = o.lines.reduce((n, l) => n + l.paid, 0);
    return {
      order_id: o.externalId,
      order_status: o.shipment ? 3 : 2,
      create_time: seconds(o.paidAt),
      pay_time: seconds(o.paidAt),
      update_time: o.updatedAt,
      pay_type: 1,
      channel_payment_no: `4200${o.externalId}`,
      order_amount: skus.reduce((n, s) => n + s.sum_amount, 0) + o.shippingFee,
      pay_amount: goods + o.shippingFee,
      post_amount: o.shippingFee,
      promotion_amount: skus.reduce((n, s) => n + s.promotion_amount, 0),
      doudian_open_id: o.buyerId,
      sku_order_list: skus,
      logistics_info: o.shipment
        ? [
            {
              tracking_no: o.shipment.trackingNo,
              company: o.shipment.carrier,
              company_name: o.shipment.carrier,
              ship_time: seconds(o.shipment.shippedAt),
            },
          ]
        : [],
    };
  }

  // -------------------------------------------------------------------------------------------
  // API
  // -------------------------------------------------------------------------------------------

  const int = (v: unknown): number | undefined => (Number.isSafeInteger(v) ? (v as number) : undefined);

  function page<T>(
    all: T[],
    p: Record<string, unknown>,
  ): { items: T[]; page: number; size: number } | string {
    const pageNo = int(p.page) ?? 0;
    const size = int(p.size) ?? 10;
    if (pageNo < 0) return "page must be ≥ 0";
    if (size < 1 || size > PAGE_MAX) return `size must be 1..${PAGE_MAX}`;
    return { items: all.slice(pageNo * size, pageNo * size + size), page: pageNo, size };
  }

  function aftersaleList(p: Record<string, unknown>): Reply {
    const start = int(p.update_start_time) ?? 0;
    const end = int(p.update_end_time) ?? Number.MAX_SAFE_INTEGER;
    const id = typeof p.aftersale_id === "string" ? p.aftersale_id : undefined;
    const all = [...aftersales.values()]
      .filter((a) => (id ? a.id === id : a.updateTime >= start && a.updateTime <= end))
      .sort((x, y) => x.updateTime - y.updateTime || (x.id < y.id ? -1 : 1));
    const got = page(all, p);
    if (typeof got === "string") return fail(ERRORS.param, got);
    return ok({
      items: got.items.map(listItem),
      has_more: (got.page + 1) * got.size < all.length,
      total: all.length,
      page: got.page,
      size: got.items.length,
    });
  }

  function aftersaleDetail(p: Record<string, unknown>): Reply {
    const a = aftersales.get(String(p.after_sale_id ?? ""));
    return a ? ok(detailOf(a)) : fail(ERRORS.business, "售后单不存在");
  }

  function operate(p: Record<string, unknown>): Reply {
    const type = int(p.type);
    const effect = type === undefined ? undefined : OPERATE_EFFECTS[type];
    if (!effect || type === undefined) return fail(ERRORS.param, `unknown operate type ${String(p.type)}`);
    if (!Array.isArray(p.items) || p.items.length === 0) return fail(ERRORS.param, "items is required");
    const results = p.items.map((raw: unknown) => {
      const item = isObject(raw) ? raw : {};
      const id = String(item.aftersale_id ?? "");
      const result = (code: number, msg: string) => ({
        aftersale_id: int64(id),
        status_code: code,
        status_msg: msg,
      });
      const a = aftersales.get(id);
      if (!a) return result(1001, "售后单不存在");
      a.calls.push(`afterSale/operate type=${type}`);
      if (item.update_time !== undefined && item.update_time !== a.updateTime) {
        return result(1002, "售后单版本已更新，请获取最新售后单信息后重试");
      }
      if (!effect.from.includes(`${a.type}:${a.status}`)) {
        return result(1003, `当前售后单状态(${AFTERSALE_STATUSES[a.status]?.zh ?? a.status})不支持此操作`);
      }
      if (effect.needs === "reject") {
        if (!item.reason || !item.remark || !int(item.reject_reason_code)) {
          return result(1004, "拒绝操作必须填写 reason、remark 和 reject_reason_code");
        }
        const listed = rejectReasonsFor(a).find((r) => r.code === int(item.reject_reason_code));
        if (!listed) {
          return result(1005, `拒绝原因码 ${String(item.reject_reason_code)} 不在 rejectReasonCodeList 中`);
        }
        if (listed.evidence && !(Array.isArray(item.evidence) && item.evidence.length > 0)) {
          return result(1007, `拒绝原因「${listed.reason}」需上传凭证：${listed.evidence}`);
        }
        a.calls[a.calls.length - 1] +=
          ` reject_reason_code=${String(item.reject_reason_code)} reason=${String(item.reason)}`;
      }
      if (effect.needs === "address") {
        const logistics = isObject(item.logistics) ? item.logistics : {};
        const detail = isObject(logistics.after_sale_address_detail)
          ? logistics.after_sale_address_detail
          : {};
        if (!int(logistics.receiver_address_id) && !(detail.user_name && detail.mobile && detail.detail)) {
          return result(1005, "同意退货需要 receiver_address_id 或 after_sale_address_detail");
        }
      }
      if (effect.needs === "logistics") {
        const logistics = isObject(item.logistics) ? item.logistics : {};
        if (!logistics.company_code || !logistics.logistics_code) {
          return result(1006, "换货发货需要 company_code 和 logistics_code");
        }
      }
      if (effect.refund) {
        a.refundStatus = 3;
        a.refunded += a.refundAmount;
      }
      touch(a, effect.to);
      return result(0, "success");
    });
    return ok({ items: results });
  }

  function rejectReasonCodeList(p: Record<string, unknown>): Reply {
    const a = aftersales.get(String(p.aftersale_id ?? ""));
    if (!a) return fail(ERRORS.business, "售后单不存在");
    return ok({
      items: rejectReasonsFor(a).map((r) => ({
        reject_reason_code: r.code,
        reason: r.reason,
        evidence_need: r.evidence ? "Y" : "N",
        evidence_description: r.evidence ?? "",
        image: "",
        order_type: -1,
        pkg: r.pkg,
      })),
    });
  }

  function orderList(p: Record<string, unknown>): Reply {
    const start = int(p.update_time_start) ?? 0;
    const end = int(p.update_time_end) ?? Number.MAX_SAFE_INTEGER;
    const all = [...orders.values()]
      .filter((o) => o.updatedAt >= start && o.updatedAt <= end)
      .sort((x, y) => x.updatedAt - y.updatedAt || (x.externalId < y.externalId ? -1 : 1));
    const got = page(all, p);
    if (typeof got === "string") return fail(ERRORS.param, got);
    return ok({
      shop_order_list: got.items.map(orderView),
      total: all.length,
      page: got.page,
      size: got.size,
    });
  }

  function orderDetail(p: Record<string, unknown>): Reply {
    const o = orders.get(String(p.shop_order_id ?? ""));
    return o ? ok({ shop_order_detail: orderView(o) }) : fail(ERRORS.business, "订单不存在");
  }

  const ROUTES: Readonly<Record<string, (p: Record<string, unknown>) => Reply>> = {
    [PATHS.aftersaleList]: aftersaleList,
    [PATHS.aftersaleDetail]: aftersaleDetail,
    [PATHS.aftersaleOperate]: operate,
    [PATHS.rejectReasonCodeList]: rejectReasonCodeList,
    [PATHS.orderSearchList]: orderList,
    [PATHS.orderDetail]: orderDetail,
  };

  function api(path: string, query: URLSearchParams, body: string): Reply {
    const route = ROUTES[path];
    if (!route)
      return [
        404,
        { code: 40004, msg: "参数错误", sub_code: "isv.method-not-exist", sub_msg: `no API ${path}` },
      ];
    const check = verifyDouyinRequest(appKey, appSecret, path, query, body, nowMs());
    if (!check.ok) return fail(ERRORS.sign, check.reason);
    if (query.get("access_token") !== accessToken) return fail(ERRORS.token, "access_token 无效或已过期");
    let param: unknown;
    try {
      param = JSON.parse(body || "{}");
    } catch {
      return fail(ERRORS.param, "param_json is not JSON");
    }
    if (!isObject(param)) return fail(ERRORS.param, "param_json must be an object");
    return route(param);
  }

  // -------------------------------------------------------------------------------------------
  // The server (controls under /_sim/, see simulator-kit.ts)
  // -------------------------------------------------------------------------------------------

  const url = await kit.listen(
    { ...opts, maxBody: MAX_BODY, tooLarge: [413, { message: "body too large" }] },
    (req, res, url, body) => {
      if (req.method !== "POST") return send(res, 405, { message: "POST only" });
      const delay = faults.delayMs;
      const failing = pathFailures.get(url.pathname) ?? 0;
      if (failing > 0) {
        pathFailures.set(url.pathname, failing - 1);
        return kit.later(delay, () => send(res, 500, "Internal Server Error"));
      }
      if (fault.take("failNext")) return kit.later(delay, () => send(res, 500, "Internal Server Error"));
      if (fault.take("unavailableNext"))
        return kit.later(delay, () => send(res, ...fail(ERRORS.unavailable, "injected (unavailableNext)")));
      const reply = api(url.pathname, url.searchParams, body);
      if (fault.take("timeoutNext")) return kit.later(delay, () => req.socket.destroy());
      kit.later(delay, () => send(res, ...reply));
    },
  );

  const sim: DouyinSimulator = {
    channel: "douyin",
    url,
    credentials: {
      app_key: appKey,
      app_secret: appSecret,
      access_token: accessToken,
    },

    placeOrder(order) {
      if (order.currency !== DOUYIN_CURRENCY) throw new Error("Douyin orders are in CNY");
      if (orders.has(order.externalId)) throw new Error(`order ${order.externalId} exists`);
      const t = nowS();
      orders.set(order.externalId, { ...structuredClone(order), createdAt: t, updatedAt: t });
    },

    requestAftersale(request: SimulatedRequest) {
      const order = orders.get(request.orderExternalId);
      if (!order) throw new Error(`no order ${request.orderExternalId}`);
      const line = order.lines.find((l) => l.lineId === request.lineId);
      if (!line) throw new Error(`order ${order.externalId} has no line ${request.lineId}`);
      if (request.quantity < 1 || request.quantity > line.quantity) throw new Error("quantity out of range");
      if (request.amount < 0 || request.amount > line.paid + order.shippingFee)
        throw new Error("amount exceeds paid");
      const type =
        request.type === "refund_only" ? (order.shipment ? 1 : 2) : (CASE_TYPE_CODES[request.type] as number);
      const id = nextId();
      const t = nowS();
      const a: StoredAftersale = {
        id,
        orderId: order.externalId,
        lineId: line.lineId,
        quantity: request.quantity,
        type,
        status: 6,
        refundStatus: 0,
        refundAmount: type === 3 || type === 7 ? 0 : request.amount,
        reasonText: REASONS[request.reason].zh,
        applyTime: t,
        updateTime: t - 1,
        deadline: 0,
        arbitrateStatus: 0,
        refunded: 0,
        calls: [],
      };
      aftersales.set(id, a);
      touch(a, 6);
      return id;
    },

    buyerCancels(externalId) {
      const a = needAftersale(externalId);
      if (AFTERSALE_STATUSES[a.status]?.final) throw new Error(`after-sale ${externalId} is already closed`);
      touch(a, 28);
    },

    buyerShipsReturn(externalId, carrier, trackingNo) {
      const a = needAftersale(externalId);
      if (a.status !== 7)
        throw new Error(`after-sale ${externalId} is not waiting for the return (status ${a.status})`);
      a.returnTracking = { carrier, trackingNo };
      touch(a, 11);
    },

    inspect(externalId) {
      const a = aftersales.get(externalId);
      return a ? { status: String(a.status), calls: [...a.calls], refunded: a.refunded } : undefined;
    },

    platformAutoRefund(externalId, how = {}) {
      const a = needAftersale(externalId);
      if (a.type === 3 || a.type === 7) throw new Error("exchanges and reships have no refund");
      a.refundType = how.refundType ?? 3;
      a.autoAuditBits = how.autoAuditBits ?? [a.type === 2 ? 1 : 3];
      a.refundStatus = 3;
      a.refunded += a.refundAmount;
      touch(a, 12);
    },

    arbitrate(externalId, arbitrateStatus) {
      const a = needAftersale(externalId);
      a.arbitrateStatus = arbitrateStatus;
      touch(a);
    },

    rejectReasons(externalId) {
      return rejectReasonsFor(needAftersale(externalId)).map((r) => ({
        id: String(r.code),
        text: r.reason,
        evidenceNeeded: Boolean(r.evidence),
      }));
    },

    pushFor(externalId, tag) {
      const a = needAftersale(externalId);
      return pushMessage(a, tag ?? STATUS_TAGS[a.status] ?? "208");
    },

    pushes: () => pushLog.map((p) => ({ ...p })),
    faults: (patch = {}) => fault.patch(patch),
    failCalls(path, times = 1) {
      pathFailures.set(path, times);
    },
    close: async () => {},
  };
  return kit.finish(sim, {
    control: {
      faults: fault,
      views: { aftersales: () => ({ aftersales: [...aftersales.values()].map(listItem) }) },
      actions: {
        refund: (id) => sim.platformAutoRefund(id),
        arbitrate: (id, b) => sim.arbitrate(id, Number(b.arbitrateStatus ?? 1)),
      },
    },
  });
}
