// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepAutoReview } from "../../src/flows/auto-review.ts";
import type { Actor } from "../../src/flows/context.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { receiveReturn } from "../../src/flows/receive-return.ts";
import { recordTracking } from "../../src/flows/record-tracking.ts";
import { approveCase, overrideDecision } from "../../src/flows/review-case.ts";
import { activateRules, compiledVersion, createRuleDraft, updateRuleDraft } from "../../src/flows/rules.ts";
import { setPolicies, setShopReview } from "../../src/flows/settings.ts";
import { recordReturnShipment } from "../../src/flows/shipments.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { orderLines } from "../../src/store/orders.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, codeOf, REVIEWER, sampleOrder, snapshot } from "../support/fixtures.ts";

const SUPERVISOR: Actor = { kind: "user", id: "supervisor" };
const SECOND: Actor = { kind: "user", id: "reviewer-2" };

/** A small rule set exercising every kind of outcome; amounts in CNY. */
const RULES = {
  rules: [
    {
      id: "no-return-policy",
      name: { zh: "定制商品不支持无理由", en: "Customised goods: no change-of-mind returns" },
      priority: 90,
      when: {
        all: [
          { field: "case.reason", op: "eq", value: "changed_mind" },
          { field: "product.policy", op: "contains_any", value: ["customised", "no_7day_return"] },
        ],
      },
      then: [{ action: "reject", reason: "policy_excludes" }],
    },
    {
      id: "signed-not-received",
      name: "Signed but claimed not received",
      priority: 85,
      when: {
        all: [
          { field: "case.reason", op: "eq", value: "not_received" },
          { field: "parcel.status", op: "eq", value: "signed" },
        ],
      },
      then: [
        { action: "route", queue: "logistics", priority: 70 },
        { action: "require_evidence", kinds: ["photo"] },
      ],
    },
    {
      id: "vip-lane",
      name: { zh: "VIP 快速通道", en: "VIP fast lane" },
      priority: 80,
      when: { field: "customer.tier", op: "eq", value: "vip" },
      then: [
        { action: "route", queue: "vip", priority: 90 },
        { action: "set_sla", hours: 4 },
        { action: "add_tags", tags: ["vip"] },
      ],
    },
    {
      id: "small-refund-only",
      name: { zh: "小额仅退款自动同意", en: "Small refund-only auto-approve" },
      priority: 50,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "refund_only" },
          { field: "case.quoted_amount", op: "lte", value: "100.00" },
          { field: "case.reason", op: "in", value: ["quality", "damaged"] },
        ],
      },
      then: [{ action: "approve" }],
    },
    {
      id: "everything",
      name: "Default SLA",
      priority: 0,
      when: { all: [] },
      then: [{ action: "set_sla", hours: 48 }],
    },
  ],
  solutions: [
    {
      id: "lost-parcel",
      when: { field: "case.reason", op: "eq", value: "logistics_lost" },
      solution: "reship_or_refund",
      why: { zh: "包裹丢失，让顾客选择补发或退款", en: "The parcel is lost: offer a reship or a refund" },
    },
  ],
};

let env: TestEnv;
let version: number;
let orderNo = 0;

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx);
  const draft = await createRuleDraft(env.ctx, SUPERVISOR, { definition: RULES, note: "test rules" });
  version = draft.version;
  await activateRules(env.ctx, SUPERVISOR, version);
});
afterAll(() => env.close());

async function order(over: Parameters<typeof sampleOrder>[0] = {}) {
  orderNo++;
  const input = sampleOrder({ externalId: `AR${orderNo}`, ...over });
  const { id } = await ingestOrder(env.ctx, input);
  return { orderId: id, lines: await orderLines(env.ctx.db, id), input };
}

const events = (caseId: number) =>
  env.ctx.db.selectFrom("case_events").selectAll().where("case_id", "=", caseId).orderBy("id").execute();
const kase = (caseId: number) =>
  env.ctx.db.selectFrom("cases").selectAll().where("id", "=", caseId).executeTakeFirstOrThrow();

