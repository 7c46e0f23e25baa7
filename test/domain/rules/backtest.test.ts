// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { describe, expect, it } from "vitest";
import { createBacktest, type HumanDecision } from "../../../src/domain/rules/backtest.ts";
import type { CaseFacts } from "../../../src/domain/rules/facts.ts";
import { expectCode } from "../expect-code.ts";
import { facts } from "./facts-builder.ts";
import { ALWAYS, compile, rule } from "./rule-builder.ts";

const RULES = compile(
  [
    rule("vip", { field: "customer.tier", op: "eq", value: "vip" }, [{ action: "route", queue: "vip" }], {
      priority: 30,
    }),
    rule("small", { field: "case.quoted_amount", op: "lte", value: "30" }, [{ action: "approve" }], {
      priority: 20,
    }),
    rule(
      "fresh",
      { field: "product.policy", op: "contains", value: "fresh" },
      [{ action: "reject", reason: "policy_excludes" }],
      {
        priority: 10,
      },
    ),
    rule("tag", ALWAYS, [{ action: "add_tags", tags: ["seen"] }], { priority: 40 }),
    rule("off", ALWAYS, [{ action: "reject", reason: "duplicate" }], { priority: 99, enabled: false }),
  ],
  [],
  undefined,
  12,
);

/** Seven past cases and what a person decided for each. */
const HISTORY: [string, CaseFacts, HumanDecision][] = [
  ["c1", facts({ quotedAmount: 1000 }), "approve"], // small approves: agreed
  ["c2", facts({ quotedAmount: 1000 }), "reject"], // small approves: false approval
  ["c3", facts({ quotedAmount: 5000, policies: ["fresh"] }), "reject"], // fresh rejects: agreed
  ["c4", facts({ quotedAmount: 5000, policies: ["fresh"] }), "approve"], // fresh rejects: false rejection
  ["c5", facts({ quotedAmount: 1000, customerTier: "vip" }), "approve"], // vip routes: manual
  ["c6", facts({ quotedAmount: 5000 }), "reject"], // nothing decides: manual
  ["c7", facts({ quotedAmount: 2000, policies: ["fresh"] }), "approve"], // small outranks fresh: agreed
];

describe("backtest", () => {
  it("counts a small history exactly", () => {
    const bt = createBacktest(RULES);
    for (const [id, f, human] of HISTORY) bt.add(id, f, human);
    expect(bt.report()).toEqual({
      ruleSetVersion: 12,
      cases: 7,
      automated: 5,
      automationRate: 5 / 7,
      agreed: 3,
      agreementRate: 3 / 5,
      falseApprovals: 1,
      falseRejections: 1,
      manual: 2,
      perRule: [
        {
          id: "tag",
          name: { zh: "规则tag", en: "Rule tag" },
          hits: 7,
          decided: 0,
          agreed: 0,
          falseApprovals: 0,
          falseRejections: 0,
        },
        {
          id: "vip",
          name: { zh: "规则vip", en: "Rule vip" },
          hits: 1,
          decided: 1,
          agreed: 0,
          falseApprovals: 0,
          falseRejections: 0,
        },
        {
          id: "small",
          name: { zh: "规则small", en: "Rule small" },
          hits: 4,
          decided: 3,
          agreed: 2,
          falseApprovals: 1,
          falseRejections: 0,
        },
        {
          id: "fresh",
          name: { zh: "规则fresh", en: "Rule fresh" },
          hits: 3,
          decided: 2,
          agreed: 1,
          falseApprovals: 0,
          falseRejections: 1,
        },
      ],
      disagreements: [
        { caseId: "c2", ruleId: "small", rule: "approve", human: "reject" },
        { caseId: "c4", ruleId: "fresh", rule: "reject", human: "approve" },
      ],
    });
  });

  it("keeps only the first disagreements, but counts them all", () => {
    const bt = createBacktest(RULES, { maxDisagreements: 1 });
    for (const [id, f, human] of HISTORY) bt.add(id, f, human);
    const r = bt.report();
    expect(r.disagreements).toEqual([{ caseId: "c2", ruleId: "small", rule: "approve", human: "reject" }]);
    expect(r.falseApprovals + r.falseRejections).toBe(2);
    const none = createBacktest(RULES, { maxDisagreements: 0 });
    for (const [id, f, human] of HISTORY) none.add(id, f, human);
    expect(none.report().disagreements).toEqual([]);
  });

  it("streams: batches with reports in between add up to one pass", () => {
    const whole = createBacktest(RULES);
    const batched = createBacktest(RULES);
    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      for (const [id, f, human] of HISTORY) {
        whole.add(`${round}-${id}`, f, human);
        batched.add(`${round}-${id}`, f, human);
      }
      expect(batched.report().cases).toBe((round + 1) * HISTORY.length);
    }
    expect(batched.report()).toEqual(whole.report());
    expect(whole.report()).toMatchObject({ cases: 21, automated: 15, agreed: 9, manual: 6 });
  });

  it("reports nothing automated without cases", () => {
    expect(createBacktest(RULES).report()).toMatchObject({
      cases: 0,
      automated: 0,
      automationRate: 0,
      agreementRate: null,
      disagreements: [],
    });
  });

  it("agreement is null when nothing was automated", () => {
    const bt = createBacktest(compile([rule("r", ALWAYS, [{ action: "route", queue: "q" }])]));
    bt.add("x", facts(), "approve");
    expect(bt.report()).toMatchObject({ cases: 1, automated: 0, manual: 1, agreementRate: null });
    expect(bt.report().perRule[0]).toMatchObject({ hits: 1, decided: 1 });
  });

  it("refuses a person's decision it cannot compare", () => {
    const bt = createBacktest(RULES);
    expectCode(() => bt.add("x", facts(), "maybe" as HumanDecision), "INVALID_BACKTEST");
    expectCode(() => createBacktest(RULES, { maxDisagreements: -1 }), "INVALID_BACKTEST");
    expect(bt.report().cases).toBe(0);
  });

  it("agrees with evaluate case by case", () => {
    const bt = createBacktest(RULES);
    let automated = 0;
    for (const [id, f, human] of HISTORY) {
      bt.add(id, f, human);
      if (RULES.evaluate(f).outcome !== "manual") automated++;
    }
    expect(bt.report().automated).toBe(automated);
  });
});
