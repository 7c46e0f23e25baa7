import { randomBytes } from "node:crypto";
import type { ReasonCode } from "../../../domain/catalogue.ts";
import type { PlatformSimulator, SimulatedOrder, SimulatedRequest, SimulatorOptions } from "../platform.ts";
import { faultSwitch, isObject, type Reply, send, simulatorKit } from "../simulator-kit.ts";
import {
  encryptMessage,
  lineKey,
  PATHS,
  toXml,
  WECHAT_CURRENCY,
  WECHAT_MAX_WINDOW_MS,
  WECHAT_STATUSES,
  wechatSignature,
} from "./protocol.ts";

/**
 * A local WeChat Channels shop API: stable_token, the /channels/ec/aftersale and /channels/ec/order
 * calls with access_token, errcode answers, next_key paging, 分 amounts, and signed (optionally
 * AES-encrypted) push messages — JSON or XML — so the adapter cannot tell it from the real thing.
 */

export interface WechatChannelsSimulatorOptions extends SimulatorOptions {
  appid?: string;
  secret?: string;
  /** The push token (消息推送 Token). */
  token?: string;
  /** Safe-mode pushes: the 43-character EncodingAESKey. Plaintext pushes without it. */
  encodingAesKey?: string;
  /** Push body format. Default json. */
  pushFormat?: "json" | "xml";
  /** After-sale ids per getaftersalelist page (the platform decides it; default 50). */
  pageSize?: number;
}

export interface WechatChannelsFaults {
  /** Answer the next n API calls with HTTP 500 without doing anything. */
  failNext: number;
  /** Answer the next n API calls with errcode -1 (系统繁忙) without doing anything. */
  busyNext: number;
  /** Do the next n API calls, then drop the connection. */
  timeoutNext: number;
  /** Latency before every API answer (ms). */
  delayMs: number;
}

export interface WechatPushRequest {
  /** The push URL's query string (signature, timestamp, nonce[, encrypt_type, msg_signature]). */
  query: string;
  /** Headers as the push route hands them to parsePush: content-type and the request target in `:path`. */
  headers: Record<string, string>;
  body: string;
}

export interface WechatChannelsSimulator extends PlatformSimulator {
  faults(patch?: Partial<WechatChannelsFaults>): WechatChannelsFaults;
  /** Every access token issued so far stops working (errcode 42001), as when WeChat rotates them. */
  expireTokens(): void;
  /** How many tokens stable_token issued (a client should reuse its token). */
  tokensIssued(): number;
  /** The platform's refund to the buyer failed (PLATFORM_REFUND_FAIL). */
  platformRefundFails(externalId: string): void;
  /** The buyer opens a dispute (纠纷): complaint_id is set. */
  openComplaint(externalId: string): void;
  /** The signed push the platform sends about this request now. */
  pushFor(externalId: string, format?: "json" | "xml"): WechatPushRequest;
  pushes(): { externalId: string; status: number }[];
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
  type: "REFUND" | "RETURN" | "EXCHANGE";
  status: string;
  amount: number;
  reason: string;
  reasonText: string;
  openid: string;
  createTime: number;
  updateTime: number;
  deadline: number;
  returnInfo?: { waybill_id: string; delivery_id: string; delivery_name: string };
  addressId?: string;
  rejectReason?: string;
  complaintId?: string;
  refunded: number;
  calls: string[];
}

/** What a restarted simulator keeps (see simulator-kit.ts). */
interface WechatChannelsState {
  appid: string;
  secret: string;
  pushToken: string;
  orders: StoredOrder[];
  aftersales: StoredAftersale[];
  /** Issued access tokens and when each expires (s), the current one, and how many were issued. */
  tokens: [string, number][];
  current: string | null;
  issued: number;
}

const MAX_BODY = 256 * 1024;
const TOKEN_TTL = 7200;

