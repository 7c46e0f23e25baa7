import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { PlatformSimulator, SimulatedOrder, SimulatedRequest } from "./platform.ts";

/**
 * What every platform simulator needs besides its platform's protocol: a loopback HTTP server, bodies
 * and answers, the `/_sim/` control API (faults, buyers, the platform, what the merchant did), the
 * platform's clock, id sequences, time-window paging, and a state file that survives a restart. A
 * simulator file keeps only its platform's signing, field names and status tables.
 */

/** Control routes answer only callers on this machine. */
export const LOOPBACK: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** `[status, payload]`: a string payload is sent as text, anything else as JSON. */
export type Reply = [status: number, payload: unknown];

/** The request body, or null past `maxBytes` (the caller answers 413 its platform's way). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function send(res: ServerResponse, status: number, payload: unknown) {
  if (res.destroyed) return;
  const text = typeof payload === "string";
  res.writeHead(status, {
    "content-type": text ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
  });
  res.end(text ? payload : JSON.stringify(payload));
}

/** An HTML error page where JSON was expected, as a gateway under strain answers. */
export function sendHtml(res: ServerResponse, status: number, html: string) {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "text/html" });
  res.end(html);
}

/** A form-encoded gateway call's fields: the query string, with the body's fields over it. */
export function formParams(url: URL, body: string): Record<string, string> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  for (const [k, v] of new URLSearchParams(body)) params[k] = v;
  return params;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// --- paging over time windows -----------------------------------------------------------------------

/**
 * The rows whose change time falls in [from, to] (or [from, to) with `endExclusive`), oldest first and
 * by id within a second, so paging through a window neither skips nor repeats a row.
 */
export function changedWithin<T>(
  rows: Iterable<T>,
  at: (row: T) => number,
  id: (row: T) => string,
  from: number,
  to: number,
  endExclusive = false,
): T[] {
  return [...rows]
    .filter((r) => at(r) >= from && (endExclusive ? at(r) < to : at(r) <= to))
    .sort((x, y) => at(x) - at(y) || (id(x) < id(y) ? -1 : id(x) > id(y) ? 1 : 0));
}

/** `size` rows from `offset`, and whether more follow. */
export function pageAt<T>(rows: readonly T[], offset: number, size: number): { items: T[]; more: boolean } {
  return { items: rows.slice(offset, offset + size), more: offset + size < rows.length };
}

// --- faults -------------------------------------------------------------------------------------------

/** Counters and delays a test (or `POST /_sim/faults`) sets to make the platform misbehave. */
export interface Faults<F extends NumberFields<F>> {
  readonly current: F;
  /** Merge a patch and return the result; throws on unknown keys and values that are not integers ≥ 0. */
  patch(patch: unknown): F;
  /** Use up one of `key`'s failures: true when one was pending. */
  take(key: keyof F): boolean;
}

type NumberFields<F> = { [K in keyof F]: number };

export function faultSwitch<F extends NumberFields<F>>(initial: F): Faults<F> {
  const current = { ...initial };
  return {
    current,
    patch(patch) {
      if (!isObject(patch)) throw new Error("faults must be an object");
      for (const [key, value] of Object.entries(patch)) {
        if (!(key in current)) throw new Error(`unknown fault "${key}"`);
        if (!Number.isSafeInteger(value) || (value as number) < 0)
          throw new Error(`fault "${key}" must be a non-negative integer`);
      }
      Object.assign(current, patch);
      return { ...current };
    },
    take(key) {
      const left: number = current[key];
      if (left <= 0) return false;
      (current as NumberFields<F>)[key] = left - 1;
      return true;
    },
  };
}

// --- state files ----------------------------------------------------------------------------------------

/** A state file that cannot be used: the simulator refuses to start rather than forget what it held. */
export class SimulatorStateError extends Error {
  readonly file: string;
  constructor(file: string, platform: string, why: string) {
    super(
      `The ${platform} simulator cannot use its state file ${file}: ${why}. Repair it, or remove it to start with an empty platform.`,
    );
    this.name = "SimulatorStateError";
    this.file = file;
  }
}

const STATE_VERSION = 1;

interface StateFile<S> {
  platform: string;
  version: number;
  sequences: Record<string, string>;
  state: S;
}

function loadStateFile<S>(file: string, platform: string): StateFile<S> | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new SimulatorStateError(file, platform, (e as Error).message);
  }
  if (!isObject(parsed) || !isObject(parsed.state) || !isObject(parsed.sequences))
    throw new SimulatorStateError(file, platform, "it is not a simulator state file");
  if (parsed.platform !== platform)
    throw new SimulatorStateError(
      file,
      platform,
      `it holds the ${String(parsed.platform)} simulator's state`,
    );
  if (parsed.version !== STATE_VERSION)
    throw new SimulatorStateError(file, platform, `it is version ${String(parsed.version)}`);
  return parsed as unknown as StateFile<S>;
}

