import { sql } from "kysely";
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

/** A case's amount at stake as SQL: what the customer asked for, else the paid value of its units. */
export const claimedAmount = (caseId: number) => sql<number>`
  coalesce((select requested_amount from cases where id = ${caseId}),
           (select sum(l.paid * ci.quantity / l.quantity)
              from case_items ci join order_lines l on l.id = ci.order_line_id
             where ci.case_id = ${caseId}))::bigint`;
