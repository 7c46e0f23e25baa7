import type { Tx } from "./orders.ts";

export interface AlertFilter {
  /** The shops the caller may see (null: all); an alert of no one shop is for all-shops callers only. */
  shops?: readonly string[] | null;
  status?: string;
  kind?: string;
  /** Keyset cursor: the last id of the previous page (newest first). */
  cursor?: number;
  limit: number;
}

export async function listAlerts(db: Tx, f: AlertFilter) {
  let q = db
    .selectFrom("alerts")
    .selectAll()
    .orderBy("id", "desc")
    .limit(f.limit + 1);
  if (f.shops) q = q.where("shop_id", "in", f.shops.length ? [...f.shops] : [""]);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.kind) q = q.where("kind", "=", f.kind);
  if (f.cursor !== undefined) q = q.where("id", "<", f.cursor);
  const rows = await q.execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.id : undefined };
}
