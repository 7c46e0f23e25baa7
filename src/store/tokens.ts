import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/** API tokens are stored as SHA-256 hashes; the plain token is shown once, at creation. */

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

const COLUMNS = [
  "id",
  "name",
  "role",
  "shops",
  "prefix",
  "created_at",
  "last_used_at",
  "revoked_at",
] as const;

/** How many characters of a secret are kept to tell tokens apart ("as_" and 8 of its 32 random ones). */
export const PREFIX_LENGTH = 11;

export async function createToken(db: Tx, t: { name: string; role: string; shops?: string[] | null }) {
  const token = `as_${randomBytes(24).toString("base64url")}`;
  const row = await db
    .insertInto("api_tokens")
    .values({
      name: t.name,
      role: t.role,
      shops: t.shops ?? null,
      token_hash: hashToken(token),
      prefix: token.slice(0, PREFIX_LENGTH),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { ...row, token };
}

/** One indexed lookup (token_hash is unique); revoked tokens are never found. */
export const findToken = (db: Tx, token: string) =>
  db
    .selectFrom("api_tokens")
    .select(["id", "name", "role", "shops", "last_used_at"])
    .where("token_hash", "=", hashToken(token))
    .where("revoked_at", "is", null)
    .executeTakeFirst();

/** Note a token's use, at most once a minute (a busy token must not cost a write per request). */
export async function touchToken(db: Tx, id: number) {
  await db
    .updateTable("api_tokens")
    .set({ last_used_at: sql`now()` })
    .where("id", "=", id)
    .where((eb) =>
      eb.or([
        eb("last_used_at", "is", null),
        eb("last_used_at", "<", sql<Date>`now() - interval '1 minute'`),
      ]),
    )
    .execute();
}

/** Which tokens a list shows: `shops` limits it to the tokens limited to some of those shops. */
export interface TokenFilter {
  shops: readonly string[] | null;
  /** active: not revoked; revoked: revoked; absent: both. */
  status?: "active" | "revoked" | undefined;
  offset?: number;
  limit?: number;
}

/** Tokens, newest first, a page of them and how many there are in all. */
export async function listTokens(db: Tx, f: TokenFilter) {
  let q = db.selectFrom("api_tokens");
  if (f.shops) q = q.where("shops", "is not", null).where(sql<boolean>`shops <@ ${[...f.shops]}::text[]`);
  if (f.status === "active") q = q.where("revoked_at", "is", null);
  if (f.status === "revoked") q = q.where("revoked_at", "is not", null);
  let rows = q.select(COLUMNS).orderBy("id", "desc");
  if (f.offset) rows = rows.offset(f.offset);
  if (f.limit !== undefined) rows = rows.limit(f.limit);
  const [items, count] = await Promise.all([
    rows.execute(),
    q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows: items, total: Number(count.n) };
}

export const lockToken = (db: Tx, id: number) =>
  db.selectFrom("api_tokens").select(COLUMNS).where("id", "=", id).forUpdate().executeTakeFirst();

export const revokeToken = (db: Tx, id: number, at: Date) =>
  db
    .updateTable("api_tokens")
    .set({ revoked_at: at })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .returning(COLUMNS)
    .executeTakeFirst();

export const anyToken = async (db: Tx) =>
  Boolean(await db.selectFrom("api_tokens").select("id").limit(1).executeTakeFirst());

export type TokenRow = Awaited<ReturnType<typeof listTokens>>["rows"][number];