describe("automatic review on submission", () => {
  it("approves a small refund_only case by rule and refunds it at once, explaining why", async () => {
    const { orderId, lines } = await order();
    const res = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: lines[1]?.id as number, quantity: 1 }], // the 59.90 cap, less its coupon share
    });
    expect(res.review?.applied).toBe("approve");
    expect(res.review?.decision.decidedBy).toBe("small-refund-only");
    expect(res.review?.refundId).toBeGreaterThan(0);
    expect(res.status).toBe("refunded");
    const timeline = await events(res.id);
    const approve = timeline.find((e) => e.action === "approve");
    expect(approve?.actor).toBe(`rule:small-refund-only@v${version}`);
    expect(approve?.note).toContain("小额仅退款自动同意");
    expect(timeline.find((e) => e.action === "grant_refund")?.actor).toBe(
      `rule:small-refund-only@v${version}`,
    );
    const d = await env.ctx.db
      .selectFrom("case_decisions")
      .selectAll()
      .where("case_id", "=", res.id)
      .execute();
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      trigger: "submitted",
      rule_version: version,
      outcome: "approve",
      applied: "approve",
    });
    const c = await kase(res.id);
    expect(c.decision_id).toBe(d[0]?.id);
    // The catch-all rule matched too: its SLA is on the case.
    expect(c.sla_due_at?.getTime()).toBe(env.clock.now.getTime() + 48 * 3_600_000);
  });

  it("does not refund at once above the shop's auto-refund limit, but still approves", async () => {
    await setShopReview(env.ctx, "tmall-1", { autoRefundLimit: "10.00" });
    try {
      const { orderId, lines } = await order();
      const res = await submitCase(env.ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "damaged",
        source: "chat",
        items: [{ lineId: lines[1]?.id as number, quantity: 1 }],
      });
      expect(res.review?.applied).toBe("approve");
      expect(res.review?.refundId).toBeUndefined();
      expect(res.status).toBe("approved");
    } finally {
      await setShopReview(env.ctx, "tmall-1", { autoRefundLimit: "200.00" });
    }
  });

  it("rejects by rule with the reason the customer will read, and a person can override it", async () => {
    await setPolicies(env.ctx, "sku", "MUG-CUSTOM", ["customised"]);
    const { orderId, lines } = await order({
      lines: [{ externalId: "L1", sku: "MUG-CUSTOM", title: "定制马克杯", quantity: 1, unitPrice: "39.00" }],
      discounts: [],
      shippingFee: "0.00",
      payments: [{ tender: "alipay", amount: "39.00" }],
    });
    const res = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "return_refund",
      reason: "changed_mind",
      source: "platform",
      items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
    });
    expect(res.status).toBe("rejected");
    const reject = (await events(res.id)).find((e) => e.action === "reject");
    expect(reject?.actor).toBe(`rule:no-return-policy@v${version}`);
    expect(reject?.note).toContain("该商品不支持此售后");
    const order0 = await env.ctx.db
      .selectFrom("orders")
      .selectAll()
      .where("id", "=", orderId)
      .executeTakeFirstOrThrow();
    expect(order0.aftersales_status).toBe("closed");

    // The person decides otherwise; the timeline keeps the rule's decision and the override.
    const over = await overrideDecision(env.ctx, REVIEWER, res.id, {
      decision: "approve",
      note: "客户说明是刻错了字，我们的责任",
    });
    expect(over.status).toBe("awaiting_return");
    const timeline = await events(res.id);
    const reopen = timeline.find((e) => e.action === "reopen");
    expect(reopen?.actor).toBe("user:reviewer-1");
    expect(reopen?.data).toMatchObject({
      override: true,
      overrides: { action: "reject", actor: reject?.actor },
    });
    expect(timeline.at(-1)).toMatchObject({
      action: "approve",
      actor: "user:reviewer-1",
      to_status: "awaiting_return",
    });
    const order1 = await env.ctx.db
      .selectFrom("orders")
      .selectAll()
      .where("id", "=", orderId)
      .executeTakeFirstOrThrow();
    expect(order1.aftersales_status).toBe("in_progress");

    // A person's decision is not a rule's: nothing to override now, and nothing changes trying.
    const before = await snapshot(env.ctx);
    expect(await codeOf(overrideDecision(env.ctx, SECOND, res.id, { decision: "reject", note: "no" }))).toBe(
      "NOTHING_TO_OVERRIDE",
    );
    expect(await snapshot(env.ctx)).toEqual(before);
  });

  it("lets a person revoke a rule's approval before the refund went out, but not the same decision twice", async () => {
    await setShopReview(env.ctx, "tmall-1", { autoRefundLimit: null });
    try {
      const { orderId, lines } = await order();
      const res = await submitCase(env.ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[1]?.id as number, quantity: 1 }],
      });
      expect(res.status).toBe("approved");
      expect(
        await codeOf(overrideDecision(env.ctx, REVIEWER, res.id, { decision: "approve", note: "yes" })),
      ).toBe("OVERRIDE_SAME_DECISION");
      expect(
        await codeOf(overrideDecision(env.ctx, REVIEWER, res.id, { decision: "reject", note: " " })),
      ).toBe("NOTE_REQUIRED");
      const over = await overrideDecision(env.ctx, REVIEWER, res.id, {
        decision: "reject",
        note: "照片显示完好",
      });
      expect(over.status).toBe("rejected");
      const timeline = await events(res.id);
      expect(timeline.map((e) => e.action)).toEqual(["submit", "approve", "revoke", "reject"]);
    } finally {
      await setShopReview(env.ctx, "tmall-1", { autoRefundLimit: "200.00" });
    }
  });

  it("puts VIP customers in the fast lane: their queue, a higher priority and a short SLA", async () => {
    const { orderId, lines } = await order({ customer: { id: "vip-1", name: "李女士", tier: "vip" } });
    const res = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "return_refund",
      reason: "size_fit",
      source: "chat",
      items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
    });
    expect(res.status).toBe("requested");
    const c = await kase(res.id);
    expect(c).toMatchObject({ queue: "vip", priority: 90, tags: ["vip"] });
    expect(c.sla_due_at?.getTime()).toBe(c.created_at.getTime() + 4 * 3_600_000);
  });

  it("leaves everything to people when no rule set is active, still scoring risk", async () => {
    const other = await testEnv();
    try {
      await addShop(other.ctx);
      const { id } = await ingestOrder(other.ctx, sampleOrder({ externalId: "NORULES" }));
      const lines = await orderLines(other.ctx.db, id);
      const res = await submitCase(other.ctx, REVIEWER, {
        orderId: id,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[1]?.id as number, quantity: 1 }],
      });
      expect(res.status).toBe("requested");
      expect(res.review?.decision.outcome).toBe("manual");
      const d = await other.ctx.db.selectFrom("case_decisions").selectAll().executeTakeFirstOrThrow();
      expect(d.rule_version).toBeNull();
      expect(d.risk).toMatchObject({ score: 0, level: "low" });
    } finally {
      await other.close();
    }
  });
});

