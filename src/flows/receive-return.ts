import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import {
  CONDITIONS,
  type Condition,
  isQualityReason,
  isStocked,
  receiptDelta,
  worstCondition,
} from "../domain/inventory.ts";
import { compiled } from "../store/compiled.ts";
import { applyMovements, resolveWarehouse } from "../store/inventory.ts";
import { finishInStep, type InStep, judgeInStep } from "./auto-review.ts";
import { advance, type Locked, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { reviewSettingsColumns, type StoredReviewSettings } from "./settings.ts";

export { inspectReturn } from "./inspect-return.ts";
export { CONDITIONS, type Condition };

/** Units of one case item (order line) that arrived in one condition. */
export interface ReceiptLineInput {
  lineId: number;
  quantity: number;
  condition?: Condition;
  photos?: string[];
}

export interface ReceiveInput extends StepOptions {
  /** Units without saying which item: they fill the case's items in line order. */
  quantity?: number;
  /** The condition of every unit (or of lines that name none). */
  condition?: Condition;
  /** Per item and condition: a partial receipt, units in different conditions. */
  lines?: ReceiptLineInput[];
  warehouse?: string;
  /** Makes receiving idempotent: the same key again answers with the first receipt and changes nothing. */
  key?: string;
  /** References (URLs) of photos of the parcel; we store the references, not the files. */
  photos?: string[];
  /** What was scanned to find the case (a tracking number or a barcode), and the parcel's carrier. */
  scanned?: string;
  carrier?: string;
  trackingNo?: string;
}

export interface ReceiveResult extends StepResult {
  receiptId: number;
  /** True when `key` had been received already: nothing changed. */
  replayed: boolean;
  lines: { id: number; lineId: number; sku: string; quantity: number; condition: Condition }[];
}

export interface ReceiveHooks {
  /** Runs under the case's lock before the receipt is written (the unidentified parcel claims itself). */
  before?: (l: Locked) => Promise<void>;
  after?: (l: Locked, receiptId: number) => Promise<void>;
}

const validPhotos = (photos: unknown): string[] => {
  if (photos === undefined) return [];
  if (!Array.isArray(photos) || photos.some((p) => typeof p !== "string" || !p.trim() || p.length > 2000))
    fail("INVALID_PHOTOS", "Photos are a list of references (URLs)");
  return photos as string[];
};

const validCondition = (c: unknown): Condition => {
  if (!CONDITIONS.includes(c as Condition))
    fail("INVALID_CONDITION", `Unknown condition "${c}"`, { condition: c });
  return c as Condition;
};

const validQuantity = (q: unknown) => {
  if (!Number.isSafeInteger(q) || (q as number) <= 0)
    fail("INVALID_QUANTITY", "Quantity must be a positive integer");
  return q as number;
};

/** A receipt and its lines (one per case item and condition), written in one statement. */
const RECEIVE = compiled(
  "receive_receipt",
  (
    _db,
    p: {
      caseId: number;
      quantity: number;
      condition: Condition;
      receivedAt: Date;
      /** null: the default warehouse. */
      warehouse: string | null;
      key: string | null;
      scanned: string | null;
      carrier: string | null;
      trackingNo: string | null;
      photos: string;
      receivedBy: string;
      lineIds: number[];
      skus: string[];
      quantities: number[];
      conditions: Condition[];
      linePhotos: string[];
      stocked: boolean[];
      hold: boolean;
    },
  ) => sql<
    {
      receipt_id: number;
      warehouse_id: string;
      id: number;
      order_line_id: number;
      sku: string;
      quantity: number;
      condition: string;
    } & StoredReviewSettings
  >`
    with r as (
      insert into receipts (case_id, quantity, condition, received_at, warehouse_id, key, scanned, carrier,
                            tracking_no, photos, received_by)
      values (${p.caseId}, ${p.quantity}, ${p.condition}, ${p.receivedAt},
              coalesce(${p.warehouse}::text, (select id from warehouses where is_default)), ${p.key}, ${p.scanned},
              ${p.carrier}, ${p.trackingNo}, ${p.photos}, ${p.receivedBy})
      returning id, warehouse_id),
    x as (
      insert into receipt_lines (receipt_id, case_id, order_line_id, sku, quantity, condition, photos, stocked, quality_hold)
      select r.id, ${p.caseId}, x.line, x.sku, x.qty, x.cond, x.photos::jsonb, x.stocked, ${p.hold}
        from r, unnest(${p.lineIds}::bigint[], ${p.skus}::text[], ${p.quantities}::int[], ${p.conditions}::text[],
                       ${p.linePhotos}::text[], ${p.stocked}::boolean[])
                with ordinality as x(line, sku, qty, cond, photos, stocked, n)
       order by x.n
      returning id, receipt_id, order_line_id, sku, quantity, condition)
    select r.id as receipt_id, r.warehouse_id, x.id, x.order_line_id, x.sku, x.quantity, x.condition,
           ${reviewSettingsColumns(sql`(select shop_id from cases where id = ${p.caseId})`)}
      from r left join x on true
     order by x.id`,
);

/**
 * 收货: goods arrived back at the warehouse. Partial receipts are allowed until every unit is in; each
 * unit is recorded against its case item with its condition, and every unit of the SKU that arrived
 * goes into quarantine (待检) until it is inspected.
 */
export async function receiveReturn(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: ReceiveInput,
  hooks: ReceiveHooks = {},
): Promise<ReceiveResult> {
  const photos = validPhotos(input.photos);
  const asked = input.lines?.length
    ? input.lines.map((x) => ({
        lineId: x.lineId,
        quantity: validQuantity(x.quantity),
        condition: validCondition(x.condition ?? input.condition ?? "intact"),
        photos: validPhotos(x.photos),
      }))
    : null;
  if (!asked) {
    validQuantity(input.quantity);
    validCondition(input.condition);
  }
  const key = input.key?.trim() || null;
  // The settings the review after the receipt needs, read by the receipt's own statement.
  let review: InStep | undefined;
  const result = await withCase(
    ctx,
    caseId,
    async (l): Promise<ReceiveResult> => {
      const { tx, kase } = l;
      if (key) {
        const seen = await replay(l, key);
        if (seen) return seen;
      }
      const outstanding = new Map(l.lines.map((i) => [i.lineId, i.quantity - Number(i.received)]));
      let wanted: { lineId: number; quantity: number; condition: Condition; photos: string[] }[];
      if (asked) {
        const left = new Map(outstanding);
        for (const x of asked) {
          if (!left.has(x.lineId))
            fail("LINE_NOT_IN_CASE", `Order line ${x.lineId} is not part of case ${kase.id}`, {
              lineId: x.lineId,
            });
          const rest = left.get(x.lineId) ?? 0;
          if (x.quantity > rest) {
            fail(
              "RECEIPT_EXCEEDS_CASE",
              `Only ${rest} more units of line ${x.lineId} are expected on this case`,
              {
                lineId: x.lineId,
                expected: l.items.find((i) => i.lineId === x.lineId)?.quantity,
                outstanding: rest,
              },
            );
          }
          left.set(x.lineId, rest - x.quantity);
        }
        wanted = asked;
      } else {
        const quantity = input.quantity as number;
        if (l.receivedQuantity + quantity > l.caseQuantity) {
          fail(
            "RECEIPT_EXCEEDS_CASE",
            `Only ${l.caseQuantity - l.receivedQuantity} more units are expected on this case`,
            {
              expected: l.caseQuantity,
              received: l.receivedQuantity,
              outstanding: l.caseQuantity - l.receivedQuantity,
            },
          );
        }
        // Unnamed units fill the items in line order.
        wanted = [];
        let rest = quantity;
        for (const i of l.items) {
          const take = Math.min(rest, Math.max(outstanding.get(i.lineId) ?? 0, 0));
          if (take > 0)
            wanted.push({
              lineId: i.lineId,
              quantity: take,
              condition: input.condition as Condition,
              photos: [],
            });
          rest -= take;
        }
      }
      await hooks.before?.(l);
      const total = wanted.reduce((a, w) => a + w.quantity, 0);
      // A warehouse asked for is checked; the receipt's statement finds the default one itself.
      const named = input.warehouse ? await resolveWarehouse(tx, input.warehouse) : null;
      const now = ctx.now();
      const hold = isQualityReason(kase.reason);
      const skus = new Map(l.lines.map((i) => [i.lineId, i.sku]));
      // The receipt and its lines in one statement.
      const written = await RECEIVE.rows(tx, {
        caseId: kase.id,
        quantity: total,
        condition: worstCondition(wanted.map((w) => w.condition)),
        receivedAt: now,
        warehouse: named,
        key,
        scanned: input.scanned ?? null,
        carrier: input.carrier ?? null,
        trackingNo: input.trackingNo ?? null,
        photos: JSON.stringify(photos),
        receivedBy: actorName(actor),
        lineIds: wanted.map((w) => w.lineId),
        skus: wanted.map((w) => skus.get(w.lineId) as string),
        quantities: wanted.map((w) => w.quantity),
        conditions: wanted.map((w) => w.condition),
        linePhotos: wanted.map((w) => JSON.stringify(w.photos)),
        stocked: wanted.map((w) => isStocked(w.condition)),
        hold,
      });
      const head = written[0] as (typeof written)[number];
      const receipt = { id: head.receipt_id };
      const warehouse = head.warehouse_id;
      const lines = written.filter((x) => x.id !== null);
      await applyMovements(
        tx,
        lines.flatMap((x) => {
          const delta = receiptDelta(x.condition as Condition, x.quantity);
          return delta
            ? [
                {
                  kind: "receipt" as const,
                  key: String(x.id),
                  warehouse,
                  sku: x.sku,
                  delta,
                  caseId: kase.id,
                  actor: actorName(actor),
                  note: hold ? "quality hold" : null,
                  at: now,
                },
              ]
            : [];
        }),
      );
      await hooks.after?.(l, receipt.id);
      const moved = await advance(
        ctx,
        l,
        actor,
        "receive",
        { receivedQuantity: l.receivedQuantity + total },
        {
          ...input,
          data: {
            receiptId: receipt.id,
            quantity: total,
            condition: worstCondition(wanted.map((w) => w.condition)),
            warehouse,
            lines: lines.map((x) => ({
              lineId: x.order_line_id,
              quantity: x.quantity,
              condition: x.condition,
            })),
            ...(photos.length ? { photos } : {}),
            ...(input.scanned ? { scanned: input.scanned } : {}),
          },
          // The step's last statement when goods are still to come; once everything is back the
          // review's facts are read after it, in the transaction.
          commit: l.receivedQuantity + total < l.caseQuantity,
        },
      );
      // Everything is back: the case's facts changed, so the rules look again, in this transaction
      // (they annotate; the case is past review, so they decide nothing).
      if (moved.status === "received") review = await judgeInStep(ctx, tx, kase.id, "return_received", head);
      return {
        ...moved,
        receiptId: receipt.id,
        replayed: false,
        lines: lines.map((x) => ({
          id: x.id,
          lineId: x.order_line_id,
          sku: x.sku,
          quantity: x.quantity,
          condition: x.condition as Condition,
        })),
      };
    },
    input,
  );
  if (!result.replayed && review) await finishInStep(ctx, caseId, "return_received", review);
  return result;
}

/** The receipt a key already made on this case; the same key on another case is a mistake. */
async function replay(l: Locked, key: string): Promise<ReceiveResult | undefined> {
  const r = await l.tx
    .selectFrom("receipts")
    .select(["id", "case_id"])
    .where("key", "=", key)
    .executeTakeFirst();
  if (!r) return undefined;
  if (r.case_id !== l.kase.id)
    fail("RECEIPT_KEY_REUSED", `Key ${key} already received goods for another case`, {
      caseId: r.case_id,
      key,
    });
  const lines = await l.tx
    .selectFrom("receipt_lines")
    .select(["id", "order_line_id", "sku", "quantity", "condition"])
    .where("receipt_id", "=", r.id)
    .orderBy("id")
    .execute();
  return {
    status: l.kase.status as StepResult["status"],
    version: l.kase.version,
    receiptId: r.id,
    replayed: true,
    lines: lines.map((x) => ({
      id: x.id,
      lineId: x.order_line_id,
      sku: x.sku,
      quantity: x.quantity,
      condition: x.condition as Condition,
    })),
  };
}
