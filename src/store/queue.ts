import { type RawBuilder, sql } from "kysely";
import { CASE_SOURCES, CASE_TYPES, REASON_CODES } from "../domain/catalogue.ts";
import { AppError } from "../domain/errors.ts";
import { CASE_STATE_NAMES, isTerminal } from "../domain/lifecycle.ts";
import { CHANNELS } from "../domain/order.ts";
import type { Tx } from "./orders.ts";

/**
 * The reviewer queue, the kanban and saved views (待办队列): one filter, turned into one SQL condition
 * over `cases c`, shared by the queue's page and total, the board's columns, each view's count and a
 * batch by filter — so what a count says is what a batch touches.
 */

export const TERMINAL_STATES = CASE_STATE_NAMES.filter(isTerminal);
export const OPEN_STATES = CASE_STATE_NAMES.filter((s) => !isTerminal(s));

/**
 * `<alias>.status not in ('closed', 'rejected', 'cancelled')`, as a literal: the very predicate of the
 * partial indexes of migration 019, which is how the planner sees they apply (a bound array would not do).
 */
export const openCases = (alias: string) =>
  sql.raw(`${alias}.status not in (${TERMINAL_STATES.map((s) => `'${s}'`).join(", ")})`);

/** A queue filter as the API takes it (query string, saved view, batch): lists are comma-separated. */
export interface QueueFilter {
  status?: string;
  type?: string;
  shop?: string;
  reason?: string;
  source?: string;
  /** Channels: the cases of the shops selling on them. */
  channel?: string;
  /** Opened from / to these days (inclusive, YYYY-MM-DD), in the merchant's time zone as analytics counts. */
  createdFrom?: string;
  createdTo?: string;
  /** "me", "none" or a user id. */
  owner?: string;
  minRisk?: number;
  /** overdue: past its SLA; soon: due within 4 hours, overdue included. */
  due?: "overdue" | "soon";
  secondApproval?: boolean;
  /** Order number, platform case id, tracking number (each from its start), phone's last 4, name's start. */
  q?: string;
}

/** Who is asking: the shops they see (null: all) and their user account ("me"; null for a token). */
export interface Viewer {
  shops: readonly string[] | null;
  me: number | null;
}

export const DUE_SOON_MS = 4 * 3_600_000;

