/**
 * Sale-day burst benchmark (issue 12): on PostgreSQL, 7 shops on 7 platforms, N refund_only requests
 * (default 20,000) submitted as fast as C clients can (or at a target rate), with an active rule set that
 * approves about half of them on its own (requested amount ≤ a threshold) and leaves the rest to people.
 *
 *   npm run bench:burst                                   20,000 requests, 32 clients, 1 API process
 *   npm run bench:burst -- --cases 3000 --processes 1,2   1 vs 2 API processes, side by side
 *   npm run bench:burst -- --rate 100 --workers 1         100 requests a second, jobs in a worker process
 *
 * Reports how long until every automatically approved refund is sent (succeeded at the payment
 * simulator), the submissions' throughput and latency, and — sampled every second through the API — the
 * review queue's depth (cases awaiting a person) and the refund backlog (approved, not yet refunded) over
 * time, drawn in the terminal and written to bench/results/burst-postgres.json. Verifies at the end that
 * every rule-approved case has exactly one succeeded refund, nothing else was refunded and nothing twice;
 * exit code 1 otherwise. See bench/README.md.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
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
  type ChildService,
  describeLag,
  describeScale,
  environment,
  type Health,
  health,
  lagOf,
  machineBusyMs,
  optionReader,
  percentile,
  pool,
  postgresBackendsCpu,
  readScaleOptions,
  recreateDatabase,
  rollupLag,
  round,
  SCALE_ARGS,
  type ScaleOptions,
  servicesCpu,
  sideBySide,
  startServices,
} from "./service.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CURRENCY = "CNY";
/** The platforms a merchant sells on, one shop each (the eighth channel, manual, is not a platform). */
const PLATFORMS = ["taobao", "tmall", "jd", "pdd", "douyin", "wechat_channels", "shopify"] as const;
/** Orders' paid totals are spread evenly over this range (分), so a threshold in the middle splits them. */
const PRICE_MIN = 1_000;
const PRICE_MAX = 29_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ─── options ────────────────────────────────────────────────────────────────────────────────────

interface Options extends ScaleOptions {
  cases: number;
  clients: number;
  /** Submissions a second to aim at; 0: as fast as the clients go. */
  rate: number;
  /** Rule-approved at or below this requested amount (decimal string). */
  threshold: string;
  sampleMs: number;
  /** After the last submission, how long to wait for the automatic refunds before calling it a failure. */
  waitS: number;
  refundGraceMs: number;
  seed: number;
  pgUrl: string | undefined;
}

function readOptions(): Options {
  const args = process.argv.slice(2);
  // `npm run bench -- burst …` and `aftersales bench burst …` come through bench/run.ts with these first.
  while (args[0] === "bench" || args[0] === "burst") args.shift();
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      cases: { type: "string" },
      clients: { type: "string" },
      rate: { type: "string" },
      threshold: { type: "string" },
      "sample-ms": { type: "string" },
      "wait-s": { type: "string" },
      "refund-grace-ms": { type: "string" },
      seed: { type: "string" },
      "pg-url": { type: "string" },
      ...SCALE_ARGS,
    },
  });
  const { str, int } = optionReader(values);
  const threshold = str("threshold", "BENCH_THRESHOLD") ?? "150.00";
  parseMinor(threshold, CURRENCY); // throws on a malformed amount
  return {
    ...readScaleOptions(str, "aftersales_bench_burst"),
    cases: int("cases", "BENCH_CASES", 20_000, 1),
    clients: int("clients", "BENCH_CLIENTS", 32, 1),
    rate: int("rate", "BENCH_RATE", 0, 0),
    threshold,
    sampleMs: int("sample-ms", "BENCH_SAMPLE_MS", 1000, 100),
    waitS: int("wait-s", "BENCH_WAIT_S", 120, 1),
    // As in the flow benchmark: the outbox's follow-up of each refund comes due soon after it.
    refundGraceMs: int("refund-grace-ms", "BENCH_REFUND_GRACE_MS", 2000, 0),
    seed: int("seed", "BENCH_SEED", 42, 0),
    pgUrl: str("pg-url", "BENCH_PG_URL"),
  };
}

