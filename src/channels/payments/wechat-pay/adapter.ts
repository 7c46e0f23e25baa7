import { createHash, type KeyObject } from "node:crypto";
import { AppError } from "../../../domain/errors.ts";
import {
  parseWechatRefundBill,
  type RefundBillFetch,
  type RefundBillSource,
} from "../../../domain/reconcile/bill.ts";
import { ArchiveInvalid, BILL_LIMITS, gunzipCapped, readAnswer, readBodyCapped } from "../../decompress.ts";
import {
  ChannelUnavailableError,
  type ChannelUnavailableKind,
  NotificationRejectedError,
  type PaymentChannel,
  type RefundNotification,
  type RefundOutcome,
  type RefundQueryResult,
  type RefundRequest,
} from "../channel.ts";
import {
  apiV3KeyBytes,
  authorization,
  decryptResource,
  type EncryptedResource,
  HEADER_REQUEST_ID,
  type MerchantCredentials,
  privateKeyOf,
  publicKeyOf,
  verifySigned,
  WechatPayProtocolError,
} from "./protocol.ts";

/**
 * WeChat Pay API v3 refunds (微信支付 退款): 申请退款 `POST /v3/refund/domestic/refunds`, 查询单笔退款
 * `GET /v3/refund/domestic/refunds/{out_refund_no}` and the 退款结果通知 callback. Requests are signed
 * with the merchant key; every answer we act on must carry a valid platform signature, or its outcome
 * counts as unknown. The local simulator (wechat-pay-simulator.ts) speaks the same protocol.
 */

export interface WechatPayChannelOptions {
  /** Registry name; callbacks arrive at /api/v1/callbacks/payments/<name>. Default "wechat_pay". */
  name?: string;
  /** 商户号 (for a service provider, the 服务商's own). */
  mchid: string;
  /** 商户API证书序列号. */
  serialNo: string;
  /** 商户API私钥 (PEM). */
  privateKey: string | KeyObject;
  /** Platform certificate serial or 微信支付公钥 id → its public key or certificate (PEM). */
  platformPublicKeys: Record<string, string | KeyObject>;
  /** The 32-byte APIv3 key that decrypts callback resources. */
  apiV3Key: string;
  /** Default https://api.mch.weixin.qq.com (https://api2.mch.weixin.qq.com is the fallback domain). */
  baseUrl?: string;
  /** Sent as notify_url; without it WeChat Pay calls the URL configured on the merchant platform. */
  notifyUrl?: string;
  /** 子商户号, for a service provider (服务商) refunding a sub-merchant's payment. */
  subMchid?: string;
  /** Per request, including reading the body. Default 10 s. */
  timeoutMs?: number;
  /** The clock signatures are checked against (ms). */
  now?: () => number;
}

export type WechatRefundStatus = "SUCCESS" | "PROCESSING" | "CLOSED" | "ABNORMAL";

/** A refund as 申请退款 and 查询单笔退款 return it (the fields this adapter reads). */
export interface WechatRefund {
  refund_id: string;
  out_refund_no: string;
  transaction_id?: string;
  out_trade_no?: string;
  status: WechatRefundStatus;
  success_time?: string;
  create_time?: string;
  amount?: { refund?: number; total?: number; currency?: string };
}

/** The body of 申请退款, field for field as WeChat Pay names them. */
export interface WechatRefundRequestBody {
  sub_mchid?: string;
  transaction_id?: string;
  out_trade_no?: string;
  out_refund_no: string;
  reason?: string;
  notify_url?: string;
  amount: { refund: number; total: number; currency: string };
}

/**
 * Our outcome plus, for a refund that needs a person, why. `attention` is not part of RefundOutcome yet;
 * it is carried so a flow that records it can show it.
 */
export type WechatRefundOutcome = RefundOutcome & { attention?: { code: string; message: string } };

