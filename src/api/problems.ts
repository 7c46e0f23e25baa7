import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../domain/errors.ts";
import { type Details, errorMessage, type Lang } from "../domain/messages/index.ts";
import { fieldProblems, negotiateLang, titleOf } from "./language.ts";

/** Every expected failure's HTTP status, by its stable code. Unlisted codes are plain bad requests. */
const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SHOP_FORBIDDEN: 403,
  TOKEN_ROLE_FORBIDDEN: 403,
  TOKEN_SHOPS_FORBIDDEN: 403,
  TOKEN_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  WEBHOOK_URL_INVALID: 422,
  WEBHOOK_EVENT_TYPE_UNKNOWN: 422,
  WEBHOOK_SHOPS_EMPTY: 422,
  WEBHOOK_SHOPS_FORBIDDEN: 403,
  WEBHOOK_ENDPOINT_DISABLED: 409,
  TOKEN_SHOPS_EMPTY: 422,
  TOKEN_NAME_INVALID: 422,
  ALL_SHOPS_REQUIRED: 403,
  CSRF_TOKEN_INVALID: 403,
  SIGN_IN_FAILED: 401,
  ACCOUNT_LOCKED: 423,
  NO_SESSION: 404,
  USER_NOT_FOUND: 404,
  USER_EXISTS: 409,
  USER_ROLE_FORBIDDEN: 403,
  USER_SHOPS_FORBIDDEN: 403,
  USER_SHOPS_EMPTY: 422,
  USER_NAME_INVALID: 422,
  LOGIN_INVALID: 422,
  PASSWORD_TOO_SHORT: 422,
  PASSWORD_INCORRECT: 422,
  OWN_ACCOUNT_PROTECTED: 422,
  NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  CASE_NOT_FOUND: 404,
  REFUND_NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  VERSION_CONFLICT: 409,
  ORDER_LOCKED: 409,
  ORDER_CURRENCY_CHANGED: 409,
  CONFLICT: 409,
  NOTHING_TO_SEND: 409,
  SHOP_NOT_FOUND: 422,
  QUANTITY_EXCEEDS_RETURNABLE: 422,
  QUANTITY_EXCEEDS_REFUNDABLE: 422,
  REFUND_ABOVE_CAP: 422,
  SHIPPING_EXCEEDS_REFUNDABLE: 422,
  REFUND_EXCEEDS_PAYMENT: 422,
  DEDUCTIONS_EXCEED_REFUND: 422,
  GUARD_FAILED: 422,
  NOT_SHIPPED: 422,
  RECEIPT_EXCEEDS_CASE: 422,
  RULE_VERSION_NOT_FOUND: 404,
  RULE_VERSION_NOT_DRAFT: 409,
  RULES_INVALID: 422,
  RULES_SECOND_PERSON_REQUIRED: 409,
  BACKTEST_ABORTED: 409,
  RISK_THRESHOLDS_INVALID: 422,
  QUALITY_THRESHOLDS_INVALID: 422,
  ALERT_NOT_FOUND: 404,
  ALERT_ALREADY_ACKNOWLEDGED: 409,
  SECOND_APPROVER_REQUIRED: 409,
  USER_REQUIRED: 422,
  ALREADY_OWNER: 409,
  CASE_OWNED: 409,
  NO_OWNER: 409,
  NOT_YOUR_CASE: 403,
  ASSIGNEE_INVALID: 422,
  CASE_CLOSED: 409,
  INVALID_FILTER: 400,
  VIEW_NOT_FOUND: 404,
  VIEW_NAME_REQUIRED: 422,
  VIEW_BUILT_IN: 409,
  BATCH_TARGET_INVALID: 400,
  BATCH_COUNT_CHANGED: 409,
  BATCH_TOO_LARGE: 422,
  NOTHING_TO_OVERRIDE: 409,
  OVERRIDE_SAME_DECISION: 409,
  TRACKING_NOT_FOUND: 404,
  CREDENTIAL_FIELDS_MISSING: 422,
  INVALID_RETURN_ADDRESS: 422,
  PLATFORM_NOT_CONNECTED: 409,
  PLATFORM_REF_INVALID: 422,
  PAYMENT_CHANNEL_NOT_CONFIGURED: 409,
  PLATFORM_NOT_SUPPORTED: 422,
  PLATFORM_NO_GATEWAY: 422,
  SECRET_KEY_MISSING: 503,
  INVALID_SIGNATURE: 401,
  NOT_AN_OFFLINE_REFUND: 409,
  REFUND_ALREADY_SETTLED: 409,
  REFUND_NOT_FAILED: 409,
  REFUND_ALREADY_REPLACED: 409,
  NOT_AN_OFFLINE_TENDER: 422,
  PARCEL_BEING_INTERCEPTED: 409,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  UNKNOWN_TRACKING_PROVIDER: 404,
  TRACKING_NOT_CONFIGURED: 409,
  REFUND_PARTLY_PAID: 409,
  RECONCILIATION_NOT_FOUND: 404,
  RECONCILIATION_ITEM_NOT_FOUND: 404,
  RECONCILIATION_ITEM_NOT_A_PROBLEM: 409,
  RECONCILIATION_ITEM_ALREADY_RESOLVED: 409,
  RECONCILIATION_ITEM_NOT_RESOLVED: 409,
  RESOLUTION_NOTE_REQUIRED: 422,
  BILL_NOT_READY: 409,
  RECONCILIATION_CHANNEL_NOT_CONFIGURED: 409,
  BILL_DATE_MISMATCH: 422,
  BILL_MALFORMED: 422,
  BILL_HASH_MISMATCH: 502,
  BILL_FETCH_FAILED: 502,
  FILE_TOO_LARGE_UNCOMPRESSED: 413,
  ARCHIVE_RATIO_TOO_HIGH: 422,
  IMPORT_NOT_FOUND: 404,
  IMPORT_FILE_TYPE_UNSUPPORTED: 415,
  IMPORT_FILE_INVALID: 422,
  IMPORT_EMPTY_FILE: 422,
  IMPORT_MAPPING_INVALID: 422,
  IMPORT_COLUMN_MISSING: 422,
  IMPORT_UNKNOWN_PRESET: 422,
  IMPORT_MAPPING_CHANGED: 409,
  IMPORT_RUNNING_ELSEWHERE: 409,
  IMPORT_NOT_RUNNING: 409,
  INSUFFICIENT_STOCK: 409,
  NEGATIVE_STOCK: 409,
  PARCEL_ALREADY_MATCHED: 409,
  PARCEL_ALREADY_RECEIVED: 409,
  RECEIPT_KEY_REUSED: 409,
  INSPECTION_KEY_REUSED: 409,
  WAREHOUSE_EXISTS: 409,
  REFUND_REFUSAL_RECOMMENDED: 409,
  WAREHOUSE_NOT_FOUND: 404,
  PARCEL_NOT_FOUND: 404,
  RECEIPT_LINE_NOT_FOUND: 404,
  INSPECTION_EXCEEDS_RECEIPT: 422,
  NOTHING_TO_PASS: 422,
  LINE_NOT_IN_CASE: 422,
  INVALID_MONTH: 400,
  INVALID_DIMENSION: 400,
  UNKNOWN_FIELD: 400,
  INVALID_TEXT: 400,
  VALUE_OUT_OF_RANGE: 400,
  INVALID_JSON: 400,
  BODY_TOO_LARGE: 413,
  URL_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  ROUTE_NOT_FOUND: 404,
};

