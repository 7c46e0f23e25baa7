import type { Label } from "../rules/text.ts";
import type { BillRefund, BillRefundStatus, RefundBill } from "./bill.ts";

/**
 * 退款对账: one day's refund bill from a payment channel against our refunds on that channel. Pure: the
 * flow loads our refunds and the bills (this day's, and the neighbouring days' when it needs them).
 *
 * Timing near midnight: a channel files a refund under its own day (WeChat: the day the refund was
 * taken; Alipay: the day it completed), which can be a day before or after the day we recorded it as
 * succeeded. So a refund of ours missing from its day's bill is first looked for on the previous and
 * the next day's bills. When the next day's bill is not out yet and the refund succeeded in the last
 * `midnightWindowMs` of the day, it is `awaiting_next_bill` rather than missing; reconciling the day
 * again once the next bill is out settles it (the daily job does this).
 */

export type ReconciliationCategory =
  /** Both sides agree. */
  | "matched"
  /** The channel refunded money (the bill says succeeded) and we have no succeeded refund for it. */
  | "missing_on_our_side"
  /** We recorded a success the channel's bills do not show. */
  | "missing_on_channel"
  /** Both sides have the refund, for different amounts. */
  | "amount_mismatch"
  /** The bill says the refund was closed (nothing moved) while we think it succeeded. */
  | "status_mismatch"
  /** Not on this day's bill, succeeded just before midnight, and the next day's bill is not out yet. */
  | "awaiting_next_bill";

export const CATEGORIES: readonly ReconciliationCategory[] = [
  "matched",
  "missing_on_our_side",
  "missing_on_channel",
  "amount_mismatch",
  "status_mismatch",
  "awaiting_next_bill",
];
/** The categories someone in finance has to look at. */
export const PROBLEMS: readonly ReconciliationCategory[] = [
  "missing_on_our_side",
  "missing_on_channel",
  "amount_mismatch",
  "status_mismatch",
];

/** One of our refunds as reconciliation sees it. */
export interface OurRefund {
  id: number;
  /** idempotency_key: the out_refund_no / out_request_no the channel saw. */
  key: string;
  amount: number;
  currency: string;
  status: string; // requested | processing | succeeded | failed
  channelRefundId: string | null;
  succeededAt: Date | null;
}

export interface ReconciliationItem {
  category: ReconciliationCategory;
  key: string;
  refundId: number | null;
  ourAmount: number | null;
  ourStatus: string | null;
  billAmount: number | null;
  billStatus: BillRefundStatus | null;
  currency: string;
  channelRefundId: string | null;
  /** The bill (day) the row was found on, and its line. */
  billDate: string | null;
  billLine: number | null;
  /** What was found, for a person, in Chinese and English (the bill's day when it was a neighbour's). */
  note: Label | null;
}

export interface ReconciliationSummary {
  counts: Record<ReconciliationCategory, number>;
  problems: number;
  /** Rows the bill shows that moved nothing and that we have no succeeded refund for (closed, pending): not reported. */
  ignored: number;
  /** Minor units: refunds the bill shows as succeeded, and our succeeded refunds among the items. */
  billSucceededTotal: number;
  ourSucceededTotal: number;
  billRows: number;
  currency: string;
}

/** A neighbouring day's bill, or the fact that it is not out yet (or was not looked at). */
export type Neighbour = { date: string; bill: RefundBill } | { date: string; bill: null };

export interface ReconcileInput {
  date: string;
  bill: RefundBill;
  /** Our refunds whose key is on the bill (any day), and our succeeded refunds of `date`. */
  ours: readonly OurRefund[];
  /** When our day ends (exclusive), to tell a refund near midnight. */
  dayEnd: Date;
  previous?: Neighbour;
  next?: Neighbour;
  midnightWindowMs?: number;
}

export const DEFAULT_MIDNIGHT_WINDOW_MS = 30 * 60_000;

