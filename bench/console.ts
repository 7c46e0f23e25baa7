/**
 * Console benchmark (待办队列基准): the reviewer queue, the kanban and saved views at 100,000 open cases
 * (and as many ended ones beside them), through the real HTTP server, as a signed-in reviewer.
 *
 *   npm run bench -- console                               100,000 open cases on PGlite and PostgreSQL
 *   npm run bench -- console --open 20000 --db pglite --requests 20
 *
 * 1. Facts are written set-based with SQL (generate_series), not through the flows: 5 shops, 20
 *    reviewers, customers with Chinese names and phone numbers, one order and one parcel per case, the
 *    open cases spread over every open state with an SLA in the next two weeks (some overdue), a risk
 *    score, an amount for three in four, an owner for six in ten, a platform id for one in three;
 *    then as many ended cases (closed, rejected, cancelled). VACUUM ANALYZE (as autovacuum would).
 * 2. The service's HTTP server listens on a loopback port in this process (PGlite runs in-process and
 *    cannot be shared); a reviewer signs in (session cookie) and saves two views.
 * 3. Each request below is sent `--requests` times after a few unmeasured ones; p50 and p95 are
 *    reported. Each of its statements is then run once with EXPLAIN ANALYZE: the database's own time
 *    ("db"), and the plan must use the indexes of migration 019 (no sequential scan of cases, orders,
 *    shipments or customers — the benchmark fails otherwise).
 *
 * Results go to bench/results/console-<db>.json; see bench/README.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type RawBuilder, sql } from "kysely";
import pg from "pg";
import { SESSION_COOKIE } from "../src/api/auth.ts";
import { BUILT_IN_VIEWS } from "../src/api/routes/queue.ts";
import { buildServer } from "../src/api/server.ts";
import { createPaymentRegistry } from "../src/channels/payments/registry.ts";
import { SYSTEM_ACTOR } from "../src/flows/audit.ts";
import { DEFAULT_SETTINGS, type FlowContext } from "../src/flows/context.ts";
import { createUser } from "../src/flows/users.ts";
import { openStore, type Store } from "../src/store/db.ts";
import {
  boardSql,
  countEachSql,
  OPEN_STATES,
  type QueueFilter,
  queuePageSql,
  queueWhere,
  TERMINAL_STATES,
} from "../src/store/queue.ts";
import { findPostgres } from "./postgres.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BENCH_DB = "aftersales_bench_console";
const PASSWORD = "bench-password";
const REVIEWERS = 20;

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "console" && a !== "bench"),
  options: {
    open: { type: "string", default: "100000" },
    ended: { type: "string", description: "ended cases beside the open ones (default: as many)" },
    db: { type: "string", default: "both" },
    "pg-url": { type: "string" },
    requests: { type: "string", default: "40" },
    warmup: { type: "string", default: "5" },
  },
});
const OPEN = Number(opts.open);
const ENDED = opts.ended === undefined ? OPEN : Number(opts.ended);
const REQUESTS = Number(opts.requests);
const WARMUP = Number(opts.warmup);

const say = (m: string) => process.stderr.write(`${m}\n`);
const percentile = (xs: number[], p: number) => {
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};

/** Open states with their share of the open cases (a merchant's usual spread). */
const SPREAD: [string, number][] = [
  ["requested", 35],
  ["approved", 10],
  ["awaiting_return", 15],
  ["return_in_transit", 10],
  ["partially_received", 2],
  ["received", 8],
  ["inspected", 5],
  ["inspection_failed", 2],
  ["refunding", 5],
  ["refund_failed", 3],
  ["refunded", 3],
  ["replacement_shipped", 2],
];

