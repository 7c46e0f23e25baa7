import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CaseType, ReasonCode } from "../../../domain/catalogue.ts";
import { formatMinor, parseMinor } from "../../../domain/money.ts";
import type { Channel } from "../../../domain/order.ts";
import type { PlatformSimulator, SimulatedOrder, SimulatedRequest, SimulatorOptions } from "../platform.ts";
import { formParams, send, simulatorKit } from "../simulator-kit.ts";
import {
  API_VERSION,
  fromTopTime,
  GATEWAY_PATH,
  isSignMethod,
  MAX_SKEW_MS,
  REFUND_SUB_CODES,
  signTop,
  type TmcMessage,
  TOP_ERRORS,
  type TopErrorBody,
  toTopTime,
  verifyTopSignature,
} from "./protocol.ts";

/**
 * A local Taobao/Tmall Open Platform: the TOP gateway at `/router/rest` (form-encoded calls, the same
 * signing, system parameters, field names, yuan strings and 64-bit ids as the real one, and its error
 * envelope), a refund state machine per request, and TMC-style signed push messages to a callback URL.
 * Tests and `aftersales simulate` drive it as buyers and as the platform; the kit's JSON control API
 * under `/__sim/` (orders, refunds, refunds/<id>/cancel|ship|intervene|refund) does the same over HTTP
 * for a simulator running on its own.
 */

const CURRENCY = "CNY";
const DAY_MS = 24 * 3_600_000;
const MAX_PAGE_SIZE = 100;

/** What the buyer picks as the reason (the words Taobao shows), by our code. */
export const SIMULATED_REASON_TEXT: Readonly<Record<ReasonCode, string>> = {
  changed_mind: "七天无理由退换货",
  quality: "质量问题",
  wrong_item: "商家发错货",
  damaged: "商品破损",
  not_as_described: "与商品描述不符",
  missing_item: "少件/漏发",
  not_received: "未收到货",
  logistics_lost: "快递丢件",
  logistics_delay: "物流一直未送达",
  spoiled: "生鲜变质",
  size_fit: "尺码不合适",
  other: "其他",
};

const DISPUTE: Readonly<Record<CaseType, { dispute: (c: Channel) => string; goodsBack: boolean }>> = {
  refund_only: { dispute: () => "REFUND", goodsBack: false },
  return_refund: { dispute: () => "REFUND_AND_RETURN", goodsBack: true },
  exchange: { dispute: (c) => (c === "tmall" ? "TMALL_EXCHANGE" : "TAOBAO_EXCHANGE"), goodsBack: true },
  reship: { dispute: () => "RESHIPPING", goodsBack: false },
};

type RefundStatus =
  | "WAIT_SELLER_AGREE"
  | "WAIT_BUYER_RETURN_GOODS"
  | "WAIT_SELLER_CONFIRM_GOODS"
  | "SELLER_REFUSE_BUYER"
  | "CLOSED"
  | "SUCCESS";

interface SimRefund {
  refund_id: string;
  tid: string;
  oid: string;
  status: RefundStatus;
  dispute_type: string;
  has_good_return: boolean;
  good_status: string;
  refund_fee: number; // fen
  reason: string;
  desc: string;
  title: string;
  num: number;
  price: number;
  total_fee: number;
  outer_id: string;
  num_iid: string;
  buyer_nick: string;
  buyer_open_uid: string;
  created: Date;
  modified: Date;
  refund_phase: "onsale" | "aftersale";
  refund_version: number;
  cs_status: number;
  company_name?: string;
  sid?: string;
  address?: string;
  warehouse_status?: number;
  /** Tmall: reviewed for batch agreement (taobao.rp.refund.review). */
  reviewed: boolean;
  refunded: number; // fen paid back
  calls: string[];
}

interface SimTrade {
  order: SimulatedOrder;
  modified: Date;
}

/** What a restarted simulator keeps (see simulator-kit.ts); times as ISO strings. */
interface TaobaoState {
  appKey: string;
  appSecret: string;
  session: string;
  idBase: string;
  lastVersion: number;
  trades: (Omit<SimTrade, "modified"> & { modified: string })[];
  refunds: (Omit<SimRefund, "created" | "modified"> & { created: string; modified: string })[];
}

/**
 * How long each waiting status runs before Taobao acts (refund_remind_timeout): the seller has two days
 * to answer a request (then it is agreed) and ten to confirm a returned parcel; the buyer seven to ship.
 */
const TIMEOUT_HOURS: Partial<Record<RefundStatus, number>> = {
  WAIT_SELLER_AGREE: 48,
  WAIT_BUYER_RETURN_GOODS: 7 * 24,
  WAIT_SELLER_CONFIRM_GOODS: 10 * 24,
};

/**
 * What taobao.refund.refusereason.get lists, in the words the seller backend shows. TOP publishes no
 * fixed ids; these are long and scattered like real ones, and a refund is offered only the rows that
 * fit where it stands (no 已签收 once the goods came back, no 二次销售 before), so an adapter that
 * remembered ids instead of asking for the refund's own list is caught.
 */
