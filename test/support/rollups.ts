import { sql } from "kysely";
import type { Database } from "../../src/store/db.ts";

const ROLLUPS = [
  "rollup_sales",
  "rollup_category_sales",
  "rollup_cases",
  "rollup_stages",
  "rollup_costs",
  "rollup_overrides",
];

/** Every analytics rollup row, in key order; durations to the millisecond (they are floating-point sums). */
export async function dumpRollups(db: Database) {
  const out: Record<string, unknown[]> = {};
  for (const t of ROLLUPS) {
    const { rows } = await sql`select * from ${sql.table(t)} order by 1, 2, 3, 4, 5`.execute(db);
    out[t] = rows.map((r) =>
      "seconds" in (r as object)
        ? { ...(r as object), seconds: Math.round((r as { seconds: number }).seconds * 1000) }
        : r,
    );
  }
  return out;
}
