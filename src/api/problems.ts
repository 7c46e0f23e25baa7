import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../domain/errors.ts";

/** Every expected failure's HTTP status, by its stable code. Unlisted codes are plain bad requests. */
const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SHOP_FORBIDDEN: 403,
  NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  ALL_SHOPS_REQUIRED: 403,
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
  REFUND_EXCEEDS_PAYMENT: 422,
  DEDUCTIONS_EXCEED_REFUND: 422,
  GUARD_FAILED: 422,
  NOT_SHIPPED: 422,
  RECEIPT_EXCEEDS_CASE: 422,
  RULE_VERSION_NOT_FOUND: 404,
  RULE_VERSION_NOT_DRAFT: 409,
  RULES_INVALID: 422,
  RISK_THRESHOLDS_INVALID: 422,
  QUALITY_THRESHOLDS_INVALID: 422,
  ALERT_NOT_FOUND: 404,
  ALERT_ALREADY_ACKNOWLEDGED: 409,
  SECOND_APPROVER_REQUIRED: 409,
  NOTHING_TO_OVERRIDE: 409,
  OVERRIDE_SAME_DECISION: 409,
  TRACKING_NOT_FOUND: 404,
  CREDENTIAL_FIELDS_MISSING: 422,
  INVALID_RETURN_ADDRESS: 422,
  PLATFORM_NOT_CONNECTED: 409,
  PLATFORM_NOT_SUPPORTED: 422,
  PLATFORM_NO_GATEWAY: 422,
  SECRET_KEY_MISSING: 503,
  INVALID_SIGNATURE: 401,
  NOT_AN_OFFLINE_REFUND: 409,
  REFUND_ALREADY_SETTLED: 409,
  PARCEL_BEING_INTERCEPTED: 409,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  UNKNOWN_TRACKING_PROVIDER: 404,
  TRACKING_NOT_CONFIGURED: 409,
  REFUND_PARTLY_PAID: 409,
  RECONCILIATION_NOT_FOUND: 404,
  BILL_NOT_READY: 409,
  RECONCILIATION_CHANNEL_NOT_CONFIGURED: 409,
  BILL_DATE_MISMATCH: 422,
  BILL_MALFORMED: 422,
  BILL_HASH_MISMATCH: 502,
  BILL_FETCH_FAILED: 502,
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
};

export const statusOf = (code: string) => STATUS[code] ?? 400;

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthenticated",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  422: "Unprocessable",
  500: "Internal error",
};

/** RFC 9457 problem details with our stable `code`. */
export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra?: Record<string, unknown>,
) {
  return reply
    .status(status)
    .type("application/problem+json")
    .send({
      type: `urn:aftersales:problem:${code}`,
      title: TITLES[status] ?? "Error",
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
    return sendProblem(reply, 400, "VALIDATION_ERROR", fe.message, {
      errors: fe.validation.map((v) => ({ path: v.instancePath, message: v.message })),
    });
  }
  if (fe.statusCode && fe.statusCode < 500) {
    return sendProblem(reply, fe.statusCode, fe.code ?? "BAD_REQUEST", fe.message);
  }
  req.log.error(error);
  return sendProblem(reply, 500, "INTERNAL", "Something went wrong on our side; nothing was lost, try again");
}