// ─── the sale day's orders, shops and rules (made once, copied for every run) ───────────────────

interface BurstOrder {
  id: number;
  lineId: number;
  transactionId: string;
  paid: number; // minor units
  /** The rule approves it: what was paid (and is asked back) is at most the threshold. */
  auto: boolean;
}

/** One line, no discounts or shipping, so what is paid is the price; the whole of it asked back. */
function orderBody(rand: () => number, runId: string, i: number) {
  const paid = PRICE_MIN + Math.floor(rand() * (PRICE_MAX - PRICE_MIN + 1));
  const transactionId = `4200${runId}${String(i).padStart(7, "0")}`;
  const placed = new Date(Date.now() - (1 + Math.floor(rand() * 5)) * 86_400_000);
  const body = {
    shop: `burst-${PLATFORMS[i % PLATFORMS.length]}`,
    externalId: `${runId}-${i}`,
    currency: CURRENCY,
    customer: { id: `burst-cust-${i}`, name: "Sale Day Buyer" },
    placedAt: placed.toISOString(),
    paidAt: new Date(placed.getTime() + 60_000).toISOString(),
    lines: [
      {
        externalId: "L1",
        sku: `SKU-${1 + Math.floor(rand() * 200)}`,
        title: "Sale item",
        quantity: 1,
        unitPrice: formatMinor(paid, CURRENCY),
      },
    ],
    shippingFee: "0.00",
    payments: [{ tender: "wechat_pay", amount: formatMinor(paid, CURRENCY), transactionId }],
    shipments: [
      {
        carrier: "SF",
        trackingNo: `SF${transactionId}`,
        status: "delivered",
        shippedAt: new Date(placed.getTime() + 86_400_000).toISOString(),
      },
    ],
  };
  return { body, transactionId, paid };
}

/** The active rule set: small refund-only requests approved (and, within the shop's limit, refunded). */
const ruleSet = (threshold: string) => ({
  rules: [
    {
      id: "sale-day-small-refunds",
      name: { zh: "大促小额仅退款自动同意", en: "Sale day: small refund-only requests approved" },
      priority: 50,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "refund_only" },
          { field: "case.requested_amount", op: "lte", value: threshold },
        ],
      },
      // biome-ignore lint/suspicious/noThenProperty: "then" is the rule document's own word for its actions.
      then: [{ action: "approve" }],
    },
  ],
  solutions: [],
});

/**
 * Make the database every run starts from: shops, the active rules and the orders, through the API of a
 * one-process service, in `<db-name>_seed`. Runs copy it (CREATE DATABASE … TEMPLATE), so 20,000 orders
 * are ingested once, and each run starts from the same rows.
 */
async function seed(opts: Options, admin: URL, env: NodeJS.ProcessEnv) {
  const seedDb = `${opts.dbName}_seed`;
  const url = await recreateDatabase(admin, seedDb);
  const store = await openStore({ databaseUrl: url }); // migrates
  let token: string;
  try {
    token = (await createToken(store.db, { name: "burst-admin", role: "admin" })).token;
  } finally {
    await store.close();
  }
  const services = await startServices(
    { ...env, DATABASE_URL: url },
    {
      processes: 1,
      workers: 0,
      port: 0,
      dbPool: 10,
    },
  );
  try {
    const api = apiClient((services.apis[0] as ChildService).url, token);
    for (const channel of PLATFORMS)
      await api("POST", "/api/v1/shops", { id: `burst-${channel}`, name: `大促 ${channel}`, channel });
    const draft = await api("POST", "/api/v1/rules/versions", {
      definition: ruleSet(opts.threshold),
      note: "sale-day burst benchmark",
    });
    await api("POST", `/api/v1/rules/versions/${draft.version}/activate`);

    const t = performance.now();
    const runId = `${Date.now().toString(36).slice(-5)}${randomBytes(2).toString("hex")}`.toUpperCase();
    const rand = mulberry32(opts.seed);
    const specs = Array.from({ length: opts.cases }, (_, i) => orderBody(rand, runId, i));
    const threshold = parseMinor(opts.threshold, CURRENCY);
    const orders: BurstOrder[] = new Array(specs.length);
    let done = 0;
    await pool(specs, opts.clients, async (spec, i) => {
      const created = await api("POST", "/api/v1/orders", spec.body);
      const detail = await api("GET", `/api/v1/orders/${created.id}`);
      const [line] = detail.lines as { id: number }[];
      orders[i] = {
        id: Number(created.id),
        lineId: (line as { id: number }).id,
        transactionId: spec.transactionId,
        paid: spec.paid,
        auto: spec.paid <= threshold,
      };
      if (++done % 1000 === 0) process.stderr.write(`\r  ${done}/${specs.length} orders ingested`);
    });
    process.stderr.write("\n");
    const s = (performance.now() - t) / 1000;
    // Let the seed's service fold what the ingest left for the analytics rollups (when it has such a job):
    // deltas copied into a run would be folded there, their wait counted as that run's rollup lag.
    const until = Date.now() + 60_000;
    while ((lagOf(await rollupLag(services)).pending ?? 0) > 0 && Date.now() < until) await sleep(250);
    console.log(
      `  ${orders.length} orders on ${PLATFORMS.length} shops ingested in ${s.toFixed(1)} s (${(orders.length / s).toFixed(0)}/s), ` +
        `rule version ${draft.version} active; ${orders.filter((o) => o.auto).length} requests will be ≤ ${opts.threshold}`,
    );
    return { seedDb, token, orders };
  } finally {
    await services.stop(); // nothing may be connected to a template
  }
}

