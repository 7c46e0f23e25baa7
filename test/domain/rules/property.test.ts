// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CASE_SOURCES,
  CASE_TYPES,
  CUSTOMER_TIERS,
  PARCEL_STATES,
  POLICY_CODES,
  REASON_CODES,
} from "../../../src/domain/catalogue.ts";
import { formatMinor } from "../../../src/domain/money.ts";
import { CHANNELS } from "../../../src/domain/order.ts";
import type { ActionDefinition } from "../../../src/domain/rules/actions.ts";
import type { Condition } from "../../../src/domain/rules/condition.ts";
import { CONDITIONS } from "../../../src/domain/rules/conditions/index.ts";
import {
  type ConditionNode,
  type LeafNode,
  type RuleDefinition,
  type RuleSetDefinition,
  validateRuleSet,
} from "../../../src/domain/rules/definition.ts";
import { compileRuleSet } from "../../../src/domain/rules/evaluate.ts";
import { explainDecision } from "../../../src/domain/rules/explain.ts";
import type { CaseFacts, PerWindow } from "../../../src/domain/rules/facts.ts";
import { operatorFor, operatorsOf } from "../../../src/domain/rules/operators.ts";

/** Small pools, so random conditions and random cases meet often. */
const TAGS = ["a", "b", "c"];
const SHOPS = ["shop-0", "shop-1", "shop-2"];
const SKUS = ["SKU-1", "SKU-2", "SKU-3"];
const CATEGORIES = ["food", "apparel", "toys"];

const small = fc.integer({ min: 0, max: 10 });
const days = fc.option(fc.double({ min: 0, max: 30, noNaN: true }), { nil: null });
const perWindow = (arb: fc.Arbitrary<number>): fc.Arbitrary<PerWindow> =>
  fc.record({ 30: arb, 90: arb, 365: arb });
const subset = <T>(xs: readonly T[]) => fc.subarray([...xs]);

const factsArb: fc.Arbitrary<CaseFacts> = fc.record({
  caseType: fc.constantFrom(...CASE_TYPES),
  reason: fc.constantFrom(...REASON_CODES),
  source: fc.constantFrom(...CASE_SOURCES),
  shop: fc.constantFrom(...SHOPS),
  channel: fc.constantFrom(...CHANNELS),
  currency: fc.constantFrom("CNY", "CNY", "CNY", "USD"),
  requestedAmount: fc.option(fc.integer({ min: 0, max: 20000 }), { nil: null }),
  quotedAmount: fc.integer({ min: 0, max: 20000 }),
  orderAmount: fc.integer({ min: 0, max: 50000 }),
  itemCount: fc.integer({ min: 1, max: 5 }),
  wholeOrder: fc.boolean(),
  daysSincePayment: days,
  daysSinceShipment: days,
  daysSinceDelivery: days,
  parcel: fc.constantFrom(...(Object.keys(PARCEL_STATES) as CaseFacts["parcel"][])),
  customerTier: fc.constantFrom(...CUSTOMER_TIERS),
  creditScore: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
  customerRefunds: perWindow(small),
  customerRefundRate: perWindow(fc.double({ min: 0, max: 1, noNaN: true })),
  customerTags: subset(TAGS),
  skus: subset(SKUS),
  categories: subset(CATEGORIES),
  policies: subset(POLICY_CODES),
  casesOnOrder: fc.integer({ min: 0, max: 4 }),
  hasEvidence: fc.boolean(),
  submittedHour: fc.integer({ min: 0, max: 23 }),
  riskScore: fc.integer({ min: 0, max: 100 }),
  tags: subset(TAGS),
});

/** A value a condition on `cond` may compare with. */
function scalarArb(cond: Condition): fc.Arbitrary<unknown> {
  switch (cond.type) {
    case "number":
      return fc.integer({ min: 0, max: 100 });
    case "days":
      return fc.integer({ min: 0, max: 30 });
    case "ratio":
      return fc.constantFrom(0, 0.1, 0.25, 0.5, 0.9, 1);
    case "amount":
      return fc.integer({ min: 0, max: 20000 }).map((minor) => formatMinor(minor, "CNY"));
    case "boolean":
      return fc.boolean();
    case "string":
      return fc.constantFrom(...SHOPS);
    case "enum":
    case "set": {
      if (cond.values) return fc.constantFrom(...Object.keys(cond.values));
      const pool =
        cond.field === "product.sku" ? SKUS : cond.field === "product.category" ? CATEGORIES : TAGS;
      return fc.constantFrom(...pool);
    }
  }
}

const leafArb: fc.Arbitrary<LeafNode> = fc
  .constantFrom(...CONDITIONS)
  .chain((cond) => fc.tuple(fc.constant(cond), fc.constantFrom(...operatorsOf(cond))))
  .chain(([cond, op]) => {
    const operator = operatorFor(cond.type, op);
    const scalar = scalarArb(cond);
    let value: fc.Arbitrary<unknown>;
    switch (operator?.operand) {
      case "range":
        value = fc.tuple(scalar, scalar).map(([a, b]) => {
          const key = (x: unknown) => (typeof x === "string" ? Number(x) : (x as number));
          return key(a) <= key(b) ? [a, b] : [b, a];
        });
        break;
      case "list":
        value = fc.array(scalar, { minLength: 1, maxLength: 3 });
        break;
      case "flag":
        value = fc.boolean();
        break;
      default:
        value = scalar;
    }
    const window =
      cond.windows.length > 0
        ? fc.option(fc.constantFrom(...cond.windows), { nil: undefined })
        : fc.constant(undefined);
    return fc.tuple(value, window).map(([v, w]) => {
      const node: LeafNode = { field: cond.field, op, value: v };
      if (w !== undefined) node.window = w;
      return node;
    });
  });