const REFUSE_REASONS: readonly {
  id: string;
  text: string;
  tips?: string;
  fits: (r: SimRefund) => boolean;
}[] = [
  { id: "520117403", text: "买家申请已超过售后期限", fits: (r) => r.status === "WAIT_SELLER_AGREE" },
  {
    id: "520117688",
    text: "物流显示买家已签收",
    tips: "请上传物流签收记录截图",
    fits: (r) => r.status === "WAIT_SELLER_AGREE" && !r.has_good_return,
  },
  {
    id: "520118215",
    text: "定制类商品不支持七天无理由退换货",
    fits: (r) => r.status === "WAIT_SELLER_AGREE",
  },
  {
    id: "520118349",
    text: "买家未提供有效凭证（照片或视频）",
    tips: "请上传与买家的沟通记录",
    fits: () => true,
  },
  { id: "520119072", text: "买家重复申请退款", fits: (r) => r.status === "WAIT_SELLER_AGREE" },
  { id: "520119430", text: "已与买家协商一致，买家同意撤销", fits: (r) => r.status === "WAIT_SELLER_AGREE" },
  {
    id: "520120561",
    text: "退回的商品影响二次销售",
    tips: "请上传退回商品的照片",
    fits: (r) => r.status === "WAIT_SELLER_CONFIRM_GOODS",
  },
  {
    id: "520120907",
    text: "退回商品与发出商品不符",
    fits: (r) => r.status === "WAIT_SELLER_CONFIRM_GOODS",
  },
  { id: "520121376", text: "未收到买家退回的商品", fits: (r) => r.status === "WAIT_SELLER_CONFIRM_GOODS" },
  { id: "520199999", text: "其他", fits: () => true },
];
const refuseReasonsFor = (r: SimRefund) => REFUSE_REASONS.filter((x) => x.fits(r));

/**
 * Who may move a refund from where, as data. `goods`: only requests with (true) or without (false) a
 * return of goods. Anything else is refused with isv.refund-status-invalid and changes nothing.
 */
const MERCHANT_MOVES: Readonly<
  Record<string, readonly { from: RefundStatus; goods?: boolean; to: RefundStatus | "same" }[]>
> = {
  "taobao.rp.refunds.agree": [
    { from: "WAIT_SELLER_AGREE", goods: false, to: "SUCCESS" },
    { from: "WAIT_SELLER_CONFIRM_GOODS", to: "SUCCESS" },
  ],
  "taobao.refund.refuse": [{ from: "WAIT_SELLER_AGREE", to: "SELLER_REFUSE_BUYER" }],
  "taobao.rp.returngoods.refuse": [{ from: "WAIT_SELLER_CONFIRM_GOODS", to: "SELLER_REFUSE_BUYER" }],
  "taobao.rp.returngoods.agree": [{ from: "WAIT_SELLER_AGREE", goods: true, to: "WAIT_BUYER_RETURN_GOODS" }],
  "taobao.nextone.logistics.warehouse.update": [{ from: "WAIT_SELLER_CONFIRM_GOODS", to: "same" }],
};
const BUYER_CANCELS_FROM: readonly RefundStatus[] = [
  "WAIT_SELLER_AGREE",
  "WAIT_BUYER_RETURN_GOODS",
  "SELLER_REFUSE_BUYER",
];
const SETTLED: readonly RefundStatus[] = ["SUCCESS", "CLOSED"];

/** TMC topics per move. */
const TOPIC_FOR: Readonly<Record<string, string>> = {
  created: "taobao_refund_RefundCreated",
  WAIT_BUYER_RETURN_GOODS: "taobao_refund_RefundSellerAgreeAgreement",
  SELLER_REFUSE_BUYER: "taobao_refund_RefundSellerRefuseAgreement",
  WAIT_SELLER_CONFIRM_GOODS: "taobao_refund_RefundBuyerReturnGoods",
  CLOSED: "taobao_refund_RefundClosed",
  SUCCESS: "taobao_refund_RefundSuccess",
  modified: "taobao_refund_RefundBuyerModifyAgreement",
  intervened: "taobao_refund_RefundCreateMessage",
  trade: "taobao_trade_TradeBuyerPay",
};

class TopError extends Error {
  readonly body: TopErrorBody;
  constructor(body: TopErrorBody) {
    super(body.sub_msg ?? body.msg);
    this.body = body;
  }
}
const platformError = (e: { code: number; msg: string }, sub_msg?: string) =>
  new TopError({ ...e, ...(sub_msg ? { sub_msg } : {}) });
const businessError = (sub_code: string, sub_msg: string) =>
  new TopError({ ...TOP_ERRORS.REMOTE_SERVICE_ERROR, sub_code, sub_msg });

