/**
 * Rules engine benchmark (规则回测基准): how fast a rule set judges past cases.
 *
 *   npm run bench -- backtest                         1,000,000 cases, 100,000 full evaluations,
 *                                                     and the database-backed backtest of a 10,000-case history
 *   npm run bench -- backtest --cases 2000000 --history 0 --db pglite
 *   npm run bench -- backtest --history 1000000 --db postgres --db-name bt1m --keep
 *                                                     a 1M-case history, written once and kept for the next run
 *   aftersales bench backtest …                       the same through the CLI
 *
 * 1. In memory: a small seeded generator makes N synthetic cases (CaseFacts) with plausible
 *    distributions and a person's decision for each (a simple reviewer policy plus noise). Then, on
 *    one core, `createBacktest(compileRuleSet(DEFAULT_RULE_SET, 1)).add` over all of them — the
 *    allocation-free fast path every backtest uses — and `evaluate()` (the full decision with the
 *    trace of every matched rule, what live review stores) over the first 100,000, with and without
 *    turning it into words (`explainDecision`).
 * 2. From the database: `backtestRules` end to end — the labels query, facts gathered in batches
 *    with SQL, risk assessed, then the engine — over a labelled history written by
 *    `generateHistory` (src/cli/history.ts, what `aftersales demo --history N` loads), on PGlite and
 *    on PostgreSQL (skipped when unreachable).
 *
 * Results go to bench/results/backtest.json; see bench/README.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import pg from "pg";
import { createPaymentRegistry } from "../src/channels/payments/registry.ts";
import { mulberry32 } from "../src/cli/random.ts";
import type {
  CaseSource,
  CaseType,
  CustomerTier,
  ParcelState,
  PolicyCode,
  ReasonCode,
} from "../src/domain/catalogue.ts";
import type { Channel } from "../src/domain/order.ts";
import {
  type BacktestReport,
  type CaseFacts,
  compileRuleSet,
  createBacktest,
  DEFAULT_RULE_SET,
  explainDecision,
  type HumanDecision,
  type PerWindow,
} from "../src/domain/rules/index.ts";
import { backtestRules } from "../src/flows/backtest.ts";
import { DEFAULT_SETTINGS, type FlowContext } from "../src/flows/context.ts";
import { openStore, type Store } from "../src/store/db.ts";
import { findPostgres } from "./postgres.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TARGET_CASES_PER_SECOND = 50_000;

// ─── options ────────────────────────────────────────────────────────────────────────────────────

type DbKind = "pglite" | "postgres";

interface Options {
  cases: number;
  evaluate: number;
  runs: number;
  seed: number;
  history: number;
  dbs: DbKind[];
  pgUrl: string | undefined;
  /** The PostgreSQL database the benchmark (re)creates and drops. */
  dbName: string;
  /** Keep the PostgreSQL database afterwards, and reuse it when it already holds this history. */
  keep: boolean;
}

function readOptions(): Options {
  // Run directly, as `npm run bench -- backtest …` (bench/run.ts) or `aftersales bench backtest …`.
  const args = process.argv.slice(2);
  if (args[0] === "bench") args.shift();
  if (args[0] === "backtest") args.shift();
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      cases: { type: "string" },
      evaluate: { type: "string" },
      runs: { type: "string" },
      seed: { type: "string" },
      history: { type: "string" },
      db: { type: "string" },
      "pg-url": { type: "string" },
      "db-name": { type: "string" },
      keep: { type: "boolean" },
    },
  });
  const env = process.env;
  const int = (name: keyof typeof values, envName: string, fallback: number, min: number) => {
    const text = (values[name] as string | undefined) ?? env[envName];
    const n = text === undefined || text === "" ? fallback : Number(text);
    if (!Number.isSafeInteger(n) || n < min)
      throw new Error(`--${name} must be a whole number ≥ ${min}, got "${text}"`);
    return n;
  };
  const db = values.db ?? env.BENCH_DB ?? "both";
  if (!["pglite", "postgres", "both"].includes(db)) throw new Error("--db must be pglite, postgres or both");
  return {
    cases: int("cases", "BENCH_CASES", 1_000_000, 1),
    evaluate: int("evaluate", "BENCH_EVALUATE", 100_000, 0),
    runs: int("runs", "BENCH_RUNS", 3, 1),
    seed: int("seed", "BENCH_SEED", 42, 0),
    history: int("history", "BENCH_HISTORY", 10_000, 0),
    dbs: db === "both" ? ["pglite", "postgres"] : [db as DbKind],
    pgUrl: values["pg-url"] ?? env.BENCH_PG_URL,
    dbName: values["db-name"] ?? env.BENCH_DB_NAME ?? "aftersales_bench_backtest",
    keep: values.keep ?? false,
  };
}

