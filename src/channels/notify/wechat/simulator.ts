import { randomBytes, randomInt } from "node:crypto";
import type { NotificationKind, NotifyVar } from "../../../domain/notify/kind.ts";
import { NOTIFICATION_KINDS } from "../../../domain/notify/kinds.ts";
import type { SimulatedNotify } from "../channel.ts";
import { type Reply, startSimServer } from "../sim-http.ts";
import { wechatSubscribeChannel } from "./adapter.ts";
import { checkSubscribeValue } from "./values.ts";

/**
 * A local WeChat API for mini-program subscribe messages: it issues access tokens for the configured
 * appid/secret, checks each message against its template and the value rules (47003), and keeps the
 * one-time subscriptions a user grants per (openid, template): each accepted message uses one up, and
 * without one the answer is 43101. POST /_sim/subscribe grants them, as wx.requestSubscribeMessage
 * would when the user taps 允许.
 */

export interface SubscribeTemplate {
  title: string;
  /** Data key ("thing3") → the label the card shows. */
  keys: Record<string, string>;
}

/** How a card labels each variable a notification kind sends. */
const LABELS: Record<NotifyVar, string> = {
  case: "售后单号",
  order: "订单号",
  shop: "店铺",
  amount: "退款金额",
  to: "退回至",
  note: "说明",
  deadline: "截止时间",
  link: "链接",
};

/**
 * The templates a merchant picks in the mini-program's console: one per notification kind, titled by its
 * Chinese subject's first clause without the variables (cards have short titles), with its data keys.
 */
export const WECHAT_TEMPLATES: Record<string, SubscribeTemplate> = Object.fromEntries(
  Object.values(NOTIFICATION_KINDS).map((k: NotificationKind) => [
    k.wechat.template,
    {
      title: (k.words.zh.subject.split("，")[0] as string).replace(/\s*\{\w+\}\s*/g, ""),
      keys: Object.fromEntries(Object.entries(k.wechat.data).map(([key, v]) => [key, LABELS[v]])),
    },
  ]),
);

export interface WechatSubscribeSimulatorOptions {
  port?: number;
  host?: string;
  appId?: string;
  appSecret?: string;
  templates?: Record<string, SubscribeTemplate>;
  /** expires_in of issued tokens. Default 7200 (WeChat's). */
  tokenTtlSeconds?: number;
}

/** One accepted subscribe message. */
export interface SimSubscribeMessage {
  msgid: string;
  touser: string;
  template_id: string;
  page: string | null;
  data: Record<string, string>;
  miniprogram_state: string;
  lang: string;
  /** The card as the user sees it: title, then label: value lines. */
  text: string;
  at: string;
}

export type WechatFault = "timeout" | "500" | { errcode: number; errmsg?: string };

export interface WechatSubscribeSimulator {
  url: string;
  config: { appId: string; appSecret: string; baseUrl: string };
  received(): SimSubscribeMessage[];
  /** The next `times` subscribe/send calls fail this way (sending nothing, using no subscription). */
  fail(fault: WechatFault, times?: number): void;
  /** The user accepts `times` one-time subscriptions of a template (wx.requestSubscribeMessage → accept). */
  grant(openid: string, templateId: string, times?: number): void;
  /** Subscriptions left for (openid, template). */
  subscriptions(openid: string, templateId: string): number;
  /** Every token issued so far expires now (the next send answers 42001). */
  expireTokens(): void;
  close(): Promise<void>;
}

const OPENID = /^[A-Za-z0-9_-]{28}$/;