describe("maker–checker", () => {
  it("needs two different people above the shop's threshold, and never lets a rule approve alone", async () => {
    await setShopReview(env.ctx, "tmall-1", { secondApprovalAbove: "50.00" });
    try {
      const { orderId, lines } = await order();
      // The rule would approve this 59.90-line case, but it is above 50.00: two people must.
      const res = await submitCase(env.ctx, REVIEWER, {
        orderId,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[1]?.id as number, quantity: 1 }],
      });
      expect(res.status).toBe("requested");
      expect((await kase(res.id)).queue).toBe("approval");

      const first = await approveCase(env.ctx, REVIEWER, res.id);
      expect(first).toMatchObject({ status: "requested", awaitingSecondApproval: true });
      expect(await codeOf(approveCase(env.ctx, REVIEWER, res.id))).toBe("SECOND_APPROVER_REQUIRED");
      const second = await approveCase(env.ctx, SECOND, res.id);
      expect(second).toMatchObject({ status: "approved", firstApproval: "user:reviewer-1" });
      const timeline = await events(res.id);
      expect(timeline.map((e) => [e.action, e.actor])).toEqual([
        ["submit", "user:reviewer-1"],
        ["first_approval", "user:reviewer-1"],
        ["approve", "user:reviewer-2"],
      ]);

      // Below the threshold one person is enough.
      const small = await order();
      const s = await submitCase(env.ctx, REVIEWER, {
        orderId: small.orderId,
        type: "return_refund",
        reason: "size_fit",
        source: "chat",
        items: [{ lineId: small.lines[1]?.id as number, quantity: 1 }],
        requestedAmount: "30.00",
      });
      expect((await approveCase(env.ctx, REVIEWER, s.id)).status).toBe("awaiting_return");
    } finally {
      await setShopReview(env.ctx, "tmall-1", { secondApprovalAbove: null });
    }
  });
});

