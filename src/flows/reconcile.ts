import { createHash } from "node:crypto";
import { ChannelUnavailableError } from "../channels/payments/channel.ts";
import { PAYMENT_CHANNELS } from "../channels/payments/registry.ts";
import { AppError, fail } from "../domain/errors.ts";
import { BILL_MALFORMED, canFetchBills, type RefundBill } from "../domain/reconcile/bill.ts";
import {
  addDays,
  beijingDay,
  missingFromBill,
  type Neighbour,
  PROBLEMS,
  type ReconciliationItem,
  type ReconciliationSummary,
  reconcile,
} from "../domain/reconcile/match.ts";
import { refundsToReconcile, saveRun } from "../store/reconciliations.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/**
 * 退款对账 for one payment channel and one Beijing day: get the channel's refund bill (over its API, or
 * a file a person downloaded by hand), compare it with our refunds, store the report. Reconciling the
 * same day again replaces that day's report. A bill that cannot be trusted (wrong hash, malformed rows,
 * a summary that does not add up) stops everything before anything is stored.
 */

/** The channels whose bills can be reconciled: those whose registry entry reads a bill file. */
export const RECONCILABLE_CHANNELS = Object.keys(PAYMENT_CHANNELS).filter(
  (c) => PAYMENT_CHANNELS[c]?.readBill,
);

export interface ReconcileRequest {
  channel: string;
  /** YYYY-MM-DD, the bill's (Beijing) day. */
  date: string;
  /** A bill file given by hand; without it the bill is fetched from the channel. */
  file?: Uint8Array;
  midnightWindowMs?: number;
}

export interface ReconcileResult {
  runId: number;
  channel: string;
  date: string;
  source: "channel" | "upload";
  summary: ReconciliationSummary;
  /** Everything but the matched items. */
  problems: ReconciliationItem[];
  awaiting: ReconciliationItem[];
}

/** The channel's adapter, if it can fetch bills. */
function billSource(ctx: FlowContext, channel: string) {
  if (!ctx.payments.has(channel)) return undefined;
  const adapter = ctx.payments.get(channel);
  return canFetchBills(adapter) ? adapter : undefined;
}

/** A channel failure while fetching: the reconciliation did not happen, and it says why. */
const fetchFailed = (channel: string, date: string, e: ChannelUnavailableError): never =>
  fail("BILL_FETCH_FAILED", `could not fetch the ${channel} bill of ${date}: ${e.message}`, {
    channel,
    date,
    kind: e.kind,
  });

async function fetchBill(ctx: FlowContext, channel: string, date: string) {
  const source = billSource(ctx, channel);
  if (!source) {
    return fail(
      "RECONCILIATION_CHANNEL_NOT_CONFIGURED",
      `${channel} is not configured to fetch bills; upload the bill file instead`,
      { channel },
    );
  }
  try {
    const got = await source.fetchRefundBill(date);
    if (got.kind === "not_ready") {
      return fail("BILL_NOT_READY", `${channel} has no bill for ${date} yet (${got.message})`, {
        channel,
        date,
      });
    }
    return got;
  } catch (e) {
    if (e instanceof ChannelUnavailableError) return fetchFailed(channel, date, e);
    throw e;
  }
}

/** A neighbouring day's bill when the channel can give it; null when it is not out (or unreachable). */
async function neighbour(ctx: FlowContext, channel: string, date: string): Promise<Neighbour> {
  const source = billSource(ctx, channel);
  if (!source) return { date, bill: null };
  try {
    const got = await source.fetchRefundBill(date);
    return { date, bill: got.kind === "bill" ? got.bill : null };
  } catch (e) {
    // A bill we cannot trust is not evidence either way; the item stays missing or awaiting.
    if (e instanceof ChannelUnavailableError || e instanceof AppError) return { date, bill: null };
    throw e;
  }
}

export async function reconcileDay(
  ctx: FlowContext,
  actor: Actor,
  req: ReconcileRequest,
): Promise<ReconcileResult> {
  const { channel, date } = req;
  const read = PAYMENT_CHANNELS[channel]?.readBill;
  if (!read) {
    return fail(
      "RECONCILIATION_CHANNEL_UNSUPPORTED",
      `${channel} bills cannot be reconciled; channels: ${RECONCILABLE_CHANNELS.join(", ")}`,
      { channel, channels: RECONCILABLE_CHANNELS },
    );
  }
  let day: { start: Date; end: Date };
  try {
    day = beijingDay(date);
  } catch {
    return fail("INVALID_DATE", `"${date}" is not a date (YYYY-MM-DD)`, { date });
  }
  const source: "channel" | "upload" = req.file ? "upload" : "channel";
  let bill: RefundBill;
  let sha1: string;
  if (req.file) {
    if (req.file.length === 0) return fail(BILL_MALFORMED, "the bill file is empty");
    bill = await read(req.file, date);
    sha1 = createHash("sha1").update(req.file).digest("hex");
    if (bill.date && bill.date !== date) {
      return fail("BILL_DATE_MISMATCH", `the file is the bill of ${bill.date}, not ${date}`, {
        date,
        billDate: bill.date,
      });
    }
  } else {
    const got = await fetchBill(ctx, channel, date);
    bill = got.bill;
    sha1 = got.sha1;
  }

  const keys = [...new Set(bill.refunds.map((r) => r.key))];
  const ours = await refundsToReconcile(ctx.db, channel, keys, day.start, day.end);
  // A refund near midnight may be on a neighbouring day's bill: look there only when something is missing.
  let previous: Neighbour | undefined;
  let next: Neighbour | undefined;
  if (missingFromBill(bill, ours, day).length > 0) {
    [previous, next] = await Promise.all([
      neighbour(ctx, channel, addDays(date, -1)),
      neighbour(ctx, channel, addDays(date, 1)),
    ]);
  }
  const { items, summary } = reconcile({
    date,
    bill,
    ours,
    dayEnd: day.end,
    ...(previous ? { previous } : {}),
    ...(next ? { next } : {}),
    ...(req.midnightWindowMs !== undefined ? { midnightWindowMs: req.midnightWindowMs } : {}),
  });
  const runId = await ctx.db.transaction().execute((tx) =>
    saveRun(tx, {
      channel,
      date,
      source,
      sha1,
      billRows: bill.refunds.length,
      summary,
      items,
      by: actorName(actor),
      at: ctx.now(),
    }),
  );
  return {
    runId,
    channel,
    date,
    source,
    summary,
    problems: items.filter((i) => PROBLEMS.includes(i.category)),
    awaiting: items.filter((i) => i.category === "awaiting_next_bill"),
  };
}
