/**
 * HTTP flow benchmark: complete after-sales flows through the public API, over loopback, with C
 * concurrent clients, against the service running as a child process (so its CPU can be measured
 * apart from this load generator and the payment simulator), on PGlite and on PostgreSQL.
 *
 *   npm run bench -- --flows 200 --clients 8 --db both --type both
 *   npm run bench -- --db postgres --clients 16 --processes 1,2 --workers 1   1 vs 2 API processes, side by side
 *   aftersales bench --flows 200            (options also as BENCH_FLOWS, BENCH_CLIENTS, BENCH_DB, …)
 *   npm run bench -- backtest               the rules engine benchmark instead (bench/backtest.ts)
 *   npm run bench -- analytics              analytics questions at 1M cases (bench/analytics.ts)
 *   npm run bench -- events                 live change latency to event streams (bench/events.ts)
 *   npm run bench -- import                 the bulk import benchmark instead (bench/import.ts)
 *   npm run bench -- suggest                rules learned from the demo history (bench/suggest.ts)
 *   npm run bench -- burst                  a sale-day burst of refund requests (bench/burst.ts; npm run bench:burst)
 *   npm run bench -- console                the reviewer queue, kanban and views at 100,000 open cases (bench/console.ts)
 *
 * See bench/README.md for what is measured and how to read it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type SandboxPaySimulator,
  startSandboxPaySimulator,
} from "../src/channels/payments/sandbox/simulator.ts";
import { mulberry32 } from "../src/cli/random.ts";
import { formatMinor, parseMinor } from "../src/domain/money.ts";
import { openStore } from "../src/store/db.ts";
import { createToken } from "../src/store/tokens.ts";
import { findPostgres } from "./postgres.ts";
import {
  type Api,
  type ApiError,
  apiClient,
  backendCpuDelta,
  databaseCalls,
  describeLag,
  describeScale,
  environment,
  type Health,
  type Json,
  lagOf,
  machineBusyMs,
  optionReader,
  percentile,
  pool,
  postgresBackendsCpu,
  postgresWrites,
  processMemMb,
  readScaleOptions,
  recreateDatabase,
  rollupLag,
  round,
  SCALE_ARGS,
  type ScaleOptions,
  type Services,
  scaleRefusal,
  servicesCpu,
  sideBySide,
  startServices,
  watchEvents,
} from "./service.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CURRENCY = "CNY";
const SHOP = "bench-shop";

type DbKind = "pglite" | "postgres";
type FlowType = "refund_only" | "return_refund";
type Call = "submit" | "approve" | "return-shipment" | "receive" | "inspect" | "grant-refund" | "close";
const CALLS: Record<FlowType, Call[]> = {
  refund_only: ["submit", "approve", "grant-refund", "close"],
  return_refund: ["submit", "approve", "return-shipment", "receive", "inspect", "grant-refund", "close"],
};
const TARGETS = {
  flowsPerSecond: { postgres: 100, pglite: 30 } as Record<DbKind, number>,
  /** The throughput targets are stated for return_refund at 8 clients. */
  throughputType: "return_refund" as FlowType,
  throughputClients: 8,
  appCpuMsPerFlow: 10,
};

// ─── options ────────────────────────────────────────────────────────────────────────────────────

interface Options extends ScaleOptions {
  flows: number;
  clients: number;
  warmup: number;
  dbs: DbKind[];
  types: FlowType[];
  pgUrl: string | undefined;
  refundGraceMs: number;
  seed: number;
  /** Write a V8 CPU profile of the service (node --cpu-prof) for each database. */
  cpuProf: boolean;
  /** Event streams (GET /api/v1/events) open throughout, as consoles watching keep them. */
  streams: number;
}

function readOptions(): Options {
  // Run directly (`node bench/run.ts …`) or through `aftersales bench …`, whose first positional is "bench".
  const args = process.argv.slice(2);
  if (args[0] === "bench") args.shift();
  const { values } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    options: {
      flows: { type: "string" },
      clients: { type: "string" },
      warmup: { type: "string" },
      db: { type: "string" },
      type: { type: "string" },
      "pg-url": { type: "string" },
      "refund-grace-ms": { type: "string" },
      seed: { type: "string" },
      "cpu-prof": { type: "boolean" },
      streams: { type: "string" },
      ...SCALE_ARGS,
    },
  });
  const env = process.env;
  const { str, int } = optionReader(values, env);
  const clients = int("clients", "BENCH_CLIENTS", 8, 1);
  const db = str("db", "BENCH_DB") ?? "both";
  const type = str("type", "BENCH_TYPE") ?? "both";
  if (!["pglite", "postgres", "both"].includes(db)) throw new Error(`--db must be pglite, postgres or both`);
  if (!["refund_only", "return_refund", "both"].includes(type))
    throw new Error(`--type must be refund_only, return_refund or both`);
  const scale = readScaleOptions(str, "aftersales_bench");
  const refusal = scaleRefusal(db, scale);
  if (refusal) throw new Error(refusal);
  return {
    ...scale,
    flows: int("flows", "BENCH_FLOWS", 400, 1),
    clients,
    warmup: int("warmup", "BENCH_WARMUP", Math.max(40, 4 * clients), 0),
    dbs: db === "both" ? ["pglite", "postgres"] : [db as DbKind],
    types: type === "both" ? ["refund_only", "return_refund"] : [type as FlowType],
    pgUrl: str("pg-url", "BENCH_PG_URL"),
    // The service's default is 15 s; shorter so the outbox's follow-up of each refund lands in the window
    // we measure (it must stay well above grant-refund's latency, or the dispatcher races the inline send).
    refundGraceMs: int("refund-grace-ms", "BENCH_REFUND_GRACE_MS", 2000, 0),
    seed: int("seed", "BENCH_SEED", 42, 0),
    cpuProf: values["cpu-prof"] === true || env.BENCH_CPU_PROF === "1",
    streams: int("streams", "BENCH_STREAMS", 0, 0),
  };
}

