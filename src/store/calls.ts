/**
 * How often this process called its database since it started: every round trip, and how many of
 * them were statements rather than transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) — a
 * multi-statement query counts each statement it EXECUTEs (its session statements). Shown at
 * GET /healthz; bench/run.ts reports them per flow. Counted where the drivers send (pg-dialect.ts for
 * PostgreSQL, pglite-dialect.ts for PGlite), so a count costs an increment and a short prefix test.
 */
const calls = { roundTrips: 0, statements: 0 };

const CONTROL = /^\s*(begin|commit|rollback|savepoint|release|start transaction)\b/i;

export function countCall(sqlText: string, statements?: number): void {
  calls.roundTrips++;
  calls.statements += statements ?? (CONTROL.test(sqlText) ? 0 : 1);
}

export const databaseCalls = (): { roundTrips: number; statements: number } => ({ ...calls });