/** JSON that writes 64-bit ids as numbers, exactly, as TOP does. */
const rawNumber = (digits: string): unknown =>
  /^\d+$/.test(digits) ? (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON(digits) : digits;

const yuan = (fen: number) => formatMinor(fen, CURRENCY);

export interface TaobaoSimulator extends PlatformSimulator {
  /** Customer service steps in (cs_status 3: 客服已经介入). */
  intervene(externalId: string): void;
  /** The platform refunds on its own (e.g. the seller let the agreement time out). */
  platformRefunds(externalId: string): void;
  /** The buyer changes the amount asked for: a new refund_version. */
  buyerModifies(externalId: string, amount: number): void;
  /** What taobao.refund.refusereason.get lists for this refund as it stands now. */
  refuseReasons(externalId: string): { id: string; text: string }[];
  /** Make the next `times` calls of `method` fail: a gateway 500, or an isp.* error envelope. */
  failNext(method: string, times?: number, kind?: "http500" | "isp"): void;
  /** Every gateway call received, in order (method and whether it passed the signature check). */
  readonly gatewayCalls: { method: string; ok: boolean; error?: number }[];
  /** Wait until every push sent so far was delivered (or gave up). */
  pushesSettled(): Promise<void>;
  setPushUrl(url: string | undefined): void;
  readonly pushes: { topic: string; id: string; status: number | "failed" }[];
}

export async function startTaobaoSimulator(opts: SimulatorOptions = {}): Promise<TaobaoSimulator> {
  const channel: Channel = opts.channel === "tmall" ? "tmall" : "taobao";
  const kit = simulatorKit<TaobaoState>({ ...opts, platform: channel });
  const saved = kit.saved;
  const now = () => new Date(kit.nowMs());
  let pushUrl = opts.pushUrl;
  const appKey = saved?.appKey ?? String(10_000_000 + (randomBytes(3).readUIntBE(0, 3) % 89_999_999));
  const appSecret = saved?.appSecret ?? randomBytes(16).toString("hex");
  const session = saved?.session ?? `6100${randomBytes(20).toString("hex")}`;
  const sellerNick = channel === "tmall" ? "模拟天猫旗舰店" : "模拟淘宝小店";
  const trades = new Map(
    (saved?.trades ?? []).map((t) => [t.order.externalId, { ...t, modified: new Date(t.modified) }]),
  );
  const refunds = new Map(
    (saved?.refunds ?? []).map((r) => [
      r.refund_id,
      { ...r, created: new Date(r.created), modified: new Date(r.modified) },
    ]),
  );
  const failures = new Map<string, { times: number; kind: "http500" | "isp" }>();
  const gatewayCalls: TaobaoSimulator["gatewayCalls"] = [];
  const pushes: TaobaoSimulator["pushes"] = [];
  const inflight = new Set<Promise<void>>();
  const nextRefundSeq = kit.sequence("refund", 1);
  const nextMessageId = kit.sequence("message", 1_000_000_001);
  let lastVersion = saved?.lastVersion ?? 0;
  const idBase =
    saved?.idBase ?? `${now().getUTCFullYear()}${String(now().getUTCMonth() + 1).padStart(2, "0")}`;
  kit.persist(() => ({
    appKey,
    appSecret,
    session,
    idBase,
    lastVersion,
    trades: [...trades.values()].map((t) => ({ ...t, modified: t.modified.toISOString() })),
    refunds: [...refunds.values()].map((r) => ({
      ...r,
      created: r.created.toISOString(),
      modified: r.modified.toISOString(),
    })),
  }));

  const nextVersion = () => {
    lastVersion = Math.max(lastVersion + 1, now().getTime());
    return lastVersion;
  };
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;

  // --- push (TMC over HTTP) ---------------------------------------------------------------------
  function push(topic: string, content: Record<string, unknown>) {
    if (!pushUrl) return;
    const message: TmcMessage = {
      id: nextMessageId(),
      topic,
      content: JSON.stringify(content),
      pub_time: toTopTime(now()),
      pub_app_key: appKey,
      user_id: "2200000000001",
      user_nick: sellerNick,
    };
    const params: Record<string, string> = {
      ...message,
      app_key: appKey,
      timestamp: toTopTime(now()),
      sign_method: "hmac-sha256",
    };
    params.sign = signTop(params, appSecret, "hmac-sha256");
    const record = { topic, id: message.id, status: "failed" as number | "failed" };
    pushes.push(record);
    const url = pushUrl;
    const p = (async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
            body: new URLSearchParams(params).toString(),
            signal: AbortSignal.timeout(10_000),
          });
          await res.text();
          record.status = res.status;
          if (res.ok) return;
        } catch {
          record.status = "failed";
        }
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    })();
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  }
  const refundContent = (r: SimRefund) => ({
    buyer_nick: r.buyer_nick,
    refund_fee: yuan(r.refund_fee),
    oid: rawNumber(r.oid),
    refund_id: rawNumber(r.refund_id),
    refund_phase: r.refund_phase,
    seller_nick: sellerNick,
    tid: rawNumber(r.tid),
    modified: toTopTime(r.modified),
  });

  const move = (r: SimRefund, to: RefundStatus | "same", topic?: string) => {
    if (to !== "same") r.status = to;
    r.modified = now();
    r.refund_version = nextVersion();
    push(topic ?? TOPIC_FOR[r.status] ?? "taobao_refund_RefundCreateMessage", refundContent(r));
  };

  // --- views as TOP returns them -------------------------------------------------------------------
  function refundView(r: SimRefund): Record<string, unknown> {
    return {
      refund_id: rawNumber(r.refund_id),
      tid: rawNumber(r.tid),
      oid: rawNumber(r.oid),
      total_fee: yuan(r.total_fee),
      buyer_nick: r.buyer_nick,
      buyer_open_uid: r.buyer_open_uid,
      seller_nick: sellerNick,
      created: toTopTime(r.created),
      modified: toTopTime(r.modified),
      order_status: tradeStatus(trades.get(r.tid)?.order),
      status: r.status,
      good_status: r.good_status,
      has_good_return: r.has_good_return,
      refund_fee: yuan(r.refund_fee),
      payment: yuan(Math.max(0, r.total_fee - r.refunded)),
      reason: r.reason,
      desc: r.desc,
      title: r.title,
      num: r.num,
      price: yuan(r.price),
      ...(r.company_name ? { company_name: r.company_name } : {}),
      ...(r.sid ? { sid: r.sid } : {}),
      ...(r.address ? { address: r.address } : {}),
      refund_phase: r.refund_phase,
      refund_version: r.refund_version,
      outer_id: r.outer_id,
      num_iid: rawNumber(r.num_iid),
      dispute_type: r.dispute_type,
      cs_status: r.cs_status,
      attribute: r.warehouse_status ? `warehouse_status:${r.warehouse_status};` : "",
      operation_contraint: "",
      refund_remind_timeout: remindTimeout(r),
    };
  }

  /** The timer Taobao shows on a refund: while it waits for someone, when the platform acts for them. */
  function remindTimeout(r: SimRefund) {
    const hours = TIMEOUT_HOURS[r.status];
    if (!hours) return { exist_timeout: false };
    return {
      remind_type: 1,
      exist_timeout: true,
      timeout: toTopTime(new Date(new Date(r.modified).getTime() + hours * 3_600_000)),
    };
  }

  function tradeStatus(o: SimulatedOrder | undefined) {
    if (!o) return "TRADE_CLOSED";
    if (!o.shipment) return "WAIT_SELLER_SEND_GOODS";
    return o.shipment.signedAt ? "TRADE_FINISHED" : "WAIT_BUYER_CONFIRM_GOODS";
  }

  const top = (iso: string | undefined) => (iso ? toTopTime(new Date(iso)) : undefined);

  function tradeView(t: SimTrade): Record<string, unknown> {
    const o = t.order;
    const goods = o.lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0);
    const paid = o.lines.reduce((a, l) => a + l.paid, 0);
    return {
      tid: rawNumber(o.externalId),
      status: tradeStatus(o),
      payment: yuan(paid + o.shippingFee),
      total_fee: yuan(goods),
      post_fee: yuan(o.shippingFee),
      discount_fee: yuan(goods - paid),
      created: top(o.paidAt),
      pay_time: top(o.paidAt),
      modified: toTopTime(t.modified),
      ...(o.shipment ? { consign_time: top(o.shipment.shippedAt) } : {}),
      ...(o.shipment?.signedAt ? { end_time: top(o.shipment.signedAt) } : {}),
      buyer_nick: o.buyerId,
      buyer_open_uid: `AAH${o.buyerId}`,
      alipay_no: `2026${o.externalId}`,
      receiver_state: "浙江省",
      receiver_city: "杭州市",
      receiver_district: "余杭区",
      receiver_address: `文一西路${o.buyerId.length}号`,
      orders: {
        order: o.lines.map((l) => ({
          oid: rawNumber(l.lineId),
          num: l.quantity,
          price: yuan(l.unitPrice),
          total_fee: yuan(l.unitPrice * l.quantity),
          payment: yuan(l.paid),
          divide_order_fee: yuan(l.paid),
          discount_fee: "0.00",
          title: l.title,
          outer_sku_id: l.sku,
          num_iid: rawNumber(String(600000000000 + l.sku.length)),
          status: tradeStatus(o),
          ...(o.shipment ? { logistics_company: o.shipment.carrier, invoice_no: o.shipment.trackingNo } : {}),
        })),
      },
    };
  }

  const pick = (view: Record<string, unknown>, fields: string | undefined) => {
    if (!fields) throw platformError(TOP_ERRORS.MISSING_REQUIRED_ARGUMENTS, "fields is required");
    const wanted = new Set(fields.split(",").map((f) => f.trim().split(".")[0]));
    return Object.fromEntries(Object.entries(view).filter(([k]) => wanted.has(k)));
  };

  function windowOf(p: Record<string, string>) {
    const from = fromTopTime(p.start_modified);
    const to = fromTopTime(p.end_modified);
    if (!from || !to)
      throw platformError(
        TOP_ERRORS.MISSING_REQUIRED_ARGUMENTS,
        "start_modified and end_modified are required",
      );
    // taobao.trades.sold.increment.get documents end_modified - start_modified <= 1 day; the simulator
    // holds refunds.receive.get to the same window the adapter claims.
    if (to.getTime() - from.getTime() > DAY_MS || to < from)
      throw businessError(
        REFUND_SUB_CODES.WINDOW_TOO_LONG,
        "end_modified - start_modified must be between 0 and one day",
      );
    return { from: from.getTime(), to: to.getTime() };
  }

  function page<T>(rows: T[], p: Record<string, string>) {
    const pageNo = Number(p.page_no ?? 1);
    const pageSize = Number(p.page_size ?? 40);
    if (
      !Number.isSafeInteger(pageNo) ||
      pageNo < 1 ||
      !Number.isSafeInteger(pageSize) ||
      pageSize < 1 ||
      pageSize > MAX_PAGE_SIZE
    )
      throw platformError(TOP_ERRORS.INVALID_ARGUMENTS, "page_no must be ≥ 1 and page_size 1–100");
    const items = rows.slice((pageNo - 1) * pageSize, pageNo * pageSize);
    const more = pageNo * pageSize < rows.length;
    return { items, extra: p.use_has_next === "true" ? { has_next: more } : { total_results: rows.length } };
  }

  const refundOf = (p: Record<string, string>) => {
    if (!p.refund_id) throw platformError(TOP_ERRORS.MISSING_REQUIRED_ARGUMENTS, "refund_id is required");
    return (
      refunds.get(p.refund_id) ??
      (() => {
        throw businessError(REFUND_SUB_CODES.NOT_FOUND, `refund ${p.refund_id} does not exist`);
      })()
    );
  };

  /** Tmall insists on the phase and version; both platforms refuse a stale version. */
  function checkVersion(r: SimRefund, version: string | undefined, phase: string | undefined) {
    if (channel === "tmall" && (!version || !phase))
      throw platformError(
        TOP_ERRORS.MISSING_REQUIRED_ARGUMENTS,
        "refund_version and refund_phase are required for Tmall refunds",
      );
    if (version && version !== String(r.refund_version))
      throw businessError(
        REFUND_SUB_CODES.STALE_VERSION,
        `refund_version ${version} is not the latest (${r.refund_version})`,
      );
    if (phase && phase !== r.refund_phase)
      throw businessError(REFUND_SUB_CODES.INVALID_PARAMETER, `refund_phase is ${r.refund_phase}`);
  }

  /** An id not on taobao.refund.refusereason.get's list for this refund is refused; none at all is
   * allowed (it is optional). */
  function checkRefuseReason(r: SimRefund, id: string | undefined) {
    if (id !== undefined && !refuseReasonsFor(r).some((x) => x.id === id))
      throw businessError(
        REFUND_SUB_CODES.INVALID_PARAMETER,
        `refuse_reason_id ${id} is not a valid refuse reason for refund ${r.refund_id}`,
      );
  }

  function merchantMove(method: string, r: SimRefund) {
    const row = (MERCHANT_MOVES[method] ?? []).find(
      (m) => m.from === r.status && (m.goods === undefined || m.goods === r.has_good_return),
    );
    if (!row)
      throw businessError(
        REFUND_SUB_CODES.INVALID_STATUS,
        `refund ${r.refund_id} is ${r.status}; ${method} does not apply`,
      );
    return row.to;
  }

  // --- the APIs ------------------------------------------------------------------------------------
  const APIS: Record<string, (p: Record<string, string>) => Record<string, unknown>> = {
    "taobao.refunds.receive.get": (p) => {
      const w = windowOf(p);
      const rows = [...refunds.values()]
        .filter(
          (r) =>
            seconds(r.modified) >= w.from &&
            seconds(r.modified) <= w.to &&
            (!p.status || r.status === p.status),
        )
        .sort((a, b) => b.modified.getTime() - a.modified.getTime() || (b.refund_id < a.refund_id ? -1 : 1));
      const { items, extra } = page(rows, p);
      return { refunds: { refund: items.map((r) => pick(refundView(r), p.fields)) }, ...extra };
    },
    "taobao.refund.get": (p) => ({ refund: pick(refundView(refundOf(p)), p.fields) }),
    "taobao.trades.sold.increment.get": (p) => {
      const w = windowOf(p);
      const rows = [...trades.values()]
        .filter((t) => seconds(t.modified) >= w.from && seconds(t.modified) <= w.to)
        .sort(
          (a, b) =>
            b.modified.getTime() - a.modified.getTime() || (b.order.externalId < a.order.externalId ? -1 : 1),
        );
      const { items, extra } = page(rows, p);
      return { trades: { trade: items.map((t) => pick(tradeView(t), p.fields)) }, ...extra };
    },
    "taobao.trade.fullinfo.get": (p) => {
      const t = trades.get(p.tid ?? "");
      if (!t) throw businessError(REFUND_SUB_CODES.TRADE_NOT_FOUND, `trade ${p.tid} does not exist`);
      return { trade: pick(tradeView(t), p.fields) };
    },
    "taobao.rp.refunds.agree": (p) => {
      const infos = (p.refund_infos ?? "").split(",").filter(Boolean);
      if (infos.length === 0)
        throw platformError(TOP_ERRORS.MISSING_REQUIRED_ARGUMENTS, "refund_infos is required");
      const results: { refund_id: unknown; succ: boolean; message: string }[] = [];
      const errors: TopError[] = [];
      for (const info of infos) {
        const [id = "", amountText = "", version, phase] = info.split("|");
        try {
          const r = refundOf({ refund_id: id });
          checkVersion(r, version || undefined, phase || undefined);
          const amount = Number(amountText);
          if (!Number.isSafeInteger(amount) || amount <= 0)
            throw businessError(REFUND_SUB_CODES.INVALID_PARAMETER, "amount is a positive number of fen");
          if (amount > r.refund_fee)
            throw businessError(
              REFUND_SUB_CODES.AMOUNT_EXCEEDED,
              `amount ${amount} exceeds the refund_fee ${r.refund_fee} the buyer asked for`,
            );
          if (channel === "tmall" && !r.reviewed)
            throw businessError(
              REFUND_SUB_CODES.NOT_REVIEWED,
              `refund ${r.refund_id} must be reviewed (taobao.rp.refund.review) before it is agreed`,
            );
          const to = merchantMove("taobao.rp.refunds.agree", r);
          r.refunded = amount;
          r.calls.push("taobao.rp.refunds.agree");
          move(r, to);
          results.push({ refund_id: rawNumber(id), succ: true, message: "success" });
        } catch (e) {
          if (!(e instanceof TopError)) throw e;
          errors.push(e);
          results.push({
            refund_id: rawNumber(id),
            succ: false,
            message: `${e.body.sub_code ?? e.body.code}: ${e.message}`,
          });
        }
      }
      // One refund that failed is reported the way any failed call is; a batch reports per refund.
      const [only] = errors;
      if (infos.length === 1 && only) throw only;
      const ok = errors.length === 0;
      return {
        succ: ok,
        msg_code: ok ? "OP_SUCC" : errors.length < infos.length ? "SOME_OP_SUCC" : "OP_FAILURE_UE",
        message: ok ? "success" : "some refunds were not agreed",
        results: { refund_mapping_result: results },
      };
    },
    "taobao.rp.refund.review": (p) => {
      const r = refundOf(p);
      if (channel !== "tmall")
        throw businessError(REFUND_SUB_CODES.INVALID_PARAMETER, "refund review is for Tmall refunds only");
      checkVersion(r, p.refund_version, p.refund_phase);
      if (!p.operator) throw platformError(TOP_ERRORS.MISSING_REQUIRED_ARGUMENTS, "operator is required");
      if (SETTLED.includes(r.status))
        throw businessError(REFUND_SUB_CODES.INVALID_STATUS, `refund ${r.refund_id} is ${r.status}`);
      r.reviewed = p.result === "true";
      r.calls.push(`taobao.rp.refund.review:${p.result}`);
      return { is_success: true };
    },
    "taobao.refund.refusereason.get": (p) => {
      const r = refundOf(p);
      if (p.refund_phase && p.refund_phase !== r.refund_phase)
        throw businessError(REFUND_SUB_CODES.INVALID_PARAMETER, `refund_phase is ${r.refund_phase}`);
      const reasons = refuseReasonsFor(r).map((x) => ({
        reason_id: rawNumber(x.id),
        reason_text: x.text,
        ...(x.tips ? { reason_tips: x.tips } : {}),
      }));
      return { reasons: { reason: reasons }, total_results: reasons.length, has_next: false };
    },
    "taobao.refund.refuse": (p) => {
      const r = refundOf(p);
      checkVersion(r, p.refund_version, p.refund_phase);
      const text = p.refuse_message ?? "";
      if (text.length < 2 || text.length > 200)
        throw businessError(REFUND_SUB_CODES.INVALID_PARAMETER, "refuse_message must be 2–200 characters");
      checkRefuseReason(r, p.refuse_reason_id);
      const to = merchantMove("taobao.refund.refuse", r);
      r.calls.push(`taobao.refund.refuse:${p.refuse_reason_id ?? ""}:${text}`);
      move(r, to);
      return { refund: { refund_id: rawNumber(r.refund_id), modified: toTopTime(r.modified) } };
    },
    "taobao.rp.returngoods.refuse": (p) => {
      const r = refundOf(p);
      checkVersion(r, p.refund_version, p.refund_phase);
      checkRefuseReason(r, p.refuse_reason_id);
      const to = merchantMove("taobao.rp.returngoods.refuse", r);
      r.calls.push(`taobao.rp.returngoods.refuse:${p.refuse_reason_id ?? ""}:${p.refuse_message ?? ""}`);
      move(r, to);
      return { property: true };
    },
    "taobao.rp.returngoods.agree": (p) => {
      const r = refundOf(p);
      checkVersion(r, p.refund_version, p.refund_phase);
      if (channel === "taobao" && (!p.name || !p.address || !(p.tel || p.mobile)))
        throw platformError(
          TOP_ERRORS.MISSING_REQUIRED_ARGUMENTS,
          "name, address and tel or mobile are required for Taobao refunds",
        );
      const to = merchantMove("taobao.rp.returngoods.agree", r);
      r.address = [p.name, p.tel ?? p.mobile, p.address, p.post].filter(Boolean).join("，");
      r.calls.push("taobao.rp.returngoods.agree");
      move(r, to);
      return { is_success: true };
    },
    "taobao.nextone.logistics.warehouse.update": (p) => {
      const r = refundOf(p);
      if (p.warehouse_status !== "1")
        throw businessError(REFUND_SUB_CODES.INVALID_PARAMETER, "warehouse_status must be 1 (已入仓)");
      const to = merchantMove("taobao.nextone.logistics.warehouse.update", r);
      r.warehouse_status = 1;
      r.calls.push("taobao.nextone.logistics.warehouse.update");
      move(r, to, "taobao_refund_RefundCreateMessage");
      return { succeed: true, result_data: "ok" };
    },
  };

  /** The gateway's own checks, in the order TOP reports them, then the API. */
  function gateway(p: Record<string, string>): Record<string, unknown> {
    const method = p.method;
    if (!method) throw platformError(TOP_ERRORS.MISSING_METHOD);
    const api = APIS[method];
    if (!api) throw platformError(TOP_ERRORS.INVALID_METHOD);
    if (!p.app_key) throw platformError(TOP_ERRORS.MISSING_APP_KEY);
    if (p.app_key !== appKey) throw platformError(TOP_ERRORS.INVALID_APP_KEY);
    if (!p.timestamp) throw platformError(TOP_ERRORS.MISSING_TIMESTAMP);
    const ts = fromTopTime(p.timestamp);
    if (!ts || Math.abs(ts.getTime() - now().getTime()) > MAX_SKEW_MS)
      throw platformError(TOP_ERRORS.INVALID_TIMESTAMP);
    if (!p.v) throw platformError(TOP_ERRORS.MISSING_VERSION);
    if (p.v !== API_VERSION) throw platformError(TOP_ERRORS.INVALID_VERSION);
    if (p.sign_method && !isSignMethod(p.sign_method))
      throw platformError(TOP_ERRORS.INVALID_ARGUMENTS, "sign_method");
    if (!p.sign) throw platformError(TOP_ERRORS.MISSING_SIGNATURE);
    if (!verifyTopSignature(p, appSecret)) throw platformError(TOP_ERRORS.INVALID_SIGNATURE);
    if (!p.session) throw platformError(TOP_ERRORS.MISSING_SESSION);
    if (p.session !== session) throw platformError(TOP_ERRORS.INVALID_SESSION);
    if (p.format && p.format !== "json") throw platformError(TOP_ERRORS.INVALID_FORMAT);
    return api(p);
  }

  // --- the simulated buyer and platform --------------------------------------------------------------
  function placeOrder(order: SimulatedOrder) {
    if (order.currency !== CURRENCY) throw new Error(`Taobao trades are in ${CURRENCY}`);
    trades.set(order.externalId, { order: structuredClone(order), modified: now() });
    push(TOPIC_FOR.trade as string, {
      tid: rawNumber(order.externalId),
      seller_nick: sellerNick,
      buyer_nick: order.buyerId,
    });
  }

  function requestAftersale(req: SimulatedRequest): string {
    const t = trades.get(req.orderExternalId);
    if (!t) throw new Error(`No trade ${req.orderExternalId}`);
    const line = t.order.lines.find((l) => l.lineId === req.lineId);
    if (!line) throw new Error(`No line ${req.lineId} on trade ${req.orderExternalId}`);
    if (!Number.isSafeInteger(req.quantity) || req.quantity < 1 || req.quantity > line.quantity)
      throw new Error(`Quantity must be 1–${line.quantity}`);
    if (!Number.isSafeInteger(req.amount) || req.amount <= 0 || req.amount > line.paid)
      throw new Error(`Amount must be 1–${line.paid} fen`);
    const kind = DISPUTE[req.type];
    if (kind.goodsBack && !t.order.shipment)
      throw new Error("Nothing was shipped; only a refund can be asked for");
    const refundId = `${idBase}${nextRefundSeq().padStart(13 - idBase.length + 6, "0")}`;
    const at = now();
    const r: SimRefund = {
      refund_id: refundId,
      tid: t.order.externalId,
      oid: line.lineId,
      status: "WAIT_SELLER_AGREE",
      dispute_type: kind.dispute(channel),
      has_good_return: kind.goodsBack,
      good_status: t.order.shipment ? "BUYER_RECEIVED" : "BUYER_NOT_RECEIVED",
      refund_fee: req.amount,
      reason: SIMULATED_REASON_TEXT[req.reason],
      desc: `买家申请：${SIMULATED_REASON_TEXT[req.reason]}`,
      title: line.title,
      // The units the buyer claims (a whole-line refund claims what was bought).
      num: req.quantity,
      price: line.unitPrice,
      total_fee: line.paid,
      outer_id: line.sku,
      num_iid: String(600000000000 + line.sku.length),
      buyer_nick: t.order.buyerId,
      buyer_open_uid: `AAH${t.order.buyerId}`,
      created: at,
      modified: at,
      refund_phase: t.order.shipment ? "aftersale" : "onsale",
      refund_version: nextVersion(),
      cs_status: 1,
      reviewed: false,
      refunded: 0,
      calls: [],
    };
    refunds.set(refundId, r);
    push(TOPIC_FOR.created as string, refundContent(r));
    return refundId;
  }

  const must = (id: string) =>
    refunds.get(id) ??
    (() => {
      throw new Error(`No refund ${id}`);
    })();

  // --- HTTP ----------------------------------------------------------------------------------------
  function handleGateway(req: IncomingMessage, res: ServerResponse, url: URL, raw: string) {
    const params = formParams(url, req.method === "POST" ? raw : "");
    const method = params.method ?? "";
    const fault = failures.get(method);
    if (fault && fault.times > 0) {
      fault.times--;
      gatewayCalls.push({ method, ok: false, error: fault.kind === "http500" ? 500 : 15 });
      if (fault.kind === "http500") return send(res, 500, { message: "simulated gateway failure" });
      return send(res, 200, {
        error_response: {
          ...TOP_ERRORS.REMOTE_SERVICE_ERROR,
          sub_code: "isp.top-remote-connection-timeout",
          sub_msg: "simulated",
          request_id: randomBytes(6).toString("hex"),
        },
      });
    }
    try {
      const result = gateway(params);
      gatewayCalls.push({ method, ok: true });
      send(res, 200, {
        [`${method.replace(/^taobao\./, "").replaceAll(".", "_")}_response`]: {
          ...result,
          request_id: randomBytes(6).toString("hex"),
        },
      });
    } catch (e) {
      if (!(e instanceof TopError)) throw e;
      gatewayCalls.push({ method, ok: false, error: e.body.code });
      send(res, 200, { error_response: { ...e.body, request_id: randomBytes(6).toString("hex") } });
    }
  }

  const url = await kit.listen(
    {
      ...opts,
      maxBody: 1_000_000,
      tooLarge: [400, { message: "body too large" }],
      onError: (e) => [400, { message: (e as Error).message }],
      controlPrefix: "/__sim/",
    },
    (req, res, url, body) =>
      url.pathname === GATEWAY_PATH
        ? handleGateway(req, res, url, body)
        : send(res, 404, { message: "not found" }),
  );

  const sim: TaobaoSimulator = {
    channel,
    url,
    credentials: Object.freeze({
      app_key: appKey,
      app_secret: appSecret,
      session,
      gateway: `${url}${GATEWAY_PATH}`,
    }),
    gatewayCalls,
    pushes,
    placeOrder,
    requestAftersale,
    buyerCancels(id) {
      const r = must(id);
      if (!BUYER_CANCELS_FROM.includes(r.status)) throw new Error(`A ${r.status} refund cannot be withdrawn`);
      move(r, "CLOSED");
    },
    buyerShipsReturn(id, carrier, trackingNo) {
      const r = must(id);
      if (r.status !== "WAIT_BUYER_RETURN_GOODS")
        throw new Error(`A ${r.status} refund is not awaiting a return`);
      r.company_name = carrier;
      r.sid = trackingNo;
      r.good_status = "BUYER_RETURNED_GOODS";
      move(r, "WAIT_SELLER_CONFIRM_GOODS");
    },
    buyerModifies(id, amount) {
      const r = must(id);
      if (r.status !== "WAIT_SELLER_AGREE" && r.status !== "SELLER_REFUSE_BUYER")
        throw new Error(`A ${r.status} refund cannot be changed`);
      r.refund_fee = amount;
      move(r, "WAIT_SELLER_AGREE", TOPIC_FOR.modified);
    },
    intervene(id) {
      const r = must(id);
      if (SETTLED.includes(r.status)) throw new Error(`A ${r.status} refund is settled`);
      r.cs_status = 3;
      move(r, "same", TOPIC_FOR.intervened);
    },
    platformRefunds(id) {
      const r = must(id);
      if (SETTLED.includes(r.status)) throw new Error(`A ${r.status} refund is settled`);
      r.refunded = r.refund_fee;
      move(r, "SUCCESS");
    },
    inspect(id) {
      const r = refunds.get(id);
      return r ? { status: r.status, calls: [...r.calls], refunded: r.refunded } : undefined;
    },
    refuseReasons(id) {
      return refuseReasonsFor(must(id)).map(({ id, text }) => ({ id, text }));
    },
    failNext(method, times = 1, kind = "isp") {
      failures.set(method, { times, kind });
    },
    setPushUrl(url) {
      pushUrl = url;
    },
    async pushesSettled() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    close: async () => {},
  };
  return kit.finish(sim, {
    control: {
      requests: "refunds",
      orderIdKey: "tid",
      requestIdKey: "refund_id",
      actions: { intervene: (id) => sim.intervene(id), refund: (id) => sim.platformRefunds(id) },
    },
    beforeClose: () => sim.pushesSettled(),
  });
}

/** Fen to the yuan string a simulated order line would show — for tests building orders by hand. */
export const simYuan = yuan;
export const simFen = (text: string) => parseMinor(text, CURRENCY);
