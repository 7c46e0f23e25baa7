// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { describe, expect, it } from "vitest";
import type { ActionDefinition } from "../../../src/domain/rules/actions.ts";
import type { ConditionNode } from "../../../src/domain/rules/definition.ts";
import { compileRuleSet, type LeafTrace } from "../../../src/domain/rules/evaluate.ts";
import { expectCode } from "../expect-code.ts";
import { facts } from "./facts-builder.ts";
import { ALWAYS, compile, rule, solution } from "./rule-builder.ts";

const VIP: ConditionNode = { field: "customer.tier", op: "eq", value: "vip" };
const NEVER: ConditionNode = { not: ALWAYS };

describe("outcome actions", () => {
  it("approve: the case is approved and the rule named", () => {
    const d = compile([rule("ok", ALWAYS, [{ action: "approve" }])], [], undefined, 7).evaluate(facts());
    expect(d).toMatchObject({
      ruleSetVersion: 7,
      outcome: "approve",
      decidedBy: "ok",
      rejectReason: null,
      rejectNote: null,
      queue: "default",
      priority: 50,
    });
  });

  it("reject: with its reason and note", () => {
    const c = compile([
      rule("late", ALWAYS, [{ action: "reject", reason: "outside_window", note: "超过 15 天" }]),
    ]);
    expect(c.evaluate(facts())).toMatchObject({
      outcome: "reject",
      decidedBy: "late",
      rejectReason: "outside_window",
      rejectNote: "超过 15 天",
    });
    const plain = compile([rule("dup", ALWAYS, [{ action: "reject", reason: "duplicate" }])]).evaluate(
      facts(),
    );
    expect(plain.rejectNote).toBeNull();
  });

  it("route: manual review in the rule's queue, at its priority (default 50)", () => {
    expect(
      compile([rule("r", ALWAYS, [{ action: "route", queue: "risk", priority: 90 }])]).evaluate(facts()),
    ).toMatchObject({
      outcome: "manual",
      decidedBy: "r",
      queue: "risk",
      priority: 90,
    });
    expect(compile([rule("r", ALWAYS, [{ action: "route", queue: "vip" }])]).evaluate(facts())).toMatchObject(
      {
        queue: "vip",
        priority: 50,
      },
    );
  });

  it("no deciding rule: manual review in the default queue, decided by nobody", () => {
    const d = compile([rule("sla", ALWAYS, [{ action: "set_sla", hours: 24 }])]).evaluate(facts());
    expect(d).toMatchObject({
      outcome: "manual",
      decidedBy: null,
      queue: "default",
      priority: 50,
      slaHours: 24,
    });
    expect(d.matched.map((m) => m.id)).toEqual(["sla"]);
  });

  it("an empty rule set sends everything to people", () => {
    const d = compile([]).evaluate(facts());
    expect(d).toEqual({
      ruleSetVersion: 1,
      outcome: "manual",
      decidedBy: null,
      rejectReason: null,
      rejectNote: null,
      queue: "default",
      priority: 50,
      slaHours: null,
      evidence: { required: false, kinds: [] },
      tags: [],
      recommendation: null,
      matched: [],
    });
  });
});

