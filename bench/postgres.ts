import pg from "pg";
import { createPaymentRegistry } from "../src/channels/payments/registry.ts";
import { DEFAULT_SETTINGS, type FlowContext } from "../src/flows/context.ts";
import { openStore, type Store } from "../src/store/db.ts";

/** A PostgreSQL we may create a database on, or undefined. Tries the given URL, else postgres then root. */
export async function findPostgres(given: string | undefined): Promise<URL | undefined> {
  const candidates = given
    ? [given]
    : ["postgres://postgres@127.0.0.1:5432/postgres", "postgres://root@127.0.0.1:5432/postgres"];
  for (const c of candidates) {
    const client = new pg.Client({ connectionString: c, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("select 1");
      return new URL(c);
    } catch {
      // next
    } finally {
      await client.end().catch(() => {});
    }
  }
  return undefined;
}

/**
 * A fresh store for an in-process benchmark and a flow context that sends no money: PGlite in memory,
 * or the PostgreSQL database `name` dropped and created anew; undefined when PostgreSQL is unreachable.
 */
export async function freshBenchStore(
  kind: "pglite" | "postgres",
  name: string,
  pgUrl?: string,
): Promise<{ store: Store; ctx: FlowContext } | undefined> {
  let store: Store;
  if (kind === "postgres") {
    const admin = await findPostgres(pgUrl);
    if (!admin) return undefined;
    const c = new pg.Client({ connectionString: admin.href });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    const url = new URL(admin.href);
    url.pathname = `/${name}`;
    store = await openStore({ databaseUrl: url.href });
  } else {
    store = await openStore({});
  }
  const ctx: FlowContext = {
    db: store.db,
    now: () => new Date(),
    payments: createPaymentRegistry({}),
    settings: DEFAULT_SETTINGS,
  };
  return { store, ctx };
}
