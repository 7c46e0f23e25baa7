import { createHash, timingSafeEqual } from "node:crypto";
import { AppError } from "../../../domain/errors.ts";
import { parseMinor } from "../../../domain/money.ts";

/**
 * Wire facts of the JD open platform (京东宙斯 JOS), shared by the adapter and its simulator.
 * Sources: JD's JOS SDK request/response classes as published by integrators, the gateway error table
 * (网关系统错误码) and the channel reference (shared/reference/channels.md §1.2). No JD payload fixture
 * exists in shared/fixtures: the samples in the tests are built from these documented field names.
 *
 * - One POST (form) to `/routerjson` with `method`, `access_token`, `app_key`, `timestamp`
 *   ("yyyy-MM-dd HH:mm:ss", Beijing time, within 6 minutes of JD's clock), `v=2.0`, `format=json`,
 *   `360buy_param_json` (the business parameters as one JSON text) and `sign`.
 * - sign = upper-case hex MD5(app_secret + every parameter but `sign`, sorted by name, as name+value + app_secret).
 * - The answer's root is the method with dots as underscores plus JD's own spelling `_responce`
 *   (jingdong_pop_afs_soa_refundapply_queryPageList_responce); a gateway failure is
 *   `{"error_response":{"code","zh_desc","en_desc"}}`. Answers are not signed.
 */

export const JD_ROUTER_PATH = "/routerjson";
export const JD_MAX_SKEW_MS = 6 * 60 * 1000;
/** refundapply.queryPageList: pageIndex 1–100, pageSize 1–50 (asc lists: pageSize 1–50 as well). */
export const JD_MAX_PAGE_INDEX = 100;
export const JD_MAX_PAGE_SIZE = 50;

/** Gateway error codes (网关系统错误码) this code produces or interprets. */
export const JD_ERRORS = {
  MISSING_VERSION: { code: "4", zh: "缺少版本参数", en: "Missing Version" },
  UNSUPPORTED_VERSION: { code: "5", zh: "不支持的版本号", en: "Unsupported Version" },
  MISSING_TIMESTAMP: { code: "7", zh: "缺少时间戳参数", en: "Missing Timestamp" },
  INVALID_TIMESTAMP: { code: "8", zh: "非法的时间戳参数", en: "Invalid Timestamp" },
  MISSING_SIGN: { code: "11", zh: "缺少签名参数", en: "Missing Signature" },
  INVALID_SIGN: { code: "12", zh: "无效签名", en: "Invalid Signature" },
  MISSING_METHOD: { code: "14", zh: "缺少方法名参数", en: "Missing Method" },
  INVALID_METHOD: { code: "15", zh: "不存在的方法名", en: "Invalid Method" },
  INVALID_TOKEN: { code: "19", zh: "无效access_token", en: "Invalid access_token" },
} as const;
export type JdGatewayError = (typeof JD_ERRORS)[keyof typeof JD_ERRORS];

/** refundapply status (退款审核单), verbatim: "0、未审核 1、审核通过 … 9、强制关单并退款". */
export const JD_REFUND_APPLY_STATUS = {
  0: "未审核",
  1: "审核通过",
  2: "审核不通过",
  3: "京东财务审核通过",
  4: "京东财务审核不通过",
  5: "人工审核通过",
  6: "拦截并退款",
  7: "青龙拦截成功",
  8: "青龙拦截失败",
  9: "强制关单并退款",
} as const satisfies Record<number, string>;
export type JdRefundApplyStatus = keyof typeof JD_REFUND_APPLY_STATUS;

/** replyRefund's `status`: 1 审核通过, 2 审核不通过 (6 通过并京东拦截, 9 强制关单, 10 物流待跟进 are not used here). */
export const JD_REPLY = { APPROVE: 1, REJECT: 2 } as const;
/** replyRefund's `rejectType` when refusing: 5 其他 (1–4 and 6 name specific logistics situations). */
export const JD_REJECT_OTHER = 5;
/** The rejectType values replyRefund accepts; anything else is refused (审核不通过原因类型不合法). */
export const JD_REJECT_TYPES: readonly number[] = [1, 2, 3, 4, 5, 6];

export const jdRoot = (method: string) => `${method.replaceAll(".", "_")}_responce`;

const md5Upper = (text: string) => createHash("md5").update(text, "utf8").digest("hex").toUpperCase();

export function jdSign(secret: string, params: Readonly<Record<string, string | undefined>>): string {
  const body = Object.keys(params)
    .filter((k) => k !== "sign" && params[k] !== undefined)
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join("");
  return md5Upper(`${secret}${body}${secret}`);
}