/**
 * WeChat's refund status → our outcome, as data.
 *
 * ABNORMAL (退款异常): WeChat took the money from the merchant but could not pay it back the original
 * way (the buyer's bank card is void or frozen, the account was closed). The money sits with WeChat Pay
 * until someone handles it — 商户平台 → 交易中心 → 退款异常处理, or the 发起异常退款 API to a bank card —
 * after which the same refund reports SUCCESS. So it is neither:
 * - succeeded: the buyer has not received anything, and the case must not close as refunded; nor
 * - failed: the refund exists and holds the money; a failed refund lets the case be granted again, and
 *   that second refund would be paid on top of the first once the first is handled.
 * It maps to processing, flagged for attention: the outbox keeps asking with backoff and ends in the
 * dead-letter state, leaving the refund processing for a person; the SUCCESS that follows the manual
 * handling (by query or by REFUND.SUCCESS notification) settles it the ordinary way.
 */
const OUTCOMES: Record<WechatRefundStatus, (r: WechatRefund) => WechatRefundOutcome> = {
  SUCCESS: (r) => ({
    status: "succeeded",
    channelRefundId: r.refund_id,
    ...(r.success_time ? { succeededAt: r.success_time } : {}),
  }),
  PROCESSING: (r) => ({ status: "processing", channelRefundId: r.refund_id }),
  ABNORMAL: (r) => ({
    status: "processing",
    channelRefundId: r.refund_id,
    attention: {
      code: "REFUND_ABNORMAL",
      message:
        `WeChat Pay refund ${r.refund_id} is ABNORMAL (退款异常): the buyer's account could not take it back; ` +
        "handle it on the merchant platform (交易中心 → 退款异常) or via 发起异常退款 — do not refund again",
    },
  }),
  CLOSED: (r) => ({
    status: "failed",
    code: "REFUND_CLOSED",
    message: `WeChat Pay closed refund ${r.refund_id} (退款关闭); no money moved`,
  }),
};

/**
 * 4xx error codes that are WeChat Pay's verdict on this refund: it refused it and no money moved. Every
 * other error — SIGN_ERROR, NO_AUTH, MCH_NOT_EXISTS, FREQUENCY_LIMITED (该笔退款未受理, try again later),
 * SYSTEM_ERROR, anything unlisted — says nothing certain about this refund, so its outcome stays unknown
 * and the refund is asked about again (same out_refund_no) instead of being failed.
 */
const REFUSALS: Record<string, string> = {
  PARAM_ERROR: "the request was malformed (参数错误)",
  INVALID_REQUEST:
    "the request breaks a business rule (e.g. already fully refunded, amount above what is left)",
  NOT_ENOUGH: "not enough to refund (余额不足)",
  USER_ACCOUNT_ABNORMAL: "the buyer's account is abnormal or closed; refund by other means (用户账户异常)",
  RESOURCE_NOT_EXISTS: "the payment does not exist or was never paid (订单号不存在)",
};

/** The out_refund_no alphabet and length WeChat Pay accepts. */
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const REASON_MAX = 80;
const ACK_BODY = JSON.stringify({ code: "SUCCESS", message: "成功" });

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The 申请退款 body for one of our refunds; transaction_id when we have it, else out_trade_no. */
export function refundRequestBody(
  req: RefundRequest,
  opts: Pick<WechatPayChannelOptions, "notifyUrl" | "subMchid">,
): WechatRefundRequestBody {
  const reason = req.reason?.trim();
  return {
    ...(opts.subMchid ? { sub_mchid: opts.subMchid } : {}),
    ...(req.transactionId ? { transaction_id: req.transactionId } : { out_trade_no: req.orderRef }),
    out_refund_no: req.idempotencyKey,
    ...(reason ? { reason: [...reason].slice(0, REASON_MAX).join("") } : {}),
    ...(opts.notifyUrl ? { notify_url: opts.notifyUrl } : {}),
    amount: { refund: req.amount, total: req.total, currency: req.currency },
  };
}

/** 申请交易账单 errors that mean "no bill for that day (yet)", not a failure of ours. */
const BILL_NOT_READY = new Set(["NO_STATEMENT_EXIST", "STATEMENT_CREATING"]);