// ─── small helpers ──────────────────────────────────────────────────────────────────────────────

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ─── orders ─────────────────────────────────────────────────────────────────────────────────────

interface BenchOrder {
  externalId: string;
  transactionId: string;
  paidTotal: number; // what we expect, minor units
  id: number;
  lines: { id: number; quantity: number }[];
}

/** One order: 1–3 lines, sometimes a line discount, a coupon, a shipping fee, one wechat_pay payment, delivered. */
function makeOrder(rand: () => number, runId: string, type: FlowType, i: number) {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const lines = Array.from({ length: int(1, 3) }, (_, n) => {
    const quantity = int(1, 3);
    const unitPrice = int(990, 29_900);
    const discount = rand() < 0.3 ? int(100, Math.floor((unitPrice * quantity) / 10)) : 0;
    return { n, quantity, unitPrice, discount };
  });
  const net = lines.reduce((a, l) => a + l.unitPrice * l.quantity - l.discount, 0);
  const coupon = Math.min(int(300, 3000), net - 1);
  const shipping = int(500, 1500);
  const paidTotal = net - coupon + shipping;
  const externalId = `${runId}-${type === "refund_only" ? "RO" : "RR"}-${i}`;
  const transactionId = `4200${runId}${type === "refund_only" ? 1 : 2}${String(i).padStart(7, "0")}`;
  const placed = new Date(Date.now() - int(2, 10) * 86_400_000);
  const body = {
    shop: SHOP,
    externalId,
    currency: CURRENCY,
    customer: { id: `bench-cust-${int(1, 500)}`, name: "Bench Buyer" },
    placedAt: placed.toISOString(),
    paidAt: new Date(placed.getTime() + 60_000).toISOString(),
    lines: lines.map((l) => ({
      externalId: `L${l.n + 1}`,
      sku: `SKU-${int(1, 60)}`,
      title: `Bench item ${l.n + 1}`,
      quantity: l.quantity,
      unitPrice: formatMinor(l.unitPrice, CURRENCY),
      ...(l.discount ? { discount: formatMinor(l.discount, CURRENCY) } : {}),
    })),
    discounts: [{ kind: "coupon", name: "满减券", amount: formatMinor(coupon, CURRENCY) }],
    shippingFee: formatMinor(shipping, CURRENCY),
    payments: [{ tender: "wechat_pay", amount: formatMinor(paidTotal, CURRENCY), transactionId }],
    shipments: [
      {
        carrier: "SF",
        trackingNo: `SF${transactionId}`,
        status: "delivered",
        shippedAt: new Date(placed.getTime() + 86_400_000).toISOString(),
      },
    ],
  };
  return { body, externalId, transactionId, paidTotal };
}

/** Client c talks to API process c mod N: the load spread evenly, each client on one process. */
const apiOf = (apis: Api[], client: number) => apis[client % apis.length] as Api;

async function createOrders(apis: Api[], opts: Options, runId: string, type: FlowType, count: number) {
  const rand = mulberry32(opts.seed + (type === "refund_only" ? 1 : 2));
  const specs = Array.from({ length: count }, (_, i) => makeOrder(rand, runId, type, i));
  const orders: BenchOrder[] = new Array(count);
  await pool(specs, opts.clients, async (spec, i, client) => {
    const api = apiOf(apis, client);
    const created = await api("POST", "/api/v1/orders", spec.body);
    const detail = await api("GET", `/api/v1/orders/${created.id}`);
    const paid = parseMinor(String(detail.paidTotal), CURRENCY);
    if (paid !== spec.paidTotal)
      throw new Error(`order ${spec.externalId}: paidTotal ${paid} ≠ expected ${spec.paidTotal}`);
    const lines = detail.lines as { id: number; quantity: number }[];
    orders[i] = {
      externalId: spec.externalId,
      transactionId: spec.transactionId,
      paidTotal: spec.paidTotal,
      id: Number(created.id),
      lines: lines.map((l) => ({ id: l.id, quantity: l.quantity })),
    };
  });
  return orders;
}

// ─── flows ──────────────────────────────────────────────────────────────────────────────────────

