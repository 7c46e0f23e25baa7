import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/** The audit log (审计日志): one row per settings change, written in the change's transaction. */

export interface AuditEntry {
  at: Date;
  /** "user:<token name>", "system:setup", "cli:<os user>". */
  actor: string;
  actorTokenId?: number | null;
  /** A stable name: settings.risk, rules.activate, token.create… */
  action: string;
  /** What it is about: a shop id, a rule version, a token id; null for installation-wide settings. */
  subject?: string | null;
  /** The shops it concerns; null: the whole installation. */
  shops?: readonly string[] | null;
  before: unknown;
  after: unknown;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

export async function appendAudit(db: Tx, e: AuditEntry) {
  await db
    .insertInto("audit_log")
    .values({
      at: e.at,
      actor: e.actor,
      actor_token_id: e.actorTokenId ?? null,
      action: e.action,
      subject: e.subject ?? null,
      shops: e.shops ? [...e.shops] : null,
      before: json(e.before),
      after: json(e.after),
    })
    .execute();
}

export interface AuditFilter {
  action?: string | undefined;
  /** Any of these actions (e.g. all of one kind of object's). */
  actions?: readonly string[] | undefined;
  subject?: string | undefined;
  actor?: string | undefined;
  actorTokenId?: number | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Entries older than this id (the previous page's nextCursor). */
  cursor?: number | undefined;
  limit: number;
  /**
   * What the reader may see: null, everything; otherwise entries about these shops only, plus the
   * installation-wide entries whose actions are listed in `globalActions`.
   */
  shops: readonly string[] | null;
  globalActions: readonly string[];
}

/** Newest first; `from` inclusive, `to` exclusive. */
export async function listAudit(db: Tx, f: AuditFilter) {
  let q = db
    .selectFrom("audit_log")
    .selectAll()
    .orderBy("id", "desc")
    .limit(f.limit + 1);
  if (f.action) q = q.where("action", "=", f.action);
  if (f.actions)
    q = f.actions.length ? q.where("action", "in", [...f.actions]) : q.where(sql<boolean>`false`);
  if (f.subject) q = q.where("subject", "=", f.subject);
  if (f.actor) q = q.where("actor", "=", f.actor);
  if (f.actorTokenId !== undefined) q = q.where("actor_token_id", "=", f.actorTokenId);
  if (f.from) q = q.where("at", ">=", f.from);
  if (f.to) q = q.where("at", "<", f.to);
  if (f.cursor !== undefined) q = q.where("id", "<", f.cursor);
  if (f.shops) {
    const shops = [...f.shops];
    const global = [...f.globalActions];
    q = q.where((eb) =>
      eb.or([
        eb.and([eb("shops", "is not", null), sql<boolean>`shops <@ ${shops}::text[]`]),
        eb.and([eb("shops", "is", null), global.length ? eb("action", "in", global) : sql<boolean>`false`]),
      ]),
    );
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.id : undefined };
}
