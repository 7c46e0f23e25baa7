import { createHash } from "node:crypto";
import type { SessionStore } from "@fastify/session";
import type { Session } from "fastify";
import { sql } from "kysely";
import type { Database } from "./db.ts";
import type { Tx } from "./orders.ts";

/**
 * Console sessions in `user_sessions` (migration 018), as @fastify/session's store: get, set, destroy.
 * The id is kept as its SHA-256 (a copy of the table signs no one in). A row exists only for a
 * signed-in person: a session without a user is never written. Each row lives `ttlMs` from its
 * sign-in; an expired one is never read, and rows past their time are swept at each sign-in.
 */

declare module "fastify" {
  interface Session {
    /** The signed-in person (users.id). */
    userId?: number;
    /** @fastify/csrf-protection's secret. */
    _csrf?: string;
  }
}

export const hashSessionId = (id: string) => createHash("sha256").update(id).digest("hex");

/** Node-style callbacks over promises, as the session plugin calls its store. */
const settle = <T>(work: Promise<T>, done: (e: unknown, v?: T) => void) => {
  work.then(
    (v) => done(null, v),
    (e) => done(e),
  );
};

export function sessionStore(db: Database, now: () => Date, ttlMs: number): SessionStore {
  return {
    get(id, done) {
      settle(readSession(db, id, now()), done);
    },
    set(id, session, done) {
      settle(writeSession(db, id, session, now(), ttlMs), done);
    },
    destroy(id, done) {
      settle(
        db
          .deleteFrom("user_sessions")
          .where("id_hash", "=", hashSessionId(id))
          .execute()
          .then(() => undefined),
        done,
      );
    },
  };
}

async function readSession(db: Tx, id: string, at: Date): Promise<Session | null> {
  const row = await db
    .selectFrom("user_sessions")
    .select(["user_id", "data"])
    .where("id_hash", "=", hashSessionId(id))
    .where("expires_at", ">", at)
    .executeTakeFirst();
  // No cookie settings are kept: the plugin's own (12 h) apply, and expiry is this table's.
  return row ? ({ ...row.data, userId: row.user_id } as unknown as Session) : null;
}

async function writeSession(db: Database, id: string, session: Session, at: Date, ttlMs: number) {
  const { cookie: _, ...data } = JSON.parse(JSON.stringify(session)) as Record<string, unknown>;
  const userId = data.userId;
  if (typeof userId !== "number") return;
  // Written again when its data changes; its time runs from the sign-in, not from the change.
  await db
    .insertInto("user_sessions")
    .values({
      id_hash: hashSessionId(id),
      user_id: userId,
      data: JSON.stringify(data) as never,
      expires_at: new Date(at.getTime() + ttlMs),
      created_at: at,
    })
    .onConflict((oc) => oc.column("id_hash").doUpdateSet({ data: (eb) => eb.ref("excluded.data") }))
    .execute();
  await sweepSessions(db, at);
}

/** Rows past their time: never read again, so deleted. */
export const sweepSessions = (db: Tx, at: Date) =>
  db.deleteFrom("user_sessions").where("expires_at", "<=", at).execute();

/** End a person's sessions (disabled, password reset); `keep`: the one they are using now. */
export const endUserSessions = (db: Tx, userId: number, keep?: string) => {
  let q = db.deleteFrom("user_sessions").where("user_id", "=", userId);
  if (keep) q = q.where("id_hash", "<>", hashSessionId(keep));
  return q.execute();
};

export const sessionCount = async (db: Tx, userId: number) =>
  Number(
    (
      await db
        .selectFrom("user_sessions")
        .select(sql<number>`count(*)`.as("n"))
        .where("user_id", "=", userId)
        .executeTakeFirstOrThrow()
    ).n,
  );
