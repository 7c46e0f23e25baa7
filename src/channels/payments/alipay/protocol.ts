import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from "node:crypto";
import { AppError } from "../../../domain/errors.ts";
import { formatMinor, parseMinor } from "../../../domain/money.ts";

/**
 * Wire details of the Alipay OpenAPI gateway (支付宝开放平台, the `gateway.do` protocol with RSA2),
 * shared by the adapter (alipay.ts) and the local simulator (alipay-simulator.ts) so they cannot drift
 * apart:
 *
 * - A request is a form of common parameters (app_id, method, format, charset, sign_type, timestamp,
 *   version, notify_url) plus `biz_content` (the business parameters as one JSON text), signed with
 *   the app's private key over every non-empty parameter except `sign`, sorted by name and joined as
 *   `k=v&k=v` with the values as they are (not URL-encoded).
 * - A response is `{"<method with dots as underscores>_response": {...}, "sign": "..."}`; the sign
 *   covers the `…_response` value exactly as it appears in the body, checked with Alipay's public key.
 * - An asynchronous notification (异步通知) is a form POST; its sign covers every non-empty parameter
 *   except `sign` and `sign_type`, sorted and joined the same way.
 */

export const GATEWAY_URL = "https://openapi.alipay.com/gateway.do";
export const METHOD_REFUND = "alipay.trade.refund";
export const METHOD_REFUND_QUERY = "alipay.trade.fastpay.refund.query";
/** 查询对账单下载地址: the URL of a day's (or month's) bill zip. */
export const METHOD_BILL_URL = "alipay.data.dataservice.bill.downloadurl.query";
/** The bill is not there (yet): a day not over, or before 9:00 the next day when Alipay writes it. */
export const SUB_CODE_BILL_NOT_EXIST = "isp.bill_not_exist";
/** The node a gateway-level failure may come back in instead of the method's own. */
export const ERROR_RESPONSE = "error_response";
/** What the gateway answers when it did what was asked; a query's 10000 says the query worked, not the refund. */
export const CODE_SUCCESS = "10000";
/** Business failure (业务处理失败): `sub_code` says which. */
export const CODE_BUSINESS_FAILED = "40004";
/** `timestamp` and notification times are Beijing time, "yyyy-MM-dd HH:mm:ss". */
const BEIJING_OFFSET_MS = 8 * 3600_000;

/** `alipay.trade.refund` → `alipay_trade_refund_response`. */
export const responseNode = (method: string) => `${method.replaceAll(".", "_")}_response`;

/** Why a response or notification cannot be used; a stable code a person can search for. */
export type AlipayProtocolCode =
  | "ALIPAY_SIGN_MISSING"
  | "ALIPAY_SIGNATURE_INVALID"
  | "ALIPAY_SIGN_TYPE_UNSUPPORTED"
  | "ALIPAY_RESPONSE_MALFORMED"
  | "ALIPAY_RESPONSE_MISMATCH"
  | "ALIPAY_AMOUNT_INVALID"
  | "ALIPAY_GATEWAY_ERROR"
  | "ALIPAY_BUSINESS_UNKNOWN"
  | "ALIPAY_REFUND_STATUS_UNKNOWN"
  | "ALIPAY_NOTIFY_MALFORMED"
  | "ALIPAY_NOTIFY_NOT_A_REFUND"
  | "ALIPAY_APP_ID_MISMATCH";

export class AlipayProtocolError extends Error {
  readonly code: AlipayProtocolCode;
  constructor(code: AlipayProtocolCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "AlipayProtocolError";
    this.code = code;
  }
}

// --- keys -------------------------------------------------------------------------------------------

/**
 * The app private key as the Alipay key tool hands it out: PEM, or the bare base64 of PKCS#8 (Java) or
 * PKCS#1 (other languages) DER.
 */