// --- the kit --------------------------------------------------------------------------------------------

export interface KitOptions {
  /** The platform's name in messages and in the state file (e.g. "tmall", "jd"). */
  platform: string;
  /** Where orders, requests, decisions, credentials and id sequences are kept across restarts. */
  stateFile?: string;
  /** The platform's clock; default the wall clock. */
  now?: () => Date;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  /** Largest request body accepted. */
  maxBody: number;
  /** The answer to a larger body. */
  tooLarge: Reply;
  /** The answer when the handler throws before answering; default 500 with the message. */
  onError?: (e: unknown) => Reply;
  /** Where the control API lives (default `/_sim/`). */
  controlPrefix?: string;
}

/** How the generic control API drives a simulator as the buyer and as the platform. */
export interface ControlOptions {
  /** The path word for after-sales requests (default `requests`) and the id keys of the 201 answers. */
  requests?: string;
  orderIdKey?: string;
  requestIdKey?: string;
  /** Platform moves besides `cancel` and `ship`, as `POST /_sim/<requests>/<id>/<action>`. */
  actions?: Record<string, (id: string, body: Record<string, unknown>) => void>;
  /** Read-only views, as `GET /_sim/<name>`. */
  views?: Record<string, () => unknown>;
  faults?: { readonly current: object; patch(patch: unknown): object };
}

