import type { Selectable, Transaction } from "kysely";
import { AppError, fail } from "../domain/errors.ts";
import { type Action, type CaseState, type GuardContext, nextState } from "../domain/lifecycle.ts";
import { deriveOrderStatus } from "../domain/order-status.ts";
import { appendEvent, caseOrderId, lockCase, setCaseStatus, statusesOfOrderCases } from "../store/cases.ts";
import { lockOrder } from "../store/orders.ts";
import type { CaseTable, DB, OrderTable } from "../store/schema.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/** The shared mechanics of every case action: lock, judge by the machine, record, keep the order in step. */

export type Tx = Transaction<DB>;
export type CaseRow = Selectable<CaseTable>;
export type OrderRow = Selectable<OrderTable>;

export interface StepOptions {
  /** The version the person was looking at; a stale one is a conflict, not a silent overwrite. */
  expectedVersion?: number;
  note?: string;
}

/**
 * Run `fn` in one transaction holding the case's order and the case itself. The order is locked
 * first, always, so two flows on one order queue instead of deadlocking or double-counting.
 */
export async function withCase<T>(
  ctx: FlowContext,
  caseId: number,
  fn: (tx: Tx, kase: CaseRow, order: OrderRow) => Promise<T>,
): Promise<T> {
  const orderId = await caseOrderId(ctx.db, caseId);
  if (orderId === undefined) fail("CASE_NOT_FOUND", `Case ${caseId} does not exist`, { caseId });
  return ctx.db.transaction().execute(async (tx) => {
    const order = await lockOrder(tx, orderId as number);
    const kase = await lockCase(tx, caseId);
    if (!order || !kase) return fail("CASE_NOT_FOUND", `Case ${caseId} does not exist`, { caseId });
    return fn(tx, kase, order);
  });
}

/** Fire `action` on the locked case: the machine decides, the timeline records, the order follows. */
export async function advance(
  tx: Tx,
  ctx: FlowContext,
  kase: CaseRow,
  order: OrderRow,
  actor: Actor,
  action: Action,
  guard: GuardContext,
  opts: StepOptions & { data?: Record<string, unknown> } = {},
): Promise<CaseState> {
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== kase.version) {
    fail("VERSION_CONFLICT", "The case changed since you loaded it; reload and try again", {
      expected: opts.expectedVersion,
      actual: kase.version,
    });
  }
  const from = kase.status as CaseState;
  const to = nextState(kase.type as never, from, action, { note: opts.note, ...guard });
  const now = ctx.now();
  if (!(await setCaseStatus(tx, kase.id, kase.version, to, now))) {
    throw new AppError(
      "VERSION_CONFLICT",
      "Someone else changed this case at the same moment; reload and try again",
    );
  }
  kase.status = to;
  kase.version += 1;
  await appendEvent(tx, {
    caseId: kase.id,
    at: now,
    actor: actorName(actor),
    action,
    from,
    to,
    note: opts.note ?? null,
    ...(opts.data ? { data: opts.data } : {}),
  });
  await syncOrderStatus(tx, order, now);
  return to;
}

/** Re-derive the order's after-sales status from its cases and refunds, in the same transaction. */
export async function syncOrderStatus(tx: Tx, order: OrderRow, now: Date) {
  const status = deriveOrderStatus(
    (await statusesOfOrderCases(tx, order.id)) as CaseState[],
    order.refunded_total,
    order.paid_total,
  );
  if (status === order.aftersales_status) return;
  await tx
    .updateTable("orders")
    .set({ aftersales_status: status, updated_at: now, version: order.version + 1 })
    .where("id", "=", order.id)
    .execute();
  order.aftersales_status = status;
  order.version += 1;
}