type Latencies = Record<Call, number[]>;
const emptyLatencies = (): Latencies => ({
  submit: [],
  approve: [],
  "return-shipment": [],
  receive: [],
  inspect: [],
  "grant-refund": [],
  close: [],
});

interface FlowOutcome {
  caseId: number | undefined;
  error?: { call: Call; code: string; message: string };
}

async function runFlow(api: Api, type: FlowType, order: BenchOrder, lat: Latencies): Promise<FlowOutcome> {
  let caseId: number | undefined;
  const step = async (call: Call, path: string, body: unknown, expectStatus: string) => {
    const t0 = performance.now();
    let res: Json;
    try {
      res = await api("POST", path, body);
    } catch (e) {
      const err = e as ApiError;
      throw Object.assign(new Error(err.message), { call, code: err.code ?? "ERROR" });
    }
    lat[call].push(performance.now() - t0);
    if (res.status !== expectStatus) {
      throw Object.assign(new Error(`${call}: case is ${String(res.status)}, expected ${expectStatus}`), {
        call,
        code: "UNEXPECTED_STATUS",
      });
    }
    return res;
  };
  try {
    const submitted = await step(
      "submit",
      "/api/v1/cases",
      {
        orderId: order.id,
        type,
        reason: "quality",
        items: order.lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
        description: "Bench: whole order, quality problem",
      },
      "requested",
    );
    caseId = Number(submitted.id);
    const c = `/api/v1/cases/${caseId}`;
    if (type === "refund_only") {
      await step("approve", `${c}/approve`, {}, "approved");
    } else {
      await step("approve", `${c}/approve`, {}, "awaiting_return");
      await step(
        "return-shipment",
        `${c}/return-shipment`,
        { carrier: "SF", trackingNo: `SFR${order.transactionId}` },
        "return_in_transit",
      );
      const quantity = order.lines.reduce((a, l) => a + l.quantity, 0);
      await step("receive", `${c}/receive`, { quantity, condition: "intact" }, "received");
      await step("inspect", `${c}/inspect`, { result: "pass" }, "inspected");
    }
    const granted = await step("grant-refund", `${c}/grant-refund`, {}, "refunded");
    const refund = granted.refund as { status?: string } | undefined;
    if (refund?.status !== "succeeded") {
      throw Object.assign(
        new Error(`grant-refund: refund is ${String(refund?.status)}, expected succeeded`),
        {
          call: "grant-refund",
          code: "REFUND_NOT_SUCCEEDED",
        },
      );
    }
    await step("close", `${c}/close`, {}, "closed");
    return { caseId };
  } catch (e) {
    const err = e as Error & { call: Call; code: string };
    return { caseId, error: { call: err.call, code: err.code, message: err.message } };
  }
}

interface PhaseResult {
  type: FlowType;
  flows: number;
  failed: number;
  errors: Record<string, number>;
  wallMs: number;
  flowsPerSecond: number;
  appCpuMs: number;
  appCpuMsPerFlow: number;
  /** The part of appCpuMsPerFlow spent in the kernel (system time): mostly loopback socket I/O. */
  appCpuKernelMsPerFlow: number;
  appCpuMsPerFlowInclOutbox: number;
  /** App CPU per flow of each service process (APIs first, then workers); appCpuMsPerFlow is their sum. */
  perProcess: { role: "api" | "worker"; pid: number; cpuMsPerFlow: number }[];
  dbCpuMsPerFlow: number | null;
  /** The service's database round trips and statements per flow, as it counts them (GET /healthz). */
  dbRoundTripsPerFlow: number;
  dbStatementsPerFlow: number;
  /**
   * PostgreSQL's own count, the outbox follow-up and pollers included: transactions committed (read-only
   * ones too), WAL flushes and WAL written, per flow.
   */
  postgres?: { commitsPerFlow: number; walSyncsPerFlow: number; walKbPerFlow: number };
  benchCpuMsPerFlow: number;
  otherCores: number;
  machineCores: number;
  loadAverage1m: number;
  /** What GET /healthz said about the analytics rollups after the phase, when it says anything. */
  analytics?: Health["analytics"];
  latencyMs: Partial<
    Record<
      Call,
      { n: number; p50: number | null; p99: number | null; mean: number | null; max: number | null }
    >
  >;
  outcomes: FlowOutcome[];
}

