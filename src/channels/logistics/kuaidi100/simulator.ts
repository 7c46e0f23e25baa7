import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SimulatedLogistics } from "../logistics.ts";
import {
  type Kuaidi100PushParam,
  type Kuaidi100Result,
  type Kuaidi100Trace,
  pushSign,
  QUERY_PATH,
  querySign,
  SUBSCRIBE_PATH,
  signaturesEqual,
  stateOf,
  toBeijingTime,
} from "./protocol.ts";

/**
 * A local Kuaidi100 (快递100) on loopback that speaks the same protocol as the real one: it takes
 * subscriptions (checking the key), answers signed real-time queries, and pushes signed scan updates
 * to each subscription's callback URL as its parcel moves. Each parcel follows a script — the tests
 * (or a timer) advance it, sign it, fail it or send it back — and faults can be injected into the
 * next pushes: duplicated, out of order (an older snapshot after a newer one), tampered, unsigned.
 * Unlike the real service it does not retry a push the callback did not acknowledge.
 */

/** One scripted scan: an advanced state code (see KUAIDI100_STATES) and what the courier wrote. */
export interface SimScanStep {
  statusCode: string;
  context: string;
  areaName?: string;
  areaCode?: string;
}

export interface Kuaidi100Faults {
  /** Answer the next n subscribe/query calls with returnCode 502 (服务器繁忙) without doing anything. */
  failNext: number;
  /** Deliver each of the next n pushes twice. */
  duplicateNext: number;
  /** Hold each of the next n pushes back and deliver it after the parcel's following push: older after newer. */
  outOfOrderNext: number;
  /** Alter the next n pushes after signing them (the signature no longer matches). */
  tamperNext: number;
  /** Send the next n pushes without a signature. */
  unsignedNext: number;
}

export interface Kuaidi100SimulatorOptions {
  port?: number;
  host?: string;
  /** The 授权 key subscriptions and query signatures must use. */
  key: string;
  /** The query account. */
  customer: string;
  /** Advance every subscribed parcel through its script every stepMs; 0 (default): only when told. */
  stepMs?: number;
  /** The simulator's clock for scan times (default: the wall clock). */
  now?: () => Date;
}

export type PushKind = "normal" | "duplicate" | "stale" | "tampered" | "unsigned";

/** One push the simulator made, and what the callback answered. */
export interface PushRecord {
  com: string;
  nu: string;
  kind: PushKind;
  param: string;
  sign: string | null;
  /** null: the callback could not be reached. */
  httpStatus: number | null;
  answer: string;
}

export interface SimParcelView {
  com: string;
  nu: string;
  subscribed: boolean;
  monitor: "polling" | "shutdown" | "abort";
  callbackurl: string | null;
  state: string | null;
  scans: { time: string; statusCode: string; context: string }[];
  remainingScript: number;
}

export interface Kuaidi100Simulator {
  url: string;
  close(): Promise<void>;
  /** Merge a patch into the active faults and return them; throws on unknown keys or bad values. */
  faults(patch?: Partial<Kuaidi100Faults>): Kuaidi100Faults;
  parcels(): SimParcelView[];
  pushes(): PushRecord[];
  /** Set what the parcel does next (before or after it is subscribed). */
  script(com: string, nu: string, steps: SimScanStep[]): void;
  /** The parcel's next scripted scan, pushed. */
  advance(com: string, nu: string): Promise<PushRecord[]>;
  /** 签收: signed for (301 本人签收 unless told otherwise). */
  sign(com: string, nu: string, context?: string): Promise<PushRecord[]>;
  /** 疑难: something is wrong with the parcel (state 2). */
  fail(com: string, nu: string, context?: string): Promise<PushRecord[]>;
  /** 退回 (6), then — unless `signed` is false — 退签 (4): back with the sender. */
  returnToSender(com: string, nu: string, opts?: { signed?: boolean }): Promise<PushRecord[]>;
  /** Any scan, pushed. */
  scan(com: string, nu: string, step: SimScanStep): Promise<PushRecord[]>;
  /** End the subscription with status abort (default "3天查询无记录"). */
  abort(com: string, nu: string, message?: string): Promise<PushRecord[]>;
  /** Push the parcel's current state again. */
  push(com: string, nu: string): Promise<PushRecord[]>;
  /** Wait until pushes started by subscriptions and timers have been delivered. */
  idle(): Promise<void>;
}

