import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { shipmentDelta } from "../domain/inventory.ts";
import { applyMovements, resolveWarehouse } from "../store/inventory.ts";
import { advance, type Locked, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

export interface ParcelInput extends StepOptions {
  carrier: string;
  trackingNo: string;
}

export interface ReplacementInput extends ParcelInput {
  /** The warehouse the replacement leaves from (default: the default warehouse). */
  warehouse?: string;
  /** An exchange for another variant (换货换款): the SKU that goes out instead of the line's own. */
  replacements?: { lineId: number; sku: string }[];
}

/** A parcel tied to a case: the buyer's return (退货物流) or our replacement (换货/补发). */
const parcelStep =
  <I extends ParcelInput>(
    action: "ship_return" | "ship_replacement",
    direction: "return" | "replacement",
    status: string,
    then?: (ctx: FlowContext, l: Locked, actor: Actor, p: I) => Promise<void>,
  ) =>
  async (ctx: FlowContext, actor: Actor, caseId: number, p: I): Promise<StepResult> => {
    const carrier = p.carrier?.trim();
    const trackingNo = p.trackingNo?.trim();
    if (!carrier || !trackingNo) fail("TRACKING_REQUIRED", "A carrier and a tracking number are required");
    return withCase(
      ctx,
      caseId,
      async (l) => {
        const moved = await advance(
          ctx,
          l,
          actor,
          action,
          { carrier, trackingNo },
          {
            ...p,
            data: { carrier, trackingNo },
            also: [
              sql`insert into shipments (order_id, case_id, direction, carrier, tracking_no, status, shipped_at)
                values (${l.order.id}, ${l.kase.id}, ${direction}, ${carrier}, ${trackingNo}, ${status}, ${ctx.now()})`,
            ],
            // The step's last statement, unless stock is taken after it.
            commit: !then,
          },
        );
        // After the move, so a case that cannot ship says so first; a failure here undoes the move too.
        await then?.(ctx, l, actor, p);
        return moved;
      },
      p,
    );
  };

/**
 * The replacement takes sellable stock, one ledger movement per case item keyed by the case and line
 * (so it is taken once). Without stock and without backorder: INSUFFICIENT_STOCK, and nothing changed.
 */
async function takeReplacementStock(ctx: FlowContext, l: Locked, actor: Actor, p: ReplacementInput) {
  const { tx, kase } = l;
  const warehouse = await resolveWarehouse(tx, p.warehouse);
  const lines = await tx
    .selectFrom("order_lines")
    .select(["id", "sku"])
    .where(
      "id",
      "in",
      l.items.map((i) => i.lineId),
    )
    .execute();
  const sku = new Map(lines.map((x) => [x.id, x.sku]));
  for (const r of p.replacements ?? []) {
    if (!sku.has(r.lineId))
      fail("LINE_NOT_IN_CASE", `Order line ${r.lineId} is not part of case ${kase.id}`, { lineId: r.lineId });
    if (!r.sku?.trim()) fail("INVALID_SKU", "A replacement names the SKU that goes out");
    sku.set(r.lineId, r.sku.trim());
  }
  const kind = kase.type === "exchange" ? ("exchange" as const) : ("reship" as const);
  await applyMovements(
    tx,
    l.items.map((i) => ({
      kind,
      key: `${kase.id}:${i.lineId}`,
      warehouse,
      sku: sku.get(i.lineId) as string,
      delta: shipmentDelta(i.quantity),
      caseId: kase.id,
      actor: actorName(actor),
      note: p.trackingNo,
      at: ctx.now(),
    })),
  );
}

/** The buyer sent the goods back. */
export const recordReturnShipment = parcelStep<ParcelInput>("ship_return", "return", "in_transit");
/** Exchange or reship: the replacement parcel went out, and its goods left stock. */
export const shipReplacement = parcelStep<ReplacementInput>(
  "ship_replacement",
  "replacement",
  "shipped",
  takeReplacementStock,
);
