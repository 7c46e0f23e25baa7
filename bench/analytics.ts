/**
 * Analytics benchmark (售后分析基准): every analytics question at 1,000,000 cases must be answered in
 * under 200 ms, from the rollups of migration 012.
 *
 *   npm run bench -- analytics                         1,000,000 cases on PGlite and PostgreSQL
 *   npm run bench -- analytics --cases 200000 --db pglite
 *
 * 1. Facts are written set-based with SQL (generate_series): 5 shops, 2,000 SKUs in 10 categories,
 *    1.5 orders per case over 12 months, each case with its timeline (submitted, decided — 30% by a
 *    rule — refunded and closed, or rejected), its refund, refund lines and ledger entries. The
 *    triggers are off while loading (session_replication_role = replica) and the rollups are then
 *    rebuilt in one pass, which is timed.
 * 2. With the triggers on, 10,000 more cases are written the same way, to time appending their deltas
 *    as the facts arrive, then folding those deltas into the rollups (the fold job's work).
 * 3. Each question (refund rate by SKU, category, shop and month; reasons; automation; stage times;
 *    costs) is asked 15 times, over all months and over the last quarter; the median and the worst
 *    are reported.
 * 4. The dashboard (console /analytics): the API server runs on the benchmark's database (a pool of
 *    AFTERSALES_DB_POOL's default size, 10) and a supervisor's token asks, over HTTP and all at once as
 *    the browser does, the five questions a dashboard load asks (reasons, automation, refund-rate trend,
 *    stage times, costs) — for its default six months, a year, one shop, one channel, and with the trend
 *    by SKU — `--dashboard-runs` times each (30). A load's time is from the first request sent to the
 *    last answer read; the p95 over all loads must stay under 300 ms.
 *
 *   npm run bench -- analytics --db postgres --db-name my_bench     another database name (default
 *                                                                   aftersales_bench_analytics)
 *
 * Results go to bench/results/analytics.json (a run on one database replaces only that database's
 * result); see bench/README.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import pg from "pg";
import { buildServer } from "../src/api/server.ts";
import { createPaymentRegistry } from "../src/channels/payments/registry.ts";
import {
  automationRate,
  costReport,
  foldAnalytics,
  reasonDistribution,
  refundRateReport,
  stageTimes,
} from "../src/flows/analytics.ts";
import { DEFAULT_SETTINGS, type FlowContext } from "../src/flows/context.ts";
import { openStore, type Store } from "../src/store/db.ts";
import { createToken } from "../src/store/tokens.ts";
import { findPostgres } from "./postgres.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TARGET_MS = 200;
/** The dashboard's requests together, p95. */
const DASHBOARD_TARGET_MS = 300;

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "analytics"),
  options: {
    cases: { type: "string", default: "1000000" },
    db: { type: "string", default: "both" },
    "pg-url": { type: "string" },
    runs: { type: "string", default: "15" },
    "dashboard-runs": { type: "string", default: "30" },
    "db-name": { type: "string", default: "aftersales_bench_analytics" },
    /** Leave the PostgreSQL database in place afterwards (to look at plans). */
    keep: { type: "boolean", default: false },
  },
});
const CASES = Number(opts.cases);
const RUNS = Number(opts.runs);
const DASHBOARD_RUNS = Number(opts["dashboard-runs"]);
const BENCH_DB = opts["db-name"] as string;
if (!/^[a-z_][a-z0-9_]*$/.test(BENCH_DB))
  throw new Error(`--db-name: "${BENCH_DB}" is not a plain database name`);

const say = (m: string) => process.stderr.write(`${m}\n`);

