import type { PaymentChannel, RefundOutcome, RefundQueryResult } from "../channel.ts";

/**
 * Offline refunds (bank transfer, a wallet topped up by hand): no channel to call. Sending records
 * that finance owes the customer the money; the refund stays processing until finance records the
 * transfer's reference (flows/settle-offline-refund.ts). Asking again changes nothing.
 */
export function offlineChannel(name = "offline"): PaymentChannel {
  const pending = (key: string): RefundOutcome => ({
    status: "processing",
    channelRefundId: `offline:${key}`,
  });
  return {
    name,
    awaitsPerson: true,
    refund: async (req) => pending(req.idempotencyKey),
    query: async (key): Promise<RefundQueryResult> => pending(key),
  };
}
