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