// ─── one run ────────────────────────────────────────────────────────────────────────────────────

interface Sample {
  /** Seconds since the first submission. */
  t: number;
  submitted: number;
  /**
   * Open cases awaiting a person: GET /queue?status=requested → total. (Rules judge a request within its
   * submission today; were that to move to a job, requests not judged yet would count here too.)
   */
  awaitingReview: number | null;
  /** Approved but not yet refunded: GET /queue?status=approved,refunding,refund_failed → total. */
  refundBacklog: number | null;
  /** Refunds that succeeded at the payment simulator so far. */
  refundsSent: number;
  /** CPU so far (ms): every service process together, and the database's backends. */
  serviceCpuMs: number;
  postgresCpuMs: number;
  /** Analytics deltas not yet folded into the rollups, when /healthz says. */
  analyticsPending?: number;
}

interface Submission {
  caseId?: number;
  status?: string;
  sentAt: number; // Date.now()
  ms?: number;
  error?: string;
}

interface RunResult {
  processes: number;
  workers: number;
  cases: number;
  autoExpected: number;
  submissions: {
    wallS: number;
    perSecond: number;
    failed: number;
    answered: Record<string, number>;
    latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  };
  autoRefunds: {
    sent: number;
    /** From the first submission to the last automatic refund succeeding. */
    allSentAfterS: number | null;
    /** From the last submission's answer to the last automatic refund succeeding (≤ 0: none was left). */
    lastSentAfterSubmissionsS: number | null;
    /** Each refund: from its request being sent to its success at the channel. */
    latencyMs: { p50: number | null; p95: number | null; max: number | null };
  };
  queue: { maxAwaitingReview: number; finalAwaitingReview: number | null; maxRefundBacklog: number };
  cpu: {
    serviceMsPerCase: number;
    perProcess: { role: "api" | "worker"; pid: number; msPerCase: number }[];
    postgresMsPerCase: number;
    /** Per request in the first and the second half of the submissions: does a request cost more as cases pile up? */
    halves: { serviceMs: [number, number] | null; postgresMs: [number, number] | null };
    machineCores: number;
    otherCores: number;
  };
  analytics?: Health["analytics"];
  verification: { problems: string[] };
  series: Sample[];
}