export interface JdAppCredentials {
  appKey: string;
  appSecret: string;
  accessToken: string;
}

/** Beijing wall-clock text, as JOS writes and reads every time. */
export function formatJdTime(ms: number): string {
  const d = new Date(ms + 8 * 3600 * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

const JD_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?$/;

/** "2024-06-01 10:00:00" (Beijing) → epoch ms, or null when it is not JOS time text. */
export function jdTimeMs(text: string): number | null {
  const m = JD_TIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const at = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`);
  return Number.isNaN(at) ? null : at;
}

/** A JOS time field → ISO instant; epoch milliseconds are accepted too (some asc fields are dates). */
export function parseJdTime(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 1e11)
    return new Date(value).toISOString();
  const ms = typeof value === "string" ? jdTimeMs(value) : null;
  if (ms === null) {
    throw new AppError(
      "PLATFORM_BAD_RESPONSE",
      `JD sent an unreadable time in ${field}: ${JSON.stringify(value)}`,
      {
        platform: "jd",
        field,
      },
    );
  }
  return new Date(ms).toISOString();
}

export type JdParams = Record<string, string>;

export function signedJdParams(
  creds: JdAppCredentials,
  method: string,
  business: Readonly<Record<string, unknown>>,
  nowMs = Date.now(),
): JdParams {
  const params: JdParams = {
    method,
    access_token: creds.accessToken,
    app_key: creds.appKey,
    timestamp: formatJdTime(nowMs),
    v: "2.0",
    format: "json",
    "360buy_param_json": JSON.stringify(business),
  };
  params.sign = jdSign(creds.appSecret, params);
  return params;
}

export type JdCheck = { ok: true } | { ok: false; error: JdGatewayError };

/**
 * The gateway's checks, in the order the simulator applies them. An app_key the gateway does not know
 * is answered as an invalid signature (12): without the app there is no secret to check against.
 */
export function verifyJdRequest(
  app: { appKey: string; appSecret: string },
  params: Readonly<Record<string, string>>,
  nowMs = Date.now(),
): JdCheck {
  const fail = (error: JdGatewayError): JdCheck => ({ ok: false, error });
  if (!params.method) return fail(JD_ERRORS.MISSING_METHOD);
  if (!params.v) return fail(JD_ERRORS.MISSING_VERSION);
  if (params.v !== "2.0") return fail(JD_ERRORS.UNSUPPORTED_VERSION);
  if (!params.timestamp) return fail(JD_ERRORS.MISSING_TIMESTAMP);
  const at = jdTimeMs(params.timestamp);
  if (at === null || Math.abs(nowMs - at) > JD_MAX_SKEW_MS) return fail(JD_ERRORS.INVALID_TIMESTAMP);
  if (!params.sign) return fail(JD_ERRORS.MISSING_SIGN);
  if (params.app_key !== app.appKey) return fail(JD_ERRORS.INVALID_SIGN);
  const expected = Buffer.from(jdSign(app.appSecret, params));
  const given = Buffer.from(params.sign);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return fail(JD_ERRORS.INVALID_SIGN);
  return { ok: true };
}

export const jdErrorBody = (error: JdGatewayError) => ({
  error_response: { code: error.code, zh_desc: error.zh, en_desc: error.en },
});

/** applyRefundSum: 分, sent as a number (Double in the SDK) or numeric text; must be whole. */
export function jdFen(value: unknown, field: string): number {
  const n = typeof value === "string" && /^\d{1,15}(\.0+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new AppError(
      "PLATFORM_BAD_RESPONSE",
      `JD sent an unreadable 分 amount in ${field}: ${JSON.stringify(value)}`,
      {
        platform: "jd",
        field,
      },
    );
  }
  return n;
}

/** Order amounts: 元 as decimal text ("99.00"), read exactly. */
export function jdYuan(value: unknown, field: string): number {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  try {
    if (typeof text !== "string") throw new Error("missing");
    return parseMinor(text, "CNY");
  } catch {
    throw new AppError(
      "PLATFORM_BAD_RESPONSE",
      `JD sent an unreadable 元 amount in ${field}: ${JSON.stringify(value)}`,
      {
        platform: "jd",
        field,
      },
    );
  }
}

/** JSON.parse that keeps integers beyond 2^53 (JD ids are Long) as their exact digits. */
export function parseJdJson(body: string): unknown {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
      ? context.source
      : value;
  return JSON.parse(body, reviver as (key: string, value: unknown) => unknown);
}