/** What a freshly subscribed parcel does when nobody scripted it: collected, trunk, city, delivery, signed. */
export const DEFAULT_SCRIPT: readonly SimScanStep[] = [
  {
    statusCode: "103",
    context: "【深圳市】快件已揽收",
    areaName: "广东,深圳市,南山区",
    areaCode: "CN440305000000",
  },
  {
    statusCode: "1002",
    context: "【深圳市】快件已发往 上海转运中心",
    areaName: "广东,深圳市",
    areaCode: "CN440300000000",
  },
  {
    statusCode: "1001",
    context: "【上海市】快件已到达 上海转运中心",
    areaName: "上海",
    areaCode: "CN310000000000",
  },
  {
    statusCode: "5",
    context: "【上海市】快递员正在为您派件",
    areaName: "上海,浦东新区",
    areaCode: "CN310115000000",
  },
  {
    statusCode: "301",
    context: "【上海市】已签收，签收人：本人",
    areaName: "上海,浦东新区",
    areaCode: "CN310115000000",
  },
];

interface SimParcel {
  com: string;
  nu: string;
  subscribed: boolean;
  callbackurl: string | null;
  salt: string | null;
  resultv2: string;
  monitor: "polling" | "shutdown" | "abort";
  message: string;
  script: SimScanStep[];
  /** Oldest first. */
  scans: { at: Date; step: SimScanStep }[];
  /** A push held back by outOfOrderNext, delivered after the next one. */
  held: string | null;
  timer: NodeJS.Timeout | undefined;
}

type Reply = [status: number, payload: unknown];

