import { AppError } from "../../domain/errors.ts";
import { readAlipayBill } from "./alipay/bill.ts";
import { simulateAlipay } from "./alipay/simulator.ts";
import type { PaymentChannel, PaymentEntry } from "./channel.ts";
import { readWechatPayBill } from "./wechat-pay/protocol.ts";
import { simulateWechatPay } from "./wechat-pay/simulator.ts";

/**
 * Tender → its payment channel (a folder under payments/): one line per channel with an outside protocol.
 * `aftersales start` runs each on its simulator and refunds through its adapter, `aftersales simulate`
 * starts it, reconciliation reads its bills. The platform tender, the sandbox and the offline tenders
 * (no outside protocol) are wired in cli/service.ts.
 */
export const PAYMENT_CHANNELS: Record<string, PaymentEntry> = {
  wechat_pay: { label: "WeChat Pay v3", simulate: simulateWechatPay, readBill: readWechatPayBill },
  alipay: { label: "Alipay", simulate: simulateAlipay, readBill: readAlipayBill },
};

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
