// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Aliyun SMS templates write their variables as ${name}.
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { NotificationKind } from "../../../domain/notify/kind.ts";
import { NOTIFICATION_KINDS } from "../../../domain/notify/kinds.ts";
import type { SimulatedNotify } from "../channel.ts";
import { type Reply, startSimServer } from "../sim-http.ts";
import { aliyunSmsChannel } from "./adapter.ts";
import { rpcSignature, SMS_API_VERSION } from "./protocol.ts";

/**
 * A local Aliyun SMS that answers SendSms the way Dysmsapi does: it checks the HMAC-SHA1 signature with
 * the configured key, the common parameters, the number, the sign name, the template and its variables,
 * applies Aliyun's default per-number flow control (per number + sign + template: 1 a minute, 5 an hour,
 * 10 a day), and keeps every accepted SMS with its OutId and its text as the phone would show it.
 */

export interface SmsSimulatorOptions {
  port?: number;
  host?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  /** Approved 短信签名. Default ["售后服务"]. */
  signNames?: string[];
  /** Approved templates: TemplateCode → content with ${name} variables. Default SMS_TEMPLATES (the kinds'). */
  templates?: Record<string, string>;
  /** Flow control per number + sign + template. Default Aliyun's: 1/minute, 5/hour, 10/day. */
  limits?: { perMinute: number; perHour: number; perDay: number };
  now?: () => Date;
}

/** Where the portal link stands in SMS templates: the SMS sends no link parameter, so it is fixed text. */
export const SMS_FIXED_LINK = "https://m.shop.example/after-sales";

/**
 * The templates a merchant registers with Aliyun: one per notification kind, its Chinese text with the
 * kind's SMS variables as ${name}.
 */
export const SMS_TEMPLATES: Record<string, string> = Object.fromEntries(
  Object.values(NOTIFICATION_KINDS).map((k: NotificationKind) => [
    k.sms.template,
    k.words.zh.text.replace(/\{(\w+)\}/g, (_, v: string) =>
      (k.sms.params as readonly string[]).includes(v) ? `\${${v}}` : v === "link" ? SMS_FIXED_LINK : "",
    ),
  ]),
);

/** One accepted SMS, as Aliyun's 发送记录 (QuerySendDetails) would show it. */
export interface SimSms {
  BizId: string;
  RequestId: string;
  PhoneNumber: string;
  SignName: string;
  TemplateCode: string;
  TemplateParam: Record<string, string>;
  OutId: string | null;
  /** The text the phone shows: 【签名】 plus the rendered template. */
  Content: string;
  SendDate: string;
}

export type SmsFault = "timeout" | "500" | { code: string; message?: string };

export interface SmsSimulator {
  url: string;
  config: { accessKeyId: string; accessKeySecret: string; signName: string; endpoint: string };
  received(): SimSms[];
  /** The next `times` SendSms requests fail this way (and send nothing). */
  fail(fault: SmsFault, times?: number): void;
  close(): Promise<void>;
}

const COMMON = { Action: "SendSms", Format: "JSON", SignatureMethod: "HMAC-SHA1", SignatureVersion: "1.0" };
const CN_MOBILE = /^(?:86)?1[3-9]\d{9}$/;
const INTERNATIONAL = /^[2-9]\d{7,14}$/; // country code + number, for codes other than 86 and 1
const MAX_SKEW_MS = 15 * 60_000;