const MAX_BODY = 256 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
const answer = (result: boolean, returnCode: string, message: string): Reply => [
  200,
  { result, returnCode, message },
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export async function startKuaidi100Simulator(opts: Kuaidi100SimulatorOptions): Promise<Kuaidi100Simulator> {
  const parcels = new Map<string, SimParcel>();
  const log: PushRecord[] = [];
  const faults: Kuaidi100Faults = {
    failNext: 0,
    duplicateNext: 0,
    outOfOrderNext: 0,
    tamperNext: 0,
    unsignedNext: 0,
  };
  const inFlight = new Set<Promise<unknown>>();
  const now = opts.now ?? (() => new Date());
  const stepMs = opts.stepMs ?? 0;
  let closed = false;

  const keyOf = (com: string, nu: string) => `${com}\u0000${nu}`;
  const parcel = (com: string, nu: string): SimParcel => {
    const k = keyOf(com, nu);
    let p = parcels.get(k);
    if (!p) {
      p = {
        com,
        nu,
        subscribed: false,
        callbackurl: null,
        salt: null,
        resultv2: "0",
        monitor: "polling",
        message: "",
        script: DEFAULT_SCRIPT.map((s) => ({ ...s })),
        scans: [],
        held: null,
        timer: undefined,
      };
      parcels.set(k, p);
    }
    return p;
  };

  const applyFaults = (patch: unknown): Kuaidi100Faults => {
    if (!isObject(patch)) throw new Error("faults must be an object");
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in faults)) throw new Error(`unknown fault "${key}"`);
      if (!Number.isSafeInteger(value) || (value as number) < 0)
        throw new Error(`fault "${key}" must be a non-negative integer`);
    }
    Object.assign(faults, patch);
    return { ...faults };
  };

  /** The parcel's result as Kuaidi100 reports it: newest scan first, fields by resultv2. */
  const resultOf = (p: SimParcel): Kuaidi100Result => {
    const advanced = Number(p.resultv2) >= 4;
    const named = Number(p.resultv2) >= 1;
    const data: Kuaidi100Trace[] = [...p.scans].reverse().map(({ at, step }) => {
      const time = toBeijingTime(at);
      const s = stateOf(step.statusCode);
      return {
        context: step.context,
        time,
        ftime: time,
        ...(named ? { status: s?.name ?? "" } : {}),
        ...(advanced ? { statusCode: step.statusCode } : {}),
        ...(named && step.areaName ? { areaName: step.areaName, areaCode: step.areaCode ?? "" } : {}),
      };
    });
    const newest = p.scans.at(-1)?.step.statusCode;
    const main = newest === undefined ? "0" : (stateOf(newest)?.parent ?? newest);
    return {
      message: "ok",
      state: advanced && newest !== undefined ? newest : main,
      status: "200",
      condition: "F00",
      ischeck: main === "3" || main === "4" ? "1" : "0",
      com: p.com,
      nu: p.nu,
      data,
    };
  };

  const deliver = async (p: SimParcel, param: string, sign: string | null, kind: PushKind) => {
    const record: PushRecord = { com: p.com, nu: p.nu, kind, param, sign, httpStatus: null, answer: "" };
    log.push(record);
    const form = new URLSearchParams({ param, ...(sign === null ? {} : { sign }) });
    try {
      const res = await fetch(p.callbackurl as string, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
        body: form.toString(),
        signal: AbortSignal.timeout(10_000),
      });
      record.httpStatus = res.status;
      record.answer = await res.text();
    } catch (e) {
      record.answer = (e as Error).message;
    }
    return record;
  };

  /** Push the parcel's current state to its subscriber, with whatever faults are armed. */
  const pushState = async (p: SimParcel): Promise<PushRecord[]> => {
    if (!p.subscribed || !p.callbackurl || closed) return [];
    const body: Kuaidi100PushParam = {
      status: p.monitor,
      billstatus: "",
      message: p.message,
      autoCheck: "0",
      comOld: "",
      comNew: "",
      lastResult: resultOf(p),
    };
    const param = JSON.stringify(body);
    const signOf = (text: string) => pushSign(text, p.salt ?? "");
    const out: PushRecord[] = [];
    if (faults.tamperNext > 0) {
      faults.tamperNext--;
      const sign = signOf(param);
      // Signed, then changed on the way: the parcel suddenly "signed for".
      const forged = JSON.parse(param) as Kuaidi100PushParam;
      forged.lastResult.state = "3";
      forged.lastResult.ischeck = "1";
      out.push(await deliver(p, JSON.stringify(forged), sign, "tampered"));
      return out;
    }
    if (faults.unsignedNext > 0) {
      faults.unsignedNext--;
      out.push(await deliver(p, param, null, "unsigned"));
      return out;
    }
    if (faults.outOfOrderNext > 0 && p.held === null) {
      faults.outOfOrderNext--;
      p.held = param; // delayed on the way: it arrives after the next push
      return out;
    }
    out.push(await deliver(p, param, signOf(param), "normal"));
    if (faults.duplicateNext > 0) {
      faults.duplicateNext--;
      out.push(await deliver(p, param, signOf(param), "duplicate"));
    }
    if (p.held !== null) {
      const stale = p.held;
      p.held = null;
      out.push(await deliver(p, stale, signOf(stale), "stale"));
    }
    return out;
  };

  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };

  const addScan = (p: SimParcel, step: SimScanStep) => {
    if (!stateOf(step.statusCode)) throw new Error(`unknown Kuaidi100 state code "${step.statusCode}"`);
    const last = p.scans.at(-1)?.at.getTime() ?? 0;
    // Whole seconds, strictly after the previous scan: Kuaidi100 times have no milliseconds.
    const at = new Date(Math.max(Math.floor(now().getTime() / 1000) * 1000, last + 1000));
    p.scans.push({ at, step: { ...step } });
    const main = stateOf(step.statusCode)?.parent ?? step.statusCode;
    if (main === "3" || main === "4") p.monitor = "shutdown";
  };

  const scanAndPush = (com: string, nu: string, steps: SimScanStep[]) =>
    track(
      (async () => {
        const p = parcel(com, nu);
        const out: PushRecord[] = [];
        for (const step of steps) {
          addScan(p, step);
          out.push(...(await pushState(p)));
        }
        return out;
      })(),
    );

  const advance = (com: string, nu: string) => {
    const p = parcel(com, nu);
    const step = p.script.shift();
    if (!step) return Promise.reject(new Error(`parcel ${com} ${nu} has no scripted scan left`));
    return scanAndPush(com, nu, [step]);
  };

  const startTimer = (p: SimParcel) => {
    if (stepMs <= 0 || p.timer) return;
    const tick = () => {
      p.timer = undefined;
      if (closed || !p.subscribed || p.monitor !== "polling" || p.script.length === 0) return;
      advance(p.com, p.nu)
        .catch(() => undefined)
        .finally(() => {
          if (!closed) p.timer = setTimeout(tick, stepMs);
        });
    };
    p.timer = setTimeout(tick, stepMs);
  };

  const subscribe = (form: URLSearchParams): Reply => {
    if (form.get("schema") !== "json") return answer(false, "700", "schema 必须为 json");
    let param: unknown;
    try {
      param = JSON.parse(form.get("param") ?? "");
    } catch {
      return answer(false, "700", "param 不是合法的 JSON");
    }
    if (!isObject(param)) return answer(false, "700", "param 不是合法的 JSON");
    if (param.key !== opts.key) return answer(false, "600", "您不是合法的订阅者（即授权Key出错）");
    const com = typeof param.company === "string" ? param.company : "";
    const nu = typeof param.number === "string" ? param.number : "";
    if (!/^[a-z0-9]+$/.test(com)) return answer(false, "700", "快递公司编码错误");
    if (!nu || nu.length > 32) return answer(false, "700", "快递单号为空或超过32个字符");
    const parameters = isObject(param.parameters) ? param.parameters : {};
    const callbackurl = typeof parameters.callbackurl === "string" ? parameters.callbackurl : "";
    if (!/^https?:\/\//.test(callbackurl)) return answer(false, "700", "回调地址错误");
    if (com === "shunfeng" && !parameters.phone)
      return answer(false, "700", "顺丰单号需要提供收寄件人手机号");
    const p = parcel(com, nu);
    if (p.subscribed && p.monitor === "polling") return answer(false, "501", "POLL:重复订阅");
    p.subscribed = true;
    p.monitor = "polling";
    p.message = "";
    p.callbackurl = callbackurl;
    p.salt = typeof parameters.salt === "string" ? parameters.salt : "";
    p.resultv2 = typeof parameters.resultv2 === "string" ? parameters.resultv2 : "0";
    // Known scans are pushed soon after subscribing, as the real service does within hours.
    if (p.scans.length > 0) track(pushState(p));
    startTimer(p);
    return answer(true, "200", "提交成功");
  };

  const query = (form: URLSearchParams): Reply => {
    const param = form.get("param") ?? "";
    const sign = form.get("sign") ?? "";
    if (
      form.get("customer") !== opts.customer ||
      !signaturesEqual(querySign(param, opts.key, opts.customer), sign)
    )
      return answer(false, "503", "验证签名失败");
    let q: unknown;
    try {
      q = JSON.parse(param);
    } catch {
      return answer(false, "400", "找不到对应公司或数据不完整");
    }
    if (!isObject(q) || typeof q.com !== "string" || typeof q.num !== "string")
      return answer(false, "400", "找不到对应公司或数据不完整");
    const p = parcels.get(keyOf(q.com, q.num));
    if (!p || p.scans.length === 0) return answer(false, "500", "查询无结果，请隔段时间再查");
    const resultv2 = p.resultv2;
    p.resultv2 = typeof q.resultv2 === "string" ? q.resultv2 : "0";
    const result = resultOf(p);
    p.resultv2 = resultv2;
    return [200, result];
  };

  const view = (p: SimParcel): SimParcelView => ({
    com: p.com,
    nu: p.nu,
    subscribed: p.subscribed,
    monitor: p.monitor,
    callbackurl: p.callbackurl,
    state: p.scans.length ? resultOf({ ...p, resultv2: "0" }).state : null,
    scans: p.scans.map(({ at, step }) => ({
      time: toBeijingTime(at),
      statusCode: step.statusCode,
      context: step.context,
    })),
    remainingScript: p.script.length,
  });

  const controls = {
    advance,
    sign: (com: string, nu: string, context = "【上海市】已签收，签收人：本人") =>
      scanAndPush(com, nu, [{ statusCode: "301", context }]),
    fail: (com: string, nu: string, context = "【上海市】快件派送不成功，收件人电话无人接听") =>
      scanAndPush(com, nu, [{ statusCode: "2", context }]),
    returnToSender: (com: string, nu: string, o: { signed?: boolean } = {}) =>
      scanAndPush(com, nu, [
        { statusCode: "6", context: "【上海市】快件已拦截，正在退回寄件人" },
        ...(o.signed === false ? [] : [{ statusCode: "4", context: "【深圳市】退回件已由寄件人签收" }]),
      ]),
    scan: (com: string, nu: string, step: SimScanStep) => scanAndPush(com, nu, [step]),
    abort: (com: string, nu: string, message = "3天查询无记录") =>
      track(
        (async () => {
          const p = parcel(com, nu);
          p.monitor = "abort";
          p.message = message;
          const out = await pushState(p);
          p.subscribed = false;
          return out;
        })(),
      ),
    push: (com: string, nu: string) => track(pushState(parcel(com, nu))),
  };

  const setScript = (com: string, nu: string, steps: unknown) => {
    if (!Array.isArray(steps)) throw new Error("steps must be a list of {statusCode, context}");
    parcel(com, nu).script = steps.map((s, i) => {
      if (!isObject(s) || typeof s.statusCode !== "string" || typeof s.context !== "string")
        throw new Error(`steps[${i}] needs statusCode and context`);
      if (!stateOf(s.statusCode)) throw new Error(`steps[${i}]: unknown state code "${s.statusCode}"`);
      return {
        statusCode: s.statusCode,
        context: s.context,
        ...(typeof s.areaName === "string" ? { areaName: s.areaName } : {}),
        ...(typeof s.areaCode === "string" ? { areaCode: s.areaCode } : {}),
      };
    });
  };

  /** The parcel actions /_sim offers, by name; the body is the action's JSON options. */
  const ACTIONS: Record<
    string,
    (com: string, nu: string, o: Record<string, unknown>) => Promise<PushRecord[]>
  > = {
    advance: (com, nu) => controls.advance(com, nu),
    sign: (com, nu, o) => controls.sign(com, nu, typeof o.context === "string" ? o.context : undefined),
    fail: (com, nu, o) => controls.fail(com, nu, typeof o.context === "string" ? o.context : undefined),
    return: (com, nu, o) => controls.returnToSender(com, nu, { signed: o.signed !== false }),
    abort: (com, nu, o) => controls.abort(com, nu, typeof o.message === "string" ? o.message : undefined),
    push: (com, nu) => controls.push(com, nu),
    script: async (com, nu, o) => {
      setScript(com, nu, o.steps);
      return [];
    },
  };

  // Test/demo controls: unsigned, so only reachable from this machine.
  const sim = async (req: IncomingMessage, route: string, body: string): Promise<Reply> => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? ""))
      return [403, { code: "FORBIDDEN", message: "loopback only" }];
    if (route === "/_sim/parcels" && req.method === "GET")
      return [200, { parcels: [...parcels.values()].map(view) }];
    if (route === "/_sim/pushes" && req.method === "GET") return [200, { pushes: log }];
    if (route === "/_sim/faults" && req.method === "GET") return [200, { ...faults }];
    let input: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(body || "{}");
      if (isObject(parsed)) input = parsed;
    } catch {
      return [400, { code: "INVALID_REQUEST", message: "body is not JSON" }];
    }
    try {
      if (route === "/_sim/faults" && req.method === "POST") return [200, applyFaults(input)];
      const m = /^\/_sim\/parcels\/([^/]+)\/([^/]+)\/([a-z]+)$/.exec(route);
      const action = m && req.method === "POST" ? ACTIONS[m[3] ?? ""] : undefined;
      if (m && action) {
        const [com, nu] = [decodeURIComponent(m[1] ?? ""), decodeURIComponent(m[2] ?? "")];
        const pushes = await action(com, nu, input);
        return [200, { parcel: view(parcel(com, nu)), pushes }];
      }
    } catch (e) {
      return [400, { code: "INVALID_REQUEST", message: (e as Error).message }];
    }
    return [404, { code: "NOT_FOUND", message: `no route ${req.method} ${route}` }];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const route = (req.url ?? "/").split("?")[0] ?? "/";
    const body = await readBody(req);
    if (body === null) return send(res, 413, { result: false, returnCode: "400", message: "body too large" });
    if (route.startsWith("/_sim/")) return send(res, ...(await sim(req, route, body)));
    if (req.method !== "POST")
      return send(res, 405, { result: false, returnCode: "400", message: "POST only" });
    if (route !== SUBSCRIBE_PATH && route !== QUERY_PATH)
      return send(res, 404, { result: false, returnCode: "404", message: `no route ${route}` });
    if (faults.failNext > 0) {
      faults.failNext--;
      return send(res, ...answer(false, "502", "服务器繁忙（injected failNext）"));
    }
    const form = new URLSearchParams(body);
    return send(res, ...(route === SUBSCRIBE_PATH ? subscribe(form) : query(form)));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { result: false, returnCode: "500", message: String(e) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    faults: (patch = {}) => applyFaults(patch),
    parcels: () => [...parcels.values()].map(view),
    pushes: () => log.map((r) => ({ ...r })),
    script: (com, nu, steps) => setScript(com, nu, steps),
    ...controls,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        closed = true;
        for (const p of parcels.values()) clearTimeout(p.timer);
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, payload: unknown) {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(payload));
}

/** Kuaidi100 on its simulator with fresh credentials, parcels moving every 10 s (`aftersales simulate kuaidi100`). */
export async function simulateKuaidi100(o: { port?: number; host?: string }): Promise<SimulatedLogistics> {
  const key = randomBytes(8).toString("hex");
  const customer = randomBytes(8).toString("hex").toUpperCase();
  const s = await startKuaidi100Simulator({ ...o, key, customer, stepMs: 10_000 });
  return { url: s.url, config: { key, customer, url: s.url }, close: () => s.close() };
}
