import type { Tx } from "./orders.ts";

/** The refund aggregate: the money leg of a case and its per-line shares. */

export const lockRefund = (tx: Tx, id: number) =>
  tx.selectFrom("refunds").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();

export const findRefund = (db: Tx, id: number) =>
  db.selectFrom("refunds").selectAll().where("id", "=", id).executeTakeFirst();

export const caseRefunds = (db: Tx, caseId: number) =>
  db.selectFrom("refunds").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

export const countCaseRefunds = async (db: Tx, caseId: number) =>
  Number(
    (
      await db
        .selectFrom("refunds")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("case_id", "=", caseId)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** The refund's idempotency key (out_refund_no): installation, case and attempt — ≤ 32 safe characters. */
export async function refundKey(db: Tx, caseId: number, attempt: number) {
  const inst = await db.selectFrom("installation").select("id").executeTakeFirstOrThrow();
  return `AS${inst.id}C${caseId}R${attempt}`;
}
