import { createHash, type KeyObject, randomBytes, randomInt } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SimulatedPayment } from "../channel.ts";
import { wechatPayChannel } from "./adapter.ts";
import {
  beijingTime,
  encryptResource,
  generateRsaKeyPair,
  HEADER_REQUEST_ID,
  MAX_CLOCK_SKEW_SECONDS,
  nonceString,
  type PlatformSigner,
  parseAuthorization,
  privateKeyOf,
  publicKeyOf,
  type RsaKeyPair,
  requestMessage,
  rsaVerify,
  signedHeaders,
} from "./protocol.ts";

/**
 * A local WeChat Pay that speaks API v3 refunds the way the real one does: it checks the merchant's
 * Authorization signature, signs its answers with its platform key, keeps out_refund_no idempotent, refuses
 * refunds beyond what the payment took, settles PROCESSING refunds after a while, and delivers the
 * AEAD_AES_256_GCM-encrypted, signed 退款结果通知 to notify_url on WeChat's retry schedule until it is acked.
 * Faults can be injected so the demo and tests show what happens when money moves but the answer is lost,
 * or a notification comes twice, late, tampered with, or before the answer.
 */

export type SimRefundStatus = "SUCCESS" | "PROCESSING" | "CLOSED" | "ABNORMAL";
type FinalStatus = Exclude<SimRefundStatus, "PROCESSING">;

/** A refund as 申请退款 / 查询单笔退款 answer it. */
export interface SimRefund {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string;
  out_trade_no: string;
  channel: "ORIGINAL";
  user_received_account: string;
  success_time?: string;
  create_time: string;
  status: SimRefundStatus;
  funds_account: "AVAILABLE";
  amount: {
    total: number;
    refund: number;
    from: { account: string; amount: number }[];
    payer_total: number;
    payer_refund: number;
    settlement_refund: number;
    settlement_total: number;
    discount_refund: number;
    currency: string;
    refund_fee: number;
  };
  promotion_detail: unknown[];
}

interface StoredRefund {
  view: SimRefund;
  reason: string | null;
  notify_url: string | null;
  /** What a PROCESSING refund will end as, and when (epoch ms). */
  ends_as: FinalStatus;
  settle_at: number | null;
  /** The payment it belongs to (key into payments). */
  payment: string;
}

interface Payment {
  transaction_id: string;
  out_trade_no: string;
  total: number;
  currency: string;
}

/** One 退款结果通知 and how its delivery went. */
export interface SimNotification {
  id: string;
  out_refund_no: string;
  event_type: string;
  /** The exact signed body WeChat sends (the same on every retry). */
  body: string;
  notify_url: string | null;
  attempts: number;
  acked: boolean;
  /** Retries exhausted (or no URL to send to). */
  given_up: boolean;
  held: boolean;
  next_at: number | null;
  deliveries: { at: string; status: number | string }[];
  /** Faults that apply to this notification's deliveries. */
  tamper_first: boolean;
  duplicate: boolean;
}

export interface WechatPayFaults {
  /** Answer the next n API requests with 500 SYSTEM_ERROR without doing anything. */
  failNext: number;
  /** Do the next n API requests, then drop the connection after delayMs: money moved, caller can't tell. */
  timeoutNext: number;
  /** Do the next n API requests but answer without the Wechatpay-* signature headers. */
  unsignedNext: number;
  /** The next n new refunds end CLOSED (退款关闭): nothing moved. */
  declineNext: number;
  /** The next n new refunds end ABNORMAL (退款异常): money out of the merchant, not at the buyer. */
  abnormalNext: number;
  /** Refuse the next n new refunds with 403 NOT_ENOUGH (基本账户余额不足). */
  notEnoughNext: number;
  /** Refuse the next n new refunds with 403 USER_ACCOUNT_ABNORMAL (用户账户异常): refused for good. */
  accountAbnormalNext: number;
  /** New refunds answer PROCESSING and settle after this many ms (0: settled in the answer). */
  processingFor: number;
  /** Latency added before every API answer (and before a timeoutNext drop). */
  delayMs: number;
  /** The next n new refunds settle at once and their notification is delivered before the API answers. */
  notifyBeforeAnswer: number;
  /** The next n notifications are delivered once more after they were acked. */
  duplicateNotify: number;
  /** The next n notifications' first delivery is altered after signing (the merchant must refuse it). */
  tamperNotify: number;
  /** The next n notifications are held back until released: late, out-of-order delivery. */
  holdNotify: number;
  /** The next n bill downloads are altered after their hash was announced (the merchant must refuse them). */
  tamperBillNext: number;
}