describe("accumulating actions", () => {
  it("require_evidence: photos unless kinds are named; kinds add up across rules", () => {
    const one = compile([rule("e", ALWAYS, [{ action: "require_evidence" }])]).evaluate(facts());
    expect(one.evidence).toEqual({ required: true, kinds: ["photo"] });
    const two = compile([
      rule("v", ALWAYS, [{ action: "require_evidence", kinds: ["video"] }], { priority: 2 }),
      rule("p", ALWAYS, [{ action: "require_evidence", kinds: ["photo"] }], { priority: 1 }),
    ]).evaluate(facts());
    expect(two.evidence).toEqual({ required: true, kinds: ["photo", "video"] });
  });

  it("set_sla: the tightest time limit wins, wherever its rule stands", () => {
    const d = compile([
      rule("a", ALWAYS, [{ action: "set_sla", hours: 48 }], { priority: 9 }),
      rule("b", ALWAYS, [{ action: "set_sla", hours: 4 }], { priority: 1 }),
      rule("c", ALWAYS, [{ action: "set_sla", hours: 24 }], { priority: 5 }),
    ]).evaluate(facts());
    expect(d.slaHours).toBe(4);
  });

  it("add_tags: the union, in order of first appearance", () => {
    const d = compile([
      rule("a", ALWAYS, [{ action: "add_tags", tags: ["x", "y"] }], { priority: 2 }),
      rule("b", ALWAYS, [{ action: "add_tags", tags: ["y", "z"] }], { priority: 1 }),
      rule("c", NEVER, [{ action: "add_tags", tags: ["never"] }], { priority: 3 }),
    ]).evaluate(facts());
    expect(d.tags).toEqual(["x", "y", "z"]);
  });

  it("accumulate from rules before and after the deciding one", () => {
    const d = compile([
      rule("tag-first", ALWAYS, [{ action: "add_tags", tags: ["seen"] }], { priority: 30 }),
      rule("decider", ALWAYS, [{ action: "approve" }, { action: "set_sla", hours: 12 }], { priority: 20 }),
      rule("after", ALWAYS, [{ action: "require_evidence" }, { action: "route", queue: "late" }], {
        priority: 10,
      }),
    ]).evaluate(facts());
    expect(d).toMatchObject({
      outcome: "approve",
      decidedBy: "decider",
      queue: "default",
      tags: ["seen"],
      slaHours: 12,
      evidence: { required: true, kinds: ["photo"] },
    });
    expect(d.matched.map((m) => m.id)).toEqual(["tag-first", "decider", "after"]);
  });

  it("only matched rules contribute", () => {
    const d = compile([
      rule("vip", VIP, [
        { action: "set_sla", hours: 2 },
        { action: "add_tags", tags: ["vip"] },
      ]),
    ]).evaluate(facts());
    expect(d.slaHours).toBeNull();
    expect(d.tags).toEqual([]);
    expect(d.matched).toEqual([]);
  });
});

describe("priority and order", () => {
  it("evaluates higher priority first, whatever the list order", () => {
    const c = compile([
      rule("low", ALWAYS, [{ action: "approve" }], { priority: 1 }),
      rule("high", ALWAYS, [{ action: "reject", reason: "duplicate" }], { priority: 10 }),
    ]);
    expect(c.evaluate(facts()).decidedBy).toBe("high");
    expect(c.decide(facts())).toEqual({ outcome: "reject", rule: 1 });
    expect(c.order).toEqual([1, 0]);
  });

  it("keeps list order between equal priorities", () => {
    const c = compile([
      rule("first", ALWAYS, [{ action: "route", queue: "one" }], { priority: 5 }),
      rule("second", ALWAYS, [{ action: "approve" }], { priority: 5 }),
    ]);
    expect(c.evaluate(facts())).toMatchObject({ decidedBy: "first", queue: "one", outcome: "manual" });
    expect(c.decide(facts())).toEqual({ outcome: "manual", rule: 0 });
  });

  it("the first matched deciding rule wins; a non-matching one above it does not count", () => {
    const c = compile([
      rule("vip", VIP, [{ action: "route", queue: "vip" }], { priority: 100 }),
      rule("approve", ALWAYS, [{ action: "approve" }], { priority: 50 }),
      rule("reject", ALWAYS, [{ action: "reject", reason: "duplicate" }], { priority: 10 }),
    ]);
    expect(c.evaluate(facts())).toMatchObject({ outcome: "approve", decidedBy: "approve" });
    expect(c.evaluate(facts({ customerTier: "vip" }))).toMatchObject({
      outcome: "manual",
      decidedBy: "vip",
      queue: "vip",
      rejectReason: null,
    });
  });

  it("a later route does not move a case an earlier rule approved", () => {
    const d = compile([
      rule("a", ALWAYS, [{ action: "approve" }], { priority: 2 }),
      rule("r", ALWAYS, [{ action: "route", queue: "risk", priority: 99 }], { priority: 1 }),
    ]).evaluate(facts());
    expect(d).toMatchObject({ outcome: "approve", queue: "default", priority: 50 });
  });

  it("negative priorities run last", () => {
    const d = compile([
      rule("neg", ALWAYS, [{ action: "approve" }], { priority: -5 }),
      rule("zero", ALWAYS, [{ action: "reject", reason: "duplicate" }]),
    ]).evaluate(facts());
    expect(d.decidedBy).toBe("zero");
  });
});

