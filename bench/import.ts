/**
 * Bulk import benchmark (导入基准): `import orders` over the whole UCI Online Retail file (541,909 rows)
 * on the embedded database (PGlite, in a fresh data directory on disk, as `aftersales import` uses it)
 * and on PostgreSQL when one is reachable.
 *
 *   npm run bench -- import                       both databases, the shared copy of the file
 *   npm run bench -- import --db pglite --file path/to/online_retail.csv --batch 2000
 *   aftersales bench import …                     the same through the CLI
 *
 * Prints orders, refunds, cases, orphan refunds and rejected rows by reason, the wall-clock time and
 * the process CPU time (on PGlite that includes the database engine), and writes
 * bench/results/import-<db>.json. The target: the whole file in under 60 s on PGlite.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import pg from "pg";
import { offlineChannel } from "../src/channels/payments/offline/adapter.ts";
import { createPaymentRegistry } from "../src/channels/payments/registry.ts";
import { DEFAULT_SETTINGS, type FlowContext } from "../src/flows/context.ts";
import { type ImportResult, importOrders } from "../src/flows/import-orders.ts";
import { openStore, type Store } from "../src/store/db.ts";
import { findPostgres } from "./postgres.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TARGET_SECONDS = 60;
const SHOP = "uk-online-retail";

const args = process.argv.slice(2);
while (args[0] === "bench" || args[0] === "import") args.shift();
const { values } = parseArgs({
  args,
  strict: true,
  options: {
    file: {
      type: "string",
      default: join(ROOT, "..", "shared", "data", "online-retail", "online_retail.csv"),
    },
    db: { type: "string", default: process.env.BENCH_DB ?? "both" },
    batch: { type: "string", default: "2000" },
    "pg-url": { type: "string", default: process.env.BENCH_PG_URL },
  },
});
const dbs = values.db === "both" ? ["pglite", "postgres"] : [values.db as string];
const batchSize = Number(values.batch);

async function open(kind: string): Promise<{ store: Store; cleanup: () => Promise<void> } | undefined> {
  if (kind === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "aftersales-import-bench-"));
    const store = await openStore({ dataDir: dir });
    return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = await findPostgres(values["pg-url"]);
  if (!admin) {
    console.log("PostgreSQL: not reachable, skipped");
    return undefined;
  }
  const name = "aftersales_bench_import";
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: url.toString() });
  return { store, cleanup: async () => {} };
}

let failed = false;
for (const kind of dbs) {
  const opened = await open(kind);
  if (!opened) continue;
  const { store, cleanup } = opened;
  try {
    await store.db
      .insertInto("shops")
      .values({ id: SHOP, name: "UK online retail", channel: "manual" })
      .execute();
    const ctx: FlowContext = {
      db: store.db,
      now: () => new Date(),
      payments: createPaymentRegistry({}, offlineChannel()),
      settings: DEFAULT_SETTINGS,
    };
    const load = loadavg()[0] ?? 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let lastLine = t0;
    const result: ImportResult = await importOrders(ctx, {
      file: values.file,
      shop: SHOP,
      batchSize,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastLine < 10_000) return;
        lastLine = now;
        console.log(
          `  ${kind}: ${((100 * p.bytesRead) / p.totalBytes).toFixed(0)}% after ${((now - t0) / 1000).toFixed(0)} s`,
        );
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const c = result.counts;
    console.log(`\n${kind === "pglite" ? "PGlite (embedded, on disk)" : "PostgreSQL"}: ${values.file}`);
    console.log(`  time             ${seconds.toFixed(1)} s   (target < ${TARGET_SECONDS} s on PGlite)`);
    console.log(
      `  process CPU      ${cpuSeconds.toFixed(1)} s   (load average before: ${load.toFixed(1)} on ${cpus().length} cores)`,
    );
    console.log(
      `  rows             ${c.rowsRead.toLocaleString("en")}  (${Math.round(c.rowsRead / seconds).toLocaleString("en")} rows/s)`,
    );
    console.log(`  orders           ${c.ordersCreated.toLocaleString("en")}`);
    console.log(`  refunds          ${c.refundsImported.toLocaleString("en")} credit notes`);
    console.log(`  cases            ${c.cases.toLocaleString("en")} (closed, refunded)`);
    console.log(`  orphan refunds   ${c.orphanRefunds.toLocaleString("en")}`);
    console.log(`  rejected rows    ${result.rejectedRows.toLocaleString("en")}`);
    for (const r of result.rejected)
      console.log(`    ${r.reason.padEnd(24)} ${r.rows.toLocaleString("en").padStart(7)}`);
    const orphans = await store.db
      .selectFrom("orphan_refunds")
      .select(["reason", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("reason")
      .orderBy("n", "desc")
      .execute();
    console.log("  orphan refunds by reason");
    for (const o of orphans)
      console.log(`    ${o.reason.padEnd(24)} ${Number(o.n).toLocaleString("en").padStart(7)}`);
    // What the rest of the system relies on, over the whole import.
    const checks = (
      await sql<{ over: number; totals: number; statuses: number }>`
        select
          (select count(*) from (select l.id from order_lines l join refund_lines rl on rl.order_line_id = l.id
                                  group by l.id having sum(rl.consumed) > l.paid or sum(rl.quantity) > l.quantity) x)::int as over,
          (select count(*) from orders o where o.refunded_total <>
             coalesce((select sum(r.amount) from refunds r where r.order_id = o.id and r.status = 'succeeded'), 0))::int as totals,
          (select count(*) from orders o where (o.refunded_total > 0) <> (o.aftersales_status in ('refunded', 'partially_refunded')))::int as statuses`.execute(
        store.db,
      )
    ).rows[0];
    console.log(
      `  checks           lines refunded beyond what was paid: ${checks?.over}; orders whose refunded total is not their refunds: ${checks?.totals}; orders whose status disagrees: ${checks?.statuses}`,
    );
    if (checks?.over || checks?.totals || checks?.statuses) failed = true;
    if (result.status !== "completed") failed = true;
    if (kind === "pglite" && seconds >= TARGET_SECONDS) {
      console.log(`  MISSED the target of ${TARGET_SECONDS} s`);
      failed = true;
    }
    const dir = join(ROOT, "bench", "results");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `import-${kind}.json`);
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          benchmark: "import",
          at: new Date().toISOString(),
          environment: {
            node: process.version,
            cpus: cpus().length,
            cpu: cpus()[0]?.model,
            loadAverageBefore: load,
          },
          options: { file: values.file, batchSize },
          targetSeconds: kind === "pglite" ? TARGET_SECONDS : null,
          seconds,
          cpuSeconds,
          counts: c,
          rejected: result.rejected,
          orphansByReason: orphans.map((o) => ({ reason: o.reason, rows: Number(o.n) })),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`  results: ${file.slice(ROOT.length + 1)}`);
  } finally {
    await store.close();
    await cleanup();
  }
}
if (failed) process.exitCode = 1;
