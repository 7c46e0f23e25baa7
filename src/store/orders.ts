import type { Transaction } from "kysely";
import type { OrderLine } from "../domain/order.ts";
import type { Database } from "./db.ts";
import type { DB } from "./schema.ts";

/** The order aggregate: header, lines, payments and shipments. */

export type Tx = Transaction<DB> | Database;

export const findShop = (db: Tx, id: string) =>
  db.selectFrom("shops").selectAll().where("id", "=", id).executeTakeFirst();

export const findOrder = (db: Tx, id: number) =>
  db.selectFrom("orders").selectAll().where("id", "=", id).executeTakeFirst();

export const lockOrder = (tx: Tx, id: number) =>
  tx.selectFrom("orders").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();

export const lockOrderByExternal = (tx: Tx, shopId: string, externalId: string) =>
  tx
    .selectFrom("orders")
    .selectAll()
    .where("shop_id", "=", shopId)
    .where("external_id", "=", externalId)
    .forUpdate()
    .executeTakeFirst();

export const findOrderId = async (db: Tx, shopId: string, externalId: string) =>
  (
    await db
      .selectFrom("orders")
      .select("id")
      .where("shop_id", "=", shopId)
      .where("external_id", "=", externalId)
      .executeTakeFirst()
  )?.id;

export const orderLines = (db: Tx, orderId: number) =>
  db.selectFrom("order_lines").selectAll().where("order_id", "=", orderId).orderBy("line_no").execute();

export const orderPayments = (db: Tx, orderId: number) =>
  db.selectFrom("payments").selectAll().where("order_id", "=", orderId).orderBy("id").execute();

export const orderShipments = (db: Tx, orderId: number) =>
  db.selectFrom("shipments").selectAll().where("order_id", "=", orderId).orderBy("id").execute();

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
 * Per line: the units and the paid amount that refunds already consumed (pending or done — a failed
 * refund holds nothing). Consumed, not refunded: a deduction kept by the merchant is not refundable later.
 */
export async function refundedByLine(db: Tx, orderId: number) {
  const rows = await db
    .selectFrom("refund_lines as rl")
    .innerJoin("refunds as r", "r.id", "rl.refund_id")
    .select([
      "rl.order_line_id",
      (eb) => eb.fn.sum<number>("rl.quantity").as("qty"),
      (eb) => eb.fn.sum<number>("rl.consumed").as("amount"),
    ])
    .where("r.order_id", "=", orderId)
    .where("r.status", "!=", "failed")
    .groupBy("rl.order_line_id")
    .execute();
  const shipping = await db
    .selectFrom("refunds")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("shipping_amount"), eb.lit(0)).as("s"))
    .where("order_id", "=", orderId)
    .where("status", "!=", "failed")
    .executeTakeFirstOrThrow();
  return {
    lines: new Map(rows.map((r) => [r.order_line_id, { quantity: Number(r.qty), amount: Number(r.amount) }])),
    shipping: Number(shipping.s),
  };
}