export function privateKeyFrom(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    if (trimmed.includes("-----BEGIN")) return createPrivateKey(trimmed);
    const der = Buffer.from(trimmed.replace(/\s+/g, ""), "base64");
    try {
      return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    } catch {
      return createPrivateKey({ key: der, format: "der", type: "pkcs1" });
    }
  } catch (e) {
    throw new AppError(
      "ALIPAY_KEY_INVALID",
      `the Alipay app private key cannot be read: ${(e as Error).message}`,
    );
  }
}

/** The Alipay public key (支付宝公钥): PEM, or the bare base64 of its X.509 SubjectPublicKeyInfo DER. */
export function publicKeyFrom(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    if (trimmed.includes("-----BEGIN")) return createPublicKey(trimmed);
    const der = Buffer.from(trimmed.replace(/\s+/g, ""), "base64");
    try {
      return createPublicKey({ key: der, format: "der", type: "spki" });
    } catch {
      return createPublicKey({ key: der, format: "der", type: "pkcs1" });
    }
  } catch (e) {
    throw new AppError("ALIPAY_KEY_INVALID", `the Alipay public key cannot be read: ${(e as Error).message}`);
  }
}

// --- signatures -------------------------------------------------------------------------------------

/** The text that is signed: non-empty parameters except `exclude`, sorted by name, `k=v` joined by `&`. */
export function signingString(params: Readonly<Record<string, string>>, exclude: readonly string[]): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== "")
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

/** RSA2: SHA256withRSA (PKCS#1 v1.5) over the UTF-8 text, base64. */
export const rsa2Sign = (content: string, key: KeyObject): string =>
  cryptoSign("sha256", Buffer.from(content, "utf8"), key).toString("base64");