export interface SimulatorKit<S> {
  /** The state the file held when the simulator started (undefined: none, start empty). */
  readonly saved: S | undefined;
  /** Platform time (epoch ms): the time set by setNow, else the platform's clock. */
  nowMs(): number;
  nowS(): number;
  /** The platform's clock ignoring setNow (signature freshness, lazy settlement). */
  clockMs(): number;
  setNow(ms: number | null): void;
  /** Ids from `first` on; the sequence carries on where it stopped after a restart. */
  sequence(name: string, first: number | bigint): () => string;
  /** What to write to the state file: called after every request and every simulator call. */
  persist(snapshot: () => S): void;
  /** Write the state now (no-op without a state file, or when nothing changed). */
  save(): void;
  /** Run `fn` after `ms` (at once when ms ≤ 0); pending runs are dropped on close. */
  later(ms: number, fn: () => void): void;
  /** Serve `handle` (and, once `finish`ed, the control API) on loopback; returns the base URL. */
  listen(
    opts: ListenOptions,
    handle: (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => unknown,
  ): Promise<string>;
  /**
   * The simulator is complete: serve its control API, save after each of its calls, and make `close`
   * (after `beforeClose`) stop the server, the timers and the saving.
   */
  finish<T extends PlatformSimulator>(
    sim: T,
    options?: { control?: ControlOptions; beforeClose?: () => Promise<void> },
  ): T;
}

export function simulatorKit<S>(opts: KitOptions): SimulatorKit<S> {
  const file = opts.stateFile;
  const loaded = file ? loadStateFile<S>(file, opts.platform) : undefined;
  const sequences = new Map<string, bigint>(
    Object.entries(loaded?.sequences ?? {}).map(([k, v]) => [k, BigInt(v)]),
  );
  const clockMs = opts.now ? () => (opts.now as () => Date)().getTime() : () => Date.now();
  let fixedNow: number | null = null;
  let snapshot: (() => S) | undefined;
  let written: string | undefined;
  let closed = false;
  let server: ReturnType<typeof createServer> | undefined;
  let control: (ControlOptions & { sim: PlatformSimulator }) | undefined;
  const timers = new Set<NodeJS.Timeout>();

  const kit: SimulatorKit<S> = {
    saved: loaded?.state,
    nowMs: () => fixedNow ?? clockMs(),
    nowS: () => Math.floor(kit.nowMs() / 1000),
    clockMs,
    setNow(ms) {
      fixedNow = ms;
    },
    sequence(name, first) {
      if (!sequences.has(name)) sequences.set(name, BigInt(first));
      return () => {
        const id = sequences.get(name) as bigint;
        sequences.set(name, id + 1n);
        return String(id);
      };
    },
    persist(fn) {
      snapshot = fn;
    },
    save() {
      // After close a late call must not overwrite what a restarted simulator writes.
      if (!file || !snapshot || closed) return;
      const data: StateFile<S> = {
        platform: opts.platform,
        version: STATE_VERSION,
        sequences: Object.fromEntries([...sequences].map(([k, v]) => [k, String(v)])),
        state: snapshot(),
      };
      const text = JSON.stringify(data, null, 1);
      if (text === written) return;
      // Write-then-rename: a crash mid-write leaves the previous state, never half a file.
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
      written = text;
    },
    later(ms, fn) {
      if (ms <= 0) return fn();
      if (closed) return;
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    async listen(lo, handle) {
      const prefix = lo.controlPrefix ?? "/_sim/";
      const onError = lo.onError ?? ((e: unknown): Reply => [500, { message: String(e) }]);
      const serve = async (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://sim");
        const body = await readBody(req, lo.maxBody);
        if (body === null) return send(res, ...lo.tooLarge);
        if (control && url.pathname.startsWith(prefix)) {
          const path = url.pathname.slice(prefix.length).split("/").filter(Boolean);
          return send(res, ...controlReply(control, req, path, body));
        }
        await handle(req, res, url, body);
      };
      server = createServer((req, res) => {
        serve(req, res)
          .catch((e: unknown) => {
            if (!res.headersSent) send(res, ...onError(e));
            else res.destroy();
          })
          .finally(() => kit.save());
      });
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(lo.port ?? 0, lo.host ?? "127.0.0.1", () => resolve());
      });
      const { address, port } = s.address() as AddressInfo;
      return `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
    },
    finish(sim, options = {}) {
      const { beforeClose } = options;
      control = { ...options.control, sim };
      const calls = sim as unknown as Record<string, unknown>;
      for (const [key, fn] of Object.entries(calls)) {
        if (typeof fn !== "function" || key === "close") continue;
        calls[key] = (...args: unknown[]) => {
          try {
            return (fn as (...a: unknown[]) => unknown).apply(sim, args);
          } finally {
            kit.save();
          }
        };
      }
      calls.close = async () => {
        if (closed) return;
        await beforeClose?.();
        kit.save();
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        const s = server;
        if (!s) return;
        await new Promise<void>((resolve, reject) => {
          s.close((e) => (e ? reject(e) : resolve()));
          s.closeAllConnections();
        });
      };
      kit.save();
      return sim;
    },
  };
  return kit;
}

/**
 * The control API for a simulator running on its own (`aftersales simulate`), loopback only:
 *   GET/POST faults · GET <view> · POST orders · POST <requests> · GET <requests>/<id> (what the
 *   merchant did) · POST <requests>/<id>/cancel | ship | <platform action>.
 */
function controlReply(
  c: ControlOptions & { sim: PlatformSimulator },
  req: IncomingMessage,
  path: string[],
  body: string,
): Reply {
  if (!LOOPBACK.has(req.socket.remoteAddress ?? "")) return [403, { message: "loopback only" }];
  const requests = c.requests ?? "requests";
  const [what, id, action, extra] = path;
  try {
    const input = req.method === "POST" ? (JSON.parse(body || "{}") as unknown) : {};
    if (!isObject(input)) return [400, { message: "the body must be a JSON object" }];
    if (what === "faults" && c.faults && !id)
      return [200, req.method === "POST" ? c.faults.patch(input) : { ...c.faults.current }];
    const view = c.views?.[what ?? ""];
    if (view && !id && req.method === "GET") return [200, view()];
    if (what === "orders" && !id && req.method === "POST") {
      c.sim.placeOrder(input as unknown as SimulatedOrder);
      return [201, { [c.orderIdKey ?? "externalId"]: input.externalId }];
    }
    if (what === requests && !id && req.method === "POST")
      return [
        201,
        { [c.requestIdKey ?? "externalId"]: c.sim.requestAftersale(input as unknown as SimulatedRequest) },
      ];
    if (what === requests && id && !action && req.method === "GET") {
      const seen = c.sim.inspect(id);
      return seen ? [200, seen] : [404, { message: `no request ${id}` }];
    }
    if (what === requests && id && action && !extra && req.method === "POST") {
      const actions: Record<string, (id: string, body: Record<string, unknown>) => void> = {
        cancel: (x) => c.sim.buyerCancels(x),
        ship: (x, b) => c.sim.buyerShipsReturn(x, String(b.carrier ?? ""), String(b.trackingNo ?? "")),
        ...c.actions,
      };
      const act = actions[action];
      if (!act) return [404, { message: `unknown action "${action}"` }];
      act(id, input);
      return [200, c.sim.inspect(id) ?? {}];
    }
    return [404, { message: `no route ${req.method} ${req.url}` }];
  } catch (e) {
    return [400, { message: (e as Error).message }];
  }
}
