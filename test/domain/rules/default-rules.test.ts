import { describe, expect, it, test } from "vitest";
import type { SolutionCode } from "../../../src/domain/catalogue.ts";
import { DEFAULT_RULE_SET } from "../../../src/domain/rules/default-rules.ts";
import { validateRuleSet } from "../../../src/domain/rules/definition.ts";
import { compileRuleSet } from "../../../src/domain/rules/evaluate.ts";
import { explainDecision } from "../../../src/domain/rules/explain.ts";
import type { CaseFacts } from "../../../src/domain/rules/facts.ts";
import { facts, perWindow } from "./facts-builder.ts";

const RULES = compileRuleSet(DEFAULT_RULE_SET, 1);
const decide = (over: Partial<CaseFacts>) => RULES.evaluate(facts(over));

/** A case no default rule decides: a return_refund for size, delivered long ago. */
const PLAIN: Partial<CaseFacts> = { caseType: "return_refund", reason: "size_fit", daysSinceDelivery: 20 };

describe("the default rule set", () => {
  it("is valid as it stands, every rule enabled and named in both languages", () => {
    const valid = validateRuleSet(DEFAULT_RULE_SET);
    expect(valid.rules.map((r) => r.id)).toEqual(DEFAULT_RULE_SET.rules.map((r) => r.id));
    expect(valid.rules.every((r) => r.enabled)).toBe(true);
    for (const r of DEFAULT_RULE_SET.rules) {
      expect(typeof r.name === "object" && r.name.zh !== "" && r.name.en !== "", r.id).toBe(true);
    }
  });

  it("leaves an ordinary case to people, within 48 hours", () => {
    expect(decide(PLAIN)).toMatchObject({
      outcome: "manual",
      decidedBy: null,
      queue: "default",
      slaHours: 48,
    });
  });

  it("sends high risk to the risk queue with photos and a tag, before anything else", () => {
    const d = decide({ riskScore: 70, caseType: "refund_only", parcel: "unshipped", customerTier: "vip" });
    expect(d).toMatchObject({
      outcome: "manual",
      decidedBy: "high-risk",
      queue: "risk",
      priority: 90,
      evidence: { required: true, kinds: ["photo"] },
      tags: ["high_risk"],
    });
    expect(decide({ ...PLAIN, riskScore: 69 }).decidedBy).toBeNull();
  });

  it("gives VIPs their own queue and a 4-hour time limit", () => {
    expect(decide({ ...PLAIN, customerTier: "vip" })).toMatchObject({
      decidedBy: "vip-fast-lane",
      queue: "vip",
      priority: 90,
      slaHours: 4,
    });
  });

  it("asks for evidence when a signed-for parcel is reported not received", () => {
    expect(decide({ ...PLAIN, reason: "not_received", parcel: "signed" })).toMatchObject({
      decidedBy: "not-received-but-signed",
      queue: "logistics",
      evidence: { required: true },
    });
    expect(decide({ ...PLAIN, reason: "not_received", parcel: "in_transit" }).decidedBy).toBeNull();
  });

  test.each([["no_7day_return"], ["customised"], ["fresh"]] as const)(
    "refuses a no-reason return of a %s product",
    (policy) => {
      expect(
        decide({ ...PLAIN, reason: "changed_mind", daysSinceDelivery: 2, policies: [policy] }),
      ).toMatchObject({
        outcome: "reject",
        decidedBy: "no-reason-return-excluded",
        rejectReason: "policy_excludes",
      });
    },
  );

  it("sends quality claims without evidence to the quality team, asking for photos and video", () => {
    for (const reason of ["quality", "damaged", "not_as_described"] as const) {
      expect(decide({ ...PLAIN, reason, hasEvidence: false })).toMatchObject({
        decidedBy: "quality-needs-evidence",
        queue: "quality",
        evidence: { required: true, kinds: ["photo", "video"] },
      });
      expect(decide({ ...PLAIN, reason, hasEvidence: true }).decidedBy).toBeNull();
    }
  });

  it("approves a refund-only before the parcel ships (未发货仅退款), whatever the amount", () => {
    expect(decide({ caseType: "refund_only", parcel: "unshipped", quotedAmount: 99900 })).toMatchObject({
      outcome: "approve",
      decidedBy: "unshipped-refund-only",
    });
  });

  it("approves a small refund-only from a customer who rarely refunds, at low risk", () => {
    const small: Partial<CaseFacts> = { caseType: "refund_only", quotedAmount: 3000, riskScore: 39 };
    expect(decide(small)).toMatchObject({ outcome: "approve", decidedBy: "small-refund-only" });
    expect(decide({ ...small, quotedAmount: 3001 }).decidedBy).toBeNull();
    expect(decide({ ...small, riskScore: 40 }).decidedBy).toBeNull();
    expect(decide({ ...small, customerRefunds: perWindow(3, 3, 3) }).decidedBy).toBeNull();
    expect(decide({ ...small, customerRefunds: perWindow(0, 2, 20) }).decidedBy).toBe("small-refund-only");
  });

  it("approves a no-reason return within 7 days of delivery", () => {
    const ret: Partial<CaseFacts> = {
      caseType: "return_refund",
      reason: "changed_mind",
      daysSinceDelivery: 7,
    };
    expect(decide(ret)).toMatchObject({ outcome: "approve", decidedBy: "no-reason-return-7-days" });
    expect(decide({ ...ret, daysSinceDelivery: 7.5 }).decidedBy).toBeNull();
    expect(decide({ ...ret, daysSinceDelivery: null, parcel: "in_transit" }).decidedBy).toBeNull();
  });

  test.each([
    [
      "fresh spoiled goods",
      { reason: "spoiled", policies: ["fresh"] },
      "refund_without_return",
      "fresh-spoiled",
    ],
    [
      "a cross-border customs delay",
      { reason: "logistics_delay", policies: ["cross_border"] },
      "compensation_coupon",
      "cross-border-delay",
    ],
    ["a lost parcel", { reason: "logistics_lost" }, "reship_or_refund", "lost-parcel"],
    ["a wrong item", { reason: "wrong_item" }, "exchange_or_reship", "wrong-item"],
    [
      "a small quality problem",
      { reason: "quality", quotedAmount: 5000 },
      "partial_refund_without_return",
      "small-quality",
    ],
  ] as [string, Partial<CaseFacts>, SolutionCode, string][])("recommends for %s", (_, over, code, id) => {
    const d = decide({ ...PLAIN, ...over });
    expect(d.recommendation).toMatchObject({ solution: code, from: "solution", id });
    expect(d.recommendation?.why.zh).not.toBe("");
    expect(d.recommendation?.why.en).not.toBe("");
  });

  it("has exactly the five agreed solutions, and none for other cases", () => {
    expect(DEFAULT_RULE_SET.solutions.map((s) => s.solution)).toEqual([
      "refund_without_return",
      "compensation_coupon",
      "reship_or_refund",
      "exchange_or_reship",
      "partial_refund_without_return",
    ]);
    expect(decide({ ...PLAIN, reason: "spoiled" }).recommendation).toBeNull();
    expect(decide({ ...PLAIN, reason: "logistics_delay" }).recommendation).toBeNull();
    expect(decide({ ...PLAIN, reason: "quality", quotedAmount: 5001 }).recommendation).toBeNull();
  });

  it("explains itself in both languages", () => {
    const d = decide({ caseType: "refund_only", quotedAmount: 1250 });
    expect(explainDecision(d, "zh")[1]).toBe(
      "规则「小额仅退款自动同意」命中：售后类型 等于 仅退款 ✓；退款金额 ≤ ¥30.00（实际 ¥12.50）✓；顾客退款次数（近 90 天） ≤ 2（实际 0）✓；风险分 < 40（实际 10）✓ → 自动同意",
    );
    expect(explainDecision(d, "en")[0]).toBe(
      'Outcome: approved automatically, decided by the rule "Small refund-only auto-approve"',
    );
  });
});
