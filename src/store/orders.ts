import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import type { OrderLine } from "../domain/order.ts";
import { compiled, type RowOf, sessionStatement } from "./compiled.ts";
import type { Database } from "./db.ts";
import type { DB } from "./schema.ts";

/** The order aggregate: header, lines, payments and shipments. */

export type Tx = Transaction<DB> | Database;

const shopById = compiled("shop_by_id", (db, p: { id: string }) =>
  db.selectFrom("shops").selectAll().where("id", "=", p.id),
);
export const findShop = (db: Tx, id: string) => shopById.first(db, { id });

/** The currency a shop sells in (each shop sells in one): its orders'; undefined before its first order. */
export const shopCurrency = async (db: Tx, shopId: string): Promise<string | undefined> =>
  (await db.selectFrom("orders").select("currency").where("shop_id", "=", shopId).limit(1).executeTakeFirst())
    ?.currency;

const orderById = compiled("order_by_id", (db, p: { id: number }) =>
  db.selectFrom("orders").selectAll().where("id", "=", p.id),
);
export const findOrder = (db: Tx, id: number) => orderById.first(db, { id });

const lockByExternal = compiled("order_lock_by_external", (db, p: { shopId: string; externalId: string }) =>
  db
    .selectFrom("orders")
    .selectAll()
    .where("shop_id", "=", p.shopId)
    .where("external_id", "=", p.externalId)
    .forUpdate(),
);
export const lockOrderByExternal = (tx: Tx, shopId: string, externalId: string) =>
  lockByExternal.first(tx, { shopId, externalId });

const idByExternal = compiled("order_id_by_external", (db, p: { shopId: string; externalId: string }) =>
  db
    .selectFrom("orders")
    .select("id")
    .where("shop_id", "=", p.shopId)
    .where("external_id", "=", p.externalId),
);
export const findOrderId = async (db: Tx, shopId: string, externalId: string) =>
  (await idByExternal.first(db, { shopId, externalId }))?.id;

const lines = compiled("order_lines", (db, p: { orderId: number }) =>
  db.selectFrom("order_lines").selectAll().where("order_id", "=", p.orderId).orderBy("line_no"),
);
export const orderLines = (db: Tx, orderId: number) => lines.rows(db, { orderId });

const payments = compiled("order_payments", (db, p: { orderId: number }) =>
  db.selectFrom("payments").selectAll().where("order_id", "=", p.orderId).orderBy("id"),
);
export const orderPayments = (db: Tx, orderId: number) => payments.rows(db, { orderId });

const shipments = compiled("order_shipments", (db, p: { orderId: number }) =>
  db.selectFrom("shipments").selectAll().where("order_id", "=", p.orderId).orderBy("id"),
);
export const orderShipments = (db: Tx, orderId: number) => shipments.rows(db, { orderId });

export async function insertLines(tx: Tx, orderId: number, lines: readonly OrderLine[]) {
  await tx
    .insertInto("order_lines")
    .values(
      lines.map((l) => ({
        order_id: orderId,
        line_no: l.lineNo,
        external_id: l.externalId,
        sku: l.sku,
        title: l.title,
        category: l.category,
        quantity: l.quantity,
        unit_price: l.unitPrice,
        line_discount: l.lineDiscount,
        order_discount: l.orderDiscount,
        paid: l.paid,
      })),
    )
    .execute();
}

/**
 * Every line with the units and the paid amount that refunds already consumed (pending or done — a
 * failed refund holds nothing), and the shipping they consumed, in one read. Consumed, not refunded:
 * a deduction the merchant kept is not refundable later.
 */
const consumedSelect = (db: Kysely<DB>, orderId: number | RawBuilder<number>) =>
  db
    .selectFrom("order_lines as l")
    .leftJoin(
      (eb) =>
        eb
          .selectFrom("refund_lines as rl")
          .innerJoin("refunds as r", "r.id", "rl.refund_id")
          .select([
            "rl.order_line_id",
            (e) => e.fn.sum<number>("rl.quantity").as("qty"),
            (e) => e.fn.sum<number>("rl.consumed").as("amount"),
          ])
          .where("r.order_id", "=", orderId)
          .where("r.status", "!=", "failed")
          .groupBy("rl.order_line_id")
          .as("c"),
      (join) => join.onRef("c.order_line_id", "=", "l.id"),
    )
    .select([
      "l.id",
      "l.quantity",
      "l.paid",
      "c.qty as consumed_qty",
      "c.amount as consumed_amount",
      (eb) =>
        eb
          .selectFrom("refunds")
          .select((e) => e.fn.coalesce(e.fn.sum<number>("shipping_amount"), e.lit(0)).as("s"))
          .where("order_id", "=", orderId)
          .where("status", "!=", "failed")
          .as("shipping_consumed"),
    ])
    .where("l.order_id", "=", orderId)
    .orderBy("l.line_no");
const consumed = compiled("order_lines_consumed", (db, p: { orderId: number }) =>
  consumedSelect(db, p.orderId),
);

/** A payment of the order with what refunds hold of it (pending or done). */
export interface PaymentHeld {
  id: number;
  tender: string;
  amount: number;
  transaction_id: string | null;
  refunded: number;
}

/**
 * A case's order: linesWithConsumed and the order's payments with what refunds hold of each, in one
 * read — a session statement, so a case step sends it with its lock and load (withCase's `read`).
 */
export const caseLinesAndPayments = sessionStatement("case_lines_payments", (db, p: { caseId: number }) =>
  consumedSelect(db, sql<number>`(select order_id from cases where id = ${p.caseId})`).select(
    sql<PaymentHeld[] | null>`(
      select json_agg(json_build_object(
               'id', p.id, 'tender', p.tender, 'amount', p.amount, 'transaction_id', p.transaction_id,
               'refunded', (select coalesce(sum(r.amount), 0) from refunds r
                             where r.payment_id = p.id and r.status <> 'failed'))
             order by p.id)
        from payments p where p.order_id = l.order_id)`.as("payments"),
  ),
);

const consumedOf = (
  rows: {
    id: number;
    quantity: number;
    paid: number;
    consumed_qty: number | null;
    consumed_amount: number | null;
    shipping_consumed: number | null;
  }[],
) => ({
  lines: rows.map((r) => ({
    lineId: r.id,
    quantity: r.quantity,
    paid: r.paid,
    refundedQuantity: Number(r.consumed_qty ?? 0),
    refundedAmount: Number(r.consumed_amount ?? 0),
  })),
  shipping: Number(rows[0]?.shipping_consumed ?? 0),
});

export async function linesWithConsumed(db: Tx, orderId: number) {
  return consumedOf(await consumed.rows(db, { orderId }));
}

/** What caseLinesAndPayments read, as linesWithConsumed answers, with the payments. */
export const linesAndPaymentsOf = (rows: RowOf<typeof caseLinesAndPayments>[]) => ({
  ...consumedOf(rows),
  payments: rows[0]?.payments ?? [],
});
