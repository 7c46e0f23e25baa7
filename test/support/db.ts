import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { sandboxPayChannel } from "../../src/channels/payments/sandbox/adapter.ts";
import {
  type SandboxPaySimulator,
  startSandboxPaySimulator,
} from "../../src/channels/payments/sandbox/simulator.ts";
import { DEFAULT_SETTINGS, type FlowContext, type FlowSettings } from "../../src/flows/context.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { adminUrl, TEMPLATE_FILE, templateDbName, withDb } from "./env.ts";

export const usingPostgres = Boolean(process.env.DATABASE_URL);

/** A fresh, migrated database cloned from the run's template: PGlite in memory, or a PostgreSQL database. */
export async function freshStore(): Promise<Store & { url?: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) return openStore({ loadDataDir: new Blob([readFileSync(TEMPLATE_FILE)]), migrate: false });
  const name = `${templateDbName(url)}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl(url) });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDbName(url)}"`);
  await admin.end();
  const dbUrl = withDb(url, name);
  const store = await openStore({ databaseUrl: dbUrl, migrate: false });
  return {
    ...store,
    url: dbUrl,
    async close() {
      await store.close();
      const a = new pg.Client({ connectionString: adminUrl(url) });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface TestEnv {
  store: Store & { url?: string };
  ctx: FlowContext;
  sim: SandboxPaySimulator;
  /** Move the test clock. */
  clock: { now: Date; advance(ms: number): void };
  close(): Promise<void>;
}

export const SIM_SECRET = "test-sandbox-secret";

/** A database, a running sandbox payment simulator and a flow context with a controllable clock. */
export async function testEnv(settings: Partial<FlowSettings> = {}): Promise<TestEnv> {
  const store = await freshStore();
  const sim = await startSandboxPaySimulator({ port: 0, secret: SIM_SECRET });
  const clock = {
    now: new Date("2026-11-01T08:00:00Z"),
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const ctx: FlowContext = {
    db: store.db,
    now: () => clock.now,
    payments: createPaymentRegistry(
      {},
      sandboxPayChannel({ name: "sandbox", url: sim.url, secret: SIM_SECRET, timeoutMs: 15_000 }),
    ),
    settings: { ...DEFAULT_SETTINGS, ...settings },
  };
  return {
    store,
    ctx,
    sim,
    clock,
    async close() {
      await sim.close();
      await store.close();
    },
  };
}

/** Refund keys carry the installation's id: AS<installation>C<case>R<attempt>. */
export const installationId = async (db: Store["db"]) =>
  (await db.selectFrom("installation").select("id").executeTakeFirstOrThrow()).id;
