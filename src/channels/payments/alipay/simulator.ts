import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SimulatedPayment } from "../channel.ts";
import { alipayChannel } from "./adapter.ts";
import { type AlipayBillRow, renderAlipayTradeBill, zipAlipayBill } from "./bill.ts";
import {
  beijingTime,
  CODE_BUSINESS_FAILED,
  CODE_SUCCESS,
  formBody,
  METHOD_BILL_URL,
  METHOD_REFUND,
  METHOD_REFUND_QUERY,
  notificationSigningString,
  parseBeijingTime,
  parseForm,
  privateKeyFrom,
  publicKeyFrom,
  requestSigningString,
  rsa2Sign,
  rsa2Verify,
  SUB_CODE_BILL_NOT_EXIST,
  SUB_CODES,
  signedResponse,
  toFen,
  toYuan,
} from "./protocol.ts";

/**
 * A local Alipay gateway speaking the same OpenAPI protocol as openapi.alipay.com for refunds: it checks
 * the app's RSA2 request sign, signs its answers with its own "Alipay" key, keeps trades and their
 * refunds (idempotent by out_request_no per trade, never more than the trade's total in all), and can
 * be told to fail in the ways that matter: a 500, a signed ACQ.SYSTEM_ERROR, an answer without its
 * sign, a dropped connection after the money moved, a declined refund, latency.
 */

export type AlipayTradeStatus = "TRADE_SUCCESS" | "TRADE_CLOSED" | "TRADE_FINISHED";

export interface AlipaySimTrade {
  trade_no: string;
  out_trade_no: string;
  /** What the buyer paid, in fen. */
  total: number;
  status: AlipayTradeStatus;
  buyer_logon_id: string;
  buyer_user_id: string;
  gmt_payment: string;
}

export interface AlipaySimRefund {
  trade_no: string;
  out_trade_no: string;
  out_request_no: string;
  /** This refund's amount, in fen. */
  amount: number;
  refund_reason: string | null;
  gmt_refund_pay: string;
  notify_url: string | null;
}

export interface AlipaySimFaults {
  /** Answer the next n gateway calls with HTTP 500 (no body sign, nothing done). */
  failNext: number;
  /** Answer the next n gateway calls with a signed 40004 ACQ.SYSTEM_ERROR, without doing anything. */
  systemErrorNext: number;
  /** Do the next n calls, then answer without the sign (as a truncated or proxied answer would look). */
  unsignedNext: number;
  /** Do the next n calls, then drop the connection after delayMs: the money moved, the caller can't tell. */
  timeoutNext: number;
  /** Refuse the next n new refunds with ACQ.SELLER_BALANCE_NOT_ENOUGH: nothing moves, nothing is kept. */
  declineNext: number;
  /** Latency before every gateway answer (and before a timeoutNext drop). */
  delayMs: number;
}

export interface AlipaySimulatorOptions {
  port?: number;
  host?: string;
  /** The app id the merchant config carries; default a fixed sandbox-looking id. */
  appId?: string;
  /** JSON file to keep keys, trades and refunds in across restarts. */
  stateFile?: string;
}

/** What an adapter needs to talk to this simulator: spread it into alipayChannel(). */
export interface AlipayMerchantConfig {
  appId: string;
  privateKey: string;
  alipayPublicKey: string;
  gatewayUrl: string;
}

export interface AlipaySimulator {
  url: string;
  merchantConfig: AlipayMerchantConfig;
  close(): Promise<void>;
  /** A paid trade refunds can go against; trade_no is made up when not given. */
  openTrade(t: {
    outTradeNo: string;
    total: number;
    tradeNo?: string;
    status?: AlipayTradeStatus;
  }): AlipaySimTrade;
  trades(): AlipaySimTrade[];
  refunds(): AlipaySimRefund[];
  /** Merge a patch into the active faults and return them; throws on unknown keys or bad values. */
  faults(patch?: Partial<AlipaySimFaults>): AlipaySimFaults;
  /** The signed asynchronous notification (trade_status_sync) Alipay posts after a refund, as a form body. */
  notification(outRequestNo: string, tradeNo?: string): { contentType: string; body: string };
  /**
   * The day's trade bill (业务明细) as the zip bill_download_url serves: trades paid and refunds made
   * that Beijing day. null for a day after today, which has no bill.
   */
  tradeBill(date: string): Uint8Array | null;
  /** Gateway calls received so far (parameters as sent, biz_content parsed), newest last. */
  requests(): { params: Record<string, string>; biz: Record<string, unknown> | null }[];
}

