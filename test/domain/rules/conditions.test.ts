import { describe, expect, it, test } from "vitest";
import {
  CASE_SOURCES,
  CASE_TYPES,
  CUSTOMER_TIERS,
  PARCEL_STATES,
  REASON_CODES,
} from "../../../src/domain/catalogue.ts";
import { CHANNELS } from "../../../src/domain/order.ts";
import { defineCondition } from "../../../src/domain/rules/condition.ts";
import { CONDITION_FIELDS, CONDITIONS, conditionFor } from "../../../src/domain/rules/conditions/index.ts";
import type { LeafNode } from "../../../src/domain/rules/definition.ts";
import type { CaseFacts } from "../../../src/domain/rules/facts.ts";
import { facts, perWindow } from "./facts-builder.ts";
import { matches } from "./rule-builder.ts";

/** Every field the rule editor offers, as merchants write them. */
const REQUIRED_FIELDS = [
  "case.type",
  "case.reason",
  "case.source",
  "case.requested_amount",
  "case.quoted_amount",
  "case.item_count",
  "case.whole_order",
  "case.has_evidence",
  "case.submitted_hour",
  "case.risk_score",
  "case.tags",
  "case.cases_on_order",
  "order.amount",
  "order.shop",
  "order.channel",
  "order.days_since_payment",
  "order.days_since_shipment",
  "order.days_since_delivery",
  "parcel.status",
  "customer.tier",
  "customer.credit_score",
  "customer.refund_count",
  "customer.refund_rate",
  "customer.tags",
  "product.sku",
  "product.category",
  "product.policy",
];

describe("the condition registry", () => {
  it("offers every field, once each", () => {
    expect([...CONDITION_FIELDS].sort()).toEqual([...REQUIRED_FIELDS].sort());
  });

  it("gives every field and every enum value a Chinese and an English label", () => {
    for (const c of CONDITIONS) {
      expect(c.label.zh, c.field).not.toBe("");
      expect(c.label.en, c.field).not.toBe("");
      for (const [code, label] of Object.entries(c.values ?? {})) {
        expect(label.zh, `${c.field}=${code}`).not.toBe("");
        expect(label.en, `${c.field}=${code}`).not.toBe("");
      }
    }
  });

  test.each([
    ["case.type", CASE_TYPES],
    ["case.reason", REASON_CODES],
    ["case.source", CASE_SOURCES],
    ["order.channel", CHANNELS],
    ["parcel.status", Object.keys(PARCEL_STATES)],
    ["customer.tier", CUSTOMER_TIERS],
  ])("%s knows exactly the catalogue's values", (field, codes) => {
    expect(Object.keys(conditionFor(field)?.values ?? {}).sort()).toEqual([...codes].sort());
  });

  it("windows only the customer's history, 90 days unless a rule says otherwise", () => {
    const windowed = CONDITIONS.filter((c) => c.windows.length > 0).map((c) => c.field);
    expect(windowed.sort()).toEqual(["customer.refund_count", "customer.refund_rate"]);
    expect(conditionFor("customer.refund_count")?.windows).toEqual([30, 90, 365]);
    expect(conditionFor("customer.refund_count")?.defaultWindow).toBe(90);
  });

  it("marks exactly the fields that can be unknown as nullable", () => {
    const nullable = CONDITIONS.filter((c) => c.nullable).map((c) => c.field);
    expect(nullable.sort()).toEqual([
      "case.requested_amount",
      "customer.credit_score",
      "order.days_since_delivery",
      "order.days_since_payment",
      "order.days_since_shipment",
    ]);
  });

  it("refuses a malformed definition when the module loads", () => {
    const base = { label: { zh: "x", en: "x" }, get: () => 1 };
    expect(() => defineCondition({ ...base, field: "Case Type", type: "number" })).toThrow(/dotted/);
    expect(() => defineCondition({ ...base, field: "case.x", type: "enum", get: () => "a" })).toThrow(
      /values/,
    );
    expect(() =>
      defineCondition({ ...base, field: "case.x", type: "number", windows: [30, 90], defaultWindow: 365 }),
    ).toThrow(/default window/);
    expect(() =>
      defineCondition({ ...base, field: "case.x", type: "boolean", nullable: true, get: () => true }),
    ).toThrow(/nullable/);
  });
});

/** [field, op, value, window, a case that matches, a case that does not]. */
type Row = [string, string, unknown, number | undefined, Partial<CaseFacts>, Partial<CaseFacts>];