async function seed(store: Store, now: Date) {
  const db = store.db;
  const total = OPEN + ENDED;
  if (
    SPREAD.map(([s]) => s)
      .sort()
      .join() !== [...OPEN_STATES].sort().join()
  )
    throw new Error("SPREAD must name every open state");
  const states = SPREAD.flatMap(([s, n]) => Array<string>(n).fill(s));
  await sql`insert into shops (id, name, channel)
            select 'shop-' || i, 'Shop ' || i, (array['tmall', 'jd', 'pdd', 'douyin', 'shopify'])[i]
              from generate_series(1, 5) i`.execute(db);
  for (let i = 0; i < REVIEWERS; i++) {
    await createUser(
      { db, now: () => now } as FlowContext,
      SYSTEM_ACTOR,
      { roles: ["reviewer"], shops: null },
      { login: `reviewer${i}`, name: `审核员${i}`, password: PASSWORD, role: "reviewer", shops: null },
    );
  }
  const customers = Math.ceil(total / 2);
  await sql`
    insert into customers (id, name, phone)
    select 'cu' || i,
           (array['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','高','林','罗'])[1 + i % 20] ||
           (array['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','秀英','霞','平'])[1 + (i / 20) % 20] ||
           (array['','一','华','林','文','东'])[1 + (i / 400) % 6],
           '1' || (30 + i % 60)::text || lpad(((i::bigint * 7919) % 100000000)::text, 8, '0')
      from generate_series(1, ${customers}) i`.execute(db);
  await sql`
    insert into orders (shop_id, external_id, customer_id, currency, discount_total, shipping_fee, paid_total,
                        placed_at, paid_at, content_hash, created_at, updated_at)
    select 'shop-' || (1 + i % 5), 'T' || (2026000000 + i), 'cu' || (1 + (i::bigint * 31) % ${customers}), 'CNY', 0, 0,
           5000 + (i % 400) * 100, t, t, 'h', t, t
      from generate_series(1, ${total}) i,
           lateral (select ${now}::timestamptz - ((i % 2592000) || ' seconds')::interval as t) x`.execute(db);
  await sql`
    insert into shipments (order_id, direction, carrier, tracking_no, status, shipped_at, created_at)
    select id, 'outbound', 'SF', 'SF' || (1300000000 + id), 'delivered', created_at, created_at from orders`.execute(
    db,
  );
  say(`  ${total.toLocaleString()} orders and parcels written`);
  const users = (await sql<{ id: number }>`select id from users order by id`.execute(db)).rows.map((r) =>
    Number(r.id),
  );
  // Open cases: the first OPEN orders. Ended ones: the rest.
  await sql`
    insert into cases (order_id, shop_id, customer_id, external_id, type, status, reason, source, currency,
                       requested_amount, risk_score, sla_due_at, owner_id, owner_since, first_approval, queue,
                       priority, tags, status_since, created_at, updated_at)
    select o.id, o.shop_id, o.customer_id,
           case when o.id % 3 = 0 then 'RA' || (880000000 + o.id) end,
           case when st in ('awaiting_return','return_in_transit','partially_received','received','inspected','inspection_failed')
                then 'return_refund' when st = 'replacement_shipped' then 'exchange' else 'refund_only' end,
           st,
           (array['quality','damaged','not_as_described','changed_mind','size_fit','not_received','wrong_item'])[1 + o.id % 7],
           (array['platform','chat','phone','api'])[1 + o.id % 4], 'CNY',
           case when o.id % 4 = 0 then null else 1000 + (o.id % 300) * 100 end,
           (o.id * 37) % 100,
           case when o.id % 11 = 0 then null
                else ${now}::timestamptz + (((o.id * 7919) % 20160) - 2880) * interval '1 minute' end,
           case when o.id % 10 < 6 then (${users}::bigint[])[1 + o.id % ${users.length}] end,
           case when o.id % 10 < 6 then o.created_at end,
           case when st = 'requested' and o.id % 40 = 0 then 'user:reviewer0' end,
           'default', 50, '{}', o.created_at, o.created_at, o.created_at
      from orders o,
           lateral (select case when o.id <= ${OPEN}
                                then (${states}::text[])[1 + (o.id * 13) % ${states.length}]
                                else (${[...TERMINAL_STATES]}::text[])[1 + o.id % ${TERMINAL_STATES.length}] end as st) s`.execute(
    db,
  );
  say(`  ${OPEN.toLocaleString()} open and ${ENDED.toLocaleString()} ended cases written`);
  // What autovacuum does soon after a bulk load: statistics, and the visibility map that lets counts
  // read the indexes alone.
  await sql`vacuum analyze`.execute(db);
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}
interface PlanJson {
  Plan: PlanNode;
  "Execution Time": number;
}
const BIG_TABLES = ["cases", "orders", "shipments", "customers"];
/** Sequential scans of the big tables anywhere in a plan. */
const seqScansIn = (n: PlanNode | undefined): string[] =>
  n
    ? [
        ...(n["Node Type"] === "Seq Scan" && BIG_TABLES.includes(n["Relation Name"] ?? "")
          ? [`Seq Scan on ${n["Relation Name"]}`]
          : []),
        ...(n.Plans ?? []).flatMap(seqScansIn),
      ]
    : [];

