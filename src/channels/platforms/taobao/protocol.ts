import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * The Taobao Open Platform (TOP) wire rules, shared by the adapter and the simulator so they cannot
 * drift apart. Facts from the TOP documentation (as quoted by the community SDKs):
 * - every call is a request to the gateway `/router/rest` with the system parameters `method, app_key,
 *   session, timestamp, format, v, sign_method, sign` plus the API's own parameters;
 * - `timestamp` is `yyyy-MM-dd HH:mm:ss` in GMT+8; the gateway allows 10 minutes of clock error;
 * - the signature covers every parameter except `sign` (and empty values), sorted by name in ASCII
 *   order and concatenated as name+value: `md5` digests secret + that + secret, `hmac` is HMAC-MD5 and
 *   `hmac-sha256` HMAC-SHA256 of it keyed with the app secret; the digest is written in upper-case hex;
 * - failures come back as `{"error_response":{"code","msg","sub_code","sub_msg","request_id"}}`
 *   (e.g. `{"code":25,"msg":"Invalid signature"}`); business refusals are code 15 with an `isv.*`
 *   sub_code, platform trouble an `isp.*` one.
 */

export const GATEWAY_PATH = "/router/rest";
export const PRODUCTION_GATEWAY = "https://eco.taobao.com/router/rest";
export const API_VERSION = "2.0";
export const MAX_SKEW_MS = 10 * 60_000;

export const SIGN_METHODS = ["md5", "hmac", "hmac-sha256"] as const;
export type SignMethod = (typeof SIGN_METHODS)[number];

export type TopParams = Readonly<Record<string, string | undefined>>;

/** name+value of every signed parameter, sorted by name. */
export function signingString(params: TopParams): string {
  return Object.keys(params)
    .filter((k) => k !== "sign" && k !== "" && params[k] !== undefined && params[k] !== "")
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join("");
}

export function signTop(params: TopParams, secret: string, method: SignMethod): string {
  const text = signingString(params);
  const digest =
    method === "md5"
      ? createHash("md5").update(`${secret}${text}${secret}`, "utf8").digest()
      : createHmac(method === "hmac" ? "md5" : "sha256", secret)
          .update(text, "utf8")
          .digest();
  return digest.toString("hex").toUpperCase();
}

export const isSignMethod = (v: unknown): v is SignMethod => SIGN_METHODS.includes(v as SignMethod);

/** Constant-time check of `params.sign` against the secret, by the method the request names. */
export function verifyTopSignature(params: TopParams, secret: string): boolean {
  const method = params.sign_method ?? "md5";
  const given = params.sign;
  if (!given || !isSignMethod(method)) return false;
  const expected = Buffer.from(signTop(params, secret, method));
  const got = Buffer.from(given.toUpperCase());
  return expected.length === got.length && timingSafeEqual(expected, got);
}

const GMT8_MS = 8 * 3_600_000;

/** A TOP time: `yyyy-MM-dd HH:mm:ss` in GMT+8 (seconds only — the platform's resolution). */
export const toTopTime = (d: Date): string =>
  new Date(d.getTime() + GMT8_MS).toISOString().slice(0, 19).replace("T", " ");

const TOP_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;

/** Parse a TOP time (GMT+8); undefined when it is not one. */
export function fromTopTime(text: string | undefined): Date | undefined {
  const m = TOP_TIME.exec(text ?? "");
  if (!m) return undefined;
  const d = new Date(`${m[1]}T${m[2]}+08:00`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The gateway's own error codes we meet (platform level, before any API runs). */
export const TOP_ERRORS = {
  APP_CALL_LIMITED: { code: 7, msg: "App Call Limited" },
  SERVICE_UNAVAILABLE: { code: 10, msg: "Service currently unavailable" },
  INSUFFICIENT_ISV_PERMISSIONS: { code: 11, msg: "Insufficient isv permissions" },
  REMOTE_SERVICE_ERROR: { code: 15, msg: "Remote service error" },
  MISSING_METHOD: { code: 21, msg: "Missing method" },
  INVALID_METHOD: { code: 22, msg: "Invalid method" },
  INVALID_FORMAT: { code: 23, msg: "Invalid format" },
  MISSING_SIGNATURE: { code: 24, msg: "Missing signature" },
  INVALID_SIGNATURE: { code: 25, msg: "Invalid signature" },
  MISSING_SESSION: { code: 26, msg: "Missing session" },
  INVALID_SESSION: { code: 27, msg: "Invalid session" },
  MISSING_APP_KEY: { code: 28, msg: "Missing app key" },
  INVALID_APP_KEY: { code: 29, msg: "Invalid app key" },
  MISSING_TIMESTAMP: { code: 30, msg: "Missing timestamp" },
  INVALID_TIMESTAMP: { code: 31, msg: "Invalid timestamp" },
  MISSING_VERSION: { code: 32, msg: "Missing version" },
  INVALID_VERSION: { code: 33, msg: "Invalid version" },
  MISSING_REQUIRED_ARGUMENTS: { code: 40, msg: "Missing required arguments" },
  INVALID_ARGUMENTS: { code: 41, msg: "Invalid arguments" },
} as const;

/** Codes that say the credentials themselves are wrong: retrying will not help. */
export const AUTH_CODES: readonly number[] = [11, 24, 25, 26, 27, 28, 29];
/** Codes that say the platform could not answer now: the outcome of a write is unknown. */
export const UNAVAILABLE_CODES: readonly number[] = [7, 10];

export interface TopErrorBody {
  code: number;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
}

/**
 * Business refusals of the after-sales APIs, by sub_code. The real platform's exact sub_codes for
 * these cases were not found in the sources we had; the simulator uses these names and the adapter
 * maps them — keep the two in step here.
 */
export const REFUND_SUB_CODES = {
  NOT_FOUND: "isv.refund-not-exist",
  STALE_VERSION: "isv.refund-version-expired",
  INVALID_STATUS: "isv.refund-status-invalid",
  NOT_REVIEWED: "isv.refund-not-reviewed",
  AMOUNT_EXCEEDED: "isv.refund-fee-exceed",
  TRADE_NOT_FOUND: "isv.trade-not-exist",
  INVALID_PARAMETER: "isv.invalid-parameter",
  WINDOW_TOO_LONG: "isv.invalid-parameter:time-range",
} as const;

/** The TMC message a push carries, flattened for signing (TOP rules, keyed with the app secret). */
export interface TmcMessage {
  id: string;
  topic: string;
  /** The topic's fields as a JSON string (e.g. refund_id, tid, oid, refund_fee, modified). */
  content: string;
  pub_time: string;
  pub_app_key: string;
  user_id: string;
  user_nick: string;
}
