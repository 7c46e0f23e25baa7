import { describe, expect, it, test } from "vitest";
import { OPERATOR_NAMES, OPERATORS } from "../../../src/domain/rules/operators.ts";
import { facts } from "./facts-builder.ts";
import { matches } from "./rule-builder.ts";

describe("the operator table", () => {
  it("offers the agreed operators for each value type", () => {
    const numeric = ["eq", "ne", "gt", "gte", "lt", "lte", "between", "exists"];
    expect(Object.keys(OPERATORS.number)).toEqual(numeric);
    expect(Object.keys(OPERATORS.amount)).toEqual(numeric);
    expect(Object.keys(OPERATORS.days)).toEqual(numeric);
    expect(Object.keys(OPERATORS.ratio)).toEqual(numeric);
    expect(Object.keys(OPERATORS.enum)).toEqual(["eq", "ne", "in", "not_in"]);
    expect(Object.keys(OPERATORS.string)).toEqual(["eq", "ne", "in", "not_in"]);
    expect(Object.keys(OPERATORS.set)).toEqual([
      "contains",
      "contains_any",
      "contains_all",
      "contains_none",
      "is_empty",
    ]);
    expect(Object.keys(OPERATORS.boolean)).toEqual(["eq"]);
    expect([...OPERATOR_NAMES].sort()).toEqual(
      [
        ...numeric,
        "in",
        "not_in",
        "contains",
        "contains_any",
        "contains_all",
        "contains_none",
        "is_empty",
      ].sort(),
    );
  });
});

describe("numbers (risk score 50)", () => {
  const f = facts({ riskScore: 50 });
  const at = (op: string, value: unknown) => matches({ field: "case.risk_score", op, value }, f);

  test.each([
    ["eq", 50, true],
    ["eq", 51, false],
    ["ne", 51, true],
    ["ne", 50, false],
    ["gt", 49, true],
    ["gt", 50, false],
    ["gte", 50, true],
    ["gte", 51, false],
    ["lt", 51, true],
    ["lt", 50, false],
    ["lte", 50, true],
    ["lte", 49, false],
    ["between", [50, 60], true],
    ["between", [40, 50], true],
    ["between", [51, 60], false],
    ["between", [10, 49.5], false],
  ])("%s %j → %s", (op, value, expected) => {
    expect(at(op, value)).toBe(expected);
  });
});

describe("amounts", () => {
  const f = facts({ quotedAmount: 3000 }); // ¥30.00
  const at = (op: string, value: unknown, currency?: string, over = f) =>
    matches({ field: "case.quoted_amount", op, value }, over, currency);

  it("compare decimal strings exactly, to the cent", () => {
    expect(at("lte", "30.00")).toBe(true);
    expect(at("lte", "29.99")).toBe(false);
    expect(at("eq", "30")).toBe(true);
    expect(at("gt", "29.99")).toBe(true);
    expect(at("between", ["30.00", "30.01"])).toBe(true);
    expect(at("between", ["30.01", "40"])).toBe(false);
    expect(at("ne", "30.01")).toBe(true);
    expect(at("lt", "30")).toBe(false);
    expect(at("gte", "30.00")).toBe(true);
  });

  it("accept numbers, read as decimals in the rule set's currency", () => {
    expect(at("eq", 30)).toBe(true);
    expect(at("eq", 30.5)).toBe(false);
    expect(at("lt", 30.01)).toBe(true);
  });

  it("follow the rule set's currency: 3000 yen is ¥3000, not ¥30.00", () => {
    const yen = facts({ currency: "JPY", quotedAmount: 3000 });
    expect(at("eq", "3000", "JPY", yen)).toBe(true);
    expect(at("eq", "30", "JPY", yen)).toBe(false);
  });

  it("never compare across currencies", () => {
    const usd = facts({ currency: "USD", quotedAmount: 3000 });
    for (const [op, value] of [
      ["eq", "30"],
      ["lte", "30"],
      ["gte", "30"],
      ["ne", "1"],
      ["between", ["0", "100"]],
    ] as const) {
      expect(at(op, value, "CNY", usd), op).toBe(false);
    }
    // Whether the customer named an amount does not depend on its currency.
    expect(
      matches(
        { field: "case.requested_amount", op: "exists", value: true },
        facts({ currency: "USD", requestedAmount: 5 }),
      ),
    ).toBe(true);
  });
});

describe("days and ratios", () => {
  it("compare fractional days", () => {
    const f = facts({ daysSinceDelivery: 6.5 });
    expect(matches({ field: "order.days_since_delivery", op: "lt", value: 7 }, f)).toBe(true);
    expect(matches({ field: "order.days_since_delivery", op: "lt", value: 6.5 }, f)).toBe(false);
    expect(matches({ field: "order.days_since_delivery", op: "between", value: [6, 7] }, f)).toBe(true);
  });

  it("compare ratios as fractions", () => {
    const f = facts({ customerRefundRate: { 30: 0, 90: 0.25, 365: 0 } });
    expect(matches({ field: "customer.refund_rate", op: "gte", value: 0.25 }, f)).toBe(true);
    expect(matches({ field: "customer.refund_rate", op: "gt", value: 0.25 }, f)).toBe(false);
  });
});