type Reply =
  | { kind: "signed"; method: string; body: Record<string, unknown>; node?: string }
  | { kind: "unsigned"; method: string; body: Record<string, unknown>; node?: string }
  | { kind: "http"; status: number; text: string };

interface StoredTrade extends AlipaySimTrade {
  refunds: AlipaySimRefund[];
}

interface State {
  appPublicKey: string;
  appPrivateKey: string;
  alipayPublicKey: string;
  alipayPrivateKey: string;
  appId: string;
  trades: StoredTrade[];
}

const MAX_BODY = 64 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
/** How far a request's timestamp may be from the simulator's clock. */
const MAX_SKEW_MS = 15 * 60_000;
const OUT_REQUEST_NO = /^[0-9A-Za-z_\-|*@.]{1,64}$/;
const GATEWAY_PATH = "/gateway.do";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

const gatewayError = (code: string, msg: string, subCode: string, subMsg: string) => ({
  code,
  msg,
  sub_code: subCode,
  sub_msg: subMsg,
});
const invalidArguments = (subCode: string, subMsg: string) =>
  gatewayError("40002", "Invalid Arguments", subCode, subMsg);
const business = (subCode: string, extra: Record<string, unknown> = {}) => ({
  code: CODE_BUSINESS_FAILED,
  msg: "Business Failed",
  sub_code: subCode,
  sub_msg: SUB_CODES[subCode]?.message ?? subCode,
  ...extra,
});

