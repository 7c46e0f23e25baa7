import {
  type Compilable,
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type RawBuilder,
} from "kysely";
import { escapeLiteral } from "pg";
import type { DB } from "./schema.ts";

/**
 * Queries compiled once. A hot query shape is built and compiled by Kysely the first time it runs,
 * with a named placeholder where each parameter goes; after that a call only fills the parameters in
 * and sends it under a statement name fixed at compile time — no query building, no compiling, and
 * no work over the SQL text per call.
 *
 *   const byId = compiled("case_by_id", (db, p: { id: number }) =>
 *     db.selectFrom("cases").selectAll().where("id", "=", p.id));
 *   const kase = await byId.first(tx, { id });
 *
 * The build function must put every parameter straight into the query as a value (never inspect,
 * concatenate or serialise it): compiling checks that each parameter read became a query parameter.
 */

/** A compiled query that carries its prepared statement's name, and SQL-level statements it runs. */
export interface StatementQuery<R = unknown> extends CompiledQuery<R> {
  /** The prepared statement's name, fixed where the query was compiled (the drivers name others by their text). */
  readonly name?: string;
  /** Statements this (parameterless, multi-statement) query EXECUTEs: each session prepares them once first. */
  readonly sessionStatements?: readonly SessionStatement[];
  /**
   * The transaction's last statement: COMMIT goes right behind it, in the same round trip. If the
   * statement fails, the COMMIT finds the transaction aborted and rolls it back.
   */
  readonly commit?: boolean;
}

/** A query's result; a multi-statement query's also has every statement's rows, in order. */
export interface StatementResult<R> extends QueryResult<R> {
  readonly results?: readonly (readonly unknown[])[];
}

/** A statement prepared with SQL PREPARE once per database session, so a simple query can EXECUTE it. */
export interface SessionStatement {
  readonly name: string;
  /** `prepare <name> (<types>) as <statement>` */
  readonly prepare: string;
}

/** Anything we run queries on: the database or a transaction. */
export interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

// Builds and compiles only; never connects. Both our dialects compile with PostgreSQL's compiler.
const compiler = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const SLOT = Symbol("parameter");
interface Slot {
  readonly [SLOT]: string;
}
const isSlot = (v: unknown): v is Slot => typeof v === "object" && v !== null && SLOT in v;

const names = new Set<string>();
const claim = (name: string) => {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`statement name "${name}" must be snake_case`);
  if (names.has(name)) throw new Error(`statement "${name}" is defined twice`);
  names.add(name);
};

interface Template {
  sql: string;
  query: CompiledQuery["query"];
  /** Per query parameter: the name of the caller's parameter it takes, or null for a constant. */
  slots: (string | null)[];
  /** The constants, where slots has null. */
  values: unknown[];
}

type Build<P, R> = (db: Kysely<DB>, p: P) => Compilable<R> | RawBuilder<R>;

/** Build and compile once, with a placeholder object standing for each parameter the build reads. */
function template<P, R>(name: string, build: Build<P, R>): Template {
  const read = new Set<string>();
  const placeholders = new Proxy({} as Record<string, Slot>, {
    get: (_t, key) => {
      if (typeof key !== "string") return undefined;
      read.add(key);
      return { [SLOT]: key };
    },
  });
  const built = build(compiler, placeholders as P);
  const c = "isRawBuilder" in built ? built.compile(compiler) : built.compile();
  const slots = c.parameters.map((v) => (isSlot(v) ? v[SLOT] : null));
  const used = new Set(slots);
  const lost = [...read].filter((k) => !used.has(k));
  if (lost.length > 0 || c.sql.includes("[object Object]"))
    throw new Error(`statement "${name}": parameter(s) ${lost.join(", ")} not used as query values`);
  return { sql: c.sql, query: c.query, slots, values: c.parameters.map((v) => (isSlot(v) ? null : v)) };
}

