import {
  CompiledQuery,
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
import pg from "pg";
import { countCall } from "./calls.ts";
import type { SessionStatement, StatementQuery, StatementResult } from "./compiled.ts";

/**
 * Kysely over node-postgres, sending every parameterised query as a named prepared statement:
 * PostgreSQL then parses and plans each statement once per connection instead of on every call,
 * which halves its CPU per query on our short OLTP statements. A query compiled once
 * (src/store/compiled.ts) brings its name along; any other is named by its text, which Kysely emits
 * the same for the same query shape. The pool's clients pipeline (pg's `pipeline`), so a
 * transaction's last statement can take its COMMIT along in one round trip (StatementQuery.commit).
 * Only what we use: no streaming, no savepoints, no cancelling.
 */
export class PgDialect implements Dialect {
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }
  createAdapter = () => new PostgresAdapter();
  createQueryCompiler = () => new PostgresQueryCompiler();
  createIntrospector = (db: Kysely<unknown>) => new PostgresIntrospector(db);
  createDriver = (): Driver => new PgDriver(this.#pool);
}

class PgDriver implements Driver {
  readonly #pool: pg.Pool;
  readonly #connections = new WeakMap<pg.PoolClient, PgConnection>();
  /** Statement names of queries not compiled once, by their text; the same in every connection. */
  readonly #names = new Map<string, string>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }
  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.#pool.connect();
    let connection = this.#connections.get(client);
    if (!connection) {
      connection = new PgConnection(client, this.#names);
      this.#connections.set(client, connection);
    }
    return connection;
  }
  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : "";
    const mode = settings.accessMode ? ` ${settings.accessMode}` : "";
    await conn.executeQuery(level || mode ? CompiledQuery.raw(`start transaction${level}${mode}`) : BEGIN);
  }
  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier error left the transaction aborted.
    const { rows } = await conn.executeQuery<{ command: string }>(COMMIT);
    if (rows[0]?.command === "ROLLBACK") throw new Error("the transaction was aborted and rolled back");
  }
  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    try {
      await conn.executeQuery(ROLLBACK);
    } catch (e) {
      (conn as PgConnection).discard = true;
      throw e;
    }
  }
  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    const c = conn as PgConnection;
    c.client.release(c.discard);
    if (c.discard) this.#connections.delete(c.client);
  }
  async destroy(): Promise<void> {
    await this.#pool.end();
  }
}

const BEGIN = CompiledQuery.raw("begin");
const COMMIT = CompiledQuery.raw("commit");
const ROLLBACK = CompiledQuery.raw("rollback");

function answer<R>({ command, rowCount, rows }: pg.QueryResult): StatementResult<R> {
  if (command === "COMMIT" || command === "ROLLBACK") return { rows: [{ command } as R] };
  return {
    rows: (rows ?? []) as R[],
    numAffectedRows:
      command === "INSERT" || command === "UPDATE" || command === "DELETE" || command === "MERGE"
        ? BigInt(rowCount ?? 0)
        : undefined,
  };
}

class PgConnection implements DatabaseConnection {
  readonly client: pg.PoolClient;
  /** A connection whose rollback failed is closed instead of going back to the pool. */
  discard = false;
  readonly #names: Map<string, string>;
  /** SQL-level prepared statements (SessionStatement) this session has. */
  readonly #session = new Set<string>();

  constructor(client: pg.PoolClient, names: Map<string, string>) {
    this.client = client;
    this.#names = names;
  }

  async executeQuery<R>(q: CompiledQuery): Promise<StatementResult<R>> {
    const { sql, parameters, name, sessionStatements, commit } = q as StatementQuery;
    if (sessionStatements) await this.#prepareSession(sessionStatements);
    countCall(sql, sessionStatements?.length);
    let res: pg.QueryResult | pg.QueryResult[];
    try {
      const sent =
        parameters.length > 0
          ? send(this.client, sql, parameters, name ?? this.#nameOf(sql))
          : send(this.client, sql, undefined, undefined);
      // The client pipelines: the COMMIT is written right behind the statement, before its answer.
      res = commit ? await withCommit(sent, send(this.client, "commit", undefined, undefined)) : await sent;
    } catch (e) {
      // pg's stack ends in its socket reader; this one leads back through the awaiting callers.
      if (e instanceof Error) Error.captureStackTrace(e);
      throw e;
    }
    // A multi-statement query answers with a result per statement: the last one is the answer.
    if (Array.isArray(res))
      return { ...answer<R>(res.at(-1) as pg.QueryResult), results: res.map((r) => r.rows) };
    return answer<R>(res);
  }

  // biome-ignore lint/correctness/useYield: we do not stream; Kysely's stream() is not used.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not supported");
  }

  #nameOf(sql: string): string {
    let name = this.#names.get(sql);
    if (name === undefined) {
      name = `k${this.#names.size}`;
      this.#names.set(sql, name);
    }
    return name;
  }

  async #prepareSession(statements: readonly SessionStatement[]) {
    for (const s of statements) {
      if (this.#session.has(s.name)) continue;
      countCall(s.prepare);
      await send(this.client, s.prepare, undefined, undefined);
      this.#session.add(s.name);
    }
  }
}

/** A statement's answer once the COMMIT sent behind it committed; either's failure otherwise. */
async function withCommit<T>(statement: Promise<T>, commit: Promise<pg.QueryResult | pg.QueryResult[]>) {
  const [s, c] = await Promise.allSettled([statement, commit]);
  if (s.status === "rejected") throw s.reason;
  if (c.status === "rejected") throw c.reason;
  if ((c.value as pg.QueryResult).command === "ROLLBACK")
    throw new Error("the transaction was aborted and rolled back");
  return s.value;
}

/**
 * One query through node-postgres, built from the text and values as they are: `client.query` with a
 * config object copies it property by property first, measurably on every call.
 */
function send(
  client: pg.PoolClient,
  text: string,
  values: readonly unknown[] | undefined,
  name: string | undefined,
): Promise<pg.QueryResult | pg.QueryResult[]> {
  return new Promise((resolve, reject) => {
    const query = new pg.Query(text, values as unknown[], (err: Error | undefined, res: unknown) =>
      err ? reject(err) : resolve(res as pg.QueryResult | pg.QueryResult[]),
    );
    if (name !== undefined) (query as unknown as { name: string }).name = name;
    client.query(query);
  });
}
