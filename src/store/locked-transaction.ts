import { type Kysely, sql } from "kysely";
import type { Database } from "./db.ts";
import type { DB } from "./schema.ts";

/**
 * A transaction that starts by taking one row lock, sent together with BEGIN in a single round
 * trip (a parameterless multi-statement query). Flows lock their order first on every action, so
 * this saves a round trip on the hottest path. `lock` must be a constant statement with only
 * validated integers inlined — it is sent as text.
 */
export async function lockedTransaction<T>(
  db: Database,
  lock: string,
  fn: (tx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(`begin; ${lock}`).execute(conn);
    let result: T;
    try {
      result = await fn(conn);
    } catch (e) {
      await sql.raw("rollback").execute(conn);
      throw e;
    }
    await sql.raw("commit").execute(conn);
    return result;
  });
}

/** The integer check that makes inlining an id into lock SQL safe. */
export const safeId = (id: number): number => {
  if (!Number.isSafeInteger(id) || id < 0) throw new TypeError(`not an id: ${id}`);
  return id;
};
