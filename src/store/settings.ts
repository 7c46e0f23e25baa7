import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/** Installation-wide settings, one JSON value per key; callers validate what they read. */

export async function getSetting(db: Tx, key: string): Promise<unknown> {
  const row = await db.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirst();
  return row?.value;
}

export async function putSetting(db: Tx, key: string, value: unknown): Promise<void> {
  await db
    .insertInto("settings")
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet({ value: JSON.stringify(value), updated_at: sql`now()` }),
    )
    .execute();
}

/** A shop's review settings as stored (validated by the flow that writes them). */
export async function shopReview(db: Tx, shopId: string): Promise<Record<string, unknown>> {
  const row = await db.selectFrom("shops").select("review").where("id", "=", shopId).executeTakeFirst();
  return (row?.review as Record<string, unknown> | undefined) ?? {};
}

export async function putShopReview(db: Tx, shopId: string, review: Record<string, unknown>) {
  const r = await db
    .updateTable("shops")
    .set({ review: JSON.stringify(review) as never })
    .where("id", "=", shopId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** After-sales policies per SKU or category (售后政策). */
export const listPolicies = (db: Tx) =>
  db.selectFrom("catalog_policies").selectAll().orderBy("kind").orderBy("key").execute();

/** The policies set on one SKU or category ([] when none). */
export async function policiesOf(db: Tx, kind: "sku" | "category", key: string): Promise<string[]> {
  const row = await db
    .selectFrom("catalog_policies")
    .select("policies")
    .where("kind", "=", kind)
    .where("key", "=", key)
    .executeTakeFirst();
  return row?.policies ?? [];
}

export async function putPolicies(db: Tx, kind: "sku" | "category", key: string, policies: string[]) {
  if (policies.length === 0) {
    await db.deleteFrom("catalog_policies").where("kind", "=", kind).where("key", "=", key).execute();
    return;
  }
  await db
    .insertInto("catalog_policies")
    .values({ kind, key, policies })
    .onConflict((oc) => oc.columns(["kind", "key"]).doUpdateSet({ policies, updated_at: sql`now()` }))
    .execute();
}
