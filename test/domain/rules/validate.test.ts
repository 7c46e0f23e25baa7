// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { DEFAULT_RULE_SET } from "../../../src/domain/rules/default-rules.ts";
import { validateRuleSet } from "../../../src/domain/rules/definition.ts";
import type { Issue } from "../../../src/domain/rules/issues.ts";
import { expectCode } from "../expect-code.ts";

const approve = [{ action: "approve" }];
const ok = (over: Record<string, unknown> = {}) => ({
  id: "r1",
  name: "Rule one",
  priority: 1,
  when: { all: [] },
  then: approve,
  ...over,
});
const withRule = (over: Record<string, unknown>) => ({ rules: [ok(over)], solutions: [] });
const withWhen = (when: unknown) => withRule({ when });
const withThen = (then: unknown) => withRule({ then });

/** The problems validateRuleSet reports for `input` (it must throw RULES_INVALID). */
function problems(input: unknown): Issue[] {
  const err = expectCode(() => validateRuleSet(input), "RULES_INVALID");
  const errors = (err.details as { errors: Issue[] }).errors;
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) expect(e.message.length).toBeGreaterThan(10);
  return errors;
}

/** Exactly one problem, with this code at this path; returns its message. */
function only(input: unknown, code: string, path: string): string {
  const errors = problems(input);
  expect(errors.map((e) => [e.code, e.path])).toEqual([[code, path]]);
  return (errors[0] as Issue).message;
}