describe("re-evaluation when facts change", () => {
  it("looks again when the parcel is signed for, and routes 'not received' to logistics", async () => {
    const { orderId, lines, input } = await order({
      shipments: [
        {
          carrier: "SF",
          trackingNo: `SFR${orderNo + 1}`,
          status: "in_transit",
          shippedAt: "2026-10-21T10:00:00Z",
        },
      ],
    });
    const res = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "not_received",
      source: "chat",
      items: [{ lineId: lines[0]?.id as number, quantity: 2 }],
    });
    expect(res.status).toBe("requested");
    expect((await kase(res.id)).queue).toBe("default");
    const tracking = input.shipments?.[0]?.trackingNo as string;
    env.clock.advance(60_000);
    const t = await recordTracking(env.ctx, {
      carrier: "SF",
      trackingNo: tracking,
      events: [
        { at: "2026-10-22T09:00:00Z", status: "in_transit", description: "深圳转运中心发出" },
        {
          at: "2026-10-23T15:30:00Z",
          status: "delivered",
          description: "已签收，签收人：本人",
          location: "上海",
        },
      ],
    });
    expect(t).toMatchObject({ added: 2, status: "delivered", reviewed: [res.id] });
    const c = await kase(res.id);
    expect(c).toMatchObject({ queue: "logistics", evidence_required: true });
    const decisions = await env.ctx.db
      .selectFrom("case_decisions")
      .select(["trigger", "decided_by"])
      .where("case_id", "=", res.id)
      .orderBy("id")
      .execute();
    expect(decisions).toEqual([
      { trigger: "submitted", decided_by: null },
      { trigger: "parcel_signed", decided_by: "signed-not-received" },
    ]);
    // The same scans again change nothing and review nothing.
    expect(
      await recordTracking(env.ctx, {
        carrier: "SF",
        trackingNo: tracking,
        events: [{ at: "2026-10-23T15:30:00Z", status: "delivered", description: "已签收，签收人：本人" }],
      }),
    ).toMatchObject({ added: 0, reviewed: [] });
  });

  it("records a new decision when the return arrives, without acting on a case past review", async () => {
    const { orderId, lines } = await order();
    const res = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "return_refund",
      reason: "size_fit",
      source: "chat",
      items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
    });
    await approveCase(env.ctx, REVIEWER, res.id);
    await recordReturnShipment(env.ctx, REVIEWER, res.id, { carrier: "YTO", trackingNo: "YT1" });
    await receiveReturn(env.ctx, REVIEWER, res.id, { quantity: 1, condition: "intact" });
    const decisions = await env.ctx.db
      .selectFrom("case_decisions")
      .select(["trigger", "applied"])
      .where("case_id", "=", res.id)
      .orderBy("id")
      .execute();
    expect(decisions).toEqual([
      { trigger: "submitted", applied: null },
      { trigger: "return_received", applied: null },
    ]);
    expect((await kase(res.id)).status).toBe("received");
  });

  it("rejects unknown parcels and bad statuses without changing anything", async () => {
    const before = await snapshot(env.ctx);
    expect(await codeOf(recordTracking(env.ctx, { carrier: "SF", trackingNo: "NOPE", events: [] }))).toBe(
      "TRACKING_NOT_FOUND",
    );
    expect(
      await codeOf(
        recordTracking(env.ctx, {
          carrier: "SF",
          trackingNo: "SF1000",
          events: [{ at: "2026-10-22T09:00:00Z", status: "teleported" as never, description: "?" }],
        }),
      ),
    ).toBe("INVALID_STATUS");
    expect(await snapshot(env.ctx)).toEqual(before);
  });
});