const NO_FAULTS: WechatPayFaults = {
  failNext: 0,
  timeoutNext: 0,
  unsignedNext: 0,
  declineNext: 0,
  abnormalNext: 0,
  notEnoughNext: 0,
  accountAbnormalNext: 0,
  processingFor: 0,
  delayMs: 0,
  notifyBeforeAnswer: 0,
  duplicateNotify: 0,
  tamperNotify: 0,
  holdNotify: 0,
  tamperBillNext: 0,
};

/** WeChat Pay's notification retry schedule after the first attempt: 15s/15s/30s/3m/…/6h, ≈24h4m in all. */
export const NOTIFY_RETRY_SCHEDULE_MS = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
].map((s) => s * 1000);

export interface WechatPaySimulatorOptions {
  port?: number;
  host?: string;
  /** 商户号 the simulator serves. Default 1900000109. */
  mchid?: string;
  /** 32-byte APIv3 key; random unless given. */
  apiV3Key?: string;
  /** The merchant API key pair (its serial is serial_no); generated unless given. */
  merchantKey?: RsaKeyPair;
  /** The platform key pair answers and notifications are signed with (serial = Wechatpay-Serial). */
  platformKey?: RsaKeyPair;
  /** The notify URL configured on the merchant platform, used for refunds sent without notify_url. */
  notifyUrl?: string;
  /** Divide the real retry schedule by this (1000: the first retry after 15 ms). Default 1. */
  notifyTimeScale?: number;
  /** How long the merchant has to answer a notification. Default 5 s. */
  notifyTimeoutMs?: number;
  /** Faults active from the start. */
  faults?: Partial<WechatPayFaults>;
  /** JSON file to load refunds, notifications and keys from and save them to, so a restart keeps them. */
  stateFile?: string;
}

/** Everything wechatPayChannel needs to talk to this simulator (add notifyUrl, timeoutMs, name). */
export interface WechatPayMerchantConfig {
  mchid: string;
  serialNo: string;
  privateKey: string;
  platformPublicKeys: Record<string, string>;
  apiV3Key: string;
  baseUrl: string;
}