/** Write `n` cases (and their orders, timelines, refunds, ledger) starting at case number `from`. */
async function writeFacts(store: Store, from: number, n: number) {
  const db = store.db;
  const orders = Math.round(n * 1.5);
  const o0 = Math.round(from * 1.5);
  // Orders spread over the 12 months before 2026-11-01, one line each.
  await sql`
    insert into orders (shop_id, external_id, currency, discount_total, shipping_fee, paid_total, placed_at,
                        paid_at, content_hash, created_at, updated_at)
    select 'shop-' || (1 + i % 5), 'B' || i, 'CNY', 0, 0, 0,
           t, t, 'h', t, t
      from generate_series(${o0}::bigint, ${o0 + orders - 1}::bigint) i,
           lateral (select timestamptz '2025-11-01' + ((i * 7919) % 31536000) * interval '1 second' as t) x`.execute(
    db,
  );
  await sql`
    insert into order_lines (order_id, line_no, external_id, sku, title, category, quantity, unit_price,
                             line_discount, order_discount, paid)
    select o.id, 1, '1', 'SKU-' || (h % 2000), 'Item', 'cat-' || (h % 2000 % 10), q, p, 0, 0, q * p
      from orders o,
           lateral (select abs(hashtext(o.external_id)) as h) a,
           lateral (select 1 + a.h % 3 as q, 1000 + (a.h % 490) * 100 as p) b
     where o.external_id like 'B%' and o.id > (select coalesce(max(order_id), 0) from order_lines)`.execute(
    db,
  );
  await sql`update orders set paid_total = l.paid from order_lines l
             where l.order_id = orders.id and orders.paid_total = 0 and orders.external_id like 'B%'`.execute(
    db,
  );
  // One case on each of the first n of these orders.
  await sql`
    insert into cases (order_id, shop_id, external_id, type, status, reason, source, currency, status_since,
                       created_at, updated_at)
    select o.id, o.shop_id, null, (array['refund_only', 'return_refund'])[1 + h % 2],
           case when h % 10 < 7 then 'closed' else 'rejected' end,
           (array['quality', 'damaged', 'size_fit', 'changed_mind', 'not_as_described', 'logistics_delay',
                  'wrong_item', 'missing_item'])[1 + (h / 7) % 8],
           'platform', 'CNY', o.placed_at + interval '3 days', o.placed_at + interval '2 days',
           o.placed_at + interval '3 days'
      from (select o.*, abs(hashtext(o.external_id || 'c')) as h from orders o
             where o.external_id like 'B%' and not exists (select 1 from cases c where c.order_id = o.id)
             order by o.id limit ${n}) o`.execute(db);
  // Timelines: submitted; decided after 1–48 h (30% by a rule); approved ones refunded and closed.
  await sql`
    insert into case_events (case_id, at, actor, action, from_status, to_status)
    select c.id, e.at, e.actor, e.action, e.from_s, e.to_s
      from cases c
      cross join lateral (select abs(hashtext(c.id::text)) as h) a
      cross join lateral (values
        (0, c.created_at, 'user:cs', 'submit', null, 'requested'),
        (1, c.created_at + (1 + a.h % 48) * interval '1 hour',
            case when a.h % 10 < 3 then 'rule:small-amount' else 'user:reviewer' end,
            case when c.status = 'closed' then 'approve' else 'reject' end,
            'requested', case when c.status = 'closed' then 'approved' else 'rejected' end),
        (2, c.created_at + (2 + a.h % 48) * interval '1 hour', 'user:finance', 'grant_refund', 'approved', 'refunding'),
        (3, c.created_at + (2 + a.h % 48) * interval '1 hour' + (a.h % 600) * interval '1 second',
            'channel:wechat_pay', 'refund_succeeded', 'refunding', 'refunded'),
        (4, c.created_at + (26 + a.h % 48) * interval '1 hour', 'system:close', 'close', 'refunded', 'closed')
      ) as e(k, at, actor, action, from_s, to_s)
     where c.id > ${from} - 1 and c.external_id is null and (c.status = 'closed' or e.k < 2)
       and not exists (select 1 from case_events x where x.case_id = c.id)
     order by c.id, e.k`.execute(db);
  await sql`
    insert into refunds (case_id, order_id, channel, currency, amount, goods_amount, shipping_amount,
                         idempotency_key, status, quote, grant_no, created_at, updated_at, succeeded_at)
    select c.id, c.order_id, 'wechat_pay', 'CNY', o.paid_total, o.paid_total, 0, 'BK' || c.id, 'succeeded',
           '{}'::jsonb, 1, c.created_at, c.created_at, c.created_at + interval '1 day'
      from cases c join orders o on o.id = c.order_id
     where c.status = 'closed' and not exists (select 1 from refunds r where r.case_id = c.id)`.execute(db);
  await sql`
    insert into refund_lines (refund_id, order_line_id, quantity, amount, consumed)
    select r.id, l.id, l.quantity, l.paid, l.paid
      from refunds r join order_lines l on l.order_id = r.order_id
     where not exists (select 1 from refund_lines x where x.refund_id = r.id)`.execute(db);
  await sql`
    insert into ledger_entries (source, kind, tender, case_id, order_id, refund_id, shop_id, reason, currency,
                                amount, actor, occurred_at)
    select 'refund:' || r.id || ':goods', 'refund_goods', 'wechat_pay', r.case_id, r.order_id, r.id, c.shop_id,
           c.reason, 'CNY', r.goods_amount, 'bench', r.succeeded_at
      from refunds r join cases c on c.id = r.case_id
     where not exists (select 1 from ledger_entries x where x.refund_id = r.id)`.execute(db);
}

