import type { PGlite } from "@electric-sql/pglite";
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import { countCall } from "./calls.ts";
import type { StatementQuery, StatementResult } from "./compiled.ts";

/**
 * Kysely over embedded PGlite. PGlite is one session, so the driver hands out one connection at a
 * time: a transaction owns the session until it ends, and everybody else queues.
 */
export class PGliteDialect implements Dialect {
  readonly pg: PGlite;
  constructor(pg: PGlite) {
    this.pg = pg;
  }
  createAdapter = () => new PostgresAdapter();
  createQueryCompiler = () => new PostgresQueryCompiler();
  createIntrospector = (db: Kysely<unknown>) => new PostgresIntrospector(db);
  createDriver = (): Driver => new PGliteDriver(this.pg);
}

class PGliteDriver implements Driver {
  readonly #pg: PGlite;
  readonly #connection: PGliteConnection;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(pg: PGlite) {
    this.#pg = pg;
    this.#connection = new PGliteConnection(pg);
  }
  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    this.#release = release;
    return this.#connection;
  }
  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : "";
    await conn.executeQuery({ sql: `begin${level}`, parameters: [] } as unknown as CompiledQuery);
  }
  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery({ sql: "commit", parameters: [] } as unknown as CompiledQuery);
  }
  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery({ sql: "rollback", parameters: [] } as unknown as CompiledQuery);
  }
  async destroy(): Promise<void> {
    await this.#pg.close();
  }
}

const answer = <R>(res: { rows: unknown[]; affectedRows?: number }): StatementResult<R> => ({
  rows: res.rows as R[],
  numAffectedRows: res.affectedRows === undefined ? undefined : BigInt(res.affectedRows),
});

/** Per PGlite instance (its one session), whichever Kysely instances use it. */
const sessions = new WeakMap<PGlite, Set<string>>();

class PGliteConnection implements DatabaseConnection {
  readonly #pg: PGlite;
  /** SQL-level prepared statements (SessionStatement) the session has. */
  readonly #session: Set<string>;
  constructor(pg: PGlite) {
    this.#pg = pg;
    const session = sessions.get(pg) ?? new Set<string>();
    sessions.set(pg, session);
    this.#session = session;
  }
  async executeQuery<R>(q: CompiledQuery): Promise<StatementResult<R>> {
    for (const s of (q as StatementQuery).sessionStatements ?? []) {
      if (this.#session.has(s.name)) continue;
      countCall(s.prepare);
      await this.#pg.exec(s.prepare);
      this.#session.add(s.name);
    }
    countCall(q.sql, (q as StatementQuery).sessionStatements?.length);
    if (!(q as StatementQuery).commit) return this.#run<R>(q);
    // In process there is no round trip to save: the COMMIT simply follows; a failed statement ends
    // the transaction too, as PostgreSQL's pipelined COMMIT does (it rolls back).
    const res = await this.#run<R>(q).catch(async (e) => {
      countCall("rollback");
      await this.#pg.exec("rollback");
      throw e;
    });
    countCall("commit");
    await this.#pg.exec("commit");
    return res;
  }

  async #run<R>(q: CompiledQuery): Promise<StatementResult<R>> {
    // Without parameters use the simple protocol, which also runs multi-statement scripts (migrations).
    if (q.parameters.length > 0) return answer<R>(await this.#pg.query<R>(q.sql, q.parameters as unknown[]));
    const all = await this.#pg.exec(q.sql);
    return { ...answer<R>(all.at(-1) ?? { rows: [], affectedRows: 0 }), results: all.map((r) => r.rows) };
  }
  // biome-ignore lint/correctness/useYield: PGlite has no cursors; Kysely's stream() is not used with it.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("Streaming is not supported on PGlite");
  }
}
