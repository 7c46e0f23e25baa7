import { createHash } from "node:crypto";
import { AppError } from "../../../domain/errors.ts";
import {
  parseAlipayTradeBill,
  type RefundBillFetch,
  type RefundBillSource,
} from "../../../domain/reconcile/bill.ts";
import { BILL_LIMITS, readAnswer, readBodyCapped } from "../../decompress.ts";
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
import { readAlipayBillFile } from "./bill.ts";
import {
  AlipayProtocolError,
  beijingTime,
  CODE_BUSINESS_FAILED,
  CODE_SUCCESS,
  ERROR_RESPONSE,
  formBody,
  type GatewayResponse,
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
  toFen,
  toYuan,
  verifyResponse,
} from "./protocol.ts";

/**
 * 支付宝 refunds through the OpenAPI gateway: `alipay.trade.refund` to refund, keyed by our idempotency
 * key as `out_request_no` so a repeat is recognised instead of paid twice, and
 * `alipay.trade.fastpay.refund.query` to find out what happened when an answer was lost. Every answer
 * must carry a valid RSA2 sign from Alipay; anything unsigned or tampered is an unknown outcome.
 */

export interface AlipayChannelOptions {
  /** Registry name; default "alipay". */
  name?: string;
  appId: string;
  /** The app's private key (应用私钥): PEM, or bare base64 PKCS#8 / PKCS#1 as the Alipay key tool gives it. */
  privateKey: string;
  /** Alipay's public key (支付宝公钥), not the app's: PEM or bare base64. */
  alipayPublicKey: string;
  /** `GATEWAY_URL` in production; the simulator's own otherwise. */
  gatewayUrl: string;
  /** Passed as `notify_url` with each refund, where Alipay posts its asynchronous notification. */
  notifyUrl?: string;
  /** Per request, including reading the body. Default 10 s. */
  timeoutMs?: number;
}

/** Which trade a refund belongs to: alipay.trade.fastpay.refund.query needs it besides out_request_no. */
export type RefundTradeRef = Pick<RefundRequest, "transactionId" | "orderRef">;

export interface AlipayChannel extends PaymentChannel, RefundBillSource {
  /**
   * `request`: the refund as sent (its trade is required; with its amount, a refund found under the key
   * for another amount is refused as a mismatch rather than taken as this one).
   */
  query(
    idempotencyKey: string,
    request?: RefundTradeRef & Partial<Pick<RefundRequest, "amount">>,
  ): Promise<RefundQueryResult>;
}

/** Our id of an Alipay refund: Alipay names none of its own, the trade and out_request_no identify it. */
export const alipayRefundId = (tradeNo: string, outRequestNo: string) => `${tradeNo}:${outRequestNo}`;

/** What an alipay.trade.refund answer says, before it is checked against the request. */
export type RefundAnswer =
  | {
      kind: "answered";
      /** Y: this call moved money. N: it did not — typically because this out_request_no was already refunded. */
      fundChange: "Y" | "N";
      tradeNo: string;
      outTradeNo: string | undefined;
      /** refund_fee in fen: everything refunded on the trade so far, NOT this refund's amount. */
      refundedOnTrade: number;
      refundedAt: Date | undefined;
    }
  | { kind: "failed"; code: string; message: string }
  | {
      kind: "unknown";
      reason: "ALIPAY_GATEWAY_ERROR" | "ALIPAY_BUSINESS_UNKNOWN";
      code: string;
      message: string;
    };

/** What an alipay.trade.fastpay.refund.query answer says about one out_request_no. */
export type QueryAnswer =
  | {
      kind: "found";
      tradeNo: string | undefined;
      outTradeNo: string | undefined;
      outRequestNo: string | undefined;
      /** refund_amount in fen: this refund's own amount. */
      amount: number;
      refundedAt: Date | undefined;
    }
  | { kind: "not_found" }
  | {
      kind: "unknown";
      reason: "ALIPAY_GATEWAY_ERROR" | "ALIPAY_BUSINESS_UNKNOWN";
      code: string;
      message: string;
    };

