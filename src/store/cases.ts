import { sql } from "kysely";
import { compiled } from "./compiled.ts";
import type { Tx } from "./orders.ts";

/** The case aggregate (售后单): header, items, timeline, receipts. */

const byId = compiled("case_by_id", (db, p: { id: number }) =>
  db.selectFrom("cases").selectAll().where("id", "=", p.id),
);
export const findCase = (db: Tx, id: number) => byId.first(db, { id });

const items = compiled("case_items", (db, p: { caseId: number }) =>
  db
    .selectFrom("case_items as ci")
    .innerJoin("order_lines as l", "l.id", "ci.order_line_id")
    .select(["ci.order_line_id", "ci.quantity", "l.sku", "l.title", "l.quantity as bought", "l.paid"])
    .where("ci.case_id", "=", p.caseId)
    .orderBy("l.line_no"),
);
export const caseItems = (db: Tx, caseId: number) => items.rows(db, { caseId });

const events = compiled("case_events", (db, p: { caseId: number }) =>
  db.selectFrom("case_events").selectAll().where("case_id", "=", p.caseId).orderBy("id"),
);
export const caseEvents = (db: Tx, caseId: number) => events.rows(db, { caseId });

const receipts = compiled("case_receipts", (db, p: { caseId: number }) =>
  db.selectFrom("receipts").selectAll().where("case_id", "=", p.caseId).orderBy("id"),
);
export const caseReceipts = (db: Tx, caseId: number) => receipts.rows(db, { caseId });

const shipments = compiled("case_shipments", (db, p: { caseId: number }) =>
  db.selectFrom("shipments").selectAll().where("case_id", "=", p.caseId).orderBy("id"),
);
export const caseShipments = (db: Tx, caseId: number) => shipments.rows(db, { caseId });

/** A case's amount at stake as SQL: what the customer asked for, else the paid value of its units. */
export const claimedAmount = (caseId: number) => sql<number>`
  coalesce((select requested_amount from cases where id = ${caseId}),
           (select sum(l.paid * ci.quantity / l.quantity)
              from case_items ci join order_lines l on l.id = ci.order_line_id
             where ci.case_id = ${caseId}))::bigint`;
