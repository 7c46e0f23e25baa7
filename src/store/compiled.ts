import type { CompiledQuery } from "kysely";

/** A compiled query that carries its prepared statement's name, and SQL-level statements it runs. */
export interface StatementQuery<R = unknown> extends CompiledQuery<R> {
  /** The prepared statement's name, fixed where the query was compiled (the drivers name others by their text). */
  readonly name?: string;
  /** Statements this (parameterless, multi-statement) query EXECUTEs: each session prepares them once first. */
  readonly sessionStatements?: readonly SessionStatement[];
}

/** A statement prepared with SQL PREPARE once per database session, so a simple query can EXECUTE it. */
export interface SessionStatement {
  readonly name: string;
  /** `prepare <name> (<types>) as <statement>` */
  readonly prepare: string;
}