describe("rule versions", () => {
  it("keeps versions that went live immutable and explains invalid definitions", async () => {
    expect(await codeOf(updateRuleDraft(env.ctx, version, { definition: RULES }))).toBe(
      "RULE_VERSION_NOT_DRAFT",
    );
    const err = await createRuleDraft(env.ctx, SUPERVISOR, {
      definition: {
        rules: [
          {
            id: "x",
            name: "x",
            priority: 1,
            when: { field: "case.reasn", op: "eq", value: "quality" },
            then: [{ action: "approve" }],
          },
        ],
        solutions: [],
      },
    }).catch((e) => e);
    expect(err.code).toBe("RULES_INVALID");
    expect(err.details.errors[0]).toMatchObject({ path: "rules[0].when.field", code: "UNKNOWN_FIELD" });
    expect(err.details.errors[0].message).toContain("case.reason");
    const rows = await env.ctx.db.selectFrom("rule_versions").select("version").execute();
    expect(rows).toHaveLength(1);
  });

  it("judges by each database's own rules, though two in one process both have a version 1", async () => {
    await compiledVersion(env.ctx, version); // this database's version 1, compiled and kept
    const other = await testEnv();
    try {
      await addShop(other.ctx);
      const draft = await createRuleDraft(other.ctx, SUPERVISOR, {
        definition: {
          rules: [
            {
              id: "all-to-people",
              name: "All to people",
              priority: 1,
              when: { all: [] },
              then: [{ action: "route", queue: "elsewhere" }],
            },
          ],
        },
      });
      expect(draft.version).toBe(version);
      await activateRules(other.ctx, SUPERVISOR, draft.version);
      const { id } = await ingestOrder(other.ctx, sampleOrder({ externalId: "OTHER-V1" }));
      const lines = await orderLines(other.ctx.db, id);
      const res = await submitCase(other.ctx, REVIEWER, {
        orderId: id,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[1]?.id as number, quantity: 1 }],
      });
      // Not this file's small-refund-only approval: the other database's own rule routed it.
      expect(res.status).toBe("requested");
      expect(res.review?.decision).toMatchObject({ outcome: "manual", queue: "elsewhere" });
    } finally {
      await other.close();
    }
  });
});

describe("the review sweep", () => {
  it("judges a case a crash left unjudged, and starts a refund a crash left unstarted", async () => {
    await setShopReview(env.ctx, "tmall-1", { autoRefundLimit: null });
    const { orderId, lines } = await order();
    // As if the process died right after the case was written: no review ran.
    const unjudged = await submitCase(env.ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: lines[1]?.id as number, quantity: 1 }],
      review: false,
    });
    expect((await kase(unjudged.id)).decision_id).toBeNull();
    // Too young: still its submitter's to judge.
    expect(await sweepAutoReview(env.ctx)).toEqual({ reviewed: 0, refunded: 0 });
    env.clock.advance(120_000);
    // The rule approves it; with no auto-refund limit the money waits for a person.
    expect(await sweepAutoReview(env.ctx)).toEqual({ reviewed: 1, refunded: 0 });
    expect((await kase(unjudged.id)).status).toBe("approved");
    // Now the limit allows it, as if the crash came between the approval and the refund.
    await setShopReview(env.ctx, "tmall-1", { autoRefundLimit: "200.00" });
    env.clock.advance(120_000);
    // (Earlier tests' rule-approved cases within the limit are picked up too.)
    const swept = await sweepAutoReview(env.ctx);
    expect(swept.reviewed).toBe(0);
    expect(swept.refunded).toBeGreaterThanOrEqual(1);
    expect((await kase(unjudged.id)).status).toBe("refunded");
    expect(await sweepAutoReview(env.ctx)).toEqual({ reviewed: 0, refunded: 0 });
  });
});
