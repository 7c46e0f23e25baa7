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

/** Which product policies a list shows. */
export interface PolicyFilter {
  kind?: "sku" | "category" | undefined;
  /** Part of the SKU or category name, any case. */
  q?: string | undefined;
  /** Only entries with this policy. */
  policy?: string | undefined;
  offset: number;
  limit: number;
}

/** After-sales policies per SKU or category (售后政策), by kind and key: a page and how many in all. */
export async function listPolicies(db: Tx, f: PolicyFilter) {
  let q = db.selectFrom("catalog_policies");
  if (f.kind) q = q.where("kind", "=", f.kind);
  if (f.q) {
    const like = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<string>`lower(key)`, "like", like);
  }
  if (f.policy) q = q.where(sql<boolean>`${f.policy} = any(policies)`);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("kind").orderBy("key").offset(f.offset).limit(f.limit).execute(),
    q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

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