export async function startWechatSubscribeSimulator(
  opts: WechatSubscribeSimulatorOptions = {},
): Promise<WechatSubscribeSimulator> {
  const appId = opts.appId ?? `wx${randomBytes(8).toString("hex")}`;
  const appSecret = opts.appSecret ?? randomBytes(16).toString("hex");
  const templates = opts.templates ?? WECHAT_TEMPLATES;
  const ttl = opts.tokenTtlSeconds ?? 7200;
  const tokens = new Map<string, number>(); // token → expires at (ms)
  const subscriptions = new Map<string, number>(); // openid|template → one-time grants left
  const messages: SimSubscribeMessage[] = [];
  const faults: WechatFault[] = [];

  const err = (errcode: number, errmsg: string): Reply => ({
    status: 200, // WeChat answers errors with HTTP 200 and an errcode
    body: { errcode, errmsg: `${errmsg} rid: ${randomBytes(4).toString("hex")}` },
  });
  const grant = (openid: string, templateId: string, times = 1) => {
    const key = `${openid}|${templateId}`;
    subscriptions.set(key, (subscriptions.get(key) ?? 0) + times);
  };

  const issueToken = (q: URLSearchParams): Reply => {
    if (q.get("grant_type") !== "client_credential") return err(40002, "invalid grant_type");
    if (q.get("appid") !== appId) return err(40013, "invalid appid");
    if (q.get("secret") !== appSecret) return err(40125, "invalid appsecret");
    const access_token = randomBytes(48).toString("base64url");
    tokens.set(access_token, Date.now() + ttl * 1000);
    return { status: 200, body: { access_token, expires_in: ttl } };
  };

  const sendMessage = (q: URLSearchParams, body: string): Reply | "hang" => {
    const token = q.get("access_token");
    if (!token) return err(41001, "access_token missing");
    const expires = tokens.get(token);
    if (expires === undefined) return err(40001, "invalid credential, access_token is invalid or not latest");
    if (expires <= Date.now()) return err(42001, "access_token expired");
    const fault = faults.shift();
    if (fault === "timeout") return "hang";
    if (fault === "500") return { status: 500, body: "Internal Server Error" };
    if (fault) return err(fault.errcode, fault.errmsg ?? `simulated ${fault.errcode}`);

    let m: Record<string, unknown>;
    try {
      m = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return err(47001, "data format error");
    }
    const touser = String(m.touser ?? "");
    if (!OPENID.test(touser)) return err(40003, "invalid openid");
    const templateId = String(m.template_id ?? "");
    const template = templates[templateId];
    if (!template) return err(40037, "invalid template_id");
    const data = (m.data ?? {}) as Record<string, { value?: unknown }>;
    const values: Record<string, string> = {};
    for (const key of Object.keys(template.keys)) {
      const value = String(data[key]?.value ?? "");
      const broken = checkSubscribeValue(key, value);
      if (broken) {
        return err(
          47003,
          `argument invalid! data.${key}.value ${value ? "invalid" : "is empty"} (${broken})`,
        );
      }
      values[key] = value;
    }
    const key = `${touser}|${templateId}`;
    const left = subscriptions.get(key) ?? 0;
    if (left <= 0) return err(43101, "user refuse to accept the msg");
    subscriptions.set(key, left - 1);
    // A 64-bit id, as WeChat's are: beyond what a JSON number keeps exactly.
    const msgid = (BigInt(Date.now()) * 1_000_000n + BigInt(randomInt(1_000_000))).toString();
    messages.push({
      msgid,
      touser,
      template_id: templateId,
      page: typeof m.page === "string" ? m.page : null,
      data: values,
      miniprogram_state: String(m.miniprogram_state ?? "formal"),
      lang: String(m.lang ?? "zh_CN"),
      text: [
        template.title,
        ...Object.entries(template.keys).map(([k, label]) => `${label}: ${values[k]}`),
      ].join("\n"),
      at: new Date().toISOString(),
    });
    return { status: 200, body: `{"errcode":0,"errmsg":"ok","msgid":${msgid}}` }; // msgid as a bare number
  };

  const server = await startSimServer(
    opts,
    {
      title: "微信订阅消息 WeChat subscribe messages (simulator)",
      messages: () => messages,
      columns: {
        time: (m: SimSubscribeMessage) => m.at,
        openid: (m: SimSubscribeMessage) => m.touser,
        card: (m: SimSubscribeMessage) => m.text,
        page: (m: SimSubscribeMessage) => m.page,
        msgid: (m: SimSubscribeMessage) => m.msgid,
      },
    },
    (req, body, url) => {
      if (req.method === "GET" && url.pathname === "/cgi-bin/token") return issueToken(url.searchParams);
      if (req.method === "POST" && url.pathname === "/cgi-bin/message/subscribe/send") {
        return sendMessage(url.searchParams, body);
      }
      if (req.method === "POST" && url.pathname === "/_sim/subscribe") {
        // {openid, template_ids}: answered like wx.requestSubscribeMessage's success result.
        const b = JSON.parse(body || "{}") as { openid?: string; template_ids?: string[] };
        const ids = (b.template_ids ?? []).filter((id) => id in templates);
        for (const id of ids) grant(String(b.openid), id);
        return {
          status: 200,
          body: {
            errMsg: "requestSubscribeMessage:ok",
            ...Object.fromEntries(ids.map((id) => [id, "accept"])),
          },
        };
      }
      return { status: 404, body: { errcode: 404, errmsg: "not found" } };
    },
  );

  return {
    url: server.url,
    config: { appId, appSecret, baseUrl: server.url },
    received: () => structuredClone(messages),
    fail(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    grant,
    subscriptions: (openid, templateId) => subscriptions.get(`${openid}|${templateId}`) ?? 0,
    expireTokens() {
      for (const t of tokens.keys()) tokens.set(t, 0);
    },
    close: () => server.close(),
  };
}

/** WeChat subscribe messages on their simulator, sent through the real adapter. */
export async function simulateWechatSubscribe(
  o: { port?: number; host?: string } = {},
): Promise<SimulatedNotify> {
  const sim = await startWechatSubscribeSimulator(o);
  return {
    simulator: sim,
    url: sim.url,
    adapter: wechatSubscribeChannel({ ...sim.config, miniprogramState: "developer" }),
    close: () => sim.close(),
  };
}
