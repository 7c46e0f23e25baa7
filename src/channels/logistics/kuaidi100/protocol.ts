import { createHash, timingSafeEqual } from "node:crypto";
import type { LogisticsStatus } from "../../../domain/order.ts";
import type { TrackingScan, TrackingSnapshot } from "../tracking.ts";

/**
 * Kuaidi100 (快递100) wire details shared by the adapter and its simulator, so they cannot drift apart.
 *
 * - Subscribe: POST {base}/poll, form `schema=json&param={company,number,key,parameters{callbackurl,
 *   salt,resultv2,phone}}`; answer `{result,returnCode,message}` (200 accepted, 501 repeat subscription).
 * - Push: POST to our callbackurl, form `param=<json>&sign=MD5(param + salt)` upper-case; we answer
 *   `{"result":true,"returnCode":"200","message":"成功"}` or Kuaidi100 retries.
 * - Real-time query: POST {base}/poll/query.do, form `customer, sign=MD5(param + key + customer)`
 *   upper-case, `param={com,num,phone,resultv2,show,order}`; answer the parcel or
 *   `{result:false,returnCode,message}`.
 */

export const SUBSCRIBE_PATH = "/poll";
export const QUERY_PATH = "/poll/query.do";
/**
 * resultv2=6: every scan carries its advanced status name and code (高级物流状态名称、状态值) and the
 * area it happened in — what lets each scan, not just the parcel, have a status.
 */
export const RESULT_V2 = "6";

/** MD5, hex, upper-case: Kuaidi100's signature everywhere. */
export const md5Upper = (text: string) => createHash("md5").update(text, "utf8").digest("hex").toUpperCase();

/** The push signature: MD5(param + salt). */
export const pushSign = (param: string, salt: string) => md5Upper(param + salt);
/** The real-time query signature: MD5(param + key + customer). */
export const querySign = (param: string, key: string, customer: string) => md5Upper(param + key + customer);

export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given.toUpperCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One row of the state table: Kuaidi100's name and what it means for us. */
export interface Kuaidi100State {
  name: string;
  status: LogisticsStatus;
  /** The main state a sub-state (高级状态) belongs to; absent for main states. */
  parent?: string;
}

/**
 * Kuaidi100 `state` (0–14) and the advanced sub-states resultv2 adds, as data. Choices:
 * 1 揽收 and its 已下单/待揽收 are `shipped` (the merchant has handed over or booked the parcel);
 * 6 退回 is a parcel stopped and on its way back — `intercepted`, whoever stopped it — and 4 退签 is
 * the return signed for by the sender: `returned_to_sender`, what releases a held refund;
 * 14 拒签 is a refusal at the door, an `exception` until the parcel's way back shows;
 * customs (8, 10–12) is `in_transit` except 13 清关异常; 401 已销单 (waybill cancelled) is an `exception`.
 */
export const KUAIDI100_STATES: Readonly<Record<string, Kuaidi100State>> = {
  "0": { name: "在途", status: "in_transit" },
  "1001": { name: "到达派件城市", status: "in_transit", parent: "0" },
  "1002": { name: "干线", status: "in_transit", parent: "0" },
  "1003": { name: "转递", status: "in_transit", parent: "0" },
  "1": { name: "揽收", status: "shipped" },
  "101": { name: "已下单", status: "shipped", parent: "1" },
  "102": { name: "待揽收", status: "shipped", parent: "1" },
  "103": { name: "已揽收", status: "shipped", parent: "1" },
  "2": { name: "疑难", status: "exception" },
  "3": { name: "签收", status: "delivered" },
  "301": { name: "本人签收", status: "delivered", parent: "3" },
  "302": { name: "派件异常后签收", status: "delivered", parent: "3" },
  "303": { name: "代签", status: "delivered", parent: "3" },
  "304": { name: "投柜或站签收", status: "delivered", parent: "3" },
  "4": { name: "退签", status: "returned_to_sender" },
  "401": { name: "已销单", status: "exception", parent: "4" },
  "5": { name: "派件", status: "in_transit" },
  "501": { name: "投柜或驿站", status: "in_transit", parent: "5" },
  "6": { name: "退回", status: "intercepted" },
  "7": { name: "转投", status: "in_transit" },
  "8": { name: "清关", status: "in_transit" },
  "10": { name: "待清关", status: "in_transit" },
  "11": { name: "清关中", status: "in_transit" },
  "12": { name: "已清关", status: "in_transit" },
  "13": { name: "清关异常", status: "exception" },
  "14": { name: "拒签", status: "exception" },
};

/** What a code nobody listed means: something to look at. */
export const UNKNOWN_STATE_STATUS: LogisticsStatus = "exception";

/**
 * The state row for a code: listed codes first; an unlisted sub-state falls back to its main state
 * (three digits: the first, e.g. 2xx → 2 疑难; 10xx → 0 在途); anything else is unknown.
 */
export function stateOf(code: string | number | null | undefined): Kuaidi100State | undefined {
  if (code === null || code === undefined) return undefined;
  const c = String(code).trim();
  const listed = KUAIDI100_STATES[c];
  if (listed) return listed;
  const parent = /^[1-9]\d\d$/.test(c) ? c[0] : /^10\d\d$/.test(c) ? "0" : undefined;
  const main = parent === undefined ? undefined : KUAIDI100_STATES[parent];
  return main ? { name: main.name, status: main.status, parent } : undefined;
}

