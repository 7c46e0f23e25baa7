import { Type } from "@fastify/type-provider-typebox";
import { REASON_CODES } from "../../domain/catalogue.ts";

/** Schemas shared by several route modules. */
export const Items = Type.Array(Type.Object({ lineId: Type.Integer(), quantity: Type.Integer() }), {
  minItems: 1,
});
export const Reason = Type.Union(REASON_CODES.map((r) => Type.Literal(r)));
export const Amount = Type.String({ description: 'Decimal amount in the order currency, e.g. "19.90"' });
export const Enum = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** Amounts kept back from a refund (restocking fee, return shipping), each with its reason. */
export const Deductions = Type.Array(
  Type.Object({
    kind: Enum(["restocking_fee", "return_shipping", "other"]),
    amount: Amount,
    note: Type.Optional(Type.String()),
  }),
);
