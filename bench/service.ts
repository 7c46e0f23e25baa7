/**
 * The service under test as child processes — N API processes and M workers, their CPU apart from the load
 * generator's — its database, and what the benchmarks share to drive and measure it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChildService {
  url: string;
  pid: number;
  proc: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** `start` (the API, with its in-process workers unless `dispatcher` is false) or `worker` (no HTTP). */
  command?: "start" | "worker";
  /** The API's port; 0 (the default) for a free one. */
  port?: number;
  /** false: `start --no-dispatcher`, for when separate `worker` processes run the outbox and the jobs. */
  dispatcher?: boolean;
}

/**
 * `aftersales start --no-demo` (or `aftersales worker`) as a child process; resolves once the API answers
 * /healthz (a worker: once it says it runs). A worker's `url` is empty.
 */
export async function startChild(
  env: NodeJS.ProcessEnv,
  profileDir: string | undefined,
  opts: ChildOptions = {},
): Promise<ChildService> {
  const { command = "start", port = 0, dispatcher = true } = opts;
  const args =
    command === "worker"
      ? ["worker"]
      : [
          "start",
          "--no-demo",
          "--port",
          String(port),
          "--host",
          "127.0.0.1",
          ...(dispatcher ? [] : ["--no-dispatcher"]),
        ];
  const proc = spawn(
    process.execPath,
    [
      ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []),
      join(ROOT, "src/cli/main.ts"),
      ...args,
    ],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const ready = command === "worker" ? /Worker \d+ running()/ : /API:\s+(http:\/\/\S+?)\/api\/v1/;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the service did not start within 120 s:\n${output}`)),
      120_000,
    );
    const onData = () => {
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off("data", onData);
        resolve(m[1] ?? "");
      }
    };
    proc.stdout?.on("data", onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}) before it was ready:\n${output}`));
    });
  });
  if (url) {
    const health = await fetch(`${url}/healthz`);
    if (!health.ok) throw new Error(`${url}/healthz answered ${health.status}`);
  }
  return {
    url,
    pid: proc.pid as number,
    proc,
    log: () => output,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!killed) {
        proc.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** The service as N API processes and M worker processes on one database. */
export interface Services {
  apis: ChildService[];
  workers: ChildService[];
  /** Every process, APIs first: whose CPU is the service's. */
  all: { role: "api" | "worker"; svc: ChildService }[];
  stop(): Promise<void>;
}

/**
 * Start `processes` API processes (on `port`, `port + 1`, … or free ports when 0) and `workers` worker
 * processes. With workers, the API processes run none of the jobs themselves (`--no-dispatcher`), as a
 * scaled-out installation would; without, each API process runs them (they claim work with SKIP LOCKED).
 * One after another: they share the database, and a start is a second or two.
 */
export async function startServices(
  env: NodeJS.ProcessEnv,
  o: { processes: number; workers: number; port: number; dbPool: number; profileDir?: string | undefined },
): Promise<Services> {
  const apiEnv = { ...env, AFTERSALES_DB_POOL: String(poolShare(o.dbPool, o.processes)) };
  const apis: ChildService[] = [];
  const workers: ChildService[] = [];
  const stop = async () => {
    await Promise.all([...apis, ...workers].map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < o.processes; i++)
      apis.push(
        await startChild(apiEnv, o.profileDir, {
          port: o.port ? o.port + i : 0,
          dispatcher: o.workers === 0,
        }),
      );
    for (let i = 0; i < o.workers; i++)
      workers.push(await startChild(env, o.profileDir, { command: "worker" }));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    apis,
    workers,
    all: [
      ...apis.map((svc) => ({ role: "api" as const, svc })),
      ...workers.map((svc) => ({ role: "worker" as const, svc })),
    ],
    stop,
  };
}

/**
 * DROP and CREATE `name` on the server `admin` points at (a copy of `template` when given: nothing may be
 * connected to it); the new database's URL.
 */
export async function recreateDatabase(admin: URL, name: string, template?: string): Promise<string> {
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin.href);
  url.pathname = `/${name}`;
  return url.href;
}

