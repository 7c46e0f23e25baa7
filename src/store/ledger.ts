import { sql } from "kysely";
import type { ReportDimension, ReportRow } from "../domain/ledger.ts";
import type { Tx } from "./orders.ts";

/**
 * Post a succeeded refund to the ledger: its goods, its shipping and the channel fee it cost, each once
 * (keyed by the refund), in the transaction that recorded the success.
 */
export async function postRefund(tx: Tx, refundId: number, fee: number, actor: string, at: Date) {
  await sql`
    insert into ledger_entries (source, kind, tender, case_id, order_id, payment_id, refund_id, shop_id, reason,
                                currency, amount, reference, actor, occurred_at)
    select 'refund:' || r.id || ':' || k.part, k.kind, r.channel, r.case_id, r.order_id, r.payment_id, r.id,
           c.shop_id, c.reason, r.currency, k.amount, r.channel_refund_id, ${actor}, ${at}
      from refunds r
      join cases c on c.id = r.case_id
     cross join lateral (values ('goods', 'refund_goods', r.goods_amount), ('shipping', 'refund_shipping', r.shipping_amount),
                                ('fee', 'channel_fee', ${fee}::bigint)) as k(part, kind, amount)
     where r.id = ${refundId} and r.status = 'succeeded' and k.amount <> 0
    on conflict (source) do nothing`.execute(tx);
}

export interface LedgerEntryInput {
  source: string;
  kind: string;
  tender: string | null;
  caseId: number;
  amount: number;
  reference: string | null;
  note: string | null;
  actor: string;
  at: Date;
}

/** Post one entry against a case (its order, shop, reason and currency); false when its source was posted before. */
export async function postCaseEntry(tx: Tx, e: LedgerEntryInput): Promise<boolean> {
  const { rows } = await sql<{ id: number }>`
    insert into ledger_entries (source, kind, tender, case_id, order_id, shop_id, reason, currency, amount,
                                reference, note, actor, occurred_at)
    select ${e.source}, ${e.kind}, ${e.tender}, c.id, c.order_id, c.shop_id, c.reason, c.currency, ${e.amount},
           ${e.reference}, ${e.note}, ${e.actor}, ${e.at}
      from cases c where c.id = ${e.caseId}
    on conflict (source) do nothing
    returning id`.execute(tx);
  return rows.length === 1;
}

const DIMENSION_SQL = (tz: string): Record<ReportDimension, ReturnType<typeof sql>> => ({
  day: sql`to_char(occurred_at at time zone ${tz}, 'YYYY-MM-DD')`,
  month: sql`to_char(occurred_at at time zone ${tz}, 'YYYY-MM')`,
  shop: sql`shop_id`,
  channel: sql`coalesce(tender, '')`,
  reason: sql`coalesce(reason, '')`,
});

/** The report: money by the chosen dimensions, days `from` to `to` inclusive, in the merchant's time zone. */
export async function ledgerReport(
  db: Tx,
  q: {
    from: string;
    to: string;
    dims: ReportDimension[];
    timeZone: string;
    shops?: readonly string[] | null;
  },
): Promise<ReportRow[]> {
  const dimSql = DIMENSION_SQL(q.timeZone);
  const cols = q.dims.map((d) => sql`${dimSql[d]} as ${sql.id(d)}`);
  const groups = q.dims.map((_, i) => sql.raw(String(i + 2)));
  const { rows } = await sql<Record<string, string | number>>`
    select currency, ${sql.join(cols)},
           coalesce(sum(amount) filter (where kind = 'refund_goods'), 0)::bigint as goods,
           coalesce(sum(amount) filter (where kind = 'refund_shipping'), 0)::bigint as shipping,
           coalesce(sum(amount) filter (where kind = 'compensation'), 0)::bigint as compensation,
           coalesce(sum(amount) filter (where kind = 'shipping_subsidy'), 0)::bigint as subsidies,
           coalesce(sum(amount) filter (where kind = 'channel_fee'), 0)::bigint as fees,
           sum(amount)::bigint as net,
           count(*)::int as entries
      from ledger_entries
     where occurred_at >= (${q.from}::date::timestamp at time zone ${q.timeZone})
       and occurred_at < ((${q.to}::date + 1)::timestamp at time zone ${q.timeZone})
       ${q.shops ? sql`and shop_id = any(${[...q.shops]}::text[])` : sql``}
     group by 1, ${sql.join(groups)}
     order by ${sql.join(groups)}, 1`.execute(db);
  return rows.map((r) => {
    const row: ReportRow = {
      currency: String(r.currency),
      goods: Number(r.goods),
      shipping: Number(r.shipping),
      compensation: Number(r.compensation),
      subsidies: Number(r.subsidies),
      fees: Number(r.fees),
      net: Number(r.net),
      entries: Number(r.entries),
    };
    for (const d of q.dims) row[d] = String(r[d]);
    return row;
  });
}

/** Ledger entries, newest first, for finance to look through. */
export async function listLedger(
  db: Tx,
  q: {
    caseId?: number;
    orderId?: number;
    kind?: string;
    from?: Date;
    to?: Date;
    shops?: readonly string[] | null;
    limit: number;
    before?: number;
  },
) {
  let query = db.selectFrom("ledger_entries").selectAll().orderBy("id", "desc").limit(q.limit);
  if (q.caseId !== undefined) query = query.where("case_id", "=", q.caseId);
  if (q.orderId !== undefined) query = query.where("order_id", "=", q.orderId);
  if (q.kind) query = query.where("kind", "=", q.kind);
  if (q.from) query = query.where("occurred_at", ">=", q.from);
  if (q.to) query = query.where("occurred_at", "<", q.to);
  if (q.before !== undefined) query = query.where("id", "<", q.before);
  if (q.shops) query = query.where("shop_id", "in", q.shops.length ? [...q.shops] : [""]);
  return query.execute();
}
