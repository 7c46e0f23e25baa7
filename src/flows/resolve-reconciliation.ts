import { fail } from "../domain/errors.ts";
import { PROBLEMS, type ReconciliationCategory } from "../domain/reconcile/match.ts";
import type { Tx } from "../store/orders.ts";
import { deleteResolution, findItem, findRun, insertResolution } from "../store/reconciliations.ts";
import { audit } from "./audit.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/**
 * 对账问题处理: finance marks a reconciliation problem resolved, saying what was done ("refunded by hand on
 * the Alipay console, ref 2026…"), or reopens it. The resolution belongs to the day's report, the refund's
 * key and the kind of problem (see migration 029): reconciling the day again keeps it on the same problem,
 * and a problem that has become another kind is open again, showing the earlier resolution. Two clerks
 * resolving at once: the first wins, the second gets RECONCILIATION_ITEM_ALREADY_RESOLVED and nothing changes.
 */

export interface ProblemRef {
  runId: number;
  /** The refund's idempotency key (out_refund_no / out_request_no). */
  key: string;
  category: string;
}

const subject = (p: ProblemRef) => `${p.runId}:${p.key}:${p.category}`;

async function problem(tx: Tx, p: ProblemRef) {
  const run = await findRun(tx, p.runId);
  if (!run) return fail("RECONCILIATION_NOT_FOUND", `No reconciliation ${p.runId}`, { id: p.runId });
  const item = await findItem(tx, p.runId, p.key, p.category);
  if (!item) {
    return fail(
      "RECONCILIATION_ITEM_NOT_FOUND",
      `Reconciliation ${p.runId} has no ${p.category} item for ${p.key}`,
      { id: p.runId, key: p.key, category: p.category },
    );
  }
  if (!PROBLEMS.includes(item.category as ReconciliationCategory)) {
    return fail(
      "RECONCILIATION_ITEM_NOT_A_PROBLEM",
      `${p.key} is ${item.category} on reconciliation ${p.runId}: there is nothing to resolve`,
      { key: p.key, category: item.category },
    );
  }
  return { run, item, shops: item.shop_id ? [item.shop_id] : null };
}

export async function resolveProblem(ctx: FlowContext, actor: Actor, p: ProblemRef & { note: string }) {
  const note = p.note.trim();
  if (!note) return fail("RESOLUTION_NOTE_REQUIRED", "Say what was done about the problem", {});
  return ctx.db.transaction().execute(async (tx) => {
    const { run, shops } = await problem(tx, p);
    const row = await insertResolution(tx, {
      runId: p.runId,
      key: p.key,
      category: p.category,
      channel: run.channel,
      note,
      by: actorName(actor),
      at: ctx.now(),
    });
    if (!row) {
      const other = await tx
        .selectFrom("reconciliation_resolutions")
        .select(["resolved_by", "resolved_at"])
        .where("run_id", "=", p.runId)
        .where("idempotency_key", "=", p.key)
        .where("category", "=", p.category)
        .executeTakeFirst();
      return fail("RECONCILIATION_ITEM_ALREADY_RESOLVED", `${p.key} was resolved already`, {
        key: p.key,
        by: other?.resolved_by.replace(/^\w+:/, "") ?? "",
        at: other?.resolved_at
          ? `${new Date(other.resolved_at).toISOString().slice(0, 16).replace("T", " ")} UTC`
          : "",
      });
    }
    const after = { note, by: row.resolved_by, at: new Date(row.resolved_at).toISOString() };
    await audit(tx, ctx, actor, {
      action: "reconciliation.resolve",
      subject: subject(p),
      shops,
      before: null,
      after: { channel: run.channel, date: run.bill_date, key: p.key, category: p.category, ...after },
    });
    return after;
  });
}

export async function reopenProblem(ctx: FlowContext, actor: Actor, p: ProblemRef) {
  return ctx.db.transaction().execute(async (tx) => {
    const { run, shops } = await problem(tx, p);
    const row = await deleteResolution(tx, p.runId, p.key, p.category);
    if (!row)
      return fail("RECONCILIATION_ITEM_NOT_RESOLVED", `${p.key} is not marked resolved`, { key: p.key });
    await audit(tx, ctx, actor, {
      action: "reconciliation.reopen",
      subject: subject(p),
      shops,
      before: {
        channel: run.channel,
        date: run.bill_date,
        key: p.key,
        category: p.category,
        note: row.note,
        by: row.resolved_by,
        at: new Date(row.resolved_at).toISOString(),
      },
      after: null,
    });
  });
}
