import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_SKEW_SECONDS, RESPONSE_METHOD, signedHeaders, verifySigned } from "./protocol.ts";

/**
 * A local payment provider that speaks the sandbox refund protocol (modelled on WeChat Pay v3 refunds):
 * signed JSON over HTTP, idempotent by out_refund_no, cumulative refund limits per transaction, and
 * injectable faults so the demo and tests can show what happens when money moves but the answer is lost.
 */

export type SandboxRefundStatus = "SUCCESS" | "PROCESSING" | "CLOSED";
export interface SandboxAmount {
  refund: number;
  total: number;
  currency: string;
}
export interface SandboxRefund {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string | null;
  out_trade_no: string | null;
  amount: SandboxAmount;
  reason: string | null;
  status: SandboxRefundStatus;
  create_time: string;
  success_time: string | null;
}
/** What the simulator keeps: the public refund plus when a PROCESSING one settles (epoch ms). */
type StoredRefund = SandboxRefund & { settle_at: number | null };

export interface SandboxFaults {
  /** Answer the next n API requests with 500 without doing anything. */
  failNext: number;
  /** Do the next n API requests, then drop the connection after delayMs: money moved, caller can't tell. */
  timeoutNext: number;
  /** Close (decline) the next n new refunds: a business failure, money not moved. */
  declineNext: number;
  /** New refunds report PROCESSING until this many ms have passed, then SUCCESS. */
  processingFor: number;
  /** Latency added before every API answer (and before a timeoutNext drop). */
  delayMs: number;
}

export interface SandboxPaySimulatorOptions {
  port?: number;
  host?: string;
  secret: string;
  /** JSON file to load refunds from and save them to, so a restart keeps them. */
  stateFile?: string;
}

export interface SandboxPaySimulator {
  url: string;
  close(): Promise<void>;
  refunds(): SandboxRefund[];
  /** Merge a patch into the active faults and return them; throws on unknown keys or bad values. */
  faults(patch?: Partial<SandboxFaults>): SandboxFaults;
}

type Reply = [status: number, payload: unknown];

const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const MAX_BODY = 64 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const error = (status: number, code: string, message: string): Reply => [status, { code, message }];
const invalid = (message: string) => error(400, "INVALID_REQUEST", message);

