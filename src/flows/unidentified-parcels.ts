import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import type { Condition } from "../domain/inventory.ts";
import { resolveWarehouse } from "../store/inventory.ts";
import type { Tx } from "../store/orders.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { type ReceiptLineInput, type ReceiveResult, receiveReturn } from "./receive-return.ts";

/** 无头件: a parcel that arrived without a case we could find, kept until someone matches it. */

export interface ParcelRecord {
  scanned: string;
  trackingNo?: string;
  carrier?: string;
  warehouse?: string;
  /** What is inside, as the receiver saw it. */
  contents?: string;
  photos?: string[];
  note?: string;
  /** Recording again with the same key answers with the first record. */
  key?: string;
}

export async function recordParcel(
  ctx: FlowContext,
  actor: Actor,
  input: ParcelRecord,
): Promise<{ id: number; replayed: boolean }> {
  const scanned = input.scanned?.trim();
  if (!scanned)
    fail("SCAN_REQUIRED", "An unidentified parcel needs what was scanned (tracking number or label)");
  const photos = input.photos ?? [];
  if (!Array.isArray(photos) || photos.some((p) => typeof p !== "string" || !p.trim()))
    fail("INVALID_PHOTOS", "Photos are a list of references (URLs)");
  // A parcel scanned again by its tracking number is the same parcel.
  const key = input.key?.trim() || (input.trackingNo ? `tracking:${input.trackingNo.trim()}` : null);
  return ctx.db.transaction().execute(async (tx) => {
    const warehouse = await resolveWarehouse(tx, input.warehouse);
    const inserted = await tx
      .insertInto("unidentified_parcels")
      .values({
        key,
        warehouse_id: warehouse,
        scanned,
        carrier: input.carrier?.trim() || null,
        tracking_no: input.trackingNo?.trim() || null,
        contents: input.contents?.trim() || null,
        photos: JSON.stringify(photos),
        note: input.note ?? null,
        received_by: actorName(actor),
        received_at: ctx.now(),
      })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, replayed: false };
    const seen = await tx
      .selectFrom("unidentified_parcels")
      .select("id")
      .where("key", "=", key as string)
      .executeTakeFirstOrThrow();
    return { id: seen.id, replayed: true };
  });
}

export const findParcel = (db: Tx, id: number) =>
  db.selectFrom("unidentified_parcels").selectAll().where("id", "=", id).executeTakeFirst();

/**
 * Open parcels belong to no shop yet, so every receiver sees them; a matched one belongs to its case's
 * shop, and a caller limited to other shops does not see it.
 */
export async function listParcels(
  db: Tx,
  f: { status?: string; cursor?: number; limit: number; shops?: readonly string[] | null },
) {
  let q = db
    .selectFrom("unidentified_parcels")
    .selectAll()
    .orderBy("id", "desc")
    .limit(f.limit + 1);
  const shops = f.shops;
  if (shops) {
    q = q.where((eb) =>
      eb.or([
        eb("status", "=", "open"),
        eb(
          "case_id",
          "in",
          eb
            .selectFrom("cases")
            .select("id")
            .where("shop_id", "in", shops.length ? [...shops] : [""]),
        ),
      ]),
    );
  }
  if (f.status) q = q.where("status", "=", f.status);
  if (f.cursor !== undefined) q = q.where("id", "<", f.cursor);
  const rows = await q.execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { items: page, nextCursor: more ? page.at(-1)?.id : undefined };
}

export interface MatchInput {
  caseId: number;
  /** What was inside, per case item; default: everything the case still expects. */
  lines?: ReceiptLineInput[];
  quantity?: number;
  condition?: Condition;
  photos?: string[];
  note?: string;
  shops?: readonly string[] | null;
}

/**
 * 认领无头件: the parcel belongs to this case: it is received into the case (in the parcel's warehouse,
 * with its photos) and marked matched, in one transaction. Matching it again to the same case answers
 * with that receipt; to another case is PARCEL_ALREADY_MATCHED.
 */
export async function matchParcel(
  ctx: FlowContext,
  actor: Actor,
  parcelId: number,
  input: MatchInput,
): Promise<ReceiveResult & { parcelId: number }> {
  const parcel = await findParcel(ctx.db, parcelId);
  // A parcel matched to another shop's case is that shop's: for this caller it does not exist.
  const owner = parcel?.case_id
    ? await ctx.db.selectFrom("cases").select("shop_id").where("id", "=", parcel.case_id).executeTakeFirst()
    : undefined;
  if (!parcel || (input.shops && owner && !input.shops.includes(owner.shop_id)))
    return fail("PARCEL_NOT_FOUND", `Unidentified parcel ${parcelId} does not exist`, { parcelId });
  if (parcel.status === "matched" && parcel.case_id !== input.caseId) {
    fail("PARCEL_ALREADY_MATCHED", `Parcel ${parcelId} was matched to case ${parcel.case_id}`, {
      caseId: parcel.case_id,
    });
  }
  let lines = input.lines;
  if (!lines?.length && input.quantity === undefined) {
    // Everything the case still expects.
    const { rows } = await sql<{ line_id: number; left: number }>`
      select ci.order_line_id as line_id,
             ci.quantity - coalesce((select sum(quantity) from receipt_lines rl
                                      where rl.case_id = ci.case_id and rl.order_line_id = ci.order_line_id), 0) as left
        from case_items ci where ci.case_id = ${input.caseId} order by ci.order_line_id`.execute(ctx.db);
    lines = rows
      .filter((r) => Number(r.left) > 0)
      .map((r) => ({ lineId: r.line_id, quantity: Number(r.left) }));
    if (lines.length === 0) lines = undefined;
  }
  const photos = [...(parcel.photos as string[]), ...(input.photos ?? [])];
  const when = ctx.now();
  const received = await receiveReturn(
    ctx,
    actor,
    input.caseId,
    {
      ...(lines ? { lines } : { quantity: input.quantity ?? 1 }),
      condition: input.condition ?? "intact",
      warehouse: parcel.warehouse_id,
      key: `parcel:${parcel.id}`,
      photos,
      scanned: parcel.scanned,
      ...(parcel.tracking_no ? { trackingNo: parcel.tracking_no } : {}),
      ...(parcel.carrier ? { carrier: parcel.carrier } : {}),
      note: input.note ?? `无头件 #${parcel.id} matched`,
      shops: input.shops ?? null,
    },
    {
      // Claimed under the case's lock and before the receipt: a concurrent match to another case waits
      // for this row and then finds it matched.
      before: async (l) => {
        const claimed = await l.tx
          .updateTable("unidentified_parcels")
          .set({ status: "matched", case_id: l.kase.id, matched_by: actorName(actor), matched_at: when })
          .where("id", "=", parcel.id)
          .where("status", "=", "open")
          .returning("id")
          .executeTakeFirst();
        if (!claimed)
          fail("PARCEL_ALREADY_MATCHED", `Parcel ${parcel.id} was matched meanwhile`, { parcelId });
      },
      after: async (l, receiptId) => {
        await l.tx
          .updateTable("unidentified_parcels")
          .set({ receipt_id: receiptId })
          .where("id", "=", parcel.id)
          .execute();
      },
    },
  );
  return { ...received, parcelId };
}
