import { createHash, randomBytes } from "node:crypto";
import type { Tx } from "./orders.ts";

/** API tokens are stored as SHA-256 hashes; the plain token is shown once, at creation. */

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createToken(db: Tx, t: { name: string; role: string; shops?: string[] | null }) {
  const token = `as_${randomBytes(24).toString("base64url")}`;
  const row = await db
    .insertInto("api_tokens")
    .values({ name: t.name, role: t.role, shops: t.shops ?? null, token_hash: hashToken(token) })
    .returning(["id", "name", "role", "shops"])
    .executeTakeFirstOrThrow();
  return { ...row, token };
}

export const findToken = (db: Tx, token: string) =>
  db
    .selectFrom("api_tokens")
    .select(["id", "name", "role", "shops"])
    .where("token_hash", "=", hashToken(token))
    .where("revoked_at", "is", null)
    .executeTakeFirst();
