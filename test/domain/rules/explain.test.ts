// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { describe, expect, it } from "vitest";
import type { ConditionNode } from "../../../src/domain/rules/definition.ts";
import type { Trace } from "../../../src/domain/rules/evaluate.ts";
import { explainDecision, explainTrace } from "../../../src/domain/rules/explain.ts";
import { facts, perWindow } from "./facts-builder.ts";
import { ALWAYS, compile, rule, solution } from "./rule-builder.ts";

const SMALL = rule(
  "small",
  {
    all: [
      { field: "case.type", op: "eq", value: "refund_only" },
      { field: "case.quoted_amount", op: "lte", value: "30.00" },
    ],
  },
  [{ action: "approve" }],
  { name: { zh: "小额仅退款自动同意", en: "Small refund-only auto-approve" }, priority: 10 },
);

/** The trace of a one-condition rule on a case, whether or not it matched. */
const traceOf = (when: ConditionNode, over = {}, currency?: string): Trace =>
  compile([rule("t", when, [{ action: "approve" }])], [], currency).traceRule(0, facts(over));

describe("a matched rule, line by line", () => {
  const d = compile([SMALL]).evaluate(facts({ quotedAmount: 1250 }));

  it("reads in Chinese", () => {
    expect(explainDecision(d, "zh")).toEqual([
      "结论：自动同意（由规则「小额仅退款自动同意」决定）",
      "规则「小额仅退款自动同意」命中：售后类型 等于 仅退款 ✓；退款金额 ≤ ¥30.00（实际 ¥12.50）✓ → 自动同意",
    ]);
  });

  it("reads in English", () => {
    expect(explainDecision(d, "en")).toEqual([
      'Outcome: approved automatically, decided by the rule "Small refund-only auto-approve"',
      'Rule "Small refund-only auto-approve" matched: case type is Refund only ✓; quoted amount ≤ ¥30.00 (actual ¥12.50) ✓ → approve automatically',
    ]);
  });
});

describe("the outcome line", () => {
  it("names the reject reason and note", () => {
    const d = compile([
      rule("late", ALWAYS, [{ action: "reject", reason: "outside_window", note: "签收已超 15 天" }], {
        name: "超期拒绝",
      }),
    ]).evaluate(facts());
    expect(explainDecision(d, "zh")[0]).toBe(
      "结论：自动拒绝，原因：超出售后期限：签收已超 15 天（由规则「超期拒绝」决定）",
    );
    expect(explainDecision(d, "en")[0]).toBe(
      'Outcome: rejected automatically (Outside the after-sales window: 签收已超 15 天), decided by the rule "超期拒绝"',
    );
    expect(explainDecision(d, "zh")[1]).toContain("→ 自动拒绝（超出售后期限：签收已超 15 天）");
  });

  it("names the queue a rule routed to", () => {
    const d = compile([
      rule("risk", ALWAYS, [{ action: "route", queue: "risk", priority: 90 }], {
        name: { zh: "高风险", en: "High risk" },
      }),
    ]).evaluate(facts());
    expect(explainDecision(d, "zh")[0]).toBe(
      "结论：转人工审核，队列「risk」，优先级 90（由规则「高风险」决定）",
    );
    expect(explainDecision(d, "en")[0]).toBe(
      'Outcome: manual review (queue "risk", priority 90), decided by the rule "High risk"',
    );
  });

  it("says when no rule decided and nothing matched", () => {
    const d = compile([SMALL]).evaluate(facts({ caseType: "exchange" }));
    expect(explainDecision(d, "zh")).toEqual([
      "结论：没有规则作出决定，转人工审核（队列「default」，优先级 50）",
      "没有规则命中。",
    ]);
    expect(explainDecision(d, "en")).toEqual([
      'Outcome: no rule decided, so the case goes to manual review (queue "default", priority 50)',
      "No rule matched.",
    ]);
  });
});

describe("what the case needs", () => {
  const d = compile(
    [
      rule(
        "a",
        ALWAYS,
        [
          { action: "route", queue: "q" },
          { action: "require_evidence", kinds: ["photo", "video"] },
        ],
        {
          name: "A",
          priority: 2,
        },
      ),
      rule(
        "b",
        ALWAYS,
        [{ action: "approve" }, { action: "set_sla", hours: 4 }, { action: "add_tags", tags: ["x", "y"] }],
        {
          name: "B",
          priority: 1,
        },
      ),
    ],
    [solution("lost", ALWAYS, "reship_or_refund")],
  ).evaluate(facts());

  it("lists evidence, time limit, tags and the recommended solution with its why", () => {
    expect(explainDecision(d, "zh").slice(3)).toEqual([
      "需要顾客补充凭证：照片、视频",
      "处理时限：4 小时",
      "标签：x、y",
      "推荐方案：补发或退款（由顾客选择）——理由lost",
    ]);
    expect(explainDecision(d, "en").slice(3)).toEqual([
      "The customer must provide evidence: photos, video",
      "Handle within 4 hours",
      "Tags: x, y",
      "Recommended solution: Reship or refund (customer's choice) — because lost",
    ]);
  });

  it("marks an outcome action that a higher rule overrode", () => {
    expect(explainDecision(d, "zh")[2]).toBe(
      "规则「B」命中：无条件（适用于所有售后单） → 自动同意（未生效：已由更高优先级的规则决定）、处理时限 4 小时、添加标签 x、y",
    );
    expect(explainDecision(d, "en")[2]).toBe(
      'Rule "B" matched: always (every case) → approve automatically (not applied: an earlier rule decided), handle within 4 hours, add tags x, y',
    );
  });
});

