import { fail } from "../domain/errors.ts";
import { advance, type StepOptions, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";

export interface ParcelInput extends StepOptions {
  carrier: string;
  trackingNo: string;
}

const checkParcel = (p: ParcelInput) => {
  if (!p.carrier?.trim() || !p.trackingNo?.trim())
    fail("TRACKING_REQUIRED", "A carrier and a tracking number are required");
};

/** The buyer sent the goods back: record the return parcel (退货物流). */
export const recordReturnShipment = async (
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  p: ParcelInput,
) => {
  checkParcel(p);
  return withCase(ctx, caseId, async (tx, kase, order) => {
    const status = await advance(
      tx,
      ctx,
      kase,
      order,
      actor,
      "ship_return",
      { caseQuantity: 0, receivedQuantity: 0, ...p },
      {
        ...p,
        data: { carrier: p.carrier, trackingNo: p.trackingNo },
      },
    );
    await tx
      .insertInto("shipments")
      .values({
        order_id: order.id,
        case_id: kase.id,
        direction: "return",
        carrier: p.carrier,
        tracking_no: p.trackingNo,
        status: "in_transit",
        shipped_at: ctx.now(),
      })
      .execute();
    return { status };
  });
};

/** Exchange or reship: the replacement parcel went out (换货/补发). */
export const shipReplacement = async (ctx: FlowContext, actor: Actor, caseId: number, p: ParcelInput) => {
  checkParcel(p);
  return withCase(ctx, caseId, async (tx, kase, order) => {
    const status = await advance(
      tx,
      ctx,
      kase,
      order,
      actor,
      "ship_replacement",
      { caseQuantity: 0, receivedQuantity: 0, ...p },
      {
        ...p,
        data: { carrier: p.carrier, trackingNo: p.trackingNo },
      },
    );
    await tx
      .insertInto("shipments")
      .values({
        order_id: order.id,
        case_id: kase.id,
        direction: "replacement",
        carrier: p.carrier,
        tracking_no: p.trackingNo,
        status: "shipped",
        shipped_at: ctx.now(),
      })
      .execute();
    return { status };
  });
};
