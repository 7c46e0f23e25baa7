/**
 * Live change latency (实时变更延迟): how long after a change is committed — the API call that made it
 * has answered — its event reaches the consoles' open event streams (GET /api/v1/events), and a
 * console in a real browser shows it.
 *
 *   npm run bench -- events                                  300 changes per phase, 40 in the browser, PGlite and PostgreSQL
 *   npm run bench -- events --changes 500 --streams 20 --db postgres
 *   npm run bench -- events --changes 20 --browser-changes 10   a quick look
 *   npm run bench -- events --browser-changes 0              without the browser
 *
 * Per database: a fresh database with one shop and an admin token; the service as a child process
 * (`aftersales start`, as the HTTP flow benchmark runs it); requested return_refund cases made through
 * the API (not measured); S event streams open over HTTP. Measured, in two phases — changes one at a
 * time (the feed's own latency), then C at once: POST /cases/{id}/approve, and for each change the time
 * from its answer to its event on every stream (negative: the event came first — the answer is written
 * after the commit, the notification at it), and from its request. Every change must arrive on every
 * stream exactly once. Then, in Chromium (playwright-core, as the browser tests), a reviewer signed in
 * through the sign-in page with the case view /cases/<id> open and live: B changes one at a time, each
 * timed from its answer to its event at an EventSource in that page, and to the status on screen
 * (bench/events-browser.ts). Results: bench/results/events-<db>.json.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openStore } from "../src/store/db.ts";
import { createToken } from "../src/store/tokens.ts";
import { buildConsole } from "../web/build.ts";
import { addWatcher, browserMissing, browserPhase } from "./events-browser.ts";
import { findPostgres } from "./postgres.ts";
import { recreateDatabase, startChild, watchEvents } from "./service.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SHOP = "bench-shop";
type DbKind = "pglite" | "postgres";

const args = process.argv.slice(2);
if (args[0] === "bench") args.shift();
if (args[0] === "events") args.shift();
const { values } = parseArgs({
  args,
  options: {
    changes: { type: "string" },
    streams: { type: "string" },
    concurrency: { type: "string" },
    "browser-changes": { type: "string" },
    db: { type: "string" },
    "pg-url": { type: "string" },
  },
});
const opts = {
  changes: Number(values.changes ?? 300),
  streams: Number(values.streams ?? 1),
  concurrency: Number(values.concurrency ?? 8),
  browserChanges: Number(values["browser-changes"] ?? 40),
  dbs: (values.db && values.db !== "both" ? [values.db] : ["pglite", "postgres"]) as DbKind[],
  pgUrl: values["pg-url"] ?? process.env.BENCH_PG_URL,
};

const percentile = (xs: number[], p: number) => {
  const s = xs.toSorted((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0).toFixed(1));
};
const summary = (xs: number[]) => ({
  p50Ms: percentile(xs, 50),
  p95Ms: percentile(xs, 95),
  maxMs: percentile(xs, 100),
});

/** An event stream that notes when each case's approval arrives. */
async function openStream(base: string, token: string) {
  const arrivals = new Map<number, number[]>();
  const waiters = new Map<number, () => void>();
  const stream = await watchEvents(base, token, (c, at) => {
    if (c.action !== "approve" || typeof c.caseId !== "number") return;
    arrivals.set(c.caseId, [...(arrivals.get(c.caseId) ?? []), at]);
    waiters.get(c.caseId)?.();
  });
  return {
    arrivals,
    arrived: (id: number) =>
      arrivals.has(id) ? Promise.resolve() : new Promise<void>((r) => waiters.set(id, r)),
    close: stream.close,
  };
}