export async function startSandboxPaySimulator(
  opts: SandboxPaySimulatorOptions,
): Promise<SandboxPaySimulator> {
  const { secret, stateFile } = opts;
  const refunds = loadState(stateFile);
  const faults: SandboxFaults = { failNext: 0, timeoutNext: 0, declineNext: 0, processingFor: 0, delayMs: 0 };
  const seenNonces = new Map<string, number>(); // nonce -> forget after (ms); insertion order = expiry order
  const timers = new Set<NodeJS.Timeout>();

  const save = () => {
    if (!stateFile) return;
    const stored = [...refunds.values()];
    // Write-then-rename so a crash mid-write never leaves a half file.
    writeFileSync(`${stateFile}.tmp`, JSON.stringify({ refunds: stored }, null, 2));
    renameSync(`${stateFile}.tmp`, stateFile);
  };

  // PROCESSING refunds settle lazily, whenever someone looks at them.
  const settle = (r: StoredRefund): StoredRefund => {
    if (r.status === "PROCESSING" && r.settle_at !== null && Date.now() >= r.settle_at) {
      r.status = "SUCCESS";
      r.success_time = new Date(r.settle_at).toISOString();
      r.settle_at = null;
      save();
    }
    return r;
  };
  const view = (r: StoredRefund): SandboxRefund => {
    const { settle_at: _, ...rest } = settle(r);
    return { ...rest, amount: { ...rest.amount } };
  };

  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const applyFaults = (patch: unknown): SandboxFaults => {
    if (!isObject(patch)) throw new Error("faults must be an object");
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in faults)) throw new Error(`unknown fault "${key}"`);
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        throw new Error(`fault "${key}" must be a non-negative integer`);
      }
    }
    Object.assign(faults, patch);
    return { ...faults };
  };

  const createRefund = (text: string): Reply => {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return invalid("body is not valid JSON");
    }
    const req = parseRefundInput(input);
    if (typeof req === "string") return invalid(req);

    const existing = refunds.get(req.out_refund_no);
    if (existing) {
      // Idempotent replay: same key and same request returns the same refund, never a second one.
      const same =
        existing.transaction_id === req.transaction_id &&
        existing.out_trade_no === req.out_trade_no &&
        existing.amount.refund === req.amount.refund &&
        existing.amount.total === req.amount.total &&
        existing.amount.currency === req.amount.currency;
      return same
        ? [200, view(existing)]
        : invalid(
            `out_refund_no ${req.out_refund_no} was already used for a different amount or transaction`,
          );
    }
    if (req.amount.refund > req.amount.total) return invalid("refund amount exceeds the transaction total");

    const payment = req.transaction_id ?? `trade:${req.out_trade_no}`;
    const siblings = [...refunds.values()].filter(
      (r) => (r.transaction_id ?? `trade:${r.out_trade_no}`) === payment && r.status !== "CLOSED",
    );
    if (
      siblings.some((r) => r.amount.total !== req.amount.total || r.amount.currency !== req.amount.currency)
    ) {
      return invalid("total or currency differs from earlier refunds of this transaction");
    }
    const refunded = siblings.reduce((sum, r) => sum + r.amount.refund, 0);
    if (refunded + req.amount.refund > req.amount.total) {
      return error(
        400,
        "NOT_ENOUGH",
        `only ${req.amount.total - refunded} left to refund on this transaction`,
      );
    }

    const now = Date.now();
    const declined = faults.declineNext > 0;
    if (declined) faults.declineNext--;
    const processing = !declined && faults.processingFor > 0;
    const refund: StoredRefund = {
      refund_id: `sbr_${now.toString(36)}${randomBytes(8).toString("hex")}`,
      ...req,
      status: declined ? "CLOSED" : processing ? "PROCESSING" : "SUCCESS",
      create_time: new Date(now).toISOString(),
      success_time: declined || processing ? null : new Date(now).toISOString(),
      settle_at: processing ? now + faults.processingFor : null,
    };
    refunds.set(refund.out_refund_no, refund);
    save();
    return [200, view(refund)];
  };

  const api = (method: string, route: string, body: string): Reply => {
    if (method === "POST" && route === "/v1/refunds") return createRefund(body);
    const m = /^\/v1\/refunds\/([^/]+)$/.exec(route);
    if (method === "GET" && m?.[1]) {
      let key: string;
      try {
        key = decodeURIComponent(m[1]);
      } catch {
        return invalid("malformed out_refund_no");
      }
      const found = refunds.get(key);
      return found ? [200, view(found)] : error(404, "RESOURCE_NOT_EXISTS", `refund ${key} does not exist`);
    }
    return error(404, "NOT_FOUND", `no route ${method} ${route}`);
  };

  // Test/demo controls: unsigned, so only reachable from this machine.
  const sim = (req: IncomingMessage, route: string, body: string): Reply => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? "")) return error(403, "FORBIDDEN", "loopback only");
    if (route === "/_sim/refunds" && req.method === "GET") {
      return [200, { refunds: [...refunds.values()].map(view) }];
    }
    if (route === "/_sim/faults" && req.method === "GET") return [200, { ...faults }];
    if (route === "/_sim/faults" && req.method === "POST") {
      try {
        return [200, applyFaults(JSON.parse(body || "{}"))];
      } catch (e) {
        return invalid((e as Error).message);
      }
    }
    return error(404, "NOT_FOUND", `no route ${req.method} ${route}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    const method = req.method ?? "GET";
    const route = path.split("?")[0] ?? path;
    const body = await readBody(req);
    if (body === null) return send(res, 413, { code: "INVALID_REQUEST", message: "body too large" });
    if (route.startsWith("/_sim/")) return send(res, ...sim(req, route, body));

    // Every API answer is signed, errors included, so the client can trust even a rejection.
    const delayMs = faults.delayMs;
    const answer = ([status, payload]: Reply) =>
      later(delayMs, () => {
        const text = JSON.stringify(payload);
        send(res, status, text, signedHeaders(secret, RESPONSE_METHOD, path, text));
      });

    const check = verifySigned(secret, method, path, body, (h) => req.headers[h] as string | undefined);
    if (!check.ok) return answer(error(401, "SIGN_ERROR", check.reason));
    const now = Date.now();
    for (const [nonce, forgetAt] of seenNonces) {
      if (forgetAt > now) break;
      seenNonces.delete(nonce);
    }
    if (seenNonces.has(check.nonce)) return answer(error(401, "SIGN_ERROR", "nonce already used"));
    seenNonces.set(check.nonce, now + 2 * MAX_SKEW_SECONDS * 1000);

    if (faults.failNext > 0) {
      faults.failNext--;
      return answer(error(500, "SYSTEM_ERROR", "injected failure (failNext)"));
    }
    const reply = api(method, route, body);
    if (faults.timeoutNext > 0) {
      faults.timeoutNext--;
      // The work is done (a refund may be recorded) but the caller never hears about it.
      return later(delayMs, () => req.socket.destroy());
    }
    answer(reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { code: "SYSTEM_ERROR", message: String(e) });
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
    refunds: () => [...refunds.values()].map(view),
    faults: (patch = {}) => applyFaults(patch),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

type RefundInput = Pick<
  SandboxRefund,
  "out_refund_no" | "transaction_id" | "out_trade_no" | "amount" | "reason"
>;

function parseRefundInput(v: unknown): RefundInput | string {
  if (!isObject(v)) return "body must be a JSON object";
  if (typeof v.out_refund_no !== "string" || !OUT_REFUND_NO.test(v.out_refund_no)) {
    return "out_refund_no must be 1-64 characters of 0-9 A-Z a-z _ - | * @";
  }
  const optionalString = (x: unknown) => (typeof x === "string" && x !== "" ? x : null);
  const transaction_id = optionalString(v.transaction_id);
  const out_trade_no = optionalString(v.out_trade_no);
  if (!transaction_id && !out_trade_no) return "transaction_id or out_trade_no is required";
  const a = v.amount;
  if (!isObject(a) || !isPositiveInt(a.refund) || !isPositiveInt(a.total)) {
    return "amount.refund and amount.total must be positive integers (minor units)";
  }
  if (typeof a.currency !== "string" || !/^[A-Z]{3}$/.test(a.currency))
    return "amount.currency must be ISO 4217";
  if (v.reason != null && (typeof v.reason !== "string" || v.reason.length > 80)) {
    return "reason must be a string of at most 80 characters";
  }
  return {
    out_refund_no: v.out_refund_no,
    transaction_id,
    out_trade_no,
    amount: { refund: a.refund, total: a.total, currency: a.currency },
    reason: (v.reason as string | undefined) ?? null,
  };
}

function loadState(file: string | undefined): Map<string, StoredRefund> {
  if (!file || !existsSync(file)) return new Map();
  const data = JSON.parse(readFileSync(file, "utf8")) as { refunds?: StoredRefund[] };
  return new Map((data.refunds ?? []).map((r) => [r.out_refund_no, r]));
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

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
  if (res.destroyed) return;
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}
