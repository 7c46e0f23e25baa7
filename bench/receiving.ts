/**
 * Warehouse receiving benchmark (收货/质检基准): how fast scanners can receive and inspect returns.
 *
 *   npm run bench -- receiving                        400 parcels, 4 scanners, PGlite and PostgreSQL
 *   npm run bench -- receiving --parcels 1000 --scanners 8 --db postgres
 *
 * Per database: a fresh database with one shop and N approved return_refund cases (2 × one SKU and
 * 1 × another, from a pool of 40 SKUs so scanners contend on the same stock rows), each with its
 * return parcel. Not measured. Then, measured, C concurrent scanners:
 *   1. scan each parcel's tracking number (`scanReceive`): find the case, receive everything, two
 *      receipt lines into quarantine, the case to `received` and the rules' second look;
 *   2. inspect each case (`inspectLines`, every line passes): quarantine → sellable, the case to `inspected`.
 * Verification: every case inspected, every balance equals the sum of its movements, sellable stock is
 * exactly the units received, nothing left in quarantine. Results go to bench/results/receiving-<db>.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { ingestOrder } from "../src/flows/ingest-order.ts";
import { inspectLines } from "../src/flows/inspect-return.ts";
import { scanReceive } from "../src/flows/receive-scan.ts";
import { approveCase } from "../src/flows/review-case.ts";
import { recordReturnShipment } from "../src/flows/shipments.ts";
import { submitCase } from "../src/flows/submit-case.ts";
import { caseReceiptLines } from "../src/store/inventory.ts";
import { orderLines } from "../src/store/orders.ts";
import { freshBenchStore } from "./postgres.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BENCH_DB = "aftersales_bench_receiving";
const SKUS = 40;

const args = process.argv.slice(2);
if (args[0] === "bench") args.shift();
if (args[0] === "receiving") args.shift();
const { values } = parseArgs({
  args,
  options: {
    parcels: { type: "string" },
    scanners: { type: "string" },
    db: { type: "string" },
    "pg-url": { type: "string" },
  },
});
const opts = {
  parcels: Number(values.parcels ?? 400),
  scanners: Number(values.scanners ?? 4),
  dbs: (values.db && values.db !== "both" ? [values.db] : ["pglite", "postgres"]) as (
    | "pglite"
    | "postgres"
  )[],
  pgUrl: values["pg-url"] ?? process.env.BENCH_PG_URL,
};

const WAREHOUSE = { kind: "user" as const, id: "bench-scanner" };
const percentile = (xs: number[], p: number) => {
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** Run `work` over `items` with `c` concurrent workers; the latency of each call in ms. */
async function pool<T>(items: T[], c: number, work: (x: T) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < items.length) {
        const x = items[next++] as T;
        const t = performance.now();
        await work(x);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - start;
  return {
    perSecond: Number(((items.length / ms) * 1000).toFixed(1)),
    p50Ms: Number(percentile(latencies, 50).toFixed(1)),
    p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  };
}

