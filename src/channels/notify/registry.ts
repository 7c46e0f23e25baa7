import type { NotifyChannel, NotifyEntry, NotifyKind, SimulatedNotify } from "./channel.ts";
import { smtpEmailChannel } from "./email/adapter.ts";
import { simulateEmail } from "./email/simulator.ts";
import { aliyunSmsChannel } from "./sms/adapter.ts";
import { simulateSms } from "./sms/simulator.ts";
import { wechatSubscribeChannel } from "./wechat/adapter.ts";
import { simulateWechatSubscribe } from "./wechat/simulator.ts";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Notify kind → its channel (a folder under notify/): one line each — the label, how to run it on its
 * simulator, and how to reach the real provider from the environment (null when it is not configured).
 */
export const NOTIFY_CHANNELS: Record<NotifyKind, NotifyEntry> = {
  sms: { label: "Aliyun SMS", simulate: simulateSms, fromEnv: smsFromEnv },
  email: { label: "Email (SMTP)", simulate: simulateEmail, fromEnv: emailFromEnv },
  wechat: { label: "WeChat subscribe messages", simulate: simulateWechatSubscribe, fromEnv: wechatFromEnv },
};

/** Every notify channel on its simulator (the demo): the adapters to send through and one close(). */
export async function simulateNotifyChannels(
  o: { host?: string } = {},
): Promise<{ channels: Record<NotifyKind, SimulatedNotify>; close(): Promise<void> }> {
  const started: [NotifyKind, SimulatedNotify][] = [];
  try {
    for (const [kind, entry] of Object.entries(NOTIFY_CHANNELS) as [NotifyKind, NotifyEntry][]) {
      started.push([kind, await entry.simulate(o)]);
    }
  } catch (e) {
    await Promise.all(started.map(([, s]) => s.close()));
    throw e;
  }
  return {
    channels: Object.fromEntries(started) as Record<NotifyKind, SimulatedNotify>,
    close: async () => {
      await Promise.all(started.map(([, s]) => s.close()));
    },
  };
}

/** The channels configured for real providers in `env`. */
export function notifyChannelsFromEnv(env: Env): Partial<Record<NotifyKind, NotifyChannel>> {
  const out: Partial<Record<NotifyKind, NotifyChannel>> = {};
  for (const [kind, entry] of Object.entries(NOTIFY_CHANNELS) as [NotifyKind, NotifyEntry][]) {
    const channel = entry.fromEnv(env);
    if (channel) out[kind] = channel;
  }
  return out;
}

function smsFromEnv(env: Env): NotifyChannel | null {
  const {
    ALIYUN_SMS_ACCESS_KEY_ID: id,
    ALIYUN_SMS_ACCESS_KEY_SECRET: secret,
    ALIYUN_SMS_SIGN_NAME: sign,
  } = env;
  if (!id || !secret || !sign) return null;
  const cost = env.ALIYUN_SMS_COST_FEN ? Number(env.ALIYUN_SMS_COST_FEN) : undefined;
  return aliyunSmsChannel({
    accessKeyId: id,
    accessKeySecret: secret,
    signName: sign,
    ...(env.ALIYUN_SMS_ENDPOINT ? { endpoint: env.ALIYUN_SMS_ENDPOINT } : {}),
    ...(cost !== undefined && Number.isSafeInteger(cost) ? { cost: { amount: cost, currency: "CNY" } } : {}),
  });
}

function emailFromEnv(env: Env): NotifyChannel | null {
  if (!env.SMTP_HOST || !env.SMTP_FROM) return null;
  const secure = env.SMTP_SECURE === "true" || env.SMTP_SECURE === "1";
  return smtpEmailChannel({
    host: env.SMTP_HOST,
    port: env.SMTP_PORT ? Number(env.SMTP_PORT) : secure ? 465 : 587,
    secure,
    from: env.SMTP_FROM,
    ...(env.SMTP_USER ? { user: env.SMTP_USER, pass: env.SMTP_PASS ?? "" } : {}),
  });
}

function wechatFromEnv(env: Env): NotifyChannel | null {
  if (!env.WECHAT_MP_APPID || !env.WECHAT_MP_SECRET) return null;
  const state = env.WECHAT_MP_STATE;
  return wechatSubscribeChannel({
    appId: env.WECHAT_MP_APPID,
    appSecret: env.WECHAT_MP_SECRET,
    ...(env.WECHAT_API_BASE ? { baseUrl: env.WECHAT_API_BASE } : {}),
    ...(state === "trial" || state === "developer" || state === "formal" ? { miniprogramState: state } : {}),
  });
}