/** An open event stream (GET /api/v1/events), as a console keeps one: each change's data to `onChange`. */
export function watchEvents(
  base: string,
  token: string,
  onChange: (change: Record<string, unknown>, at: number) => void,
): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${base}/api/v1/events`,
      { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /events answered ${res.statusCode}`));
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          for (let i = buffer.indexOf("\n\n"); i >= 0; i = buffer.indexOf("\n\n")) {
            const data = /^data: (.*)$/m.exec(buffer.slice(0, i))?.[1];
            buffer = buffer.slice(i + 2);
            if (data) onChange(JSON.parse(data), at);
          }
        });
        resolve({ close: () => req.destroy() });
      },
    );
    req.on("error", reject);
  });
}

// ─── options (bench/run.ts and bench/burst.ts) ──────────────────────────────────────────────────

/** Read options from parseArgs' `values`, else the environment: text, and whole numbers ≥ `min`. */
export function optionReader(values: Record<string, string | boolean | undefined>, env = process.env) {
  const str = (name: string, envName: string) => {
    const v = values[name];
    if (v === true) throw new Error(`--${name} needs a value`);
    return (v as string | undefined) ?? env[envName];
  };
  const int = (name: string, envName: string, fallback: number, min: number) => {
    const text = str(name, envName);
    const n = text === undefined || text === "" ? fallback : Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be an integer ≥ ${min}, got "${text}"`);
    return n;
  };
  return { str, int };
}

export interface ScaleOptions {
  /** API process counts to run one after another, each on a fresh database: `--processes 1,2`. */
  processes: number[];
  /** Separate `aftersales worker` processes; with any, the API processes run no jobs themselves. */
  workers: number;
  /** The PostgreSQL database the benchmark drops and creates. */
  dbName: string;
  /** The first API process's port (the next ones count up from it); 0: free ports. */
  port: number;
  /**
   * PostgreSQL connections the API processes share (`--db-pool`): each gets its share, so N processes
   * are compared with one on the same database resources, not N times the backends.
   */
  dbPool: number;
}

/** The scale-out options for parseArgs. */
export const SCALE_ARGS = {
  processes: { type: "string" },
  workers: { type: "string" },
  "db-name": { type: "string" },
  port: { type: "string" },
  "db-pool": { type: "string" },
} as const;

/** `--processes N[,N…]`, `--workers M`, `--db-name NAME`, `--port P`, `--db-pool C`, each read through `str`. */
export function readScaleOptions(
  str: (name: string, envName: string) => string | undefined,
  defaultDbName: string,
): ScaleOptions {
  const processesText = str("processes", "BENCH_PROCESSES") ?? "1";
  const processes = processesText.split(",").map((p) => Number(p.trim()));
  if (processes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--processes must be a count ≥ 1 or a list of them (1,2), got "${processesText}"`);
  const int = (name: string, envName: string, max: number) => {
    const text = str(name, envName) ?? "0";
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new Error(`--${name} must be an integer from 0 to ${max}, got "${text}"`);
    return n;
  };
  const dbName = str("db-name", "BENCH_DB_NAME") ?? defaultDbName;
  // It goes into DROP/CREATE DATABASE as it is.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbName))
    throw new Error(`--db-name must be a lower-case PostgreSQL identifier, got "${dbName}"`);
  return {
    processes,
    workers: int("workers", "BENCH_WORKERS", 64),
    dbName,
    port: int("port", "BENCH_PORT", 65_535),
    dbPool: int("db-pool", "BENCH_DB_POOL", 1000) || 10,
  };
}

/** Each API process's share of `--db-pool` connections (AFTERSALES_DB_POOL), at least one. */
export const poolShare = (dbPool: number, processes: number) => Math.max(1, Math.ceil(dbPool / processes));