// ─── synthetic history ──────────────────────────────────────────────────────────────────────────

type Rand = () => number;

/** Pick by weight: `pick(r, [["a", 3], ["b", 1]])` is "a" three times in four. */
function picker<T>(table: readonly (readonly [T, number])[]): (r: Rand) => T {
  const total = table.reduce((a, [, w]) => a + w, 0);
  let sum = 0;
  const cumulative = table.map(([, w]) => {
    sum += w / total;
    return sum;
  });
  const values = table.map(([v]) => v);
  return (r) => {
    const x = r();
    for (let i = 0; i < cumulative.length; i++) if (x < (cumulative[i] as number)) return values[i] as T;
    return values[values.length - 1] as T;
  };
}

/** Exponential with the given mean. */
const exp = (r: Rand, mean: number) => -Math.log(1 - r()) * mean;
/** Log-normal around a median (σ in natural-log units). */
const logNormal = (r: Rand, median: number, sigma: number) => {
  const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return median * Math.exp(sigma * z);
};

/** Shops on the channels a Chinese merchant sells on; most cases come from Tmall and Taobao. */
const SHOP = picker<readonly [string, Channel]>([
  [["tmall-flagship", "tmall"], 35],
  [["taobao-store", "taobao"], 25],
  [["jd-store", "jd"], 15],
  [["pdd-store", "pdd"], 12],
  [["douyin-live", "douyin"], 10],
  [["wechat-mini", "wechat_channels"], 3],
]);
const SOURCE = picker<CaseSource>([
  ["platform", 82],
  ["chat", 8],
  ["phone", 3],
  ["mini_program", 3],
  ["portal", 3],
  ["api", 1],
]);
const TYPE = picker<CaseType>([
  ["refund_only", 46],
  ["return_refund", 40],
  ["exchange", 10],
  ["reship", 4],
]);
const REASON: Record<CaseType, (r: Rand) => ReasonCode> = {
  refund_only: picker<ReasonCode>([
    ["not_received", 18],
    ["quality", 20],
    ["damaged", 10],
    ["missing_item", 8],
    ["logistics_lost", 4],
    ["logistics_delay", 6],
    ["changed_mind", 20],
    ["spoiled", 4],
    ["not_as_described", 6],
    ["other", 4],
  ]),
  return_refund: picker<ReasonCode>([
    ["changed_mind", 36],
    ["size_fit", 20],
    ["quality", 18],
    ["not_as_described", 10],
    ["wrong_item", 5],
    ["damaged", 6],
    ["other", 5],
  ]),
  exchange: picker<ReasonCode>([
    ["size_fit", 55],
    ["quality", 20],
    ["wrong_item", 15],
    ["damaged", 10],
  ]),
  reship: picker<ReasonCode>([
    ["missing_item", 45],
    ["logistics_lost", 35],
    ["damaged", 20],
  ]),
};

/**
 * Catalogue: categories with their after-sales policies, share of cases, median unit price (分) and
 * number of SKUs.
 */
