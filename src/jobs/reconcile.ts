import { hostname } from "node:os";
import { ChannelUnavailableError } from "../channels/payments/channel.ts";
import { AppError } from "../domain/errors.ts";
import { canFetchBills } from "../domain/reconcile/bill.ts";
import { addDays, beijingDate } from "../domain/reconcile/match.ts";
import type { FlowContext } from "../flows/context.ts";
import { RECONCILABLE_CHANNELS, reconcileDay } from "../flows/reconcile.ts";
import { claimDay, failClaim, findRunByDay, finishClaim, releaseClaim } from "../store/reconciliations.ts";
import { startPeriodic } from "./periodic.ts";

/**
 * 每日对账: once per day, yesterday's refund bill of every payment channel that can fetch bills is
 * reconciled. Each (channel, day) is claimed with a unique key first, so of several workers exactly one
 * does it. Bills come out in the morning (WeChat Pay from 9:00, Alipay before 9:00 Beijing time), so
 * nothing is tried before `notBeforeHour`; a bill not out yet gives the claim back for the next tick.
 * The day before yesterday is looked at once more when its report still waits for yesterday's bill
 * (a refund near midnight), which settles those items.
 */

export interface ReconcilerOptions {
  /** Who claims (in reconciliation_claims). Default host:pid. */
  worker?: string;
  /** Beijing hour before which yesterday's bills are not asked for. Default 10. */
  notBeforeHour?: number;
  /** A claim whose worker vanished is taken over after this long. Default 1 hour. */
  leaseMs?: number;
}

export async function reconcileYesterday(ctx: FlowContext, o: ReconcilerOptions = {}) {
  const now = ctx.now();
  const worker = o.worker ?? `${hostname()}:${process.pid}`;
  const leaseMs = o.leaseMs ?? 3_600_000;
  const beijingHour = new Date(now.getTime() + 8 * 3_600_000).getUTCHours();
  const done: { channel: string; date: string; runId?: number; error?: string }[] = [];
  if (beijingHour < (o.notBeforeHour ?? 10)) return done;
  const yesterday = addDays(beijingDate(now), -1);
  const channels = RECONCILABLE_CHANNELS.filter(
    (c) => ctx.payments.has(c) && canFetchBills(ctx.payments.get(c)),
  );
  for (const channel of channels) {
    const days = [{ date: yesterday, key: `${channel}:${yesterday}` }];
    const before = addDays(yesterday, -1);
    const earlier = await findRunByDay(ctx.db, channel, before);
    if (earlier && earlier.awaiting > 0) days.push({ date: before, key: `${channel}:${before}:recheck` });
    for (const { date, key } of days) {
      if (!(await claimDay(ctx.db, key, worker, now, leaseMs))) continue;
      try {
        const r = await reconcileDay(ctx, { kind: "system", id: "reconciliation" }, { channel, date });
        await finishClaim(ctx.db, key, ctx.now());
        done.push({ channel, date, runId: r.runId });
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof AppError && e.code === "BILL_NOT_READY") await releaseClaim(ctx.db, key);
        else await failClaim(ctx.db, key, message);
        done.push({ channel, date, error: message });
        if (!(e instanceof AppError || e instanceof ChannelUnavailableError)) throw e;
      }
    }
  }
  return done;
}

/** Every 15 minutes: cheap when the day is done (one claim attempt per channel). */
export const startReconciler = (ctx: FlowContext, everyMs = 15 * 60_000, o: ReconcilerOptions = {}) =>
  startPeriodic("reconciliation", everyMs, () => reconcileYesterday(ctx, o));