async function runOnce(
  opts: Options,
  admin: URL,
  env: NodeJS.ProcessEnv,
  made: Awaited<ReturnType<typeof seed>>,
  processes: number,
  sim: SandboxPaySimulator,
): Promise<RunResult> {
  const dbUrl = await recreateDatabase(admin, opts.dbName, made.seedDb);
  const services = await startServices(
    { ...env, DATABASE_URL: dbUrl },
    { processes, workers: opts.workers, port: opts.port, dbPool: opts.dbPool },
  );
  try {
    console.log(
      `  service: ${services.all.map(({ role, svc }) => `${role} pid ${svc.pid}`).join(", ")}; ${opts.clients} clients` +
        (opts.rate ? ` at ${opts.rate} requests/s` : ", as fast as they can"),
    );
    const apis = services.apis.map((a) => apiClient(a.url, made.token));
    const first = services.apis[0] as ChildService;
    // The sampler has its own client (own sockets), so it never waits behind the load's.
    const watcher = apiClient(first.url, made.token);
    const { orders } = made;
    const autoExpected = orders.filter((o) => o.auto).length;
    const submissions: Submission[] = orders.map(() => ({ sentAt: 0 }));
    let submitted = 0;
    const succeededAtChannel = () => sim.refunds().filter((r) => r.status === "SUCCESS").length;

    const split0 = servicesCpu(services);
    const db0 = postgresBackendsCpu(opts.dbName);
    const cpuTotal = (xs: { user: number; system: number }[]) =>
      xs.reduce((a, x) => a + x.user + x.system, 0);
    const machine0 = machineBusyMs();
    const bench0 = process.cpuUsage();
    const t0 = Date.now();

    // Every sampleMs: the queue's depth and the refund backlog as a console would read them.
    const series: Sample[] = [];
    let sampling = true;
    const total = async (status: string) =>
      Number((await watcher("GET", `/api/v1/queue?status=${status}&limit=1`)).total);
    const takeSample = async () => {
      const at = Date.now();
      const [awaiting, backlog, h] = await Promise.all([
        total("requested").catch(() => null),
        total("approved,refunding,refund_failed").catch(() => null),
        health(first.url).catch(() => undefined),
      ]);
      const pending = lagOf(h?.analytics).pending;
      series.push({
        t: round((at - t0) / 1000, 1) ?? 0,
        submitted,
        awaitingReview: awaiting,
        refundBacklog: backlog,
        refundsSent: succeededAtChannel(),
        serviceCpuMs: Math.round(cpuTotal(servicesCpu(services)) - cpuTotal(split0)),
        postgresCpuMs: Math.round(backendCpuDelta(db0, postgresBackendsCpu(opts.dbName))),
        ...(pending !== undefined ? { analyticsPending: pending } : {}),
      });
    };
    const sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        await takeSample();
        await sleep(Math.max(0, opts.sampleMs - (Date.now() - at)));
      }
    })();

    // The burst: every request once, client c on API process c mod N.
    await pool(orders, opts.clients, async (o, i, client) => {
      if (opts.rate) await sleep(t0 + (i * 1000) / opts.rate - Date.now());
      const s = submissions[i] as Submission;
      s.sentAt = Date.now();
      try {
        const res = await (apis[client % apis.length] as Api)("POST", "/api/v1/cases", {
          orderId: o.id,
          type: "refund_only",
          reason: "quality",
          source: "platform",
          items: [{ lineId: o.lineId, quantity: 1 }],
          requestedAmount: formatMinor(o.paid, CURRENCY),
          description: "大促：质量问题，申请仅退款",
        });
        s.caseId = Number(res.id);
        s.status = String(res.status);
      } catch (e) {
        s.error = (e as ApiError).code ?? String(e);
      }
      s.ms = Date.now() - s.sentAt;
      submitted++;
    });
    const submittedAt = Date.now();

    // Then until every automatic refund has gone out (or we give up and let verification say what is missing).
    const deadline = submittedAt + opts.waitS * 1000;
    while (succeededAtChannel() < autoExpected && Date.now() < deadline) await sleep(100);
    const doneAt = Date.now();
    const split1 = servicesCpu(services);
    const db1 = postgresBackendsCpu(opts.dbName);
    const machine1 = machineBusyMs();
    const bench1 = process.cpuUsage(bench0);
    sampling = false;
    await sampler;
    await takeSample(); // the final state
    const analytics = await rollupLag(services);

    // ── what it measured
    const n = orders.length;
    const latencies = submissions
      .filter((s) => s.ms !== undefined && !s.error)
      .map((s) => s.ms as number)
      .sort((a, b) => a - b);
    const answered: Record<string, number> = {};
    for (const s of submissions) {
      const key = s.error ? `error:${s.error}` : (s.status ?? "?");
      answered[key] = (answered[key] ?? 0) + 1;
    }
    const byTransaction = new Map(orders.map((o, i) => [o.transactionId, i]));
    const sentTimes: number[] = [];
    const refundLatency: number[] = [];
    for (const r of sim.refunds()) {
      if (r.status !== "SUCCESS" || !r.success_time) continue;
      const at = Date.parse(r.success_time);
      sentTimes.push(at);
      const i = r.transaction_id ? byTransaction.get(r.transaction_id) : undefined;
      if (i !== undefined) refundLatency.push(at - (submissions[i] as Submission).sentAt);
    }
    refundLatency.sort((a, b) => a - b);
    const lastSent = sentTimes.length ? Math.max(...sentTimes) : Number.NaN;
    const wallMs = doneAt - t0;
    const cpu = (xs: { user: number; system: number }[]) => xs.map((x) => x.user + x.system);
    const [c0, c1] = [cpu(split0), cpu(split1)];
    const serviceMs = cpuTotal(split1) - cpuTotal(split0);
    const pgMs = backendCpuDelta(db0, db1);
    const benchMs = (bench1.user + bench1.system) / 1000;
    const depths = series.map((s) => s.awaitingReview ?? 0);

    return {
      processes,
      workers: opts.workers,
      cases: n,
      autoExpected,
      submissions: {
        wallS: round((submittedAt - t0) / 1000, 2) ?? 0,
        perSecond: round((n * 1000) / (submittedAt - t0), 1) ?? 0,
        failed: submissions.filter((s) => s.error).length,
        answered,
        latencyMs: {
          p50: round(percentile(latencies, 0.5)),
          p95: round(percentile(latencies, 0.95)),
          p99: round(percentile(latencies, 0.99)),
          max: round(latencies.at(-1) ?? Number.NaN),
        },
      },
      autoRefunds: {
        sent: sentTimes.length,
        allSentAfterS: round((lastSent - t0) / 1000, 2),
        lastSentAfterSubmissionsS: round((lastSent - submittedAt) / 1000, 2),
        latencyMs: {
          p50: round(percentile(refundLatency, 0.5)),
          p95: round(percentile(refundLatency, 0.95)),
          max: round(refundLatency.at(-1) ?? Number.NaN),
        },
      },
      queue: {
        maxAwaitingReview: Math.max(0, ...depths),
        finalAwaitingReview: series.at(-1)?.awaitingReview ?? null,
        maxRefundBacklog: Math.max(0, ...series.map((s) => s.refundBacklog ?? 0)),
      },
      cpu: {
        serviceMsPerCase: round(serviceMs / n, 2) ?? 0,
        perProcess: services.all.map(({ role, svc }, i) => ({
          role,
          pid: svc.pid,
          msPerCase: round(((c1[i] ?? 0) - (c0[i] ?? 0)) / n, 2) ?? 0,
        })),
        postgresMsPerCase: round(pgMs / n, 2) ?? 0,
        halves: halves(series, n),
        machineCores: round((machine1 - machine0) / wallMs, 2) ?? 0,
        otherCores: round((machine1 - machine0 - serviceMs - pgMs - benchMs) / wallMs, 2) ?? 0,
      },
      ...(analytics ? { analytics } : {}),
      verification: { problems: await verify(dbUrl, sim, orders, submissions) },
      series,
    };
  } catch (e) {
    for (const { role, svc } of services.all)
      console.error(`  ${role} ${svc.pid} output (tail):\n${svc.log().slice(-3000)}`);
    throw e;
  } finally {
    await services.stop();
  }
}

