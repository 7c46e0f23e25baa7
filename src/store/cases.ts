import { RELEASES_QUANTITY } from "../domain/lifecycle.ts";
import type { Tx } from "./orders.ts";

/** The case aggregate (售后单): header, items, timeline, receipts. */

export const findCase = (db: Tx, id: number) =>
  db.selectFrom("cases").selectAll().where("id", "=", id).executeTakeFirst();

export const caseItems = (db: Tx, caseId: number) =>
  db
    .selectFrom("case_items as ci")
    .innerJoin("order_lines as l", "l.id", "ci.order_line_id")
    .select(["ci.order_line_id", "ci.quantity", "l.sku", "l.title", "l.quantity as bought", "l.paid"])
    .where("ci.case_id", "=", caseId)
    .orderBy("l.line_no")
    .execute();

export const caseEvents = (db: Tx, caseId: number) =>
  db.selectFrom("case_events").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

export const caseReceipts = (db: Tx, caseId: number) =>
  db.selectFrom("receipts").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

export const caseShipments = (db: Tx, caseId: number) =>
  db.selectFrom("shipments").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

/** Quantity per order line that other live cases already claim. */
export async function heldByOtherCases(tx: Tx, orderId: number, exceptCaseId?: number) {
  let q = tx
    .selectFrom("case_items as ci")
    .innerJoin("cases as c", "c.id", "ci.case_id")
    .select(["ci.order_line_id", (eb) => eb.fn.sum<number>("ci.quantity").as("qty")])
    .where("c.order_id", "=", orderId)
    .where("c.status", "not in", RELEASES_QUANTITY)
    .groupBy("ci.order_line_id");
  if (exceptCaseId !== undefined) q = q.where("c.id", "!=", exceptCaseId);
  return new Map((await q.execute()).map((r) => [r.order_line_id, Number(r.qty)]));
}

export async function appendEvent(
  tx: Tx,
  e: {
    caseId: number;
    at: Date;
    actor: string;
    action: string;
    from: string | null;
    to: string | null;
    note?: string | null;
    data?: Record<string, unknown>;
  },
) {
  await tx
    .insertInto("case_events")
    .values({
      case_id: e.caseId,
      at: e.at,
      actor: e.actor,
      action: e.action,
      from_status: e.from,
      to_status: e.to,
      note: e.note ?? null,
      data: e.data ? JSON.stringify(e.data) : null,
    })
    .execute();
}

export const statusesOfOrderCases = async (tx: Tx, orderId: number) =>
  (await tx.selectFrom("cases").select("status").where("order_id", "=", orderId).execute()).map(
    (r) => r.status,
  );