describe("valid rule sets", () => {
  it("fills in the defaults", () => {
    const def = validateRuleSet({
      rules: [
        ok({
          when: { field: "customer.refund_count", op: "lte", value: 2 },
          then: [{ action: "route", queue: "risk" }, { action: "require_evidence" }],
        }),
      ],
    });
    expect(def).toEqual({
      currency: "CNY",
      rules: [
        {
          id: "r1",
          name: "Rule one",
          priority: 1,
          enabled: true,
          when: { field: "customer.refund_count", op: "lte", value: 2, window: 90 },
          then: [
            { action: "route", queue: "risk", priority: 50 },
            { action: "require_evidence", kinds: ["photo"] },
          ],
        },
      ],
      solutions: [],
    });
  });

  it("keeps what the merchant set, and normalizes evidence kinds", () => {
    const input = {
      currency: "USD",
      rules: [
        ok({
          name: { zh: "规则", en: "Rule" },
          enabled: false,
          when: { field: "customer.refund_rate", window: 30, op: "gt", value: 0.5 },
          then: [
            { action: "reject", reason: "abuse_suspected", note: "see history" },
            { action: "require_evidence", kinds: ["video", "photo", "video"] },
          ],
        }),
      ],
      solutions: [
        { id: "s", when: { all: [] }, solution: "full_refund", why: { zh: "因为", en: "because" } },
      ],
    };
    const def = validateRuleSet(input);
    expect(def.currency).toBe("USD");
    expect(def.rules[0]).toMatchObject({
      name: { zh: "规则", en: "Rule" },
      enabled: false,
      when: { window: 30 },
      then: [
        { action: "reject", reason: "abuse_suspected", note: "see history" },
        { action: "require_evidence", kinds: ["photo", "video"] },
      ],
    });
    expect(def.solutions[0]).toEqual({ ...input.solutions[0], priority: 0 });
  });

  it("is idempotent: validating a normalized set changes nothing", () => {
    const once = validateRuleSet(DEFAULT_RULE_SET);
    expect(validateRuleSet(once)).toEqual(once);
    expect(validateRuleSet(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it("does not hand back the caller's objects", () => {
    const input = withWhen({ field: "case.tags", op: "contains_any", value: ["a"] });
    const def = validateRuleSet(input);
    expect(def.rules[0]?.when).not.toBe(input.rules[0]?.when);
  });

  it("accepts solutions being left out", () => {
    expect(validateRuleSet({ rules: [] })).toEqual({ currency: "CNY", rules: [], solutions: [] });
  });
});

describe("each kind of problem", () => {
  it("UNKNOWN_FIELD, suggesting the closest field", () => {
    const m = only(
      withWhen({ field: "case.reasn", op: "eq", value: "quality" }),
      "UNKNOWN_FIELD",
      "rules[0].when.field",
    );
    expect(m).toBe('Unknown field "case.reasn"; did you mean "case.reason"?');
    expect(
      only(withWhen({ field: "weather.today", op: "eq", value: 1 }), "UNKNOWN_FIELD", "rules[0].when.field"),
    ).not.toMatch(/did you mean/);
  });

  it("UNKNOWN_OPERATOR, suggesting one the field takes", () => {
    const m = only(
      withWhen({ field: "case.risk_score", op: "gtee", value: 1 }),
      "UNKNOWN_OPERATOR",
      "rules[0].when.op",
    );
    expect(m).toContain('did you mean "gte"?');
    expect(m).toContain("eq, ne, gt, gte, lt, lte, between");
  });

  it("OPERATOR_NOT_FOR_FIELD: a real operator, the wrong kind of field", () => {
    const m = only(
      withWhen({ field: "case.type", op: "gt", value: "refund_only" }),
      "OPERATOR_NOT_FOR_FIELD",
      "rules[0].when.op",
    );
    expect(m).toContain("eq, ne, in, not_in");
    // exists only where a value can be unknown
    expect(
      only(
        withWhen({ field: "case.risk_score", op: "exists", value: true }),
        "OPERATOR_NOT_FOR_FIELD",
        "rules[0].when.op",
      ),
    ).toContain("always has a value");
  });

  test.each([
    ["a text for a number", { field: "case.risk_score", op: "gte", value: "70" }],
    ["an unknown choice", { field: "case.type", op: "eq", value: "refund" }],
    ["an unknown choice in a list", { field: "case.reason", op: "in", value: ["quality", "qualty"] }],
    ["an unknown policy", { field: "product.policy", op: "contains", value: "frozen" }],
    ["a bad amount", { field: "case.quoted_amount", op: "lte", value: "30.001" }],
    ["a negative amount", { field: "case.quoted_amount", op: "lte", value: "-1" }],
    ["an amount as words", { field: "order.amount", op: "gt", value: "thirty" }],
    ["between the wrong way round", { field: "case.risk_score", op: "between", value: [80, 20] }],
    ["between with one end", { field: "case.risk_score", op: "between", value: [80] }],
    [
      "amounts between the wrong way round",
      { field: "order.amount", op: "between", value: ["100", "99.99"] },
    ],
    ["a ratio above 1", { field: "customer.refund_rate", op: "gt", value: 50 }],
    ["negative days", { field: "order.days_since_delivery", op: "lte", value: -1 }],
    ["an empty list", { field: "case.type", op: "in", value: [] }],
    ["a list for a single value", { field: "case.type", op: "eq", value: ["refund_only"] }],
    ["a text for yes/no", { field: "case.whole_order", op: "eq", value: "true" }],
    ["a number for exists", { field: "customer.credit_score", op: "exists", value: 1 }],
    ["NaN-like infinity", { field: "case.item_count", op: "lt", value: Number.POSITIVE_INFINITY }],
  ])("INVALID_VALUE: %s", (_, when) => {
    only(withWhen(when), "INVALID_VALUE", "rules[0].when.value");
  });

  it("INVALID_VALUE explains an unknown choice with a suggestion and the known values", () => {
    const m = only(
      withWhen({ field: "case.type", op: "eq", value: "refund" }),
      "INVALID_VALUE",
      "rules[0].when.value",
    );
    expect(m).toContain('"refund"');
    expect(m).toContain('did you mean "refund_only"?');
    expect(m).toContain("return_refund");
  });

  test.each([
    ["a window on an unwindowed field", { field: "case.risk_score", op: "gt", value: 1, window: 30 }],
    ["a window that is not offered", { field: "customer.refund_count", op: "gt", value: 1, window: 60 }],
    ["a window that is not a number", { field: "customer.refund_rate", op: "gt", value: 0.1, window: "30" }],
  ])("INVALID_WINDOW: %s", (_, when) => {
    only(withWhen(when), "INVALID_WINDOW", "rules[0].when.window");
  });

  it("UNKNOWN_ACTION, suggesting the closest", () => {
    const m = only(withThen([{ action: "aprove" }]), "UNKNOWN_ACTION", "rules[0].then[0].action");
    expect(m).toContain('did you mean "approve"?');
  });

  test.each([
    ["reject without a reason", [{ action: "reject" }], "rules[0].then[0].reason"],
    ["an unknown reject reason", [{ action: "reject", reason: "because" }], "rules[0].then[0].reason"],
    ["route without a queue", [{ action: "route" }], "rules[0].then[0].queue"],
    ["a queue with spaces", [{ action: "route", queue: "Risk Team" }], "rules[0].then[0].queue"],
    [
      "a queue priority over 100",
      [{ action: "route", queue: "risk", priority: 101 }],
      "rules[0].then[0].priority",
    ],
    [
      "an unknown evidence kind",
      [{ action: "require_evidence", kinds: ["audio"] }],
      "rules[0].then[0].kinds[0]",
    ],
    ["no evidence kinds", [{ action: "require_evidence", kinds: [] }], "rules[0].then[0].kinds"],
    ["a zero time limit", [{ action: "set_sla", hours: 0 }], "rules[0].then[0].hours"],
    ["a time limit as text", [{ action: "set_sla", hours: "4" }], "rules[0].then[0].hours"],
    ["no tags", [{ action: "add_tags", tags: [] }], "rules[0].then[0].tags"],
    ["an empty tag", [{ action: "add_tags", tags: ["ok", " "] }], "rules[0].then[0].tags[1]"],
    [
      "an unknown solution",
      [{ action: "recommend", solution: "refund_everything" }],
      "rules[0].then[0].solution",
    ],
    ["two outcomes", [{ action: "approve" }, { action: "reject", reason: "duplicate" }], "rules[0].then[1]"],
    [
      "two recommendations",
      [
        { action: "recommend", solution: "full_refund" },
        { action: "recommend", solution: "reject" },
      ],
      "rules[0].then[1]",
    ],
    ["no actions", [], "rules[0].then"],
    ["actions that are not a list", { action: "approve" }, "rules[0].then"],
    ["an action that is not an object", ["approve"], "rules[0].then[0]"],
  ])("INVALID_ACTION: %s", (_, then, path) => {
    only(withThen(then), "INVALID_ACTION", path);
  });

  it("DUPLICATE_ID, pointing at the first use", () => {
    const m = only({ rules: [ok(), ok(), ok({ id: "r2" })], solutions: [] }, "DUPLICATE_ID", "rules[1].id");
    expect(m).toContain("rules[0]");
    const s = { id: "s", when: { all: [] }, solution: "full_refund", why: { zh: "因", en: "why" } };
    only({ rules: [], solutions: [s, s] }, "DUPLICATE_ID", "solutions[1].id");
  });

  test.each([["Has Spaces"], ["UPPER"], ["-starts-with-dash"], [""], ["x".repeat(65)], [12]])(
    "INVALID_ID: %j",
    (id) => {
      only(withRule({ id }), "INVALID_ID", "rules[0].id");
    },
  );

  it("UNKNOWN_KEY anywhere: the set, a rule, a condition, an action, a name, a solution", () => {
    expect(only({ rules: [], solutions: [], version: 2 }, "UNKNOWN_KEY", "version")).toContain(
      "currency, rules, solutions",
    );
    expect(only(withRule({ prio: 1 }), "UNKNOWN_KEY", "rules[0].prio")).toContain('did you mean "priority"?');
    only(
      withWhen({ field: "case.risk_score", op: "gt", value: 1, note: "x" }),
      "UNKNOWN_KEY",
      "rules[0].when.note",
    );
    only(withWhen({ all: [], comment: "x" }), "UNKNOWN_KEY", "rules[0].when.comment");
    only(withThen([{ action: "approve", note: "x" }]), "UNKNOWN_KEY", "rules[0].then[0].note");
    only(withThen([{ action: "route", queue: "q", priorty: 3 }]), "UNKNOWN_KEY", "rules[0].then[0].priorty");
    only(withRule({ name: { zh: "名", en: "Name", fr: "Nom" } }), "UNKNOWN_KEY", "rules[0].name.fr");
    only(
      {
        rules: [],
        solutions: [{ id: "s", when: { all: [] }, solution: "reject", why: { zh: "因", en: "why" }, x: 1 }],
      },
      "UNKNOWN_KEY",
      "solutions[0].x",
    );
    // A misspelt group is reported once, as the key it is, with a suggestion.
    expect(only(withWhen({ alll: [] }), "UNKNOWN_KEY", "rules[0].when.alll")).toContain(
      'did you mean "all"?',
    );
  });

  test.each([
    ["id", "rules[0].id"],
    ["name", "rules[0].name"],
    ["priority", "rules[0].priority"],
    ["when", "rules[0].when"],
    ["then", "rules[0].then"],
  ])("MISSING: a rule without %s", (key, path) => {
    const r: Record<string, unknown> = ok();
    delete r[key];
    only({ rules: [r], solutions: [] }, "MISSING", path);
  });

  it("MISSING: rules, a condition's parts, a name's language, a solution's parts", () => {
    only({ solutions: [] }, "MISSING", "rules");
    only(withWhen({ op: "eq", value: 1 }), "MISSING", "rules[0].when.field");
    only(withWhen({ field: "case.risk_score", value: 1 }), "MISSING", "rules[0].when.op");
    only(withWhen({ field: "case.risk_score", op: "eq" }), "MISSING", "rules[0].when.value");
    only(withThen([{}]), "MISSING", "rules[0].then[0].action");
    only(withRule({ name: { zh: "名" } }), "MISSING", "rules[0].name.en");
    const errors = problems({ rules: [], solutions: [{ id: "s" }] });
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ["MISSING", "solutions[0].when"],
      ["MISSING", "solutions[0].solution"],
      ["MISSING", "solutions[0].why"],
    ]);
  });

  test.each([
    ["a string", "case.reason = quality", "rules[0].when"],
    ["a list", [], "rules[0].when"],
    ["an empty object", {}, "rules[0].when"],
    ["all that is not a list", { all: { field: "case.risk_score" } }, "rules[0].when.all"],
    ["any of nothing", { any: [] }, "rules[0].when.any"],
    ["all and any at once", { all: [], any: [] }, "rules[0].when"],
    [
      "a comparison mixed with a group",
      { field: "case.risk_score", op: "gt", value: 1, not: { all: [] } },
      "rules[0].when",
    ],
    ["a null inside all", { all: [null] }, "rules[0].when.all[0]"],
  ])("INVALID_NODE: %s", (_, when, path) => {
    only(withWhen(when), "INVALID_NODE", path);
  });

  it("INVALID_NODE: conditions nested absurdly deep", () => {
    let when: unknown = { all: [] };
    for (let i = 0; i < 40; i++) when = { not: when };
    expect(problems(withWhen(when)).map((e) => e.code)).toEqual(["INVALID_NODE"]);
  });

  it("INVALID_VALUE for the wrong shape of the set itself and of rule properties", () => {
    only(null, "INVALID_VALUE", "");
    only([], "INVALID_VALUE", "");
    only({ rules: {} }, "INVALID_VALUE", "rules");
    only({ rules: [], currency: "RMB" }, "INVALID_VALUE", "currency");
    only({ rules: ["rule"] }, "INVALID_VALUE", "rules[0]");
    only(withRule({ priority: 1.5 }), "INVALID_VALUE", "rules[0].priority");
    only(withRule({ enabled: "yes" }), "INVALID_VALUE", "rules[0].enabled");
    only(withRule({ name: "" }), "INVALID_VALUE", "rules[0].name");
  });
});

describe("many problems at once", () => {
  it("reports every one with its own path, and a summary message", () => {
    const input = {
      currency: "CNY",
      rules: [
        ok(),
        {
          id: "Bad Id",
          name: "two",
          priority: 2,
          when: {
            all: [
              { field: "case.reasn", op: "eq", value: "quality" },
              { any: [{ field: "case.risk_score", op: "gte", value: "high" }] },
              { not: { field: "customer.refund_count", op: "lte", value: 2, window: 7 } },
            ],
          },
          then: [{ action: "aprove" }, { action: "route" }],
        },
        ok({ id: "r1", extra: true }),
      ],
      solutions: [{ id: "s1", when: { all: [] }, solution: "nope", why: { zh: "因" } }],
    };
    const errors = problems(input);
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ["INVALID_ID", "rules[1].id"],
      ["UNKNOWN_FIELD", "rules[1].when.all[0].field"],
      ["INVALID_VALUE", "rules[1].when.all[1].any[0].value"],
      ["INVALID_WINDOW", "rules[1].when.all[2].not.window"],
      ["UNKNOWN_ACTION", "rules[1].then[0].action"],
      ["INVALID_ACTION", "rules[1].then[1].queue"],
      ["UNKNOWN_KEY", "rules[2].extra"],
      ["DUPLICATE_ID", "rules[2].id"],
      ["INVALID_ACTION", "solutions[0].solution"],
      ["MISSING", "solutions[0].why.en"],
    ]);
    const err = expectCode(() => validateRuleSet(input), "RULES_INVALID");
    expect(err.message).toMatch(/^The rule set has 10 problems: rules\[1\]\.id: /);
    expect(err.message).toContain("and 5 more");
  });

  it("never throws anything but RULES_INVALID, whatever it is given", () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          validateRuleSet(input);
        } catch (err) {
          expect((err as { code?: string }).code).toBe("RULES_INVALID");
        }
      }),
      { numRuns: 300 },
    );
  });
});