export interface WechatPaySimulator {
  url: string;
  merchantConfig: WechatPayMerchantConfig;
  /** The platform key pair, for tests that sign their own callbacks. */
  platformKey: RsaKeyPair;
  refunds(): SimRefund[];
  notifications(): SimNotification[];
  /** Merge a patch into the active faults and return them; throws on unknown keys or bad values. */
  faults(patch?: Partial<WechatPayFaults>): WechatPayFaults;
  /** The merchant-platform notify URL, for refunds sent without notify_url. */
  setNotifyUrl(url: string | undefined): void;
  /** Someone handled an ABNORMAL refund (退款异常处理): it becomes SUCCESS and is notified again. */
  resolveAbnormal(outRefundNo: string): SimRefund;
  /**
   * The REFUND trade bill (交易账单) of a Beijing day as 下载账单 serves it: refunds taken that day, with
   * their status as of now. A day after today has no bill.
   */
  refundBill(date: string): string | null;
  /** Deliver a notification once more now (a late or repeated delivery); true if it was acked. */
  redeliver(notificationId: string): Promise<boolean>;
  /** Send held notifications now, in the order they were held. */
  releaseHeld(): Promise<void>;
  /** Resolves when no notification is in flight or due (held and given-up ones aside). */
  notificationsIdle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

type Reply = [status: number, payload: unknown];

const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const MAX_BODY = 64 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
const REQUEST_FIELDS = new Set([
  "sub_mchid",
  "transaction_id",
  "out_trade_no",
  "out_refund_no",
  "reason",
  "notify_url",
  "funds_account",
  "amount",
  "goods_detail",
]);
const AMOUNT_FIELDS = new Set(["refund", "total", "currency", "from"]);
const SUMMARIES: Record<FinalStatus, string> = {
  SUCCESS: "退款成功",
  CLOSED: "退款关闭",
  ABNORMAL: "退款异常",
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const error = (status: number, code: string, message: string): Reply => [status, { code, message }];
const paramError = (message: string) => error(400, "PARAM_ERROR", message);
const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join("");

interface SavedState {
  mchid: string;
  apiV3Key: string;
  merchantKey: RsaKeyPair;
  platformKey: RsaKeyPair;
  refunds: StoredRefund[];
  payments: [string, Payment][];
  notifications: SimNotification[];
}

export async function startWechatPaySimulator(
  opts: WechatPaySimulatorOptions = {},
): Promise<WechatPaySimulator> {
  const saved = loadState(opts.stateFile);
  const mchid = saved?.mchid ?? opts.mchid ?? "1900000109";
  const apiV3Key = saved?.apiV3Key ?? opts.apiV3Key ?? nonceString(32);
  const merchantKey = saved?.merchantKey ?? opts.merchantKey ?? (await generateRsaKeyPair());
  const platformKey = saved?.platformKey ?? opts.platformKey ?? (await generateRsaKeyPair());
  const merchantPublic: KeyObject = publicKeyOf(merchantKey.publicKey);
  const platform: PlatformSigner = {
    serial: platformKey.serialNo,
    privateKey: privateKeyOf(platformKey.privateKey),
  };
  const timeScale = opts.notifyTimeScale ?? 1;
  const notifyTimeoutMs = opts.notifyTimeoutMs ?? 5_000;
  let defaultNotifyUrl = opts.notifyUrl ?? null;

  const refunds = new Map((saved?.refunds ?? []).map((r) => [r.view.out_refund_no, r]));
  const payments = new Map(saved?.payments ?? []);
  const notifications = new Map((saved?.notifications ?? []).map((n) => [n.id, n]));
  const held: string[] = [];
  const faults: WechatPayFaults = { ...NO_FAULTS };
  const seenNonces = new Map<string, number>(); // nonce -> forget after (ms); insertion order = expiry order
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  const aborter = new AbortController();
  let closed = false;

  const save = () => {
    // After close a late in-flight delivery must not overwrite what a restarted simulator writes.
    if (!opts.stateFile || closed) return;
    const state: SavedState = {
      mchid,
      apiV3Key,
      merchantKey,
      platformKey,
      refunds: [...refunds.values()],
      payments: [...payments],
      notifications: [...notifications.values()],
    };
    // Write-then-rename so a crash mid-write never leaves a half file.
    writeFileSync(`${opts.stateFile}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${opts.stateFile}.tmp`, opts.stateFile);
  };

  const later = (ms: number, fn: () => void) => {
    if (closed) return;
    const t = setTimeout(
      () => {
        timers.delete(t);
        if (!closed) fn();
      },
      Math.max(0, ms),
    );
    timers.add(t);
  };
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };

  const applyFaults = (patch: unknown): WechatPayFaults => {
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
  const take = (fault: keyof WechatPayFaults) => {
    if (faults[fault] <= 0) return false;
    faults[fault]--;
    return true;
  };
  if (opts.faults) applyFaults(opts.faults);

  // ---- notifications -------------------------------------------------------------------------------

  const notify = (r: StoredRefund): SimNotification => {
    const status = r.view.status as FinalStatus;
    const resource = {
      mchid,
      transaction_id: r.view.transaction_id,
      out_trade_no: r.view.out_trade_no,
      refund_id: r.view.refund_id,
      out_refund_no: r.view.out_refund_no,
      refund_status: status,
      ...(r.view.success_time ? { success_time: r.view.success_time } : {}),
      user_received_account: r.view.user_received_account,
      amount: {
        total: r.view.amount.total,
        refund: r.view.amount.refund,
        payer_total: r.view.amount.payer_total,
        payer_refund: r.view.amount.payer_refund,
      },
    };
    const now = Date.now();
    const id = `EV-${now.toString(36).toUpperCase()}${randomBytes(6).toString("hex").toUpperCase()}`;
    const body = JSON.stringify({
      id,
      create_time: beijingTime(now),
      resource_type: "encrypt-resource",
      event_type: `REFUND.${status}`,
      summary: SUMMARIES[status],
      resource: { original_type: "refund", ...encryptResource(apiV3Key, JSON.stringify(resource), "refund") },
    });
    const n: SimNotification = {
      id,
      out_refund_no: r.view.out_refund_no,
      event_type: `REFUND.${status}`,
      body,
      notify_url: r.notify_url ?? defaultNotifyUrl,
      attempts: 0,
      acked: false,
      given_up: false,
      held: take("holdNotify"),
      next_at: now,
      deliveries: [],
      tamper_first: take("tamperNotify"),
      duplicate: take("duplicateNotify"),
    };
    notifications.set(id, n);
    if (n.held) {
      n.next_at = null;
      held.push(id);
    }
    save();
    return n;
  };

  /** One POST of a notification; true when the merchant acked it (200 or 204). */
  const post = async (n: SimNotification, opts2: { tamper?: boolean } = {}): Promise<boolean> => {
    const url = n.notify_url;
    if (!url) {
      n.deliveries.push({ at: new Date().toISOString(), status: "no notify_url" });
      return false;
    }
    const headers = signedHeaders(platform, n.body);
    // Tampering happens after signing, as a man in the middle would: the signature no longer fits.
    const body = opts2.tamper
      ? n.body.replace(/"summary":"[^"]*"/, '"summary":"退款成功 (altered)"')
      : n.body;
    let status: number | string;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "Mozilla/4.0", ...headers },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(notifyTimeoutMs), aborter.signal]),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (e) {
      status = (e as Error).name === "TimeoutError" ? "timeout" : `error: ${(e as Error).message}`;
    }
    n.deliveries.push({ at: new Date().toISOString(), status });
    return status === 200 || status === 204;
  };

  /** Scheduled delivery: first attempt, then WeChat's retries until acked or given up. */
  const deliver = (n: SimNotification): Promise<boolean> =>
    track(
      (async () => {
        if (n.acked || n.given_up || n.held || closed) return n.acked;
        const tamper = n.tamper_first && n.attempts === 0;
        n.attempts++;
        const ok = await post(n, { tamper });
        if (closed) return ok;
        if (ok) {
          n.acked = true;
          n.next_at = null;
          if (n.duplicate) later(0, () => void track(post(n)).then(save));
        } else if (!n.notify_url || n.attempts > NOTIFY_RETRY_SCHEDULE_MS.length) {
          n.given_up = true;
          n.next_at = null;
        } else {
          const wait = (NOTIFY_RETRY_SCHEDULE_MS[n.attempts - 1] as number) / timeScale;
          n.next_at = Date.now() + wait;
          later(wait, () => void deliver(n));
        }
        save();
        return ok;
      })(),
    );

  // ---- refunds -------------------------------------------------------------------------------------

  /** A PROCESSING refund whose time has come takes its final status and is notified. */
  const settle = (r: StoredRefund, opts2: { deliverNow?: boolean } = {}): SimNotification | undefined => {
    if (r.view.status !== "PROCESSING" || r.settle_at === null || Date.now() < r.settle_at) return undefined;
    r.view.status = r.ends_as;
    if (r.ends_as === "SUCCESS") r.view.success_time = beijingTime(Date.now());
    r.settle_at = null;
    const n = notify(r);
    save();
    if (opts2.deliverNow !== false) later(0, () => void deliver(n));
    return n;
  };
  const view = (r: StoredRefund): SimRefund => {
    settle(r);
    return structuredClone(r.view);
  };

  const paymentKey = (transactionId: string | null, outTradeNo: string | null) =>
    transactionId ? `tx:${transactionId}` : `trade:${outTradeNo}`;
  const refunded = (payment: string) =>
    [...refunds.values()]
      .filter((r) => r.payment === payment && r.view.status !== "CLOSED" && r.ends_as !== "CLOSED")
      .reduce((sum, r) => sum + r.view.amount.refund, 0);

  const createRefund = async (text: string): Promise<Reply> => {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return paramError("body is not valid JSON");
    }
    const req = parseRefundInput(input);
    if (typeof req === "string") return paramError(req);

    const existing = refunds.get(req.out_refund_no);
    if (existing) {
      // 同一退款单号多次请求只退一笔: the same request returns the refund it already made.
      const same =
        existing.payment === paymentKey(req.transaction_id, req.out_trade_no) &&
        existing.view.amount.refund === req.amount.refund &&
        existing.view.amount.total === req.amount.total &&
        existing.view.amount.currency === req.amount.currency;
      return same
        ? [200, view(existing)]
        : error(
            400,
            "INVALID_REQUEST",
            `out_refund_no ${req.out_refund_no} was already used for a different payment or amount`,
          );
    }

    const key = paymentKey(req.transaction_id, req.out_trade_no);
    const payment = payments.get(key);
    if (payment && (payment.total !== req.amount.total || payment.currency !== req.amount.currency)) {
      return error(
        400,
        "INVALID_REQUEST",
        `amount.total ${req.amount.total} is not the payment's ${payment.total}`,
      );
    }
    if (req.amount.refund > req.amount.total) {
      return error(400, "INVALID_REQUEST", "amount.refund is larger than amount.total");
    }
    const left = req.amount.total - refunded(key);
    if (req.amount.refund > left) {
      return error(403, "NOT_ENOUGH", `only ${left} fen left to refund on this payment`);
    }
    if (take("notEnoughNext")) return error(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起");
    if (take("accountAbnormalNext"))
      return error(403, "USER_ACCOUNT_ABNORMAL", "退款请求失败，用户账户异常，请通过其他方式退款");

    if (!payment) {
      // The simulator has no payments of its own: the first refund tells it what was paid.
      payments.set(key, {
        transaction_id: req.transaction_id ?? `4200${digits(24)}`,
        out_trade_no: req.out_trade_no ?? `SIM${digits(16)}`,
        total: req.amount.total,
        currency: req.amount.currency,
      });
    }
    const p = payments.get(key) as Payment;
    const now = Date.now();
    const ends_as: FinalStatus = take("declineNext")
      ? "CLOSED"
      : take("abnormalNext")
        ? "ABNORMAL"
        : "SUCCESS";
    const early = take("notifyBeforeAnswer");
    const r: StoredRefund = {
      view: {
        refund_id: `50${digits(27)}`,
        out_refund_no: req.out_refund_no,
        transaction_id: p.transaction_id,
        out_trade_no: p.out_trade_no,
        channel: "ORIGINAL",
        user_received_account: "支付用户零钱",
        create_time: beijingTime(now),
        status: "PROCESSING",
        funds_account: "AVAILABLE",
        amount: {
          total: req.amount.total,
          refund: req.amount.refund,
          from: [],
          payer_total: req.amount.total,
          payer_refund: req.amount.refund,
          settlement_refund: req.amount.refund,
          settlement_total: req.amount.total,
          discount_refund: 0,
          currency: req.amount.currency,
          refund_fee: 0,
        },
        promotion_detail: [],
      },
      reason: req.reason,
      notify_url: req.notify_url,
      ends_as,
      settle_at: early ? now : now + faults.processingFor,
      payment: key,
    };
    refunds.set(req.out_refund_no, r);
    save();
    if (early) {
      // The answer says what was true when the request was taken; the notification overtakes it.
      const answer = structuredClone(r.view);
      const n = settle(r, { deliverNow: false });
      if (n) await deliver(n);
      return [200, answer];
    }
    if (faults.processingFor > 0) later(faults.processingFor, () => settle(r));
    return [200, view(r)];
  };

  // ---- bills ---------------------------------------------------------------------------------------

  /** Download tokens → the file they serve; download_url is valid for 5 minutes, as WeChat's is. */
  const downloads = new Map<string, { file: Buffer; until: number }>();

  const refundBill = (date: string): string | null => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date > beijingTime(Date.now()).slice(0, 10)) return null;
    const rows = [...refunds.values()]
      .filter((r) => r.view.create_time.slice(0, 10) === date)
      .map((r) => view(r));
    return renderRefundBill(mchid, rows, (r) => refunds.get(r.out_refund_no)?.reason ?? null);
  };

  const tradeBill = (path: string): Reply => {
    const q = new URL(path, "http://sim").searchParams;
    const date = q.get("bill_date") ?? "";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return paramError("bill_date must be yyyy-MM-DD");
    const type = q.get("bill_type") ?? "ALL";
    if (type !== "REFUND") return paramError(`this simulator serves bill_type REFUND, not ${type}`);
    const text = refundBill(date);
    if (text === null) return error(400, "NO_STATEMENT_EXIST", "账单文件不存在");
    const file = Buffer.from(text, "utf8");
    const token = randomBytes(24).toString("base64url");
    downloads.set(token, { file, until: Date.now() + 5 * 60_000 });
    return [
      200,
      {
        hash_type: "SHA1",
        hash_value: createHash("sha1").update(file).digest("hex"),
        download_url: `${merchantConfig.baseUrl}/v3/billdownload/file?token=${token}`,
      },
    ];
  };

  /** 下载账单: the raw file, not signed by WeChat (the hash announced with download_url vouches for it). */
  const billFile = (path: string): Buffer | Reply => {
    const token = new URL(path, "http://sim").searchParams.get("token") ?? "";
    const d = downloads.get(token);
    if (!d || d.until < Date.now()) return error(400, "INVALID_REQUEST", "下载地址已过期或无效");
    if (take("tamperBillNext"))
      return Buffer.from(
        d.file
          .toString("utf8")
          .replace(/`(\d+)\.(\d\d)/, "`$1.9$2")
          .slice(0, -1),
      );
    return d.file;
  };

  const api = async (method: string, route: string, body: string, path: string): Promise<Reply> => {
    if (method === "POST" && route === "/v3/refund/domestic/refunds") return createRefund(body);
    if (method === "GET" && route === "/v3/bill/tradebill") return tradeBill(path);
    const m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(route);
    if (method === "GET" && m?.[1]) {
      let key: string;
      try {
        key = decodeURIComponent(m[1]);
      } catch {
        return paramError("malformed out_refund_no");
      }
      const found = refunds.get(key);
      return found ? [200, view(found)] : error(404, "RESOURCE_NOT_EXISTS", `退款单不存在: ${key}`);
    }
    return error(404, "NOT_FOUND", `no API ${method} ${route}`);
  };

  const resolveAbnormal = (outRefundNo: string): SimRefund => {
    const r = refunds.get(outRefundNo);
    if (!r) throw new Error(`no refund ${outRefundNo}`);
    settle(r);
    if (r.view.status !== "ABNORMAL")
      throw new Error(`refund ${outRefundNo} is ${r.view.status}, not ABNORMAL`);
    r.view.status = "PROCESSING";
    r.ends_as = "SUCCESS";
    r.settle_at = Date.now();
    return view(r);
  };

  const redeliver = async (id: string): Promise<boolean> => {
    const n = notifications.get(id);
    if (!n) throw new Error(`no notification ${id}`);
    const ok = await track(post(n));
    if (ok) n.acked = true;
    save();
    return ok;
  };

  const releaseHeld = async () => {
    for (const id of held.splice(0)) {
      const n = notifications.get(id);
      if (!n) continue;
      n.held = false;
      await deliver(n);
    }
  };

  // ---- HTTP ----------------------------------------------------------------------------------------

  // Test/demo controls: unsigned, so only reachable from this machine.
  const sim = async (req: IncomingMessage, route: string, body: string): Promise<Reply> => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? "")) return error(403, "FORBIDDEN", "loopback only");
    const method = req.method ?? "GET";
    try {
      const json = () => (body ? (JSON.parse(body) as unknown) : {});
      if (method === "GET" && route === "/_sim/refunds")
        return [200, { refunds: [...refunds.values()].map(view) }];
      if (method === "GET" && route === "/_sim/notifications")
        return [200, { notifications: [...notifications.values()] }];
      if (method === "GET" && route === "/_sim/faults") return [200, { ...faults }];
      if (method === "POST" && route === "/_sim/faults") return [200, applyFaults(json())];
      if (method === "GET" && route === "/_sim/merchant-config") return [200, merchantConfig];
      if (method === "POST" && route === "/_sim/notify-url") {
        const url = (json() as { url?: unknown }).url;
        defaultNotifyUrl = typeof url === "string" && url ? url : null;
        return [200, { url: defaultNotifyUrl }];
      }
      if (method === "POST" && route === "/_sim/notifications/release") {
        await releaseHeld();
        return [200, { released: true }];
      }
      const resolve = /^\/_sim\/refunds\/([^/]+)\/resolve-abnormal$/.exec(route);
      if (method === "POST" && resolve?.[1]) return [200, resolveAbnormal(decodeURIComponent(resolve[1]))];
      const again = /^\/_sim\/notifications\/([^/]+)\/redeliver$/.exec(route);
      if (method === "POST" && again?.[1])
        return [200, { acked: await redeliver(decodeURIComponent(again[1])) }];
    } catch (e) {
      return error(400, "INVALID_REQUEST", (e as Error).message);
    }
    return error(404, "NOT_FOUND", `no route ${method} ${route}`);
  };

  /** The merchant's signature, as WeChat Pay checks it; null when it holds. */
  const checkAuthorization = (req: IncomingMessage, body: string): string | null => {
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) return "Authorization is missing or not WECHATPAY2-SHA256-RSA2048";
    if (auth.mchid !== mchid) return `mchid ${auth.mchid} is not this merchant`;
    if (auth.serial_no !== merchantKey.serialNo) return `商户证书序列号有误: ${auth.serial_no}`;
    if (!/^\d{1,12}$/.test(auth.timestamp)) return "malformed timestamp";
    const now = Date.now();
    if (Math.abs(now / 1000 - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SECONDS) return "timestamp expired";
    const message = requestMessage(req.method ?? "GET", req.url ?? "/", auth.timestamp, auth.nonce_str, body);
    if (!rsaVerify(merchantPublic, message, auth.signature))
      return "签名错误: signature does not match the request";
    for (const [nonce, forgetAt] of seenNonces) {
      if (forgetAt > now) break;
      seenNonces.delete(nonce);
    }
    if (seenNonces.has(auth.nonce_str)) return "nonce_str already used";
    seenNonces.set(auth.nonce_str, now + 2 * MAX_CLOCK_SKEW_SECONDS * 1000);
    return null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    const method = req.method ?? "GET";
    const route = path.split("?")[0] ?? path;
    const body = await readBody(req);
    if (body === null) return send(res, 413, { code: "PARAM_ERROR", message: "body too large" });
    if (route.startsWith("/_sim/")) return send(res, ...(await sim(req, route, body)));

    const requestId = randomBytes(16).toString("hex").toUpperCase();
    // Answers are signed once the merchant's signature checked out, errors included.
    const delayMs = faults.delayMs;
    const answer = ([status, payload]: Reply, signed = true) =>
      later(delayMs, () => {
        const text = JSON.stringify(payload);
        const unsigned = !signed || take("unsignedNext");
        send(res, status, text, {
          [HEADER_REQUEST_ID]: requestId,
          ...(unsigned ? {} : signedHeaders(platform, text)),
        });
      });

    const refused = checkAuthorization(req, body);
    if (refused) return answer(error(401, "SIGN_ERROR", refused), false);
    if (take("failNext")) return answer(error(500, "SYSTEM_ERROR", "系统错误 (injected failNext)"));
    if (method === "GET" && route === "/v3/billdownload/file") {
      const file = billFile(path);
      if (!Buffer.isBuffer(file)) return answer(file);
      return later(delayMs, () => {
        if (res.destroyed) return;
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8", [HEADER_REQUEST_ID]: requestId });
        res.end(file);
      });
    }
    const reply = await api(method, route, body, path);
    if (take("timeoutNext")) {
      // The work is done (a refund may be recorded) but the caller never hears about it.
      return later(delayMs, () => req.socket.destroy());
    }
    answer(reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { code: "SYSTEM_ERROR", message: String(e) });
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
  const merchantConfig: WechatPayMerchantConfig = {
    mchid,
    serialNo: merchantKey.serialNo,
    privateKey: merchantKey.privateKey,
    platformPublicKeys: { [platformKey.serialNo]: platformKey.publicKey },
    apiV3Key,
    baseUrl: url,
  };

  save(); // keys included, so a restart before the first refund keeps the merchant's config
  // A restarted simulator carries on: refunds settle, unacked notifications are retried.
  for (const r of refunds.values()) {
    if (r.view.status === "PROCESSING" && r.settle_at !== null)
      later(r.settle_at - Date.now(), () => settle(r));
  }
  for (const n of notifications.values()) {
    if (n.held) held.push(n.id);
    else if (!n.acked && !n.given_up && n.next_at !== null)
      later(n.next_at - Date.now(), () => void deliver(n));
  }

  return {
    url,
    merchantConfig,
    platformKey,
    refunds: () => [...refunds.values()].map(view),
    notifications: () => [...notifications.values()].map((n) => structuredClone(n)),
    faults: (patch = {}) => applyFaults(patch),
    setNotifyUrl: (u) => {
      defaultNotifyUrl = u ?? null;
    },
    resolveAbnormal,
    refundBill,
    redeliver,
    releaseHeld,
    async notificationsIdle(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        // Refunds due to settle do so now, so their notifications count.
        for (const r of refunds.values()) settle(r);
        const due = [...notifications.values()].some(
          (n) => !n.acked && !n.given_up && !n.held && n.next_at !== null,
        );
        if (!due && inFlight.size === 0 && timers.size === 0) return;
        if (Date.now() > until) throw new Error("notifications still pending");
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        aborter.abort();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

type RefundInput = {
  out_refund_no: string;
  transaction_id: string | null;
  out_trade_no: string | null;
  amount: { refund: number; total: number; currency: string };
  reason: string | null;
  notify_url: string | null;
};

function parseRefundInput(v: unknown): RefundInput | string {
  if (!isObject(v)) return "body must be a JSON object";
  const unknown = Object.keys(v).filter((k) => !REQUEST_FIELDS.has(k));
  if (unknown.length) return `unknown fields: ${unknown.join(", ")}`;
  if (typeof v.out_refund_no !== "string" || !OUT_REFUND_NO.test(v.out_refund_no)) {
    return "out_refund_no must be 1-64 characters of 0-9 A-Z a-z _ - | * @";
  }
  const optionalString = (x: unknown) => (typeof x === "string" && x !== "" ? x : null);
  const transaction_id = optionalString(v.transaction_id);
  const out_trade_no = optionalString(v.out_trade_no);
  if (!transaction_id && !out_trade_no) return "transaction_id or out_trade_no is required";
  const a = v.amount;
  if (!isObject(a)) return "amount is required";
  const unknownAmount = Object.keys(a).filter((k) => !AMOUNT_FIELDS.has(k));
  if (unknownAmount.length) return `unknown amount fields: ${unknownAmount.join(", ")}`;
  if (!isPositiveInt(a.refund) || !isPositiveInt(a.total)) {
    return "amount.refund and amount.total must be positive integers (fen)";
  }
  if (a.currency !== "CNY") return "amount.currency must be CNY";
  if (v.reason != null && (typeof v.reason !== "string" || [...v.reason].length > 80)) {
    return "reason must be a string of at most 80 characters";
  }
  const notify = optionalString(v.notify_url);
  if (v.notify_url != null && (!notify || !/^https?:\/\/[^?#]+$/.test(notify) || notify.length > 256)) {
    return "notify_url must be an http(s) URL without parameters, at most 256 characters";
  }
  return {
    out_refund_no: v.out_refund_no,
    transaction_id,
    out_trade_no,
    amount: { refund: a.refund, total: a.total, currency: a.currency },
    reason: (v.reason as string | undefined) ?? null,
    notify_url: notify,
  };
}

function loadState(file: string | undefined): SavedState | undefined {
  if (!file || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as SavedState;
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

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
  if (res.destroyed) return;
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}

/** The 交易账单 columns of a refund bill, in WeChat's order. */
const BILL_COLUMNS = [
  "交易时间",
  "公众账号ID",
  "商户号",
  "特约商户号",
  "设备号",
  "微信订单号",
  "商户订单号",
  "用户标识",
  "交易类型",
  "交易状态",
  "付款银行",
  "货币种类",
  "应结订单金额",
  "代金券金额",
  "退款申请时间",
  "退款成功时间",
  "微信退款单号",
  "商户退款单号",
  "退款金额",
  "充值券退款金额",
  "退款类型",
  "退款状态",
  "商品名称",
  "商户数据包",
  "手续费",
  "费率",
  "订单金额",
  "申请退款金额",
  "费率备注",
];
const BILL_SUMMARY = [
  "总交易单数",
  "应结订单总金额",
  "退款总金额",
  "充值券退款总金额",
  "手续费总金额",
  "订单总金额",
  "申请退款总金额",
];

const yuanText = (fen: number) => {
  const abs = String(Math.abs(fen)).padStart(3, "0");
  return `${fen < 0 ? "-" : ""}${abs.slice(0, -2)}.${abs.slice(-2)}`;
};
/** "2026-11-22T10:00:05+08:00" → "2026-11-22 10:00:05", as bills write times. */
const billTime = (rfc3339: string | undefined) => (rfc3339 ? rfc3339.slice(0, 19).replace("T", " ") : "");

/**
 * A REFUND 交易账单 as WeChat writes it: header, one backtick-prefixed row per refund, then the summary
 * header and row. Amounts in yuan; the fee (手续费) is the 0.6% WeChat gives back on a refund, negative.
 */
export function renderRefundBill(
  mchid: string,
  rows: readonly SimRefund[],
  reasonOf: (r: SimRefund) => string | null = () => null,
): string {
  const fee = (r: SimRefund) => -Math.round((r.amount.refund * 6) / 1000);
  const cell = (v: string) => `\`${v.replaceAll(",", "，")}`;
  const lines = [BILL_COLUMNS.join(",")];
  for (const r of rows) {
    lines.push(
      [
        billTime(r.create_time),
        "wx2421b1c4370ec43b",
        mchid,
        "0",
        "",
        r.transaction_id,
        r.out_trade_no,
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "JSAPI",
        "REFUND",
        "OTHERS",
        r.amount.currency,
        "0.00",
        "0.00",
        billTime(r.create_time),
        billTime(r.success_time),
        r.refund_id,
        r.out_refund_no,
        yuanText(r.amount.refund),
        "0.00",
        r.channel,
        r.status,
        reasonOf(r) ?? "退款",
        "",
        yuanText(fee(r)),
        "0.60%",
        yuanText(r.amount.total),
        yuanText(r.amount.refund),
        "",
      ]
        .map(cell)
        .join(","),
    );
  }
  const total = (f: (r: SimRefund) => number) => yuanText(rows.reduce((a, r) => a + f(r), 0));
  lines.push(BILL_SUMMARY.join(","));
  lines.push(
    [
      String(rows.length),
      "0.00",
      total((r) => r.amount.refund),
      "0.00",
      total(fee),
      total((r) => r.amount.total),
      total((r) => r.amount.refund),
    ]
      .map(cell)
      .join(","),
  );
  return `${lines.join("\r\n")}\r\n`;
}

/** WeChat Pay on its simulator, refunded through the real adapter (`aftersales start`, `aftersales simulate wechat_pay`). */
export async function simulateWechatPay(
  opts: Pick<WechatPaySimulatorOptions, "port" | "host" | "stateFile">,
): Promise<SimulatedPayment> {
  const sim = await startWechatPaySimulator(opts);
  return {
    simulator: sim,
    url: sim.url,
    config: sim.merchantConfig,
    adapter: wechatPayChannel({ ...sim.merchantConfig, timeoutMs: 10_000 }),
    // WeChat Pay calls the notify URL set on the merchant platform for refunds sent without one.
    listening: (api) => sim.setNotifyUrl(`${api}/api/v1/callbacks/payments/wechat_pay`),
    close: () => sim.close(),
  };
}