/** refund_status → whether the refund went through. Empty counts as success when refund data came back. */
const REFUND_STATUS: Readonly<Record<string, "succeeded">> = { REFUND_SUCCESS: "succeeded", "": "succeeded" };

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

const malformed = (message: string) => new AlipayProtocolError("ALIPAY_RESPONSE_MALFORMED", message);

/** A non-success, non-business code (20000 service unavailable, 40001/40002 arguments, 40006 permissions...). */
function gatewayError(body: Record<string, unknown>) {
  const code = text(body.code) ?? "?";
  const sub = text(body.sub_code);
  return {
    kind: "unknown" as const,
    reason: "ALIPAY_GATEWAY_ERROR" as const,
    code: sub ? `${code} ${sub}` : code,
    message: [text(body.msg), text(body.sub_msg)].filter(Boolean).join(": "),
  };
}

function businessFailure(body: Record<string, unknown>) {
  const sub = text(body.sub_code) ?? "";
  const known = Object.hasOwn(SUB_CODES, sub) ? SUB_CODES[sub] : undefined;
  const message = text(body.sub_msg) ?? known?.message ?? text(body.msg) ?? "Business Failed";
  return known?.outcome === "failed"
    ? { kind: "failed" as const, code: sub, message }
    : { kind: "unknown" as const, reason: "ALIPAY_BUSINESS_UNKNOWN" as const, code: sub || "40004", message };
}

/** Interpret the content of a (verified) alipay_trade_refund_response. */
export function readRefundAnswer(body: Record<string, unknown>): RefundAnswer {
  if (body.code === CODE_BUSINESS_FAILED) return businessFailure(body);
  if (body.code !== CODE_SUCCESS) return gatewayError(body);
  const fundChange = body.fund_change;
  if (fundChange !== "Y" && fundChange !== "N") {
    throw malformed(`fund_change must be Y or N, got ${JSON.stringify(fundChange)}`);
  }
  const tradeNo = text(body.trade_no);
  if (!tradeNo) throw malformed("a successful refund answer names no trade_no");
  return {
    kind: "answered",
    fundChange,
    tradeNo,
    outTradeNo: text(body.out_trade_no),
    refundedOnTrade: toFen(body.refund_fee, "refund_fee"),
    refundedAt: parseBeijingTime(body.gmt_refund_pay),
  };
}

/** Interpret the content of a (verified) alipay_trade_fastpay_refund_query_response. */
export function readQueryAnswer(body: Record<string, unknown>): QueryAnswer {
  if (body.code === CODE_BUSINESS_FAILED) {
    // No such trade: then certainly no refund of it under this out_request_no.
    if (body.sub_code === "ACQ.TRADE_NOT_EXIST") return { kind: "not_found" };
    const failure = businessFailure(body);
    return failure.kind === "unknown"
      ? failure
      : { kind: "unknown", reason: "ALIPAY_BUSINESS_UNKNOWN", code: failure.code, message: failure.message };
  }
  if (body.code !== CODE_SUCCESS) return gatewayError(body);
  const status = body.refund_status ?? "";
  if (typeof status !== "string" || !Object.hasOwn(REFUND_STATUS, status)) {
    throw new AlipayProtocolError(
      "ALIPAY_REFUND_STATUS_UNKNOWN",
      `refund_status ${JSON.stringify(status)} is not one we know`,
    );
  }
  // 10000 only says the query worked: with no refund data, Alipay has no refund under this number.
  if (body.refund_amount === undefined || body.refund_amount === "") {
    if (status !== "") throw malformed(`refund_status ${status} without refund_amount`);
    return { kind: "not_found" };
  }
  return {
    kind: "found",
    tradeNo: text(body.trade_no),
    outTradeNo: text(body.out_trade_no),
    outRequestNo: text(body.out_request_no),
    amount: toFen(body.refund_amount, "refund_amount"),
    refundedAt: parseBeijingTime(body.gmt_refund_pay),
  };
}