async function runType(
  apis: Api[],
  services: Services,
  opts: Options,
  type: FlowType,
  orders: BenchOrder[],
  pgDatabase: string | undefined,
  pgAdmin?: URL,
): Promise<PhaseResult & { warmupOutcomes: FlowOutcome[] }> {
  const warm = orders.slice(0, opts.warmup);
  const measured = orders.slice(opts.warmup);
  const drain = () => sleep(opts.refundGraceMs + 1500); // the dispatcher polls every second

  const warmupOutcomes: FlowOutcome[] = new Array(warm.length);
  await pool(warm, opts.clients, async (o, i, client) => {
    warmupOutcomes[i] = await runFlow(apiOf(apis, client), type, o, emptyLatencies());
  });
  await drain(); // the warm-up's outbox messages are not ours to count

  const lat = emptyLatencies();
  const outcomes: FlowOutcome[] = new Array(measured.length);
  const writes = () => (pgAdmin && pgDatabase ? postgresWrites(pgAdmin, pgDatabase) : undefined);
  const writes0 = await writes();
  const calls0 = await databaseCalls(services);
  const db0 = pgDatabase ? postgresBackendsCpu(pgDatabase) : undefined;
  const split0 = servicesCpu(services);
  const machine0 = machineBusyMs();
  const bench0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(measured, opts.clients, async (o, i, client) => {
    outcomes[i] = await runFlow(apiOf(apis, client), type, o, lat);
  });
  const wallMs = performance.now() - t0;
  const split1 = servicesCpu(services);
  const machine1 = machineBusyMs();
  const bench1 = process.cpuUsage(bench0);
  const db1 = pgDatabase ? postgresBackendsCpu(pgDatabase) : undefined;
  const calls1 = await databaseCalls(services);
  const load = loadavg()[0] ?? 0;
  await drain(); // each refund's outbox message comes due refundGraceMs after its grant
  const split2 = servicesCpu(services);
  // Read after the drain: the fold job has had its chance at the phase's last deltas.
  const analytics = await rollupLag(services);
  await sleep(1100); // the backends report what they committed within a second of going idle
  const writes1 = await writes();
  // The service's CPU is every process's: API processes and workers.
  const sum = (xs: { user: number; system: number }[], part?: "user" | "system") =>
    xs.reduce((a, x) => a + (part ? x[part] : x.user + x.system), 0);
  const cpu0 = sum(split0);
  const cpu1 = sum(split1);
  const cpu2 = sum(split2);

  const errors: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.error)
      errors[`${o.error.call}:${o.error.code}`] = (errors[`${o.error.call}:${o.error.code}`] ?? 0) + 1;
  }
  const n = measured.length;
  const latencyMs: PhaseResult["latencyMs"] = {};
  for (const call of CALLS[type]) {
    const xs = [...lat[call]].sort((a, b) => a - b);
    latencyMs[call] = {
      n: xs.length,
      p50: round(percentile(xs, 0.5), 2),
      p99: round(percentile(xs, 0.99), 2),
      mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 2),
      max: round(xs.at(-1) ?? Number.NaN, 2),
    };
  }
  return {
    type,
    flows: n,
    failed: outcomes.filter((o) => o.error).length,
    errors,
    wallMs: Math.round(wallMs),
    flowsPerSecond: round((n * 1000) / wallMs, 1) ?? 0,
    appCpuMs: Math.round(cpu1 - cpu0),
    appCpuMsPerFlow: round((cpu1 - cpu0) / n, 2) ?? 0,
    appCpuKernelMsPerFlow: round((sum(split1, "system") - sum(split0, "system")) / n, 2) ?? 0,
    appCpuMsPerFlowInclOutbox: round((cpu2 - cpu0) / n, 2) ?? 0,
    perProcess: services.all.map(({ role, svc }, i) => ({
      role,
      pid: svc.pid,
      cpuMsPerFlow: round((sum(split1.slice(i, i + 1)) - sum(split0.slice(i, i + 1))) / n, 2) ?? 0,
    })),
    dbCpuMsPerFlow: db0 && db1 ? round(backendCpuDelta(db0, db1) / n, 2) : null,
    dbRoundTripsPerFlow: round((calls1.roundTrips - calls0.roundTrips) / n, 1) ?? 0,
    dbStatementsPerFlow: round((calls1.statements - calls0.statements) / n, 1) ?? 0,
    ...(writes0 && writes1
      ? {
          postgres: {
            commitsPerFlow: round((writes1.commits - writes0.commits) / n, 1) ?? 0,
            walSyncsPerFlow: round((writes1.walSyncs - writes0.walSyncs) / n, 1) ?? 0,
            walKbPerFlow: round((writes1.walBytes - writes0.walBytes) / 1024 / n, 1) ?? 0,
          },
        }
      : {}),
    benchCpuMsPerFlow: round((bench1.user + bench1.system) / 1000 / n, 2) ?? 0,
    // Everything else the machine did meanwhile (other processes, PostgreSQL's own background work):
    // cores' worth, averaged over the phase. Much above 0 means the numbers are disturbed.
    otherCores:
      round(
        (machine1 -
          machine0 -
          (cpu1 - cpu0) -
          (bench1.user + bench1.system) / 1000 -
          (db0 && db1 ? backendCpuDelta(db0, db1) : 0)) /
          wallMs,
        2,
      ) ?? 0,
    machineCores: round((machine1 - machine0) / wallMs, 2) ?? 0,
    loadAverage1m: round(load, 2) ?? 0,
    ...(analytics ? { analytics } : {}),
    latencyMs,
    outcomes,
    warmupOutcomes,
  };
}

// ─── verification ───────────────────────────────────────────────────────────────────────────────

interface Verification {
  cases: number;
  closed: number;
  refundsInSimulator: number;
  problems: string[];
}

