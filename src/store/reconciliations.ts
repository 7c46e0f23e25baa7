import { sql } from "kysely";
import {
  CATEGORIES,
  type OurRefund,
  PROBLEMS,
  type ReconciliationCategory,
  type ReconciliationItem,
  type ReconciliationSummary,
} from "../domain/reconcile/match.ts";
import type { Tx } from "./orders.ts";

/**
 * Our refunds on a channel that a day's reconciliation looks at: those whose key is on the bill (any day)
 * and those that succeeded within [from, to).
 */
export async function refundsToReconcile(
  db: Tx,
  channel: string,
  keys: readonly string[],
  from: Date,
  to: Date,
): Promise<OurRefund[]> {
  const base = () =>
    db
      .selectFrom("refunds")
      .select(["id", "idempotency_key", "amount", "currency", "status", "channel_refund_id", "succeeded_at"])
      .where("channel", "=", channel);
  const rows = await base()
    .where("status", "=", "succeeded")
    .where("succeeded_at", ">=", from)
    .where("succeeded_at", "<", to)
    .execute();
  // A big day's keys go in batches: PostgreSQL takes at most 65535 parameters a statement.
  for (let i = 0; i < keys.length; i += 5000) {
    rows.push(
      ...(await base()
        .where("idempotency_key", "in", keys.slice(i, i + 5000))
        .execute()),
    );
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  return [...byId.values()]
    .sort((a, b) => a.id - b.id)
    .map((r) => ({
      id: r.id,
      key: r.idempotency_key,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      channelRefundId: r.channel_refund_id,
      succeededAt: r.succeeded_at,
    }));
}

export interface RunToSave {
  channel: string;
  date: string;
  source: "channel" | "upload";
  sha1: string;
  billRows: number;
  summary: ReconciliationSummary;
  items: readonly ReconciliationItem[];
  by: string;
  at: Date;
}

/** Store a day's report; a day reconciled before has its report replaced (same id), never duplicated. */
export async function saveRun(tx: Tx, run: RunToSave): Promise<number> {
  const values = {
    channel: run.channel,
    bill_date: run.date,
    source: run.source,
    bill_sha1: run.sha1,
    bill_rows: run.billRows,
    summary: JSON.stringify(run.summary),
    problems: run.summary.problems,
    awaiting: run.summary.counts.awaiting_next_bill,
    reconciled_by: run.by,
    reconciled_at: run.at,
  };
  const { id } = await tx
    .insertInto("reconciliation_runs")
    .values(values)
    .onConflict((oc) =>
      oc.columns(["channel", "bill_date"]).doUpdateSet((eb) => ({
        ...values,
        runs: eb("reconciliation_runs.runs", "+", 1),
      })),
    )
    .returning("id")
    .executeTakeFirstOrThrow();
  await tx.deleteFrom("reconciliation_items").where("run_id", "=", id).execute();
  // Batches keep each statement's parameters well under PostgreSQL's limit on a big day.
  for (let i = 0; i < run.items.length; i += 1000) {
    await tx
      .insertInto("reconciliation_items")
      .values(
        run.items.slice(i, i + 1000).map((it, j) => ({
          run_id: id,
          item_no: i + j + 1,
          category: it.category,
          idempotency_key: it.key,
          refund_id: it.refundId,
          currency: it.currency,
          our_amount: it.ourAmount,
          our_status: it.ourStatus,
          bill_amount: it.billAmount,
          bill_status: it.billStatus,
          channel_refund_id: it.channelRefundId,
          bill_date: it.billDate,
          bill_line: it.billLine,
          note: it.note ? JSON.stringify(it.note) : null,
        })),
      )
      .execute();
  }
  return id;
}

export interface RunFilter {
  channel?: string;
  from?: string;
  to?: string;
  /** Only runs with problems to look at (for a caller limited to some shops: problems of theirs). */
  problems?: boolean;
  cursor?: number;
  limit: number;
  shops?: readonly string[] | null;
}

/**
 * A day's report spans every shop paid through the channel. A caller limited to some shops sees the
 * items of their shops' refunds only; a bill line tied to no refund of ours belongs to no shop we know.
 */
const itemInShops = (shops: readonly string[]) =>
  sql<boolean>`exists (select 1 from refunds f join cases c on c.id = f.case_id
                        where f.id = reconciliation_items.refund_id and c.shop_id = any(${[...shops]}::text[]))`;

/** Newest day first. */
export async function listRuns(db: Tx, f: RunFilter) {
  let q = db
    .selectFrom("reconciliation_runs")
    .selectAll()
    .orderBy("bill_date", "desc")
    .orderBy("id", "desc")
    .limit(f.limit + 1);
  if (f.channel) q = q.where("channel", "=", f.channel);
  if (f.from) q = q.where("bill_date", ">=", f.from);
  if (f.to) q = q.where("bill_date", "<=", f.to);
  const shops = f.shops;
  if (f.problems && shops) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom("reconciliation_items")
          .select("run_id")
          .whereRef("reconciliation_items.run_id", "=", "reconciliation_runs.id")
          .where("category", "in", [...PROBLEMS])
          .where(itemInShops(shops)),
      ),
    );
  } else if (f.problems) q = q.where("problems", ">", 0);
  if (f.cursor !== undefined) {
    const c = f.cursor;
    const at = await db
      .selectFrom("reconciliation_runs")
      .select("bill_date")
      .where("id", "=", c)
      .executeTakeFirst();
    if (at) {
      q = q.where((eb) =>
        eb.or([
          eb("bill_date", "<", at.bill_date),
          eb.and([eb("bill_date", "=", at.bill_date), eb("id", "<", c)]),
        ]),
      );
    }
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.id : undefined };
}

