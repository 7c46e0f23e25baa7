import type { PaymentChannel } from "../channels/payments/channel.ts";
import type { ShippingPolicy } from "../domain/refund-quote.ts";
import type { Database } from "../store/db.ts";

/** What every flow runs with: the database, a clock (flows never read the wall clock) and channels. */
export interface FlowContext {
  db: Database;
  now: () => Date;
  payments: { get(name: string): PaymentChannel; has(name: string): boolean };
  settings: FlowSettings;
}

export interface FlowSettings {
  shippingPolicy: ShippingPolicy;
  /** How long a granted refund waits for its inline send before the outbox sends it instead. */
  refundSendGraceMs: number;
}

export const DEFAULT_SETTINGS: FlowSettings = {
  shippingPolicy: "seller_fault_full_return",
  refundSendGraceMs: 15_000,
};

/** Who did it: a person (by token name), a rule, the system, or a channel. Stored as "kind:id". */
export interface Actor {
  kind: "user" | "rule" | "system" | "channel";
  id: string;
}
export const actorName = (a: Actor) => `${a.kind}:${a.id}`;
