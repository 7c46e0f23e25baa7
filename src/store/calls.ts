/**
 * How often this process called its database since it started: every round trip, and how many of
 * them were statements rather than transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT). Shown at
 * GET /healthz; bench/run.ts reports them per flow. Counted where the drivers send (db.ts for
 * PostgreSQL, pglite-dialect.ts for PGlite), so a count costs an increment and a short prefix test.
 */
const calls = { roundTrips: 0, statements: 0 };

const CONTROL = /^\s*(begin|commit|rollback|savepoint|release|start transaction)\b/i;

export function countCall(sqlText: string): void {
  calls.roundTrips++;
  if (!CONTROL.test(sqlText)) calls.statements++;
}

export const databaseCalls = (): { roundTrips: number; statements: number } => ({ ...calls });
