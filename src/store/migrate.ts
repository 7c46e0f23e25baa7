import { readdirSync, readFileSync } from "node:fs";
import { sql } from "kysely";
import type { Database } from "./db.ts";

const DIR = new URL("./migrations/", import.meta.url);

/**
 * Apply the plain-SQL migrations in order, each in its own transaction. An advisory lock makes
 * concurrent starters (several API and worker processes) wait for each other instead of racing.
 */
export async function migrate(db: Database): Promise<string[]> {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const applied: string[] = [];
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(4242)`.execute(conn);
    try {
      await sql`create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())`.execute(
        conn,
      );
      const done = new Set(
        (await sql<{ name: string }>`select name from schema_migrations`.execute(conn)).rows.map(
          (r) => r.name,
        ),
      );
      for (const file of files) {
        if (done.has(file)) continue;
        const text = readFileSync(new URL(file, DIR), "utf8");
        await conn.transaction().execute(async (tx) => {
          await sql.raw(text).execute(tx);
          await sql`insert into schema_migrations (name) values (${file})`.execute(tx);
        });
        applied.push(file);
      }
    } finally {
      await sql`select pg_advisory_unlock(4242)`.execute(conn);
    }
  });
  return applied;
}