async function verify(
  api: Api,
  sim: SandboxPaySimulator,
  opts: Options,
  byType: { orders: BenchOrder[]; outcomes: FlowOutcome[] }[],
): Promise<Verification> {
  const problems: string[] = [];
  const simRefunds = sim.refunds();
  const byKey = new Map<string, (typeof simRefunds)[number][]>();
  const byTransaction = new Map<string, number>();
  for (const r of simRefunds) {
    byKey.set(r.out_refund_no, [...(byKey.get(r.out_refund_no) ?? []), r]);
    if (r.transaction_id) byTransaction.set(r.transaction_id, (byTransaction.get(r.transaction_id) ?? 0) + 1);
  }
  const checks: { order: BenchOrder; caseId: number | undefined }[] = [];
  for (const { orders, outcomes } of byType) {
    outcomes.forEach((o, i) => {
      checks.push({ order: orders[i] as BenchOrder, caseId: o.caseId });
    });
  }
  let closed = 0;
  const note = (p: string) => {
    if (problems.length < 50) problems.push(p);
  };
  await pool(checks, opts.clients, async ({ order, caseId }) => {
    if (caseId === undefined) return note(`order ${order.externalId}: no case was created`);
    const kase = await api("GET", `/api/v1/cases/${caseId}`);
    if (kase.status === "closed") closed++;
    else note(`case ${caseId}: ${String(kase.status)}, not closed`);
    const refunds = kase.refunds as { idempotencyKey: string; amount: string; status: string }[];
    if (refunds.length !== 1) return note(`case ${caseId}: ${refunds.length} refunds, expected 1`);
    const [refund] = refunds as [(typeof refunds)[number]];
    if (refund.status !== "succeeded") note(`case ${caseId}: refund ${refund.status}`);
    if (parseMinor(refund.amount, CURRENCY) !== order.paidTotal)
      note(`case ${caseId}: refund ${refund.amount}, order paid ${formatMinor(order.paidTotal, CURRENCY)}`);
    const atChannel = byKey.get(refund.idempotencyKey) ?? [];
    if (atChannel.length !== 1) return note(`case ${caseId}: ${atChannel.length} refunds at the channel`);
    const [sent] = atChannel as [(typeof atChannel)[number]];
    if (sent.status !== "SUCCESS") note(`case ${caseId}: channel refund ${sent.status}`);
    if (sent.amount.refund !== order.paidTotal)
      note(`case ${caseId}: channel refunded ${sent.amount.refund}, order paid ${order.paidTotal}`);
    if (sent.transaction_id !== order.transactionId)
      note(`case ${caseId}: channel refund went to ${sent.transaction_id}, not ${order.transactionId}`);
    if (byTransaction.get(order.transactionId) !== 1)
      note(
        `order ${order.externalId}: ${byTransaction.get(order.transactionId) ?? 0} refunds on its payment`,
      );
    const o = await api("GET", `/api/v1/orders/${order.id}`);
    if (parseMinor(String(o.refundedTotal), CURRENCY) !== order.paidTotal)
      note(
        `order ${order.externalId}: refundedTotal ${String(o.refundedTotal)} ≠ paid ${String(o.paidTotal)}`,
      );
  });
  if (simRefunds.length !== checks.length)
    note(`the simulator holds ${simRefunds.length} refunds for ${checks.length} cases`);
  return { cases: checks.length, closed, refundsInSimulator: simRefunds.length, problems };
}

interface DbResult {
  db: DbKind;
  /** API processes and separate worker processes the service ran as. */
  processes: number;
  workers: number;
  skipped?: string;
  setup?: { storeMs: number; startMs: number; ordersPerType: number; ingestOrdersPerSecond: number };
  phases: Omit<PhaseResult, "outcomes">[];
  verification?: Verification;
  /** Each service process at the end: role, pid, memory. */
  serviceProcesses?: {
    role: "api" | "worker";
    pid: number;
    url: string;
    memoryMb: { rss: number; peak: number };
  }[];
  cpuProfiles?: string[];
  /** Changes the open event streams received, all of them together. */
  streamedChanges?: number;
  error?: string;
}