describe("choices and texts", () => {
  test.each([
    ["eq", "return_refund", true],
    ["eq", "refund_only", false],
    ["ne", "refund_only", true],
    ["ne", "return_refund", false],
    ["in", ["exchange", "return_refund"], true],
    ["in", ["exchange", "reship"], false],
    ["not_in", ["exchange", "reship"], true],
    ["not_in", ["return_refund"], false],
  ])("case type (return_refund) %s %j → %s", (op, value, expected) => {
    expect(matches({ field: "case.type", op, value }, facts({ caseType: "return_refund" }))).toBe(expected);
  });

  test.each([
    ["eq", "flagship", true],
    ["eq", "outlet", false],
    ["ne", "outlet", true],
    ["ne", "flagship", false],
    ["in", ["outlet", "flagship"], true],
    ["in", ["outlet"], false],
    ["not_in", ["outlet"], true],
    ["not_in", ["flagship", "outlet"], false],
  ])("shop (flagship) %s %j → %s", (op, value, expected) => {
    expect(matches({ field: "order.shop", op, value }, facts({ shop: "flagship" }))).toBe(expected);
  });
});

describe("sets (customer tags: vip_2024, student)", () => {
  const f = facts({ customerTags: ["vip_2024", "student"] });
  const empty = facts({ customerTags: [] });
  const at = (op: string, value: unknown, over = f) => matches({ field: "customer.tags", op, value }, over);

  test.each([
    ["contains", "student", true],
    ["contains", "teacher", false],
    ["contains_any", ["teacher", "student"], true],
    ["contains_any", ["teacher", "blacklist"], false],
    ["contains_all", ["student", "vip_2024"], true],
    ["contains_all", ["student", "teacher"], false],
    ["contains_none", ["teacher", "blacklist"], true],
    ["contains_none", ["blacklist", "student"], false],
    ["is_empty", false, true],
    ["is_empty", true, false],
  ])("%s %j → %s", (op, value, expected) => {
    expect(at(op, value)).toBe(expected);
  });

  it("an empty set contains nothing, and is empty", () => {
    expect(at("contains", "student", empty)).toBe(false);
    expect(at("contains_any", ["student"], empty)).toBe(false);
    expect(at("contains_all", ["student"], empty)).toBe(false);
    expect(at("contains_none", ["student"], empty)).toBe(true);
    expect(at("is_empty", true, empty)).toBe(true);
    expect(at("is_empty", false, empty)).toBe(false);
  });
});

describe("yes/no fields", () => {
  test.each([
    [true, true, true],
    [true, false, false],
    [false, false, true],
    [false, true, false],
  ])("whole order %s eq %s → %s", (actual, value, expected) => {
    expect(matches({ field: "case.whole_order", op: "eq", value }, facts({ wholeOrder: actual }))).toBe(
      expected,
    );
  });
});

describe("combinations", () => {
  const high = { field: "case.risk_score", op: "gte", value: 70 };
  const vip = { field: "customer.tier", op: "eq", value: "vip" };

  it("all needs every part, and all of nothing is always true", () => {
    expect(matches({ all: [high, vip] }, facts({ riskScore: 80, customerTier: "vip" }))).toBe(true);
    expect(matches({ all: [high, vip] }, facts({ riskScore: 80 }))).toBe(false);
    expect(matches({ all: [] }, facts())).toBe(true);
  });

  it("any needs one part", () => {
    expect(matches({ any: [high, vip] }, facts({ customerTier: "vip" }))).toBe(true);
    expect(matches({ any: [high, vip] }, facts())).toBe(false);
  });

  it("not inverts", () => {
    expect(matches({ not: vip }, facts())).toBe(true);
    expect(matches({ not: vip }, facts({ customerTier: "vip" }))).toBe(false);
  });

  it("nests, including long lists", () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ field: "case.item_count", op: "ne", value: i + 10 }));
    const node = { all: [{ any: [high, { not: vip }] }, { all: many }] };
    expect(matches(node, facts())).toBe(true);
    expect(matches(node, facts({ customerTier: "vip" }))).toBe(false);
    expect(matches(node, facts({ customerTier: "vip", riskScore: 90 }))).toBe(true);
    expect(matches(node, facts({ itemCount: 15 }))).toBe(false);
    expect(matches({ any: many.map((m) => ({ not: m })) }, facts({ itemCount: 12 }))).toBe(true);
    expect(matches({ any: many.map((m) => ({ not: m })) }, facts())).toBe(false);
  });
});