const nodeArb: fc.Arbitrary<ConditionNode> = fc.letrec<{ node: ConditionNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthIdentifier: "node" },
    { arbitrary: leafArb, weight: 4 },
    { arbitrary: fc.array(tie("node"), { maxLength: 3 }).map((all) => ({ all })), weight: 1 },
    { arbitrary: fc.array(tie("node"), { minLength: 1, maxLength: 3 }).map((any) => ({ any })), weight: 1 },
    { arbitrary: tie("node").map((not) => ({ not })), weight: 1 },
  ),
})).node;

const outcomeArb: fc.Arbitrary<ActionDefinition[]> = fc.oneof(
  fc.constant([]),
  fc.constant([{ action: "approve" }]),
  fc.constant([{ action: "reject", reason: "duplicate" }]),
  fc.constantFrom("risk", "vip").map((queue) => [{ action: "route", queue, priority: 70 }]),
) as fc.Arbitrary<ActionDefinition[]>;

const extraArb: fc.Arbitrary<ActionDefinition[]> = fc.subarray([
  { action: "set_sla", hours: 24 },
  { action: "add_tags", tags: ["x"] },
  { action: "require_evidence", kinds: ["video"] },
  { action: "recommend", solution: "full_refund" },
] as ActionDefinition[]);

const ruleSetArb: fc.Arbitrary<RuleSetDefinition> = fc
  .array(
    fc.record({
      priority: fc.integer({ min: -2, max: 3 }),
      enabled: fc.constantFrom(true, true, true, false),
      when: nodeArb,
      outcome: outcomeArb,
      extra: extraArb,
    }),
    { maxLength: 7 },
  )
  .chain((rules) =>
    fc
      .array(fc.record({ priority: fc.integer({ min: 0, max: 2 }), when: nodeArb }), { maxLength: 3 })
      .map((solutions) => ({
        rules: rules.map(
          (r, i): RuleDefinition => ({
            id: `r${i}`,
            name: `Rule ${i}`,
            priority: r.priority,
            enabled: r.enabled,
            when: r.when,
            // Every rule needs an action; one that would be empty only tags.
            then:
              [...r.outcome, ...r.extra].length > 0
                ? [...r.outcome, ...r.extra]
                : [{ action: "add_tags", tags: ["y"] }],
          }),
        ),
        solutions: solutions.map((s, i) => ({
          id: `s${i}`,
          priority: s.priority,
          when: s.when,
          solution: "reject" as const,
          why: { zh: "因", en: "why" },
        })),
      })),
  );

describe("properties", () => {
  it("decide agrees with evaluate on outcome, deciding rule and matched rules; evaluation is deterministic", () => {
    fc.assert(
      fc.property(ruleSetArb, fc.array(factsArb, { minLength: 1, maxLength: 8 }), (def, cases) => {
        const compiled = compileRuleSet(def, 3);
        const matched = new Uint8Array(compiled.rules.length);
        for (const f of cases) {
          const full = compiled.evaluate(f);
          const fast = compiled.decide(f, matched);
          const quick = compiled.decide(f);
          expect(fast.outcome).toBe(full.outcome);
          expect(fast.rule === -1 ? null : compiled.rules[fast.rule]?.id).toBe(full.decidedBy);
          expect(quick).toEqual(fast);
          const ids = compiled.order.filter((i) => matched[i] === 1).map((i) => compiled.rules[i]?.id);
          expect(ids).toEqual(full.matched.map((m) => m.id));
          expect(compiled.evaluate(structuredClone(f))).toEqual(full);
          expect(compileRuleSet(def, 3).evaluate(f)).toEqual(full);
          for (const lang of ["zh", "en"] as const) expect(explainDecision(full, lang)[0]).toMatch(/\S/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a decision is the outcome of the first matched enabled deciding rule by priority", () => {
    fc.assert(
      fc.property(ruleSetArb, factsArb, (def, f) => {
        const compiled = compileRuleSet(def, 1);
        const d = compiled.evaluate(f);
        const byPriority = def.rules
          .map((r, i) => ({ r, i }))
          .filter(({ r }) => r.enabled !== false)
          .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i);
        const decider = byPriority.find(
          ({ r }) =>
            r.then.some((a) => ["approve", "reject", "route"].includes(a.action)) &&
            d.matched.some((m) => m.id === r.id),
        );
        expect(d.decidedBy).toBe(decider?.r.id ?? null);
        expect(d.matched.map((m) => m.id)).toEqual(
          byPriority.filter(({ r }) => d.matched.some((m) => m.id === r.id)).map(({ r }) => r.id),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("validation is idempotent and survives a JSON round trip", () => {
    fc.assert(
      fc.property(ruleSetArb, (def) => {
        const once = validateRuleSet(def);
        expect(validateRuleSet(once)).toEqual(once);
        expect(validateRuleSet(JSON.parse(JSON.stringify(once)))).toEqual(once);
      }),
      { numRuns: 200 },
    );
  });
});