describe("disabled rules", () => {
  const c = compile([
    rule(
      "off",
      ALWAYS,
      [
        { action: "reject", reason: "duplicate" },
        { action: "add_tags", tags: ["off"] },
      ],
      {
        priority: 10,
        enabled: false,
      },
    ),
    rule("on", ALWAYS, [{ action: "approve" }]),
  ]);

  it("never match, decide or contribute", () => {
    const d = c.evaluate(facts());
    expect(d).toMatchObject({ outcome: "approve", decidedBy: "on", tags: [] });
    expect(d.matched.map((m) => m.id)).toEqual(["on"]);
  });

  it("are left out of the evaluation order but keep their index", () => {
    expect(c.order).toEqual([1]);
    expect(c.rules.map((r) => [r.id, r.enabled])).toEqual([
      ["off", false],
      ["on", true],
    ]);
    const matched = new Uint8Array([7, 7]);
    expect(c.decide(facts(), matched)).toEqual({ outcome: "approve", rule: 1 });
    expect([...matched]).toEqual([0, 1]);
  });
});

describe("recommendations", () => {
  const lost: ConditionNode = { field: "case.reason", op: "eq", value: "logistics_lost" };

  it("a matched rule's recommendation beats the solutions; its why names the rule", () => {
    const c = compile(
      [rule("lost", lost, [{ action: "recommend", solution: "full_refund" }])],
      [solution("s", lost, "reship_or_refund")],
    );
    const d = c.evaluate(facts({ reason: "logistics_lost" }));
    expect(d.recommendation).toEqual({
      solution: "full_refund",
      from: "rule",
      id: "lost",
      why: { zh: "规则「规则lost」推荐此方案", en: 'Recommended by the rule "Rule lost"' },
    });
  });

  it("the highest-priority matched rule's recommendation wins", () => {
    const d = compile([
      rule("low", ALWAYS, [{ action: "recommend", solution: "full_refund" }], { priority: 1 }),
      rule("high", ALWAYS, [{ action: "recommend", solution: "exchange_or_reship" }], { priority: 2 }),
    ]).evaluate(facts());
    expect(d.recommendation).toMatchObject({ solution: "exchange_or_reship", id: "high" });
  });

  it("otherwise the first matching solution by priority, then list order, with its why", () => {
    const c = compile(
      [rule("other", ALWAYS, [{ action: "set_sla", hours: 1 }])],
      [
        solution("a-low", ALWAYS, "full_refund", 1),
        solution("b-high-but-no-match", lost, "reship_or_refund", 9),
        solution("c-high", ALWAYS, "exchange_or_reship", 5),
        solution("d-high-later", ALWAYS, "return_then_refund", 5),
      ],
    );
    expect(c.evaluate(facts()).recommendation).toEqual({
      solution: "exchange_or_reship",
      from: "solution",
      id: "c-high",
      why: { zh: "理由c-high", en: "because c-high" },
    });
    expect(c.evaluate(facts({ reason: "logistics_lost" })).recommendation?.id).toBe("b-high-but-no-match");
  });

  it("solutions without a priority count as 0", () => {
    const c = compile(
      [],
      [solution("unranked", ALWAYS, "full_refund"), solution("ranked", ALWAYS, "reject", 1)],
    );
    expect(c.evaluate(facts()).recommendation?.id).toBe("ranked");
  });

  it("nothing recommended when nothing matches", () => {
    const c = compile(
      [rule("r", lost, [{ action: "recommend", solution: "full_refund" }])],
      [solution("s", lost, "full_refund")],
    );
    expect(c.evaluate(facts()).recommendation).toBeNull();
  });
});

describe("traces", () => {
  it("record every node's result and each comparison's actual value", () => {
    const c = compile([
      rule(
        "t",
        {
          all: [
            { field: "case.quoted_amount", op: "lte", value: "30.00" },
            {
              any: [
                { field: "customer.tier", op: "eq", value: "vip" },
                { not: { field: "customer.tags", op: "contains", value: "blacklist" } },
              ],
            },
            { field: "customer.refund_count", op: "lt", value: 3 },
          ],
        },
        [{ action: "approve" }],
      ),
    ]);
    const [m] = c.evaluate(facts({ customerTags: ["student"] })).matched;
    expect(m?.trace).toEqual({
      node: "all",
      result: true,
      children: [
        {
          node: "leaf",
          field: "case.quoted_amount",
          op: "lte",
          value: 3000,
          window: null,
          actual: 1250,
          result: true,
          currency: "CNY",
          caseCurrency: "CNY",
        },
        {
          node: "any",
          result: true,
          children: [
            {
              node: "leaf",
              field: "customer.tier",
              op: "eq",
              value: "vip",
              window: null,
              actual: "normal",
              result: false,
            },
            {
              node: "not",
              result: true,
              child: {
                node: "leaf",
                field: "customer.tags",
                op: "contains",
                value: "blacklist",
                window: null,
                actual: ["student"],
                result: false,
              },
            },
          ],
        },
        {
          node: "leaf",
          field: "customer.refund_count",
          op: "lt",
          value: 3,
          window: 90,
          actual: 0,
          result: true,
        },
      ],
    });
  });

  it("can show why a rule did not match", () => {
    const c = compile([rule("vip", VIP, [{ action: "approve" }])]);
    const t = c.traceRule(0, facts()) as LeafTrace;
    expect(t).toMatchObject({ result: false, actual: "normal", value: "vip" });
    expect(() => c.traceRule(5, facts())).toThrow(RangeError);
  });

  it("copy the case's lists, so later changes to the facts do not rewrite history", () => {
    const f = facts({ tags: ["a"] });
    const c = compile([
      rule("t", { field: "case.tags", op: "is_empty", value: false }, [{ action: "approve" }]),
    ]);
    const [m] = c.evaluate(f).matched;
    f.tags.push("b");
    const trace = m?.trace as LeafTrace | undefined;
    expect(trace?.actual).toEqual(["a"]);
  });
});

