import { describe, expect, it } from "vitest";
import type { PaymentChannel } from "../../src/channels/payments/channel.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";

const fake = (name: string): PaymentChannel => ({
  name,
  refund: async () => ({ status: "succeeded", channelRefundId: `${name}-1` }),
  query: async () => ({ status: "not_found" }),
});

describe("payment channel registry", () => {
  it("finds the channel for a tender, falls back when configured, and names what is missing otherwise", () => {
    const wechat = fake("wechat_pay");
    const registry = createPaymentRegistry({ wechat_pay: wechat });
    expect(registry.get("wechat_pay")).toBe(wechat);
    expect(registry.names()).toEqual(["wechat_pay"]);
    expect(() => registry.get("alipay")).toThrow(
      expect.objectContaining({
        code: "PAYMENT_CHANNEL_NOT_CONFIGURED",
        message: expect.stringMatching(/alipay/),
      }),
    );

    const sandbox = fake("sandbox");
    const withFallback = createPaymentRegistry({ wechat_pay: wechat }, sandbox);
    expect(withFallback.get("card")).toBe(sandbox);
    expect(withFallback.has("card")).toBe(false);
  });
});