/** trade_no when we know Alipay's transaction id, out_trade_no otherwise (trade_no wins when both are sent). */
const tradeParams = (t: RefundTradeRef): Record<string, string> =>
  t.transactionId ? { trade_no: t.transactionId } : { out_trade_no: t.orderRef };

/** Does an answer's trade agree with the trade we asked about? Fields the answer leaves out are not held against it. */
function sameTrade(t: RefundTradeRef, tradeNo: string | undefined, outTradeNo: string | undefined): boolean {
  if (t.transactionId) return tradeNo === undefined || tradeNo === t.transactionId;
  return outTradeNo === undefined || outTradeNo === t.orderRef;
}

export function alipayChannel(opts: AlipayChannelOptions): AlipayChannel {
  const name = opts.name ?? "alipay";
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const privateKey = privateKeyFrom(opts.privateKey);
  const alipayKey = publicKeyFrom(opts.alipayPublicKey);
  const unavailable = (
    kind: ChannelUnavailableKind,
    message: string,
    extra?: { httpStatus?: number; cause?: unknown },
  ) => new ChannelUnavailableError(name, kind, message, extra);
  /** A protocol problem with an answer: the outcome is unknown, with the reason's code kept as the cause. */
  const untrusted = (e: AlipayProtocolError) =>
    unavailable("untrusted_response", `${e.message}; outcome unknown`, { cause: e });
  const trusted = <T>(read: () => T): T => {
    try {
      return read();
    } catch (e) {
      throw e instanceof AlipayProtocolError ? untrusted(e) : e;
    }
  };
  const notAVerdict = (a: { reason: AlipayProtocolError["code"]; code: string; message: string }) => {
    const cause = new AlipayProtocolError(a.reason, `${a.code}: ${a.message}`);
    return unavailable(a.reason === "ALIPAY_GATEWAY_ERROR" ? "http" : "untrusted_response", cause.message, {
      cause,
    });
  };

  const amountMismatch = (key: string, found: number, sent: number) =>
    untrusted(
      new AlipayProtocolError(
        "ALIPAY_RESPONSE_MISMATCH",
        `out_request_no ${key} was refunded with ${toYuan(found)} yuan, not ${toYuan(sent)}`,
      ),
    );

  /** One signed call through the gateway; returns only answers whose sign checks out. */
  async function call(method: string, biz: Record<string, unknown>): Promise<GatewayResponse> {
    const params: Record<string, string> = {
      app_id: opts.appId,
      method,
      format: "JSON",
      charset: "utf-8",
      sign_type: "RSA2",
      timestamp: beijingTime(new Date()),
      version: "1.0",
      ...(method === METHOD_REFUND && opts.notifyUrl ? { notify_url: opts.notifyUrl } : {}),
      biz_content: JSON.stringify(biz),
    };
    params.sign = rsa2Sign(requestSigningString(params), privateKey);
    let res: Response;
    let raw: string;
    try {
      res = await fetch(opts.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
        body: formBody(params),
        signal: AbortSignal.timeout(timeoutMs),
      });
      raw = await readAnswer(res);
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw timedOut
        ? unavailable("timeout", `${method}: no answer within ${timeoutMs} ms; outcome unknown`, { cause: e })
        : unavailable("network", `${method}: request failed (${(e as Error).message}); outcome unknown`, {
            cause: e,
          });
    }
    // The gateway answers everything, refusals included, with 200; anything else came from elsewhere.
    if (res.status !== 200) {
      throw unavailable("http", `${method}: HTTP ${res.status}; outcome unknown`, { httpStatus: res.status });
    }
    const answer = trusted(() => verifyResponse(raw, method, alipayKey));
    if (answer.node === ERROR_RESPONSE) {
      throw notAVerdict({ ...gatewayError(answer.body), reason: "ALIPAY_GATEWAY_ERROR" });
    }
    return answer;
  }

  /** Look one refund up; the amount comes back too, so a caller holding the request can compare. */
  async function lookup(key: string, trade: RefundTradeRef) {
    const { body } = await call(METHOD_REFUND_QUERY, {
      ...tradeParams(trade),
      out_request_no: key,
      query_options: ["gmt_refund_pay"],
    });
    const answer = trusted(() => readQueryAnswer(body));
    if (answer.kind === "unknown") throw notAVerdict(answer);
    if (answer.kind === "not_found") return answer;
    if (
      (answer.outRequestNo !== undefined && answer.outRequestNo !== key) ||
      !sameTrade(trade, answer.tradeNo, answer.outTradeNo)
    ) {
      throw untrusted(
        new AlipayProtocolError(
          "ALIPAY_RESPONSE_MISMATCH",
          `the query answer is about another refund: ${JSON.stringify(body)}`,
        ),
      );
    }
    const tradeNo = answer.tradeNo ?? trade.transactionId ?? trade.orderRef;
    const outcome: RefundOutcome = {
      status: "succeeded",
      channelRefundId: alipayRefundId(tradeNo, key),
      ...(answer.refundedAt ? { succeededAt: answer.refundedAt.toISOString() } : {}),
    };
    return { kind: "found" as const, amount: answer.amount, tradeNo, outcome };
  }

  return {
    name,
    async refund(req: RefundRequest): Promise<RefundOutcome> {
      if (req.currency !== "CNY") {
        return {
          status: "failed",
          code: "ALIPAY_CURRENCY_UNSUPPORTED",
          message: `this adapter refunds CNY trades only, not ${req.currency}`,
        };
      }
      const { body } = await call(METHOD_REFUND, {
        ...tradeParams(req),
        refund_amount: toYuan(req.amount),
        // Always sent, even for a full refund: it is what makes a repeat recognisable.
        out_request_no: req.idempotencyKey,
        ...(req.reason ? { refund_reason: req.reason.slice(0, 256) } : {}),
      });
      const answer = trusted(() => readRefundAnswer(body));
      if (answer.kind === "failed") return { status: "failed", code: answer.code, message: answer.message };
      if (answer.kind === "unknown") throw notAVerdict(answer);
      // refund_fee is the trade's running total, so it can only be checked as an upper bound.
      if (!sameTrade(req, answer.tradeNo, answer.outTradeNo) || answer.refundedOnTrade < req.amount) {
        throw untrusted(
          new AlipayProtocolError(
            "ALIPAY_RESPONSE_MISMATCH",
            `the refund answer does not fit the request: ${JSON.stringify(body)}`,
          ),
        );
      }
      if (answer.fundChange === "Y") {
        return {
          status: "succeeded",
          channelRefundId: alipayRefundId(answer.tradeNo, req.idempotencyKey),
          ...(answer.refundedAt ? { succeededAt: answer.refundedAt.toISOString() } : {}),
        };
      }
      // No money moved on this call: most likely this out_request_no was refunded before. Ask which.
      const found = await lookup(req.idempotencyKey, req);
      if (found.kind === "not_found") {
        return { status: "processing", channelRefundId: alipayRefundId(answer.tradeNo, req.idempotencyKey) };
      }
      if (found.amount !== req.amount) throw amountMismatch(req.idempotencyKey, found.amount, req.amount);
      return found.outcome;
    },

    async query(idempotencyKey, request) {
      if (!request) {
        throw new AppError(
          "ALIPAY_QUERY_NEEDS_TRADE",
          `${name}: alipay.trade.fastpay.refund.query needs the trade (trade_no or out_trade_no) of refund ${idempotencyKey}`,
        );
      }
      const found = await lookup(idempotencyKey, request);
      if (found.kind === "not_found") return { status: "not_found" };
      if (request.amount !== undefined && found.amount !== request.amount)
        throw amountMismatch(idempotencyKey, found.amount, request.amount);
      return found.outcome;
    },

    parseNotification(_headers, rawBody): RefundNotification {
      const reject = (code: string, message: string): never => {
        throw new NotificationRejectedError(code, `${name}: ${message}`);
      };
      const params = parseForm(rawBody) ?? reject("ALIPAY_NOTIFY_MALFORMED", "a parameter appears twice");
      if (!params.sign) return reject("ALIPAY_SIGN_MISSING", "the notification carries no sign");
      if (params.sign_type !== "RSA2") {
        return reject(
          "ALIPAY_SIGN_TYPE_UNSUPPORTED",
          `sign_type ${JSON.stringify(params.sign_type)} is not RSA2`,
        );
      }
      if (!rsa2Verify(notificationSigningString(params), params.sign, alipayKey)) {
        return reject(
          "ALIPAY_SIGNATURE_INVALID",
          "the sign does not verify with the configured Alipay public key",
        );
      }
      if (params.app_id !== opts.appId) {
        return reject(
          "ALIPAY_APP_ID_MISMATCH",
          `the notification is for app ${params.app_id}, not ${opts.appId}`,
        );
      }
      const notifyId = params.notify_id ?? reject("ALIPAY_NOTIFY_MALFORMED", "notify_id is missing");
      const tradeNo = params.trade_no ?? reject("ALIPAY_NOTIFY_MALFORMED", "trade_no is missing");
      // A refund shows up in the trade's notification as out_biz_no (its out_request_no) and gmt_refund.
      const outRequestNo = params.out_biz_no;
      if (!outRequestNo || !params.gmt_refund) {
        return reject("ALIPAY_NOTIFY_NOT_A_REFUND", `notification ${notifyId} is not about a refund`);
      }
      // refund_fee here is the trade's running total; it is checked for form and kept, never taken as this refund.
      if (params.refund_fee !== undefined) {
        try {
          toFen(params.refund_fee, "refund_fee");
        } catch (e) {
          reject("ALIPAY_NOTIFY_MALFORMED", (e as Error).message);
        }
      }
      const refundedAt = parseBeijingTime(params.gmt_refund);
      const { sign: _sign, ...payload } = params;
      return {
        notificationId: notifyId,
        idempotencyKey: outRequestNo,
        outcome: {
          status: "succeeded",
          channelRefundId: alipayRefundId(tradeNo, outRequestNo),
          ...(refundedAt ? { succeededAt: refundedAt.toISOString() } : {}),
        },
        payload,
      };
    },
    notificationAck: { status: 200, contentType: "text/plain; charset=utf-8", body: "success" },

    /**
     * 查询对账单下载地址 (bill_type=trade: the 业务明细 of trades and refunds) for the day, then the zip
     * from bill_download_url. Alipay signs the answer that carries the URL but announces no hash of the
     * file; the zip's own checks and the bill's footer totals are what guard the download.
     */
    async fetchRefundBill(date: string): Promise<RefundBillFetch> {
      const { body } = await call(METHOD_BILL_URL, { bill_type: "trade", bill_date: date });
      if (body.code === CODE_BUSINESS_FAILED && body.sub_code === SUB_CODE_BILL_NOT_EXIST) {
        return {
          kind: "not_ready",
          message: `${SUB_CODE_BILL_NOT_EXIST}: ${text(body.sub_msg) ?? "账单不存在"}`,
        };
      }
      if (body.code !== CODE_SUCCESS) {
        const f = body.code === CODE_BUSINESS_FAILED ? businessFailure(body) : gatewayError(body);
        throw unavailable("http", `${METHOD_BILL_URL}: ${f.code}: ${f.message}`);
      }
      const url = text(body.bill_download_url);
      if (!url || !/^https?:\/\//.test(url)) {
        throw untrusted(
          malformed(`bill_download_url ${JSON.stringify(body.bill_download_url)} is not a URL`),
        );
      }
      let file: Uint8Array;
      try {
        const res = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
        file = await readBodyCapped(res, BILL_LIMITS.maxBytes, "the bill download");
        if (res.status !== 200) {
          throw unavailable("http", `bill download: HTTP ${res.status}`, { httpStatus: res.status });
        }
      } catch (e) {
        if (e instanceof ChannelUnavailableError || e instanceof AppError) throw e;
        throw unavailable("network", `bill download failed (${(e as Error).message})`, { cause: e });
      }
      const sha1 = createHash("sha1").update(file).digest("hex");
      return { kind: "bill", bill: parseAlipayTradeBill(await readAlipayBillFile(file), date), sha1 };
    },
  };
}
