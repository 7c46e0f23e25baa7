import { randomUUID } from "node:crypto";
import {
  type NotifyChannel,
  type NotifyMessage,
  type NotifyOutcome,
  NotifyUnavailableError,
  nextShanghaiMidnight,
} from "../channel.ts";
import { fetchJson } from "../http.ts";
import { rpcSignature, rpcTimestamp, SMS_API_VERSION } from "./protocol.ts";

/**
 * Aliyun SMS (阿里云短信服务) SendSms, Dysmsapi 2017-05-25, RPC style over POST with the parameters in a
 * form body. SendSms is not idempotent on Aliyun's side: a repeat sends a second SMS. So this adapter
 * never retries on its own; de-duplication is the outbox's (it keeps our message id, which travels as
 * OutId and comes back in Aliyun's receipts), and an unknown outcome is thrown for it to decide.
 */

export interface AliyunSmsOptions {
  accessKeyId: string;
  accessKeySecret: string;
  /** The approved 短信签名. */
  signName: string;
  /** Default https://dysmsapi.aliyuncs.com. */
  endpoint?: string;
  /** Default cn-hangzhou. */
  regionId?: string;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** What one SMS costs, in minor units. */
  cost?: { amount: number; currency: string };
  now?: () => Date;
}

type Verdict = "refused" | "config" | "later" | "unavailable";

/** Aliyun Code → what it means for this message, as data. Unlisted isp.* codes are Aliyun-side trouble. */
const CODES: Record<string, Verdict> = {
  "isv.BUSINESS_LIMIT_CONTROL": "later",
  "isv.DAY_LIMIT_CONTROL": "later",
  "isv.MOBILE_NUMBER_ILLEGAL": "refused",
  "isv.MOBILE_COUNT_OVER_LIMIT": "refused",
  "isv.SMS_CONTENT_ILLEGAL": "refused",
  "isv.TEMPLATE_MISSING_PARAMETERS": "refused",
  "isv.TEMPLATE_PARAMS_ILLEGAL": "refused",
  "isv.INVALID_JSON_PARAM": "refused",
  "isv.PARAM_LENGTH_LIMIT": "refused",
  "isv.BLACK_KEY_CONTROL_LIMIT": "refused",
  "isv.SMS_TEMPLATE_ILLEGAL": "refused",
  "isv.SMS_SIGNATURE_ILLEGAL": "refused",
  "isv.OUT_OF_SERVICE": "config",
  "isv.AMOUNT_NOT_ENOUGH": "config",
  "isv.ACCOUNT_ABNORMAL": "config",
  SignatureDoesNotMatch: "config",
  "InvalidAccessKeyId.NotFound": "config",
  InvalidAccessKeyId: "config",
  "InvalidTimeStamp.Expired": "unavailable",
  SignatureNonceUsed: "unavailable",
  Throttling: "unavailable",
  ServiceUnavailable: "unavailable",
};

/** The message says which window tripped: 分钟级 / 小时级 / 天级 (Aliyun's wording). */
function retryAt(code: string, message: string, now: Date): Date {
  if (code === "isv.DAY_LIMIT_CONTROL" || /天级|day/i.test(message)) return nextShanghaiMidnight(now);
  if (/分钟|minute/i.test(message)) return new Date(now.getTime() + 60_000);
  return new Date(now.getTime() + 3_600_000); // hour-level, or unsaid: an hour is never too early
}

/** Aliyun wants mainland numbers as 11 digits and others as country code + number, no "+" or "00". */
export const aliyunPhone = (to: string) => to.replace(/^(\+|00)/, "");

export function aliyunSmsChannel(o: AliyunSmsOptions): NotifyChannel {
  const endpoint = (o.endpoint ?? "https://dysmsapi.aliyuncs.com").replace(/\/$/, "");
  const now = o.now ?? (() => new Date());
  return {
    kind: "sms",
    ...(o.cost ? { cost: o.cost } : {}),
    async send(m: NotifyMessage): Promise<NotifyOutcome> {
      if (!m.template)
        return { status: "refused", code: "NO_TEMPLATE", message: "an SMS needs a TemplateCode" };
      const params: Record<string, string> = {
        AccessKeyId: o.accessKeyId,
        Action: "SendSms",
        Format: "JSON",
        RegionId: o.regionId ?? "cn-hangzhou",
        SignatureMethod: "HMAC-SHA1",
        SignatureNonce: randomUUID(),
        SignatureVersion: "1.0",
        Timestamp: rpcTimestamp(now()),
        Version: SMS_API_VERSION,
        PhoneNumbers: aliyunPhone(m.to),
        SignName: o.signName,
        TemplateCode: m.template,
        TemplateParam: JSON.stringify(m.params ?? {}),
        OutId: m.id,
      };
      params.Signature = rpcSignature("POST", params, o.accessKeySecret);
      const answer = await fetchJson(`Aliyun SendSms ${m.id}`, `${endpoint}/`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(params).toString(),
        timeoutMs: o.timeoutMs ?? 10_000,
      });
      const code = String(answer.Code ?? "");
      const message = String(answer.Message ?? "");
      if (code === "OK") return { status: "sent", providerId: String(answer.BizId) };
      if (!code) throw new NotifyUnavailableError(`Aliyun SendSms ${m.id}: answer without Code`);
      const verdict = CODES[code] ?? (code.startsWith("isp.") ? "unavailable" : "refused");
      if (verdict === "unavailable") throw new NotifyUnavailableError(`Aliyun SendSms: ${code} ${message}`);
      if (verdict === "later")
        return { status: "later", code, message, retryAt: retryAt(code, message, now()) };
      if (verdict === "config") {
        return {
          status: "refused",
          code,
          message: `Aliyun SMS account or key is wrong (${code}: ${message}); check ALIYUN_SMS_ACCESS_KEY_ID / ALIYUN_SMS_ACCESS_KEY_SECRET and the account's balance`,
        };
      }
      return { status: "refused", code, message };
    },
  };
}