/** Why these options cannot run on `db` (the embedded database is one process), or undefined. */
export function scaleRefusal(db: string, o: ScaleOptions): string | undefined {
  if (db === "postgres") return undefined;
  if (o.processes.some((n) => n > 1))
    return "--processes above 1 needs PostgreSQL (--db postgres): the embedded database (PGlite) lives inside one process";
  if (o.workers > 0)
    return "--workers needs PostgreSQL (--db postgres): the embedded database runs its jobs inside `aftersales start`";
  return undefined;
}

/**
 * Runs side by side: a header of column names, then a row per measure (a label and a value per column;
 * a row without values is a heading).
 */
export function sideBySide(
  title: string,
  columns: string[],
  rows: { label: string; values?: (number | null | undefined)[]; digits?: number }[],
): string {
  const [labelWidth, col] = [36, 20];
  return [
    title,
    `  ${"".padEnd(labelWidth)}${columns.map((c) => c.padStart(col)).join("")}`,
    ...rows.map(
      ({ label, values, digits = 1 }) =>
        `  ${label.padEnd(labelWidth)}${(values ?? [])
          .map((v) => (v === null || v === undefined ? "-" : v.toFixed(digits)).padStart(col))
          .join("")}`,
    ),
  ].join("\n");
}

/** "2 API + 1 worker" */
export const describeScale = (processes: number, workers: number) =>
  `${processes} API${workers ? ` + ${workers} worker${workers > 1 ? "s" : ""}` : ""}`;

/** What the numbers were measured on, for the results files. */
export function environment() {
  const git = (() => {
    try {
      return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      return null;
    }
  })();
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    platform: `${process.platform} ${process.arch}`,
    git,
    clockTicks: CLK_TCK,
  };
}

// ─── CPU and memory, from /proc ─────────────────────────────────────────────────────────────────

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime and stime of a process (all its threads), in ms. */
export function processCpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which is in parentheses and may hold spaces); [0] is field 3 (state).
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: (Number(rest[11]) * 1000) / CLK_TCK, system: (Number(rest[12]) * 1000) / CLK_TCK };
}
export function processCpuMs(pid: number): number {
  const { user, system } = processCpuSplit(pid);
  return user + system;
}