async function runOn(kind: "pglite" | "postgres") {
  const fresh = await freshBenchStore(kind, BENCH_DB, opts.pgUrl);
  if (!fresh) return { db: kind, skipped: "PostgreSQL is not reachable (give --pg-url)" };
  const { store, ctx } = fresh;
  try {
    await store.db.insertInto("shops").values({ id: "bench", name: "bench", channel: "manual" }).execute();
    process.stdout.write(`  ${kind}: preparing ${opts.parcels} return cases…`);
    const parcels: { code: string; caseId: number }[] = [];
    for (let i = 0; i < opts.parcels; i++) {
      const { id: orderId } = await ingestOrder(ctx, {
        shop: "bench",
        externalId: `B${i}`,
        currency: "CNY",
        customer: { id: `c${i % 97}` },
        paidAt: "2026-10-20T10:00:00Z",
        lines: [
          { externalId: "L1", sku: `SKU-${i % SKUS}`, title: "T恤", quantity: 2, unitPrice: "99.00" },
          { externalId: "L2", sku: `SKU-${(i + 7) % SKUS}`, title: "帽子", quantity: 1, unitPrice: "59.90" },
        ],
        discounts: [],
        shippingFee: "0",
        payments: [{ tender: "alipay", amount: "257.90" }],
        shipments: [{ carrier: "SF", trackingNo: `OUT${i}`, status: "delivered" }],
      });
      const lines = await orderLines(store.db, orderId);
      const { id } = await submitCase(ctx, WAREHOUSE, {
        orderId,
        type: "return_refund",
        reason: i % 3 === 0 ? "quality" : "changed_mind",
        source: "api",
        items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
      });
      await approveCase(ctx, { kind: "user", id: "bench-reviewer" }, id);
      const code = `SFRET${String(i).padStart(8, "0")}`;
      await recordReturnShipment(ctx, WAREHOUSE, id, { carrier: "SF", trackingNo: code });
      parcels.push({ code, caseId: id });
    }
    process.stdout.write(" done\n");
    const scan = await pool(parcels, opts.scanners, async (p) => {
      const r = await scanReceive(ctx, WAREHOUSE, { code: p.code, key: `scan-${p.code}` });
      if (r.outcome !== "received" || r.status !== "received")
        throw new Error(`scan ${p.code}: ${r.outcome}`);
    });
    const inspect = await pool(parcels, opts.scanners, async (p) => {
      const lines = await caseReceiptLines(store.db, p.caseId);
      const r = await inspectLines(ctx, WAREHOUSE, p.caseId, {
        key: `qc-${p.caseId}`,
        lines: lines.map((l) => ({ receiptLineId: l.id, result: "pass" as const })),
      });
      if (r.status !== "inspected") throw new Error(`inspect ${p.caseId}: ${r.status}`);
    });
    // Verify: every balance is the sum of its movements; every unit received is sellable now.
    const { rows } = await sql<{ off: number; sellable: number; quarantine: number; inspected: number }>`
      select (select count(*) from inventory_balances b
                where (b.sellable, b.quarantine) <> (select coalesce(sum(sellable), 0), coalesce(sum(quarantine), 0)
                                                      from inventory_movements m
                                                     where m.sku = b.sku and m.warehouse_id = b.warehouse_id)) as off,
             (select sum(sellable) from inventory_balances) as sellable,
             (select sum(quarantine) from inventory_balances) as quarantine,
             (select count(*) from cases where status = 'inspected') as inspected`.execute(store.db);
    const v = rows[0] as { off: number; sellable: number; quarantine: number; inspected: number };
    const verified =
      Number(v.off) === 0 &&
      Number(v.sellable) === 3 * opts.parcels &&
      Number(v.quarantine) === 0 &&
      Number(v.inspected) === opts.parcels;
    return { db: kind, scan, inspect, verification: { ...v, verified } };
  } finally {
    await store.close();
  }
}

console.log(
  `Receiving benchmark: ${opts.parcels} parcels, ${opts.scanners} scanners, ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`,
);
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
for (const kind of opts.dbs) {
  const r = await runOn(kind);
  if ("skipped" in r) {
    console.log(`  ${kind}: skipped — ${r.skipped}`);
    continue;
  }
  console.log(
    `  ${kind}: scan-receive ${r.scan.perSecond}/s (p50 ${r.scan.p50Ms} ms, p99 ${r.scan.p99Ms} ms); ` +
      `inspect ${r.inspect.perSecond}/s (p50 ${r.inspect.p50Ms} ms, p99 ${r.inspect.p99Ms} ms); ` +
      `verified: ${r.verification.verified}`,
  );
  if (!r.verification.verified) process.exitCode = 1;
  const file = join(ROOT, `bench/results/receiving-${kind}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: "receiving", at: new Date().toISOString(), options: { ...opts, pgUrl: undefined }, ...r }, null, 2)}\n`,
  );
}
