import { randomBytes } from "node:crypto";
import type { Tx } from "./orders.ts";

/**
 * The secret the service's own payment sandbox signs with: made at random on the installation's first
 * start and kept in its one installation row, so each installation has its own and a restart keeps it.
 * Several processes starting at once agree: only the first write of a null takes.
 */
export async function sandboxSecret(db: Tx): Promise<string> {
  await db
    .updateTable("installation")
    .set({ sandbox_secret: randomBytes(32).toString("base64url") })
    .where("sandbox_secret", "is", null)
    .execute();
  const row = await db.selectFrom("installation").select("sandbox_secret").executeTakeFirstOrThrow();
  return row.sandbox_secret as string;
}