async function runDb(
  kind: DbKind,
  opts: Options,
  pgAdmin: URL | undefined,
  processes: number,
): Promise<DbResult> {
  const result: DbResult = { db: kind, processes, workers: opts.workers, phases: [] };
  const runId = `${Date.now().toString(36).slice(-5)}${randomBytes(2).toString("hex")}`.toUpperCase();
  const secret = randomBytes(16).toString("hex");
  const sim = await startSandboxPaySimulator({ port: 0, secret });
  let dataDir: string | undefined;
  let services: Services | undefined;
  const streams: { close(): void }[] = [];
  let profileDir: string | undefined;
  const pgDatabase = kind === "postgres" ? opts.dbName : undefined;
  try {
    // 1. A fresh database with one shop and an admin token, written directly, then closed.
    let t = performance.now();
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      PAY_SANDBOX_URL: sim.url,
      PAY_SANDBOX_SECRET: secret,
      AFTERSALES_REFUND_GRACE_MS: String(opts.refundGraceMs),
      AFTERSALES_DEMO: "0",
      AFTERSALES_LOG: "0",
    };
    delete childEnv.DATABASE_URL;
    delete childEnv.DATA_DIR;
    let store: Awaited<ReturnType<typeof openStore>>;
    if (kind === "pglite") {
      dataDir = mkdtempSync(join(tmpdir(), "aftersales-bench-"));
      store = await openStore({ dataDir });
      childEnv.DATA_DIR = dataDir;
    } else {
      const url = await recreateDatabase(pgAdmin as URL, pgDatabase as string);
      store = await openStore({ databaseUrl: url });
      childEnv.DATABASE_URL = url;
    }
    let token: string;
    try {
      await store.db
        .insertInto("shops")
        .values({ id: SHOP, name: "Bench shop", channel: "manual" })
        .execute();
      token = (await createToken(store.db, { name: "bench-admin", role: "admin" })).token;
    } finally {
      await store.close(); // PGlite's directory is locked while open
    }
    const storeMs = performance.now() - t;

    // 2. The service as child processes: N API processes, M workers.
    t = performance.now();
    profileDir = opts.cpuProf ? mkdtempSync(join(tmpdir(), `aftersales-bench-prof-${kind}-`)) : undefined;
    services = await startServices(childEnv, {
      processes,
      workers: opts.workers,
      port: opts.port,
      dbPool: opts.dbPool,
      profileDir,
    });
    const startMs = performance.now() - t;
    const apis = services.apis.map((a) => apiClient(a.url, token));
    const first = services.apis[0] as (typeof services.apis)[number];
    console.log(
      `  service: ${services.all.map(({ role, svc }) => `${role} pid ${svc.pid}${svc.url ? ` at ${svc.url}` : ""}`).join(", ")}` +
        ` (store ready in ${(storeMs / 1000).toFixed(1)} s, service in ${(startMs / 1000).toFixed(1)} s)`,
    );
    result.streamedChanges = 0;
    for (let i = 0; i < opts.streams; i++)
      streams.push(
        await watchEvents(first.url, token, () => {
          result.streamedChanges = (result.streamedChanges ?? 0) + 1;
        }),
      );

    // 3. Orders, one per flow (warm-up included) — not measured as part of the flows.
    t = performance.now();
    const orders = new Map<FlowType, BenchOrder[]>();
    for (const type of opts.types) {
      orders.set(type, await createOrders(apis, opts, runId, type, opts.warmup + opts.flows));
    }
    const ingestMs = performance.now() - t;
    const totalOrders = opts.types.length * (opts.warmup + opts.flows);
    console.log(`  ${totalOrders} orders ingested in ${(ingestMs / 1000).toFixed(1)} s (POST + GET each)`);
    result.setup = {
      storeMs: Math.round(storeMs),
      startMs: Math.round(startMs),
      ordersPerType: opts.warmup + opts.flows,
      ingestOrdersPerSecond: round((totalOrders * 1000) / ingestMs, 1) ?? 0,
    };

    // 4. The measured flows, one type at a time.
    const toVerify: { orders: BenchOrder[]; outcomes: FlowOutcome[] }[] = [];
    for (const type of opts.types) {
      const typeOrders = orders.get(type) as BenchOrder[];
      console.log(
        `  ${type}: ${opts.warmup} warm-up + ${opts.flows} measured flows, ${opts.clients} clients…`,
      );
      const { outcomes, warmupOutcomes, ...phase } = await runType(
        apis,
        services,
        opts,
        type,
        typeOrders,
        pgDatabase,
        pgAdmin,
      );
      result.phases.push(phase);
      toVerify.push({ orders: typeOrders.slice(0, opts.warmup), outcomes: warmupOutcomes });
      toVerify.push({ orders: typeOrders.slice(opts.warmup), outcomes });
      printPhase(kind, phase, opts, processes);
    }
    result.serviceProcesses = services.all.map(({ role, svc }) => ({
      role,
      pid: svc.pid,
      url: svc.url,
      memoryMb: processMemMb(svc.pid),
    }));

    // 5. Every case closed, exactly one refund per case at the channel, for what the order paid.
    result.verification = await verify(apis[0] as Api, sim, opts, toVerify);
    const v = result.verification;
    console.log(
      `  verified: ${v.closed}/${v.cases} cases closed, ${v.refundsInSimulator} refunds at the simulator` +
        (v.problems.length
          ? ` — ${v.problems.length} problem(s):\n    ${v.problems.slice(0, 10).join("\n    ")}`
          : " — all correct"),
    );
  } catch (e) {
    result.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    console.error(`  FAILED: ${result.error}`);
    for (const { role, svc } of services?.all ?? [])
      console.error(`  ${role} ${svc.pid} output (tail):\n${svc.log().slice(-3000)}`);
  } finally {
    for (const s of streams) s.close();
    if (opts.streams)
      console.log(`  ${opts.streams} event streams received ${result.streamedChanges} changes`);
    await services?.stop();
    await sim.close();
    if (profileDir) {
      const dir = profileDir;
      result.cpuProfiles = readdirSync(dir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => join(dir, f));
      console.log(`  CPU profiles of the service: ${result.cpuProfiles.join(", ") || "(none written)"}`);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}

// ─── output ─────────────────────────────────────────────────────────────────────────────────────

const DB_LABEL: Record<DbKind, string> = { pglite: "PGlite (embedded)", postgres: "PostgreSQL" };
const mark = (ok: boolean) => (ok ? "✓ met" : "✗ MISSED");

function printPhase(kind: DbKind, p: Omit<PhaseResult, "outcomes">, opts: Options, processes: number) {
  const lines: string[] = [];
  const throughputTarget =
    p.type === TARGETS.throughputType && opts.clients === TARGETS.throughputClients
      ? `   target ≥ ${TARGETS.flowsPerSecond[kind]} ${mark(p.flowsPerSecond >= TARGETS.flowsPerSecond[kind])}`
      : p.type === TARGETS.throughputType
        ? `   (target ≥ ${TARGETS.flowsPerSecond[kind]} is for ${TARGETS.throughputClients} clients)`
        : "";
  lines.push(
    `\n  ${DB_LABEL[kind]}, ${describeScale(processes, opts.workers)} — ${p.type}: ${p.flows} flows, ${opts.clients} clients, ${(p.wallMs / 1000).toFixed(1)} s`,
  );
  lines.push(`    throughput        ${p.flowsPerSecond.toFixed(1).padStart(8)} flows/s${throughputTarget}`);
  lines.push(
    `    app CPU           ${p.appCpuMsPerFlow.toFixed(2).padStart(8)} ms/flow   target ≤ ${TARGETS.appCpuMsPerFlow} ${mark(p.appCpuMsPerFlow <= TARGETS.appCpuMsPerFlow)}` +
      `   (${p.appCpuKernelMsPerFlow.toFixed(2)} of it in the kernel; ${p.appCpuMsPerFlowInclOutbox.toFixed(2)} incl. the outbox follow-up)`,
  );
  if (p.perProcess.length > 1)
    lines.push(
      `      per process     ${p.perProcess.map((x) => `${x.role} ${x.pid}: ${x.cpuMsPerFlow.toFixed(2)}`).join(", ")}`,
    );
  if (p.dbCpuMsPerFlow !== null)
    lines.push(
      `    PostgreSQL CPU    ${p.dbCpuMsPerFlow.toFixed(2).padStart(8)} ms/flow   (its backends; not part of app CPU)`,
    );
  lines.push(
    `    database calls    ${p.dbRoundTripsPerFlow.toFixed(1).padStart(8)} round trips/flow, ${p.dbStatementsPerFlow.toFixed(1)} of them statements (the rest BEGIN/COMMIT; the API processes' pollers included${opts.workers ? ", the workers' not counted" : ""})`,
  );
  if (p.postgres)
    lines.push(
      `    commits           ${p.postgres.commitsPerFlow.toFixed(1).padStart(8)} transactions/flow, ${p.postgres.walSyncsPerFlow.toFixed(1)} WAL flushes, ${p.postgres.walKbPerFlow.toFixed(1)} KB of WAL (PostgreSQL's count, the outbox follow-up included)`,
    );
  if (p.analytics) lines.push(`    analytics         ${describeLag(p.analytics)}`);
  lines.push(
    `    load generator    ${p.benchCpuMsPerFlow.toFixed(2).padStart(8)} ms/flow   (this process, incl. the payment simulator)`,
  );
  lines.push(
    `    machine           ${p.machineCores.toFixed(2).padStart(8)} cores busy, ${p.otherCores.toFixed(2)} of them by other processes` +
      (p.otherCores > 0.25 ? "  ⚠ the machine was not idle: throughput is understated" : ""),
  );
  if (p.failed) lines.push(`    FAILED FLOWS      ${p.failed}: ${JSON.stringify(p.errors)}`);
  lines.push(
    `    ${"call".padEnd(16)}${"n".padStart(6)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"mean".padStart(9)}${"max".padStart(9)}`,
  );
  for (const [call, l] of Object.entries(p.latencyMs)) {
    const f = (x: number | null) => (x === null ? "-" : x.toFixed(1)).padStart(9);
    lines.push(
      `    ${call.padEnd(16)}${String(l.n).padStart(6)}${f(l.p50)}${f(l.p99)}${f(l.mean)}${f(l.max)}`,
    );
  }
  console.log(lines.join("\n"));
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────

/** 1 vs 2 processes (or more), side by side: one column per run, one block per flow type. */
function printComparison(kind: DbKind, runs: DbResult[], opts: Options) {
  const rows = opts.types.flatMap((type) => {
    const phases = runs.map((r) => r.phases.find((p) => p.type === type));
    const row = (
      label: string,
      value: (p: Omit<PhaseResult, "outcomes">) => number | null | undefined,
      digits = 1,
    ) => ({
      label: `  ${label}`,
      values: phases.map((p) => (p ? value(p) : null)),
      digits,
    });
    return [
      { label: type },
      row("flows/s", (p) => p.flowsPerSecond),
      row("app CPU ms/flow (all processes)", (p) => p.appCpuMsPerFlow, 2),
      row("PostgreSQL CPU ms/flow", (p) => p.dbCpuMsPerFlow, 2),
      row("total CPU ms/flow", (p) => p.appCpuMsPerFlow + (p.dbCpuMsPerFlow ?? 0), 2),
      row("submit p99 ms", (p) => p.latencyMs.submit?.p99),
      row("machine cores busy", (p) => p.machineCores, 2),
      row("other processes, cores", (p) => p.otherCores, 2),
      row("rollup lag p95 ms", (p) => lagOf(p.analytics).p95, 0),
    ];
  });
  console.log(
    sideBySide(
      `\n${DB_LABEL[kind]}, ${opts.clients} clients — side by side`,
      runs.map((r) => describeScale(r.processes, r.workers)),
      rows,
    ),
  );
}

async function main() {
  let opts: Options;
  try {
    opts = readOptions();
  } catch (e) {
    // A wrong option is the user's to fix: its message, not a stack.
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
    return;
  }
  const env = environment();
  const scale = opts.processes.map((n) => describeScale(n, opts.workers)).join(" vs ");
  console.log(
    `Aftersales HTTP flow benchmark — ${opts.flows} flows per type (+${opts.warmup} warm-up), ${opts.clients} clients, ` +
      `${opts.types.join(" + ")}, on ${opts.dbs.join(" + ")}${opts.streams ? `, ${opts.streams} event streams open` : ""}, ${scale}\n` +
      `Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}); the service runs as child processes`,
  );
  const resultsDir = join(ROOT, "bench", "results");
  // The one-process run keeps its results file; other shapes get their own, holding every run.
  const scaledOut = opts.processes.length > 1 || opts.processes[0] !== 1 || opts.workers > 0;
  let failed = false;
  for (const kind of opts.dbs) {
    console.log(`\n${DB_LABEL[kind]}`);
    let pgAdmin: URL | undefined;
    if (kind === "postgres") {
      pgAdmin = await findPostgres(opts.pgUrl);
      if (!pgAdmin) {
        const tried = opts.pgUrl
          ? opts.pgUrl.replace(/:[^:@/]*@/, ":***@")
          : "postgres://{postgres,root}@127.0.0.1:5432";
        console.log(`  skipped: no PostgreSQL reachable at ${tried} (set --pg-url or BENCH_PG_URL)`);
        continue;
      }
    }
    const runs: DbResult[] = [];
    for (const processes of opts.processes) {
      if (opts.processes.length > 1) console.log(`\n  — ${describeScale(processes, opts.workers)} —`);
      const r = await runDb(kind, opts, pgAdmin, processes);
      if (r.error || r.phases.some((p) => p.failed > 0) || (r.verification?.problems.length ?? 0) > 0)
        failed = true;
      if (r.phases.length > 0) runs.push(r);
    }
    if (runs.length === 0) {
      console.log("  nothing measured: results not written");
      continue;
    }
    if (runs.length > 1) printComparison(kind, runs, opts);
    if (!existsSync(resultsDir)) mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `http-flows-${kind}${scaledOut ? "-scale" : ""}.json`);
    const targets = {
      flowsPerSecond: TARGETS.flowsPerSecond[kind],
      forType: TARGETS.throughputType,
      atClients: TARGETS.throughputClients,
      appCpuMsPerFlow: TARGETS.appCpuMsPerFlow,
    };
    const { pgUrl: _, ...shownOptions } = opts;
    const head = {
      benchmark: "http-flows",
      at: new Date().toISOString(),
      environment: env,
      options: shownOptions,
      targets,
    };
    writeFileSync(
      file,
      `${JSON.stringify(scaledOut ? { ...head, runs } : { ...head, ...runs[0] }, null, 2)}\n`,
    );
    console.log(`  results: ${file.slice(ROOT.length + 1)}`);
  }
  if (failed) {
    console.error("\nSome flows failed or did not verify — see above.");
    process.exitCode = 1;
  }
}

// `npm run bench -- backtest …` (or `aftersales bench backtest …`): the rules engine benchmark instead.
const [command] = process.argv.slice(process.argv[2] === "bench" ? 3 : 2);
if (command === "backtest") await import("./backtest.ts");
else if (command === "receiving") await import("./receiving.ts");
else if (command === "analytics") await import("./analytics.ts");
// `npm run bench -- console …`: the reviewer queue, kanban and views at 100,000 open cases (bench/console.ts).
else if (command === "console") await import("./console.ts");
else if (command === "events") await import("./events.ts");
// `npm run bench -- burst …` (also `npm run bench:burst`): the sale-day burst instead (bench/burst.ts).
else if (command === "burst") await import("./burst.ts");
// `npm run bench -- suggest …`: rules learned from the demo's labelled history (bench/suggest.ts).
else if (command === "suggest") await import("./suggest.ts");
// `npm run bench -- import …`: the bulk import of the Online Retail file instead (bench/import.ts).
else if (command === "import") await import("./import.ts");
else await main();
