import { type Kysely, type RawBuilder, sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { OPEN_INTERCEPTION_STATUSES } from "../domain/interception.ts";
import { type Action, type CaseState, type GuardContext, nextState } from "../domain/lifecycle.ts";
import { deriveOrderStatus, type OrderStatusFacts } from "../domain/order-status.ts";
import { type Executable, sessionStatement } from "../store/compiled.ts";
import { GENERIC_PLANS, lockedTransaction, type TransactionEnd } from "../store/locked-transaction.ts";
import type { DB } from "../store/schema.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/** The shared mechanics of every case action: lock, judge by the machine, record, keep the order in step. */

export type Tx = Kysely<DB>;

export interface CaseHead {
  id: number;
  order_id: number;
  shop_id: string;
  type: string;
  status: string;
  reason: string;
  currency: string;
  version: number;
}

export interface OrderHead {
  id: number;
  shop_id: string;
  external_id: string;
  currency: string;
  shipping_fee: number;
  paid_total: number;
  refunded_total: number;
  aftersales_status: string;
  version: number;
}

/** A case, its order and the facts its guards need — read in one statement once the order is locked. */
export interface Locked {
  tx: Tx;
  kase: CaseHead;
  order: OrderHead;
  items: { lineId: number; quantity: number }[];
  /** The items with their SKU and the units of each received so far (receipt lines). */
  lines: ItemLine[];
  caseQuantity: number;
  receivedQuantity: number;
  refundCount: number;
  /** How many grants the case has had; a grant's refunds (one per tender) share its number. */
  grantCount: number;
  /** States of the order's other cases, for the order's derived status. */
  otherStatuses: CaseState[];
  /** Whether a parcel of the order is being intercepted, for the order's derived status. */
  openInterception: boolean;
  /** The status of this case's own interception (拦截), if it asked for one. */
  interceptionStatus: string | null;
  /** Settings steps read under the lock, as stored (null: not set); flows/settings.ts reads them. */
  stored: { shopReview: Record<string, unknown> | null; tenderOrder: unknown; financeFees: unknown };
  /** Commits with the transaction's last statement (advance's `commit`). */
  end: TransactionEnd;
}

export interface ItemLine {
  lineId: number;
  quantity: number;
  sku: string;
  received: number;
}

export interface StepOptions {
  /** The version the person was looking at; a stale one is a conflict, not a silent overwrite. */
  expectedVersion?: number;
  note?: string;
  /** The shops the caller may touch (null: all); any other shop's case does not exist for them. */
  shops?: readonly string[] | null;
}

export interface StepResult {
  status: CaseState;
  version: number;
}

/** The row LOAD reads. */
interface Loaded {
  c_id: number;
  order_id: number;
  c_shop_id: string;
  type: string;
  status: string;
  reason: string;
  c_currency: string;
  c_version: number;
  o_shop_id: string;
  external_id: string;
  o_currency: string;
  shipping_fee: number;
  paid_total: number;
  refunded_total: number;
  aftersales_status: string;
  o_version: number;
  items: ItemLine[];
  received_quantity: number;
  refund_count: number;
  grant_count: number;
  other_statuses: string[];
  open_interception: boolean;
  interception_status: string | null;
  shop_review: Record<string, unknown> | null;
  tender_order: unknown;
  finance_fees: unknown;
}

/** Lock the case's order: every write to a case or its order happens under that one lock. */
const LOCK = sessionStatement(
  "case_lock",
  (_db, p: { caseId: number }) =>
    sql`select 1 from orders where id = (select order_id from cases where id = ${p.caseId}) for update`,
);

/** The case, its order, the facts its guards need and the settings its steps read, in one statement. */
// As one JSON value: a row of 26 columns costs node-postgres more to describe and parse (≈17 µs).
const LOAD = sessionStatement(
  "case_load",
  (_db, p: { caseId: number }) =>
    sql<{ load: Loaded }>`
  select json_build_object(
    'c_id', c.id, 'order_id', c.order_id, 'c_shop_id', c.shop_id, 'type', c.type, 'status', c.status,
    'reason', c.reason, 'c_currency', c.currency, 'c_version', c.version,
    'o_shop_id', o.shop_id, 'external_id', o.external_id, 'o_currency', o.currency, 'shipping_fee', o.shipping_fee,
    'paid_total', o.paid_total, 'refunded_total', o.refunded_total, 'aftersales_status', o.aftersales_status,
    'o_version', o.version,
    'items', (select json_agg(json_build_object(
                       'lineId', ci.order_line_id, 'quantity', ci.quantity, 'sku', l.sku,
                       'received', (select coalesce(sum(rl.quantity), 0) from receipt_lines rl
                                     where rl.case_id = c.id and rl.order_line_id = ci.order_line_id))
                     order by ci.order_line_id)
                from case_items ci join order_lines l on l.id = ci.order_line_id where ci.case_id = c.id),
    'received_quantity', (select coalesce(sum(quantity), 0) from receipts where case_id = c.id),
    'refund_count', (select count(*) from refunds where case_id = c.id),
    'grant_count', (select coalesce(max(grant_no), 0) from refunds where case_id = c.id),
    'other_statuses', array(select x.status from cases x where x.order_id = c.order_id and x.id <> c.id),
    'open_interception', exists (select 1 from interceptions i where i.order_id = c.order_id
                                    and i.status = any(${OPEN_INTERCEPTION_STATUSES}::text[])),
    'interception_status', (select i.status from interceptions i where i.case_id = c.id),
    'shop_review', (select review from shops where id = c.shop_id),
    'tender_order', (select value from settings where key = 'refunds.tenderOrder'),
    'finance_fees', (select value from settings where key = 'finance.fees')) as load
    from cases c join orders o on o.id = c.order_id
   where c.id = ${p.caseId}`,
);

/** Thrown by a dry run's case step once it has run: the step would succeed; its transaction rolls back. */
export class DryRun extends Error {
  constructor() {
    super("dry run: rolled back");
    this.name = "DryRun";
  }
}

/**
 * Run `fn` in one transaction holding the lock of the case's order. Every write to a case or its
 * order happens under that one lock, so two flows on one order queue instead of racing.
 */
export async function withCase<T, R = never>(
  ctx: FlowContext,
  caseId: number,
  fn: (l: Locked & { read: R[] }) => Promise<T>,
  opts: Pick<StepOptions, "shops"> & {
    /** A read of the step's own, sent with the lock and the load (`l.read`: its rows). */
    read?: Executable<{ caseId: number }, R>;
  } = {},
): Promise<T> {
  // Lock first, read after, in the transaction's first round trip: under READ COMMITTED the read then
  // sees whatever the previous holder of the lock committed (a locking read with joins would still see
  // the rows it started with).
  if (!Number.isSafeInteger(caseId) || caseId <= 0)
    return fail("CASE_NOT_FOUND", `Case ${caseId} does not exist`, { caseId });
  const statements = opts.read ? [LOCK, LOAD, opts.read] : [LOCK, LOAD];
  const start = {
    sql: [GENERIC_PLANS, ...statements.map((s) => s.execute({ caseId }))].join("; "),
    sessionStatements: statements,
  };
  return lockedTransaction<T>(ctx.db, start, async (tx, _rows, results, end) => {
    // Results: the SET, the lock, the load and the step's own read.
    const r = (results[2] as { load: Loaded }[] | undefined)?.[0]?.load;
    if (!r || (opts.shops && !opts.shops.includes(r.c_shop_id))) {
      return fail("CASE_NOT_FOUND", `Case ${caseId} does not exist`, { caseId });
    }
    const result = await fn({
      tx,
      kase: {
        id: r.c_id,
        order_id: r.order_id,
        shop_id: r.c_shop_id,
        type: r.type,
        status: r.status,
        reason: r.reason,
        currency: r.c_currency,
        version: r.c_version,
      },
      order: {
        id: r.order_id,
        shop_id: r.o_shop_id,
        external_id: r.external_id,
        currency: r.o_currency,
        shipping_fee: r.shipping_fee,
        paid_total: r.paid_total,
        refunded_total: r.refunded_total,
        aftersales_status: r.aftersales_status,
        version: r.o_version,
      },
      items: r.items.map((i) => ({ lineId: i.lineId, quantity: i.quantity })),
      lines: r.items,
      caseQuantity: r.items.reduce((a, i) => a + i.quantity, 0),
      receivedQuantity: Number(r.received_quantity),
      refundCount: Number(r.refund_count),
      grantCount: Number(r.grant_count),
      otherStatuses: r.other_statuses as CaseState[],
      openInterception: r.open_interception,
      interceptionStatus: r.interception_status,
      stored: { shopReview: r.shop_review, tenderOrder: r.tender_order, financeFees: r.finance_fees },
      read: (results[3] ?? []) as R[],
      end,
    });
    if (ctx.dryRun) throw new DryRun();
    return result;
  });
}

/**
 * Fire `action` on the locked case: the machine decides, the timeline records, the order follows.
 * `refunded` is money that just came back to the customer, added to the order in the same write.
 */
export async function advance(
  ctx: FlowContext,
  l: Locked,
  actor: Actor,
  action: Action,
  guard: Partial<GuardContext> = {},
  opts: StepOptions & {
    data?: Record<string, unknown>;
    refunded?: number;
    /** The action's own writes (a receipt, a parcel), as statements that run with the move. */
    also?: RawBuilder<unknown>[];
    /** The move is the step's last statement: the transaction commits with it, in its round trip. */
    commit?: boolean;
  } = {},
): Promise<StepResult> {
  const { kase } = l;
  await checkVersion(l, opts.expectedVersion);
  const from = kase.status as CaseState;
  const to = nextState(kase.type as never, from, action, {
    caseQuantity: l.caseQuantity,
    receivedQuantity: l.receivedQuantity,
    note: opts.note,
    ...guard,
  });
  const now = ctx.now();
  // Move the case (only from the version we read) and append its timeline event in one statement.
  const order = orderChange(l.order, [...l.otherStatuses, to], opts.refunded ?? 0, {
    openInterception: l.openInterception,
  });
  // One statement: move the case (only from the version we read), append its timeline event, the
  // action's own writes and, when its status or money changed, the order. A stale version moves
  // nothing and the whole transaction rolls back — sent with the COMMIT, the statement itself fails
  // then (dividing by the number of cases moved), so that the COMMIT finds the transaction aborted.
  const commit = opts.commit === true && !ctx.dryRun;
  const statement = sql<{ n: number }>`
    with moved as (
      update cases set status = ${to}, status_since = ${now}, updated_at = ${now}, version = version + 1
       where id = ${kase.id} and version = ${kase.version}
      returning id),
    event as (
      insert into case_events (case_id, at, actor, action, from_status, to_status, note, data, version)
      select id, ${now}::timestamptz, ${actorName(actor)}::text, ${action}::text, ${from}::text, ${to}::text,
             ${opts.note ?? null}::text, ${opts.data ? JSON.stringify(opts.data) : null}::jsonb, ${kase.version + 1}::int
        from moved
      returning id)
    ${orderUpdate(l.order, order, now, sql`exists (select 1 from moved)`)}
    ${platformDecision(kase, actor, action, to, now)}
    ${sql.join(
      (opts.also ?? []).map((stmt, i) => sql`, ${sql.raw(`also${i}`)} as (${stmt})`),
      sql``,
    )}
    select ${commit ? sql`1 / count(*)::int` : sql`count(*)::int`} as n from moved`;
  const moved = commit
    ? await l.end.commitWith(statement.compile(l.tx)).catch(async (e) => {
        // Nothing moved: the transaction rolled back; say what changed the case (read after it).
        if ((e as { code?: string }).code === DIVISION_BY_ZERO)
          await versionConflict(l.tx, kase.id, kase.version, e);
        throw e;
      })
    : await statement.execute(l.tx);
  if (moved.rows[0]?.n !== 1) return versionConflict(l.tx, kase.id, kase.version);
  kase.status = to;
  kase.version += 1;
  if (order) applyOrderChange(l.order, order);
  return { status: to, version: kase.version };
}

const DIVISION_BY_ZERO = "22012";

/** A stale `expected` version (the one the person was looking at) is a conflict, never a silent overwrite. */
export async function checkVersion(l: Locked, expected: number | undefined): Promise<void> {
  if (expected !== undefined && expected !== l.kase.version) await versionConflict(l.tx, l.kase.id, expected);
}

/**
 * VERSION_CONFLICT saying what happened since version `since`: the current version and the timeline's
 * changes after it (newest last), so the screen can say "changed by … at …" rather than only "reload".
 */
export async function versionConflict(
  tx: Tx,
  caseId: number,
  since: number,
  /** Thrown instead when the case is still at version `since` (the failure was something else). */
  unchanged?: unknown,
): Promise<never> {
  const current = await tx
    .selectFrom("cases")
    .select(["version", "updated_at"])
    .where("id", "=", caseId)
    .executeTakeFirst();
  if (unchanged !== undefined && current?.version === since) throw unchanged;
  const changes = await tx
    .selectFrom("case_events")
    .select(["action", "actor", "at", "from_status as from", "to_status as to"])
    .where("case_id", "=", caseId)
    .where("version", ">", since)
    .orderBy("id", "desc")
    .limit(20)
    .execute();
  changes.reverse();
  const last = changes.at(-1);
  return fail("VERSION_CONFLICT", "The case changed since you loaded it; reload and try again", {
    expected: since,
    actual: current?.version ?? null,
    currentVersion: current?.version ?? null,
    changedBy: last?.actor ?? null,
    changedAt: last?.at ?? current?.updated_at ?? null,
    changes,
  });
}

/**
 * Decisions the platform a case came from must hear about (同意/拒绝/确认收货), by action and the state it
 * led to. Only people's and rules' decisions: what the platform itself told us (actor "channel") it knows.
 */
const PLATFORM_DECISIONS: Partial<Record<Action, (to: CaseState) => string | null>> = {
  approve: () => "approve",
  reject: () => "reject",
  receive: (to) => (to === "received" ? "receive" : null),
};

/**
 * The outbox message that tells the platform (topic `platform.decision`, handled by
 * flows/platform-decision.ts), as a CTE of the move's own statement — only for a case with a platform
 * id in a shop connected to its platform (it has credentials).
 */
function platformDecision(kase: CaseHead, actor: Actor, action: Action, to: CaseState, now: Date) {
  const decision = actor.kind === "channel" ? null : (PLATFORM_DECISIONS[action]?.(to) ?? null);
  if (!decision) return sql``;
  return sql`, platform_decision as (
      insert into outbox (topic, key, payload, available_at)
      select 'platform.decision', ${`case:${kase.id}:v${kase.version + 1}`}::text,
             jsonb_build_object('caseId', c.id, 'decision', ${decision}::text, 'eventId', (select id from event)),
             ${now}::timestamptz
        from cases c
       where c.id = ${kase.id} and c.external_id is not null and exists (select 1 from moved)
         and exists (select 1 from shop_credentials sc where sc.shop_id = c.shop_id)
      on conflict (topic, key) do nothing)`;
}

/** The order's new derived status and refunded total, or nothing when neither changes. */
export function orderChange(
  order: OrderHead,
  caseStates: CaseState[],
  refunded: number,
  facts: OrderStatusFacts,
) {
  const refundedTotal = order.refunded_total + refunded;
  const status = deriveOrderStatus(caseStates, refundedTotal, order.paid_total, facts);
  return status === order.aftersales_status && refunded === 0 ? undefined : { status, refundedTotal };
}

export function applyOrderChange(order: OrderHead, change: { status: string; refundedTotal: number }) {
  order.aftersales_status = change.status;
  order.refunded_total = change.refundedTotal;
  order.version += 1;
}

/**
 * The order's side of a case write, as a CTE to append to that write's statement: its new derived
 * status and refunded total, or nothing when neither changed. `when` ties it to the case write.
 */
export function orderUpdate(
  order: OrderHead,
  change: { status: string; refundedTotal: number } | undefined,
  now: Date,
  when: RawBuilder<unknown>,
) {
  if (!change) return sql``;
  return sql`, ord as (
      update orders set aftersales_status = ${change.status}, refunded_total = ${change.refundedTotal},
                        updated_at = ${now}, version = version + 1
       where id = ${order.id} and ${when})`;
}