describe("values read as people write them", () => {
  it("enums by their catalogue labels, with the actual value when it differs", () => {
    const t = traceOf(
      { field: "case.reason", op: "in", value: ["damaged", "quality"] },
      { reason: "size_fit" },
    );
    expect(explainTrace(t, "zh")).toBe("售后原因 属于 商品破损、质量问题（实际 尺码不合适）✗");
    expect(explainTrace(t, "en")).toBe(
      "reason is one of Arrived damaged, Quality problem (actual Size or fit) ✗",
    );
  });

  it("days with units, and an unknown date in words", () => {
    const t = traceOf(
      { field: "order.days_since_delivery", op: "lte", value: 7 },
      { daysSinceDelivery: 2.46 },
    );
    expect(explainTrace(t, "zh")).toBe("签收至今 ≤ 7 天（实际 2.5 天）✓");
    expect(explainTrace(t, "en")).toBe("time since delivery ≤ 7 days (actual 2.5 days) ✓");
    const none = traceOf(
      { field: "order.days_since_delivery", op: "lte", value: 1 },
      { daysSinceDelivery: null },
    );
    expect(explainTrace(none, "zh")).toBe("签收至今 ≤ 1 天（实际 未签收）✗");
    expect(explainTrace(none, "en")).toBe("time since delivery ≤ 1 day (actual not delivered) ✗");
  });

  it("ratios as percentages, with their window", () => {
    const t = traceOf(
      { field: "customer.refund_rate", window: 30, op: "gt", value: 0.5 },
      { customerRefundRate: perWindow(1 / 3, 0, 0) },
    );
    expect(explainTrace(t, "zh")).toBe("顾客退款率（近 30 天） > 50%（实际 33.3%）✗");
    expect(explainTrace(t, "en")).toBe("customer's refund rate (last 30 days) > 50% (actual 33.3%) ✗");
  });

  it("ranges, flags, sets and yes/no", () => {
    const range = traceOf(
      { field: "case.submitted_hour", op: "between", value: [0, 6] },
      { submittedHour: 3 },
    );
    expect(explainTrace(range, "zh")).toBe("申请时刻（时） 介于 0 至 6（实际 3）✓");
    expect(explainTrace(range, "en")).toBe("hour submitted between 0 and 6 (actual 3) ✓");
    const flag = traceOf(
      { field: "customer.credit_score", op: "exists", value: false },
      { creditScore: 720 },
    );
    expect(explainTrace(flag, "zh")).toBe("信用分 为空（实际 720）✗");
    expect(explainTrace(flag, "en")).toBe("credit score is unknown (actual 720) ✗");
    const set = traceOf({ field: "product.policy", op: "contains", value: "fresh" }, { policies: ["fresh"] });
    expect(explainTrace(set, "zh")).toBe("商品售后政策 包含 生鲜/易腐 ✓");
    expect(explainTrace(set, "en")).toBe("product policy includes Fresh or perishable ✓");
    const empty = traceOf({ field: "case.tags", op: "contains", value: "vip" });
    expect(explainTrace(empty, "zh")).toBe("售后单标签 包含 vip（实际 （无））✗");
    expect(explainTrace(empty, "en")).toBe("case tags includes vip (actual (none)) ✗");
    const bool = traceOf({ field: "case.has_evidence", op: "eq", value: false }, { hasEvidence: true });
    expect(explainTrace(bool, "zh")).toBe("已上传凭证 为 否（实际 是）✗");
    expect(explainTrace(bool, "en")).toBe("evidence provided is no (actual yes) ✗");
  });

  it("amounts in the rule set's currency, and why another currency is not compared", () => {
    const t = traceOf(
      { field: "order.amount", op: "gte", value: "100" },
      { currency: "USD", orderAmount: 25000 },
    );
    expect(explainTrace(t, "zh")).toBe(
      "订单实付金额 ≥ ¥100.00（实际 $250.00；案件币种 USD 与规则币种 CNY 不同，无法比较）✗",
    );
    expect(explainTrace(t, "en")).toBe(
      "order amount ≥ ¥100.00 (actual $250.00; the case is in USD, the rules in CNY, so they cannot be compared) ✗",
    );
    const yen = traceOf(
      { field: "order.amount", op: "lt", value: "5000" },
      { currency: "JPY", orderAmount: 4800 },
      "JPY",
    );
    expect(explainTrace(yen, "en")).toBe("order amount < JP¥5000 (actual JP¥4800) ✓");
  });

  it("nested groups keep their shape", () => {
    const t = traceOf(
      {
        all: [
          {
            any: [
              { field: "customer.tier", op: "eq", value: "vip" },
              { not: { field: "case.has_evidence", op: "eq", value: false } },
            ],
          },
        ],
      },
      {},
    );
    expect(explainTrace(t, "zh")).toBe(
      "满足任一（会员等级 等于 VIP 会员（实际 普通会员）✗，或 并非（已上传凭证 为 否（实际 是）✗）✓）✓",
    );
    expect(explainTrace(t, "en")).toBe(
      "any of (customer tier is VIP (actual Regular) ✗, or not (evidence provided is no (actual yes) ✗) ✓) ✓",
    );
  });
});
