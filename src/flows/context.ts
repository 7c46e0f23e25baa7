import type { LogisticsChannels } from "../channels/logistics/logistics.ts";
import type { NotifyChannel, NotifyKind } from "../channels/notify/channel.ts";
import type { PaymentChannel, PaymentTaken } from "../channels/payments/channel.ts";
import type { PlatformLookup } from "../channels/platforms/platform.ts";
import type { ShippingPolicy } from "../domain/refund-quote.ts";
import type { Database } from "../store/db.ts";
import type { Keyring } from "../store/secrets.ts";

/** What every flow runs with: the database, a clock (flows never read the wall clock) and channels. */
export interface FlowContext {
  db: Database;
  now: () => Date;
  payments: { get(name: string): PaymentChannel; has(name: string): boolean };
  settings: FlowSettings;
  /** The installation's secret key(s), which seal shop credentials; absent: none can be stored or read. */
  secrets?: Keyring;
  /** Platform adapters by channel; absent: the registry (channels/platforms/registry.ts). */
  platforms?: PlatformLookup;
  /** The channels customers are messaged on (通知); absent or missing one: those messages are not sent. */
  notify?: Partial<Record<NotifyKind, NotifyChannel>>;
  /** Parcel tracking and interception; absent where no logistics integration is set up (nothing is intercepted). */
  logistics?: LogisticsChannels;
  /**
   * Told of each payment on an order once its ingest commits. The runtime's own payment simulators learn
   * of trades this way (Alipay refunds only trades it took), as the real channels know every payment.
   */
  paymentTaken?: (p: PaymentTaken) => void;
  /**
   * Try, do not do: every case step runs to its end and is then rolled back (case-step.ts throws
   * DryRun instead of committing). How the API knows which actions would succeed now.
   */
  dryRun?: boolean;
}

/** A payment an order was paid with, as a payment channel knows it. */
export type { PaymentTaken };

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
  /** The API token a person acted with (kept in the audit log). */
  tokenId?: number;
}
export const actorName = (a: Actor) => `${a.kind}:${a.id}`;