export const findRun = (db: Tx, id: number) =>
  db.selectFrom("reconciliation_runs").selectAll().where("id", "=", id).executeTakeFirst();

export const findRunByDay = (db: Tx, channel: string, date: string) =>
  db
    .selectFrom("reconciliation_runs")
    .selectAll()
    .where("channel", "=", channel)
    .where("bill_date", "=", date)
    .executeTakeFirst();

/** Which of a report's problems: those still to deal with, those marked resolved, or every item. */
export type ItemState = "open" | "resolved";

export interface ItemQuery {
  categories?: readonly string[] | undefined;
  shops?: readonly string[] | null | undefined;
  state?: ItemState | undefined;
  /** Items after this item_no (the previous page's nextCursor). */
  cursor?: number | undefined;
  /** Without one, every item. */
  limit?: number | undefined;
}

/** The resolution that applies to an item: same report, same refund key, same kind of problem. */
const appliesTo = sql`r.run_id = reconciliation_items.run_id
  and r.idempotency_key = reconciliation_items.idempotency_key
  and r.category = reconciliation_items.category`;
const resolved = sql<boolean>`exists (select 1 from reconciliation_resolutions r where ${appliesTo})`;

export interface ResolutionJson {
  note: string;
  by: string;
  at: string;
}
export interface EarlierResolutionJson extends ResolutionJson {
  category: string;
  date: string;
}

export async function runItems(db: Tx, runId: number, q: ItemQuery = {}) {
  // Each item's case, when the refund is ours: finance goes there to act on it.
  let query = db
    .selectFrom("reconciliation_items")
    .selectAll("reconciliation_items")
    .select((eb) => [
      eb
        .selectFrom("refunds")
        .select("refunds.case_id")
        .whereRef("refunds.id", "=", "reconciliation_items.refund_id")
        .as("case_id"),
      sql<ResolutionJson | null>`(select json_build_object('note', r.note, 'by', r.resolved_by, 'at', r.resolved_at)
          from reconciliation_resolutions r where ${appliesTo})`.as("resolution"),
      // The last resolution of the same refund key that does not apply here: this day's report when the
      // problem has turned into another kind since, or another day's report of the same channel.
      sql<EarlierResolutionJson | null>`(select json_build_object('note', r.note, 'by', r.resolved_by,
            'at', r.resolved_at, 'category', r.category, 'date', rr.bill_date)
          from reconciliation_resolutions r join reconciliation_runs rr on rr.id = r.run_id
         where r.channel = (select channel from reconciliation_runs x where x.id = reconciliation_items.run_id)
           and r.idempotency_key = reconciliation_items.idempotency_key
           and not (${appliesTo})
         order by r.resolved_at desc limit 1)`.as("earlier_resolution"),
    ])
    .where("run_id", "=", runId)
    .orderBy("item_no");
  if (q.categories?.length) query = query.where("category", "in", [...q.categories]);
  if (q.shops) query = query.where(itemInShops(q.shops));
  if (q.state === "resolved") query = query.where(resolved);
  if (q.state === "open")
    query = query.where("category", "in", [...PROBLEMS]).where(sql<boolean>`not ${resolved}`);
  if (q.cursor !== undefined) query = query.where("item_no", ">", q.cursor);
  if (q.limit === undefined) return { items: await query.execute(), nextCursor: undefined };
  const rows = await query.limit(q.limit + 1).execute();
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.item_no : undefined };
}

/** One item of a report, by its refund key and kind of problem, locked for the change about to be made. */
export const findItem = (db: Tx, runId: number, key: string, category: string) =>
  db
    .selectFrom("reconciliation_items")
    .selectAll()
    .select((eb) =>
      eb
        .selectFrom("refunds")
        .innerJoin("cases", "cases.id", "refunds.case_id")
        .select("cases.shop_id")
        .whereRef("refunds.id", "=", "reconciliation_items.refund_id")
        .as("shop_id"),
    )
    .where("run_id", "=", runId)
    .where("idempotency_key", "=", key)
    .where("category", "=", category)
    .orderBy("item_no")
    .executeTakeFirst();

export interface Resolution {
  runId: number;
  key: string;
  category: string;
  channel: string;
  note: string;
  by: string;
  at: Date;
}