interface Request {
  name: string;
  url: string;
  /** The statements the request runs, for EXPLAIN. */
  plans: () => RawBuilder<unknown>[] | Promise<RawBuilder<unknown>[]>;
}

async function runOn(kind: "pglite" | "postgres") {
  let store: Store;
  if (kind === "postgres") {
    const admin = await findPostgres(opts["pg-url"]);
    if (!admin) return { db: kind, skipped: "PostgreSQL is not reachable (give --pg-url)" };
    const c = new pg.Client({ connectionString: admin.href });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${BENCH_DB}`);
    await c.end();
    const url = new URL(admin.href);
    url.pathname = `/${BENCH_DB}`;
    store = await openStore({ databaseUrl: url.href });
  } else {
    store = await openStore({});
  }
  const now = new Date();
  const ctx: FlowContext = {
    db: store.db,
    now: () => new Date(),
    payments: createPaymentRegistry({}),
    settings: DEFAULT_SETTINGS,
  };
  const app = await buildServer({ ctx, dbKind: store.kind, consoleDir: null });
  try {
    const t = performance.now();
    await seed(store, now);
    const seedMs = performance.now() - t;
    const base = await app.listen({ host: "127.0.0.1", port: 0 });

    // A reviewer signs in, as the console does, and saves two views.
    const signIn = await fetch(`${base}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "reviewer3", password: PASSWORD }),
    });
    const session = (await signIn.json()) as { csrfToken: string; user: { id: number } };
    const cookie = /aftersales_session=([^;]*)/.exec(signIn.headers.get("set-cookie") ?? "")?.[1] ?? "";
    const headers = { cookie: `${SESSION_COOKIE}=${cookie}`, "x-csrf-token": session.csrfToken };
    const me = Number(session.user.id);
    const savedFilters: QueueFilter[] = [
      { shop: "shop-2", minRisk: 50 },
      { status: "refund_failed,inspection_failed", owner: "none" },
    ];
    for (const [i, filters] of savedFilters.entries()) {
      const r = await fetch(`${base}/api/v1/views`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ name: `视图${i}`, shared: i === 1, filters }),
      });
      if (r.status !== 201) throw new Error(`saving a view: ${r.status} ${await r.text()}`);
    }

    const viewer = { shops: null, me };
    const where = (f: QueueFilter) => queueWhere(f, viewer, new Date());
    const page = (f: QueueFilter, p: Partial<Parameters<typeof queuePageSql>[1]> = {}) => {
      const q = queuePageSql(where(f), { sort: "slaDueAt", order: "asc", offset: 0, limit: 50, ...p });
      return [q.total, q.rows];
    };
    // Something each search finds: an order number's start, a platform id, a parcel, a phone, a name.
    const sample = (
      await sql<{ order_ext: string; platform: string; tracking: string; phone: string }>`
        select o.external_id as order_ext, c.external_id as platform, s.tracking_no as tracking, cu.phone
          from cases c join orders o on o.id = c.order_id join shipments s on s.order_id = o.id
          join customers cu on cu.id = c.customer_id
         where c.id = (select max(id) from cases where external_id is not null and id <= ${OPEN})`.execute(
        store.db,
      )
    ).rows[0];
    if (!sample) throw new Error("no sample case");
    const searches: [string, string][] = [
      ["order number", sample.order_ext.slice(0, -1)],
      ["platform case id", sample.platform],
      ["tracking number", sample.tracking],
      ["phone, last 4", sample.phone.slice(-4)],
      ["name", "张伟"],
    ];
    const requests: Request[] = [
      // What any signed-in request costs (session, permission, one small read): the floor under the rest.
      { name: "baseline: GET /settings/assignment", url: "/settings/assignment", plans: () => [] },
      { name: "queue: all open, nearest SLA first", url: "/queue", plans: () => page({}) },
      {
        name: "queue: awaiting review, oldest first",
        url: "/queue?status=requested&sort=createdAt",
        plans: () => page({ status: "requested" }, { sort: "createdAt" }),
      },
      { name: "queue: mine", url: "/queue?owner=me", plans: () => page({ owner: "me" }) },
      {
        name: "queue: unassigned, due within 4 h",
        url: "/queue?owner=none&due=soon",
        plans: () => page({ owner: "none", due: "soon" }),
      },
      {
        name: "queue: one shop, highest risk first",
        url: "/queue?shop=shop-3&sort=riskScore",
        plans: () => page({ shop: "shop-3" }, { sort: "riskScore", order: "desc" }),
      },
      {
        name: "queue: largest amount first",
        url: "/queue?sort=amount",
        plans: () => page({}, { sort: "amount", order: "desc" }),
      },
      {
        name: "queue: page 101 (offset 5000)",
        url: "/queue?offset=5000",
        plans: () => page({}, { offset: 5000 }),
      },
      ...searches.map(([what, q]) => ({
        name: `queue: search by ${what}`,
        url: `/queue?q=${encodeURIComponent(q)}`,
        plans: () => page({ q }),
      })),
      {
        name: "board: 12 columns × 20 cards",
        url: "/board",
        plans: () => {
          const b = boardSql(where({}), [...OPEN_STATES], 20);
          return [b.counts, b.cards];
        },
      },
      {
        name: "views: 6 built-in + 2 saved, with counts",
        url: "/views",
        plans: async () => [
          countEachSql([
            ...(await Promise.all(BUILT_IN_VIEWS.map(async (v) => where(await v.filters(ctx))))),
            ...savedFilters.map(where),
          ]),
        ],
      },
    ];

    const results: Record<
      string,
      { p50Ms: number; p95Ms: number; dbMs: number; total: number | null; seqScans: string[] }
    > = {};
    for (const r of requests) {
      const times: number[] = [];
      let total: number | null = null;
      for (let i = 0; i < WARMUP + REQUESTS; i++) {
        const s = performance.now();
        const res = await fetch(`${base}/api/v1${r.url}`, { headers });
        const body = (await res.json()) as { total?: number; columns?: { count: number }[] };
        const ms = performance.now() - s;
        if (res.status !== 200) throw new Error(`${r.url}: ${res.status} ${JSON.stringify(body)}`);
        total =
          body.total ??
          (body.columns ? body.columns.reduce((a: number, c: { count: number }) => a + c.count, 0) : null) ??
          null;
        if (i >= WARMUP) times.push(ms);
      }
      // The plans, run once: no sequential scan of a big table, and the database's own time.
      const seqScans: string[] = [];
      let dbMs = 0;
      for (const stmt of await r.plans()) {
        const [out] = (
          await sql<{ "QUERY PLAN": unknown }>`explain (analyze, format json) ${stmt}`.execute(store.db)
        ).rows;
        const json = out?.["QUERY PLAN"];
        const [plan] = (typeof json === "string" ? JSON.parse(json) : json) as PlanJson[];
        dbMs += plan?.["Execution Time"] ?? 0;
        seqScans.push(...seqScansIn(plan?.Plan));
      }
      results[r.name] = {
        p50Ms: Number(percentile(times, 50).toFixed(1)),
        p95Ms: Number(percentile(times, 95).toFixed(1)),
        dbMs: Number(dbMs.toFixed(1)),
        total,
        seqScans,
      };
      say(
        `  ${kind}: ${r.name.padEnd(44)} p50 ${results[r.name]?.p50Ms.toFixed(1).padStart(6)} ms  p95 ${results[r.name]?.p95Ms.toFixed(1).padStart(6)} ms  db ${results[r.name]?.dbMs.toFixed(1).padStart(5)} ms  (${total ?? "-"})${seqScans.length ? `  SEQ SCAN: ${seqScans.join("; ")}` : ""}`,
      );
    }
    return {
      db: kind,
      openCases: OPEN,
      endedCases: ENDED,
      seedSeconds: Number((seedMs / 1000).toFixed(1)),
      requests: REQUESTS,
      results,
    };
  } finally {
    await app.close();
    await store.close();
  }
}

const dbs = opts.db === "both" ? (["pglite", "postgres"] as const) : [opts.db as "pglite" | "postgres"];
const environment = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
let failed = false;
for (const kind of dbs) {
  say(`${kind}: ${OPEN.toLocaleString()} open cases, ${ENDED.toLocaleString()} ended`);
  const r = await runOn(kind);
  if ("results" in r && r.results)
    for (const x of Object.values(r.results)) if (x.seqScans.length) failed = true;
  const file = join(ROOT, "bench", "results", `console-${kind}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: "console", at: new Date().toISOString(), environment, ...r }, null, 2)}\n`,
  );
  say(`  results: ${file.slice(ROOT.length + 1)}`);
}
if (failed) {
  say("\nA statement scans a whole table — see SEQ SCAN above.");
  process.exitCode = 1;
}