const CATEGORIES: readonly {
  name: string;
  policies: PolicyCode[];
  share: number;
  median: number;
  skus: number;
}[] = [
  { name: "apparel", policies: [], share: 18, median: 12_900, skus: 60 },
  { name: "shoes", policies: [], share: 8, median: 29_900, skus: 30 },
  { name: "underwear", policies: ["no_7day_return"], share: 4, median: 5_900, skus: 20 },
  { name: "digital", policies: [], share: 12, median: 49_900, skus: 40 },
  { name: "accessories", policies: [], share: 14, median: 2_500, skus: 40 },
  { name: "home", policies: [], share: 14, median: 15_900, skus: 40 },
  { name: "fresh_produce", policies: ["fresh"], share: 8, median: 8_900, skus: 20 },
  { name: "custom_print", policies: ["customised"], share: 3, median: 9_900, skus: 10 },
  { name: "imported_beauty", policies: ["cross_border"], share: 6, median: 25_900, skus: 20 },
];
const CATEGORY = picker(CATEGORIES.map((c, i) => [i, c.share] as const));
/** Shared arrays, as the store would hand out equal values; the engine only reads them. */
const SKU_LISTS = CATEGORIES.map((c) =>
  Array.from({ length: c.skus }, (_, k) =>
    Object.freeze([`${c.name.toUpperCase().slice(0, 3)}-${1000 + k}`]),
  ),
);
const CATEGORY_LISTS = CATEGORIES.map((c) => Object.freeze([c.name]));
const POLICY_LISTS = CATEGORIES.map((c) => Object.freeze([...c.policies]));
const NONE: readonly string[] = Object.freeze([]);
const WATCHED: readonly string[] = Object.freeze(["watchlist"]);
const PROMO: readonly string[] = Object.freeze(["double11"]);
/** Submission hour: busy evenings, quiet nights. */
const HOUR = picker(
  [1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4.5, 5, 5, 4, 2].map(
    (w, h) => [h, w] as const,
  ),
);

/** Per-window counts are cached by value: a million cases share a few thousand of them. */
const windows = new Map<string, PerWindow>();
function perWindow(a: number, b: number, c: number): PerWindow {
  const key = `${a},${b},${c}`;
  let w = windows.get(key);
  if (!w) {
    w = Object.freeze({ 30: a, 90: b, 365: c });
    windows.set(key, w);
  }
  return w;
}

export interface Labelled {
  ids: string[];
  facts: CaseFacts[];
  human: HumanDecision[];
}

/** The reviewers' policy: how likely a person rejects a case like this (first match wins). */
function rejectChance(f: CaseFacts): number {
  const sinceDelivery = f.daysSinceDelivery;
  if (f.customerTier === "vip") return 0.05;
  if (f.caseType === "refund_only" && f.parcel === "unshipped") return 0.03;
  if (f.reason === "changed_mind" && f.policies.length > 0 && !f.policies.includes("cross_border"))
    return 0.9;
  if (f.reason === "changed_mind" && sinceDelivery !== null && sinceDelivery > 7) return 0.8;
  if (f.reason === "not_received" && f.parcel === "signed") return 0.85;
  if (f.riskScore >= 70) return 0.7;
  if (f.customerRefunds[90] >= 4) return 0.5;
  if (f.caseType === "refund_only" && f.quotedAmount <= 3_000) return 0.05;
  if (["quality", "damaged", "not_as_described", "wrong_item", "missing_item"].includes(f.reason))
    return f.hasEvidence ? 0.05 : 0.15;
  return 0.08;
}
/** Reviewers are not consistent: this share of decisions goes the other way. */
const NOISE = 0.03;

