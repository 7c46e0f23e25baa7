import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { autoReview } from "./auto-review.ts";
import { advance, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";

export const CONDITIONS = [
  "intact",
  "opened",
  "damaged",
  "wrong_item",
  "missing_parts",
  "empty_box",
] as const;
export type Condition = (typeof CONDITIONS)[number];

export interface ReceiveInput extends StepOptions {
  quantity: number;
  condition: Condition;
}

/** 收货: goods arrived back at the warehouse; partial receipts are allowed until every unit is in. */
export async function receiveReturn(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: ReceiveInput,
): Promise<StepResult> {
  if (!Number.isSafeInteger(input.quantity) || input.quantity <= 0)
    fail("INVALID_QUANTITY", "Quantity must be a positive integer");
  if (!CONDITIONS.includes(input.condition))
    fail("INVALID_CONDITION", `Unknown condition "${input.condition}"`);
  const result = await withCase(
    ctx,
    caseId,
    (l) => {
      if (l.receivedQuantity + input.quantity > l.caseQuantity) {
        fail(
          "RECEIPT_EXCEEDS_CASE",
          `Only ${l.caseQuantity - l.receivedQuantity} more units are expected on this case`,
          {
            expected: l.caseQuantity,
            received: l.receivedQuantity,
          },
        );
      }
      return advance(
        ctx,
        l,
        actor,
        "receive",
        { receivedQuantity: l.receivedQuantity + input.quantity },
        {
          ...input,
          data: { quantity: input.quantity, condition: input.condition },
          also: [
            sql`insert into receipts (case_id, quantity, condition, received_at)
                values (${l.kase.id}, ${input.quantity}, ${input.condition}, ${ctx.now()})`,
          ],
        },
      );
    },
    input,
  );
  // Everything is back: the case's facts changed, so the rules look again (they annotate; the
  // case is past review, so they decide nothing).
  if (result.status === "received") await autoReview(ctx, caseId, "return_received");
  return result;
}

export interface InspectInput extends StepOptions {
  result: "pass" | "fail";
}

/** 质检: the result applies to every receipt not yet inspected. */
export async function inspectReturn(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: InspectInput,
): Promise<StepResult> {
  if (input.result !== "pass" && input.result !== "fail")
    fail("INVALID_QC_RESULT", 'QC result must be "pass" or "fail"');
  return withCase(
    ctx,
    caseId,
    (l) =>
      advance(
        ctx,
        l,
        actor,
        "inspect",
        { qcResult: input.result },
        {
          ...input,
          data: { result: input.result },
          also: [
            sql`update receipts set qc_result = ${input.result}, qc_note = ${input.note ?? null},
                                    inspected_at = ${ctx.now()}
                 where case_id = ${l.kase.id} and qc_result is null`,
          ],
        },
      ),
    input,
  );
}
