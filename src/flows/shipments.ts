import { fail } from "../domain/errors.ts";
import { advance, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";

export interface ParcelInput extends StepOptions {
  carrier: string;
  trackingNo: string;
}

/** A parcel tied to a case: the buyer's return (退货物流) or our replacement (换货/补发). */
const parcelStep =
  (action: "ship_return" | "ship_replacement", direction: "return" | "replacement", status: string) =>
  async (ctx: FlowContext, actor: Actor, caseId: number, p: ParcelInput): Promise<StepResult> => {
    const carrier = p.carrier?.trim();
    const trackingNo = p.trackingNo?.trim();
    if (!carrier || !trackingNo) fail("TRACKING_REQUIRED", "A carrier and a tracking number are required");
    return withCase(
      ctx,
      caseId,
      async (l) => {
        const res = await advance(
          ctx,
          l,
          actor,
          action,
          { carrier, trackingNo },
          { ...p, data: { carrier, trackingNo } },
        );
        await l.tx
          .insertInto("shipments")
          .values({
            order_id: l.order.id,
            case_id: l.kase.id,
            direction,
            carrier: carrier as string,
            tracking_no: trackingNo as string,
            status,
            shipped_at: ctx.now(),
          })
          .execute();
        return res;
      },
      p,
    );
  };

/** The buyer sent the goods back. */
export const recordReturnShipment = parcelStep("ship_return", "return", "in_transit");
/** Exchange or reship: the replacement parcel went out. */
export const shipReplacement = parcelStep("ship_replacement", "replacement", "shipped");
