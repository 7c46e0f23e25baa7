import { fail } from "../domain/errors.ts";
import { parseDimensions, type ReportRow } from "../domain/ledger.ts";
import { ledgerReport } from "../store/ledger.ts";
import type { FlowContext } from "./context.ts";
import { timeZone } from "./settings.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 3 * 366;

export interface ReportQuery {
  from: string;
  to: string;
  /** Comma-separated: day|month, shop, channel, reason. */
  by?: string;
  shops?: readonly string[] | null;
}

/**
 * 售后财务报表: what after-sales cost, by day (or month), shop, channel and reason — refunded goods,
 * shipping, compensation, subsidies, channel fees and the total — from the ledger. Reads only.
 */
export async function financeReport(ctx: FlowContext, q: ReportQuery) {
  for (const [name, v] of [
    ["from", q.from],
    ["to", q.to],
  ] as const) {
    if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
      fail("INVALID_DATE", `"${name}" is a day, YYYY-MM-DD`, { [name]: v });
  }
  const days = (Date.parse(`${q.to}T00:00:00Z`) - Date.parse(`${q.from}T00:00:00Z`)) / 86_400_000;
  if (days < 0) fail("INVALID_DATE_RANGE", "The report ends before it starts", { from: q.from, to: q.to });
  if (days > MAX_DAYS) fail("INVALID_DATE_RANGE", "A report covers at most three years", { days });
  const dims = parseDimensions(q.by);
  const tz = await timeZone(ctx);
  const rows: ReportRow[] = await ledgerReport(ctx.db, { ...q, dims, timeZone: tz });
  return { from: q.from, to: q.to, timeZone: tz, by: dims, rows };
}
