import type { Tx } from "./orders.ts";

/** The refund aggregate: the money leg of a case and its per-line shares. */

export const caseRefunds = (db: Tx, caseId: number) =>
  db.selectFrom("refunds").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

const installations = new WeakMap<object, string>();

/** This database's installation id; it never changes, so it is read once per database handle. */
export async function installationId(db: Tx) {
  let inst = installations.get(db);
  if (!inst) {
    inst = (await db.selectFrom("installation").select("id").executeTakeFirstOrThrow()).id;
    installations.set(db, inst);
  }
  return inst;
}

/** The refund's idempotency key (out_refund_no): installation, case and attempt — ≤ 32 safe characters. */
export const refundKey = (installation: string, caseId: number, attempt: number) =>
  `AS${installation}C${caseId}R${attempt}`;
