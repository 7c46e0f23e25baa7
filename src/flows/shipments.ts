import { sql } from "kysely";
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
      (l) =>
        advance(
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
          },
        ),
      p,
    );
  };

/** The buyer sent the goods back. */
export const recordReturnShipment = parcelStep("ship_return", "return", "in_transit");
/** Exchange or reship: the replacement parcel went out. */
export const shipReplacement = parcelStep("ship_replacement", "replacement", "shipped");
