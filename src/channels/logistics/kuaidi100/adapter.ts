import { createHash } from "node:crypto";
import { readAnswer } from "../../decompress.ts";
import {
  PushRejectedError,
  type QueryResult,
  type SubscribeResult,
  type TrackingMonitor,
  type TrackingProvider,
  type TrackingPush,
  TrackingRejectedError,
  TrackingUnavailableError,
} from "../tracking.ts";
import {
  type Kuaidi100PushParam,
  kuaidi100Carrier,
  PUSH_ACK,
  pushSign,
  QUERY_PATH,
  querySign,
  RESULT_V2,
  readResult,
  SUBSCRIBE_PATH,
  signaturesEqual,
} from "./protocol.ts";

/** Kuaidi100 (快递100) subscription, push and real-time query; see kuaidi100-protocol.ts for the wire. */

export interface Kuaidi100Options {
  /** Default https://poll.kuaidi100.com; the simulator's URL in tests and the demo. */
  baseUrl?: string;
  /** 授权 key: goes inside the subscription and into the query signature. */
  key: string;
  /** The query account (customer); required for real-time queries. */
  customer: string;
  /** Our random string for push signatures. Every push must carry MD5(param + salt). */
  salt: string;
  /** Where Kuaidi100 pushes to: our /api/v1/callbacks/logistics/kuaidi100. A function when known only once listening. */
  callbackUrl: string | (() => string);
  timeoutMs?: number;
  /** Extra or different carrier codes (ours → Kuaidi100's). */
  carrierCodes?: Record<string, string>;
}

const NAME = "kuaidi100";
const MONITORS: readonly TrackingMonitor[] = ["polling", "shutdown", "abort", "updateall"];
/**
 * Return codes, per call (they differ: 501 is a repeat subscription but a server error on a query).
 * `later`: trouble at Kuaidi100, ask again; any other code not listed is a refusal (bad key, unknown
 * carrier, malformed number, signature, no balance) that asking again will not fix.
 */