/** The simulated buyer's reason → a reason code of 获取全量售后原因 and its text. */
const SIM_REASONS: Readonly<Record<ReasonCode, readonly [string, string]>> = {
  changed_mind: ["10000019", "7天无理由"],
  quality: ["10000021", "质量问题"],
  wrong_item: ["10000006", "卖家发错货"],
  damaged: ["10000040", "包装/商品破损/污渍/裂痕/变形"],
  not_as_described: ["10000011", "与商品描述不符"],
  missing_item: ["10000005", "少件/漏发"],
  not_received: ["10000007", "未收到商品"],
  logistics_lost: ["10000017", "物流无跟踪记录"],
  logistics_delay: ["10000015", "快递长时间未送达"],
  spoiled: ["10000021", "质量问题"],
  size_fit: ["10000039", "大小/尺寸与商品描述不符"],
  other: ["10000008", "其他"],
};

/** 获取拒绝售后原因 as the platform lists them. */
const REJECT_REASONS = [
  {
    reject_reason_type: 1,
    reject_reason_type_text: "已在约定时间发货且物流运输正常",
    reject_reason: "亲，您购买的商品本店已在约定时间内完成发货了",
  },
  {
    reject_reason_type: 6,
    reject_reason_type_text: "买家误操作/已协商取消申请",
    reject_reason: "亲，这次售后我先帮您取消",
  },
  {
    reject_reason_type: 20,
    reject_reason_type_text: "商品影响二次销售",
    reject_reason: "您的退货商品已影响二次销售",
  },
  {
    reject_reason_type: 21,
    reject_reason_type_text: "买家寄回包裹非本订单商品",
    reject_reason: "您的退货商品非本订单的商品",
  },
  // Not in WeChat's published sample: the simulator's own catch-all, as the adapter looks for it by text.
  {
    reject_reason_type: 99,
    reject_reason_type_text: "其他",
    reject_reason: "",
  },
] as const;

/** What acceptapply does per (type, status, accept_type): the status it leads to and whether it pays. */
const ACCEPT: Readonly<Record<string, { to: string; pays?: true; needsAddress?: true }>> = {
  "REFUND:MERCHANT_PROCESSING:2": { to: "MERCHANT_REFUND_SUCCESS", pays: true },
  "REFUND:MERCHANT_PROCESSING:": { to: "MERCHANT_REFUND_SUCCESS", pays: true },
  "RETURN:MERCHANT_PROCESSING:1": { to: "USER_WAIT_RETURN", needsAddress: true },
  "RETURN:MERCHANT_PROCESSING:": { to: "USER_WAIT_RETURN", needsAddress: true },
  "RETURN:MERCHANT_WAIT_RECEIPT:2": { to: "MERCHANT_RETURN_SUCCESS", pays: true },
  "RETURN:MERCHANT_WAIT_RECEIPT:": { to: "MERCHANT_RETURN_SUCCESS", pays: true },
  "EXCHANGE:MERCHANT_PROCESSING:1": { to: "USER_WAIT_RETURN", needsAddress: true },
  "EXCHANGE:MERCHANT_PROCESSING:": { to: "USER_WAIT_RETURN", needsAddress: true },
};
/** What rejectapply does per (type, status). */
const REJECT: Readonly<Record<string, string>> = {
  "REFUND:MERCHANT_PROCESSING": "MERCHANT_REJECT_REFUND",
  "RETURN:MERCHANT_PROCESSING": "MERCHANT_REJECT_RETURN",
  "RETURN:MERCHANT_WAIT_RECEIPT": "MERCHANT_REJECT_RETURN",
  "EXCHANGE:MERCHANT_PROCESSING": "MERCHANT_REJECT_RETURN",
  "EXCHANGE:MERCHANT_WAIT_RECEIPT": "MERCHANT_REJECT_RETURN",
};
/** How long the merchant's step lasts (deadline), by status. */
const DEADLINE_HOURS: Readonly<Record<string, number>> = {
  MERCHANT_PROCESSING: 48,
  MERCHANT_WAIT_RECEIPT: 48,
  USER_WAIT_RETURN: 7 * 24,
};
const SIM_TYPES = { refund_only: "REFUND", return_refund: "RETURN", exchange: "EXCHANGE" } as const;

