import { randomBytes } from "node:crypto";
import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import { formatMinor } from "../../../domain/money.ts";
import type { PlatformSimulator, SimulatedOrder, SimulatedRequest, SimulatorOptions } from "../platform.ts";
import { faultSwitch, formParams, send, sendHtml, simulatorKit } from "../simulator-kit.ts";
import { ASC_PREFIX, REFUND_APPLY_PREFIX } from "./adapter.ts";
import {
  formatJdTime,
  JD_ERRORS,
  JD_MAX_PAGE_INDEX,
  JD_MAX_PAGE_SIZE,
  JD_REFUND_APPLY_STATUS,
  JD_REJECT_TYPES,
  JD_REPLY,
  JD_ROUTER_PATH,
  jdErrorBody,
  jdRoot,
  jdTimeMs,
  verifyJdRequest,
} from "./protocol.ts";

/**
 * A local JD open platform (JOS) on loopback: `/routerjson`, the same signature, gateway error codes,
 * `_responce` roots, page limits, field names and units as JD (see jd-protocol.ts). No JD payload
 * fixture exists, so its answers are built from the documented field names, not copied from real traffic.
 *
 * What a buyer's request becomes:
 *   refund only, order not shipped → a refund-apply (退款审核单) in status 0 未审核;
 *     replyRefund 1 → 1 审核通过 → (JD finance) 3 京东财务审核通过, when the simulator also moves the money;
 *     replyRefund 2 → 2 审核不通过.
 *   anything else → a service order (售后服务单) in serviceStatus 10001 待审核; the buyer may withdraw it
 *     (10011 取消). Later service states are not simulated: their codes are unverified (see jd.ts).
 * `/_sim/*` (loopback only, unsigned) exposes state and faults, and drives buyers (simulator-kit.ts).
 */

/** `now` is the platform's clock (event times and signature freshness); `pushUrl` is unused (no pushes). */
export interface JdSimulatorOptions extends SimulatorOptions {
  credentials?: { app_key: string; app_secret: string; access_token: string; vender_id: string };
}

export interface JdFaults {
  /** Answer the next n API calls with HTTP 502 and do nothing. */
  failNext: number;
  /** Answer the next n API calls with an HTML page instead of JSON, and do nothing. */
  garbleNext: number;
  /** An approved refund-apply stays 1 审核通过 this long before JD finance moves it to 3 and pays. */
  financeDelayMs: number;
}

export interface JdSimulator extends PlatformSimulator {
  faults(patch?: Partial<JdFaults>): JdFaults;
  /** Platform time for the next orders, requests and changes (epoch ms); null: the real clock. */
  setNow(ms: number | null): void;
  /** Every API call received, in order: its method and whether it was accepted. */
  log(): { method: string; accepted: boolean }[];
}

/** Cancel-before-ship reasons as a JD buyer picks them. */
export const JD_REASON_TEXT: Record<ReasonCode, string> = {
  changed_mind: "不想买了",
  quality: "商品质量问题",
  wrong_item: "商家发错货",
  damaged: "商品破损",
  not_as_described: "与商品描述不符",
  missing_item: "其他",
  not_received: "其他",
  logistics_lost: "其他",
  logistics_delay: "发货慢",
  spoiled: "其他",
  size_fit: "其他",
  other: "其他",
};

/** Case type → customerExpect (unverified codes, the same ones jd.ts maps). */
const EXPECT: Record<CaseType, { code: number; name: string }> = {
  return_refund: { code: 10, name: "退货" },
  refund_only: { code: 11, name: "仅退款" },
  exchange: { code: 20, name: "换货" },
  reship: { code: 80, name: "补发商品" },
};