const SUBSCRIBE_CODES = { already: new Set(["501"]), later: new Set(["500", "502"]) };
const QUERY_CODES = { notFound: new Set(["500"]), later: new Set(["501", "502"]) };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function kuaidi100Tracking(opts: Kuaidi100Options): TrackingProvider {
  if (!opts.salt) throw new Error("kuaidi100: a salt is required, or pushes could not be verified");
  const base = (opts.baseUrl ?? "https://poll.kuaidi100.com").replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const codes = Object.fromEntries(
    Object.entries(opts.carrierCodes ?? {}).map(([k, v]) => [k.toUpperCase(), v]),
  );
  const providerCarrier = (carrier: string) => kuaidi100Carrier(carrier, codes);
  const callbackUrl = () => (typeof opts.callbackUrl === "function" ? opts.callbackUrl() : opts.callbackUrl);

  /** One form POST; returns the JSON answer or throws TrackingUnavailableError. */
  async function post(path: string, form: Record<string, string>): Promise<Record<string, unknown>> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await readAnswer(res);
    } catch (e) {
      throw new TrackingUnavailableError(NAME, `request failed: ${(e as Error).message}`, { cause: e });
    }
    if (res.status >= 500) throw new TrackingUnavailableError(NAME, `HTTP ${res.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isObject(body))
      throw new TrackingUnavailableError(NAME, `HTTP ${res.status}: answer is not a JSON object`);
    return body;
  }

  /** A `{result:false,returnCode,message}` answer as an error: try later, or a refusal. */
  function refusal(body: Record<string, unknown>, later: ReadonlySet<string>): Error {
    const code = String(body.returnCode ?? "unknown");
    const message = String(body.message ?? "");
    return later.has(code)
      ? new TrackingUnavailableError(NAME, `${code} ${message}`)
      : new TrackingRejectedError(NAME, code, message);
  }

  return {
    name: NAME,
    providerCarrier,

    async subscribe(carrier, trackingNo, o = {}): Promise<SubscribeResult> {
      const company = providerCarrier(carrier);
      const param = JSON.stringify({
        company,
        number: trackingNo,
        key: opts.key,
        parameters: {
          callbackurl: callbackUrl(),
          salt: opts.salt,
          resultv2: RESULT_V2,
          ...(o.phone ? { phone: o.phone } : {}),
        },
      });
      const body = await post(SUBSCRIBE_PATH, { schema: "json", param });
      const code = String(body.returnCode ?? "");
      const message = String(body.message ?? "");
      if (body.result === true && code === "200")
        return { status: "subscribed", providerCarrier: company, message };
      if (SUBSCRIBE_CODES.already.has(code))
        return { status: "already_subscribed", providerCarrier: company, message };
      throw refusal(body, SUBSCRIBE_CODES.later);
    },

    async query(carrier, trackingNo, o = {}): Promise<QueryResult> {
      const param = JSON.stringify({
        com: providerCarrier(carrier),
        num: trackingNo,
        ...(o.phone ? { phone: o.phone } : {}),
        resultv2: RESULT_V2,
        show: "0",
        order: "desc",
      });
      const body = await post(QUERY_PATH, {
        customer: opts.customer,
        sign: querySign(param, opts.key, opts.customer),
        param,
      });
      if (body.result === false) {
        // 500: 查询无结果 — nothing known yet. Everything else is trouble or a refusal.
        const code = String(body.returnCode ?? "");
        if (QUERY_CODES.notFound.has(code))
          return { found: false, code, message: String(body.message ?? "") };
        throw refusal(body, QUERY_CODES.later);
      }
      const snapshot = readResult(body);
      if (typeof snapshot === "string")
        throw new TrackingUnavailableError(NAME, `unreadable answer: ${snapshot}`);
      return { found: true, snapshot };
    },

    parsePush(raw): TrackingPush {
      const form =
        typeof raw === "string"
          ? Object.fromEntries(new URLSearchParams(raw))
          : (raw as Readonly<Record<string, string>>);
      const param = form.param;
      const sign = form.sign;
      if (typeof param !== "string" || param === "")
        throw new PushRejectedError("PUSH_MALFORMED", "The push has no param");
      if (typeof sign !== "string" || sign === "")
        throw new PushRejectedError("SIGNATURE_MISSING", "The push is not signed; it was not taken");
      if (!signaturesEqual(pushSign(param, opts.salt), sign))
        throw new PushRejectedError(
          "SIGNATURE_INVALID",
          "The push's signature does not match; it was not taken",
        );
      let p: unknown;
      try {
        p = JSON.parse(param);
      } catch {
        throw new PushRejectedError("PUSH_MALFORMED", "The push's param is not JSON");
      }
      if (!isObject(p)) throw new PushRejectedError("PUSH_MALFORMED", "The push's param is not an object");
      const push = p as Partial<Kuaidi100PushParam>;
      const monitor = MONITORS.includes(push.status as TrackingMonitor)
        ? (push.status as TrackingMonitor)
        : undefined;
      if (!monitor)
        throw new PushRejectedError("PUSH_MALFORMED", `Unknown push status "${String(push.status)}"`);
      const snapshot = push.lastResult === undefined ? null : readResult(push.lastResult);
      if (typeof snapshot === "string") throw new PushRejectedError("PUSH_MALFORMED", snapshot);
      const corrected = push.autoCheck === "1" && push.comOld && push.comNew ? push.comOld : undefined;
      const trackingNo = snapshot?.trackingNo;
      const company = push.comNew || snapshot?.providerCarrier;
      if (!trackingNo || !company)
        throw new PushRejectedError("PUSH_MALFORMED", "The push names no parcel (lastResult.nu, com)");
      return {
        notificationId: createHash("sha256").update(param).digest("hex"),
        monitor,
        message: String(push.message ?? ""),
        providerCarrier: company,
        ...(corrected ? { previousCarrier: corrected } : {}),
        trackingNo,
        snapshot,
        payload: p,
      };
    },

    pushAck: { status: 200, contentType: "application/json; charset=utf-8", body: JSON.stringify(PUSH_ACK) },
  };
}
