import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/**
 * The transactional outbox: a flow writes its message in the same transaction as its change, so a
 * message exists if and only if the change committed. Deduplicated by (topic, key).
 */
export async function enqueue(
  tx: Tx,
  topic: string,
  key: string | null,
  payload: Record<string, unknown>,
  availableAt?: Date,
) {
  await tx
    .insertInto("outbox")
    .values({
      topic,
      key,
      payload: JSON.stringify(payload),
      ...(availableAt ? { available_at: availableAt } : {}),
    })
    .onConflict((oc) => oc.columns(["topic", "key"]).doNothing())
    .execute();
}

/**
 * Claim up to `limit` due messages by pushing their available_at past a lease; SKIP LOCKED lets any
 * number of workers claim side by side. A worker that dies leaves its lease to expire and the
 * message is claimed again — handlers are idempotent.
 */
export async function claim(db: Tx, limit: number, leaseMs: number, now: Date) {
  const leaseUntil = new Date(now.getTime() + leaseMs);
  return db
    .updateTable("outbox")
    .set({ available_at: leaseUntil, attempts: sql`attempts + 1` })
    .where(
      "id",
      "in",
      db
        .selectFrom("outbox")
        .select("id")
        .where("status", "=", "pending")
        .where("available_at", "<=", now)
        .orderBy("available_at")
        .orderBy("id")
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["id", "topic", "key", "payload", "attempts"])
    .execute();
}

export const markDone = (db: Tx, id: number, now: Date) =>
  db
    .updateTable("outbox")
    .set({ status: "done", done_at: now, last_error: null })
    .where("id", "=", id)
    .execute();

export const reschedule = (db: Tx, id: number, at: Date, error: string) =>
  db.updateTable("outbox").set({ available_at: at, last_error: error }).where("id", "=", id).execute();

export const markDead = (db: Tx, id: number, error: string, now: Date) =>
  db
    .updateTable("outbox")
    .set({ status: "dead", last_error: error, done_at: now })
    .where("id", "=", id)
    .execute();
