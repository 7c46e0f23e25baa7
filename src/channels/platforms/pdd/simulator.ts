import { randomBytes } from "node:crypto";
import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import { formatMinor } from "../../../domain/money.ts";
import type {
  PlatformSimulator,
  ReturnAddress,
  SimulatedOrder,
  SimulatedRequest,
  SimulatorOptions,
} from "../platform.ts";
import { faultSwitch, formParams, send, sendHtml, simulatorKit } from "../simulator-kit.ts";
import {
  formatPddDateTime,
  PDD_ALL,
  PDD_ERRORS,
  PDD_MAX_PAGE_SIZE,
  PDD_MAX_WINDOW_MS,
  PDD_NOT_FOUND_SUB_CODE,
  PDD_ROUTER_PATH,
  pddErrorBody,
  verifyPddRequest,
} from "./protocol.ts";

/**
 * A local Pinduoduo open platform on loopback: the same router, form fields, MD5 signature, error
 * envelope, 30-minute windows, page limits, field names and units as the real one (see pdd-protocol.ts),
 * so the adapter cannot tell the difference. Tests and the demo drive it as buyers and as the platform;
 * `/_sim/*` (loopback only, unsigned) exposes its state and injectable faults, and drives buyers.
 *
 * Flows it models (after_sales_status codes):
 *   refund only      2 → (pdd.refund.agree) 4 → 10              buyer cancels → 11
 *   return + refund  3 → (pdd.refund.returngoods.agree) 7 → (buyer ships) 3 with tracking → (agree) 4 → 10
 *   exchange/reship  14 (decided in the PDD backend; not modelled further)
 *   speed refund     5 with speed_refund_flag 1 / speed_refund_status "3": PDD has paid the buyer already
 */

/** `now` is the platform's clock (event times and signature freshness); `pushUrl` is unused (no pushes). */
export interface PddSimulatorOptions extends SimulatorOptions {
  credentials?: { client_id: string; client_secret: string; access_token: string };
}

export interface PddFaults {
  /** Answer the next n API calls with HTTP 502 and do nothing. */
  failNext: number;
  /** Answer the next n API calls with an HTML error page instead of JSON, and do nothing. */
  garbleNext: number;
  /** An agreed refund stays 4 (退款中) this long before it becomes 10 (退款成功). */
  refundDelayMs: number;
}

export interface PddSimulator extends PlatformSimulator {
  /** The buyer's request; `speedRefund` has PDD pay a refund-only request at once (极速退款). */
  requestAftersale(request: SimulatedRequest, options?: { speedRefund?: boolean }): string;
  /** Merge a patch into the active faults and return them; throws on unknown keys or bad values. */
  faults(patch?: Partial<PddFaults>): PddFaults;
  /** Platform time for the next orders, requests and changes (epoch ms); null: the real clock. */
  setNow(ms: number | null): void;
  /** Add an address to the shop's return-address book (退货地址库); returns its id. */
  addReturnAddress(address: ReturnAddress): string;
  /** Every API call received, in order: its type and whether it was accepted. */
  log(): { type: string; accepted: boolean }[];
}

/** What a simulated buyer's reason looks like on PDD (free text, as after_sale_reason). */
export const PDD_REASON_TEXT: Record<ReasonCode, string> = {
  changed_mind: "不想要了",
  quality: "质量问题",
  wrong_item: "商家发错货",
  damaged: "商品破损",
  not_as_described: "与商品描述不符",
  missing_item: "少件/漏发",
  not_received: "未收到货",
  logistics_lost: "快递/物流无跟踪记录",
  logistics_delay: "快递/物流一直未送到",
  spoiled: "商品变质/发霉",
  size_fit: "尺码不合适",
  other: "其他原因",
};

/** Our case type → the list's after_sales_type, the detail's after_sales_type and the first status. */
const TYPE_CODES: Record<CaseType, { list: number; detail: number; status: number }> = {
  refund_only: { list: 2, detail: 1, status: 2 },
  return_refund: { list: 3, detail: 2, status: 3 },
  exchange: { list: 4, detail: 3, status: 14 },
  reship: { list: 5, detail: 4, status: 14 },
};

