import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NotifyKind, SimulatedNotify } from "../../src/channels/notify/channel.ts";
import type { EmailSimulator } from "../../src/channels/notify/email/simulator.ts";
import {
  NOTIFY_CHANNELS,
  notifyChannelsFromEnv,
  simulateNotifyChannels,
} from "../../src/channels/notify/registry.ts";
import { SMS_FIXED_LINK, type SmsSimulator } from "../../src/channels/notify/sms/simulator.ts";
import type { WechatSubscribeSimulator } from "../../src/channels/notify/wechat/simulator.ts";
import { fill, type NotifyVars } from "../../src/domain/notify/kind.ts";
import { NOTIFICATION_KINDS } from "../../src/domain/notify/kinds.ts";

/** The registry as the demo uses it: every channel on its simulator, reached through its real adapter. */

let running: Awaited<ReturnType<typeof simulateNotifyChannels>>;
let channels: Record<NotifyKind, SimulatedNotify>;
beforeAll(async () => {
  running = await simulateNotifyChannels();
  channels = running.channels;
});
afterAll(() => running.close());

/** What a case's messages say (NotifyVars), in values each channel's rules take. */
const VARS: Omit<NotifyVars, "link"> = {
  case: "AS20261208001",
  order: "TB1234567890",
  shop: "小米旗舰店",
  amount: "¥59.90",
  to: "微信支付",
  note: "外观完好",
  deadline: "2026年12月15日 18:00",
};
const OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

describe("notify registry", () => {
  it("starts all three simulators, which know every notification kind's templates", async () => {
    expect(Object.keys(channels).sort()).toEqual(["email", "sms", "wechat"]);
    const smsSim = channels.sms.simulator as SmsSimulator;
    const wechatSim = channels.wechat.simulator as WechatSubscribeSimulator;
    for (const [code, kind] of Object.entries(NOTIFICATION_KINDS)) {
      const sms = await channels.sms.adapter.send({
        id: `sms-${code}`,
        to: "13800138000",
        template: kind.sms.template,
        params: Object.fromEntries(kind.sms.params.map((v) => [v, VARS[v as keyof typeof VARS]])),
      });
      expect(sms, code).toMatchObject({ status: "sent" });
      expect(smsSim.received().at(-1)?.Content).toBe(
        `【售后服务】${fill(kind.words.zh.text, { ...VARS, link: SMS_FIXED_LINK })}`,
      );
      wechatSim.grant(OPENID, kind.wechat.template);
      const data = Object.fromEntries(
        Object.entries(kind.wechat.data).map(([key, v]) => [key, VARS[v as keyof typeof VARS]]),
      );
      const wechat = await channels.wechat.adapter.send({
        id: `wx-${code}`,
        to: OPENID,
        template: kind.wechat.template,
        params: data,
      });
      expect(wechat, code).toMatchObject({ status: "sent" });
      expect(wechatSim.received().at(-1)?.data).toEqual(data);
    }
    const mail = await channels.email.adapter.send({
      id: "demo-mail",
      to: "buyer@example.com",
      subject: "退款",
      text: "已退款",
    });
    expect(mail.status).toBe("sent");
    expect((channels.email.simulator as EmailSimulator).received()[0]?.messageId).toMatch(/^<demo-mail@/);
    const kinds = Object.keys(NOTIFICATION_KINDS).length;
    for (const [kind, count] of [
      ["sms", kinds],
      ["wechat", kinds],
      ["email", 1],
    ] as const) {
      const res = await fetch(`${channels[kind].url}/_sim/messages`);
      expect(((await res.json()) as unknown[]).length).toBe(count);
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