/** A comma-separated filter value as its distinct items; an unknown or empty one is INVALID_FILTER. */
export function list(field: string, value: string | undefined, allowed: readonly string[] | null) {
  if (value === undefined) return null;
  const items = [
    ...new Set(
      value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const bad = allowed ? items.find((x) => !allowed.includes(x)) : undefined;
  if (bad !== undefined || items.length === 0)
    throw new AppError("INVALID_FILTER", `"${bad ?? value}" is not a ${field} to filter by`, {
      field,
      value: bad ?? value,
      ...(allowed ? { allowed } : {}),
    });
  return items;
}

/** A day, YYYY-MM-DD, that exists in the calendar. */
function day(field: string, value: string) {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value)
    throw new AppError("INVALID_FILTER", `"${value}" is not a ${field} to filter by`, { field, value });
  return value;
}

/** LIKE's own characters taken literally. */
const literalPrefix = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The cases a search matches, as a union of index lookups (migration 019): order number, platform case
 * id and tracking number from their start, customer name from its start, the phone's last four digits.
 */
function search(q: string): RawBuilder<boolean> {
  const p = literalPrefix(q);
  const phone = /^\d{4}$/.test(q) ? sql` or right(phone, 4) = ${q}` : sql``;
  return sql<boolean>`c.id in (
      select x.id from cases x where x.order_id in (select id from orders where lower(external_id) like ${p})
      union select x.id from cases x where lower(x.external_id) like ${p}
      union select x.id from cases x
             where x.order_id in (select order_id from shipments where lower(tracking_no) like ${p})
      union select x.id from cases x
             where x.customer_id in (select id from customers where lower(name) like ${p}${phone}))`;
}

/** The filter as one condition over `cases c`, within what the viewer may see; open cases unless it names states. */
export function queueWhere(f: QueueFilter, viewer: Viewer, now: Date): RawBuilder<boolean> {
  const and: RawBuilder<unknown>[] = [];
  if (viewer.shops) and.push(sql`c.shop_id = any(${[...viewer.shops]}::text[])`);
  // "all": every state, closed ones too (what analytics counts, drilled into from the dashboard).
  const everyState = f.status?.trim() === "all";
  const statuses = everyState ? null : list("status", f.status, CASE_STATE_NAMES);
  if (statuses) and.push(sql`c.status = any(${statuses}::text[])`);
  // Open cases only, said the indexes' way, whenever only open states are asked for.
  if (!everyState && (!statuses || statuses.every((s) => !TERMINAL_STATES.includes(s as never))))
    and.push(openCases("c"));
  const lists = [
    ["type", "c.type", list("type", f.type, CASE_TYPES)],
    ["shop", "c.shop_id", list("shop", f.shop, null)],
    ["reason", "c.reason", list("reason", f.reason, REASON_CODES)],
    ["source", "c.source", list("source", f.source, CASE_SOURCES)],
  ] as const;
  for (const [, column, values] of lists)
    if (values) and.push(sql`${sql.raw(column)} = any(${values as string[]}::text[])`);
  const channels = list("channel", f.channel, CHANNELS);
  if (channels) and.push(sql`c.shop_id in (select id from shops where channel = any(${channels}::text[]))`);
  // Days begin at midnight where the merchant is (analytics_tz(), as the analytics months do).
  if (f.createdFrom !== undefined)
    and.push(
      sql`c.created_at >= (${day("createdFrom", f.createdFrom)}::date::timestamp at time zone analytics_tz())`,
    );
  if (f.createdTo !== undefined)
    and.push(
      sql`c.created_at < ((${day("createdTo", f.createdTo)}::date + 1)::timestamp at time zone analytics_tz())`,
    );
  if (f.owner !== undefined) {
    if (f.owner === "none") and.push(sql`c.owner_id is null`);
    else if (f.owner === "me") and.push(viewer.me === null ? sql`false` : sql`c.owner_id = ${viewer.me}`);
    else if (/^\d{1,15}$/.test(f.owner)) and.push(sql`c.owner_id = ${Number(f.owner)}`);
    else
      throw new AppError("INVALID_FILTER", `"${f.owner}" is not an owner to filter by`, {
        field: "owner",
        value: f.owner,
        allowed: ["me", "none", "<user id>"],
      });
  }
  if (f.minRisk !== undefined) and.push(sql`c.risk_score >= ${f.minRisk}`);
  if (f.due === "overdue") and.push(sql`c.sla_due_at < ${now}`);
  else if (f.due === "soon") and.push(sql`c.sla_due_at < ${new Date(now.getTime() + DUE_SOON_MS)}`);
  if (f.secondApproval === true) and.push(sql`c.first_approval is not null and c.status = 'requested'`);
  else if (f.secondApproval === false) and.push(sql`c.first_approval is null`);
  const q = f.q?.trim();
  if (q) and.push(search(q));
  return sql<boolean>`(${sql.join(and, sql` and `)})`;
}

/** The orders the queue offers, each the column of one partial index of migration 019 (then id). */
export const SORTS = {
  slaDueAt: "sla_due_at",
  createdAt: "created_at",
  statusSince: "status_since",
  amount: "requested_amount",
  riskScore: "risk_score",
  id: "id",
} as const;
export type QueueSort = keyof typeof SORTS;
/** Most urgent first: the nearest deadline, the oldest case, the largest amount, the highest risk; none last. */
export const DEFAULT_ORDER: Record<QueueSort, "asc" | "desc"> = {
  slaDueAt: "asc",
  createdAt: "asc",
  statusSince: "asc",
  amount: "desc",
  riskScore: "desc",
  id: "asc",
};

/** One queue row: a kanban card or a line of the reviewer's list. */
export interface QueueRow {
  id: number;
  version: number;
  status: string;
  type: string;
  reason: string;
  shop_id: string;
  source: string;
  risk_score: number;
  currency: string;
  requested_amount: number | null;
  sla_due_at: Date | null;
  created_at: Date;
  status_since: Date;
  order_id: number;
  order_external_id: string;
  external_id: string | null;
  first_approval: string | null;
  tags: string[];
  customer_id: string | null;
  customer_name: string | null;
  customer_tier: string | null;
  owner_id: number | null;
  owner_login: string | null;
  owner_name: string | null;
  tracking_no: string | null;
}

const ROW = sql`
  c.id, c.version, c.status, c.type, c.reason, c.shop_id, c.source, c.risk_score, c.currency,
  c.requested_amount, c.sla_due_at, c.created_at, c.status_since, c.order_id, o.external_id as order_external_id,
  c.external_id, c.first_approval, c.tags, c.customer_id, cu.name as customer_name, cu.tier as customer_tier,
  c.owner_id, u.login as owner_login, u.name as owner_name,
  -- The parcel a person asks about: the case's own (its return), else the order's latest.
  coalesce((select s.tracking_no from shipments s where s.case_id = c.id order by s.id desc limit 1),
           (select s.tracking_no from shipments s where s.order_id = c.order_id and s.case_id is null
             order by s.id desc limit 1)) as tracking_no`;
const FROM = sql`
  cases c join orders o on o.id = c.order_id
  left join customers cu on cu.id = c.customer_id
  left join users u on u.id = c.owner_id`;

export interface QueuePageSpec {
  sort: QueueSort;
  order: "asc" | "desc";
  offset: number;
  limit: number;
}

/** The statements of a queue page: its total and its rows (also for EXPLAIN, bench/console.ts). */
export function queuePageSql(where: RawBuilder<boolean>, page: QueuePageSpec) {
  const dir = sql.raw(page.order === "desc" ? "desc" : "asc");
  // A case without the value (no deadline, no amount asked) is the least urgent: last in the default
  // order, so first in the other — each the way its index runs.
  const nulls = sql.raw(page.order === DEFAULT_ORDER[page.sort] ? "nulls last" : "nulls first");
  const column = sql.raw(`c.${SORTS[page.sort]}`);
  const order = sql`order by ${column} ${dir} ${nulls}, c.id ${dir}`;
  return {
    total: sql<{ n: number }>`select count(*)::int as n from cases c where ${where}`,
    // The page's ids first, from the index alone; only its rows are then joined and dressed.
    rows: sql<QueueRow>`
      select ${ROW} from ${FROM}
       where c.id in (select c.id from cases c where ${where} ${order} limit ${page.limit} offset ${page.offset})
       ${order}`,
  };
}

/** A page of the queue and how many cases the filter matches in all. */
export async function queuePage(db: Tx, where: RawBuilder<boolean>, page: QueuePageSpec) {
  const q = queuePageSql(where, page);
  const total = await q.total.execute(db);
  const rows = await q.rows.execute(db);
  return { total: Number(total.rows[0]?.n ?? 0), rows: rows.rows };
}

/** The statements of the kanban: counts per state, and each column's first cards. */
export function boardSql(where: RawBuilder<boolean>, statuses: string[], limit: number) {
  return {
    counts: sql<{ status: string; n: number }>`
      select c.status, count(*)::int as n from cases c
       where ${where} and c.status = any(${statuses}::text[])
       group by c.status`,
    // One index range per column (cases_open_status_idx), not one sort over every open case.
    cards: sql<QueueRow>`
      select x.* from unnest(${statuses}::text[]) as s(status)
       cross join lateral (
         select ${ROW} from ${FROM}
          where c.status = s.status and ${where}
          order by c.sla_due_at asc, c.id asc
          limit ${limit}) x`,
  };
}

/** The kanban: per state, how many cases and the first `limit` by SLA (none last), then id. */
export async function boardColumns(db: Tx, where: RawBuilder<boolean>, statuses: string[], limit: number) {
  const q = boardSql(where, statuses, limit);
  const counts = await q.counts.execute(db);
  const cards = await q.cards.execute(db);
  return {
    counts: new Map(counts.rows.map((r) => [r.status, Number(r.n)])),
    cards: cards.rows,
  };
}

/** How many cases each condition matches, as one statement; each count uses its own best index. */
export const countEachSql = (wheres: RawBuilder<boolean>[]) =>
  sql<Record<string, number>>`
    select ${sql.join(
      wheres.map((w, i) => sql`(select count(*)::int from cases c where ${w}) as ${sql.ref(`n${i}`)}`),
    )}`;

/** How many cases each condition matches, in one round trip. */
export async function countEach(db: Tx, wheres: RawBuilder<boolean>[]): Promise<number[]> {
  if (wheres.length === 0) return [];
  const { rows } = await countEachSql(wheres).execute(db);
  const r = rows[0] ?? {};
  return wheres.map((_, i) => Number(r[`n${i}`] ?? 0));
}

/** The ids a filter matches, lowest first, at most `max`. */
export async function matchingIds(db: Tx, where: RawBuilder<boolean>, max: number): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    select c.id from cases c where ${where} order by c.id limit ${max}`.execute(db);
  return rows.map((r) => Number(r.id));
}

/** Someone a case of `shop` could be given to (enabled, seeing the shop), other than `except`; null: nobody. */
export async function anyAssignee(db: Tx, shop: string, except: number | null): Promise<number | null> {
  const { rows } = await sql<{ id: number }>`
    select id from users
     where disabled_at is null and (shops is null or ${shop}::text = any(shops))
       and id is distinct from ${except}::bigint
     order by id limit 1`.execute(db);
  return rows[0] ? Number(rows[0].id) : null;
}

// Saved views -----------------------------------------------------------------------------------------

/** The views `ownerKey` sees: shared ones and their own, oldest first. */
export const savedViews = (db: Tx, ownerKey: string) =>
  db
    .selectFrom("saved_views")
    .selectAll()
    .where((eb) => eb.or([eb("shared", "=", true), eb("owner_key", "=", ownerKey)]))
    .orderBy("id")
    .execute();

export const findSavedView = (db: Tx, id: number) =>
  db.selectFrom("saved_views").selectAll().where("id", "=", id).executeTakeFirst();