/**
 * CPU per request over the first and the second half of the submissions, from the samples nearest the
 * start, the halfway mark and the last submission (the sampler's own requests included, as a console's
 * would be); null when the burst was too short to have a sample in between.
 */
function halves(series: Sample[], n: number): RunResult["cpu"]["halves"] {
  const mid = series.find((s) => s.submitted >= n / 2);
  const end = series.find((s) => s.submitted >= n);
  const start = series[0];
  if (!start || !mid || !end || mid === start || end === mid) return { serviceMs: null, postgresMs: null };
  const per = (key: "serviceCpuMs" | "postgresCpuMs"): [number, number] => [
    round((mid[key] - start[key]) / (mid.submitted - start.submitted), 2) ?? 0,
    round((end[key] - mid[key]) / (end.submitted - mid.submitted), 2) ?? 0,
  ];
  return { serviceMs: per("serviceCpuMs"), postgresMs: per("postgresCpuMs") };
}

/**
 * Every rule-approved case refunded exactly once, for what was paid, at the channel too; every other case
 * still awaiting a person with no refund; no payment refunded twice. Read from the database in one query
 * (20,000 GETs through the API would take longer than the burst) and from the simulator.
 */
async function verify(
  dbUrl: string,
  sim: SandboxPaySimulator,
  orders: BurstOrder[],
  submissions: Submission[],
): Promise<string[]> {
  const problems: string[] = [];
  const note = (p: string) => {
    if (problems.length < 50) problems.push(p);
  };
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  let rows: { id: string; status: string; refunds: number; succeeded: number; amount: string | null }[];
  try {
    ({ rows } = await client.query(
      `select c.id, c.status, count(r.id)::int as refunds,
              (count(r.id) filter (where r.status = 'succeeded'))::int as succeeded, sum(r.amount) as amount
         from cases c left join refunds r on r.case_id = c.id
        group by c.id`,
    ));
  } finally {
    await client.end();
  }
  const cases = new Map(rows.map((r) => [Number(r.id), r]));
  const atChannel = new Map<string, { status: string; amount: number }[]>();
  for (const r of sim.refunds()) {
    const key = r.transaction_id ?? "";
    atChannel.set(key, [...(atChannel.get(key) ?? []), { status: r.status, amount: r.amount.refund }]);
  }
  for (const [i, o] of orders.entries()) {
    const s = submissions[i] as Submission;
    if (s.error || s.caseId === undefined) {
      note(`order ${o.id}: submission failed (${s.error})`);
      continue;
    }
    const c = cases.get(s.caseId);
    const sent = atChannel.get(o.transactionId) ?? [];
    if (!c) {
      note(`case ${s.caseId}: not in the database`);
      continue;
    }
    if (o.auto) {
      if (c.status !== "refunded" && c.status !== "closed")
        note(`case ${s.caseId}: ${c.status}, expected refunded`);
      if (c.refunds !== 1 || c.succeeded !== 1)
        note(
          `case ${s.caseId}: ${c.refunds} refunds, ${c.succeeded} succeeded; expected exactly one, succeeded`,
        );
      else if (Number(c.amount) !== o.paid) note(`case ${s.caseId}: refunded ${c.amount}, paid ${o.paid}`);
      if (sent.length !== 1 || sent[0]?.status !== "SUCCESS" || sent[0]?.amount !== o.paid)
        note(`case ${s.caseId}: at the channel ${JSON.stringify(sent)}, expected one SUCCESS of ${o.paid}`);
    } else {
      if (c.status !== "requested") note(`case ${s.caseId}: ${c.status}, expected awaiting a person`);
      if (c.refunds !== 0 || sent.length !== 0)
        note(
          `case ${s.caseId}: above the threshold, yet ${c.refunds} refunds (${sent.length} at the channel)`,
        );
    }
  }
  const expected = orders.filter((o) => o.auto).length;
  const total = sim.refunds().length;
  if (total !== expected) note(`the simulator holds ${total} refunds for ${expected} rule-approved cases`);
  if (cases.size !== orders.length) note(`${cases.size} cases in the database for ${orders.length} requests`);
  return problems;
}