/** CPU time the whole machine spent busy (all cores), in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  // cpu user nice system idle iowait irq softirq steal …
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return (busy * 1000) / CLK_TCK;
}

export function processMemMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), peak: Math.round(kb("VmHWM") / 1024) };
}

/** PostgreSQL backends serving one database, by their process title; pid → CPU ms. */
export function postgresBackendsCpu(database: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmd.startsWith("postgres: ") && cmd.includes(` ${database} `)) {
        out.set(Number(name), processCpuMs(Number(name)));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * What PostgreSQL has committed so far: the database's transactions (read-only ones too) and the
 * cluster's WAL flushes and bytes — a commit that wrote waits for its flush, the cost that grows with
 * transactions per flow. Backends report within about a second of going idle; read after a pause.
 */
export async function postgresWrites(admin: URL, database: string) {
  const c = new pg.Client({ connectionString: admin.href });
  await c.connect();
  try {
    const { rows } = await c.query<{ commits: string; syncs: string; bytes: string }>(
      `select (select xact_commit from pg_stat_database where datname = $1) as commits,
              wal_sync as syncs, wal_bytes as bytes from pg_stat_wal`,
      [database],
    );
    const r = rows[0];
    return { commits: Number(r?.commits), walSyncs: Number(r?.syncs), walBytes: Number(r?.bytes) };
  } finally {
    await c.end();
  }
}

/** CPU the backends spent between two samples; a backend that appeared in between started at 0. */
export function backendCpuDelta(before: Map<number, number>, after: Map<number, number>) {
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}

/** Each service process's user and system CPU so far, APIs first (as `Services.all`). */
export const servicesCpu = (services: Services) => services.all.map(({ svc }) => processCpuSplit(svc.pid));

// ─── what the service says about itself (GET /healthz) ──────────────────────────────────────────

export interface Health {
  /** This process's database round trips and statements since it started. */
  calls: { roundTrips: number; statements: number };
  /** Analytics rollups folded by a job, when the service reports them (as it likes: see `lagOf`). */
  analytics?: Record<string, unknown>;
}

export async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`);
  if (!res.ok) throw new Error(`${url}/healthz answered ${res.status}`);
  return (await res.json()) as Health;
}

/** Database calls of all the API processes together (workers serve no /healthz: theirs are not in it). */
export async function databaseCalls(services: Services) {
  const all = await Promise.all(services.apis.map((a) => health(a.url)));
  return {
    roundTrips: all.reduce((n, h) => n + h.calls.roundTrips, 0),
    statements: all.reduce((n, h) => n + h.calls.statements, 0),
  };
}

/**
 * What the service reports about its analytics rollups at /healthz, when it does (optional: a service
 * without `analytics` there gives undefined, and nothing is printed).
 */
export async function rollupLag(services: Services): Promise<Health["analytics"] | undefined> {
  const first = services.apis[0];
  if (!first) return undefined;
  const { analytics } = await health(first.url).catch(() => ({}) as Partial<Health>);
  return analytics && typeof analytics === "object" ? analytics : undefined;
}

/**
 * The lag's figures, whichever of the two shapes the service uses: `{ pending, lagMs: { p50, p95, max } }`
 * or `{ pending, lagP95Ms, lagMaxMs, … }`. Fields it lacks are undefined.
 */
export function lagOf(a: Health["analytics"]) {
  const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
  const nested = (a?.lagMs ?? {}) as Record<string, unknown>;
  return {
    pending: num(a?.pending),
    p50: num(nested.p50) ?? num(a?.lagP50Ms),
    p95: num(nested.p95) ?? num(a?.lagP95Ms),
    max: num(nested.max) ?? num(a?.lagMaxMs),
  };
}

export const describeLag = (a: Health["analytics"]) => {
  const l = lagOf(a);
  const ms = (x: number | undefined) => (x === undefined ? "-" : `${Math.round(x)} ms`);
  return `rollup lag p95 ${ms(l.p95)}, max ${ms(l.max)}${l.p50 !== undefined ? `, p50 ${ms(l.p50)}` : ""}; ${l.pending ?? "-"} deltas pending`;
};

// ─── the load generator's HTTP client ───────────────────────────────────────────────────────────

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export type Json = Record<string, unknown>;

export function apiClient(base: string, token: string) {
  // node:http with a keep-alive agent: far cheaper per request than fetch, so the load generator
  // leaves the two cores to the service and the database it measures.
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return function call(method: "GET" | "POST", path: string, body?: unknown): Promise<Json> {
    const payload = method === "POST" ? JSON.stringify(body ?? {}) : undefined;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method,
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload
              ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            let json: Json;
            try {
              json = JSON.parse(text) as Json;
            } catch {
              reject(
                new ApiError(status, "NOT_JSON", `${method} ${path}: HTTP ${status} ${text.slice(0, 200)}`),
              );
              return;
            }
            if (status >= 400) {
              const code = typeof json.code === "string" ? json.code : `HTTP_${status}`;
              reject(
                new ApiError(
                  status,
                  code,
                  `${method} ${path}: ${code} ${String(json.detail ?? json.title ?? "")}`,
                ),
              );
              return;
            }
            resolve(json);
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  };
}
export type Api = ReturnType<typeof apiClient>;

/**
 * Run jobs with `clients` concurrent clients, each taking the next job when its last one ends; `client`
 * says which one runs it (client c talks to API process c mod N).
 */
export async function pool<T>(
  items: T[],
  clients: number,
  job: (item: T, index: number, client: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, items.length) }, async (_, client) => {
      for (let i = next++; i < items.length; i = next++) await job(items[i] as T, i, client);
    }),
  );
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);