export const statusOf = (code: string) => STATUS[code] ?? 400;

/** The language the caller reads (Accept-Language; zh-CN by default). */
export const langOf = (req: FastifyRequest): Lang => negotiateLang(req.headers["accept-language"]);

/**
 * RFC 9457 problem details with our stable `code`, in the caller's language: `detail` and `title` come
 * from the message catalogue (src/domain/messages); the English `detail` given here is the developer's
 * text, used only for a code the catalogue does not know yet.
 */
export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra?: Record<string, unknown>,
) {
  const lang = langOf(reply.request);
  const said = errorMessage(code, extra?.details as Details | undefined, lang) ?? detail;
  return problem(
    reply,
    lang,
    status,
    code,
    said,
    extra?.details ? { ...extra, details: localised(extra.details, lang) } : extra,
  );
}

/**
 * Problems listed in `details.errors` that carry their words in both languages (`text: { zh, en }`,
 * e.g. each problem of a rule set or of thresholds) say `message` in the caller's language, so a form
 * shows each at its field as the person reads.
 */
function localised(details: unknown, lang: Lang): unknown {
  const d = details as { errors?: unknown };
  if (!d || typeof d !== "object" || !Array.isArray(d.errors)) return details;
  return {
    ...d,
    errors: d.errors.map((e: unknown) => {
      const { text, ...rest } = (e ?? {}) as { text?: { zh?: unknown; en?: unknown } };
      const said = text?.[lang === "en" ? "en" : "zh"];
      return typeof said === "string" ? { ...rest, message: said } : e;
    }),
  };
}

