import { fail } from "../domain/errors.ts";
import { caseItems, caseReceipts } from "../store/cases.ts";
import { advance, type StepOptions, withCase } from "./case-step.ts";
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
export const receiveReturn = async (ctx: FlowContext, actor: Actor, caseId: number, input: ReceiveInput) => {
  if (!Number.isSafeInteger(input.quantity) || input.quantity <= 0)
    fail("INVALID_QUANTITY", "Quantity must be a positive integer");
  if (!CONDITIONS.includes(input.condition))
    fail("INVALID_CONDITION", `Unknown condition "${input.condition}"`);
  return withCase(ctx, caseId, async (tx, kase, order) => {
    const expected = (await caseItems(tx, kase.id)).reduce((a, i) => a + i.quantity, 0);
    const before = (await caseReceipts(tx, kase.id)).reduce((a, r) => a + r.quantity, 0);
    if (before + input.quantity > expected) {
      fail("RECEIPT_EXCEEDS_CASE", `Only ${expected - before} more units are expected on this case`, {
        expected,
        received: before,
      });
    }
    const status = await advance(
      tx,
      ctx,
      kase,
      order,
      actor,
      "receive",
      { caseQuantity: expected, receivedQuantity: before + input.quantity },
      { ...input, data: { quantity: input.quantity, condition: input.condition } },
    );
    await tx
      .insertInto("receipts")
      .values({
        case_id: kase.id,
        quantity: input.quantity,
        condition: input.condition,
        received_at: ctx.now(),
      })
      .execute();
    return { status };
  });
};

export interface InspectInput extends StepOptions {
  result: "pass" | "fail";
}

/** 质检: the result applies to every receipt not yet inspected. */
export const inspectReturn = async (ctx: FlowContext, actor: Actor, caseId: number, input: InspectInput) => {
  if (input.result !== "pass" && input.result !== "fail")
    fail("INVALID_QC_RESULT", 'QC result must be "pass" or "fail"');
  return withCase(ctx, caseId, async (tx, kase, order) => {
    const status = await advance(
      tx,
      ctx,
      kase,
      order,
      actor,
      "inspect",
      { caseQuantity: 0, receivedQuantity: 0, qcResult: input.result },
      { ...input, data: { result: input.result } },
    );
    await tx
      .updateTable("receipts")
      .set({ qc_result: input.result, qc_note: input.note ?? null, inspected_at: ctx.now() })
      .where("case_id", "=", kase.id)
      .where("qc_result", "is", null)
      .execute();
    return { status };
  });
};