describe("the fast path", () => {
  const c = compile([
    rule("tag", ALWAYS, [{ action: "add_tags", tags: ["x"] }], { priority: 30 }),
    rule("vip", VIP, [{ action: "route", queue: "vip" }], { priority: 20 }),
    rule("ok", ALWAYS, [{ action: "approve" }], { priority: 10 }),
    rule("never", NEVER, [{ action: "reject", reason: "duplicate" }], { priority: 5 }),
  ]);

  it("returns the outcome and the deciding rule's index, and fills in which rules matched", () => {
    const matched = new Uint8Array(4);
    expect(c.decide(facts(), matched)).toEqual({ outcome: "approve", rule: 2 });
    expect([...matched]).toEqual([1, 0, 1, 0]);
    expect(c.decide(facts({ customerTier: "vip" }), matched)).toEqual({ outcome: "manual", rule: 1 });
    expect([...matched]).toEqual([1, 1, 1, 0]);
  });

  it("answers the same without the matched array", () => {
    expect(c.decide(facts())).toEqual({ outcome: "approve", rule: 2 });
    expect(c.decide(facts({ customerTier: "vip" }))).toEqual({ outcome: "manual", rule: 1 });
    expect(compile([rule("t", ALWAYS, [{ action: "set_sla", hours: 1 }])]).decide(facts())).toEqual({
      outcome: "manual",
      rule: -1,
    });
  });

  it("reuses its answers instead of allocating, and they cannot be changed", () => {
    const a = c.decide(facts());
    expect(c.decide(facts({ reason: "damaged" }))).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("refuses a matched array too short for the rules", () => {
    expect(() => c.decide(facts(), new Uint8Array(2))).toThrow(RangeError);
  });
});

describe("compiling", () => {
  it("validates what it compiles", () => {
    expectCode(
      () =>
        compileRuleSet(
          {
            rules: [rule("x", { field: "case.nope", op: "eq", value: 1 }, [{ action: "approve" }])],
            solutions: [],
          },
          1,
        ),
      "RULES_INVALID",
    );
  });

  it("is not affected by later changes to the definition it was given", () => {
    const tags = ["a"];
    const then: ActionDefinition[] = [{ action: "approve" }];
    const def = {
      rules: [rule("x", { field: "customer.tags", op: "contains_any", value: tags }, then)],
      solutions: [],
    };
    const c = compileRuleSet(def, 1);
    tags.push("b");
    then.push({ action: "add_tags", tags: ["later"] });
    expect(c.decide(facts({ customerTags: ["b"] })).rule).toBe(-1);
    expect(c.evaluate(facts({ customerTags: ["a"] })).tags).toEqual([]);
    expect(Object.isFrozen(c.definition)).toBe(true);
  });

  it("hands out decisions the caller may change and store", () => {
    const c = compile([rule("x", ALWAYS, [{ action: "approve" }, { action: "add_tags", tags: ["t"] }])]);
    const d = c.evaluate(facts());
    d.outcome = "manual";
    d.tags.push("mine");
    d.matched[0]?.actions.push({ action: "approve" });
    const again = c.evaluate(facts());
    expect(again.outcome).toBe("approve");
    expect(again.tags).toEqual(["t"]);
    expect(again.matched[0]?.actions).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(again))).toEqual(again);
  });
});
