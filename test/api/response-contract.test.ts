import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, SESSION_COOKIE } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { kuaidi100Tracking } from "../../src/channels/logistics/kuaidi100/adapter.ts";
import { pushSign } from "../../src/channels/logistics/kuaidi100/protocol.ts";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { loadDemo } from "../../src/cli/demo.ts";
import { DEFAULT_RULE_SET } from "../../src/domain/rules/default-rules.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type Answer, responseContract } from "../support/contract.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { sampleOrder } from "../support/fixtures.ts";
import { TEST_KEYRING } from "../support/platforms.ts";
import { eventually } from "../support/process.ts";
import { injectOpening } from "../support/sse.ts";
import { trackingNo } from "../support/warehouse.ts";

/**
 * The responses the OpenAPI document declares are the ones the API sends. A demo merchant (cases in
 * every state) is driven through every operation — each case action, refunds that fail, are sent again,
 * switched to a bank transfer and settled, receipts and inspections, rules, settings, reconciliation, an
 * import, the callbacks — and through the refusals each can give; every answer, success or problem, is
 * validated against what the document declares for its operation, status and content type. The
 * schemas refuse properties they do not name, so a field added to an answer and not to the document
 * fails here. Set CONTRACT_DUMP=<file> to write every answer out.
 */

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};
const answers: Answer[] = [];
const SHOP = "tmall-flagship";

beforeAll(async () => {
  env = await testEnv();
  env.ctx.secrets = TEST_KEYRING;
  // Refunds a channel refuses for good can be paid by bank transfer or wallet instead.
  env.ctx.payments = createPaymentRegistry(
    { bank_transfer: offlineChannel("bank_transfer"), wallet: offlineChannel("wallet") },
    env.ctx.payments.get("sandbox"),
  );
  await loadDemo(env.ctx, { orders: 60 });
  for (const role of Object.keys(ROLES))
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  tokens.limited = (await createToken(env.ctx.db, { name: "one-shop", role: "admin", shops: [SHOP] })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, changes: env.store.changes });
}, 180_000);
afterAll(async () => {
  if (process.env.CONTRACT_DUMP) writeFileSync(process.env.CONTRACT_DUMP, JSON.stringify(answers, null, 1));
  await app?.close();
  await env?.close();
});

let anonymous = 0;
// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Body = any;

/** One request, recorded for the contract check; answers with its status and JSON body. */
async function call(
  method: string,
  url: string,
  payload?: unknown,
  opts: { who?: string | null; type?: string; session?: { cookie: string; csrf: string } } = {},
): Promise<{ status: number; body: Body; text: string; headers: Record<string, unknown> }> {
  const who = opts.who === undefined ? "admin" : opts.who;
  const token = who ? tokens[who] : undefined;
  const res = await injectOpening(app, {
    method: method as "GET",
    url: `/api/v1${url}`,
    // Failed sign-ins are limited per address: each request without a token comes from its own.
    remoteAddress: token ? "127.0.0.1" : `10.7.${(++anonymous >> 8) & 255}.${anonymous & 255}`,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.type ? { "content-type": opts.type } : {}),
      ...(opts.session
        ? { cookie: `${SESSION_COOKIE}=${opts.session.cookie}`, "x-csrf-token": opts.session.csrf }
        : {}),
    },
    ...(payload !== undefined ? { payload: payload as string } : {}),
  });
  const contentType = String(res.headers["content-type"] ?? "");
  const binary = contentType.includes("spreadsheetml");
  answers.push({
    method,
    url: `/api/v1${url}`,
    status: res.statusCode,
    contentType,
    body: binary ? "" : res.body,
  });
  const body = contentType.includes("json") && res.body ? JSON.parse(res.body) : undefined;
  return { status: res.statusCode, body, text: binary ? "" : res.body, headers: res.headers };
}

/** A request that must succeed: the scenario depends on it. */
async function ok(method: string, url: string, payload?: unknown, who?: string) {
  const r = await call(method, url, payload, { who: who ?? "admin" });
  if (r.status >= 400) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
  return r.body;
}

const caseIds = async () =>
  (await env.ctx.db.selectFrom("cases").select("id").orderBy("id").execute()).map((c) => c.id);

/** A new order of the demo's flagship shop and a case on its lines; the case's answer. */
async function newCase(type: string, reason = "quality", over: Record<string, unknown> = {}) {
  const order = await ok("POST", "/orders", sampleOrder({ shop: SHOP }));
  const lines = (await ok("GET", `/orders/${order.id}`)).lines as { id: number; quantity: number }[];
  const c = await ok("POST", "/cases", {
    orderId: order.id,
    type,
    reason,
    items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
    ...over,
  });
  return { ...c, orderId: order.id as number, lines };
}
const act = (id: number, action: string, body: unknown = {}, who?: string) =>
  ok("POST", `/cases/${id}/${action}`, body, who);
/** Approve a case unless the rules already moved it on. */
const approved = async (c: { id: number; status: string }) =>
  c.status === "requested" ? act(c.id, "approve") : c;