/** Our status for a Kuaidi100 state code; unknown codes are an exception a person should see. */
export const statusOfState = (code: string | number | null | undefined): LogisticsStatus =>
  stateOf(code)?.status ?? UNKNOWN_STATE_STATUS;

const BY_NAME = new Map(Object.entries(KUAIDI100_STATES).map(([code, s]) => [s.name, code]));
/** The code of a state name as scans carry it without a code (resultv2=1: 在途, 签收, 干线…). */
export const codeOfName = (name: string | null | undefined) => (name ? BY_NAME.get(name.trim()) : undefined);

/**
 * Our carrier codes → Kuaidi100 company codes (快递公司编码, always lower case). Anything unlisted is
 * passed on lower-cased, so a merchant may use Kuaidi100's codes directly.
 */
export const CARRIER_CODES: Readonly<Record<string, string>> = {
  SF: "shunfeng",
  ZTO: "zhongtong",
  YTO: "yuantong",
  STO: "shentong",
  YUNDA: "yunda",
  YD: "yunda",
  JD: "jd",
  EMS: "ems",
  YZPY: "youzhengguonei",
  DBL: "debangkuaidi",
  DEPPON: "debangkuaidi",
  JT: "jtexpress",
  JTSD: "jtexpress",
  BEST: "huitongkuaidi",
  HTKY: "huitongkuaidi",
  CAINIAO: "cainiao",
  UPS: "ups",
  FEDEX: "fedex",
  DHL: "dhl",
};

export const kuaidi100Carrier = (carrier: string, overrides: Readonly<Record<string, string>> = {}) => {
  const key = carrier.trim().toUpperCase();
  return overrides[key] ?? CARRIER_CODES[key] ?? carrier.trim().toLowerCase();
};

/** One scan as Kuaidi100 sends it (data[]), newest first. */
export interface Kuaidi100Trace {
  context: string;
  /** "2026-11-01 10:00:00", Beijing time. */
  time: string;
  ftime?: string;
  /** The state name (resultv2 ≥ 1). */
  status?: string;
  /** The advanced state code (resultv2 = 6). */
  statusCode?: string;
  areaCode?: string;
  areaName?: string;
}

/** A parcel's result: the push's lastResult and the real-time query's answer. */
export interface Kuaidi100Result {
  message: string;
  state: string;
  status: string;
  condition: string;
  ischeck: string;
  com: string;
  nu: string;
  data: Kuaidi100Trace[];
}

/** The push's `param`. */
export interface Kuaidi100PushParam {
  status: "polling" | "shutdown" | "abort" | "updateall";
  billstatus: string;
  message: string;
  autoCheck: string;
  comOld: string;
  comNew: string;
  lastResult: Kuaidi100Result;
}

/** What we answer a push with once it was taken (or was a repeat). */
export const PUSH_ACK = { result: true, returnCode: "200", message: "成功" } as const;

const BEIJING_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "2026-11-01 10:00:00" (Beijing) → "2026-11-01T10:00:00+08:00"; undefined when not such a time. */
export function beijingToIso(text: string): string | undefined {
  const m = BEIJING_TIME.exec(text.trim());
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}+08:00`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** A moment as Kuaidi100 writes it: Beijing time, to the second. */
export function toBeijingTime(d: Date): string {
  return new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * A Kuaidi100 result in our terms. Each scan takes the status of its own code (or name); a scan that
 * carries neither — only when resultv2 is off — takes the parcel's state if it is the newest, and
 * `in_transit` otherwise. Returns a string saying what is wrong when the result cannot be read.
 */
export function readResult(r: unknown): TrackingSnapshot | string {
  if (typeof r !== "object" || r === null) return "lastResult is missing";
  const x = r as Partial<Kuaidi100Result>;
  if (typeof x.nu !== "string" || !x.nu) return "lastResult.nu is missing";
  if (typeof x.com !== "string" || !x.com) return "lastResult.com is missing";
  const data = x.data ?? [];
  if (!Array.isArray(data)) return "lastResult.data is not a list";
  const state = x.state === undefined || x.state === null ? "" : String(x.state);
  const scans: TrackingScan[] = [];
  for (const [i, t] of data.entries()) {
    if (typeof t !== "object" || t === null) return `data[${i}] is not an object`;
    const at = beijingToIso(String((t as Kuaidi100Trace).ftime ?? (t as Kuaidi100Trace).time ?? ""));
    if (!at) return `data[${i}].time is not a time`;
    const trace = t as Kuaidi100Trace;
    const own = stateOf(trace.statusCode) ?? stateOf(codeOfName(trace.status));
    const status = own?.status ?? (i === 0 && state !== "" ? statusOfState(state) : "in_transit");
    scans.push({
      at,
      status,
      description: String(trace.context ?? "").slice(0, 2000),
      ...(trace.areaName ? { location: String(trace.areaName) } : {}),
    });
  }
  return {
    providerCarrier: x.com,
    trackingNo: x.nu,
    state,
    status: state === "" ? (scans[0]?.status ?? "shipped") : statusOfState(state),
    signed: String(x.ischeck ?? "0") === "1",
    scans,
  };
}