/** The browser phase: each change's time from its answer to a console page's stream, and to its screen. */
async function browser(
  base: string,
  ids: number[],
  call: (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>,
) {
  if (ids.length === 0) return { skipped: "--browser-changes 0" };
  const missing = browserMissing();
  if (missing) return { skipped: missing };
  const t = await browserPhase(base, ids, async (id) => {
    const c = await call("POST", `/cases/${id}/approve`, {});
    return { status: String(c.status), answeredAt: Date.now() };
  });
  return {
    changes: ids.length,
    eventInPage: summary(t.eventInPage),
    onScreen: summary(t.onScreen),
    inDom: summary(t.inDom),
    verified: t.verified,
    ...(t.wrong.length ? { wrong: t.wrong } : {}),
  };
}

async function runOn(kind: DbKind) {
  const env: NodeJS.ProcessEnv = { ...process.env, AFTERSALES_DEMO: "0", AFTERSALES_LOG: "0" };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  let dataDir: string | undefined;
  let store: Awaited<ReturnType<typeof openStore>>;
  if (kind === "postgres") {
    const admin = await findPostgres(opts.pgUrl);
    if (!admin) return { db: kind, skipped: "PostgreSQL is not reachable (give --pg-url)" };
    env.DATABASE_URL = await recreateDatabase(admin, "aftersales_bench_events");
    store = await openStore({ databaseUrl: env.DATABASE_URL });
  } else {
    dataDir = mkdtempSync(join(tmpdir(), "aftersales-bench-events-"));
    env.DATA_DIR = dataDir;
    store = await openStore({ dataDir });
  }
  let token: string;
  try {
    await store.db.insertInto("shops").values({ id: SHOP, name: "Bench", channel: "manual" }).execute();
    token = (await createToken(store.db, { name: "bench", role: "admin" })).token;
    if (opts.browserChanges > 0) await addWatcher(store);
  } finally {
    await store.close(); // the service opens it next (PGlite's directory is one process's)
  }
  const svc = await startChild(env, undefined);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${svc.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const streams: Awaited<ReturnType<typeof openStream>>[] = [];
  try {
    const run = randomBytes(3).toString("hex");
    const total = 2 * opts.changes + opts.browserChanges;
    process.stdout.write(`  ${kind}: preparing ${total} cases…`);
    const cases: number[] = [];
    for (let i = 0; i < total; i++) {
      const order = await call("POST", "/orders", {
        shop: SHOP,
        externalId: `EV-${run}-${i}`,
        currency: "CNY",
        customer: { id: `c${i % 53}` },
        paidAt: "2026-10-20T10:00:00Z",
        lines: [{ externalId: "L1", sku: `SKU-${i % 40}`, title: "T恤", quantity: 1, unitPrice: "99.00" }],
        discounts: [],
        shippingFee: "0",
        payments: [{ tender: "alipay", amount: "99.00" }],
        shipments: [{ carrier: "SF", trackingNo: `OUT-${run}-${i}`, status: "delivered" }],
      });
      const lines = (await call("GET", `/orders/${order.id}`)).lines as { id: number }[];
      const c = await call("POST", "/cases", {
        orderId: order.id,
        type: "return_refund",
        reason: "quality",
        items: [{ lineId: lines[0]?.id, quantity: 1 }],
      });
      if (c.status !== "requested") throw new Error(`case ${c.id} is ${c.status}, not requested`);
      cases.push(c.id as number);
    }
    process.stdout.write(" done\n");
    for (let i = 0; i < opts.streams; i++) streams.push(await openStream(svc.url, token));

    /** Approve `ids`, `c` at a time; per change the time from its answer (and request) to its event on each stream. */
    const phase = async (ids: number[], c: number) => {
      const afterAnswer: number[] = [];
      const afterRequest: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (next < ids.length) {
            const id = ids[next++] as number;
            const sent = performance.now();
            await call("POST", `/cases/${id}/approve`, {});
            const answered = performance.now();
            await Promise.all(streams.map((s) => s.arrived(id)));
            for (const s of streams) {
              const at = s.arrivals.get(id)?.[0] as number;
              afterAnswer.push(at - answered);
              afterRequest.push(at - sent);
            }
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      return {
        concurrency: c,
        changes: ids.length,
        changesPerSecond: Number((ids.length / seconds).toFixed(1)),
        afterAnswer: summary(afterAnswer),
        afterRequest: summary(afterRequest),
      };
    };
    const sequential = await phase(cases.slice(0, opts.changes), 1);
    const concurrent = await phase(cases.slice(opts.changes, 2 * opts.changes), opts.concurrency);
    // Each approval on each stream exactly once, nothing else approved.
    const exactlyOnce = streams.every(
      (s) => s.arrivals.size === 2 * opts.changes && [...s.arrivals.values()].every((a) => a.length === 1),
    );
    for (const s of streams.splice(0)) s.close();
    return {
      db: kind,
      streams: opts.streams,
      sequential,
      concurrent,
      verified: exactlyOnce,
      browser: await browser(svc.url, cases.slice(2 * opts.changes), call),
    };
  } finally {
    for (const s of streams) s.close();
    await svc.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `Live change latency: ${opts.changes} changes one at a time, then ${opts.changes} with ${opts.concurrency} at once; ` +
    `${opts.streams} stream(s); ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`,
);
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
// The console the browser phase opens is the built one (web/dist): build it if its sources changed.
if (opts.browserChanges > 0 && !browserMissing()) await buildConsole();
for (const kind of opts.dbs) {
  const r = await runOn(kind);
  if ("skipped" in r) {
    console.log(`  ${kind}: skipped — ${r.skipped}`);
    continue;
  }
  for (const p of [r.sequential, r.concurrent])
    console.log(
      `  ${kind}, ${p.concurrency} at a time (${p.changesPerSecond} changes/s): after the answer p50 ${p.afterAnswer.p50Ms} ms, ` +
        `p95 ${p.afterAnswer.p95Ms} ms, max ${p.afterAnswer.maxMs} ms; after the request p50 ${p.afterRequest.p50Ms} ms, ` +
        `p95 ${p.afterRequest.p95Ms} ms`,
    );
  console.log(`  ${kind}: every change on every stream exactly once: ${r.verified}`);
  if (!r.verified) process.exitCode = 1;
  const b = r.browser;
  if ("skipped" in b) console.log(`  ${kind}, browser: skipped — ${b.skipped}`);
  else {
    const line = (s: ReturnType<typeof summary>) => `p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms, max ${s.maxMs} ms`;
    console.log(`  ${kind}, browser, ${b.changes} changes one at a time, after the answer:`);
    console.log(`    event at the page's EventSource: ${line(b.eventInPage)}`);
    console.log(`    new status on screen (case view): ${line(b.onScreen)} (in the DOM: ${line(b.inDom)})`);
    console.log(`  ${kind}, browser: every case view showed its new status: ${b.verified}`);
    for (const w of b.wrong ?? []) console.log(`    ${w}`);
    if (!b.verified) process.exitCode = 1;
  }
  const file = join(ROOT, `bench/results/events-${kind}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: "events", at: new Date().toISOString(), options: { ...opts, pgUrl: undefined }, ...r }, null, 2)}\n`,
  );
}
