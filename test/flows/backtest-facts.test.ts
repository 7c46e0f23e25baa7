// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CaseFacts, HumanDecision } from "../../src/domain/rules/index.ts";
import { backtestRules, forEachDecided } from "../../src/flows/backtest.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";

/**
 * A backtest replays what the rules saw when each case was first reviewed (the facts live review
 * recorded), not what is true of the case now; a case with no record has its facts gathered.
 */

let env: TestEnv;
const CS = { kind: "user", id: "cs-desk" } as const;
let recorded: number;
let unrecorded: number;

/** A refund a person approved for an ordinary customer, who became a VIP afterwards. */
async function decidedThenVip(customer: string) {
  const { orderId, lines } = await placeOrder(env.ctx, { customer: { id: customer, name: "王小明" } });
  const c = await submitCase(env.ctx, CS, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
  });
  await approveCase(env.ctx, REVIEWER, c.id);
  await sql`update customers set tier = 'vip' where id = ${customer}`.execute(env.ctx.db);
  return c.id;
}

beforeAll(async () => {
  env = await testEnv();
  recorded = await decidedThenVip("cust-recorded");
  unrecorded = await decidedThenVip("cust-recorded");
  // As if imported from before review recorded what it saw.
  await sql`delete from case_decisions where case_id = ${unrecorded}`.execute(env.ctx.db);
}, 120_000);
afterAll(() => env?.close());

describe("what a backtest replays", () => {
  it("the facts recorded at the first review, or — with no record — the facts gathered now", async () => {
    const seen = new Map<string, { facts: CaseFacts; human: HumanDecision }>();
    await forEachDecided(env.ctx, {}, (id, facts, human) => seen.set(id, { facts, human }));
    expect(seen.get(String(recorded))).toMatchObject({ human: "approve", facts: { customerTier: "normal" } });
    expect(seen.get(String(unrecorded))).toMatchObject({ human: "approve", facts: { customerTier: "vip" } });
    // Every other fact of the recorded case is what review stored, risk score included.
    const stored = await env.ctx.db
      .selectFrom("case_decisions")
      .select("facts")
      .where("case_id", "=", recorded)
      .executeTakeFirstOrThrow();
    expect(seen.get(String(recorded))?.facts).toEqual(stored.facts);
  });

  it("so a rule for VIPs does not claim a case decided while its customer was not one", async () => {
    const report = await backtestRules(env.ctx, {
      definition: {
        rules: [
          {
            id: "vip",
            name: "VIP 自动同意",
            priority: 1,
            when: { field: "customer.tier", op: "eq", value: "vip" },
            then: [{ action: "approve" }],
          },
        ],
        solutions: [],
      },
    });
    // Only the case with no record, whose customer is a VIP now, is decided by the rule.
    expect(report).toMatchObject({ cases: 2, automated: 1, agreed: 1, falseApprovals: 0 });
    expect(report.perRule.find((r) => r.id === "vip")).toMatchObject({ decided: 1 });
  });
});
