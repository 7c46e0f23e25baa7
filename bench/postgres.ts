import pg from "pg";

/** A PostgreSQL we may create a database on, or undefined. Tries the given URL, else postgres then root. */
export async function findPostgres(given: string | undefined): Promise<URL | undefined> {
  const candidates = given
    ? [given]
    : ["postgres://postgres@127.0.0.1:5432/postgres", "postgres://root@127.0.0.1:5432/postgres"];
  for (const c of candidates) {
    const client = new pg.Client({ connectionString: c, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("select 1");
      return new URL(c);
    } catch {
      // next
    } finally {
      await client.end().catch(() => {});
    }
  }
  return undefined;
}