async function adminQuery(admin: URL, text: string) {
  const c = new pg.Client({ connectionString: admin.href });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1] as number;
const ms = (x: number) => Math.round(x * 10) / 10;

/**
 * What the console's /analytics asks when it opens (web/src/console/analytics): five questions for the
 * same months, shop and channel, sent together.
 */
const DASHBOARD_PATHS = (q: string, by = "category") => [
  `/api/v1/analytics/reasons?${q}`,
  `/api/v1/analytics/automation?${q}`,
  `/api/v1/analytics/refund-trend?${q}&by=${by}`,
  `/api/v1/analytics/stage-times?${q}`,
  `/api/v1/analytics/costs?${q}`,
];

/** Time dashboard loads over HTTP against the API server on `store`; each load's requests go at once. */
async function timeDashboard(store: Store, kind: "pglite" | "postgres", ctx: FlowContext) {
  const app = await buildServer({ ctx: { ...ctx, db: store.db }, dbKind: store.kind, consoleDir: null });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const { token } = await createToken(store.db, { name: "bench-dashboard", role: "supervisor" });
  const headers = { authorization: `Bearer ${token}`, "accept-language": "zh-CN" };
  // The benchmark's "now" is 2026-11-01: the default range is the six months before it.
  const scenarios: Record<string, string[]> = {
    "default (6 months)": DASHBOARD_PATHS("from=2026-05&to=2026-10"),
    "12 months": DASHBOARD_PATHS("from=2025-11&to=2026-10"),
    "one shop": DASHBOARD_PATHS("from=2026-05&to=2026-10&shop=shop-2"),
    "one channel": DASHBOARD_PATHS("from=2026-05&to=2026-10&channel=jd"),
    "trend by SKU, 12 months": DASHBOARD_PATHS("from=2025-11&to=2026-10", "sku"),
  };
  const load = async (paths: string[]) => {
    const s = performance.now();
    await Promise.all(
      paths.map(async (p) => {
        const res = await fetch(url + p, { headers });
        if (res.status !== 200) throw new Error(`${p}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }),
    );
    return performance.now() - s;
  };
  try {
    // One load of each first: connections opened, statements prepared, as in a running service.
    for (const paths of Object.values(scenarios)) await load(paths);
    const all: number[] = [];
    const per: Record<string, { medianMs: number; p95Ms: number; worstMs: number }> = {};
    for (const [name, paths] of Object.entries(scenarios)) {
      const times: number[] = [];
      for (let i = 0; i < DASHBOARD_RUNS; i++) times.push(await load(paths));
      all.push(...times);
      per[name] = { medianMs: ms(median(times)), p95Ms: ms(p95(times)), worstMs: ms(Math.max(...times)) };
      say(
        `  ${kind}: dashboard, ${name.padEnd(24)} median ${per[name].medianMs} ms, p95 ${per[name].p95Ms} ms, worst ${per[name].worstMs} ms`,
      );
    }
    const together = {
      loads: all.length,
      medianMs: ms(median(all)),
      p95Ms: ms(p95(all)),
      worstMs: ms(Math.max(...all)),
    };
    say(`  ${kind}: dashboard, all loads: p95 ${together.p95Ms} ms (target ${DASHBOARD_TARGET_MS} ms)`);
    return {
      requestsPerLoad: 5,
      ...together,
      underTarget: together.p95Ms < DASHBOARD_TARGET_MS,
      scenarios: per,
    };
  } finally {
    await app.close();
  }
}

async function run(kind: "pglite" | "postgres") {
  let admin: URL | undefined;
  let store: Store;
  let dbUrl: string | undefined;
  if (kind === "postgres") {
    admin = await findPostgres(opts["pg-url"]);
    if (!admin) return { db: kind, skipped: "PostgreSQL is not reachable (give --pg-url)" };
    await adminQuery(admin, `DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await adminQuery(admin, `CREATE DATABASE ${BENCH_DB}`);
    const url = new URL(admin.href);
    url.pathname = `/${BENCH_DB}`;
    store = await openStore({ databaseUrl: url.href, poolSize: 1 });
    dbUrl = url.href;
  } else {
    store = await openStore({});
  }
  const ctx: FlowContext = {
    db: store.db,
    now: () => new Date("2026-11-01T00:00:00Z"),
    payments: createPaymentRegistry({}),
    settings: DEFAULT_SETTINGS,
  };
  try {
    await sql`insert into shops (id, name, channel)
              select 'shop-' || i, 'Shop ' || i, (array['tmall', 'jd', 'pdd', 'douyin', 'shopify'])[i]
                from generate_series(1, 5) i`.execute(store.db);
    let t = performance.now();
    const batch = 250_000;
    await store.db.connection().execute(async (conn) => {
      await sql`set session_replication_role = replica`.execute(conn);
      for (let from = 0; from < CASES; from += batch) {
        await writeFacts({ ...store, db: conn } as Store, from, Math.min(batch, CASES - from));
        say(`  ${kind}: ${Math.min(from + batch, CASES).toLocaleString()} cases written`);
      }
      await sql`set session_replication_role = origin`.execute(conn);
    });
    const loadMs = performance.now() - t;
    t = performance.now();
    await sql`select analytics_rebuild()`.execute(store.db);
    const rebuildMs = performance.now() - t;
    // Alerts as a running service has them: a risky case in twenty, and the quality scan's jumps (the
    // dashboard pins those on its refund-rate trend).
    await sql`insert into alerts (kind, subject, severity, dedupe_key, case_id, shop_id, reason, data, created_at, updated_at)
              select 'case_risk', 'customer', 'critical', 'case_risk:' || c.id, c.id, c.shop_id,
                     '{"zh": "风险", "en": "Risk"}'::jsonb, '{}'::jsonb, c.created_at, c.created_at
                from cases c where c.id % 20 = 0`.execute(store.db);
    await sql`insert into alerts (kind, subject, severity, dedupe_key, shop_id, reason, data, created_at, updated_at)
              select k || '_quality', case k when 'sku' then 'SKU-' || (i * 37 % 2000) else 'cat-' || (i % 10) end,
                     'warning', k || '_quality:' || i, 'shop-' || (1 + i % 5),
                     '{"zh": "退款率跃升", "en": "Refund rate jumped"}'::jsonb,
                     '{"recentRate": 0.3, "baselineRate": 0.05}'::jsonb,
                     timestamptz '2025-11-10' + i * interval '14 days', timestamptz '2025-11-10' + i * interval '14 days'
                from generate_series(1, 24) i, unnest(array['sku', 'category']) k`.execute(store.db);
    await sql`analyze`.execute(store.db);
    t = performance.now();
    await writeFacts(store, CASES, 10_000);
    const incrementalMs = performance.now() - t;
    // What the analytics fold job then adds into the rollups (migration 021), and that it equals a rebuild.
    t = performance.now();
    const folded = await foldAnalytics(ctx, Number.POSITIVE_INFINITY);
    const foldMs = performance.now() - t;
    say(`  ${kind}: ${folded.toLocaleString()} deltas folded in ${(foldMs / 1000).toFixed(1)} s`);
    const sizes = await sql<{ t: string; n: string }>`
      select 'cases' as t, count(*) as n from cases union all select 'case_events', count(*) from case_events
      union all select 'rollup_sales', count(*) from rollup_sales
      union all select 'rollup_category_sales', count(*) from rollup_category_sales union all select 'rollup_cases', count(*) from rollup_cases
      union all select 'rollup_stages', count(*) from rollup_stages union all select 'rollup_costs', count(*) from rollup_costs`.execute(
      store.db,
    );
    const questions: Record<string, () => Promise<unknown>> = {
      "refund rate by SKU": () => refundRateReport(ctx, { by: "sku" }),
      "refund rate by SKU, last quarter": () =>
        refundRateReport(ctx, { by: "sku", from: "2026-08", to: "2026-10" }),
      "refund rate by category": () => refundRateReport(ctx, { by: "category" }),
      "refund rate by shop": () => refundRateReport(ctx, { by: "shop" }),
      "refund rate by month": () => refundRateReport(ctx, { by: "month" }),
      "reason distribution": () => reasonDistribution(ctx, {}),
      "automation rate by month": () => automationRate(ctx, {}),
      "stage times p50/p90": () => stageTimes(ctx, {}),
      "stage times, one shop": () => stageTimes(ctx, { shop: "shop-3" }),
      "compensation and refund cost": () => costReport(ctx, {}),
    };
    const timings: Record<string, { medianMs: number; worstMs: number }> = {};
    for (const [name, ask] of Object.entries(questions)) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        await ask();
        times.push(performance.now() - s);
      }
      timings[name] = {
        medianMs: Math.round(median(times) * 10) / 10,
        worstMs: Math.round(Math.max(...times) * 10) / 10,
      };
      say(
        `  ${kind}: ${name.padEnd(36)} median ${timings[name].medianMs} ms, worst ${timings[name].worstMs} ms`,
      );
    }
    // The dashboard through the API server, on a pool as a service has (PGlite: its one connection).
    const served = dbUrl ? await openStore({ databaseUrl: dbUrl, poolSize: 10 }) : store;
    let dashboard: Awaited<ReturnType<typeof timeDashboard>>;
    try {
      dashboard = await timeDashboard(served, kind, ctx);
    } finally {
      if (served !== store) await served.close();
    }
    return {
      db: kind,
      cases: CASES + 10_000,
      rows: Object.fromEntries(sizes.rows.map((r) => [r.t, Number(r.n)])),
      loadSeconds: Math.round(loadMs / 100) / 10,
      rebuildSeconds: Math.round(rebuildMs / 100) / 10,
      incremental10kCasesSeconds: Math.round(incrementalMs / 100) / 10,
      fold10kCasesSeconds: Math.round(foldMs / 100) / 10,
      deltasFolded: folded,
      timings,
      allUnderTarget: Object.values(timings).every((x) => x.medianMs < TARGET_MS),
      dashboard,
    };
  } finally {
    await store.close();
    if (admin && !opts.keep) await adminQuery(admin, `DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
  }
}

const kinds = opts.db === "both" ? (["pglite", "postgres"] as const) : [opts.db as "pglite" | "postgres"];
const results = [];
for (const kind of kinds) {
  say(`analytics benchmark: ${CASES.toLocaleString()} cases on ${kind}`);
  results.push(await run(kind));
}
// A run on one database replaces that database's result and keeps the other's.
const file = join(ROOT, "bench/results/analytics.json");
const earlier = existsSync(file)
  ? ((JSON.parse(readFileSync(file, "utf8")) as { results?: { db: string }[] }).results ?? [])
  : [];
const out = {
  at: new Date().toISOString(),
  cpus: cpus().length,
  targetMs: TARGET_MS,
  dashboardTargetMs: DASHBOARD_TARGET_MS,
  results: [...earlier.filter((e) => !kinds.includes(e.db as never)), ...results],
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out, null, 2));