export async function startSmsSimulator(opts: SmsSimulatorOptions = {}): Promise<SmsSimulator> {
  const accessKeyId = opts.accessKeyId ?? `LTAI${randomBytes(10).toString("hex")}`;
  const accessKeySecret = opts.accessKeySecret ?? randomBytes(15).toString("base64url");
  const signNames = opts.signNames ?? ["售后服务"];
  const templates = opts.templates ?? SMS_TEMPLATES;
  const limits = opts.limits ?? { perMinute: 1, perHour: 5, perDay: 10 };
  const now = opts.now ?? (() => new Date());
  const messages: SimSms[] = [];
  const sentAt = new Map<string, number[]>(); // number|sign|template → accepted times (ms)
  const nonces = new Set<string>();
  const faults: SmsFault[] = [];

  const answer = (status: number, Code: string, Message: string, extra: object = {}): Reply => ({
    status,
    body: { RequestId: randomUUID().toUpperCase(), Code, Message, ...extra },
  });

  const sendSms = (method: string, p: Record<string, string>): Reply | "hang" => {
    for (const [k, v] of Object.entries({ ...COMMON, Version: SMS_API_VERSION })) {
      if (p[k] !== v) return answer(400, `InvalidParameter`, `${k} must be ${v}`);
    }
    if (p.AccessKeyId !== accessKeyId) {
      return answer(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    }
    const expected = Buffer.from(rpcSignature(method, p, accessKeySecret));
    const given = Buffer.from(p.Signature ?? "");
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return answer(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
    }
    const at = Date.parse(p.Timestamp ?? "");
    if (!Number.isFinite(at) || Math.abs(at - now().getTime()) > MAX_SKEW_MS) {
      return answer(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
    }
    if (!p.SignatureNonce || nonces.has(p.SignatureNonce)) {
      return answer(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
    }
    nonces.add(p.SignatureNonce);

    const fault = faults.shift();
    if (fault === "timeout") return "hang";
    if (fault === "500")
      return answer(500, "InternalError", "The request processing has failed due to some unknown error.");
    if (fault) return answer(200, fault.code, fault.message ?? `simulated ${fault.code}`);

    const phones = (p.PhoneNumbers ?? "").split(",");
    if (!phones.every((n) => CN_MOBILE.test(n) || INTERNATIONAL.test(n))) {
      return answer(200, "isv.MOBILE_NUMBER_ILLEGAL", `非法手机号: ${p.PhoneNumbers ?? ""}`);
    }
    if (!signNames.includes(p.SignName ?? "")) {
      return answer(200, "isv.SMS_SIGNATURE_ILLEGAL", `该账号下找不到对应签名: ${p.SignName ?? ""}`);
    }
    const content = templates[p.TemplateCode ?? ""];
    if (content === undefined) return answer(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板");
    let values: Record<string, string>;
    try {
      values = p.TemplateParam ? (JSON.parse(p.TemplateParam) as Record<string, string>) : {};
      if (typeof values !== "object" || values === null || Array.isArray(values)) throw new Error();
    } catch {
      return answer(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值");
    }
    const wanted = [...content.matchAll(/\$\{(\w+)\}/g)].map((x) => x[1] as string);
    const missing = wanted.filter((v) => typeof values[v] !== "string" || values[v] === "");
    if (missing.length) {
      return answer(200, "isv.TEMPLATE_MISSING_PARAMETERS", `模版缺少变量: ${missing.join(",")}`);
    }
    if ((p.OutId ?? "").length > 256) return answer(200, "isv.PARAM_LENGTH_LIMIT", "OutId 超出长度限制");

    const t = now().getTime();
    const day = Math.floor((t + 8 * 3_600_000) / 86_400_000); // the Beijing calendar day
    for (const phone of phones) {
      const times = sentAt.get(`${phone}|${p.SignName}|${p.TemplateCode}`) ?? [];
      const within = (ms: number) => times.filter((x) => t - x < ms).length;
      const today = times.filter((x) => Math.floor((x + 8 * 3_600_000) / 86_400_000) === day).length;
      if (within(60_000) >= limits.perMinute)
        return answer(200, "isv.BUSINESS_LIMIT_CONTROL", `触发分钟级流控Permits:${limits.perMinute}`);
      if (within(3_600_000) >= limits.perHour)
        return answer(200, "isv.BUSINESS_LIMIT_CONTROL", `触发小时级流控Permits:${limits.perHour}`);
      if (today >= limits.perDay)
        return answer(200, "isv.BUSINESS_LIMIT_CONTROL", `触发天级流控Permits:${limits.perDay}`);
    }
    const reply = answer(200, "OK", "OK", { BizId: `${Date.now()}${randomBytes(4).readUInt32BE()}^0` });
    const { RequestId, BizId } = reply.body as { RequestId: string; BizId: string };
    const text = `【${p.SignName}】${content.replace(/\$\{(\w+)\}/g, (_, v: string) => values[v] ?? "")}`;
    for (const phone of phones) {
      const key = `${phone}|${p.SignName}|${p.TemplateCode}`;
      sentAt.set(key, [...(sentAt.get(key) ?? []).filter((x) => t - x < 86_400_000 * 2), t]);
      messages.push({
        BizId,
        RequestId,
        PhoneNumber: phone,
        SignName: p.SignName as string,
        TemplateCode: p.TemplateCode as string,
        TemplateParam: values,
        OutId: p.OutId ?? null,
        Content: text,
        SendDate: now().toISOString(),
      });
    }
    return reply;
  };

  const server = await startSimServer(
    opts,
    {
      title: "短信 SMS (Aliyun simulator)",
      messages: () => messages,
      columns: {
        time: (m: SimSms) => m.SendDate,
        to: (m: SimSms) => m.PhoneNumber,
        text: (m: SimSms) => m.Content,
        template: (m: SimSms) => m.TemplateCode,
        OutId: (m: SimSms) => m.OutId,
      },
    },
    (req, body, url) => {
      // RPC calls come as GET with a query or POST with a form body; the signature covers both alike.
      const form = req.method === "POST" ? new URLSearchParams(body) : url.searchParams;
      const p = Object.fromEntries(form);
      if (url.pathname !== "/" || p.Action !== "SendSms") {
        return answer(
          404,
          "InvalidAction.NotFound",
          "Specified api is not found, please check your url and method.",
        );
      }
      return sendSms(req.method ?? "GET", p);
    },
  );

  return {
    url: server.url,
    config: { accessKeyId, accessKeySecret, signName: signNames[0] as string, endpoint: server.url },
    received: () => structuredClone(messages),
    fail(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    close: () => server.close(),
  };
}

/** Aliyun SMS on its simulator, sent through the real adapter. */
export async function simulateSms(o: { port?: number; host?: string } = {}): Promise<SimulatedNotify> {
  const sim = await startSmsSimulator(o);
  return {
    simulator: sim,
    url: sim.url,
    adapter: aliyunSmsChannel({ ...sim.config, cost: { amount: 5, currency: "CNY" } }),
    close: () => sim.close(),
  };
}
