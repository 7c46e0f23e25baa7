import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { COMPENSATION_TYPES, COMPENSATIONS, type CompensationType } from "../domain/ledger.ts";
import type { CaseState } from "../domain/lifecycle.ts";
import { parseMinor } from "../domain/money.ts";
import { postCaseEntry } from "../store/ledger.ts";
import { checkVersion, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

export interface CompensationInput extends StepOptions {
  type: CompensationType;
  /** Decimal string in the case's currency. */
  amount: string;
  /** The transfer's reference, the coupon's code, the points grant's id — where the customer got it. */
  reference?: string;
  /** The version the person was looking at: a double click must not pay twice. */
  expectedVersion: number;
}

/**
 * 补偿: give the customer something besides (or instead of) a refund — cash, a coupon, points, or the
 * return postage (运费补贴) — and post it to the finance ledger. It moves no state; the case's version
 * does move, so the same form sent twice is refused instead of paid twice.
 */
export async function compensate(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: CompensationInput,
): Promise<StepResult & { type: CompensationType; amount: number; currency: string; entryId: string }> {
  if (!COMPENSATION_TYPES.includes(input.type))
    fail("INVALID_COMPENSATION", `Compensation is one of ${COMPENSATION_TYPES.join(", ")}`, {
      type: input.type,
      known: COMPENSATION_TYPES,
    });
  if (!Number.isSafeInteger(input.expectedVersion))
    fail("VERSION_REQUIRED", "Say which version of the case you are compensating (expectedVersion)");
  return withCase(
    ctx,
    caseId,
    async (l) => {
      const { kase } = l;
      const amount = parseMinor(input.amount, kase.currency);
      if (amount <= 0)
        fail("INVALID_AMOUNT", "A compensation is a positive amount", {
          amount: input.amount,
          currency: kase.currency,
        });
      await checkVersion(l, input.expectedVersion);
      const now = ctx.now();
      const source = `compensation:${kase.id}:v${kase.version}`;
      const what = COMPENSATIONS[input.type];
      await postCaseEntry(l.tx, {
        source,
        kind: what.kind,
        tender: input.type === "shipping_subsidy" ? "cash" : input.type,
        caseId: kase.id,
        amount,
        reference: input.reference?.trim() || null,
        note: input.note ?? null,
        actor: actorName(actor),
        at: now,
      });
      await sql`
        with c as (
          update cases set version = version + 1, updated_at = ${now}
           where id = ${kase.id} and version = ${kase.version} returning id)
        insert into case_events (case_id, at, actor, action, from_status, to_status, note, data, version)
        select id, ${now}::timestamptz, ${actorName(actor)}::text, 'compensate', ${kase.status}::text,
               ${kase.status}::text, ${input.note ?? what.zh}::text,
               ${JSON.stringify({ type: input.type, amount, reference: input.reference ?? null, source })}::jsonb,
               ${kase.version + 1}::int
          from c`.execute(l.tx);
      kase.version += 1;
      return {
        status: kase.status as CaseState,
        version: kase.version,
        type: input.type,
        amount,
        currency: kase.currency,
        entryId: source,
      };
    },
    input,
  );
}