interface StoredOrder extends SimulatedOrder {
  createdAt: number;
  updatedAt: number;
}

interface StoredAftersale {
  id: string;
  orderSn: string;
  type: CaseType;
  status: number;
  reason: string;
  createdAt: number;
  updatedAt: number;
  amount: number;
  line: SimulatedOrder["lines"][number];
  quantity: number;
  trackingNumber: string | null;
  shippingName: string | null;
  speedRefundFlag: 0 | 1;
  speedRefundStatus: string;
  calls: string[];
  refunded: number;
  settleAt: number | null;
}

interface StoredAddress extends ReturnAddress {
  id: string;
}

type Params = Record<string, string>;
type Payload = Record<string, unknown>;

/** What a restarted simulator keeps (see simulator-kit.ts). */
interface PddState {
  credentials: NonNullable<PddSimulatorOptions["credentials"]>;
  orders: StoredOrder[];
  aftersales: StoredAftersale[];
  addresses: StoredAddress[];
}

const MAX_BODY = 64 * 1024;
const yuan = (fen: number) => formatMinor(fen, "CNY");
const seconds = (ms: number) => String(Math.floor(ms / 1000));

export async function startPddSimulator(opts: PddSimulatorOptions = {}): Promise<PddSimulator> {
  const kit = simulatorKit<PddState>({ platform: "pdd", ...opts });
  const saved = kit.saved;
  const credentials = saved?.credentials ??
    opts.credentials ?? {
      client_id: `sim${randomBytes(8).toString("hex")}`,
      client_secret: randomBytes(20).toString("hex"),
      access_token: randomBytes(16).toString("hex"),
    };
  const app = { clientId: credentials.client_id, clientSecret: credentials.client_secret };
  const orders = new Map((saved?.orders ?? []).map((o) => [o.externalId, o]));
  const aftersales = new Map((saved?.aftersales ?? []).map((a) => [a.id, a]));
  const addresses: StoredAddress[] = saved?.addresses ?? [];
  kit.persist(() => ({
    credentials,
    orders: [...orders.values()],
    aftersales: [...aftersales.values()],
    addresses,
  }));
  const fault = faultSwitch<PddFaults>({ failNext: 0, garbleNext: 0, refundDelayMs: 0 });
  const faults = fault.current;
  const callLog: { type: string; accepted: boolean }[] = [];
  const nextId = kit.sequence("aftersale", 4_000_000_001);
  const clock = kit.clockMs;
  const now = kit.nowMs;

  // An agreed refund settles lazily, whenever someone looks.
  const settle = (a: StoredAftersale) => {
    if (a.status === 4 && a.settleAt !== null && clock() >= a.settleAt) {
      a.status = 10;
      a.refunded = a.amount;
      a.settleAt = null;
      a.updatedAt = Math.max(now(), a.updatedAt);
    }
    return a;
  };
  const touch = (a: StoredAftersale, status: number) => {
    a.status = status;
    a.updatedAt = Math.max(now(), a.updatedAt);
  };

  // --- Wire views (PDD's field names and units) --------------------------------------------------------

  const orderView = (o: StoredOrder): Payload => {
    const gross = o.lines.reduce((s, l) => s + l.unitPrice * l.quantity, 0);
    const paid = o.lines.reduce((s, l) => s + l.paid, 0);
    const after = [...aftersales.values()].filter((a) => a.orderSn === o.externalId).map(settle);
    const refunded = after.reduce((s, a) => s + a.refunded, 0);
    const latest = after.at(-1);
    return {
      order_sn: o.externalId,
      created_time: formatPddDateTime(o.createdAt),
      confirm_time: formatPddDateTime(Date.parse(o.paidAt)),
      pay_time: formatPddDateTime(Date.parse(o.paidAt)),
      updated_at: formatPddDateTime(o.updatedAt),
      goods_amount: yuan(gross),
      discount_amount: yuan(gross - paid),
      seller_discount: yuan(gross - paid),
      platform_discount: yuan(0),
      postage: yuan(o.shippingFee),
      pay_amount: yuan(paid + o.shippingFee),
      pay_type: "WEIXIN",
      pay_no: `PDDPAY${o.externalId.replace(/\D/g, "")}`,
      order_status: o.shipment ? (o.shipment.signedAt ? 3 : 2) : 1,
      refund_status: refunded > 0 ? 4 : after.some((a) => ![10, 11, 12, 13].includes(a.status)) ? 2 : 1,
      after_sales_status: latest?.status ?? 0,
      tracking_number: o.shipment?.trackingNo ?? "",
      logistics_id: o.shipment?.carrier ?? "",
      shipping_time: o.shipment ? formatPddDateTime(Date.parse(o.shipment.shippedAt)) : "",
      receive_time: o.shipment?.signedAt ? formatPddDateTime(Date.parse(o.shipment.signedAt)) : "",
      item_list: o.lines.map((l) => ({
        goods_id: Number(l.lineId.replace(/\D/g, "") || "1"),
        sku_id: l.lineId,
        outer_id: l.sku,
        outer_goods_id: l.sku,
        goods_name: l.title,
        goods_price: yuan(l.unitPrice),
        goods_count: l.quantity,
      })),
    };
  };

  const listView = (a: StoredAftersale): Payload => {
    const o = orders.get(a.orderSn);
    return {
      id: Number(a.id),
      order_sn: a.orderSn,
      after_sales_type: TYPE_CODES[a.type].list,
      after_sales_status: a.status,
      after_sale_reason: a.reason,
      created_time: seconds(a.createdAt),
      updated_time: seconds(a.updatedAt),
      confirm_time: o ? seconds(Date.parse(o.paidAt)) : "",
      order_amount: o ? yuan(o.lines.reduce((s, l) => s + l.paid, 0) + o.shippingFee) : "0.00",
      refund_amount: yuan(a.amount),
      discount_amount: yuan(a.line.unitPrice * a.line.quantity - a.line.paid),
      goods_id: Number(a.line.lineId.replace(/\D/g, "") || "1"),
      goods_name: a.line.title,
      goods_number: String(a.quantity),
      goods_price: yuan(a.line.unitPrice),
      good_image: "",
      sku_id: a.line.lineId,
      outer_id: a.line.sku,
      outer_goods_id: a.line.sku,
      tracking_number: a.trackingNumber ?? "",
      shipping_name: a.shippingName ?? "",
      speed_refund_flag: a.speedRefundFlag,
      speed_refund_status: a.speedRefundStatus,
      dispute_refund_status: 0,
      refund_operator_role: a.status === 4 || a.status === 10 ? 2 : 0,
      user_shipping_status: "0",
    };
  };

  const detailView = (a: StoredAftersale): Payload => {
    const o = orders.get(a.orderSn);
    return {
      id: Number(a.id),
      order_sn: a.orderSn,
      after_sales_type: TYPE_CODES[a.type].detail,
      after_sales_status: a.status,
      after_sales_reason: a.reason,
      refund_amount: a.amount,
      order_amount: o ? o.lines.reduce((s, l) => s + l.paid, 0) + o.shippingFee : 0,
      discount_amount: a.line.unitPrice * a.line.quantity - a.line.paid,
      goods_number: a.quantity,
      goods_price: a.line.unitPrice,
      sku_id: a.line.lineId,
      express_no: a.trackingNumber ?? "",
      shipping_name: a.shippingName ?? "",
      recreated_at: a.createdAt,
      confirm_time: o ? Date.parse(o.paidAt) : 0,
      updated_time: seconds(a.updatedAt),
      shipping_status: o?.shipment ? 1 : 0,
      speed_refund_flag: a.speedRefundFlag,
      dispute_refund_status: 0,
    };
  };

  // --- API -------------------------------------------------------------------------------------------

  const paramError = (msg: string) => pddErrorBody(PDD_ERRORS.PARAM, msg, String(PDD_ERRORS.PARAM.code));
  const intIn = (v: string | undefined, min: number, max: number): number | null =>
    v !== undefined && /^\d{1,12}$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : null;

  /** start/end UNIX seconds, both inclusive, at most 30 minutes apart. */
  const windowOf = (p: Params): { start: number; end: number } | { error: Payload } => {
    const start = intIn(p.start_updated_at, 0, 1e11);
    const end = intIn(p.end_updated_at, 0, 1e11);
    if (start === null || end === null)
      return { error: paramError("start_updated_at 和 end_updated_at 必填") };
    if (end < start) return { error: paramError("结束时间不能早于开始时间") };
    if ((end - start) * 1000 > PDD_MAX_WINDOW_MS)
      return { error: paramError("开始时间结束时间间距不超过 30 分钟") };
    return { start, end };
  };
  const pageArgs = (p: Params): { page: number; size: number } | { error: Payload } => {
    const page = p.page === undefined ? 1 : intIn(p.page, 1, 1e6);
    const size = p.page_size === undefined ? PDD_MAX_PAGE_SIZE : intIn(p.page_size, 1, PDD_MAX_PAGE_SIZE);
    if (page === null) return { error: paramError("page 从 1 开始") };
    if (size === null) return { error: paramError(`page_size 最大 ${PDD_MAX_PAGE_SIZE}`) };
    return { page, size };
  };
  const notFound = () =>
    pddErrorBody(PDD_ERRORS.BUSINESS, "订单不属于当前店铺或订单不存在", PDD_NOT_FOUND_SUB_CODE);
  const decisionRequest = (p: Params): Payload | null => {
    try {
      const r = JSON.parse(p.request ?? "") as unknown;
      return typeof r === "object" && r !== null && !Array.isArray(r) ? (r as Payload) : null;
    } catch {
      return null;
    }
  };
  const findDecided = (r: Payload): StoredAftersale | undefined => {
    const a = aftersales.get(String(r.after_sales_id ?? ""));
    return a && a.orderSn === String(r.order_sn ?? "") ? settle(a) : undefined;
  };

  const api: Record<string, (p: Params) => Payload> = {
    "pdd.refund.list.increment.get": (p) => {
      if (p.after_sales_status === undefined || p.after_sales_type === undefined) {
        return pddErrorBody(
          { code: 21002, msg: "请求参数不能为空" },
          "after_sales_status, after_sales_type 必填",
        );
      }
      const w = windowOf(p);
      if ("error" in w) return w.error;
      const pg = pageArgs(p);
      if ("error" in pg) return pg.error;
      const status = Number(p.after_sales_status);
      const type = Number(p.after_sales_type);
      const all = [...aftersales.values()].map(settle);
      const matched = (
        p.order_sn
          ? all.filter((a) => a.orderSn === p.order_sn) // 若入参含订单号，则可查询订单下的全部售后单
          : all.filter((a) => {
              const at = Math.floor(a.updatedAt / 1000);
              return (
                at >= w.start &&
                at <= w.end &&
                (status === PDD_ALL || a.status === status) &&
                (type === PDD_ALL || TYPE_CODES[a.type].list === type)
              );
            })
      ).sort((x, y) => x.updatedAt - y.updatedAt || x.id.localeCompare(y.id));
      return {
        refund_increment_get_response: {
          total_count: matched.length,
          refund_list: matched.slice((pg.page - 1) * pg.size, pg.page * pg.size).map(listView),
        },
      };
    },

    "pdd.refund.information.get": (p) => {
      if (!p.order_sn) return pddErrorBody({ code: 21002, msg: "请求参数不能为空" }, "order_sn 必填");
      const a = p.after_sales_id
        ? aftersales.get(p.after_sales_id)
        : [...aftersales.values()].find((x) => x.orderSn === p.order_sn);
      if (!a || a.orderSn !== p.order_sn) return notFound();
      return detailView(settle(a)); // documented without a wrapper
    },

    "pdd.order.information.get": (p) => {
      const o = orders.get(p.order_sn ?? "");
      return o ? { order_info_get_response: { order_info: orderView(o) } } : notFound();
    },

    "pdd.order.number.list.increment.get": (p) => {
      const w = windowOf(p);
      if ("error" in w) return w.error;
      const pg = pageArgs(p);
      if ("error" in pg) return pg.error;
      const matched = [...orders.values()]
        .filter((o) => {
          const at = Math.floor(o.updatedAt / 1000);
          return at >= w.start && at <= w.end;
        })
        .sort((x, y) => x.updatedAt - y.updatedAt || x.externalId.localeCompare(y.externalId));
      const slice = matched.slice((pg.page - 1) * pg.size, pg.page * pg.size);
      return {
        order_sn_increment_get_response: {
          ...(p.use_has_next === "true"
            ? { has_next: pg.page * pg.size < matched.length }
            : { total_count: matched.length }),
          order_sn_list: slice.map(orderView),
        },
      };
    },

    "pdd.refund.address.list.get": () => ({
      refund_address_list_get_response: {
        refund_address_list: addresses.map((a, i) => ({
          id: Number(a.id),
          refund_name: a.name,
          refund_phone: a.phone,
          refund_address: a.address,
          province_name: "",
          city_name: "",
          district_name: "",
          is_default: i === 0 ? "1" : "0",
        })),
      },
    }),

    "pdd.refund.agree": (p) => {
      const r = decisionRequest(p);
      if (!r) return paramError("request 必填");
      const a = findDecided(r);
      const fail = (message: string) => ({
        response: {
          result: { after_sales_id: r.after_sales_id, order_sn: r.order_sn, succ: false, message },
        },
      });
      if (!a) return fail("售后单不存在");
      const agreeable = a.status === 2 || (a.status === 3 && a.trackingNumber !== null);
      if (!agreeable) return fail(`当前售后状态(${a.status})不可同意退款`);
      a.calls.push("pdd.refund.agree");
      touch(a, 4);
      a.settleAt = clock() + faults.refundDelayMs;
      settle(a);
      return {
        response: {
          result: { after_sales_id: Number(a.id), order_sn: a.orderSn, succ: true, message: "退款操作成功" },
        },
      };
    },

    "pdd.refund.returngoods.agree": (p) => {
      const r = decisionRequest(p);
      if (!r) return paramError("request 必填");
      const a = findDecided(r);
      const fail = (message: string) => ({
        response: {
          success: false,
          error_code: 0,
          error_msg: message,
          result: { after_sales_id: r.after_sales_id, order_sn: r.order_sn, success: false, message },
        },
      });
      if (!a) return fail("售后单不存在");
      if (a.type !== "return_refund" || a.status !== 3 || a.trackingNumber !== null) {
        return fail(`当前售后状态(${a.status})不可同意退货`);
      }
      if (!addresses.some((x) => x.id === String(r.return_address_id ?? ""))) return fail("退货地址不存在");
      a.calls.push("pdd.refund.returngoods.agree");
      touch(a, 7);
      return {
        response: {
          success: true,
          error_code: 0,
          error_msg: "",
          result: {
            after_sales_id: Number(a.id),
            order_sn: a.orderSn,
            success: true,
            message: "同意退货成功",
          },
        },
      };
    },
  };

  const handleApi = (params: Params): Payload => {
    const check = verifyPddRequest(app, params, clock());
    if (!check.ok) {
      callLog.push({ type: params.type ?? "", accepted: false });
      return pddErrorBody(
        check.error,
        check.error === PDD_ERRORS.COMMON_PARAM ? `公共参数错误:${check.detail}` : check.detail,
        String(check.error.code),
      );
    }
    if (params.access_token !== credentials.access_token) {
      callLog.push({ type: params.type ?? "", accepted: false });
      return pddErrorBody(PDD_ERRORS.TOKEN, "access_token", String(PDD_ERRORS.TOKEN.code));
    }
    const handler = api[params.type ?? ""];
    callLog.push({ type: params.type ?? "", accepted: handler !== undefined });
    return handler
      ? handler(params)
      : pddErrorBody(PDD_ERRORS.TYPE, params.type ?? "", String(PDD_ERRORS.TYPE.code));
  };

  const url = await kit.listen(
    { ...opts, maxBody: MAX_BODY, tooLarge: [413, pddErrorBody({ code: 52004, msg: "请求body 太大" })] },
    (_req, res, url, body) => {
      if (url.pathname !== PDD_ROUTER_PATH) return send(res, 404, { message: `no route ${url.pathname}` });
      if (fault.take("failNext")) return send(res, 502, "Bad Gateway");
      if (fault.take("garbleNext")) return sendHtml(res, 200, "<html><body>gateway error</body></html>");
      send(res, 200, handleApi(formParams(url, body)));
    },
  );

  const mustFind = (id: string) => {
    const a = aftersales.get(id);
    if (!a) throw new Error(`PDD simulator: no after-sales ${id}`);
    return settle(a);
  };

  const sim: PddSimulator = {
    channel: "pdd",
    url,
    credentials,

    placeOrder(order: SimulatedOrder) {
      if (orders.has(order.externalId)) throw new Error(`PDD simulator: order ${order.externalId} exists`);
      // PDD sends goods ids as JSON numbers: beyond 2^53 they would arrive rounded, so refuse them here.
      for (const l of order.lines) {
        if (!Number.isSafeInteger(Number(l.lineId.replace(/\D/g, "") || "1")))
          throw new Error(
            `PDD simulator: line id ${l.lineId} is too long for a JSON number; use at most 15 digits`,
          );
      }
      const at = now();
      orders.set(order.externalId, {
        ...order,
        lines: order.lines.map((l) => ({ ...l })),
        createdAt: at,
        updatedAt: at,
      });
    },

    requestAftersale(request: SimulatedRequest, options: { speedRefund?: boolean } = {}) {
      const order = orders.get(request.orderExternalId);
      if (!order) throw new Error(`PDD simulator: no order ${request.orderExternalId}`);
      const line = order.lines.find((l) => l.lineId === request.lineId);
      if (!line) throw new Error(`PDD simulator: order ${order.externalId} has no line ${request.lineId}`);
      if (
        !Number.isSafeInteger(request.quantity) ||
        request.quantity < 1 ||
        request.quantity > line.quantity
      ) {
        throw new Error(`PDD simulator: quantity must be 1..${line.quantity}`);
      }
      if (!Number.isSafeInteger(request.amount) || request.amount < 1 || request.amount > line.paid) {
        throw new Error(`PDD simulator: amount must be 1..${line.paid} 分`);
      }
      const speed = options.speedRefund === true;
      if (speed && request.type !== "refund_only")
        throw new Error("PDD simulator: speed refunds are refund-only");
      const at = now();
      const id = nextId();
      aftersales.set(id, {
        id,
        orderSn: order.externalId,
        type: request.type,
        status: speed ? 5 : TYPE_CODES[request.type].status,
        reason: PDD_REASON_TEXT[request.reason],
        createdAt: at,
        updatedAt: at,
        amount: request.amount,
        line,
        quantity: request.quantity,
        trackingNumber: null,
        shippingName: null,
        speedRefundFlag: speed ? 1 : 0,
        speedRefundStatus: speed ? "3" : "",
        calls: [],
        refunded: speed ? request.amount : 0,
        settleAt: null,
      });
      order.updatedAt = Math.max(at, order.updatedAt);
      return id;
    },

    buyerCancels(externalId: string) {
      const a = mustFind(externalId);
      if (![2, 3, 6, 7, 14].includes(a.status)) {
        throw new Error(`PDD simulator: after-sales ${externalId} in status ${a.status} cannot be withdrawn`);
      }
      touch(a, 11);
    },

    buyerShipsReturn(externalId: string, carrier: string, trackingNo: string) {
      const a = mustFind(externalId);
      if (a.status !== 7)
        throw new Error(`PDD simulator: after-sales ${externalId} is not awaiting a return (${a.status})`);
      a.trackingNumber = trackingNo;
      a.shippingName = carrier;
      touch(a, 3);
    },

    inspect(externalId: string) {
      const a = aftersales.get(externalId);
      if (!a) return undefined;
      settle(a);
      return { status: String(a.status), calls: [...a.calls], refunded: a.refunded };
    },

    faults: (patch = {}) => fault.patch(patch),
    setNow: kit.setNow,
    addReturnAddress(address: ReturnAddress) {
      const id = String(9_000 + addresses.length + 1);
      addresses.push({ ...address, id });
      return id;
    },
    log: () => callLog.map((c) => ({ ...c })),
    close: async () => {},
  };
  return kit.finish(sim, {
    control: {
      faults: fault,
      views: {
        state: () => ({
          aftersales: [...aftersales.values()].map(settle).map(listView),
          orders: [...orders.values()].map(orderView),
          calls: callLog,
        }),
      },
    },
  });
}