/** N labelled cases; deterministic for a seed. */
export function generateCases(n: number, seed: number): Labelled {
  const r = mulberry32(seed);
  const ids: string[] = new Array(n);
  const facts: CaseFacts[] = new Array(n);
  const human: HumanDecision[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const [shop, channel] = SHOP(r);
    const caseType = TYPE(r);
    const reason = REASON[caseType](r);
    const cat = CATEGORY(r);
    const category = CATEGORIES[cat] as (typeof CATEGORIES)[number];
    const skuList = SKU_LISTS[cat] as readonly (readonly string[])[];
    // The parcel: goods that must come back went out; refund-only before shipping is common.
    let parcel: ParcelState;
    if (caseType === "refund_only") {
      const x = r();
      parcel =
        reason === "not_received" || reason === "logistics_delay"
          ? x < 0.45
            ? "in_transit"
            : x < 0.85
              ? "signed"
              : "exception"
          : reason === "changed_mind" && x < 0.45
            ? "unshipped"
            : x < 0.05
              ? "in_transit"
              : x < 0.97
                ? "signed"
                : "exception";
    } else if (caseType === "reship" && reason === "logistics_lost") parcel = "exception";
    else parcel = "signed";
    const payToShip = parcel === "unshipped" ? null : 0.1 + exp(r, 1);
    const shipToSign = parcel === "signed" ? 1 + exp(r, 1.5) : null;
    const sinceEvent = exp(r, parcel === "signed" ? 5 : 2);
    const daysSinceShipment = payToShip === null ? null : (shipToSign ?? 0) + sinceEvent;
    const daysSincePayment =
      payToShip === null ? sinceEvent * 0.3 : payToShip + (daysSinceShipment as number);
    const daysSinceDelivery = shipToSign === null ? null : sinceEvent;
    // Money: an order of 1–3 lines around the category's price; the case claims one or all of it.
    const lines = 1 + Math.floor(exp(r, 0.6));
    const unit = Math.max(500, Math.round(logNormal(r, category.median, 0.6) / 100) * 100 - 10);
    const orderAmount = unit * lines + (r() < 0.3 ? 800 : 0);
    const wholeOrder = lines === 1 || r() < 0.35;
    const quotedAmount = wholeOrder ? orderAmount : unit;
    const requestedAmount = r() < 0.25 ? Math.round(quotedAmount * (0.3 + 0.7 * r())) : null;
    // The customer: most have bought a few times and asked back once or never; a few make a habit of it.
    const vip = r() < 0.08;
    const serial = !vip && r() < 0.05;
    const o365 = serial ? 8 + Math.floor(exp(r, 10)) : 1 + Math.floor(exp(r, vip ? 12 : 3));
    const o90 = Math.min(o365, Math.round(o365 * (0.2 + 0.3 * r())) + (serial ? 2 : 0));
    const o30 = Math.min(o90, Math.round(o90 * (0.2 + 0.3 * r())) + (serial ? 1 : 0));
    const r365 = Math.min(o365, serial ? Math.round(o365 * (0.5 + 0.4 * r())) : Math.floor(exp(r, 0.6)));
    const r90 = Math.min(r365, serial ? Math.round(r365 * (0.4 + 0.4 * r())) : Math.floor(exp(r, 0.25)));
    const r30 = Math.min(r90, serial ? Math.round(r90 * (0.3 + 0.5 * r())) : Math.floor(exp(r, 0.1)));
    const submittedHour = HOUR(r);
    const hasEvidence = r() < (reason === "quality" || reason === "damaged" ? 0.65 : 0.35);
    const casesOnOrder = r() < 0.9 ? 0 : r() < 0.85 ? 1 : 2;
    // Risk score (0–100) roughly as the signals would add up, with noise.
    let risk = 5 + 12 * r();
    if (reason === "not_received" && parcel === "signed") risk += 30;
    if (r90 >= 3) risk += 8 * (r90 - 2);
    if (submittedHour < 5) risk += 8;
    if (casesOnOrder > 0) risk += 10;
    if (caseType === "refund_only" && daysSinceDelivery !== null && daysSinceDelivery < 0.1) risk += 15;
    if (r() < 0.02) risk += 40; // shared device, phone or address
    const f: CaseFacts = {
      caseType,
      reason,
      source: SOURCE(r),
      shop,
      channel,
      currency: "CNY",
      requestedAmount,
      quotedAmount,
      orderAmount,
      itemCount: wholeOrder ? lines : 1,
      wholeOrder,
      daysSincePayment,
      daysSinceShipment,
      daysSinceDelivery,
      parcel,
      customerTier: (vip ? "vip" : "normal") as CustomerTier,
      creditScore: r() < 0.3 ? null : Math.round(550 + 400 * r() - (serial ? 120 : 0)),
      customerRefunds: perWindow(r30, r90, r365),
      customerRefundRate: perWindow(r30 / Math.max(1, o30), r90 / Math.max(1, o90), r365 / o365),
      customerTags: (serial && r() < 0.3 ? WATCHED : NONE) as string[],
      skus: skuList[Math.floor(r() * skuList.length)] as string[],
      categories: CATEGORY_LISTS[cat] as string[],
      policies: POLICY_LISTS[cat] as PolicyCode[],
      casesOnOrder,
      hasEvidence,
      submittedHour,
      riskScore: Math.min(100, Math.round(risk)),
      tags: (r() < 0.1 ? PROMO : NONE) as string[],
    };
    const reject = r() < rejectChance(f);
    ids[i] = String(i + 1);
    facts[i] = f;
    human[i] = reject !== r() < NOISE ? "reject" : "approve";
  }
  return { ids, facts, human };
}

