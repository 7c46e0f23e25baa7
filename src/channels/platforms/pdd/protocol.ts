import { createHash, timingSafeEqual } from "node:crypto";
import { AppError } from "../../../domain/errors.ts";
import { parseMinor } from "../../../domain/money.ts";

/**
 * Wire facts of the Pinduoduo open platform (拼多多开放平台, POP), shared by the adapter and its
 * simulator so the two cannot drift apart. Sources: the PDD API pages for pdd.refund.list.increment.get
 * and pdd.refund.information.get (公共参数, 返回参数, 错误码), cross-checked with published SDKs.
 *
 * - Every call is one POST to the router with form fields: `type` (the API name), `client_id`,
 *   `access_token`, `timestamp` (UNIX seconds, within 10 minutes of PDD's clock), `data_type=JSON`,
 *   the business parameters, and `sign`.
 * - sign = upper-case hex MD5(client_secret + every parameter but `sign`, sorted by name, as
 *   name+value + client_secret). Object-valued parameters (e.g. `request`) travel as JSON text.
 * - A failure comes back as `{"error_response":{"error_code","error_msg","sub_code","sub_msg","request_id"}}`.
 * - Responses are not signed: the adapter can only check that they have the documented shape.
 */

export const PDD_ROUTER_PATH = "/api/router";
/** The increment APIs refuse a window longer than 30 minutes (开始时间结束时间间距不超过 30 分钟). */
export const PDD_MAX_WINDOW_MS = 30 * 60 * 1000;
/** page_size: default 100, maximum 100. */
export const PDD_MAX_PAGE_SIZE = 100;
/** timestamp: 需要与拼多多服务器时间差值在10分钟内. */
export const PDD_MAX_SKEW_SECONDS = 600;

/** Error codes from the documented table (返回错误码说明) that this code produces or interprets. */
export const PDD_ERRORS = {
  PARAM: { code: 10000, msg: "参数错误" },
  COMMON_PARAM: { code: 10001, msg: "公共参数错误" },
  CLIENT: { code: 10016, msg: "client下线或者clientId不正确" },
  TYPE: { code: 10017, msg: "type不正确" },
  SIGN: { code: 20004, msg: "签名sign校验失败" },
  TOKEN: { code: 20032, msg: "access_token或client_id错误" },
  BUSINESS: { code: 50001, msg: "业务服务错误" },
  UNAVAILABLE: { code: 52103, msg: "服务暂时不可用，请稍后重试" },
} as const;
/** The sub_code PDD answers when an order or after-sales id is not this shop's or does not exist (observed by integrators). */
export const PDD_NOT_FOUND_SUB_CODE = "45001";

/** after_sales_status, verbatim from the API page (the full 0–33 list). */
export const PDD_AFTER_SALES_STATUS = {
  0: "无售后",
  2: "买家申请退款，待商家处理",
  3: "退货退款，待商家处理",
  4: "商家同意退款，退款中",
  5: "平台同意退款，退款中",
  6: "驳回退款，待买家处理",
  7: "已同意退货退款,待用户发货",
  8: "平台处理中",
  9: "平台拒绝退款，退款关闭",
  10: "退款成功",
  11: "买家撤销",
  12: "买家逾期未处理，退款失败",
  13: "买家逾期，超过有效期",
  14: "换货补寄待商家处理",
  15: "换货补寄待用户处理",
  16: "换货补寄成功",
  17: "换货补寄失败",
  18: "换货补寄待用户确认完成",
  21: "待商家同意维修",
  22: "待用户确认发货",
  24: "维修关闭",
  25: "维修成功",
  27: "待用户确认收货",
  31: "已同意拒收退款，待用户拒收",
  32: "补寄待商家发货",
  33: "待商家召回",
} as const satisfies Record<number, string>;
export type PddAfterSalesStatus = keyof typeof PDD_AFTER_SALES_STATUS;

/**
 * after_sales_type as the list API speaks it (请求参数: 1 全部 2 仅退款 3 退货退款 4 换货 5 缺货补寄 6 维修).
 * Its records use the same codes (an integrator's real data shows list 2 ↔ detail 1 for 仅退款).
 */
export const PDD_LIST_TYPES = {
  1: "全部",
  2: "仅退款",
  3: "退货退款",
  4: "换货",
  5: "缺货补寄",
  6: "维修",
} as const satisfies Record<number, string>;
/** after_sales_type as pdd.refund.information.get speaks it: 1-仅退款，2-退货退款，3-换货，4-补寄，5-维修. */
export const PDD_DETAIL_TYPES = {
  1: "仅退款",
  2: "退货退款",
  3: "换货",
  4: "补寄",
  5: "维修",
} as const satisfies Record<number, string>;
/** The filter value meaning "every status" / "every type" in the list request (the page's own example sends 1). */
export const PDD_ALL = 1;

export type PddParams = Record<string, string>;

const md5Upper = (text: string) => createHash("md5").update(text, "utf8").digest("hex").toUpperCase();

/** The POP signature over every parameter except `sign` itself. */
export function pddSign(secret: string, params: Readonly<Record<string, string | undefined>>): string {
  const body = Object.keys(params)
    .filter((k) => k !== "sign" && params[k] !== undefined)
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join("");
  return md5Upper(`${secret}${body}${secret}`);
}

