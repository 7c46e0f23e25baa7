import { fail } from "../domain/errors.ts";
import type { Actor, FlowContext } from "./context.ts";
import { grantRefund } from "./grant-refund.ts";

export interface SwitchInput {
  /** The offline tender finance pays the customer with: bank transfer or wallet. */
  tender: string;
  /** Why (the customer's new account, what the channel said): on the timeline. */
  note: string;
  expectedVersion?: number;
  shops?: readonly string[] | null;
}

/**
 * 改线下退款: a refund leg its channel refused for good (WeChat Pay USER_ACCOUNT_ABNORMAL, a closed card)
 * goes to the customer another way. The failed part of the latest grant is granted again — the same
 * amounts, each leg with a new key — with this leg over the offline tender; the failed leg is marked
 * replaced, so it can never be sent again. Finance pays the offline leg and records its reference
 * (settle-offline-refund.ts); only then does it reach the books. A leg whose outcome is not known yet
 * (processing, WeChat's ABNORMAL) cannot be switched: its money may still arrive.
 */
export async function switchRefundToOffline(
  ctx: FlowContext,
  actor: Actor,
  refundId: number,
  input: SwitchInput,
) {
  if (!input.note?.trim()) fail("NOTE_REQUIRED", "Say why this refund goes to the customer another way");
  const r = await ctx.db
    .selectFrom("refunds as r")
    .innerJoin("cases as c", "c.id", "r.case_id")
    .select(["r.case_id", "c.shop_id"])
    .where("r.id", "=", refundId)
    .executeTakeFirst();
  if (!r || (input.shops && !input.shops.includes(r.shop_id)))
    return fail("REFUND_NOT_FOUND", `Refund ${refundId} does not exist`, { refundId });
  const granted = await grantRefund(ctx, actor, r.case_id, {
    switchLeg: { refundId, tender: input.tender },
    note: input.note.trim(),
    ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
    shops: input.shops ?? null,
  });
  return { caseId: r.case_id, ...granted };
}