export async function startAlipaySimulator(opts: AlipaySimulatorOptions = {}): Promise<AlipaySimulator> {
  const state = loadState(opts.stateFile) ?? newState(opts.appId ?? "2021000000000001");
  const appPublicKey = publicKeyFrom(state.appPublicKey);
  const alipayPrivateKey = privateKeyFrom(state.alipayPrivateKey);
  const trades = new Map(state.trades.map((t) => [t.trade_no, t]));
  const faults: AlipaySimFaults = {
    failNext: 0,
    systemErrorNext: 0,
    unsignedNext: 0,
    timeoutNext: 0,
    declineNext: 0,
    delayMs: 0,
  };
  const log: { params: Record<string, string>; biz: Record<string, unknown> | null }[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const save = () => {
    if (!opts.stateFile) return;
    const data: State = { ...state, trades: [...trades.values()] };
    // Write-then-rename so a crash mid-write never leaves a half file.
    writeFileSync(`${opts.stateFile}.tmp`, JSON.stringify(data, null, 2));
    renameSync(`${opts.stateFile}.tmp`, opts.stateFile);
  };
  save();

  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const applyFaults = (patch: unknown): AlipaySimFaults => {
    if (!isObject(patch)) throw new Error("faults must be an object");
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in faults)) throw new Error(`unknown fault "${key}"`);
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        throw new Error(`fault "${key}" must be a non-negative integer`);
      }
    }
    Object.assign(faults, patch);
    return { ...faults };
  };

  const openTrade: AlipaySimulator["openTrade"] = (t) => {
    if (!Number.isSafeInteger(t.total) || t.total <= 0)
      throw new Error("total must be a positive number of fen");
    if (!t.outTradeNo) throw new Error("outTradeNo is required");
    const tradeNo =
      t.tradeNo ?? `${beijingTime(new Date()).replace(/\D/g, "").slice(0, 8)}2200${randomDigits(16)}`;
    const clash = [...trades.values()].find((x) => x.trade_no === tradeNo || x.out_trade_no === t.outTradeNo);
    if (clash) throw new Error(`a trade ${clash.trade_no} / ${clash.out_trade_no} exists already`);
    const trade: StoredTrade = {
      trade_no: tradeNo,
      out_trade_no: t.outTradeNo,
      total: t.total,
      status: t.status ?? "TRADE_SUCCESS",
      buyer_logon_id: "159****5620",
      buyer_user_id: `2088${randomDigits(12)}`,
      gmt_payment: beijingTime(new Date()),
      refunds: [],
    };
    trades.set(tradeNo, trade);
    save();
    return view(trade);
  };

  const findTrade = (biz: Record<string, unknown>): StoredTrade | undefined => {
    const tradeNo = str(biz.trade_no);
    if (tradeNo) return trades.get(tradeNo);
    const outTradeNo = str(biz.out_trade_no);
    return outTradeNo ? [...trades.values()].find((t) => t.out_trade_no === outTradeNo) : undefined;
  };
  const refunded = (t: StoredTrade) => t.refunds.reduce((sum, r) => sum + r.amount, 0);

  const refund = (biz: Record<string, unknown>, notifyUrl: string | undefined): Record<string, unknown> => {
    if (!str(biz.trade_no) && !str(biz.out_trade_no)) return business("ACQ.INVALID_PARAMETER");
    let amount: number;
    try {
      amount = toFen(biz.refund_amount, "refund_amount");
    } catch {
      return business("ACQ.INVALID_PARAMETER");
    }
    if (amount <= 0) return business("ACQ.INVALID_PARAMETER");
    const trade = findTrade(biz);
    if (!trade) return business("ACQ.TRADE_NOT_EXIST");
    // Without out_request_no Alipay takes the trade's own out_trade_no: only one such refund per trade.
    const outRequestNo = str(biz.out_request_no) ?? trade.out_trade_no;
    if (!OUT_REQUEST_NO.test(outRequestNo)) return business("ACQ.INVALID_PARAMETER");
    const answer = (fundChange: "Y" | "N", r: AlipaySimRefund) => ({
      code: CODE_SUCCESS,
      msg: "Success",
      trade_no: trade.trade_no,
      out_trade_no: trade.out_trade_no,
      buyer_logon_id: trade.buyer_logon_id,
      buyer_user_id: trade.buyer_user_id,
      fund_change: fundChange,
      // The trade's running total, not this refund.
      refund_fee: toYuan(refunded(trade)),
      send_back_fee: fundChange === "Y" ? toYuan(r.amount) : "0.00",
      gmt_refund_pay: r.gmt_refund_pay,
    });

    const existing = trade.refunds.find((r) => r.out_request_no === outRequestNo);
    if (existing) {
      // A repeat: the same refund again, no money moves. Different parameters are a conflict.
      return existing.amount === amount
        ? answer("N", existing)
        : business("ACQ.DISCORDANT_REPEAT_REQUEST", { refund_fee: "0.00", send_back_fee: "0.00" });
    }
    if (trade.status === "TRADE_FINISHED") return business("ACQ.TRADE_HAS_FINISHED");
    // A fully refunded trade is closed too; asking for more is asking beyond what was paid.
    if (refunded(trade) + amount > trade.total) {
      return business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", {
        out_trade_no: trade.out_trade_no,
        refund_fee: "0.00",
        send_back_fee: "0.00",
      });
    }
    if (trade.status === "TRADE_CLOSED") return business("ACQ.TRADE_STATUS_ERROR");
    if (faults.declineNext > 0) {
      faults.declineNext--;
      return business("ACQ.SELLER_BALANCE_NOT_ENOUGH", { refund_fee: "0.00", send_back_fee: "0.00" });
    }
    const r: AlipaySimRefund = {
      trade_no: trade.trade_no,
      out_trade_no: trade.out_trade_no,
      out_request_no: outRequestNo,
      amount,
      refund_reason: str(biz.refund_reason) ?? null,
      gmt_refund_pay: beijingTime(new Date()),
      notify_url: notifyUrl ?? null,
    };
    trade.refunds.push(r);
    if (refunded(trade) === trade.total) trade.status = "TRADE_CLOSED";
    save();
    return answer("Y", r);
  };

  /** Download ids → bill zips; like Alipay's, a URL is good for a while (30 s there, 5 min here). */
  const downloads = new Map<string, { file: Uint8Array; until: number }>();
  const PID = "2088000000000000";

  const tradeBill = (date: string): Uint8Array | null => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
    const now = new Date();
    if (date > beijingTime(now).slice(0, 10)) return null;
    const rows: AlipayBillRow[] = [];
    for (const t of trades.values()) {
      const base = {
        tradeNo: t.trade_no,
        outTradeNo: t.out_trade_no,
        subject: "商品",
        buyer: t.buyer_logon_id,
      };
      if (t.gmt_payment.slice(0, 10) === date) {
        const fee = -Math.round((t.total * 6) / 1000);
        rows.push({
          ...base,
          kind: "交易",
          createdAt: t.gmt_payment,
          finishedAt: t.gmt_payment,
          orderAmount: t.total,
          received: t.total,
          outRequestNo: "",
          fee,
        });
      }
      for (const r of t.refunds) {
        if (r.gmt_refund_pay.slice(0, 10) !== date) continue;
        rows.push({
          ...base,
          kind: "退款",
          createdAt: t.gmt_payment,
          finishedAt: r.gmt_refund_pay,
          orderAmount: t.total,
          received: -r.amount,
          outRequestNo: r.out_request_no,
          fee: Math.round((r.amount * 6) / 1000),
        });
      }
    }
    const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const { detail, summary } = renderAlipayTradeBill(PID, date, rows, beijingTime(now), next);
    return zipAlipayBill(PID, date, detail, summary);
  };

  const billUrl = (biz: Record<string, unknown>): Record<string, unknown> => {
    const date = str(biz.bill_date) ?? "";
    if (biz.bill_type !== "trade" && biz.bill_type !== "signcustomer")
      return business("ACQ.INVALID_PARAMETER");
    if (biz.bill_type !== "trade") return business(SUB_CODE_BILL_NOT_EXIST);
    const file = tradeBill(date);
    if (!file) return business(SUB_CODE_BILL_NOT_EXIST);
    const id = randomBytes(16).toString("hex");
    downloads.set(id, { file, until: Date.now() + 5 * 60_000 });
    const day = date.replaceAll("-", "");
    return {
      code: CODE_SUCCESS,
      msg: "Success",
      bill_download_url: `${url}/downloadBillFile.resource?bizType=trade&userId=${PID}&fileType=csv.zip&bizDates=${day}&downloadFileName=${PID}_${day}.csv.zip&fileId=${id}`,
    };
  };

  const query = (biz: Record<string, unknown>): Record<string, unknown> => {
    if (!str(biz.trade_no) && !str(biz.out_trade_no)) return business("ACQ.INVALID_PARAMETER");
    const outRequestNo = str(biz.out_request_no);
    if (!outRequestNo) return business("ACQ.INVALID_PARAMETER");
    const trade = findTrade(biz);
    if (!trade) return business("ACQ.TRADE_NOT_EXIST");
    const r = trade.refunds.find((x) => x.out_request_no === outRequestNo);
    const base = {
      code: CODE_SUCCESS,
      msg: "Success",
      trade_no: trade.trade_no,
      out_trade_no: trade.out_trade_no,
    };
    // Nothing under that number: the query worked, and there is no refund data.
    if (!r) return base;
    const options = Array.isArray(biz.query_options) ? biz.query_options : [];
    return {
      ...base,
      out_request_no: r.out_request_no,
      total_amount: toYuan(trade.total),
      refund_amount: toYuan(r.amount),
      refund_status: "REFUND_SUCCESS",
      ...(r.refund_reason ? { refund_reason: r.refund_reason } : {}),
      ...(options.includes("gmt_refund_pay") ? { gmt_refund_pay: r.gmt_refund_pay } : {}),
    };
  };

  /** The gateway's checks, in its order: who is calling, is it signed by them, is it well-formed. */
  const gateway = (params: Record<string, string>): Reply => {
    const method = params.method ?? "";
    if (method !== METHOD_REFUND && method !== METHOD_REFUND_QUERY && method !== METHOD_BILL_URL) {
      return {
        kind: "unsigned",
        method,
        node: "error_response",
        body: invalidArguments("isv.invalid-method", "不存在的方法名"),
      };
    }
    // An unknown app cannot be answered with a sign the caller could check.
    if (params.app_id !== state.appId) {
      return { kind: "unsigned", method, body: invalidArguments("isv.invalid-app-id", "无效的AppID参数") };
    }
    const signed = (body: Record<string, unknown>): Reply => ({ kind: "signed", method, body });
    if (!params.sign) {
      return signed(
        gatewayError("40001", "Missing Required Arguments", "isv.missing-signature", "缺少签名参数"),
      );
    }
    if (params.sign_type !== "RSA2") {
      return signed(invalidArguments("isv.invalid-signature-type", "无效的签名类型"));
    }
    const content = requestSigningString(params);
    if (!rsa2Verify(content, params.sign, appPublicKey)) {
      return signed(
        invalidArguments(
          "isv.invalid-signature",
          `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`,
        ),
      );
    }
    if (params.charset?.toLowerCase() !== "utf-8") {
      return signed(invalidArguments("isv.invalid-charset", "字符集错误"));
    }
    const at = parseBeijingTime(params.timestamp);
    if (!at || Math.abs(at.getTime() - Date.now()) > MAX_SKEW_MS) {
      return signed(invalidArguments("isv.invalid-timestamp", "非法的时间戳参数"));
    }
    let biz: unknown;
    try {
      biz = JSON.parse(params.biz_content ?? "");
    } catch {
      biz = undefined;
    }
    if (!isObject(biz)) return signed(business("ACQ.INVALID_PARAMETER"));

    if (faults.systemErrorNext > 0) {
      faults.systemErrorNext--;
      return signed(business("ACQ.SYSTEM_ERROR"));
    }
    const body =
      method === METHOD_REFUND
        ? refund(biz, str(params.notify_url))
        : method === METHOD_BILL_URL
          ? billUrl(biz)
          : query(biz);
    if (faults.unsignedNext > 0) {
      faults.unsignedNext--;
      return { kind: "unsigned", method, body };
    }
    return signed(body);
  };

  const notification: AlipaySimulator["notification"] = (outRequestNo, tradeNo) => {
    const trade = [...trades.values()].find(
      (t) => (!tradeNo || t.trade_no === tradeNo) && t.refunds.some((r) => r.out_request_no === outRequestNo),
    );
    const r = trade?.refunds.find((x) => x.out_request_no === outRequestNo);
    if (!trade || !r) throw new Error(`no refund ${outRequestNo}`);
    const params: Record<string, string> = {
      notify_time: beijingTime(new Date()),
      notify_type: "trade_status_sync",
      notify_id: randomBytes(17).toString("hex"),
      app_id: state.appId,
      charset: "utf-8",
      version: "1.0",
      sign_type: "RSA2",
      trade_no: trade.trade_no,
      out_trade_no: trade.out_trade_no,
      out_biz_no: r.out_request_no,
      buyer_id: trade.buyer_user_id,
      trade_status: trade.status === "TRADE_CLOSED" ? "TRADE_CLOSED" : "TRADE_SUCCESS",
      total_amount: toYuan(trade.total),
      // Running total of the trade's refunds, as Alipay sends it.
      refund_fee: toYuan(refunded(trade)),
      gmt_payment: trade.gmt_payment,
      gmt_refund: `${r.gmt_refund_pay}.000`,
    };
    params.sign = rsa2Sign(notificationSigningString(params), alipayPrivateKey);
    return { contentType: "application/x-www-form-urlencoded; charset=utf-8", body: formBody(params) };
  };

  // Test/demo controls: unsigned, so only reachable from this machine.
  const sim = (req: IncomingMessage, route: string, body: string): [number, unknown] => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? ""))
      return [403, { code: "FORBIDDEN", message: "loopback only" }];
    const bad = (message: string): [number, unknown] => [400, { code: "INVALID_REQUEST", message }];
    if (route === "/_sim/refunds" && req.method === "GET") {
      return [200, { refunds: [...trades.values()].flatMap((t) => t.refunds.map((r) => ({ ...r }))) }];
    }
    if (route === "/_sim/trades" && req.method === "GET")
      return [200, { trades: [...trades.values()].map(view) }];
    if (route === "/_sim/trades" && req.method === "POST") {
      try {
        const t = JSON.parse(body || "{}") as Record<string, unknown>;
        return [
          200,
          openTrade({
            outTradeNo: String(t.out_trade_no ?? ""),
            total: toFen(t.total_amount, "total_amount"),
            ...(typeof t.trade_no === "string" ? { tradeNo: t.trade_no } : {}),
          }),
        ];
      } catch (e) {
        return bad((e as Error).message);
      }
    }
    if (route === "/_sim/faults" && req.method === "GET") return [200, { ...faults }];
    if (route === "/_sim/faults" && req.method === "POST") {
      try {
        return [200, applyFaults(JSON.parse(body || "{}"))];
      } catch (e) {
        return bad((e as Error).message);
      }
    }
    return [404, { code: "NOT_FOUND", message: `no route ${req.method} ${route}` }];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const [route = "/", search = ""] = (req.url ?? "/").split("?");
    const body = await readBody(req);
    if (body === null) return sendText(res, 413, "body too large", "text/plain");
    if (route.startsWith("/_sim/")) {
      const [status, payload] = sim(req, route, body);
      return sendText(res, status, JSON.stringify(payload), "application/json");
    }
    if (route === "/downloadBillFile.resource" && req.method === "GET") {
      const d = downloads.get(new URLSearchParams(search).get("fileId") ?? "");
      if (!d || d.until < Date.now()) return sendText(res, 404, "文件不存在或已过期", "text/plain");
      res.writeHead(200, { "content-type": "application/oct-stream" });
      return void res.end(d.file);
    }
    if (route !== GATEWAY_PATH || req.method !== "POST") {
      return sendText(res, 404, `no route ${req.method} ${route}`, "text/plain");
    }
    // Common parameters may come in the query string, the rest in the form body; a name given twice is refused.
    const fromQuery = parseForm(search);
    const fromBody = parseForm(body);
    const duplicated =
      !fromQuery || !fromBody || Object.keys(fromQuery).some((k) => Object.hasOwn(fromBody, k));
    const params = duplicated ? null : { ...fromQuery, ...fromBody };

    const delayMs = faults.delayMs;
    const answer = (reply: Reply) =>
      later(delayMs, () => {
        if (reply.kind === "http") return sendText(res, reply.status, reply.text, "text/html");
        const text = signedResponse(
          reply.method,
          reply.body,
          reply.kind === "signed" ? alipayPrivateKey : undefined,
          reply.node,
        );
        sendText(res, 200, text, "application/json");
      });

    if (!params) {
      return answer({
        kind: "unsigned",
        method: "",
        node: "error_response",
        body: invalidArguments("isv.invalid-parameter", "参数重复"),
      });
    }
    let biz: Record<string, unknown> | null = null;
    try {
      const parsed = JSON.parse(params.biz_content ?? "") as unknown;
      biz = isObject(parsed) ? parsed : null;
    } catch {
      biz = null;
    }
    log.push({ params, biz });
    if (log.length > 500) log.shift();

    if (faults.failNext > 0) {
      faults.failNext--;
      return answer({
        kind: "http",
        status: 500,
        text: "<html><body>500 Internal Server Error</body></html>",
      });
    }
    const reply = gateway(params);
    if (faults.timeoutNext > 0) {
      faults.timeoutNext--;
      // The work is done (a refund may be recorded) but the caller never hears about it.
      return later(delayMs, () => req.socket.destroy());
    }
    answer(reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendText(res, 500, String(e), "text/plain");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  const url = `http://${host}:${port}`;

  return {
    url,
    merchantConfig: {
      appId: state.appId,
      privateKey: state.appPrivateKey,
      alipayPublicKey: state.alipayPublicKey,
      gatewayUrl: `${url}${GATEWAY_PATH}`,
    },
    openTrade,
    trades: () => [...trades.values()].map(view),
    refunds: () => [...trades.values()].flatMap((t) => t.refunds.map((r) => ({ ...r }))),
    faults: (patch = {}) => applyFaults(patch),
    notification,
    tradeBill,
    requests: () => log.map((x) => ({ params: { ...x.params }, biz: x.biz })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function view(t: StoredTrade): AlipaySimTrade {
  const { refunds: _, ...rest } = t;
  return { ...rest };
}

const randomDigits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join("");

/** Two fresh RSA-2048 pairs: the app's (the merchant signs with it) and "Alipay's" (the simulator signs). */
function newState(appId: string): State {
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    return {
      privateKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
      publicKey: publicKey.export({ format: "der", type: "spki" }).toString("base64"),
    };
  };
  const app = pair();
  const alipay = pair();
  return {
    appId,
    appPrivateKey: app.privateKey,
    appPublicKey: app.publicKey,
    alipayPrivateKey: alipay.privateKey,
    alipayPublicKey: alipay.publicKey,
    trades: [],
  };
}

function loadState(file: string | undefined): State | undefined {
  if (!file || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as State;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sendText(res: ServerResponse, status: number, text: string, type: string) {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": `${type}; charset=utf-8` });
  res.end(text);
}

/** Alipay on its simulator, refunded through the real adapter (`aftersales start`, `aftersales simulate alipay`). */
export async function simulateAlipay(
  opts: Pick<AlipaySimulatorOptions, "port" | "host" | "stateFile">,
): Promise<SimulatedPayment> {
  const sim = await startAlipaySimulator(opts);
  return {
    simulator: sim,
    url: sim.url,
    config: sim.merchantConfig,
    adapter: alipayChannel({ ...sim.merchantConfig, timeoutMs: 10_000 }),
    // Alipay refunds only trades it took: every payment ingested elsewhere is opened as one.
    paymentTaken(p) {
      try {
        sim.openTrade({
          outTradeNo: p.orderRef,
          total: p.amount,
          ...(p.transactionId ? { tradeNo: p.transactionId } : {}),
        });
      } catch {
        // Known already (a re-ingest): the trade stands. An order is never refused for its simulator's sake.
      }
    },
    close: () => sim.close(),
  };
}
