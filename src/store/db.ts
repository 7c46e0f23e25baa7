import { PGlite } from "@electric-sql/pglite";
import { Kysely } from "kysely";
import pg from "pg";
import { type ChangeFeed, pgliteChanges, postgresChanges } from "./changes.ts";
import { lockDataDir } from "./lock.ts";
import { migrate } from "./migrate.ts";
import { PgDialect } from "./pg-dialect.ts";
import { PGliteDialect } from "./pglite-dialect.ts";
import type { DB } from "./schema.ts";

export type Database = Kysely<DB>;

export interface Store {
  db: Database;
  kind: "pglite" | "postgres";
  /** Embedded only: the PGlite instance (tests dump it as a template). */
  pglite?: PGlite;
  /** Every change committed in the database, as it commits (GET /api/v1/events); listens once subscribed to. */
  changes: ChangeFeed;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string;
  /** Embedded data directory; omit for an in-memory database. */
  dataDir?: string;
  /** Embedded: start from a dumped data directory (tests clone one template). */
  loadDataDir?: Blob;
  poolSize?: number;
  migrate?: boolean;
}

// bigint and numeric (sums of bigint) as JS numbers: every amount we store fits in 2^53 minor units.
const toNumber = (v: string) => Number(v);
const INT8 = 20;
const NUMERIC = 1700;

export async function openStore(opts: StoreOptions): Promise<Store> {
  let store: Store;
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      // Our queries are short or batched; PostgreSQL's JIT compiled the facts query on every batch
      // and took 1.4 s of 1.6 (measured in bench/backtest.ts), so it is off for our sessions.
      options: "-c jit=off",
      // A query may be written before the previous one's answer came (pg-dialect.ts: COMMIT with a
      // transaction's last statement); one at a time otherwise, as every query is awaited.
      pipeline: true,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === INT8 || oid === NUMERIC
            ? toNumber
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle connection the server drops (restart, failover) must not take the process down.
    pool.on("error", (e) => console.error(`database: idle connection lost: ${e.message}`));
    const db = new Kysely<DB>({ dialect: new PgDialect(pool) });
    const changes = postgresChanges(opts.databaseUrl);
    store = {
      db,
      kind: "postgres",
      changes,
      close: async () => {
        await changes.close();
        await db.destroy();
      },
    };
  } else {
    const unlock = opts.dataDir ? lockDataDir(opts.dataDir) : () => {};
    try {
      const pglite = await PGlite.create({
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
        relaxedDurability: true,
        parsers: { [INT8]: toNumber, [NUMERIC]: toNumber },
      });
      const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
      const changes = pgliteChanges(db, pglite);
      store = {
        db,
        kind: "pglite",
        pglite,
        changes,
        close: async () => {
          await changes.close();
          await db.destroy();
          unlock();
        },
      };
    } catch (e) {
      unlock();
      throw e;
    }
  }
  if (opts.migrate !== false) await migrate(store.db);
  return store;
}