interface StoredOrder extends SimulatedOrder {
  createdAt: number;
  updatedAt: number;
  state: string;
}
interface StoredApply {
  id: string;
  orderId: string;
  status: number;
  reason: string;
  amount: number;
  line: SimulatedOrder["lines"][number];
  quantity: number;
  applyTime: number;
  checkTime: number | null;
  checkRemark: string | null;
  checkUserName: string | null;
  calls: string[];
  refunded: number;
  settleAt: number | null;
}
interface StoredService {
  serviceId: string;
  orderId: string;
  expect: { code: number; name: string };
  status: number;
  statusName: string;
  line: SimulatedOrder["lines"][number];
  quantity: number;
  /** The buyer's words (questionDesc). */
  reason: string;
  applyTime: number;
  updatedAt: number;
  calls: string[];
}

type Params = Record<string, string>;
type Payload = Record<string, unknown>;

/** What a restarted simulator keeps (see simulator-kit.ts). */
interface JdState {
  credentials: NonNullable<JdSimulatorOptions["credentials"]>;
  orders: StoredOrder[];
  applies: StoredApply[];
  services: StoredService[];
}

const MAX_BODY = 64 * 1024;
const yuan = (fen: number) => formatMinor(fen, "CNY");

export async function startJdSimulator(opts: JdSimulatorOptions = {}): Promise<JdSimulator> {
  const kit = simulatorKit<JdState>({ platform: "jd", ...opts });
  const saved = kit.saved;
  const credentials = saved?.credentials ??
    opts.credentials ?? {
      app_key: randomBytes(16).toString("hex").toUpperCase(),
      app_secret: randomBytes(16).toString("hex"),
      access_token: randomBytes(16).toString("hex"),
      vender_id: "10000001",
    };
  const app = { appKey: credentials.app_key, appSecret: credentials.app_secret };
  const orders = new Map((saved?.orders ?? []).map((o) => [o.externalId, o]));
  const applies = new Map((saved?.applies ?? []).map((a) => [a.id, a]));
  const services = new Map((saved?.services ?? []).map((x) => [x.serviceId, x]));
  kit.persist(() => ({
    credentials,
    orders: [...orders.values()],
    applies: [...applies.values()],
    services: [...services.values()],
  }));
  const fault = faultSwitch<JdFaults>({ failNext: 0, garbleNext: 0, financeDelayMs: 0 });
  const faults = fault.current;
  const callLog: { method: string; accepted: boolean }[] = [];
  const nextApply = kit.sequence("refundApply", 20_000_001);
  const nextService = kit.sequence("serviceOrder", 700_000_001);
  const clock = kit.clockMs;
  const now = kit.nowMs;

  // JD finance settles an approved refund lazily, whenever someone looks.
  const settle = (a: StoredApply) => {
    if (a.status === 1 && a.settleAt !== null && clock() >= a.settleAt) {
      a.status = 3;
      a.refunded = a.amount;
      a.settleAt = null;
    }
    return a;
  };

  // --- Views: JD's field names and units ----------------------------------------------------------------

  const applyView = (a: StoredApply): Payload => ({
    id: Number(a.id),
    orderId: a.orderId,
    buyerId: `jd_buyer_${a.orderId}`,
    buyerName: "jd***",
    applyTime: formatJdTime(a.applyTime),
    checkTime: a.checkTime === null ? null : formatJdTime(a.checkTime),
    applyRefundSum: a.amount,
    status: a.status,
    checkUserName: a.checkUserName,
    checkRemark: a.checkRemark,
    reason: a.reason,
    systemId: 1,
    skuVoList: [
      { skuId: Number(a.line.lineId.replace(/\D/g, "") || "1"), skuName: a.line.title, skuCount: a.quantity },
    ],
  });

  const serviceView = (s: StoredService): Payload => ({
    applyId: Number(s.serviceId) - 1,
    serviceId: Number(s.serviceId),
    orderId: Number(s.orderId),
    applyTime: formatJdTime(s.applyTime),
    updateTime: formatJdTime(s.updatedAt),
    questionDesc: s.reason,
    customerExpect: s.expect.code,
    customerExpectName: s.expect.name,
    serviceStatus: s.status,
    serviceStatusName: s.statusName,
    customerPin: `jd_buyer_${s.orderId}`,
    skuId: Number(s.line.lineId.replace(/\D/g, "") || "1"),
    wareName: s.line.title,
    serviceCount: s.quantity,
  });

  const orderView = (o: StoredOrder): Payload => {
    const gross = o.lines.reduce((s, l) => s + l.unitPrice * l.quantity, 0);
    const paid = o.lines.reduce((s, l) => s + l.paid, 0);
    return {
      orderId: o.externalId,
      pin: o.buyerId,
      orderState: o.state,
      orderStartTime: formatJdTime(o.createdAt),
      paymentConfirmTime: formatJdTime(Date.parse(o.paidAt)),
      modified: formatJdTime(o.updatedAt),
      orderTotalPrice: yuan(gross),
      sellerDiscount: yuan(gross - paid),
      freightPrice: yuan(o.shippingFee),
      orderPayment: yuan(paid + o.shippingFee),
      waybill: o.shipment?.trackingNo ?? "",
      logisticsId: o.shipment?.carrier ?? "",
      itemInfoList: o.lines.map((l) => ({
        skuId: Number(l.lineId.replace(/\D/g, "") || "1"),
        outerSkuId: l.sku,
        skuName: l.title,
        jdPrice: yuan(l.unitPrice),
        itemTotal: String(l.quantity),
      })),
    };
  };

  // --- API -----------------------------------------------------------------------------------------------

  const wrap = (method: string, body: Payload): Payload => ({ [jdRoot(method)]: { code: "0", ...body } });
  const timeIn = (value: unknown, from: unknown, to: unknown): boolean | null => {
    if (from === undefined && to === undefined) return true;
    const f = typeof from === "string" ? jdTimeMs(from) : null;
    const t = typeof to === "string" ? jdTimeMs(to) : null;
    if (f === null || t === null) return null;
    return typeof value === "number" && value >= f && value <= t;
  };
  const int = (v: unknown): number | null => {
    const n = typeof v === "string" && /^\d{1,12}$/.test(v) ? Number(v) : v;
    return typeof n === "number" && Number.isSafeInteger(n) ? n : null;
  };
  const paging = (b: Payload, pageKey: string) => {
    const page = int(b[pageKey] ?? 1);
    const size = int(b.pageSize ?? 10);
    return page !== null &&
      size !== null &&
      page >= 1 &&
      page <= JD_MAX_PAGE_INDEX &&
      size >= 1 &&
      size <= JD_MAX_PAGE_SIZE
      ? { page, size }
      : null;
  };
  const failed = (errorMsg: string) => ({ success: false, errorCode: "PARAM_ERROR", errorMsg });

  const api: Record<string, (b: Payload) => Payload> = {
    "jingdong.pop.afs.soa.refundapply.queryPageList": (b) => {
      const method = "jingdong.pop.afs.soa.refundapply.queryPageList";
      const pg = paging(b, "pageIndex");
      if (!pg)
        return wrap(method, {
          queryResult: failed(`pageIndex 1-${JD_MAX_PAGE_INDEX}, pageSize 1-${JD_MAX_PAGE_SIZE}`),
        });
      const ids = typeof b.ids === "string" || typeof b.ids === "number" ? String(b.ids).split(",") : null;
      const matched: StoredApply[] = [];
      for (const a of [...applies.values()].map(settle)) {
        const byApply = timeIn(a.applyTime, b.applyTimeStart, b.applyTimeEnd);
        const byCheck = timeIn(a.checkTime ?? undefined, b.checkTimeStart, b.checkTimeEnd);
        if (byApply === null || byCheck === null)
          return wrap(method, { queryResult: failed("时间格式 yyyy-MM-dd HH:mm:ss") });
        if (ids && !ids.includes(a.id)) continue;
        if (b.status !== undefined && String(b.status) !== String(a.status)) continue;
        if (b.orderId !== undefined && String(b.orderId) !== a.orderId) continue;
        if (byApply && byCheck) matched.push(a);
      }
      matched.sort((x, y) => x.applyTime - y.applyTime || x.id.localeCompare(y.id));
      return wrap(method, {
        queryResult: {
          success: true,
          totalCount: matched.length,
          result: matched.slice((pg.page - 1) * pg.size, pg.page * pg.size).map(applyView),
        },
      });
    },

    "jingdong.pop.afs.soa.refundapply.replyRefund": (b) => {
      const method = "jingdong.pop.afs.soa.refundapply.replyRefund";
      const no = (errorMsg: string) =>
        wrap(method, { replyResult: { success: false, errorCode: "REPLY_FAILED", errorMsg } });
      const a = applies.get(String(b.id ?? ""));
      if (!a) return no("退款单不存在");
      settle(a);
      const status = int(b.status);
      if (status !== JD_REPLY.APPROVE && status !== JD_REPLY.REJECT)
        return no(`审核状态 ${String(b.status)} 不支持`);
      if (typeof b.remark !== "string" || b.remark.trim() === "") return no("审核备注必填");
      if (status === JD_REPLY.REJECT && !JD_REJECT_TYPES.includes(int(b.rejectType) ?? -1))
        return no(`审核不通过原因类型 ${String(b.rejectType)} 不合法`);
      if (a.status !== 0) return no(`退款单状态为${JD_REFUND_APPLY_STATUS[a.status as 0]}，不能审核`);
      a.calls.push(
        status === JD_REPLY.REJECT
          ? `${method} status=${status} rejectType=${String(b.rejectType)} remark=${b.remark}`
          : `${method} status=${status}`,
      );
      a.status = status;
      a.checkTime = now();
      a.checkRemark = b.remark;
      a.checkUserName = typeof b.checkUserName === "string" ? b.checkUserName : null;
      if (status === JD_REPLY.APPROVE) {
        a.settleAt = clock() + faults.financeDelayMs;
        settle(a);
      }
      return wrap(method, { replyResult: { success: true } });
    },

    "jingdong.asc.sync.list": (b) => {
      const method = "jingdong.asc.sync.list";
      if (String(b.buId ?? "") !== credentials.vender_id)
        return wrap(method, { pageResult: failed("buId 与授权商家不符") });
      if (!b.operatePin || !b.operateNick)
        return wrap(method, { pageResult: failed("operatePin, operateNick 必填") });
      const pg = paging(b, "pageNumber");
      if (!pg) return wrap(method, { pageResult: failed(`pageSize 1-${JD_MAX_PAGE_SIZE}`) });
      const matched = [...services.values()].filter(
        (s) => timeIn(s.updatedAt, b.updateTimeBegin, b.updateTimeEnd) === true,
      );
      matched.sort((x, y) => x.updatedAt - y.updatedAt || x.serviceId.localeCompare(y.serviceId));
      return wrap(method, {
        pageResult: {
          success: true,
          totalCount: matched.length,
          data: matched.slice((pg.page - 1) * pg.size, pg.page * pg.size).map(serviceView),
        },
      });
    },

    "jingdong.asc.query.list": (b) => {
      const method = "jingdong.asc.query.list";
      if (String(b.buId ?? "") !== credentials.vender_id)
        return wrap(method, { pageResult: failed("buId 与授权商家不符") });
      const pg = paging(b, "pageNumber");
      if (!pg) return wrap(method, { pageResult: failed(`pageSize 1-${JD_MAX_PAGE_SIZE}`) });
      const matched = [...services.values()].filter(
        (s) =>
          (b.serviceId === undefined || String(b.serviceId) === s.serviceId) &&
          (b.orderId === undefined || String(b.orderId) === s.orderId) &&
          timeIn(s.applyTime, b.applyTimeBegin, b.applyTimeEnd) === true,
      );
      return wrap(method, {
        pageResult: {
          success: true,
          totalCount: matched.length,
          data: matched.slice((pg.page - 1) * pg.size, pg.page * pg.size).map(serviceView),
        },
      });
    },

    "jingdong.pop.order.search": (b) => {
      const method = "jingdong.pop.order.search";
      const page = int(b.page ?? 1);
      const size = int(b.page_size ?? 20);
      const from = typeof b.start_date === "string" ? jdTimeMs(b.start_date) : null;
      const to = typeof b.end_date === "string" ? jdTimeMs(b.end_date) : null;
      const bad = (chineseErrCode: string) =>
        wrap(method, {
          searchorderinfo_result: {
            orderTotal: 0,
            orderInfoList: [],
            apiResult: { success: false, chineseErrCode },
          },
        });
      if (page === null || page < 1 || size === null || size < 1 || size > 100) return bad("page_size 1-100");
      if (from === null || to === null) return bad("start_date, end_date 格式 yyyy-MM-dd HH:mm:ss");
      const states = typeof b.order_state === "string" ? b.order_state.split(",") : null;
      const matched = [...orders.values()]
        .filter((o) => o.updatedAt >= from && o.updatedAt <= to && (!states || states.includes(o.state)))
        .sort((x, y) => x.updatedAt - y.updatedAt || x.externalId.localeCompare(y.externalId));
      return wrap(method, {
        searchorderinfo_result: {
          orderTotal: matched.length,
          orderInfoList: matched.slice((page - 1) * size, page * size).map(orderView),
          apiResult: { success: true },
        },
      });
    },

    "jingdong.pop.order.get": (b) => {
      const o = orders.get(String(b.order_id ?? ""));
      return wrap("jingdong.pop.order.get", {
        orderDetailInfo: { ...(o ? { orderInfo: orderView(o) } : {}), apiResult: { success: true } },
      });
    },
  };

  const handleApi = (params: Params): Payload => {
    const check = verifyJdRequest(app, params, clock());
    const method = params.method ?? "";
    const reject = (body: Payload) => {
      callLog.push({ method, accepted: false });
      return body;
    };
    if (!check.ok) return reject(jdErrorBody(check.error));
    if (params.access_token !== credentials.access_token) return reject(jdErrorBody(JD_ERRORS.INVALID_TOKEN));
    const handler = api[method];
    if (!handler) return reject(jdErrorBody(JD_ERRORS.INVALID_METHOD));
    let business: unknown;
    try {
      business = JSON.parse(params["360buy_param_json"] ?? "{}");
    } catch {
      business = null;
    }
    if (typeof business !== "object" || business === null || Array.isArray(business)) {
      return reject(wrap(method, { code: "1", errorMsg: "360buy_param_json 不是合法的 JSON 对象" }));
    }
    callLog.push({ method, accepted: true });
    return handler(business as Payload);
  };

  const url = await kit.listen(
    { ...opts, maxBody: MAX_BODY, tooLarge: [413, { message: "body too large" }] },
    (_req, res, url, body) => {
      if (url.pathname !== JD_ROUTER_PATH) return send(res, 404, { message: `no route ${url.pathname}` });
      if (fault.take("failNext")) return send(res, 502, "Bad Gateway");
      if (fault.take("garbleNext")) return sendHtml(res, 200, "<html><body>系统繁忙</body></html>");
      send(res, 200, handleApi(formParams(url, body)));
    },
  );

  const lookup = (externalId: string): StoredApply | StoredService => {
    const found = externalId.startsWith(REFUND_APPLY_PREFIX)
      ? applies.get(externalId.slice(REFUND_APPLY_PREFIX.length))
      : externalId.startsWith(ASC_PREFIX)
        ? services.get(externalId.slice(ASC_PREFIX.length))
        : undefined;
    if (!found) throw new Error(`JD simulator: no request ${externalId}`);
    return found;
  };

  const sim: JdSimulator = {
    channel: "jd",
    url,
    credentials,

    placeOrder(order: SimulatedOrder) {
      if (!/^\d+$/.test(order.externalId)) throw new Error("JD simulator: JD order ids are numeric");
      // JD sends ids as JSON numbers: beyond 2^53 they would arrive rounded, so refuse them here.
      for (const id of [order.externalId, ...order.lines.map((l) => l.lineId.replace(/\D/g, ""))]) {
        if (!Number.isSafeInteger(Number(id)))
          throw new Error(`JD simulator: id ${id} is too long for a JSON number; use at most 15 digits`);
      }
      if (orders.has(order.externalId)) throw new Error(`JD simulator: order ${order.externalId} exists`);
      const at = now();
      orders.set(order.externalId, {
        ...order,
        lines: order.lines.map((l) => ({ ...l })),
        createdAt: at,
        updatedAt: at,
        state: order.shipment
          ? order.shipment.signedAt
            ? "FINISHED_L"
            : "WAIT_GOODS_RECEIVE_CONFIRM"
          : "WAIT_SELLER_STOCK_OUT",
      });
    },

    requestAftersale(request: SimulatedRequest) {
      const order = orders.get(request.orderExternalId);
      if (!order) throw new Error(`JD simulator: no order ${request.orderExternalId}`);
      const line = order.lines.find((l) => l.lineId === request.lineId);
      if (!line) throw new Error(`JD simulator: order ${order.externalId} has no line ${request.lineId}`);
      if (
        !Number.isSafeInteger(request.quantity) ||
        request.quantity < 1 ||
        request.quantity > line.quantity
      ) {
        throw new Error(`JD simulator: quantity must be 1..${line.quantity}`);
      }
      if (!Number.isSafeInteger(request.amount) || request.amount < 1 || request.amount > line.paid) {
        throw new Error(`JD simulator: amount must be 1..${line.paid} 分`);
      }
      const at = now();
      order.updatedAt = Math.max(at, order.updatedAt);
      if (request.type === "refund_only" && !order.shipment) {
        const id = nextApply();
        applies.set(id, {
          id,
          orderId: order.externalId,
          status: 0,
          reason: JD_REASON_TEXT[request.reason],
          amount: request.amount,
          line,
          quantity: request.quantity,
          applyTime: at,
          checkTime: null,
          checkRemark: null,
          checkUserName: null,
          calls: [],
          refunded: 0,
          settleAt: null,
        });
        return `${REFUND_APPLY_PREFIX}${id}`;
      }
      const serviceId = nextService();
      services.set(serviceId, {
        serviceId,
        orderId: order.externalId,
        expect: EXPECT[request.type],
        status: 10001,
        statusName: "待审核",
        line,
        quantity: request.quantity,
        reason: JD_REASON_TEXT[request.reason],
        applyTime: at,
        updatedAt: at,
        calls: [],
      });
      return `${ASC_PREFIX}${serviceId}`;
    },

    buyerCancels(externalId: string) {
      const found = lookup(externalId);
      if (!("serviceId" in found)) {
        throw new Error(
          "JD simulator: withdrawing a refund-apply is not modelled (no such status among the documented 0–9)",
        );
      }
      if (found.status !== 10001)
        throw new Error(`JD simulator: service order ${externalId} cannot be withdrawn now`);
      found.status = 10011;
      found.statusName = "取消";
      found.updatedAt = Math.max(now(), found.updatedAt);
    },

    buyerShipsReturn(externalId: string) {
      lookup(externalId);
      throw new Error("JD simulator: service-order return states are unverified and not modelled");
    },

    inspect(externalId: string) {
      let found: StoredApply | StoredService;
      try {
        found = lookup(externalId);
      } catch {
        return undefined;
      }
      if ("serviceId" in found) return { status: String(found.status), calls: [...found.calls], refunded: 0 };
      settle(found);
      return { status: String(found.status), calls: [...found.calls], refunded: found.refunded };
    },

    faults: (patch = {}) => fault.patch(patch),
    setNow: kit.setNow,
    log: () => callLog.map((c) => ({ ...c })),
    close: async () => {},
  };
  return kit.finish(sim, {
    control: {
      faults: fault,
      views: {
        state: () => ({
          refundApplies: [...applies.values()].map(settle).map(applyView),
          services: [...services.values()].map(serviceView),
          orders: [...orders.values()].map(orderView),
          calls: callLog,
        }),
      },
    },
  });
}
