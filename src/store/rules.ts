import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/** Rule set versions: drafts are editable; activating one retires the active one in the same write. */

const COLUMNS = [
  "version",
  "status",
  "definition",
  "note",
  "created_by",
  "created_at",
  "activated_by",
  "activated_at",
  "authors",
  "requested_by",
  "requested_at",
] as const;

export const listRuleVersions = (db: Tx) =>
  db.selectFrom("rule_versions").select(COLUMNS).orderBy("version", "desc").execute();

export const findRuleVersion = (db: Tx, version: number) =>
  db.selectFrom("rule_versions").select(COLUMNS).where("version", "=", version).executeTakeFirst();

export const activeRuleVersion = (db: Tx) =>
  db.selectFrom("rule_versions").select("version").where("status", "=", "active").executeTakeFirst();

export const insertRuleVersion = (
  db: Tx,
  v: { definition: unknown; note: string | null; createdBy: string },
) =>
  db
    .insertInto("rule_versions")
    .values({
      definition: JSON.stringify(v.definition),
      note: v.note,
      created_by: v.createdBy,
      authors: sql<string[]>`array[${v.createdBy}]::text[]`,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();

/** Change a draft; its editor becomes one of its authors, and a request to activate it is withdrawn. */
export const updateDraft = (
  db: Tx,
  version: number,
  v: { definition: unknown; note: string | null; by: string },
) =>
  db
    .updateTable("rule_versions")
    .set({
      definition: JSON.stringify(v.definition),
      note: v.note,
      authors: sql<string[]>`case when ${v.by} = any(authors) then authors else authors || ${v.by}::text end`,
      requested_by: null,
      requested_at: null,
    })
    .where("version", "=", version)
    .where("status", "=", "draft")
    .returning(COLUMNS)
    .executeTakeFirst();

export const deleteDraft = async (db: Tx, version: number) =>
  Number(
    (
      await db
        .deleteFrom("rule_versions")
        .where("version", "=", version)
        .where("status", "=", "draft")
        .executeTakeFirst()
    ).numDeletedRows,
  ) === 1;

/** Retire the active version and activate `version`; run inside a transaction. */
export async function activateVersion(tx: Tx, version: number, by: string, at: Date) {
  await tx
    .updateTable("rule_versions")
    .set({ status: "retired" })
    .where("status", "=", "active")
    .where("version", "!=", version)
    .execute();
  return tx
    .updateTable("rule_versions")
    .set({ status: "active", activated_by: by, activated_at: at })
    .where("version", "=", version)
    .returning(COLUMNS)
    .executeTakeFirst();
}

/** An author asks another person to activate the draft; undefined when it is not a draft. */
export const requestActivation = (db: Tx, version: number, by: string, at: Date) =>
  db
    .updateTable("rule_versions")
    .set({ requested_by: by, requested_at: at })
    .where("version", "=", version)
    .where("status", "=", "draft")
    .returning(COLUMNS)
    .executeTakeFirst();