/** Mark a problem resolved: the row, or undefined when it already was (someone else got there first). */
export const insertResolution = (tx: Tx, r: Resolution) =>
  tx
    .insertInto("reconciliation_resolutions")
    .values({
      run_id: r.runId,
      idempotency_key: r.key,
      category: r.category,
      channel: r.channel,
      note: r.note,
      resolved_by: r.by,
      resolved_at: r.at,
    })
    .onConflict((oc) => oc.columns(["run_id", "idempotency_key", "category"]).doNothing())
    .returningAll()
    .executeTakeFirst();

/** Take a resolution back: the row it was, or undefined when there was none. */
export const deleteResolution = (tx: Tx, runId: number, key: string, category: string) =>
  tx
    .deleteFrom("reconciliation_resolutions")
    .where("run_id", "=", runId)
    .where("idempotency_key", "=", key)
    .where("category", "=", category)
    .returningAll()
    .executeTakeFirst();

/** Per report, how many of its problems (of `shops`' items, when given) are marked resolved. */
export async function resolvedProblems(db: Tx, runIds: readonly number[], shops?: readonly string[] | null) {
  const counts = new Map<number, number>(runIds.map((id) => [id, 0]));
  if (runIds.length === 0) return counts;
  let q = db
    .selectFrom("reconciliation_items")
    .select(["run_id", sql<number>`count(*)::int`.as("n")])
    .where("run_id", "in", [...runIds])
    .where("category", "in", [...PROBLEMS])
    .where(resolved)
    .groupBy("run_id");
  if (shops) q = q.where(itemInShops(shops));
  for (const r of await q.execute()) counts.set(Number(r.run_id), r.n);
  return counts;
}

export interface RunShare {
  counts: Record<ReconciliationCategory, number>;
  problems: number;
  awaiting: number;
  /** Minor units, over the shops' items: what this day's bill shows as succeeded, and what we do. */
  billSucceededTotal: number;
  ourSucceededTotal: number;
}

/** Each report as a caller limited to `shops` sees it: counts and totals over their shops' items only. */
export async function runShares(db: Tx, runIds: readonly number[], shops: readonly string[]) {
  const shares = new Map<number, RunShare>();
  for (const id of runIds) {
    const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<
      ReconciliationCategory,
      number
    >;
    shares.set(id, { counts, problems: 0, awaiting: 0, billSucceededTotal: 0, ourSucceededTotal: 0 });
  }
  if (runIds.length === 0) return shares;
  const { rows } = await sql<{
    run_id: number;
    category: ReconciliationCategory;
    n: number;
    bill: number;
    ours: number;
  }>`
    select i.run_id, i.category, count(*)::int as n,
           coalesce(sum(i.bill_amount) filter (where i.bill_status = 'succeeded' and i.bill_date = r.bill_date), 0)::bigint as bill,
           coalesce(sum(i.our_amount) filter (where i.our_status = 'succeeded'), 0)::bigint as ours
      from reconciliation_items i
      join reconciliation_runs r on r.id = i.run_id
      join refunds f on f.id = i.refund_id
      join cases c on c.id = f.case_id
     where i.run_id = any(${[...runIds]}::bigint[]) and c.shop_id = any(${[...shops]}::text[])
     group by i.run_id, i.category`.execute(db);
  for (const r of rows) {
    const s = shares.get(Number(r.run_id)) as RunShare;
    s.counts[r.category] = r.n;
    if (PROBLEMS.includes(r.category)) s.problems += r.n;
    if (r.category === "awaiting_next_bill") s.awaiting += r.n;
    s.billSucceededTotal += Number(r.bill);
    s.ourSucceededTotal += Number(r.ours);
  }
  return shares;
}

/**
 * Claim a (channel, day) for the daily job: true for exactly one worker. A claim whose worker died
 * without finishing is taken over once `leaseMs` has passed; a finished one never is.
 */
export async function claimDay(
  db: Tx,
  key: string,
  by: string,
  now: Date,
  leaseMs: number,
): Promise<boolean> {
  const row = await db
    .insertInto("reconciliation_claims")
    .values({ claim_key: key, claimed_by: by, claimed_at: now })
    .onConflict((oc) =>
      oc
        .column("claim_key")
        .doUpdateSet({ claimed_by: by, claimed_at: now, last_error: null })
        .where("reconciliation_claims.done_at", "is", null)
        .where("reconciliation_claims.claimed_at", "<", new Date(now.getTime() - leaseMs)),
    )
    .returning("claim_key")
    .executeTakeFirst();
  return row !== undefined;
}

export const finishClaim = (db: Tx, key: string, now: Date) =>
  db.updateTable("reconciliation_claims").set({ done_at: now }).where("claim_key", "=", key).execute();

/** A failed attempt: kept (so the next one waits out the lease) with why. */
export const failClaim = (db: Tx, key: string, error: string) =>
  db.updateTable("reconciliation_claims").set({ last_error: error }).where("claim_key", "=", key).execute();

/** Give a claim back at once (the bill was not out yet): the next tick may try again. */
export const releaseClaim = (db: Tx, key: string) =>
  db.deleteFrom("reconciliation_claims").where("claim_key", "=", key).where("done_at", "is", null).execute();
