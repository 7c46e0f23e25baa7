import { Type } from "@fastify/type-provider-typebox";
import { REASON_CODES } from "../../domain/catalogue.ts";

/** Schemas shared by several route modules. */
export const Items = Type.Array(Type.Object({ lineId: Type.Integer(), quantity: Type.Integer() }), {
  minItems: 1,
});
export const Amount = Type.String({
  maxLength: 32,
  description: 'Decimal amount in the order currency, as a string, e.g. "19.90" (JSON numbers are refused)',
});
/**
 * One of a list of strings, as a single JSON-schema `enum` (not a union of constants), so a wrong
 * value gets one error that lists the allowed ones — and the OpenAPI document lists them too.
 */
export const Enum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });
export const Reason = Enum(REASON_CODES);

/** Amounts kept back from a refund (restocking fee, return shipping), each with its reason. */
export const Deductions = Type.Array(
  Type.Object({
    kind: Enum(["restocking_fee", "return_shipping", "other"]),
    amount: Amount,
    note: Type.Optional(Type.String()),
  }),
);

/**
 * Which cases (the queue's filters): the query string of GET /queue and /board, a saved view's filters,
 * a batch's filter — one shape, so a view's filters go back to the queue as they are.
 */
export const QueueFilterFields = {
  status: Type.Optional(
    Type.String({
      maxLength: 400,
      description: "States, comma-separated (default: every open state); all: every state, closed ones too",
    }),
  ),
  type: Type.Optional(Type.String({ maxLength: 200, description: "Case types, comma-separated" })),
  shop: Type.Optional(Type.String({ maxLength: 2000, description: "Shops, comma-separated" })),
  reason: Type.Optional(Type.String({ maxLength: 400, description: "Reasons, comma-separated" })),
  channel: Type.Optional(
    Type.String({
      maxLength: 200,
      description: "Channels (tmall, jd, …), comma-separated: their shops' cases",
    }),
  ),
  createdFrom: Type.Optional(
    Type.String({
      pattern: "^\\d{4}-\\d{2}-\\d{2}$",
      description: "Opened on or after this day, YYYY-MM-DD, in the merchant's time zone",
    }),
  ),
  createdTo: Type.Optional(
    Type.String({
      pattern: "^\\d{4}-\\d{2}-\\d{2}$",
      description: "Opened on or before this day (inclusive), YYYY-MM-DD, in the merchant's time zone",
    }),
  ),
  source: Type.Optional(Type.String({ maxLength: 200, description: "Sources, comma-separated" })),
  owner: Type.Optional(
    Type.String({ pattern: "^(me|none|[0-9]{1,15})$", description: "me, none, or a user id" }),
  ),
  minRisk: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: "Risk score at least" })),
  due: Type.Optional(
    Enum(["overdue", "soon"], {
      description: "overdue: past the SLA; soon: due within 4 hours, overdue included",
    }),
  ),
  secondApproval: Type.Optional(Type.Boolean({ description: "true: awaiting a second approval" })),
  q: Type.Optional(
    Type.String({
      maxLength: 100,
      description:
        "Search: order number, platform case id or tracking number (from their start), customer name (from its start), phone (its last 4 digits)",
    }),
  ),
};