const ROWS: Row[] = [
  ["case.type", "eq", "return_refund", undefined, { caseType: "return_refund" }, { caseType: "refund_only" }],
  ["case.reason", "eq", "damaged", undefined, { reason: "damaged" }, { reason: "quality" }],
  ["case.source", "eq", "chat", undefined, { source: "chat" }, { source: "platform" }],
  ["case.requested_amount", "lte", "20.00", undefined, { requestedAmount: 2000 }, { requestedAmount: 2001 }],
  ["case.quoted_amount", "gt", "100", undefined, { quotedAmount: 10001 }, { quotedAmount: 10000 }],
  ["case.item_count", "gte", 3, undefined, { itemCount: 3 }, { itemCount: 2 }],
  ["case.whole_order", "eq", true, undefined, { wholeOrder: true }, { wholeOrder: false }],
  ["case.has_evidence", "eq", false, undefined, { hasEvidence: false }, { hasEvidence: true }],
  ["case.submitted_hour", "between", [0, 6], undefined, { submittedHour: 3 }, { submittedHour: 7 }],
  ["case.risk_score", "gte", 70, undefined, { riskScore: 70 }, { riskScore: 69 }],
  ["case.tags", "contains", "urgent", undefined, { tags: ["urgent"] }, { tags: ["calm"] }],
  ["case.cases_on_order", "gt", 0, undefined, { casesOnOrder: 1 }, { casesOnOrder: 0 }],
  ["order.amount", "gte", "500", undefined, { orderAmount: 50000 }, { orderAmount: 49999 }],
  ["order.shop", "eq", "shop-2", undefined, { shop: "shop-2" }, { shop: "shop-1" }],
  ["order.channel", "in", ["jd", "pdd"], undefined, { channel: "pdd" }, { channel: "taobao" }],
  ["order.days_since_payment", "gt", 15, undefined, { daysSincePayment: 15.5 }, { daysSincePayment: 15 }],
  ["order.days_since_shipment", "lte", 3, undefined, { daysSinceShipment: 3 }, { daysSinceShipment: 3.01 }],
  ["order.days_since_delivery", "lte", 7, undefined, { daysSinceDelivery: 6.9 }, { daysSinceDelivery: 7.5 }],
  ["parcel.status", "eq", "unshipped", undefined, { parcel: "unshipped" }, { parcel: "in_transit" }],
  ["customer.tier", "eq", "vip", undefined, { customerTier: "vip" }, { customerTier: "normal" }],
  ["customer.credit_score", "lt", 400, undefined, { creditScore: 399 }, { creditScore: 400 }],
  [
    "customer.refund_count",
    "gte",
    2,
    30,
    { customerRefunds: perWindow(2, 2, 2) },
    { customerRefunds: perWindow(1, 5, 9) },
  ],
  [
    "customer.refund_rate",
    "gt",
    0.5,
    365,
    { customerRefundRate: perWindow(0, 0, 0.6) },
    { customerRefundRate: perWindow(0.9, 0.9, 0.5) },
  ],
  [
    "customer.tags",
    "contains",
    "blacklist",
    undefined,
    { customerTags: ["blacklist"] },
    { customerTags: [] },
  ],
  [
    "product.sku",
    "contains_any",
    ["SKU-9", "SKU-8"],
    undefined,
    { skus: ["SKU-1", "SKU-8"] },
    { skus: ["SKU-1"] },
  ],
  ["product.category", "contains", "food", undefined, { categories: ["food"] }, { categories: ["apparel"] }],
  [
    "product.policy",
    "contains",
    "fresh",
    undefined,
    { policies: ["cross_border", "fresh"] },
    { policies: ["customised"] },
  ],
];

describe("each field reads its fact", () => {
  it("has a row for every field", () => {
    expect(ROWS.map((r) => r[0]).sort()).toEqual([...REQUIRED_FIELDS].sort());
  });

  test.each(ROWS)("%s %s %j", (field, op, value, window, yes, no) => {
    const node: LeafNode = { field, op, value };
    if (window !== undefined) node.window = window;
    expect(matches(node, facts(yes))).toBe(true);
    expect(matches(node, facts(no))).toBe(false);
  });
});

describe("windows", () => {
  const counts = { customerRefunds: perWindow(1, 3, 8) };

  test.each([
    [30, 1],
    [90, 3],
    [365, 8],
  ])("the %i-day window counts %i refunds", (window, count) => {
    expect(matches({ field: "customer.refund_count", window, op: "eq", value: count }, facts(counts))).toBe(
      true,
    );
    expect(
      matches({ field: "customer.refund_count", window, op: "eq", value: count + 1 }, facts(counts)),
    ).toBe(false);
  });

  it("uses 90 days when the rule names no window", () => {
    expect(matches({ field: "customer.refund_count", op: "eq", value: 3 }, facts(counts))).toBe(true);
    expect(
      matches(
        { field: "customer.refund_rate", op: "gte", value: 0.4 },
        facts({ customerRefundRate: perWindow(0, 0.4, 0) }),
      ),
    ).toBe(true);
    expect(
      matches(
        { field: "customer.refund_rate", op: "gte", value: 0.4 },
        facts({ customerRefundRate: perWindow(0.9, 0.3, 0.9) }),
      ),
    ).toBe(false);
  });
});

describe("unknown values", () => {
  test.each([
    ["case.requested_amount", "0", { requestedAmount: null }],
    ["order.days_since_payment", 0, { daysSincePayment: null }],
    ["order.days_since_shipment", 0, { daysSinceShipment: null }],
    ["order.days_since_delivery", 0, { daysSinceDelivery: null }],
    ["customer.credit_score", 0, { creditScore: null }],
  ] as [string, unknown, Partial<CaseFacts>][])(
    "%s: an unknown value passes no comparison",
    (field, value, over) => {
      for (const op of ["eq", "ne", "gt", "gte", "lt", "lte"]) {
        expect(matches({ field, op, value }, facts(over)), op).toBe(false);
      }
      expect(matches({ field, op: "between", value: [value, value] }, facts(over))).toBe(false);
      expect(matches({ field, op: "exists", value: false }, facts(over))).toBe(true);
      expect(matches({ field, op: "exists", value: true }, facts(over))).toBe(false);
    },
  );

  it("a known value exists", () => {
    expect(matches({ field: "order.days_since_delivery", op: "exists", value: true }, facts())).toBe(true);
    expect(matches({ field: "order.days_since_delivery", op: "exists", value: false }, facts())).toBe(false);
  });
});