export async function startWechatChannelsSimulator(
  opts: WechatChannelsSimulatorOptions = {},
): Promise<WechatChannelsSimulator> {
  const kit = simulatorKit<WechatChannelsState>({ platform: "wechat_channels", ...opts });
  const saved = kit.saved;
  const appid = saved?.appid ?? opts.appid ?? "wx5imulat0r0000001";
  const secret = saved?.secret ?? opts.secret ?? `sim-secret-${randomBytes(8).toString("hex")}`;
  const pushToken = saved?.pushToken ?? opts.token ?? `sim-push-${randomBytes(6).toString("hex")}`;
  const pageSize = opts.pageSize ?? 50;
  const { nowMs, nowS } = kit;
  const orders = new Map((saved?.orders ?? []).map((o) => [o.externalId, o]));
  const aftersales = new Map((saved?.aftersales ?? []).map((a) => [a.id, a]));
  const tokens = new Map<string, number>(saved?.tokens ?? []); // token → expires at (s)
  let current: string | null = saved?.current ?? null;
  let issued = saved?.issued ?? 0;
  kit.persist(() => ({
    appid,
    secret,
    pushToken,
    orders: [...orders.values()],
    aftersales: [...aftersales.values()],
    tokens: [...tokens],
    current,
    issued,
  }));
  const pushLog: { externalId: string; status: number }[] = [];
  const fault = faultSwitch<WechatChannelsFaults>({ failNext: 0, busyNext: 0, timeoutNext: 0, delayMs: 0 });
  const faults = fault.current;
  const nextId = kit.sequence("aftersale", 1_934_164_653_012_121);

  const ok = (payload: Record<string, unknown> = {}): Reply => [
    200,
    { errcode: 0, errmsg: "ok", ...payload },
  ];
  const err = (errcode: number, errmsg: string): Reply => [
    200,
    { errcode, errmsg: `${errmsg} rid: sim-${nowMs().toString(36)}` },
  ];

  function touch(a: StoredAftersale, status?: string) {
    if (status) a.status = status;
    a.updateTime = Math.max(nowS(), a.updateTime + 1);
    const hours = DEADLINE_HOURS[a.status];
    a.deadline = hours ? a.updateTime + hours * 3600 : 0;
    const order = orders.get(a.orderId);
    if (order) order.updatedAt = a.updateTime;
    if (opts.pushUrl) void deliver(a);
  }

  function need(id: string): StoredAftersale {
    const a = aftersales.get(id);
    if (!a) throw new Error(`no WeChat Channels after-sale ${id}`);
    return a;
  }

  // -------------------------------------------------------------------------------------------
  // Pushes
  // -------------------------------------------------------------------------------------------

  function pushFor(a: StoredAftersale, format = opts.pushFormat ?? "json"): WechatPushRequest {
    const timestamp = String(nowS());
    const nonce = randomBytes(6).toString("hex");
    const event = {
      ToUserName: "gh_sim0000000001",
      FromUserName: a.openid,
      CreateTime: a.updateTime,
      MsgType: "event",
      Event: "channels_ec_aftersale_update",
      finder_shop_aftersale_status_update: {
        status: a.status,
        after_sale_order_id: a.id,
        order_id: a.orderId,
      },
    };
    const plain = format === "xml" ? toXml(event) : JSON.stringify(event);
    const q = new URLSearchParams({
      signature: wechatSignature(pushToken, timestamp, nonce),
      timestamp,
      nonce,
    });
    let body = plain;
    if (opts.encodingAesKey) {
      const encrypted = encryptMessage(opts.encodingAesKey, plain, appid);
      q.set("encrypt_type", "aes");
      q.set("msg_signature", wechatSignature(pushToken, timestamp, nonce, encrypted));
      const outer = { ToUserName: event.ToUserName, Encrypt: encrypted };
      body = format === "xml" ? toXml(outer) : JSON.stringify(outer);
    }
    const query = q.toString();
    return {
      query,
      headers: {
        "content-type": format === "xml" ? "text/xml" : "application/json",
        ":path": `/push?${query}`,
      },
      body,
    };
  }

  async function deliver(a: StoredAftersale) {
    const p = pushFor(a);
    const entry = { externalId: a.id, status: 0 };
    pushLog.push(entry);
    try {
      const url = new URL(opts.pushUrl as string);
      for (const [k, v] of new URLSearchParams(p.query)) url.searchParams.set(k, v);
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": p.headers["content-type"] as string },
        body: p.body,
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

  function productOf(lineId: string) {
    // A simulated line "L1" is product "p-L1", sku "s-L1" on the platform.
    return { product_id: `p-${lineId}`, sku_id: `s-${lineId}` };
  }

  function aftersaleView(a: StoredAftersale) {
    return {
      after_sale_order_id: a.id,
      status: a.status,
      openid: a.openid,
      unionid: "",
      order_id: a.orderId,
      product_info: { ...productOf(a.lineId), count: a.quantity },
      details: {
        desc: "",
        receive_product: a.type !== "REFUND",
        cancel_time: 0,
        media_id_list: [],
        tel_number: "",
      },
      refund_info: { amount: a.amount },
      return_info: a.returnInfo ?? { waybill_id: "", delivery_id: "", delivery_name: "" },
      merchant_upload_info: { reject_reason: a.rejectReason ?? "", refund_certificates: [] },
      create_time: a.createTime,
      update_time: a.updateTime,
      reason: a.reason,
      reason_text: a.reasonText,
      type: a.type,
      ...(a.complaintId ? { complaint_id: a.complaintId } : {}),
      ...(a.deadline ? { deadline: a.deadline } : {}),
      refund_resp: { code: "", ret: 0, message: "" },
    };
  }

  function orderView(o: StoredOrder) {
    const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);
    const goods = o.lines.reduce((n, l) => n + l.paid, 0);
    const gross = o.lines.reduce((n, l) => n + l.unitPrice * l.quantity, 0);
    return {
      order_id: o.externalId,
      status: o.shipment ? 30 : 20,
      create_time: seconds(o.paidAt),
      update_time: o.updatedAt,
      openid: o.buyerId,
      order_detail: {
        product_infos: o.lines.map((l) => ({
          ...productOf(l.lineId),
          sku_cnt: l.quantity,
          title: l.title,
          sku_code: l.sku,
          sale_price: l.unitPrice,
          market_price: l.unitPrice,
          real_price: l.paid,
        })),
        price_info: {
          product_price: gross,
          order_price: goods + o.shippingFee,
          freight: o.shippingFee,
          discounted_price: gross - goods,
          is_discounted: gross > goods,
        },
        pay_info: {
          pay_method: "微信支付",
          transaction_id: `4200${o.externalId}`,
          pay_time: seconds(o.paidAt),
        },
        delivery_info: {
          delivery_product_info: o.shipment
            ? [
                {
                  waybill_id: o.shipment.trackingNo,
                  delivery_id: o.shipment.carrier,
                  delivery_name: o.shipment.carrier,
                  delivery_time: seconds(o.shipment.shippedAt),
                },
              ]
            : [],
        },
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // API
  // -------------------------------------------------------------------------------------------

  const int = (v: unknown): number | undefined => (Number.isSafeInteger(v) ? (v as number) : undefined);
  const encodeKey = (offset: number) =>
    Buffer.from(JSON.stringify({ o: offset, t: nowS() })).toString("base64url");
  function decodeKey(key: unknown): number | undefined {
    if (key === undefined || key === "") return 0;
    try {
      const v = JSON.parse(Buffer.from(String(key), "base64url").toString("utf8")) as { o?: unknown };
      return int(v.o);
    } catch {
      return undefined;
    }
  }

  function stableToken(p: Record<string, unknown>): Reply {
    if (p.grant_type !== "client_credential") return err(40002, "invalid grant_type");
    if (p.appid !== appid) return err(40013, "invalid appid");
    if (p.secret !== secret) return err(40125, "invalid appsecret");
    const t = nowS();
    if (!current || p.force_refresh === true || (tokens.get(current) ?? 0) <= t) {
      current = `sim_${randomBytes(16).toString("hex")}`;
      tokens.set(current, t + TOKEN_TTL);
      issued++;
    }
    return [200, { access_token: current, expires_in: (tokens.get(current) ?? t) - t }];
  }

  function aftersaleList(p: Record<string, unknown>): Reply {
    const pair = (a: unknown, b: unknown): readonly [number, number] | null => {
      const from = int(a);
      const to = int(b);
      return from !== undefined && to !== undefined ? [from, to] : null;
    };
    const byUpdate = pair(p.begin_update_time, p.end_update_time);
    const byCreate = pair(p.begin_create_time, p.end_create_time);
    const range = byUpdate ?? byCreate;
    if (!range)
      return err(47001, "data format error: begin/end_update_time or begin/end_create_time required");
    if ((range[1] - range[0]) * 1000 > WECHAT_MAX_WINDOW_MS)
      return err(10020004, "非法的时间区间,不得大于24小时");
    const offset = decodeKey(p.next_key);
    if (offset === undefined) return err(47001, "invalid next_key");
    const field = byUpdate ? "updateTime" : "createTime";
    const all = [...aftersales.values()]
      .filter((a) => a[field] >= range[0] && a[field] <= range[1])
      .sort((x, y) => x[field] - y[field] || (x.id < y.id ? -1 : 1));
    const slice = all.slice(offset, offset + pageSize);
    const more = offset + pageSize < all.length;
    return ok({
      after_sale_order_id_list: slice.map((a) => a.id),
      has_more: more,
      next_key: more ? encodeKey(offset + pageSize) : "",
    });
  }

  function aftersaleGet(p: Record<string, unknown>): Reply {
    const a = aftersales.get(String(p.after_sale_order_id ?? ""));
    return a ? ok({ after_sale_order: aftersaleView(a) }) : err(10021050, "售后单不存在");
  }

  function acceptApply(p: Record<string, unknown>): Reply {
    const a = aftersales.get(String(p.after_sale_order_id ?? ""));
    if (!a) return err(10021050, "售后单不存在");
    const acceptType = p.accept_type === undefined ? "" : String(p.accept_type);
    a.calls.push(`acceptapply${acceptType ? ` accept_type=${acceptType}` : ""}`);
    const effect = ACCEPT[`${a.type}:${a.status}:${acceptType}`];
    if (!effect) return err(10021041, "当前售后单不支持此操作,请检查售后单状态");
    if (effect.needsAddress) {
      if (!p.address_id) return err(10021060, "缺少退货地址address_id参数");
      a.addressId = String(p.address_id);
    }
    if (effect.pays) a.refunded += a.amount;
    touch(a, effect.to);
    return ok();
  }

  function rejectApply(p: Record<string, unknown>): Reply {
    const a = aftersales.get(String(p.after_sale_order_id ?? ""));
    if (!a) return err(10021050, "售后单不存在");
    a.calls.push(
      `rejectapply reject_reason_type=${String(p.reject_reason_type)} reject_reason=${String(p.reject_reason ?? "")}`,
    );
    if (!REJECT_REASONS.some((r) => r.reject_reason_type === p.reject_reason_type)) {
      return err(47001, "data format error: reject_reason_type");
    }
    const to = REJECT[`${a.type}:${a.status}`];
    if (!to) return err(10021041, "当前售后单不支持此操作,请检查售后单状态");
    a.rejectReason = typeof p.reject_reason === "string" ? p.reject_reason : "";
    touch(a, to);
    return ok();
  }

  function orderList(p: Record<string, unknown>): Reply {
    const range = isObject(p.update_time_range)
      ? p.update_time_range
      : isObject(p.create_time_range)
        ? p.create_time_range
        : null;
    const size = int(p.page_size) ?? 10;
    if (size < 1 || size > 100) return err(47001, "page_size must be 1..100");
    const start = int(range?.start_time) ?? 0;
    const end = int(range?.end_time) ?? Number.MAX_SAFE_INTEGER;
    if ((end - start) * 1000 > 7 * 24 * 3600 * 1000) return err(47001, "时间范围至多为7天");
    const offset = decodeKey(p.next_key);
    if (offset === undefined) return err(47001, "invalid next_key");
    const field = isObject(p.update_time_range) ? "updatedAt" : "createdAt";
    const all = [...orders.values()]
      .filter((o) => o[field] >= start && o[field] <= end)
      .sort((x, y) => x[field] - y[field] || (x.externalId < y.externalId ? -1 : 1));
    const more = offset + size < all.length;
    return ok({
      order_id_list: all.slice(offset, offset + size).map((o) => o.externalId),
      has_more: more,
      next_key: more ? encodeKey(offset + size) : "",
    });
  }

  function orderGet(p: Record<string, unknown>): Reply {
    const o = orders.get(String(p.order_id ?? ""));
    return o ? ok({ order: orderView(o) }) : err(100002, "订单不存在");
  }

  const ROUTES: Readonly<Record<string, (p: Record<string, unknown>) => Reply>> = {
    [PATHS.aftersaleList]: aftersaleList,
    [PATHS.aftersaleGet]: aftersaleGet,
    [PATHS.acceptApply]: acceptApply,
    [PATHS.rejectApply]: rejectApply,
    [PATHS.rejectReasonGet]: () => ok({ reason_list: REJECT_REASONS }),
    [PATHS.reasonGet]: () =>
      ok({
        reason_list: Object.values(SIM_REASONS).map(([reason, reason_text]) => ({ reason, reason_text })),
      }),
    [PATHS.orderList]: orderList,
    [PATHS.orderGet]: orderGet,
  };

  function api(path: string, query: URLSearchParams, body: string): Reply {
    let param: unknown;
    try {
      param = JSON.parse(body || "{}");
    } catch {
      return err(47001, "data format error");
    }
    if (!isObject(param)) return err(47001, "data format error");
    if (path === PATHS.token) return stableToken(param);
    const route = ROUTES[path];
    if (!route) return [404, { errcode: 404, errmsg: `no API ${path}` }];
    const tok = query.get("access_token") ?? "";
    const expires = tokens.get(tok);
    if (expires === undefined) return err(40001, "invalid credential, access_token is invalid or not latest");
    if (expires <= nowS()) return err(42001, "access_token expired");
    return route(param);
  }

  // -------------------------------------------------------------------------------------------
  // The server (controls under /_sim/, see simulator-kit.ts)
  // -------------------------------------------------------------------------------------------

  const url = await kit.listen(
    { ...opts, maxBody: MAX_BODY, tooLarge: [413, { message: "body too large" }] },
    (req, res, url, body) => {
      if (req.method !== "POST") return send(res, 405, { errcode: 43002, errmsg: "require POST method" });
      const delay = faults.delayMs;
      if (fault.take("failNext")) return kit.later(delay, () => send(res, 500, "Internal Server Error"));
      if (fault.take("busyNext")) return kit.later(delay, () => send(res, ...err(-1, "system error")));
      const reply = api(url.pathname, url.searchParams, body);
      if (fault.take("timeoutNext")) return kit.later(delay, () => req.socket.destroy());
      kit.later(delay, () => send(res, ...reply));
    },
  );

  const sim: WechatChannelsSimulator = {
    channel: "wechat_channels",
    url,
    credentials: {
      appid,
      secret,
      token: pushToken,
      return_address_id: "sim-address-1",
      ...(opts.encodingAesKey ? { encoding_aes_key: opts.encodingAesKey } : {}),
    },

    placeOrder(order) {
      if (order.currency !== WECHAT_CURRENCY) throw new Error("WeChat Channels orders are in CNY");
      if (orders.has(order.externalId)) throw new Error(`order ${order.externalId} exists`);
      const t = nowS();
      orders.set(order.externalId, { ...structuredClone(order), createdAt: t, updatedAt: t });
    },

    requestAftersale(request: SimulatedRequest) {
      const order = orders.get(request.orderExternalId);
      if (!order) throw new Error(`no order ${request.orderExternalId}`);
      const line = order.lines.find((l) => l.lineId === request.lineId);
      if (!line) throw new Error(`order ${order.externalId} has no line ${request.lineId}`);
      if (request.type === "reship") throw new Error("WeChat Channels buyers cannot ask for a reship (补发)");
      if (request.quantity < 1 || request.quantity > line.quantity) throw new Error("quantity out of range");
      if (request.amount < 0 || request.amount > line.paid + order.shippingFee)
        throw new Error("amount exceeds paid");
      const [reason, reasonText] = SIM_REASONS[request.reason];
      const id = nextId();
      const t = nowS();
      const a: StoredAftersale = {
        id,
        orderId: order.externalId,
        lineId: line.lineId,
        quantity: request.quantity,
        type: SIM_TYPES[request.type],
        status: "MERCHANT_PROCESSING",
        amount: request.type === "exchange" ? 0 : request.amount,
        reason,
        reasonText,
        openid: order.buyerId,
        createTime: t,
        updateTime: t - 1,
        deadline: 0,
        refunded: 0,
        calls: [],
      };
      aftersales.set(id, a);
      touch(a);
      return id;
    },

    buyerCancels(externalId) {
      const a = need(externalId);
      if (WECHAT_STATUSES[a.status]?.final) throw new Error(`after-sale ${externalId} is already closed`);
      touch(a, "USER_CANCELD");
    },

    buyerShipsReturn(externalId, carrier, trackingNo) {
      const a = need(externalId);
      if (a.status !== "USER_WAIT_RETURN")
        throw new Error(`after-sale ${externalId} is ${a.status}, not USER_WAIT_RETURN`);
      a.returnInfo = { waybill_id: trackingNo, delivery_id: carrier, delivery_name: carrier };
      touch(a, "MERCHANT_WAIT_RECEIPT");
    },

    inspect(externalId) {
      const a = aftersales.get(externalId);
      return a ? { status: a.status, calls: [...a.calls], refunded: a.refunded } : undefined;
    },

    platformRefundFails(externalId) {
      const a = need(externalId);
      a.refunded = 0;
      touch(a, "PLATFORM_REFUND_FAIL");
    },

    openComplaint(externalId) {
      const a = need(externalId);
      a.complaintId = `cp${a.id}`;
      touch(a);
    },

    expireTokens() {
      for (const t of tokens.keys()) tokens.set(t, 0);
    },
    tokensIssued: () => issued,
    pushFor: (externalId, format) => pushFor(need(externalId), format),
    pushes: () => pushLog.map((p) => ({ ...p })),
    faults: (patch = {}) => fault.patch(patch),
    close: async () => {},
  };
  return kit.finish(sim, {
    control: {
      faults: fault,
      views: { aftersales: () => ({ aftersales: [...aftersales.values()].map(aftersaleView) }) },
      actions: {
        "refund-fails": (id) => sim.platformRefundFails(id),
        complaint: (id) => sim.openComplaint(id),
      },
    },
  });
}

/** The platform's line key for a simulated line (product p-<line>, sku s-<line>). */
export const simulatedLineKey = (lineId: string) => lineKey(`p-${lineId}`, `s-${lineId}`);