/** Beijing calendar day [start, end) of YYYY-MM-DD as instants; bills are written in Beijing time. */
export function beijingDay(date: string): { start: Date; end: Date } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00+08:00`))) {
    throw new RangeError(`"${date}" is not a date (YYYY-MM-DD)`);
  }
  const start = new Date(`${date}T00:00:00+08:00`);
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

/** YYYY-MM-DD in Beijing time of an instant. */
export const beijingDate = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/** The day `days` after `date` (negative: before). */
export const addDays = (date: string, days: number) =>
  beijingDate(new Date(beijingDay(date).start.getTime() + days * 86_400_000));

/** Do we need the neighbouring days' bills? Only when a success of ours is not on this day's bill. */
export function missingFromBill(
  bill: RefundBill,
  ours: readonly OurRefund[],
  day: { start: Date; end: Date },
) {
  const onBill = new Set(bill.refunds.map((r) => r.key));
  return ours.filter(
    (r) =>
      r.status === "succeeded" &&
      r.succeededAt !== null &&
      r.succeededAt >= day.start &&
      r.succeededAt < day.end &&
      !onBill.has(r.key),
  );
}

/** A bill row's status and ours in the Chinese notes, in the console's words for them. */
const BILL_STATUS_ZH: Readonly<Record<BillRefundStatus, string>> = {
  succeeded: "退款成功",
  processing: "处理中",
  abnormal: "异常",
  closed: "已关闭",
};
const OUR_STATUS_ZH: Readonly<Record<string, string>> = {
  requested: "待发送",
  processing: "处理中",
  succeeded: "已退款",
  failed: "失败",
};

const MOVED: ReadonlySet<BillRefundStatus> = new Set(["succeeded", "processing", "abnormal"]);

export function reconcile(input: ReconcileInput): {
  items: ReconciliationItem[];
  summary: ReconciliationSummary;
} {
  const window = input.midnightWindowMs ?? DEFAULT_MIDNIGHT_WINDOW_MS;
  const byKey = new Map(input.ours.map((r) => [r.key, r]));
  const currency = input.bill.refunds[0]?.currency ?? input.ours[0]?.currency ?? "CNY";
  const items: ReconciliationItem[] = [];
  let ignored = 0;

  const item = (
    category: ReconciliationCategory,
    key: string,
    ours: OurRefund | undefined,
    row: BillRefund | undefined,
    billDate: string | null,
    note: Label | null,
  ): ReconciliationItem => ({
    category,
    key,
    refundId: ours?.id ?? null,
    ourAmount: ours?.amount ?? null,
    ourStatus: ours?.status ?? null,
    billAmount: row?.amount ?? null,
    billStatus: row?.status ?? null,
    currency: row?.currency ?? ours?.currency ?? currency,
    channelRefundId: row?.channelRefundId ?? ours?.channelRefundId ?? null,
    billDate: row ? billDate : null,
    billLine: row?.line ?? null,
    note,
  });

  /** A bill row against ours (if any): which category, and why. */
  const judge = (row: BillRefund, billDate: string, neighbour: boolean): ReconciliationItem | null => {
    const ours = byKey.get(row.key);
    /** Where the row was found, when not on this day's bill. */
    const where = (l: Label): Label =>
      neighbour ? { zh: `${l.zh}（见 ${billDate} 的对账单）`, en: `${l.en} (on the ${billDate} bill)` } : l;
    const succeeded = ours?.status === "succeeded";
    if (row.status === "closed") {
      if (succeeded) {
        return item(
          "status_mismatch",
          row.key,
          ours,
          row,
          billDate,
          where({
            zh: "对账单显示该退款已关闭、未出款；我方记为已退款",
            en: "The bill says the refund was closed and nothing moved; we recorded it as succeeded",
          }),
        );
      }
      return null; // nothing moved on either side
    }
    if (!MOVED.has(row.status)) return null;
    if (succeeded || (ours && row.status !== "succeeded")) {
      const o = ours as OurRefund;
      if (o.amount !== row.amount) {
        return item(
          "amount_mismatch",
          row.key,
          o,
          row,
          billDate,
          where({ zh: "双方金额不一致", en: "Amounts differ" }),
        );
      }
      // The bill is written once: a refund still processing when it was written may have settled since.
      const note: Label | null =
        row.status === "succeeded"
          ? neighbour
            ? { zh: `见 ${billDate} 的对账单`, en: `On the ${billDate} bill` }
            : null
          : where({
              zh: `对账单显示${BILL_STATUS_ZH[row.status]}；我方为${OUR_STATUS_ZH[o.status] ?? o.status}`,
              en: `The bill shows it ${row.status}; ours is ${o.status}`,
            });
      return item("matched", row.key, o, row, billDate, note);
    }
    if (row.status === "succeeded") {
      return item(
        "missing_on_our_side",
        row.key,
        ours,
        row,
        billDate,
        ours
          ? {
              zh: `渠道已退款；我方退款 #${ours.id} 为${OUR_STATUS_ZH[ours.status] ?? ours.status}`,
              en: `The channel refunded it; our refund ${ours.id} is ${ours.status}`,
            }
          : {
              zh: "渠道已退款；我方没有此退款单号的退款",
              en: "The channel refunded it; we have no refund with this key",
            },
      );
    }
    return null;
  };

  for (const row of input.bill.refunds) {
    const judged = judge(row, input.date, false);
    if (judged) items.push(judged);
    else ignored++;
  }

  const day = beijingDay(input.date);
  for (const ours of missingFromBill(input.bill, input.ours, day)) {
    const elsewhere = [input.previous, input.next]
      .map((n) => (n?.bill ? { date: n.date, row: n.bill.refunds.find((r) => r.key === ours.key) } : null))
      .find((x) => x?.row);
    if (elsewhere?.row) {
      const judged = judge(elsewhere.row, elsewhere.date, true);
      if (judged) {
        items.push(judged);
        continue;
      }
    }
    const nearMidnight = (ours.succeededAt as Date).getTime() >= input.dayEnd.getTime() - window;
    if (nearMidnight && !input.next?.bill) {
      items.push(
        item("awaiting_next_bill", ours.key, ours, undefined, null, {
          zh: `临近午夜退款成功，${addDays(input.date, 1)} 的对账单尚未出具`,
          en: `Succeeded just before midnight; the ${addDays(input.date, 1)} bill is not out yet`,
        }),
      );
      continue;
    }
    const looked = [
      input.date,
      input.previous?.bill && input.previous.date,
      input.next?.bill && input.next.date,
    ].filter(Boolean);
    items.push(
      item("missing_on_channel", ours.key, ours, undefined, null, {
        zh: `我方记为已退款；${looked.join("、")} 的对账单上都没有`,
        en: `We recorded it as succeeded; not on the bills of ${looked.join(", ")}`,
      }),
    );
  }

  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<ReconciliationCategory, number>;
  for (const i of items) counts[i.category]++;
  return {
    items,
    summary: {
      counts,
      problems: items.filter((i) => PROBLEMS.includes(i.category)).length,
      ignored,
      billSucceededTotal: input.bill.refunds
        .filter((r) => r.status === "succeeded")
        .reduce((a, r) => a + r.amount, 0),
      ourSucceededTotal: items
        .filter((i) => i.ourStatus === "succeeded")
        .reduce((a, i) => a + (i.ourAmount ?? 0), 0),
      billRows: input.bill.refunds.length,
      currency,
    },
  };
}
