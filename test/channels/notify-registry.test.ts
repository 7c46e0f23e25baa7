import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NotifyKind, SimulatedNotify } from "../../src/channels/notify/channel.ts";
import type { EmailSimulator } from "../../src/channels/notify/email/simulator.ts";
import {
  NOTIFY_CHANNELS,
  notifyChannelsFromEnv,
  simulateNotifyChannels,
} from "../../src/channels/notify/registry.ts";
import type { SmsSimulator } from "../../src/channels/notify/sms/simulator.ts";
import type { WechatSubscribeSimulator } from "../../src/channels/notify/wechat/simulator.ts";

/** The registry as the demo uses it: every channel on its simulator, reached through its real adapter. */

let running: Awaited<ReturnType<typeof simulateNotifyChannels>>;
let channels: Record<NotifyKind, SimulatedNotify>;
beforeAll(async () => {
  running = await simulateNotifyChannels();
  channels = running.channels;
});
afterAll(() => running.close());

describe("notify registry", () => {
  it("starts all three simulators; each adapter delivers to its own, readable at /_sim/messages", async () => {
    expect(Object.keys(channels).sort()).toEqual(["email", "sms", "wechat"]);
    const openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    (channels.wechat.simulator as WechatSubscribeSimulator).grant(openid, "TPL_REFUND_DONE");
    const outcomes = await Promise.all([
      channels.sms.adapter.send({
        id: "demo-sms",
        to: "13800138000",
        template: "SMS_REFUND_SENT",
        params: { caseNo: "AS1", amount: "59.90" },
      }),
      channels.email.adapter.send({
        id: "demo-mail",
        to: "buyer@example.com",
        subject: "退款",
        text: "已退款",
      }),
      channels.wechat.adapter.send({
        id: "demo-wx",
        to: openid,
        template: "TPL_REFUND_DONE",
        params: { character_string1: "AS1", amount2: "¥59.90", time3: "2026年12月8日 10:00" },
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["sent", "sent", "sent"]);
    expect((channels.sms.simulator as SmsSimulator).received()[0]?.Content).toBe(
      "【售后服务】您的售后单AS1已退款59.90元，将原路退回。",
    );
    expect((channels.email.simulator as EmailSimulator).received()[0]?.messageId).toMatch(/^<demo-mail@/);
    expect((channels.wechat.simulator as WechatSubscribeSimulator).received()[0]?.data.amount2).toBe(
      "¥59.90",
    );
    for (const kind of ["sms", "email", "wechat"] as const) {
      const res = await fetch(`${channels[kind].url}/_sim/messages`);
      expect(((await res.json()) as unknown[]).length).toBe(1);
      expect(channels[kind].adapter.kind).toBe(kind);
    }
    expect(channels.sms.adapter.cost).toEqual({ amount: 5, currency: "CNY" });
  });

  it("builds real-provider adapters only for the channels the environment configures", () => {
    expect(notifyChannelsFromEnv({})).toEqual({});
    const configured = notifyChannelsFromEnv({
      ALIYUN_SMS_ACCESS_KEY_ID: "LTAIexample",
      ALIYUN_SMS_ACCESS_KEY_SECRET: "secret",
      ALIYUN_SMS_SIGN_NAME: "售后服务",
      SMTP_HOST: "smtp.example.com",
      SMTP_FROM: "service@shop.example",
    });
    expect(Object.keys(configured).sort()).toEqual(["email", "sms"]);
    expect(Object.values(NOTIFY_CHANNELS).every((e) => e.label.length > 0)).toBe(true);
  });
});