export function wechatPayChannel(opts: WechatPayChannelOptions): PaymentChannel & RefundBillSource {
  const name = opts.name ?? "wechat_pay";
  const base = (opts.baseUrl ?? "https://api.mch.weixin.qq.com").replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const merchant: MerchantCredentials = {
    mchid: opts.mchid,
    serialNo: opts.serialNo,
    privateKey: privateKeyOf(opts.privateKey),
  };
  const platformKeys = new Map(
    Object.entries(opts.platformPublicKeys).map(([serial, key]) => [serial, publicKeyOf(key)] as const),
  );
  if (platformKeys.size === 0) throw new Error(`${name}: at least one platform public key is required`);
  apiV3KeyBytes(opts.apiV3Key); // fail at start-up, not at the first callback
  const unavailable = (
    kind: ChannelUnavailableKind,
    message: string,
    extra?: { httpStatus?: number; cause?: unknown },
  ) => new ChannelUnavailableError(name, kind, message, extra);

  /** One signed round trip; returns only answers whose platform signature checks out. */
  async function call(method: "GET" | "POST", path: string, payload?: unknown) {
    const url = new URL(base + path);
    const signedUrl = url.pathname + url.search;
    const text = payload === undefined ? "" : JSON.stringify(payload);
    let res: Response;
    let raw: string;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: "application/json",
          "user-agent": `aftersales-wechatpay/1 node/${process.versions.node}`,
          authorization: authorization(merchant, method, signedUrl, text),
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(payload === undefined ? {} : { body: text }),
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      raw = await readAnswer(res);
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw timedOut
        ? unavailable("timeout", `no answer within ${timeoutMs} ms; outcome unknown`, { cause: e })
        : unavailable("network", `request failed (${(e as Error).message}); outcome unknown`, { cause: e });
    }
    const requestId = res.headers.get(HEADER_REQUEST_ID);
    const where = `HTTP ${res.status}${requestId ? `, Request-ID ${requestId}` : ""}`;
    // A 5xx is an unknown outcome whether or not it is signed (a proxy may have produced it).
    if (res.status >= 500) {
      throw unavailable("http", `${where} ${errorText(raw)}; outcome unknown`, { httpStatus: res.status });
    }
    const check = verifySigned(platformKeys, raw, (h) => res.headers.get(h), now());
    if (!check.ok) {
      throw unavailable(
        "untrusted_response",
        `answer not trusted: ${check.code} ${check.reason} (${where} ${errorText(raw)}); outcome unknown`,
        { httpStatus: res.status },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    if (!isObject(body))
      throw unavailable("untrusted_response", `signed answer is not a JSON object (${where})`);
    return { status: res.status, body, where };
  }

  /** Interpret a 200 refund body, refusing one about another refund or with a status we do not know. */
  function outcome(key: string, body: Record<string, unknown>, amount?: number): WechatRefundOutcome {
    const toOutcome = OUTCOMES[body.status as WechatRefundStatus] as
      | ((r: WechatRefund) => WechatRefundOutcome)
      | undefined;
    const answered = isObject(body.amount) ? body.amount.refund : undefined;
    if (
      body.out_refund_no !== key ||
      typeof body.refund_id !== "string" ||
      !toOutcome ||
      (amount !== undefined && answered !== amount)
    ) {
      throw unavailable("untrusted_response", `unexpected refund answer for ${key}: ${JSON.stringify(body)}`);
    }
    return toOutcome(body as unknown as WechatRefund);
  }

  function errorOutcome(status: number, body: Record<string, unknown>, where: string): RefundOutcome {
    const code = typeof body.code === "string" ? body.code : "UNKNOWN";
    const message = typeof body.message === "string" ? body.message : "";
    const refusal = status >= 400 && status < 500 ? REFUSALS[code] : undefined;
    if (refusal) return { status: "failed", code, message: message || refusal };
    throw unavailable("http", `${where} ${code}: ${message}; outcome unknown`, { httpStatus: status });
  }

  return {
    name,
    async refund(req: RefundRequest): Promise<RefundOutcome> {
      // Refused before anything is sent, so certainly not moved: WeChat Pay would refuse them too.
      if (!OUT_REFUND_NO.test(req.idempotencyKey)) {
        return {
          status: "failed",
          code: "PARAM_ERROR",
          message: `out_refund_no "${req.idempotencyKey}" is not 1-64 characters of 0-9 A-Z a-z _ - | * @`,
        };
      }
      if (req.currency !== "CNY") {
        return {
          status: "failed",
          code: "CURRENCY_NOT_SUPPORTED",
          message: `WeChat Pay domestic refunds are in CNY, not ${req.currency}`,
        };
      }
      const { status, body, where } = await call(
        "POST",
        "/v3/refund/domestic/refunds",
        refundRequestBody(req, opts),
      );
      return status === 200
        ? outcome(req.idempotencyKey, body, req.amount)
        : errorOutcome(status, body, where);
    },

    async query(idempotencyKey: string): Promise<RefundQueryResult> {
      const sub = opts.subMchid ? `?sub_mchid=${encodeURIComponent(opts.subMchid)}` : "";
      const { status, body, where } = await call(
        "GET",
        `/v3/refund/domestic/refunds/${encodeURIComponent(idempotencyKey)}${sub}`,
      );
      if (status === 200) return outcome(idempotencyKey, body);
      // Only WeChat's own signed "no such refund" counts; a 404 from a wrong URL is not signed.
      if (status === 404 && body.code === "RESOURCE_NOT_EXISTS") return { status: "not_found" };
      // An error answer to a query is never a verdict on the refund itself.
      throw unavailable("http", `${where} ${String(body.code)}: ${String(body.message)}; outcome unknown`, {
        httpStatus: status,
      });
    },

    parseNotification(headers, rawBody): RefundNotification {
      const reject = (code: string, message: string): never => {
        throw new NotificationRejectedError(code, `${name} notification rejected: ${message}`);
      };
      const check = verifySigned(platformKeys, rawBody, (h) => headers[h], now());
      if (!check.ok) return reject(check.code, check.reason);

      let envelope: unknown;
      try {
        envelope = JSON.parse(rawBody);
      } catch {
        envelope = undefined;
      }
      if (
        !isObject(envelope) ||
        typeof envelope.id !== "string" ||
        !envelope.id ||
        !isObject(envelope.resource)
      ) {
        return reject(
          "WECHATPAY_NOTIFICATION_MALFORMED",
          "the body is not a notification with id and resource",
        );
      }
      let plain: string;
      try {
        plain = decryptResource(opts.apiV3Key, envelope.resource as Partial<EncryptedResource>);
      } catch (e) {
        if (e instanceof WechatPayProtocolError) return reject(e.code, e.message);
        throw e;
      }
      let refund: unknown;
      try {
        refund = JSON.parse(plain);
      } catch {
        refund = undefined;
      }
      if (!isObject(refund))
        return reject("WECHATPAY_NOTIFICATION_MALFORMED", "the resource is not a JSON object");
      const owner = refund.mchid ?? refund.sp_mchid;
      if (owner !== opts.mchid) {
        return reject(
          "WECHATPAY_MCHID_MISMATCH",
          `the refund belongs to merchant ${String(owner)}, not ${opts.mchid}`,
        );
      }
      const toOutcome = OUTCOMES[refund.refund_status as WechatRefundStatus] as
        | ((r: WechatRefund) => WechatRefundOutcome)
        | undefined;
      if (typeof refund.out_refund_no !== "string" || typeof refund.refund_id !== "string" || !toOutcome) {
        return reject(
          "WECHATPAY_NOTIFICATION_MALFORMED",
          `the resource lacks out_refund_no, refund_id or a known refund_status: ${plain}`,
        );
      }
      const { resource: _, ...meta } = envelope;
      return {
        notificationId: envelope.id,
        idempotencyKey: refund.out_refund_no,
        outcome: toOutcome({
          refund_id: refund.refund_id,
          out_refund_no: refund.out_refund_no,
          status: refund.refund_status as WechatRefundStatus,
          ...(typeof refund.success_time === "string" ? { success_time: refund.success_time } : {}),
        }),
        // The amounts are WeChat's word, kept for audit and reconciliation next to the envelope.
        payload: { ...meta, resource: refund },
      };
    },

    /**
     * 申请交易账单 (`GET /v3/bill/tradebill`, bill_type=REFUND) for the day, then 下载账单 from its
     * download_url. The download is signed by us but, as WeChat documents, not signed by WeChat; the
     * SHA-1 it announced in the signed answer is what vouches for the file, so a file that does not hash
     * to it is refused. The bill itself is parsed (and its summary checked) by parseWechatRefundBill.
     */
    async fetchRefundBill(date: string): Promise<RefundBillFetch> {
      const sub = opts.subMchid ? `&sub_mchid=${encodeURIComponent(opts.subMchid)}` : "";
      const { status, body, where } = await call(
        "GET",
        `/v3/bill/tradebill?bill_date=${encodeURIComponent(date)}&bill_type=REFUND${sub}`,
      );
      if (status !== 200) {
        const code = String(body.code ?? "");
        if (BILL_NOT_READY.has(code))
          return { kind: "not_ready", message: `${code}: ${String(body.message)}` };
        throw unavailable("http", `${where} ${code}: ${String(body.message)}`, { httpStatus: status });
      }
      const { hash_type: hashType, hash_value: hashValue, download_url: downloadUrl } = body;
      if (hashType !== "SHA1" || typeof hashValue !== "string" || typeof downloadUrl !== "string") {
        throw unavailable("untrusted_response", `unexpected tradebill answer: ${JSON.stringify(body)}`);
      }
      // Our merchant signature goes only to WeChat Pay's own host.
      const url = new URL(downloadUrl);
      if (url.origin !== new URL(base).origin) {
        throw unavailable("untrusted_response", `download_url ${downloadUrl} is not on ${base}`);
      }
      const signedUrl = url.pathname + url.search;
      let file: Buffer;
      try {
        const res = await fetch(url, {
          headers: {
            accept: "*/*",
            authorization: authorization(merchant, "GET", signedUrl, ""),
            "user-agent": `aftersales-wechatpay/1 node/${process.versions.node}`,
          },
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
        file = await readBodyCapped(res, BILL_LIMITS.maxBytes, "the bill download");
        if (res.status !== 200) {
          throw unavailable("http", `bill download: HTTP ${res.status} ${errorText(file.toString("utf8"))}`, {
            httpStatus: res.status,
          });
        }
      } catch (e) {
        if (e instanceof ChannelUnavailableError || e instanceof AppError) throw e;
        throw unavailable("network", `bill download failed (${(e as Error).message})`, { cause: e });
      }
      // With tar_type=GZIP the hash is of the unpacked bill; accept a gzip answer either way (under the caps).
      if (file[0] === 0x1f && file[1] === 0x8b) {
        try {
          file = gunzipCapped(file, BILL_LIMITS, "the downloaded bill");
        } catch (e) {
          if (e instanceof ArchiveInvalid)
            throw unavailable("untrusted_response", `bill download: ${e.message}`);
          throw e;
        }
      }
      const sha1 = createHash("sha1").update(file).digest("hex");
      if (sha1 !== hashValue.toLowerCase()) {
        throw new AppError(
          "BILL_HASH_MISMATCH",
          `${name}: the downloaded bill of ${date} hashes to ${sha1}, WeChat Pay announced ${hashValue}; not used`,
          { date, expected: hashValue, actual: sha1 },
        );
      }
      return { kind: "bill", bill: parseWechatRefundBill(file.toString("utf8"), date), sha1 };
    },

    // Current docs: 200 or 204 is success; the older refund-notify page asks for code SUCCESS — this satisfies both.
    notificationAck: { status: 200, contentType: "application/json", body: ACK_BODY },
  };
}

/** An error body's code and message for a log line, without dumping large bodies. */
function errorText(raw: string): string {
  try {
    const b = JSON.parse(raw) as { code?: unknown; message?: unknown };
    if (typeof b.code === "string") return `${b.code}: ${String(b.message ?? "")}`;
  } catch {
    // not JSON
  }
  return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
}