export function rsa2Verify(content: string, signature: string, key: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return cryptoVerify("sha256", Buffer.from(content, "utf8"), key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/** Request parameters: sign_type is signed, only `sign` itself is left out. */
export const requestSigningString = (params: Readonly<Record<string, string>>) =>
  signingString(params, ["sign"]);

/** Notification parameters: both `sign` and `sign_type` are left out. */
export const notificationSigningString = (params: Readonly<Record<string, string>>) =>
  signingString(params, ["sign", "sign_type"]);

// --- responses --------------------------------------------------------------------------------------

/**
 * The top-level members of a JSON object as the exact text slices of their values, so a signature can
 * be checked over the bytes Alipay signed rather than over a re-serialisation. Null when `raw` is not a
 * single well-formed object or names a member twice (two `…_response` nodes must not be able to
 * smuggle an unsigned one past the check).
 */
export function topLevelMembers(raw: string): Map<string, string> | null {
  const n = raw.length;
  let i = 0;
  const ws = () => {
    while (i < n && " \t\n\r".includes(raw[i] as string)) i++;
  };
  const stringEnd = (start: number): number => {
    let j = start + 1;
    while (j < n) {
      const c = raw[j];
      if (c === "\\") j += 2;
      else if (c === '"') return j + 1;
      else j++;
    }
    return -1;
  };
  const valueEnd = (start: number): number => {
    const c = raw[start];
    if (c === '"') return stringEnd(start);
    if (c === "{" || c === "[") {
      let depth = 0;
      let j = start;
      while (j < n) {
        const d = raw[j];
        if (d === '"') {
          j = stringEnd(j);
          if (j < 0) return -1;
          continue;
        }
        if (d === "{" || d === "[") depth++;
        else if (d === "}" || d === "]") {
          depth--;
          if (depth === 0) return j + 1;
        }
        j++;
      }
      return -1;
    }
    let j = start;
    while (j < n && !",}] \t\n\r".includes(raw[j] as string)) j++;
    return j === start ? -1 : j;
  };

  const members = new Map<string, string>();
  ws();
  if (raw[i] !== "{") return null;
  i++;
  ws();
  if (raw[i] === "}") {
    i++;
    ws();
    return i === n ? members : null;
  }
  for (;;) {
    ws();
    if (raw[i] !== '"') return null;
    const keyEnd = stringEnd(i);
    if (keyEnd < 0) return null;
    let key: string;
    try {
      key = JSON.parse(raw.slice(i, keyEnd)) as string;
    } catch {
      return null;
    }
    i = keyEnd;
    ws();
    if (raw[i] !== ":") return null;
    i++;
    ws();
    const end = valueEnd(i);
    if (end < 0) return null;
    const text = raw.slice(i, end);
    try {
      JSON.parse(text);
    } catch {
      return null;
    }
    if (members.has(key)) return null;
    members.set(key, text);
    i = end;
    ws();
    if (raw[i] === ",") {
      i++;
      continue;
    }
    if (raw[i] !== "}") return null;
    i++;
    ws();
    return i === n ? members : null;
  }
}

export interface GatewayResponse {
  /** Which node answered: the method's own, or `error_response`. */
  node: string;
  /** The parsed content of that node. */
  body: Record<string, unknown>;
  /** The node's exact text, which the sign covers. */
  signedContent: string;
  /** The sign as sent; undefined when the response carries none. */
  sign: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Split a raw gateway body into its response node and sign, without trusting it yet. */
export function readResponse(raw: string, method: string): GatewayResponse {
  const members = topLevelMembers(raw);
  if (!members) {
    throw new AlipayProtocolError(
      "ALIPAY_RESPONSE_MALFORMED",
      `the body is not one JSON object with distinct members: ${raw.slice(0, 200)}`,
    );
  }
  const own = responseNode(method);
  const node = members.has(own) ? own : members.has(ERROR_RESPONSE) ? ERROR_RESPONSE : undefined;
  const signedContent = node ? members.get(node) : undefined;
  if (!node || signedContent === undefined) {
    throw new AlipayProtocolError(
      "ALIPAY_RESPONSE_MALFORMED",
      `the body has neither "${own}" nor "${ERROR_RESPONSE}"`,
    );
  }
  const body = JSON.parse(signedContent) as unknown;
  if (!isObject(body)) {
    throw new AlipayProtocolError("ALIPAY_RESPONSE_MALFORMED", `"${node}" is not a JSON object`);
  }
  const signText = members.get("sign");
  const sign = signText === undefined ? undefined : (JSON.parse(signText) as unknown);
  if (sign !== undefined && typeof sign !== "string") {
    throw new AlipayProtocolError("ALIPAY_RESPONSE_MALFORMED", `"sign" is not a string`);
  }
  return { node, body, signedContent, sign: sign === "" ? undefined : sign };
}

/** Read a gateway body and check its sign with Alipay's public key; anything unsigned or tampered throws. */
export function verifyResponse(raw: string, method: string, alipayPublicKey: KeyObject): GatewayResponse {
  const res = readResponse(raw, method);
  if (res.sign === undefined) {
    throw new AlipayProtocolError("ALIPAY_SIGN_MISSING", `the "${res.node}" answer carries no sign`);
  }
  if (!rsa2Verify(res.signedContent, res.sign, alipayPublicKey)) {
    throw new AlipayProtocolError(
      "ALIPAY_SIGNATURE_INVALID",
      `the sign of "${res.node}" does not verify with the configured Alipay public key`,
    );
  }
  return res;
}

/** The gateway's side: a response body with its node signed (as the simulator answers). */
export function signedResponse(
  method: string,
  body: Record<string, unknown>,
  alipayPrivateKey: KeyObject | undefined,
  node = responseNode(method),
): string {
  const content = JSON.stringify(body);
  const sign = alipayPrivateKey ? `,"sign":${JSON.stringify(rsa2Sign(content, alipayPrivateKey))}` : "";
  return `{${JSON.stringify(node)}:${content}${sign}}`;
}

// --- forms (requests and notifications) -----------------------------------------------------------

/** A form body or query string as one value per name; null when a name repeats (ambiguous to sign). */
export function parseForm(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (Object.hasOwn(out, k)) return null;
    out[k] = v;
  }
  return out;
}

export const formBody = (params: Readonly<Record<string, string>>) => new URLSearchParams(params).toString();

// --- time and money -------------------------------------------------------------------------------

/** "yyyy-MM-dd HH:mm:ss" in Beijing time, as `timestamp` and `notify_time` are written. */
export function beijingTime(at: Date, millis = false): string {
  const iso = new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, millis ? 23 : 19)}`;
}

const BEIJING_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?$/;

/** A Beijing-time "yyyy-MM-dd HH:mm:ss[.SSS]" as an instant; undefined when it is not one. */
export function parseBeijingTime(text: unknown): Date | undefined {
  if (typeof text !== "string") return undefined;
  const m = BEIJING_TIME.exec(text);
  if (!m) return undefined;
  const at = new Date(`${m[1]}T${m[2]}${m[3] ?? ""}+08:00`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** Alipay's `Price`: yuan with at most two decimals, never negative. */
const PRICE = /^\d{1,12}(\.\d{1,2})?$/;

/** Fen (分) → the yuan string Alipay expects ("19.90"), exactly. */
export function toYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) {
    throw new AlipayProtocolError(
      "ALIPAY_AMOUNT_INVALID",
      `${fen} is not a non-negative whole number of fen`,
    );
  }
  return formatMinor(fen, "CNY");
}

/** A yuan string from Alipay ("88.88", "1.8", "10") → fen, exactly (string arithmetic, no floats). */
export function toFen(yuan: unknown, field: string): number {
  if (typeof yuan !== "string" || !PRICE.test(yuan)) {
    throw new AlipayProtocolError(
      "ALIPAY_AMOUNT_INVALID",
      `${field} must be a yuan amount with at most two decimals, got ${JSON.stringify(yuan)}`,
    );
  }
  return parseMinor(yuan, "CNY");
}

// --- business failures ----------------------------------------------------------------------------

/**
 * `sub_code`s of alipay.trade.refund / alipay.trade.fastpay.refund.query and what they say about the
 * money. "failed": the gateway refused the refund and nothing moved. "unknown": the refund may or may
 * not exist, so the caller asks (query by out_request_no) before anything else.
 */
export const SUB_CODES: Readonly<Record<string, { outcome: "failed" | "unknown"; message: string }>> = {
  "ACQ.SYSTEM_ERROR": {
    outcome: "unknown",
    message: "系统错误 (system error; retry with the same parameters)",
  },
  "ACQ.DISCORDANT_REPEAT_REQUEST": {
    outcome: "unknown",
    message: "不一致的请求 (this out_request_no was already used with other parameters)",
  },
  "ACQ.INVALID_PARAMETER": { outcome: "failed", message: "参数无效 (invalid parameter)" },
  "ACQ.SELLER_BALANCE_NOT_ENOUGH": {
    outcome: "failed",
    message: "卖家余额不足 (the merchant's Alipay balance cannot cover the refund)",
  },
  "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL": {
    outcome: "failed",
    message: "退款金额超限 (the refunds would exceed what was paid)",
  },
  "ACQ.REASON_TRADE_BEEN_FREEZEN": {
    outcome: "failed",
    message: "请求退款的交易被冻结 (the trade is frozen)",
  },
  "ACQ.TRADE_NOT_EXIST": { outcome: "failed", message: "交易不存在 (no such trade)" },
  "ACQ.TRADE_HAS_FINISHED": {
    outcome: "failed",
    message: "交易已完结 (the trade is finished and takes no refunds)",
  },
  "ACQ.TRADE_HAS_CLOSE": { outcome: "failed", message: "交易已关闭 (the trade is closed)" },
  "ACQ.TRADE_STATUS_ERROR": {
    outcome: "failed",
    message: "交易状态非法 (the trade is not in a refundable state)",
  },
  "ACQ.REASON_TRADE_REFUND_FEE_ERR": { outcome: "failed", message: "退款金额无效 (invalid refund amount)" },
  "ACQ.REFUND_FEE_ERROR": { outcome: "failed", message: "交易退款金额有误 (wrong refund amount)" },
  "ACQ.TRADE_NOT_ALLOW_REFUND": {
    outcome: "failed",
    message: "当前交易不允许退款 (this trade does not allow refunds)",
  },
};