// ─── output ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The values as one line of block characters, at most `width` wide (each column the max of its span, so a
 * peak is never averaged away), scaled to the largest.
 */
export function sparkline(values: number[], width = 60): string {
  if (values.length === 0) return "";
  const cols = Math.min(width, values.length);
  const max = Math.max(...values);
  const blocks = "▁▂▃▄▅▆▇█";
  let out = "";
  for (let c = 0; c < cols; c++) {
    const span = values.slice(
      Math.floor((c * values.length) / cols),
      Math.max(Math.floor(((c + 1) * values.length) / cols), Math.floor((c * values.length) / cols) + 1),
    );
    const v = Math.max(...span);
    // Nothing is a blank, anything at all at least the lowest block.
    out += v <= 0 ? " " : (blocks[Math.max(0, Math.ceil((v / max) * 8) - 1)] as string);
  }
  return out;
}

function printRun(r: RunResult) {
  const s = r.series;
  const f = (x: number | null, unit = "") => (x === null ? "-" : `${x}${unit}`);
  const lines = [
    `\n  PostgreSQL, ${describeScale(r.processes, r.workers)}: ${r.cases} refund_only requests on ${PLATFORMS.length} shops, ${r.autoExpected} for the rule`,
    `    submissions       ${r.submissions.perSecond.toFixed(1).padStart(8)} /s   (${r.submissions.wallS} s; latency p50 ${f(r.submissions.latencyMs.p50)} ms, p95 ${f(r.submissions.latencyMs.p95)}, p99 ${f(r.submissions.latencyMs.p99)}, max ${f(r.submissions.latencyMs.max)})`,
    `      answered        ${Object.entries(r.submissions.answered)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `    automatic refunds ${String(r.autoRefunds.sent).padStart(8)} sent; the last ${f(r.autoRefunds.allSentAfterS, " s")} after the first request` +
      ((r.autoRefunds.lastSentAfterSubmissionsS ?? 0) > 0
        ? `, ${r.autoRefunds.lastSentAfterSubmissionsS} s after the last submission was answered`
        : ", before the last submission was answered"),
    `      each            request → succeeded at the channel p50 ${f(r.autoRefunds.latencyMs.p50)} ms, p95 ${f(r.autoRefunds.latencyMs.p95)}, max ${f(r.autoRefunds.latencyMs.max)}`,
    `    service CPU       ${r.cpu.serviceMsPerCase.toFixed(2).padStart(8)} ms/request (${r.cpu.perProcess.map((p) => `${p.role} ${p.pid}: ${p.msPerCase.toFixed(2)}`).join(", ")})`,
    `    PostgreSQL CPU    ${r.cpu.postgresMsPerCase.toFixed(2).padStart(8)} ms/request`,
    ...(r.cpu.halves.serviceMs && r.cpu.halves.postgresMs
      ? [
          `      by half         service ${r.cpu.halves.serviceMs.join(" → ")}, PostgreSQL ${r.cpu.halves.postgresMs.join(" → ")} ms/request (first half of the requests → second)`,
        ]
      : []),
    `    machine           ${r.cpu.machineCores.toFixed(2).padStart(8)} cores busy, ${r.cpu.otherCores.toFixed(2)} of them by other processes${r.cpu.otherCores > 0.25 ? "  ⚠ the machine was not idle" : ""}`,
    ...(r.analytics ? [`    analytics         ${describeLag(r.analytics)}`] : []),
    `    over ${s.at(-1)?.t ?? 0} s, a sample every ~${s.length > 1 ? ((s.at(-1)?.t ?? 0) / (s.length - 1)).toFixed(1) : "-"} s:`,
    `      awaiting a person  ${sparkline(s.map((x) => x.awaitingReview ?? 0))}  max ${r.queue.maxAwaitingReview}, at the end ${f(r.queue.finalAwaitingReview)}`,
    `      refund backlog     ${sparkline(s.map((x) => x.refundBacklog ?? 0))}  max ${r.queue.maxRefundBacklog}`,
    `      refunds sent       ${sparkline(s.map((x) => x.refundsSent))}  ${s.at(-1)?.refundsSent ?? 0}`,
    `      submitted          ${sparkline(s.map((x) => x.submitted))}  ${s.at(-1)?.submitted ?? 0}`,
    ...(s.some((x) => x.analyticsPending !== undefined)
      ? [
          `      analytics pending  ${sparkline(s.map((x) => x.analyticsPending ?? 0))}  max ${Math.max(...s.map((x) => x.analyticsPending ?? 0))}`,
        ]
      : []),
    r.verification.problems.length
      ? `    verification FAILED: ${r.verification.problems.length} problem(s):\n      ${r.verification.problems.slice(0, 10).join("\n      ")}`
      : `    verified: every rule-approved case refunded once, at the channel too; the rest await a person; nothing refunded twice`,
  ];
  console.log(lines.join("\n"));
}

function printComparison(runs: RunResult[]) {
  const row = (label: string, value: (r: RunResult) => number | null | undefined, digits = 1) => ({
    label,
    values: runs.map(value),
    digits,
  });
  console.log(
    sideBySide(
      "\nSide by side",
      runs.map((r) => describeScale(r.processes, r.workers)),
      [
        row("submissions/s", (r) => r.submissions.perSecond),
        row("submission p95 ms", (r) => r.submissions.latencyMs.p95, 0),
        row("last automatic refund after, s", (r) => r.autoRefunds.allSentAfterS, 2),
        row("automatic refund p95 ms", (r) => r.autoRefunds.latencyMs.p95, 0),
        row("max awaiting a person", (r) => r.queue.maxAwaitingReview, 0),
        row("service CPU ms/request", (r) => r.cpu.serviceMsPerCase, 2),
        row("PostgreSQL CPU ms/request", (r) => r.cpu.postgresMsPerCase, 2),
        row("other processes, cores", (r) => r.cpu.otherCores, 2),
        row("rollup lag p95 ms", (r) => lagOf(r.analytics).p95, 0),
      ],
    ),
  );
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────

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
  const machine = environment();
  console.log(
    `Aftersales sale-day burst benchmark — ${opts.cases} refund_only requests on ${PLATFORMS.length} shops, ` +
      `rule-approved up to ${opts.threshold}, ${opts.processes.map((n) => describeScale(n, opts.workers)).join(" vs ")}\n` +
      `Node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); the service runs as child processes`,
  );
  const admin = await findPostgres(opts.pgUrl);
  if (!admin) {
    console.error(
      "PostgreSQL is not reachable (give --pg-url or BENCH_PG_URL): the burst runs on PostgreSQL only",
    );
    process.exitCode = 1;
    return;
  }
  const secret = randomBytes(16).toString("hex");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PAY_SANDBOX_SECRET: secret,
    // The service's own is 15 s; short, so each refund's outbox follow-up falls inside the run.
    AFTERSALES_REFUND_GRACE_MS: String(opts.refundGraceMs),
    AFTERSALES_DEMO: "0",
    AFTERSALES_LOG: "0",
  };
  delete env.DATA_DIR;

  const runs: RunResult[] = [];
  let failed = false;
  // Seeding needs a payment endpoint to start against, though nothing is refunded yet.
  const seedSim = await startSandboxPaySimulator({ port: 0, secret });
  let made: Awaited<ReturnType<typeof seed>>;
  try {
    made = await seed(opts, admin, { ...env, PAY_SANDBOX_URL: seedSim.url });
  } finally {
    await seedSim.close();
  }
  for (const processes of opts.processes) {
    // A fresh simulator per run: what it holds is exactly that run's refunds.
    const sim = await startSandboxPaySimulator({ port: 0, secret });
    try {
      const r = await runOnce(opts, admin, { ...env, PAY_SANDBOX_URL: sim.url }, made, processes, sim);
      printRun(r);
      runs.push(r);
      if (r.verification.problems.length || r.submissions.failed) failed = true;
    } catch (e) {
      console.error(`  FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      failed = true;
    } finally {
      await sim.close();
    }
  }
  if (runs.length > 1) printComparison(runs);
  if (runs.length) {
    const dir = join(ROOT, "bench", "results");
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    const file = join(dir, "burst-postgres.json");
    const { pgUrl: _, ...options } = opts;
    writeFileSync(
      file,
      `${JSON.stringify({ benchmark: "burst", at: new Date().toISOString(), environment: machine, options, runs }, null, 2)}\n`,
    );
    console.log(`\nresults: ${file.slice(ROOT.length + 1)}`);
  }
  if (failed) {
    console.error("\nThe burst failed or did not verify — see above.");
    process.exitCode = 1;
  }
}

await main();
