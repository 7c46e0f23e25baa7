// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { DEFAULT_RULE_SET } from "../../src/domain/rules/default-rules.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder, snapshot } from "../support/fixtures.ts";

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  for (const role of ["admin", "cs_agent", "reviewer", "supervisor", "warehouse"]) {
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  }
  tokens.reviewer2 = (await createToken(env.ctx.db, { name: "reviewer-2", role: "reviewer" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(who: string, method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {},
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.statusCode === 204 ? null : res.json() };
}

let n = 0;
async function newCase(order: Parameters<typeof sampleOrder>[0], kase: Record<string, unknown>) {
  n++;
  const o = await call("admin", "POST", "/orders", sampleOrder({ externalId: `RA${n}`, ...order }));
  expect(o.status).toBe(201);
  const detail = await call("admin", "GET", `/orders/${o.body.id}`);
  const lines = detail.body.lines as { id: number; quantity: number }[];
  const res = await call("cs_agent", "POST", "/cases", {
    orderId: o.body.id,
    source: "chat",
    items: [{ lineId: lines[0]?.id, quantity: 1 }],
    ...kase,
  });
  expect(res.status).toBe(201);
  return { orderId: o.body.id as number, caseId: res.body.id as number, lines, res: res.body };
}

describe("rules over HTTP", () => {
  it("validates, versions, activates and rolls back rule sets", async () => {
    const vocabulary = await call("reviewer", "GET", "/rules/vocabulary");
    expect(vocabulary.status).toBe(200);
    const reason = vocabulary.body.fields.find((f: { field: string }) => f.field === "case.reason");
    expect(reason.operators.map((o: { op: string }) => o.op)).toEqual(
      expect.arrayContaining(["eq", "in", "not_in"]),
    );

    const bad = await call("supervisor", "POST", "/rules/versions", {
      definition: {
        rules: [
          {
            id: "a",
            name: "A",
            priority: 1,
            when: { field: "case.type", op: "like", value: "x" },
            then: [{ action: "approve" }],
          },
          { id: "b", name: "B", priority: 1, when: { all: [] }, then: [{ action: "refund_double" }] },
        ],
        solutions: [],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe("RULES_INVALID");
    expect(bad.body.details.errors.map((e: { code: string; path: string }) => [e.code, e.path])).toEqual([
      ["UNKNOWN_OPERATOR", "rules[0].when.op"],
      ["UNKNOWN_ACTION", "rules[1].then[0].action"],
    ]);
    expect((await call("reviewer", "POST", "/rules/versions", { definition: DEFAULT_RULE_SET })).status).toBe(
      403,
    );

    const v1 = await call("supervisor", "POST", "/rules/versions", {
      definition: DEFAULT_RULE_SET,
      note: "defaults",
    });
    expect(v1.status).toBe(201);
    expect(v1.body.status).toBe("draft");
    const edited = await call("supervisor", "PUT", `/rules/versions/${v1.body.version}`, {
      definition: DEFAULT_RULE_SET,
      note: "defaults, reviewed",
    });
    expect(edited.body.note).toBe("defaults, reviewed");
    expect((await call("reviewer", "POST", `/rules/versions/${v1.body.version}/activate`)).status).toBe(403);
    const live = await call("supervisor", "POST", `/rules/versions/${v1.body.version}/activate`);
    expect(live.body.status).toBe("active");
    const locked = await call("supervisor", "PUT", `/rules/versions/${v1.body.version}`, {
      definition: DEFAULT_RULE_SET,
    });
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe("RULE_VERSION_NOT_DRAFT");

    const v2 = await call("supervisor", "POST", "/rules/versions", {
      definition: { rules: [], solutions: [] },
    });
    await call("supervisor", "POST", `/rules/versions/${v2.body.version}/activate`);
    // Rolling back is activating the earlier version again; only one is ever active.
    await call("supervisor", "POST", `/rules/versions/${v1.body.version}/activate`);
    const list = await call("reviewer", "GET", "/rules");
    expect(list.body.active).toBe(v1.body.version);
    expect(list.body.versions.filter((v: { status: string }) => v.status === "active")).toHaveLength(1);
    expect((await call("supervisor", "DELETE", `/rules/versions/${v1.body.version}`)).status).toBe(409);
    const draft = await call("supervisor", "POST", "/rules/versions", { definition: DEFAULT_RULE_SET });
    expect((await call("supervisor", "DELETE", `/rules/versions/${draft.body.version}`)).status).toBe(204);
    expect((await call("reviewer", "GET", `/rules/versions/${draft.body.version}`)).status).toBe(404);
  });

  it("dry-runs a case against a draft without changing anything, explaining in both languages", async () => {
    const { caseId } = await newCase({}, { type: "return_refund", reason: "size_fit" });
    const before = await snapshot(env.ctx);
    const dry = await call("reviewer", "POST", "/rules/dry-run", {
      caseId,
      definition: {
        rules: [
          {
            id: "size-ok",
            name: { zh: "尺码问题同意退货", en: "Size problems: accept the return" },
            priority: 1,
            when: { field: "case.reason", op: "eq", value: "size_fit" },
            then: [{ action: "approve" }],
          },
        ],
        solutions: [],
      },
    });
    expect(dry.status).toBe(200);
    expect(dry.body.decision).toMatchObject({ outcome: "approve", decidedBy: "size-ok" });
    expect(dry.body.explanation.zh.join("\n")).toContain("尺码问题同意退货");
    expect(dry.body.explanation.en.join("\n")).toContain("Size problems: accept the return");
    expect(dry.body.facts).toMatchObject({ caseType: "return_refund", reason: "size_fit", parcel: "signed" });
    expect(await snapshot(env.ctx)).toEqual(before);
  });

  it("backtests a rule set over cases people decided", async () => {
    // Two cases decided by people: one approved, one rejected.
    const a = await newCase({}, { type: "return_refund", reason: "size_fit" });
    const b = await newCase({}, { type: "return_refund", reason: "changed_mind" });
    expect((await call("reviewer", "POST", `/cases/${a.caseId}/approve`, {})).status).toBe(200);
    expect((await call("reviewer", "POST", `/cases/${b.caseId}/reject`, { note: "已过七天" })).status).toBe(
      200,
    );
    const report = await call("reviewer", "POST", "/rules/backtests", {
      definition: {
        rules: [
          {
            id: "approve-all",
            name: "Approve everything",
            priority: 1,
            when: { all: [] },
            then: [{ action: "approve" }],
          },
        ],
        solutions: [],
      },
    });
    expect(report.status).toBe(200);
    expect(report.body.cases).toBeGreaterThanOrEqual(2);
    expect(report.body.automationRate).toBe(1);
    expect(report.body.falseApprovals).toBeGreaterThanOrEqual(1);
    expect(report.body.disagreements.map((d: { caseId: string }) => d.caseId)).toContain(String(b.caseId));
  });
});

describe("the integrated case view", () => {
  it("puts the ordered and the received item side by side for a wrong item", async () => {
    const { caseId } = await newCase(
      { customer: { id: "view-1", name: "张三", tier: "vip", creditScore: 720 } },
      {
        type: "exchange",
        reason: "wrong_item",
        claim: { receivedSku: "TEE-WHT-M", receivedTitle: "T恤 白 M" },
        evidence: [{ kind: "photo", url: "https://img.example/1.jpg" }],
      },
    );
    const view = await call("reviewer", "GET", `/cases/${caseId}/view`);
    expect(view.status).toBe(200);
    const v = view.body;
    expect(v.case.id).toBe(caseId);
    expect(v.lines).toHaveLength(2);
    expect(v.lines[0]).toMatchObject({ sku: "TEE-BLK-M", inCase: true });
    // Ordered, in the case, shipped, back and refunded, per line: nothing came back or was refunded yet.
    expect(v.lines[0]).toMatchObject({
      quantity: 2,
      caseQuantity: 1,
      shipped: 2,
      returned: 0,
      refundedQuantity: 0,
    });
    expect(v.lines[0].refunded).toBe("0.00");
    expect(v.lines[1]).toMatchObject({ inCase: false, caseQuantity: 0 });
    // The VIP lane's rule routed it and set its deadline.
    expect(v.review).toMatchObject({
      queue: "vip",
      priority: 90,
      awaitingSecondApproval: false,
      firstApproval: null,
    });
    expect(new Date(v.review.slaDueAt).getTime()).toBeGreaterThan(new Date(v.case.createdAt).getTime());
    expect(v.payments[0]).toMatchObject({ tender: "alipay", amount: "245.90" });
    expect(v.parcel).toMatchObject({ direction: "outbound", status: "delivered" });
    expect(v.customer).toMatchObject({ id: "view-1", tier: "vip", creditScore: 720, orders: 1 });
    expect(v.decision.explanation.zh.length).toBeGreaterThan(0);
    expect(v.risk).toMatchObject({ level: "low" });
    expect(v.highlights.reason).toBe("wrong_item");
    expect(v.highlights.items[0]).toEqual({
      kind: "ordered_vs_received",
      ordered: [{ sku: "TEE-BLK-M", title: "T恤 黑 M", quantity: 1 }],
      received: { sku: "TEE-WHT-M", title: "T恤 白 M", warehouseConditions: [] },
    });
  });

  it("shows delivery proof for 'not received' and the order's other cases", async () => {
    const order = sampleOrder({
      externalId: "VIEW-NR",
      shipments: [
        { carrier: "SF", trackingNo: "SFVIEW1", status: "in_transit", shippedAt: "2026-10-21T08:00:00Z" },
      ],
    });
    const o = await call("admin", "POST", "/orders", order);
    const lines = (await call("admin", "GET", `/orders/${o.body.id}`)).body.lines;
    const first = await call("cs_agent", "POST", "/cases", {
      orderId: o.body.id,
      type: "refund_only",
      reason: "not_received",
      items: [{ lineId: lines[0].id, quantity: 1 }],
    });
    const second = await call("cs_agent", "POST", "/cases", {
      orderId: o.body.id,
      type: "refund_only",
      reason: "not_received",
      items: [{ lineId: lines[1].id, quantity: 1 }],
    });
    const scans = await call("warehouse", "POST", "/tracking", {
      carrier: "SF",
      trackingNo: "SFVIEW1",
      eta: "2026-10-24T00:00:00Z",
      events: [
        {
          at: "2026-10-23T15:30:00Z",
          status: "delivered",
          description: "已签收，前台代收",
          location: "上海",
        },
      ],
    });
    expect(scans.status).toBe(200);
    const v = (await call("reviewer", "GET", `/cases/${second.body.id}/view`)).body;
    expect(v.highlights.items[0]).toMatchObject({
      kind: "delivery_proof",
      signed: true,
      proof: { status: "delivered", description: "已签收，前台代收", location: "上海" },
    });
    expect(v.parcel.events[0].description).toBe("已签收，前台代收");
    expect(v.parcel.interception).toBeNull();
    expect(v.sameOrderCases).toEqual([expect.objectContaining({ id: first.body.id, resolved: false })]);
  });
});

describe("queues, overrides, alerts and settings", () => {
  it("lists the review queue most urgent first, and lets a person override a rule", async () => {
    await call("supervisor", "PUT", "/catalog/policies/category/定制", { policies: ["customised"] });
    const vip = await newCase(
      { customer: { id: "vip-q", tier: "vip" } },
      { type: "return_refund", reason: "size_fit" },
    );
    const queue = await call("reviewer", "GET", "/review-queue?queue=vip");
    expect(queue.body.items.map((c: { id: number }) => c.id)).toContain(vip.caseId);
    expect(queue.body.items[0]).toMatchObject({ queue: "vip", priority: 90 });
    expect(queue.body.queues.vip).toBeGreaterThanOrEqual(1);

    // The default rules reject change-of-mind returns of customised goods; a person overrides.
    const custom = await newCase(
      {
        lines: [
          {
            externalId: "L1",
            sku: "NAME-MUG",
            title: "刻字马克杯",
            category: "定制",
            quantity: 1,
            unitPrice: "59.00",
          },
        ],
        discounts: [],
        shippingFee: "0.00",
        payments: [{ tender: "alipay", amount: "59.00" }],
      },
      { type: "return_refund", reason: "changed_mind" },
    );
    expect(custom.res.status).toBe("rejected");
    const denied = await call("warehouse", "POST", `/cases/${custom.caseId}/override`, {
      decision: "approve",
      note: "x",
    });
    expect(denied.status).toBe(403);
    const over = await call("reviewer", "POST", `/cases/${custom.caseId}/override`, {
      decision: "approve",
      note: "刻字错误是我们的问题",
    });
    expect(over.status).toBe(200);
    expect(over.body.status).toBe("awaiting_return");
  });

  it("raises a risk alert for a planted serial refunder, lists it and takes an acknowledgement once", async () => {
    // Four earlier refunds in a month, then a fifth right after signing, at 3 a.m. Shanghai time.
    for (let i = 0; i < 4; i++) {
      await newCase(
        { customer: { id: "serial-1", phone: "13800000000" } },
        { type: "refund_only", reason: "quality" },
      );
    }
    env.clock.now = new Date("2026-11-01T19:00:00Z");
    const last = await newCase(
      { customer: { id: "serial-1" } },
      { type: "refund_only", reason: "not_received" },
    );
    const alerts = await call("reviewer", "GET", "/alerts?status=open&kind=case_risk");
    const mine = alerts.body.items.find((a: { caseId: number }) => a.caseId === last.caseId);
    expect(mine).toMatchObject({ kind: "case_risk", subject: "serial-1", status: "open" });
    expect(mine.reason.en).toMatch(/refund/i);
    expect(mine.data.signals).toEqual(
      expect.arrayContaining(["frequent_refunder", "not_received_but_signed"]),
    );
    const ack = await call("reviewer", "POST", `/alerts/${mine.id}/acknowledge`, { note: "已联系顾客" });
    expect(ack.body).toMatchObject({
      status: "acknowledged",
      acknowledgedBy: "user:reviewer",
      note: "已联系顾客",
    });
    const again = await call("reviewer", "POST", `/alerts/${mine.id}/acknowledge`, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ALERT_ALREADY_ACKNOWLEDGED");
    expect((await call("reviewer", "POST", "/alerts/999999/acknowledge", {})).status).toBe(404);
  });

  it("validates settings with clear errors and changes nothing on bad input", async () => {
    const bad = await call("supervisor", "PUT", "/settings/risk", { refunds30: -1, nonsense: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe("RISK_THRESHOLDS_INVALID");
    expect(bad.body.details.errors.length).toBe(2);
    expect((await call("reviewer", "GET", "/settings/risk")).body.refunds30).toBe(3);
    const ok = await call("supervisor", "PUT", "/settings/risk", { refunds30: 5 });
    expect(ok.body.refunds30).toBe(5);
    // The amount threshold is a decimal string in CNY both ways; fen (a number) is refused, not guessed at.
    expect(ok.body).toMatchObject({ amountFloor: "500.00", currency: "CNY" });
    const fen = await call("supervisor", "PUT", "/settings/risk", { amountFloor: 50000, refunds90: -2 });
    expect([fen.status, fen.body.code]).toEqual([422, "RISK_THRESHOLDS_INVALID"]);
    expect(fen.body.details.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "amountFloor",
      "refunds90",
    ]);
    const floor = await call("supervisor", "PUT", "/settings/risk", {
      amountFloor: "800.00",
      currency: "CNY",
    });
    expect(floor.body).toMatchObject({ amountFloor: "800.00", currency: "CNY" });
    expect((await call("reviewer", "GET", "/settings/risk")).body.amountFloor).toBe("800.00");
    const shop = await call("supervisor", "PUT", "/shops/tmall-1/review-settings", {
      secondApprovalAbove: "abc",
    });
    expect(shop.status).toBe(400);
    const good = await call("supervisor", "PUT", "/shops/tmall-1/review-settings", {
      secondApprovalAbove: "500.00",
    });
    expect(good.body).toEqual({ autoRefundLimit: "200.00", secondApprovalAbove: "500.00" });
    const tz = await call("supervisor", "PUT", "/settings/timezone", { timeZone: "Mars/Olympus" });
    expect(tz.body.code).toBe("INVALID_TIMEZONE");
    const policy = await call("supervisor", "PUT", "/catalog/policies/sku/X1", { policies: ["perishable"] });
    expect(policy.status).toBe(400);
  });

  it("the order a refund goes back over tenders is stated, checked and read back", async () => {
    expect((await call("reviewer", "GET", "/settings/refunds")).body.tenderOrder.slice(0, 2)).toEqual([
      "wechat_pay",
      "alipay",
    ]);
    const bad = await call("supervisor", "PUT", "/settings/refunds", { tenderOrder: ["points", "cash"] });
    expect([bad.status, bad.body.code]).toEqual([400, "INVALID_TENDER_ORDER"]);
    expect((await call("reviewer", "PUT", "/settings/refunds", { tenderOrder: ["points"] })).status).toBe(
      403,
    );
    const ok = await call("supervisor", "PUT", "/settings/refunds", { tenderOrder: ["points", "coupon"] });
    expect(ok.body.tenderOrder.slice(0, 3)).toEqual(["points", "coupon", "wechat_pay"]);
    expect((await call("reviewer", "GET", "/settings/refunds")).body.tenderOrder).toEqual(
      ok.body.tenderOrder,
    );
    await call("supervisor", "PUT", "/settings/refunds", { tenderOrder: ["wechat_pay"] });
  });
});
