import type { Tx } from "./orders.ts";

export interface AlertFilter {
  /** The shops the caller may see (null: all); an alert of no one shop is for all-shops callers only. */
  shops?: readonly string[] | null;
  /** Only these shops' alerts (within `shops`). */
  shop?: readonly string[];
  status?: string;
  kind?: string;
  severity?: string;
  /** Keyset cursor: the last id of the previous page (newest first). */
  cursor?: number;
  /** Or skip this many (a page picked by number); with a cursor, counted after it. */
  offset?: number;
  limit: number;
}

function filtered(db: Tx, f: AlertFilter) {
  let q = db.selectFrom("alerts");
  if (f.shops) q = q.where("shop_id", "in", f.shops.length ? [...f.shops] : [""]);
  if (f.shop) q = q.where("shop_id", "in", f.shop.length ? [...f.shop] : [""]);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.kind) q = q.where("kind", "=", f.kind);
  if (f.severity) q = q.where("severity", "=", f.severity);
  return q;
}

/** One page of alerts, newest first, and how many match the filter (without the cursor). */
export async function listAlerts(db: Tx, f: AlertFilter) {
  let q = filtered(db, f)
    .selectAll()
    .orderBy("id", "desc")
    .limit(f.limit + 1);
  if (f.cursor !== undefined) q = q.where("id", "<", f.cursor);
  if (f.offset) q = q.offset(f.offset);
  const [rows, count] = await Promise.all([
    q.execute(),
    filtered(db, f)
      .select((e) => e.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.id : undefined, total: Number(count.n) };
}