export interface Compiled<P, R> {
  /** Every row. */
  rows(db: Executor, params: P): Promise<R[]>;
  /** The first row, if any. */
  first(db: Executor, params: P): Promise<R | undefined>;
  /** The whole result (rows and, for writes, numAffectedRows). */
  run(db: Executor, params: P): Promise<QueryResult<R>>;
  /** The compiled query with these parameters, ready for `executeQuery`. */
  query(params: P): StatementQuery<R>;
}

/**
 * A query shape compiled once (see the top of this file). `name` names its prepared statement
 * (q_<name>) and must be unique; `build` gets a compile-only Kysely and placeholders for the parameters.
 */
export function compiled<P extends object, R>(name: string, build: Build<P, R>): Compiled<P, R> {
  claim(name);
  const statement = `q_${name}`;
  let t: Template | undefined;
  const query = (params: P): StatementQuery<R> => {
    t ??= template(name, build);
    const parameters = new Array(t.slots.length);
    for (let i = 0; i < t.slots.length; i++) {
      const slot = t.slots[i];
      parameters[i] = typeof slot === "string" ? (params as Record<string, unknown>)[slot] : t.values[i];
    }
    return { sql: t.sql, parameters, query: t.query, queryId: QUERY_ID, name: statement };
  };
  return {
    query,
    run: (db, params) => db.executeQuery<R>(query(params)),
    rows: async (db, params) => (await db.executeQuery<R>(query(params))).rows,
    first: async (db, params) => (await db.executeQuery<R>(query(params))).rows[0],
  };
}

/** A statement every session prepares once (SQL PREPARE), run as text: EXECUTE with literal arguments. */
export interface Executable<P, R = unknown> extends SessionStatement {
  /** `execute s_<name>(…)` with these parameters as SQL literals. */
  execute(params: P): string;
  /** The type of its rows (never set). */
  readonly row?: R;
}

/** The row type of a session statement. */
export type RowOf<E> = E extends { readonly row?: infer R } ? R : never;

/**
 * A query shape to run inside a multi-statement query — a transaction's first round trip, where
 * extended-protocol parameters cannot go (src/store/locked-transaction.ts). Compiled once like
 * `compiled`; constants become literals of the prepared text, parameters its $1…$n in the order the
 * build first reads them, and `execute` passes them as escaped SQL literals.
 */
export function sessionStatement<P extends object, R>(name: string, build: Build<P, R>): Executable<P, R> {
  claim(name);
  const statement = `s_${name}`;
  let prepared: { prepare: string; keys: string[] } | undefined;
  const prepare = () => {
    const t = template(name, build);
    const keys = [...new Set(t.slots.filter((k): k is string => k !== null))];
    const text = t.sql.replace(/\$(\d+)/g, (_m, n: string) => {
      const i = Number(n) - 1;
      const slot = t.slots[i];
      return typeof slot === "string" ? `$${keys.indexOf(slot) + 1}` : literal(t.values[i]);
    });
    prepared = { prepare: `prepare ${statement} as ${text}`, keys };
    return prepared;
  };
  return {
    name: statement,
    get prepare() {
      return (prepared ?? prepare()).prepare;
    },
    execute: (params) => {
      const { keys } = prepared ?? prepare();
      const args = keys.map((k) => literal((params as Record<string, unknown>)[k]));
      return `execute ${statement}(${args.join(", ")})`;
    },
  };
}

/** A value as an SQL literal, for text that is sent as it is. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  // In parentheses: a negative number after a minus sign would otherwise start a comment (--).
  if (typeof v === "number" && Number.isFinite(v)) return `(${v})`;
  if (typeof v === "bigint") return `(${v})`;
  if (typeof v === "string") return escapeLiteral(v);
  if (Array.isArray(v)) return `array[${v.map(literal).join(", ")}]`;
  throw new TypeError(`no SQL literal for ${typeof v}`);
}

// Kysely passes a query id to plugins and to cancellation; we use neither, so one serves every call.
const QUERY_ID = { queryId: "compiled" };