describe("the responses declared in the OpenAPI document", () => {
  it("are what the API answers, for every operation, success and problem alike", async () => {
    // Orders and quotes; a case through each lifecycle, every action over HTTP.
    const order = await call("POST", "/orders", sampleOrder({ shop: SHOP, externalId: "CONTRACT-1" }));
    expect(order.status).toBe(201);
    await call("POST", "/orders", sampleOrder({ shop: SHOP, externalId: "CONTRACT-1" }));
    await call("GET", `/orders?shop=${SHOP}&externalId=CONTRACT-1`);
    await call("GET", `/orders?shop=${SHOP}&externalId=none`);
    const lines = (await ok("GET", `/orders/${order.body.id}`)).lines as { id: number }[];
    const items = [{ lineId: lines[0]?.id, quantity: 1 }];
    await call("POST", "/refund-quotes", { orderId: order.body.id, items, reason: "quality" });
    await call("POST", "/refund-quotes", {
      orderId: order.body.id,
      items,
      reason: "quality",
      shipping: "4.00",
      deductions: [{ kind: "restocking_fee", amount: "1.00", note: "拆封" }],
    });
    await call("POST", "/refund-quotes", {
      orderId: order.body.id,
      items,
      reason: "quality",
      amount: "9999.00",
    });
    await call("POST", "/cases", {
      orderId: order.body.id,
      type: "refund_only",
      reason: "quality",
      items,
      externalId: "X-1",
    });
    await call("POST", "/cases", {
      orderId: order.body.id,
      type: "refund_only",
      reason: "quality",
      items,
      externalId: "X-1",
    });
    await call("POST", "/cases", {
      orderId: order.body.id,
      type: "refund_only",
      reason: "quality",
      items: [{ lineId: 1, quantity: 99 }],
    });

    // refund_only: approve, grant (the channel fails once: answered as granted, sent again), close, compensate.
    const refundOnly = await approved(await newCase("refund_only", "quality"));
    env.sim.faults({ failNext: 1 });
    const granted = await act(refundOnly.id, "grant-refund", { shipping: "4.00" });
    await call("POST", `/cases/${refundOnly.id}/issue-refund`, {});
    await call("POST", `/cases/${refundOnly.id}/issue-refund`, {});
    expect(granted.refund).toBeDefined();
    await call("POST", `/cases/${refundOnly.id}/close`, {});
    const closed = await ok("GET", `/cases/${refundOnly.id}`);
    await call("POST", `/cases/${refundOnly.id}/compensate`, {
      type: "coupon",
      amount: "5.00",
      expectedVersion: closed.version,
    });
    await call("POST", `/cases/${refundOnly.id}/compensate`, {
      type: "cash",
      amount: "5.00",
      expectedVersion: 1,
    });
    await call("POST", `/cases/${refundOnly.id}/approve`, {});

    // A refund the channel declines for good: switched to a bank transfer, which finance then settles.
    const declined = await approved(await newCase("refund_only", "not_received"));
    env.sim.faults({ declineNext: 1 });
    await call("POST", `/cases/${declined.id}/grant-refund`, {});
    const legs = (await ok("GET", `/cases/${declined.id}`)).refunds as { id: number; status: string }[];
    const failedLeg = legs.find((r) => r.status === "failed");
    if (failedLeg) {
      await call("POST", `/refunds/${failedLeg.id}/offline-settlement`, { reference: "NOPE" });
      const switched = await call("POST", `/refunds/${failedLeg.id}/switch-to-offline`, {
        tender: "bank_transfer",
        note: "账户异常",
      });
      await call("POST", `/refunds/${failedLeg.id}/switch-to-offline`, {
        tender: "bank_transfer",
        note: "again",
      });
      const offline = (await ok("GET", `/cases/${declined.id}`)).refunds.find(
        (r: { status: string; id: number }) => r.id !== failedLeg.id && r.status !== "failed",
      );
      if (offline) {
        await call("POST", `/refunds/${offline.id}/offline-settlement`, { reference: "BANK-REF-1" });
        await call("POST", `/refunds/${offline.id}/offline-settlement`, { reference: "BANK-REF-1" });
      }
      expect(switched.status).toBe(200);
    }
    await call("POST", "/refunds/99999999/offline-settlement", { reference: "X" });
    // Finance's refund list: every leg with what can be done to it now, filtered, searched; a bad filter.
    await call("GET", "/refunds?limit=200");
    await call("GET", "/refunds?awaiting=transfer");
    await call("GET", `/refunds?awaiting=action&status=failed,succeeded&q=${declined.id}`);
    await call("GET", "/refunds?channel=bank_transfer&shop=tmall-flagship", undefined, { who: "limited" });
    await call("GET", "/refunds?status=lost");

    // return_refund: return parcel, receive, inspect, grant; then the same again with QC's deductions.
    const ret = await approved(await newCase("return_refund", "changed_mind"));
    await act(ret.id, "return-shipment", { carrier: "SF", trackingNo: trackingNo() });
    await call("POST", `/cases/${ret.id}/receive`, { quantity: 1, condition: "intact" });
    await call("POST", `/cases/${ret.id}/receive`, { quantity: 2, condition: "damaged" });
    await call("POST", `/cases/${ret.id}/inspect`, { result: "pass" });
    await call("GET", `/cases/${ret.id}/refund-recommendation`);
    await call("POST", `/cases/${ret.id}/grant-refund`, { amount: "9999.00" });
    await call("POST", `/cases/${ret.id}/grant-refund`, {});
    await call("POST", `/cases/${ret.id}/close`, {});

    const parcel = trackingNo();
    const qc = await approved(await newCase("return_refund", "quality"));
    await act(qc.id, "return-shipment", { carrier: "SF", trackingNo: parcel });
    await call("GET", `/receiving/candidates?code=${parcel}`);
    await call("GET", "/receiving/candidates?code=TEE-BLK-M&kind=sku");
    await call("POST", "/receiving/scan", { code: parcel, key: `scan-${parcel}` });
    await call("POST", "/receiving/scan", { code: parcel, key: `scan-${parcel}` });
    const receipt = await ok("GET", `/cases/${qc.id}/receipt-lines`);
    await ok("POST", `/cases/${qc.id}/inspections/quote`, {
      lines: (receipt.lines as { id: number }[]).map((l) => ({
        receiptLineId: l.id,
        result: "fail",
        finding: "missing_parts",
      })),
    });
    await call("POST", `/cases/${qc.id}/inspections/quote`, {
      lines: [{ receiptLineId: 99999999, result: "pass" }],
    });
    await call("GET", `/receiving/candidates?code=%23${qc.id}`);
    const inspected = await call("POST", `/cases/${qc.id}/inspections`, {
      key: `qc-${parcel}`,
      lines: (receipt.lines as { id: number }[]).map((l, i) =>
        i === 0
          ? { receiptLineId: l.id, result: "pass" }
          : {
              receiptLineId: l.id,
              result: "fail",
              disposition: "defective",
              finding: "buyer_damage",
              deduction: "12.00",
            },
      ),
    });
    expect(inspected.status).toBe(200);
    await call("POST", `/cases/${qc.id}/inspections`, {
      key: `qc-${parcel}`,
      lines: [{ receiptLineId: 1, result: "pass" }],
    });
    await call("POST", `/cases/${qc.id}/inspections`, {
      lines: [{ receiptLineId: 99999999, result: "pass" }],
    });
    await call("GET", `/cases/${qc.id}/receipt-lines`);
    await call("GET", `/cases/${qc.id}/refund-recommendation`);
    await call("POST", `/cases/${qc.id}/grant-recommended-refund`, {});
    await call("POST", `/cases/${qc.id}/grant-recommended-refund`, {});

    // Scans that match several cases, none (无头件), and batches; unidentified parcels matched later.
    const receivable = await approved(await newCase("return_refund", "size_fit"));
    const matchable = await approved(await newCase("return_refund", "size_fit"));
    await call("POST", "/receiving/scan", { code: "TEE-BLK-M", kind: "sku" });
    await call("POST", "/receiving/scan", { code: `NOBODY-${trackingNo()}`, contents: "一件T恤" });
    await call("POST", "/receiving/receive", { caseId: receivable.id, quantity: 1, condition: "intact" });
    await call("POST", "/receiving/batch", {
      scans: [
        { code: "TEE-BLK-M", kind: "sku", caseId: receivable.id },
        { code: `NOBODY-${trackingNo()}` },
        { code: "x", caseId: 99999999 },
      ],
    });
    const unknown = await ok("POST", "/unidentified-parcels", {
      scanned: trackingNo(),
      carrier: "SF",
      photos: ["https://x/1.jpg"],
    });
    await call("POST", `/unidentified-parcels/${unknown.id}/match`, { caseId: matchable.id, quantity: 1 });
    await call("POST", `/unidentified-parcels/${unknown.id}/match`, { caseId: matchable.id, quantity: 1 });
    await call("GET", "/unidentified-parcels");
    await call("GET", "/unidentified-parcels?status=matched&limit=1");

    // Exchanges and reships: the replacement goes out.
    const exchange = await approved(await newCase("exchange", "size_fit"));
    await act(exchange.id, "return-shipment", { carrier: "SF", trackingNo: trackingNo() });
    await act(exchange.id, "receive", { quantity: 3, condition: "intact" });
    await act(exchange.id, "inspect", { result: "pass" });
    await call("POST", `/cases/${exchange.id}/replacement-shipment`, {
      carrier: "SF",
      trackingNo: trackingNo(),
    });
    const reship = await approved(await newCase("reship", "missing_item"));
    await call("POST", `/cases/${reship.id}/replacement-shipment`, {
      carrier: "YTO",
      trackingNo: trackingNo(),
    });

    // Reject, cancel, a rules review, overrides of rule decisions, second approvals.
    const rejected = await newCase("refund_only", "changed_mind");
    await call("POST", `/cases/${rejected.id}/review`, {});
    await call("POST", `/cases/${rejected.id}/reject`, { note: "不符合退款条件" });
    await call("POST", `/cases/${rejected.id}/reject`, { note: "again" });
    const cancelled = await newCase("return_refund", "changed_mind");
    await call("POST", `/cases/${cancelled.id}/cancel`, { expectedVersion: 99 });
    await call("POST", `/cases/${cancelled.id}/cancel`, {});
    // The demo's rules approve a refund before shipping and reject a no-reason return of an excluded SKU.
    const unshipped = await ok("POST", "/orders", sampleOrder({ shop: SHOP, shipments: [] }));
    const unshippedLine = (await ok("GET", `/orders/${unshipped.id}`)).lines[0].id;
    const ruleApproved = await ok("POST", "/cases", {
      orderId: unshipped.id,
      type: "refund_only",
      reason: "changed_mind",
      items: [{ lineId: unshippedLine, quantity: 1 }],
    });
    await call("POST", `/cases/${ruleApproved.id}/override`, { decision: "approve", note: "人工改判" });
    await call("POST", `/cases/${ruleApproved.id}/override`, { decision: "reject", note: "人工改判" });
    await ok("PUT", "/catalog/policies/sku/NO-RETURN-1", { policies: ["no_7day_return"] });
    const excluded = await newCase("return_refund", "changed_mind");
    const excludedOrder = await ok("POST", "/orders", {
      ...sampleOrder({ shop: SHOP }),
      lines: [{ externalId: "L1", sku: "NO-RETURN-1", title: "定制", quantity: 1, unitPrice: "80.00" }],
      discounts: [],
      payments: [{ tender: "alipay", amount: "88.00", transactionId: "NR-1" }],
    });
    const ruleRejected = await ok("POST", "/cases", {
      orderId: excludedOrder.id,
      type: "return_refund",
      reason: "changed_mind",
      items: [{ lineId: (await ok("GET", `/orders/${excludedOrder.id}`)).lines[0].id, quantity: 1 }],
    });
    await call("POST", `/cases/${ruleRejected.id}/override`, { decision: "approve", note: "人工改判" });
    await call("POST", `/cases/${excluded.id}/override`, { decision: "approve", note: "人工改判" });
    await ok("PUT", `/shops/${SHOP}/review-settings`, { secondApprovalAbove: "10.00" });
    const twice = await newCase("refund_only", "quality");
    await call("POST", `/cases/${twice.id}/approve`, {});
    await call("POST", `/cases/${twice.id}/approve`, {});
    await call("POST", `/cases/${twice.id}/approve`, {}, { who: "reviewer" });
    await ok("PUT", `/shops/${SHOP}/review-settings`, { secondApprovalAbove: null });
    await call("POST", "/cases/99999999/approve", {});

    // Every case read, whole and as the integrated view, by a role with few actions and by the admin.
    for (const id of await caseIds()) {
      await call("GET", `/cases/${id}`);
      await call("GET", `/cases/${id}/view`, undefined, { who: "warehouse" });
    }
    await call("GET", "/cases/99999999");
    await call("GET", "/cases?limit=5");
    await call("GET", "/cases?status=refunded&type=refund_only");
    await call("GET", "/review-queue");
    await call("GET", "/review-queue?limit=2&offset=1");
    for (const id of (await env.ctx.db.selectFrom("orders").select("id").limit(40).execute()).map(
      (o) => o.id,
    ))
      await call("GET", `/orders/${id}`);

    // Rules: versions, drafts, activation, dry runs, backtests.
    await call("GET", "/rules/vocabulary");
    const rules = await ok("GET", "/rules");
    await call("GET", `/rules/versions/${rules.active}`);
    await call("GET", "/rules/versions/99999");
    const draft = await ok("POST", "/rules/versions", { definition: DEFAULT_RULE_SET, note: "草稿" });
    await call("PUT", `/rules/versions/${draft.version}`, { definition: DEFAULT_RULE_SET });
    await call("PUT", `/rules/versions/${rules.active}`, { definition: DEFAULT_RULE_SET });
    await call("POST", "/rules/versions", { definition: { rules: [{ nonsense: true }] } });
    await call("POST", `/rules/versions/${draft.version}/activate`, {});
    const doomed = await ok("POST", "/rules/versions", { definition: DEFAULT_RULE_SET });
    await call("DELETE", `/rules/versions/${doomed.version}`);
    await call("DELETE", `/rules/versions/${draft.version}`);
    await call("POST", "/rules/dry-run", { caseId: qc.id });
    await call("POST", "/rules/dry-run", { caseId: refundOnly.id, definition: DEFAULT_RULE_SET });
    await call("POST", "/rules/dry-run", { caseId: 99999999 });
    await call("POST", "/rules/backtests", {});
    await call("POST", "/rules/backtests", { definition: DEFAULT_RULE_SET, from: "2020-01-01T00:00:00Z" });

    // Alerts and settings.
    await call("POST", "/alerts/quality-scan", {});
    // A risk alert as automatic review raises one for a high score.
    await env.ctx.db
      .insertInto("alerts")
      .values({
        kind: "case_risk",
        subject: "cust-1",
        severity: "critical",
        dedupe_key: `case_risk:${qc.id}`,
        case_id: qc.id,
        shop_id: SHOP,
        reason: JSON.stringify({ zh: "频繁退款", en: "Frequent refunds" }),
        data: JSON.stringify({ score: 80, signals: ["frequent_refunder"] }),
        created_at: env.clock.now,
        updated_at: env.clock.now,
      } as never)
      .execute();
    const alerts = await ok("GET", "/alerts");
    await call("GET", "/alerts?status=open&kind=sku_quality&limit=1");
    const open = (alerts.items as { id: number; status: string }[]).find((a) => a.status === "open");
    if (open) {
      await call("POST", `/alerts/${open.id}/acknowledge`, { note: "已处理" });
      await call("POST", `/alerts/${open.id}/acknowledge`, {});
    }
    await call("POST", "/alerts/99999999/acknowledge", {});
    await call("GET", `/shops/${SHOP}/review-settings`);
    await call("PUT", `/shops/${SHOP}/review-settings`, { autoRefundLimit: "50.00" });
    await call("PUT", `/shops/${SHOP}/review-settings`, { autoRefundLimit: "abc" });
    await call("GET", "/shops/nowhere/review-settings");
    const risk = await ok("GET", "/settings/risk");
    await call("PUT", "/settings/risk", risk);
    await call("PUT", "/settings/risk", { highAt: -1 });
    const quality = await ok("GET", "/settings/quality");
    await call("PUT", "/settings/quality", quality);
    await call("PUT", "/settings/quality", { minSold: "many" });
    const refundsOrder = await ok("GET", "/settings/refunds");
    await call("PUT", "/settings/refunds", refundsOrder);
    await call("PUT", "/settings/refunds", { tenderOrder: ["gold"] });
    await call("GET", "/settings/timezone");
    await call("PUT", "/settings/timezone", { timeZone: "Asia/Shanghai" });
    await call("PUT", "/settings/timezone", { timeZone: "Mars/Olympus" });
    await call("GET", "/catalog/policies");
    await call("PUT", "/catalog/policies/sku/TEE-BLK-M", { policies: ["no_7day_return"] });
    const fees = await ok("GET", "/settings/finance");
    await call("PUT", "/settings/finance", fees);
    await call("PUT", "/settings/finance", { fees: { wechat_pay: -5 } });

    // Tracking, platform connections.
    await call("POST", "/tracking", {
      carrier: "SF",
      trackingNo: parcel,
      eta: "2026-11-05T00:00:00Z",
      events: [{ at: "2026-11-01T09:00:00Z", status: "in_transit", description: "运输中", location: "上海" }],
    });
    await call("POST", "/tracking", { carrier: "SF", trackingNo: "NOPE", events: [] });
    await call("GET", `/shops/${SHOP}/credentials`);
    const creds = await ok("GET", "/shops/jd-store/credentials");
    await call("PUT", "/shops/jd-store/credentials", {});
    await call(
      "PUT",
      "/shops/jd-store/credentials",
      Object.fromEntries((creds.required as string[]).map((k) => [k, `test-${k}`])),
    );
    await call("GET", "/shops/jd-store/credentials");
    // A sync part-way through its window, and a platform request it could not take.
    await env.ctx.db
      .insertInto("sync_cursors")
      .values({
        shop_id: "jd-store",
        stream: "aftersales",
        synced_to: env.clock.now,
        cursor: JSON.stringify({ page: 2 }),
        last_error: "PLATFORM_UNAVAILABLE: timeout",
      } as never)
      .execute();
    await env.ctx.db
      .insertInto("platform_requests")
      .values({
        shop_id: "jd-store",
        external_id: "JD-AS-1",
        order_external_id: "JD-1",
        error: "ORDER_NOT_FOUND: JD-1",
        attempts: 3,
        seen_at: env.clock.now,
        updated_at: env.clock.now,
      } as never)
      .execute();
    await call("GET", "/shops/jd-store/sync");
    await call("DELETE", "/shops/jd-store/credentials");
    await call("POST", "/shops/jd-store/sync"); // not connected now: its streams say so
    await call("GET", `/shops/${SHOP}/return-address`);
    await call("PUT", `/shops/${SHOP}/return-address`, {
      name: "退货仓",
      phone: "021-1234",
      address: "上海市",
    });
    await call("GET", `/shops/${SHOP}/return-address`);
    await call("GET", "/shops/nowhere/credentials");

    // Finance and analytics.
    for (const format of ["json", "csv", "xlsx"])
      await call(
        "GET",
        `/finance/report?from=2026-01-01&to=2026-12-31&by=month,shop,channel,reason&format=${format}`,
      );
    await call("GET", "/finance/report?from=2026-12-31&to=2026-01-01");
    await call("GET", "/finance/ledger");
    await call("GET", "/finance/ledger?limit=2");
    for (const by of ["sku", "category", "shop", "month"])
      await call("GET", `/analytics/refund-rates?by=${by}&minSold=0`);
    await call("GET", "/analytics/refund-rates?from=2026-13");
    for (const format of ["json", "csv", "xlsx"]) {
      await call("GET", `/analytics/reasons?format=${format}`);
      await call("GET", `/analytics/automation?format=${format}`);
      await call("GET", `/analytics/stage-times?format=${format}`);
      await call("GET", `/analytics/costs?format=${format}`);
    }
    for (const by of ["category", "sku", "shop"]) await call("GET", `/analytics/refund-trend?by=${by}`);
    await call("GET", "/analytics/refund-trend?format=csv&channel=tmall");
    await call("POST", "/analytics/rebuild", {});

    // Inventory and warehouses.
    await call("GET", "/inventory");
    await call("GET", "/inventory?limit=1");
    await call("GET", "/inventory?cursor=garbage");
    await call("GET", "/inventory/movements");
    await call("POST", "/inventory/adjustments", {
      sku: "TEE-BLK-M",
      key: "count-1",
      change: { sellable: 5 },
      note: "盘点",
    });
    await call("POST", "/inventory/adjustments", {
      sku: "TEE-BLK-M",
      key: "count-1",
      change: { sellable: 5 },
    });
    await call("POST", "/inventory/adjustments", {
      sku: "TEE-BLK-M",
      key: "count-2",
      change: { sellable: -1000 },
    });
    await call("PUT", "/inventory/backorder", { sku: "TEE-BLK-M", allowBackorder: true });
    await call("PUT", "/inventory/backorder", { sku: "TEE-BLK-M", allowBackorder: null });
    await call("GET", "/warehouses");
    await call("POST", "/warehouses", { id: "contract-wh", name: "合同仓", allowBackorder: false });
    await call("POST", "/warehouses", { id: "contract-wh", name: "合同仓" });
    await call("PATCH", "/warehouses/contract-wh", { name: "合同仓二", isDefault: true });
    await call("PATCH", "/warehouses/nowhere", { name: "x" });

    // Reconciliation with a bill file; its reports.
    const bill = readFileSync(new URL("../fixtures/bills/wechat-refund-2026-11-22.csv", import.meta.url));
    const run = await call("POST", "/reconciliations?channel=wechat_pay&date=2026-11-22", bill, {
      type: "text/csv",
    });
    await call("POST", "/reconciliations?channel=wechat_pay&date=2026-11-23", bill, { type: "text/csv" });
    await call("GET", "/reconciliations");
    await call("GET", "/reconciliations", undefined, { who: "limited" });
    if (run.status === 201) {
      await call("GET", `/reconciliations/${run.body.id}`);
      await call("GET", `/reconciliations/${run.body.id}?category=matched`, undefined, { who: "limited" });
    }
    await call("GET", "/reconciliations/99999999");

    // An import followed to its end, its rejects, the same file again, one stopped that was not running.
    const csv = readFileSync("test/fixtures/online-retail/slice.csv", "utf8")
      .split("\n")
      .slice(0, 40)
      .join("\n");
    const job = await call("POST", "/imports?shop=phone-orders&name=slice.csv&batch=10", csv, {
      type: "text/csv",
    });
    expect(job.status).toBe(202);
    await eventually(async () => {
      const j = await call("GET", `/imports/${job.body.id}`);
      return j.body.state === "running" ? undefined : j;
    });
    await call("GET", "/imports");
    await call("GET", `/imports/${job.body.id}/rejects`);
    await call("POST", `/imports/${job.body.id}/stop`);
    // A bigger file, stopped while it runs (or answered 409 if it finished first).
    const big = await call(
      "POST",
      "/imports?shop=phone-orders&name=big.csv&batch=5",
      readFileSync("test/fixtures/online-retail/slice.csv"),
      { type: "text/csv" },
    );
    await call("POST", `/imports/${big.body.id}/stop`);
    await eventually(async () =>
      (await call("GET", `/imports/${big.body.id}`)).body.state === "running" ? undefined : true,
    );
    await call("POST", "/imports?shop=phone-orders&name=slice.csv", csv, { type: "text/csv" });
    await call("POST", "/imports?shop=phone-orders", "a,b\n1,2\n", { type: "application/pdf" });
    await call("GET", "/imports/99999999");

    // Webhook endpoints: made, changed, tested, replayed, refused, deleted (nothing listens on port 9).
    await call("GET", "/webhooks/event-types");
    const hook = await call("POST", "/webhooks", {
      url: "http://127.0.0.1:9/hook",
      eventTypes: ["case.created"],
    });
    await call("POST", "/webhooks", { url: "ftp://127.0.0.1/hook" });
    await call("GET", "/webhooks");
    await call("PATCH", `/webhooks/${hook.body.id}`, { description: "ERP" });
    await call("POST", `/webhooks/${hook.body.id}/secret`);
    const test = await call("POST", `/webhooks/${hook.body.id}/test`);
    await call("GET", `/webhooks/${hook.body.id}/deliveries?limit=5`);
    await call("POST", `/webhooks/${hook.body.id}/deliveries/${test.body.id}/replay`);
    await call("PATCH", `/webhooks/${hook.body.id}`, { enabled: false });
    await call("POST", `/webhooks/${hook.body.id}/test`);
    await call("DELETE", `/webhooks/${hook.body.id}`);

    await call("GET", "/shops");
    await call("POST", "/shops", { id: "contract-shop", name: "合同店", channel: "manual" });
    await call("POST", "/shops", { id: "contract-shop", name: "合同店", channel: "manual" });
    await call("GET", "/tokens");
    const made = await call("POST", "/tokens", { name: "integration", role: "cs_agent", shops: [SHOP] });
    await call("POST", "/tokens", { name: "wide", role: "admin", shops: null }, { who: "limited" });
    await call("POST", "/tokens", { name: "none", role: "cs_agent", shops: [] });
    await call("DELETE", `/tokens/${made.body.id}`);
    await call("DELETE", `/tokens/${made.body.id}`);
    await call("DELETE", "/tokens/99999999");
    await call("GET", "/audit-log");
    await call("GET", "/audit-log?action=token.create&limit=1");

    // Console accounts; a person signed in with the session cookie, their settings, a lockout, signing out.
    const account = { login: "contract-person", name: "合同", password: "contract-pw", role: "reviewer" };
    const person = await call("POST", "/users", account);
    await call("POST", "/users", account);
    await call("POST", "/users", { ...account, login: "contract-short", password: "short" });
    await call("POST", "/users", { ...account, login: "contract-wide", shops: null }, { who: "limited" });
    await call("GET", "/users");
    await call("GET", "/users?role=reviewer&onDuty=true&q=contract&limit=5&offset=0", undefined, {
      who: "limited",
    });
    await call("PATCH", `/users/${person.body.id}`, { name: "合同二", onDuty: false });
    await call("PATCH", `/users/${person.body.id}`, { password: "short" });
    await call("PATCH", "/users/99999999", { unlock: true });
    const signedIn = await call(
      "POST",
      "/session",
      { login: account.login, password: account.password },
      {
        who: null,
      },
    );
    const cookie = /aftersales_session=([^;]*)/.exec(String(signedIn.headers["set-cookie"]))?.[1] ?? "";
    const session = { cookie, csrf: signedIn.body.csrfToken as string };
    await call("GET", "/session", undefined, { who: null, session });
    await call("GET", "/session");
    await call("PATCH", "/me", { onDuty: true, language: "en" }, { who: null, session });
    await call(
      "PATCH",
      "/me",
      { password: { current: "wrong", new: "contract-pw2" } },
      { who: null, session },
    );
    await call("PATCH", "/me", { onDuty: true }, { who: null, session: { cookie, csrf: "forged" } });

    // The reviewer's desk as that person: owning cases, the queue, views, the kanban, batches.
    const me = { who: null, session };
    const awaiting = await env.ctx.db
      .selectFrom("cases")
      .select(["id", "version"])
      .where("status", "=", "requested")
      .orderBy("id")
      .limit(3)
      .execute();
    const [own, other, third] = awaiting.map((k) => k.id);
    await call("POST", `/cases/${own}/unassign`, {}, me);
    await call("POST", `/cases/${own}/claim`, { note: "我来" }, me);
    await call("POST", `/cases/${own}/claim`, {}, me);
    await call("POST", `/cases/${own}/claim`, {});
    await call("POST", `/cases/${own}/assign`, { userId: person.body.id, expectedVersion: 1 }, me);
    await call("POST", `/cases/${other}/assign`, { userId: person.body.id, note: "交给你" });
    await call("POST", `/cases/${other}/assign`, { userId: 99999999 });
    await call("POST", `/cases/${other}/unassign`, {}, me);
    await call("GET", `/cases/${own}`, undefined, me);
    await call("GET", "/queue?owner=me&sort=riskScore&order=desc&limit=5", undefined, me);
    await call("GET", "/queue?q=T&due=soon&minRisk=1&secondApproval=false&offset=1");
    await call("GET", "/queue?status=closed,nowhere");
    await call("GET", "/queue?view=v99999999");
    await call("GET", "/board?limit=3", undefined, me);
    await call("GET", "/board?view=due_soon&shop=nowhere");
    const view = await call(
      "POST",
      "/views",
      { name: "我的高风险", filters: { owner: "me", minRisk: 50 } },
      me,
    );
    await call("POST", "/views", { name: "共享", shared: true, filters: {} }, me);
    await call("POST", "/views", { name: " ", filters: {} });
    await call("GET", "/views", undefined, me);
    await call("PATCH", `/views/${view.body.id}`, { shared: true, filters: { status: "requested" } }, me);
    await call("PATCH", "/views/mine", { name: "x" }, me);
    await call("DELETE", `/views/${view.body.id}`, undefined, me);
    await call("DELETE", `/views/${view.body.id}`, undefined, me);
    await call("GET", "/lifecycle");
    await call("POST", "/cases/batch", { action: "claim", ids: [own, other, third] }, me);
    await call(
      "POST",
      "/cases/batch",
      { action: "unassign", filter: { owner: "me" }, expectedCount: 99 },
      me,
    );
    await call("POST", "/cases/batch", { action: "approve" });
    await call("GET", "/settings/assignment");
    await call("PUT", "/settings/assignment", { auto: true });
    await call("PUT", "/settings/assignment", {});
    await call("DELETE", "/session", undefined, { who: null, session });
    await call("GET", "/session", undefined, { who: null, session });
    for (let i = 0; i < 6; i++)
      await call("POST", "/session", { login: account.login, password: "wrong" }, { who: null });

    // Callbacks from outside: a signed Kuaidi100 push (twice), unknown channels, unsigned pushes.
    env.ctx.logistics = {
      tracking: kuaidi100Tracking({
        key: "k",
        customer: "C",
        salt: "contract-salt",
        callbackUrl: "http://127.0.0.1/",
      }),
    };
    const param = JSON.stringify({
      status: "polling",
      billstatus: "got",
      message: "",
      autoCheck: "0",
      comOld: "",
      comNew: "",
      lastResult: {
        message: "ok",
        state: "0",
        status: "200",
        condition: "",
        ischeck: "0",
        com: "shunfeng",
        nu: parcel,
        data: [{ context: "运输中", time: "2026-11-01 10:00:00", status: "在途" }],
      },
    });
    const push = new URLSearchParams({ param, sign: pushSign(param, "contract-salt") }).toString();
    for (const _ of [1, 2])
      await call("POST", "/callbacks/logistics/kuaidi100", push, {
        who: null,
        type: "application/x-www-form-urlencoded",
      });
    await call("POST", "/callbacks/logistics/kuaidi100", push.replace("sign=", "sign=0"), {
      who: null,
      type: "application/x-www-form-urlencoded",
    });
    await call("POST", "/callbacks/payments/nowhere", "{}", { who: null, type: "application/json" });
    await call("POST", "/callbacks/logistics/nowhere", "param={}", {
      who: null,
      type: "application/x-www-form-urlencoded",
    });
    await call("POST", `/callbacks/platforms/${SHOP}`, "{}", { who: null, type: "application/json" });
    // The live event stream, as it opens (it never ends by itself).
    for (const who of ["admin", "limited", "warehouse"]) await call("GET", "/events", undefined, { who });

    await app.ready();
    const doc = app.swagger() as Body;
    const contract = responseContract(doc);

    // Refusals every operation can give: no token, a role without the permission, an unknown field.
    for (const o of contract.operations) {
      if (o.path.includes("/callbacks/")) continue;
      const url = o.path.slice("/api/v1".length).replace(/\{(\w+)\}/g, (_, p) => (p === "shop" ? SHOP : "1"));
      const body = o.method === "GET" || o.method === "DELETE" ? undefined : {};
      await call(o.method, url, body, { who: null });
      const role = Object.keys(ROLES).find(
        (r) => !(ROLES[r] as readonly string[]).includes(o.op["x-permission"]),
      );
      if (role && o.op["x-permission"] !== "any") await call(o.method, url, body, { who: role });
      await call(o.method, `${url}?contractTypo=1`, body);
      if (body) await call(o.method, url, "<x/>", { type: "application/xml" });
    }
    await call("POST", "/orders", JSON.stringify({ pad: "x".repeat(600 * 1024) }), {
      type: "application/json",
    });

    const broken: string[] = [];
    const covered = new Map<string, Set<number>>();
    for (const a of answers) {
      const { operation, errors } = contract.check(a);
      if (operation) covered.set(operation.key, (covered.get(operation.key) ?? new Set()).add(a.status));
      for (const e of errors.slice(0, 5))
        broken.push(`${a.method} ${a.url.split("?")[0]} → ${a.status}: ${e}`);
    }
    const successes = [...covered].filter(([, s]) => [...s].some((x) => x < 300));
    console.log(
      `response contract: ${answers.length} answers validated over ${covered.size} of ${contract.operations.length} operations; ` +
        `${successes.length} answered with a success. No success seen: ${contract.operations
          .filter((o) => !successes.some(([k]) => k === o.key))
          .map((o) => o.key)
          .join(", ")}`,
    );
    expect([...new Set(broken)]).toEqual([]);
  }, 600_000);

  it("sends every property an answer has, whatever its response schema names", async () => {
    // Serialization must not read response schemas: Fastify's own drops properties a schema leaves out.
    const probe = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
    probe.get(
      "/contract-probe",
      {
        schema: {
          hide: true,
          response: {
            200: { type: "object", properties: { a: { type: "integer" } }, additionalProperties: false },
          },
        },
      },
      async () => ({ a: 1, b: "kept", at: new Date(0) }),
    );
    const res = await probe.inject({ url: "/contract-probe" });
    await probe.close();
    expect(res.json()).toEqual({ a: 1, b: "kept", at: "1970-01-01T00:00:00.000Z" });
  });

  it("answers a new case's automatic review with its amounts as decimal strings", async () => {
    // A small refund-only case: the rule "small-refund-only" compares its quote with 30.00.
    const order = await ok(
      "POST",
      "/orders",
      sampleOrder({
        shop: SHOP,
        customer: { id: "contract-new-buyer" },
        lines: [{ externalId: "L1", sku: "SOCKS-1", title: "袜子", quantity: 1, unitPrice: "20.00" }],
        discounts: [],
        payments: [{ tender: "alipay", amount: "28.00", transactionId: "SMALL-1" }],
      }),
    );
    const line = (await ok("GET", `/orders/${order.id}`)).lines[0].id;
    const created = await ok("POST", "/cases", {
      orderId: order.id,
      type: "refund_only",
      reason: "missing_item",
      items: [{ lineId: line, quantity: 1 }],
    });
    const rule = created.review.decision.matched.find((r: { id: string }) => r.id === "small-refund-only");
    expect(rule.trace.children).toContainEqual(
      expect.objectContaining({
        field: "case.quoted_amount",
        value: "30.00",
        actual: "20.00",
        currency: "CNY",
      }),
    );
  });

  it("declares a described success response for every operation", async () => {
    await app.ready();
    const doc = app.swagger() as Body;
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Body>>)) {
      for (const [m, op] of Object.entries(ops)) {
        const statuses = Object.keys(op.responses ?? {});
        if (!statuses.some((s) => /^2/.test(s)))
          missing.push(`${m.toUpperCase()} ${path}: no success response`);
        for (const [s, r] of Object.entries(op.responses ?? {}) as [string, Body][]) {
          if (!r.description || r.description === "Default Response")
            missing.push(`${m.toUpperCase()} ${path} ${s}: no description`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