// ─── measuring ──────────────────────────────────────────────────────────────────────────────────

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const compiled = compileRuleSet(DEFAULT_RULE_SET, 1);

function timeBacktest(data: Labelled, n: number): { ms: number; report: BacktestReport } {
  const bt = createBacktest(compiled);
  const { ids, facts, human } = data;
  const t = performance.now();
  for (let i = 0; i < n; i++) bt.add(ids[i] as string, facts[i] as CaseFacts, human[i] as HumanDecision);
  const ms = performance.now() - t;
  return { ms, report: bt.report() };
}

function timeEvaluate(data: Labelled, n: number, explain: boolean): { ms: number; sink: number } {
  let sink = 0;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const d = compiled.evaluate(data.facts[i] as CaseFacts);
    sink += d.matched.length;
    if (explain) sink += explainDecision(d, "en").length;
  }
  return { ms: performance.now() - t, sink };
}

/** A place for `backtestRules` to run: the store and a flow context that sends no money. */
function benchContext(store: Store): FlowContext {
  return {
    db: store.db,
    now: () => new Date(),
    payments: createPaymentRegistry({}),
    settings: DEFAULT_SETTINGS,
  };
}

async function adminQuery(admin: URL, text: string) {
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

interface DbResult {
  db: DbKind;
  skipped?: string;
  historyCases?: number;
  generateMs?: number;
  analyzeMs?: number;
  backtestMs?: number;
  casesPerSecond?: number;
  automationRate?: number;
  agreementRate?: number | null;
  /** PostgreSQL: the same backtest on connections with `jit = off`. */
  jitOff?: { backtestMs: number; casesPerSecond: number };
}

/** A progress line redrawn in place on a terminal; nothing in a log. */
const status = (line: string) => {
  if (process.stdout.isTTY) process.stdout.write(`\r${line}\u001b[K`);
};
const statusEnd = () => {
  if (process.stdout.isTTY) process.stdout.write("\r\u001b[K");
};

/** `backtestRules` of the default rules over everything people decided in the store, timed. */
async function timeDbBacktest(store: Store, label: string) {
  const t = performance.now();
  const report = await backtestRules(benchContext(store), {
    definition: DEFAULT_RULE_SET,
    onProgress: (done, total) =>
      status(
        `  ${label}: backtest ${int(done)}/${int(total)} cases, ${int(done / ((performance.now() - t) / 1000))} cases/s`,
      ),
  });
  const ms = performance.now() - t;
  statusEnd();
  return { ms: Math.round(ms), casesPerSecond: Math.round(report.cases / (ms / 1000)), report };
}

async function runDb(kind: DbKind, opts: Options): Promise<DbResult> {
  let history: typeof import("../src/cli/history.ts");
  try {
    history = await import("../src/cli/history.ts");
  } catch (e) {
    return { db: kind, skipped: `no history generator (src/cli/history.ts): ${(e as Error).message}` };
  }
  let admin: URL | undefined;
  let url: URL | undefined;
  let store: Store;
  let reused = false;
  if (kind === "postgres") {
    admin = await findPostgres(opts.pgUrl);
    if (!admin) return { db: kind, skipped: "PostgreSQL is not reachable (give --pg-url)" };
    url = new URL(admin.href);
    url.pathname = `/${opts.dbName}`;
    reused = opts.keep && (await historyIn(url)) === opts.history;
    if (!reused) {
      await adminQuery(admin, `DROP DATABASE IF EXISTS ${opts.dbName} WITH (FORCE)`);
      await adminQuery(admin, `CREATE DATABASE ${opts.dbName}`);
    }
    store = await openStore({ databaseUrl: url.href });
  } else {
    store = await openStore({});
  }
  try {
    let t = performance.now();
    const summary = reused
      ? { cases: opts.history }
      : await history.generateHistory(store.db, {
          cases: opts.history,
          seed: opts.seed,
          progress: (m) => status(`  ${kind}: ${m}`),
        });
    const generateMs = reused ? 0 : performance.now() - t;
    statusEnd();
    if (reused)
      console.log(`  ${kind}: reusing the ${int(opts.history)}-case history in ${opts.dbName} (--keep)`);
    // A bulk load leaves the planner without statistics until autovacuum gets to it; do it now.
    t = performance.now();
    await sql`analyze`.execute(store.db);
    const analyzeMs = performance.now() - t;
    const run = await timeDbBacktest(store, kind);
    const result: DbResult = {
      db: kind,
      historyCases: summary.cases,
      generateMs: Math.round(generateMs),
      analyzeMs: Math.round(analyzeMs),
      backtestMs: run.ms,
      casesPerSecond: run.casesPerSecond,
      automationRate: round(run.report.automationRate, 4),
      agreementRate: run.report.agreementRate === null ? null : round(run.report.agreementRate, 4),
    };
    if (url) {
      // PostgreSQL's JIT (on by default above jit_above_cost) compiles the large facts query of every
      // batch again; measure the same backtest on connections with it off.
      const noJit = new URL(url.href);
      noJit.searchParams.set("options", "-c jit=off");
      const other = await openStore({ databaseUrl: noJit.href, migrate: false });
      try {
        const jit = await sql<{ jit: string }>`show jit`.execute(other.db);
        const off = await timeDbBacktest(other, `${kind} (jit=${jit.rows[0]?.jit})`);
        result.jitOff = { backtestMs: off.ms, casesPerSecond: off.casesPerSecond };
      } finally {
        await other.close();
      }
    }
    return result;
  } finally {
    await store.close();
    if (admin && !opts.keep) await adminQuery(admin, `DROP DATABASE IF EXISTS ${opts.dbName} WITH (FORCE)`);
  }
}

/** How many cases the kept database's history holds (0: none, or no such database). */
async function historyIn(url: URL): Promise<number> {
  const client = new pg.Client({ connectionString: url.href });
  try {
    await client.connect();
    const r = await client.query("select count(*)::int as n from cases");
    return r.rows[0].n as number;
  } catch {
    return 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────

async function main() {
  const opts = readOptions();
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`Rules engine benchmark — Node ${process.version}, ${cpu}, one core`);
  console.log(
    `Rule set: DEFAULT_RULE_SET (${compiled.rules.length} rules, ${compiled.order.length} enabled), seed ${opts.seed}\n`,
  );

  let t = performance.now();
  const heapBefore = process.memoryUsage().heapUsed;
  const data = generateCases(opts.cases, opts.seed);
  const generateMs = performance.now() - t;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const rejected = data.human.filter((h) => h === "reject").length;
  console.log(
    `Generated ${int(opts.cases)} labelled cases in ${int(generateMs)} ms (${int(heapMb)} MB of heap); people rejected ${pct(rejected / opts.cases)}`,
  );

  // Warm up the JIT on a slice, then measure whole passes.
  timeBacktest(data, Math.min(opts.cases, 100_000));
  const runs: number[] = [];
  let report: BacktestReport | undefined;
  for (let k = 0; k < opts.runs; k++) {
    const run = timeBacktest(data, opts.cases);
    runs.push(run.ms);
    report = run.report;
  }
  const r = report as BacktestReport;
  const ms = median(runs);
  const casesPerSecond = opts.cases / (ms / 1000);
  console.log(`\ncreateBacktest(…).add over ${int(opts.cases)} cases (median of ${opts.runs} runs):`);
  console.log(
    `  ${int(ms)} ms, ${int(casesPerSecond)} cases/s  (runs: ${runs.map((x) => int(x)).join(", ")} ms; target ≥ ${int(TARGET_CASES_PER_SECOND)} cases/s ${casesPerSecond >= TARGET_CASES_PER_SECOND ? "✓" : "✗"})`,
  );
  console.log(
    `  automation ${pct(r.automationRate)}, agreement ${pct(r.agreementRate)} (false approvals ${int(r.falseApprovals)}, false rejections ${int(r.falseRejections)}, manual ${int(r.manual)})`,
  );

  const nEval = Math.min(opts.evaluate, opts.cases);
  let evaluate: Record<string, number> | undefined;
  if (nEval > 0) {
    timeEvaluate(data, Math.min(nEval, 10_000), true);
    const plain = timeEvaluate(data, nEval, false);
    const words = timeEvaluate(data, nEval, true);
    evaluate = {
      cases: nEval,
      ms: round(plain.ms),
      casesPerSecond: Math.round(nEval / (plain.ms / 1000)),
      withExplanationMs: round(words.ms),
      withExplanationCasesPerSecond: Math.round(nEval / (words.ms / 1000)),
    };
    console.log(`\nevaluate() — full decisions with traces — over ${int(nEval)} cases:`);
    console.log(`  ${int(plain.ms)} ms, ${int(evaluate.casesPerSecond as number)} cases/s`);
    console.log(
      `  with explainDecision(…, "en"): ${int(words.ms)} ms, ${int(evaluate.withExplanationCasesPerSecond as number)} cases/s`,
    );
  }

  const db: DbResult[] = [];
  if (opts.history > 0) {
    console.log(
      `\nbacktestRules from the database over a ${int(opts.history)}-case history (generateHistory):`,
    );
    t = performance.now();
    for (const kind of opts.dbs) {
      const result = await runDb(kind, opts);
      db.push(result);
      if (result.skipped) console.log(`  ${kind}: skipped — ${result.skipped}`);
      else
        console.log(
          `  ${kind}: ${int(result.backtestMs as number)} ms, ${int(result.casesPerSecond as number)} cases/s end to end; automation ${pct(result.automationRate as number)}, agreement ${pct(result.agreementRate ?? null)} (history written in ${int((result.generateMs as number) / 1000)} s)`,
        );
      if (result.jitOff)
        console.log(
          `  ${kind} with jit = off: ${int(result.jitOff.backtestMs)} ms, ${int(result.jitOff.casesPerSecond)} cases/s end to end`,
        );
    }
  }

  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "backtest.json");
  const { pgUrl: _, ...shownOptions } = opts;
  const result = {
    benchmark: "rules-backtest",
    at: new Date().toISOString(),
    environment: { node: process.version, cpu, cores: cpus().length, platform: process.platform },
    options: shownOptions,
    ruleSet: { name: "DEFAULT_RULE_SET", rules: compiled.rules.length, enabled: compiled.order.length },
    generated: {
      cases: opts.cases,
      ms: Math.round(generateMs),
      heapMb: Math.round(heapMb),
      rejectRate: round(rejected / opts.cases, 4),
    },
    backtest: {
      cases: opts.cases,
      ms: round(ms),
      runsMs: runs.map((x) => round(x)),
      casesPerSecond: Math.round(casesPerSecond),
      target: TARGET_CASES_PER_SECOND,
      met: casesPerSecond >= TARGET_CASES_PER_SECOND,
      automationRate: round(r.automationRate, 4),
      agreementRate: r.agreementRate === null ? null : round(r.agreementRate, 4),
      falseApprovals: r.falseApprovals,
      falseRejections: r.falseRejections,
      manual: r.manual,
      perRule: r.perRule.map(({ name: _, ...rest }) => rest),
    },
    evaluate,
    database: db,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nresults: ${file.slice(ROOT.length + 1)}`);
  if (casesPerSecond < TARGET_CASES_PER_SECOND) process.exitCode = 1;
}

await main();