export interface PddAppCredentials {
  clientId: string;
  clientSecret: string;
  accessToken: string;
}

/** Business values as PDD expects them on the wire: objects as JSON text, everything else as text. */
export function pddBusinessParams(business: Readonly<Record<string, unknown>>): PddParams {
  const out: PddParams = {};
  for (const [k, v] of Object.entries(business)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** The complete, signed form for one call. */
export function signedPddParams(
  creds: PddAppCredentials,
  type: string,
  business: Readonly<Record<string, unknown>>,
  nowMs = Date.now(),
): PddParams {
  const params: PddParams = {
    ...pddBusinessParams(business),
    type,
    client_id: creds.clientId,
    access_token: creds.accessToken,
    timestamp: String(Math.floor(nowMs / 1000)),
    data_type: "JSON",
  };
  params.sign = pddSign(creds.clientSecret, params);
  return params;
}

export type PddCheck = { ok: true } | { ok: false; error: { code: number; msg: string }; detail: string };

/** What the simulator checks before anything else: public parameters, freshness and signature. */
export function verifyPddRequest(
  app: { clientId: string; clientSecret: string },
  params: Readonly<Record<string, string>>,
  nowMs = Date.now(),
): PddCheck {
  const fail = (error: { code: number; msg: string }, detail: string): PddCheck => ({
    ok: false,
    error,
    detail,
  });
  if (!params.type) return fail(PDD_ERRORS.COMMON_PARAM, "type");
  if (params.client_id !== app.clientId) return fail(PDD_ERRORS.CLIENT, "client_id");
  const ts = params.timestamp ?? "";
  if (!/^\d{1,12}$/.test(ts)) return fail(PDD_ERRORS.COMMON_PARAM, "timestamp");
  if (Math.abs(nowMs / 1000 - Number(ts)) > PDD_MAX_SKEW_SECONDS) {
    return fail(PDD_ERRORS.COMMON_PARAM, "timestamp expired");
  }
  if (!params.sign) return fail(PDD_ERRORS.COMMON_PARAM, "sign");
  const expected = Buffer.from(pddSign(app.clientSecret, params));
  const given = Buffer.from(params.sign);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return fail(PDD_ERRORS.SIGN, "sign mismatch");
  }
  return { ok: true };
}

export const pddErrorBody = (
  error: { code: number; msg: string },
  subMsg = "",
  subCode: string | null = null,
) => ({
  error_response: {
    error_code: error.code,
    error_msg: error.msg,
    sub_code: subCode,
    sub_msg: subMsg,
    request_id: `${Date.now()}${Math.floor(Math.random() * 1e5)}`,
  },
});

// --- Times -------------------------------------------------------------------------------------------

const CN_DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * PDD times come as UNIX seconds (list: "1551612204"), epoch milliseconds (detail: 1638792640659) or
 * Beijing wall-clock text ("2019-03-04 10:23:11", orders). Returns an ISO instant, or null when absent.
 */
export function parsePddTime(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  if (/^\d{1,15}$/.test(text)) {
    const n = Number(text);
    return new Date(n >= 1e12 ? n : n * 1000).toISOString();
  }
  const m = CN_DATETIME.exec(text);
  if (m) {
    const [, y, mo, d, h, mi, s] = m;
    const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`);
    if (!Number.isNaN(at.getTime())) return at.toISOString();
  }
  throw new AppError(
    "PLATFORM_BAD_RESPONSE",
    `PDD sent an unreadable time in ${field}: ${JSON.stringify(value)}`,
    {
      platform: "pdd",
      field,
    },
  );
}

/** Beijing wall-clock text, as PDD's order APIs write times. */
export function formatPddDateTime(ms: number): string {
  const d = new Date(ms + 8 * 3600 * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

// --- Amounts -----------------------------------------------------------------------------------------

/**
 * A 元 amount (the list and order APIs: "19.90", sometimes a JSON number) to exact 分. Numbers are read
 * through their shortest decimal text, so 19.9 is 1990 — never multiplied as a float.
 */
export function pddYuan(value: unknown, field: string): number {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== "string") {
    throw new AppError("PLATFORM_BAD_RESPONSE", `PDD sent no amount in ${field}`, { platform: "pdd", field });
  }
  try {
    return parseMinor(text, "CNY");
  } catch (e) {
    throw new AppError(
      "PLATFORM_BAD_RESPONSE",
      `PDD sent an unreadable amount in ${field}: ${JSON.stringify(value)}`,
      {
        platform: "pdd",
        field,
        cause: e instanceof AppError ? e.code : String(e),
      },
    );
  }
}

/** A 分 amount (pdd.refund.information.get: refund_amount 100) — a whole number, as a number or digits. */
export function pddFen(value: unknown, field: string): number {
  const n = typeof value === "string" && /^\d{1,15}$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new AppError(
      "PLATFORM_BAD_RESPONSE",
      `PDD sent an unreadable 分 amount in ${field}: ${JSON.stringify(value)}`,
      {
        platform: "pdd",
        field,
      },
    );
  }
  return n;
}
