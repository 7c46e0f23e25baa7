import { AppError } from "../../domain/errors.ts";
import type { PaymentChannel } from "./channel.ts";

/** Tender/channel name ("wechat_pay", "alipay", "platform", "card", ...) → the adapter that refunds it. */
export interface PaymentRegistry {
  get(name: string): PaymentChannel;
  has(name: string): boolean;
  names(): string[];
}

export function createPaymentRegistry(
  entries: Record<string, PaymentChannel>,
  fallback?: PaymentChannel,
): PaymentRegistry {
  const channels = new Map(Object.entries(entries));
  return {
    get(name) {
      const channel = channels.get(name) ?? fallback;
      if (!channel) {
        const known = [...channels.keys()].join(", ") || "none";
        throw new AppError(
          "PAYMENT_CHANNEL_NOT_CONFIGURED",
          `PAYMENT_CHANNEL_NOT_CONFIGURED: no payment channel for "${name}" (configured: ${known})`,
          { name },
        );
      }
      return channel;
    },
    has: (name) => channels.has(name),
    names: () => [...channels.keys()],
  };
}