/** A problem whose `detail` is already in `lang`. */
function problem(
  reply: FastifyReply,
  lang: Lang,
  status: number,
  code: string,
  detail: string,
  extra?: Record<string, unknown>,
) {
  const vary = reply.getHeader("vary");
  return reply
    .status(status)
    .type("application/problem+json")
    .header("content-language", lang)
    .header("vary", vary ? `${String(vary)}, Accept-Language` : "Accept-Language")
    .send({
      type: `urn:aftersales:problem:${code}`,
      title: titleOf(status, lang),
      status,
      code,
      detail,
      ...extra,
    });
}

export function errorHandler(
  error: FastifyError | AppError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof AppError) {
    return sendProblem(
      reply,
      statusOf(error.code),
      error.code,
      error.message,
      error.details ? { details: error.details } : {},
    );
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    const where = fe.validationContext ?? "body";
    // The field a person has to fix: the unknown one, else the one whose value is wrong.
    const field =
      first?.keyword === "additionalProperties"
        ? `${first.instancePath}/${String(first.params.additionalProperty)}`
        : (first?.instancePath ?? "");
    const code =
      first?.keyword === "additionalProperties"
        ? "UNKNOWN_FIELD"
        : first?.keyword === "text"
          ? "INVALID_TEXT"
          : "VALIDATION_ERROR";
    // Each refused value said in the caller's language, naming the field and what it takes.
    const lang = langOf(req);
    const errors = fieldProblems(fe.validation, where, lang);
    return problem(reply, lang, 400, code, errors.map((e) => e.message).join(lang === "en" ? "; " : "；"), {
      in: where,
      field: field.replace(/^\//, "").replace(/\//g, "."),
      errors,
    });
  }
  const known =
    error.name === "SyntaxError" && fe.statusCode === 400
      ? "INVALID_JSON"
      : (FRAMEWORK_CODES[fe.code] ?? PG_CODES[(error as { code?: string }).code ?? ""]);
  if (known) return sendProblem(reply, statusOf(known), known, fe.message);
  if (fe.statusCode && fe.statusCode < 500) {
    return sendProblem(reply, fe.statusCode, fe.code ?? "BAD_REQUEST", fe.message);
  }
  req.log.error(error);
  return sendProblem(reply, 500, "INTERNAL", "Something went wrong on our side; nothing was lost, try again");
}

/** Fastify's own refusals, under our stable codes. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BODY_TOO_LARGE",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_BAD_URL: "ROUTE_NOT_FOUND",
  FST_ERR_MAX_PARAM_LENGTH: "URL_TOO_LONG",
  FST_ERR_ASYNC_CONSTRAINT: "ROUTE_NOT_FOUND",
  // @fastify/csrf-protection: a cookie-authenticated write without its token (or a session without a secret).
  FST_CSRF_INVALID_TOKEN: "CSRF_TOKEN_INVALID",
  FST_CSRF_MISSING_SECRET: "CSRF_TOKEN_INVALID",
};

/**
 * The database's refusals of values the schemas let through (the last line of defence; validation
 * should catch them first): out-of-range numbers and text it cannot store are the caller's mistake.
 */
const PG_CODES: Record<string, string> = {
  "22003": "VALUE_OUT_OF_RANGE", // numeric_value_out_of_range
  "22021": "INVALID_TEXT", // character_not_in_repertoire
  "22P05": "INVALID_TEXT", // untranslatable_character
  "22P02": "VALIDATION_ERROR", // invalid_text_representation
  "22007": "VALIDATION_ERROR", // invalid_datetime_format
  "22008": "VALUE_OUT_OF_RANGE", // datetime_field_overflow
};

/** Errors Fastify meets before a route runs (bad URL, over-long parameter). */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  return errorHandler(error, req, reply);
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  return sendProblem(
    reply,
    404,
    "ROUTE_NOT_FOUND",
    `No such endpoint: ${req.method} ${req.url.split("?")[0]}`,
  );
}
