import type { NotifyChannel, NotifyMessage, NotifyOutcome } from "../channel.ts";
import { NotifyUnavailableError } from "../channel.ts";
import { fetchJson } from "../http.ts";

/**
 * WeChat mini-program subscribe messages (小程序订阅消息): an access token from GET /cgi-bin/token, kept
 * until shortly before it expires, then POST /cgi-bin/message/subscribe/send. Values are sent as they
 * are — the flow validates them (values.ts) — so a 47003 here means the flow let one through.
 */

export interface WechatSubscribeOptions {
  appId: string;
  appSecret: string;
  /** Default https://api.weixin.qq.com. */
  baseUrl?: string;
  /** Which build the card opens: formal (default), trial or developer. */
  miniprogramState?: "formal" | "trial" | "developer";
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  now?: () => number;
}

type Verdict = "refused" | "config" | "unavailable" | "token";

/** errcode → what it means for this message, as data; unlisted codes are refused with WeChat's errmsg. */
const ERRCODES: Record<number, Verdict> = {
  43101: "refused", // the user did not subscribe, or used the one-time subscription up
  47003: "refused", // a value breaks its keyword's rule
  40003: "refused", // invalid openid
  40037: "refused", // invalid template_id
  41030: "refused", // page not in the released mini-program
  40013: "config", // invalid appid
  40125: "config", // invalid appsecret
  40164: "config", // caller IP not on the whitelist
  40001: "token", // access_token invalid or not the latest
  40014: "token",
  42001: "token", // access_token expired
  45009: "unavailable", // API call quota reached
  [-1]: "unavailable", // system busy
};

/** Refresh this long before WeChat's expires_in runs out, so a token never dies in flight. */
const TOKEN_MARGIN_MS = 5 * 60_000;

export function wechatSubscribeChannel(o: WechatSubscribeOptions): NotifyChannel {
  const base = (o.baseUrl ?? "https://api.weixin.qq.com").replace(/\/$/, "");
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? 10_000;
  let token: { value: string; until: number } | null = null;

  const verdict = (errcode: number) => ERRCODES[errcode] ?? "refused";
  const configRefusal = (errcode: number, errmsg: string): NotifyOutcome => ({
    status: "refused",
    code: String(errcode),
    message: `WeChat refused our app credentials (${errcode}: ${errmsg}); check WECHAT_MP_APPID / WECHAT_MP_SECRET and the IP whitelist`,
  });

  const fetchToken = async (): Promise<
    { value: string; until: number } | { errcode: number; errmsg: string }
  > => {
    const url = `${base}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(o.appId)}&secret=${encodeURIComponent(o.appSecret)}`;
    const a = await fetchJson("WeChat access token", url, { timeoutMs });
    if (typeof a.access_token !== "string")
      return { errcode: Number(a.errcode ?? -1), errmsg: String(a.errmsg ?? "") };
    const ttl = Number(a.expires_in ?? 7200) * 1000;
    return { value: a.access_token, until: now() + Math.max(ttl - TOKEN_MARGIN_MS, ttl / 2) };
  };

  /** The cached token, or a new one when it is due or WeChat said it is no longer good (`fresh`). */
  const accessToken = async (fresh: boolean): Promise<string | NotifyOutcome> => {
    if (!fresh && token && token.until > now()) return token.value;
    const got = await fetchToken();
    if ("errcode" in got) {
      if (verdict(got.errcode) === "config") return configRefusal(got.errcode, got.errmsg);
      throw new NotifyUnavailableError(`WeChat access token: ${got.errcode} ${got.errmsg}`);
    }
    token = got;
    return got.value;
  };

  const send = async (m: NotifyMessage, fresh: boolean): Promise<NotifyOutcome> => {
    const t = await accessToken(fresh);
    if (typeof t !== "string") return t;
    const data = Object.fromEntries(Object.entries(m.params ?? {}).map(([k, value]) => [k, { value }]));
    const a = await fetchJson(
      `WeChat subscribe/send ${m.id}`,
      `${base}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(t)}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          touser: m.to,
          template_id: m.template,
          ...(m.page ? { page: m.page } : {}),
          data,
          miniprogram_state: o.miniprogramState ?? "formal",
          lang: m.lang ?? "zh_CN",
        }),
        timeoutMs,
      },
    );
    const errcode = Number(a.errcode ?? 0);
    const errmsg = String(a.errmsg ?? "");
    if (errcode === 0) return { status: "sent", providerId: String(a.msgid) };
    const v = verdict(errcode);
    if (v === "token" && !fresh) return send(m, true); // refresh once; a second token error is theirs
    if (v === "unavailable" || v === "token")
      throw new NotifyUnavailableError(`WeChat subscribe/send: ${errcode} ${errmsg}`);
    if (v === "config") return configRefusal(errcode, errmsg);
    return { status: "refused", code: String(errcode), message: errmsg };
  };

  return { kind: "wechat", send: (m) => send(m, false) };
}
