import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, roleMay } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { DEFAULT_RULE_SET } from "../../src/domain/rules/default-rules.ts";
import { saveRun } from "../../src/store/reconciliations.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { sampleOrder } from "../support/fixtures.ts";
import { injectOpening } from "../support/sse.ts";

/**
 * The permission matrix, generated from the OpenAPI document: every operation × every role, with a
 * token for all shops and one limited to shop A, while shops A and B both hold orders, cases in
 * several states, refunds, receipts, an alert and a reconciliation. Each answer must match the
 * permission table (x-permission, x-all-shops), and no answer to the shop-A token may carry shop B's
 * data. Shop B's objects are made with ids in [B_MIN, B_MAX] (every sequence is moved there first),
 * so any such id in an answer is B's; its shop id, order numbers, SKU, customer, parcels and refund
 * keys are marked strings.
 */

/**
 * Public by design: channels sign their callbacks, and signing in is how a person gets a session (and
 * /healthz, not in the document, is for load balancers).
 */
const PUBLIC = new Set([
  "POST /api/v1/session",
  "POST /api/v1/callbacks/payments/{channel}",
  "POST /api/v1/callbacks/platforms/{shop}",
  "POST /api/v1/callbacks/logistics/{provider}",
]);

const A = "shop-a";
const B = "shop-b";
const B_MIN = 900_001;
const B_MAX = 999_999;
const ROLE_NAMES = Object.keys(ROLES);

interface Fixture {
  shop: string;
  /** Also the probe: true when a shop-A token is pointed at shop B's objects. */
  probe: boolean;
  orderId: number;
  orderExternalId: string;
  lineIds: number[];
  sku: string;
  /** Cases by purpose; each action gets a case in the state it acts on. */
  cases: Record<string, number>;
  refundId: number;
  receiptLineId: number;
  outboundTracking: string;
  returnTracking: string;
  alertId: number;
  parcelId: number;
  runId: number;
  /** A console account limited to the shop. */
  userId: number;
}

interface Sample {
  url: string;
  payload?: unknown;
}
type SampleFn = (f: Fixture, n: number) => Sample | Promise<Sample>;

let env: TestEnv;
let app: App;
let adminToken: string;
const tokens: Record<string, { all: string; limited: string }> = {};
const fx: Record<string, Fixture> = {};
const bStrings: string[] = [];
let warehouseId = "";
let draftVersion = 0;

let anonymous = 0;
async function call(token: string | undefined, method: string, url: string, payload?: unknown) {
  // Failed sign-ins are rate-limited per address: each request without a token comes from its own.
  const from = token ? "127.0.0.1" : `10.9.${(++anonymous >> 8) & 255}.${anonymous & 255}`;
  const res = await injectOpening(app, {
    method: method as "GET",
    url,
    remoteAddress: from,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  const type = String(res.headers["content-type"] ?? "");
  const text = type.includes("spreadsheetml") ? "" : res.body;
  let json: { code?: string } & Record<string, unknown> = {};
  try {
    json = (text ? JSON.parse(text) : null) ?? {};
  } catch {}
  return { status: res.statusCode, text, json };
}
const admin = async (method: string, url: string, payload?: unknown) => {
  const r = await call(adminToken, method, `/api/v1${url}`, payload);
  if (r.status >= 400) throw new Error(`seed ${method} ${url}: ${r.status} ${r.text}`);
  // biome-ignore lint/suspicious/noExplicitAny: seed answers are read field by field
  return r.json as Record<string, any>;
};

/** Every sequence moved to `at`: the objects made next get ids from there. */
async function moveSequences(at: number) {
  const seqs = await sql<{
    name: string;
  }>`select c.oid::regclass::text as name from pg_class c where c.relkind = 'S'`.execute(env.ctx.db);
  for (const s of seqs.rows) await sql`select setval(${s.name}::regclass, ${at})`.execute(env.ctx.db);
}

/** A shop with an order and a case in each state the actions below need. */
async function seedShop(shop: string, tag: string): Promise<Fixture> {
  const ext = (s: string) => `${tag}-${s}`;
  const order = (n: number) =>
    sampleOrder({
      shop,
      externalId: ext(`ORD-${n}`),
      // One buyer of both shops: what one shop knows of them must not show in the other's views.
      customer: { id: "BUYER-BOTH", name: "王小明" },
      lines: [
        {
          externalId: "L1",
          sku: `SKU-${tag}-ONLY`,
          title: "T恤",
          category: "tops",
          quantity: 2,
          unitPrice: "99.00",
        },
        {
          externalId: "L2",
          sku: "SKU-SHARED",
          title: "帽子",
          category: "hats",
          quantity: 1,
          unitPrice: "59.90",
        },
      ],
      payments: [{ tender: "alipay", amount: "245.90", transactionId: ext(`TX-${n}`) }],
      shipments: [{ carrier: "SF", trackingNo: ext(`SF-${n}`), status: "delivered" }],
    });
  const cases: Record<string, number> = {};
  let first: { orderId: number; lineIds: number[] } | undefined;
  const open = async (purpose: string, type: string, n: number) => {
    const o = await admin("POST", "/orders", order(n));
    const detail = await admin("GET", `/orders/${o.id}`);
    const lineIds = (detail.lines as { id: number }[]).map((l) => l.id);
    first ??= { orderId: o.id, lineIds };
    const c = await admin("POST", "/cases", {
      orderId: o.id,
      type,
      reason: "quality",
      source: "chat",
      items: [{ lineId: lineIds[0], quantity: 1 }],
    });
    cases[purpose] = c.id;
    return c.id as number;
  };
  const step = (id: number, action: string, body: unknown = {}) =>
    admin("POST", `/cases/${id}/${action}`, body);
  let n = 0;
  for (const p of ["read", "approve", "reject", "cancel", "override", "review", "compensate"])
    await open(p, "refund_only", ++n);
  for (const p of ["returnShipment", "receive", "scan", "match", "batch"]) {
    await step(await open(p, "return_refund", ++n), "approve");
  }
  await step(cases.scan as number, "return-shipment", { carrier: "SF", trackingNo: ext("RT") });
  for (const p of ["inspect", "inspections", "grant", "grantRecommended", "recommendation"]) {
    const id = await open(p, "return_refund", ++n);
    await step(id, "approve");
    await step(id, "receive", { quantity: 1, condition: "intact" });
    if (p === "grant" || p === "grantRecommended" || p === "recommendation")
      await step(id, "inspect", { result: "pass" });
  }
  const refunded = await open("close", "refund_only", ++n);
  await step(refunded, "approve");
  await step(refunded, "grant-refund");
  const reship = await open("replacement", "reship", ++n);
  await step(reship, "approve");
  const lines = await admin("GET", `/cases/${cases.inspections}/receipt-lines`);
  // An unidentified parcel, matched to this shop's case: it belongs to the shop now.
  const parcel = await admin("POST", "/unidentified-parcels", {
    scanned: ext("PARCEL"),
    trackingNo: ext("PARCEL"),
  });
  await admin("POST", `/unidentified-parcels/${parcel.id}/match`, { caseId: cases.match });
  const alert = await env.ctx.db
    .insertInto("alerts")
    .values({
      kind: "case_risk",
      subject: "BUYER-BOTH",
      severity: "critical",
      dedupe_key: `case_risk:${cases.read}`,
      case_id: cases.read as number,
      shop_id: shop,
      reason: JSON.stringify({ zh: "风险", en: "risk" }),
      data: JSON.stringify({ score: 90 }),
      created_at: env.clock.now,
      updated_at: env.clock.now,
    } as never)
    .returning("id")
    .executeTakeFirstOrThrow();
  const refund = await env.ctx.db
    .selectFrom("refunds")
    .select("id")
    .where("case_id", "=", refunded)
    .executeTakeFirstOrThrow();
  const user = await env.ctx.db
    .insertInto("users")
    .values({
      login: `${tag.toLowerCase()}-clerk`,
      name: `${tag}-CLERK`,
      password_hash: "-",
      role: "warehouse",
      shops: [shop],
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return {
    shop,
    probe: false,
    orderId: first?.orderId as number,
    orderExternalId: ext("ORD-1"),
    lineIds: first?.lineIds as number[],
    sku: `SKU-${tag}-ONLY`,
    cases,
    refundId: refund.id,
    receiptLineId: (lines.lines as { id: number }[])[0]?.id as number,
    outboundTracking: ext("SF-1"),
    returnTracking: ext("RT"),
    alertId: Number(alert.id),
    parcelId: parcel.id,
    runId: 0,
    userId: user.id,
  };
}

/** One reconciliation of the channel's day, spanning both shops and a bill line that is no one's. */
async function seedReconciliation() {
  const refunds = await env.ctx.db
    .selectFrom("refunds")
    .select(["id", "idempotency_key", "amount", "currency"])
    .where("id", "in", [fx.A?.refundId as number, fx.B?.refundId as number])
    .execute();
  const items = refunds.map((r, i) => ({
    category: "matched" as const,
    key: r.idempotency_key,
    refundId: r.id,
    ourAmount: r.amount,
    ourStatus: "succeeded",
    billAmount: r.amount,
    billStatus: "succeeded" as const,
    currency: r.currency,
    channelRefundId: `CH-${r.idempotency_key}`,
    billDate: "2026-10-31",
    billLine: i + 1,
    note: null,
  }));
  items.push({
    category: "missing_on_our_side" as never,
    key: "B-BILL-ONLY",
    refundId: null as never,
    ourAmount: null as never,
    ourStatus: null as never,
    billAmount: 1234,
    billStatus: "succeeded",
    currency: "CNY",
    channelRefundId: "B-BILL-ONLY-CH",
    billDate: "2026-10-31",
    billLine: 3,
    note: null,
  });
  const total = items.reduce((a, i) => a + (i.billAmount ?? 0), 0);
  const counts = {
    matched: 2,
    missing_on_our_side: 1,
    missing_on_channel: 0,
    amount_mismatch: 0,
    status_mismatch: 0,
    awaiting_next_bill: 0,
  };
  return saveRun(env.ctx.db, {
    channel: "alipay",
    date: "2026-10-31",
    source: "upload",
    sha1: "0".repeat(40),
    billRows: 3,
    summary: {
      counts,
      problems: 1,
      ignored: 0,
      billSucceededTotal: total,
      ourSucceededTotal: total - 1234,
      billRows: 3,
      currency: "CNY",
    },
    items,
    by: "seed",
    at: env.clock.now,
  });
}

/** A well-formed request for each operation, for shop `f` (shop B's objects when probing). */
const SAMPLES: Record<string, SampleFn> = {
  "GET /api/v1/shops": () => ({ url: "/api/v1/shops" }),
  "POST /api/v1/shops": (_f, n) => ({
    url: "/api/v1/shops",
    payload: { id: `new-${n}`, name: "新店", channel: "manual" },
  }),
  "GET /api/v1/tokens": () => ({ url: "/api/v1/tokens" }),
  "POST /api/v1/tokens": (f) => ({
    url: "/api/v1/tokens",
    payload: { name: "m", role: "cs_agent", shops: [f.shop] },
  }),
  "DELETE /api/v1/tokens/{id}": async (f) => {
    const t = await createToken(env.ctx.db, { name: "throwaway", role: "cs_agent", shops: [f.shop] });
    return { url: `/api/v1/tokens/${t.id}` };
  },
  "GET /api/v1/audit-log": () => ({ url: "/api/v1/audit-log" }),
  "GET /api/v1/session": () => ({ url: "/api/v1/session" }),
  "PATCH /api/v1/me": () => ({ url: "/api/v1/me", payload: { onDuty: true } }),
  "GET /api/v1/users": () => ({ url: "/api/v1/users?limit=200" }),
  "POST /api/v1/users": (f, n) => ({
    url: "/api/v1/users",
    payload: {
      login: `matrix-${n}`,
      name: "m",
      password: "matrix-password",
      role: "cs_agent",
      shops: [f.shop],
    },
  }),
  "PATCH /api/v1/users/{id}": (f) => ({ url: `/api/v1/users/${f.userId}`, payload: { onDuty: true } }),
  "POST /api/v1/orders": (f, n) => ({
    url: "/api/v1/orders",
    payload: sampleOrder({ shop: f.shop, externalId: `${f.shop}-M${n}`, customer: { id: "m-cust" } }),
  }),
  "GET /api/v1/orders": (f) => ({ url: `/api/v1/orders?shop=${f.shop}&externalId=${f.orderExternalId}` }),
  "GET /api/v1/orders/{id}": (f) => ({ url: `/api/v1/orders/${f.orderId}` }),
  "POST /api/v1/refund-quotes": (f) => ({
    url: "/api/v1/refund-quotes",
    payload: { orderId: f.orderId, items: [{ lineId: f.lineIds[1], quantity: 1 }], reason: "quality" },
  }),
  "POST /api/v1/cases": (f) => ({
    url: "/api/v1/cases",
    payload: {
      orderId: f.orderId,
      type: "refund_only",
      reason: "quality",
      items: [{ lineId: f.lineIds[1], quantity: 1 }],
    },
  }),
  "GET /api/v1/cases": (f) => ({ url: f.probe ? `/api/v1/cases?shop=${f.shop}` : "/api/v1/cases?limit=200" }),
  "GET /api/v1/cases/{id}": (f) => ({ url: `/api/v1/cases/${f.cases.read}` }),
  "GET /api/v1/cases/{id}/view": (f) => ({ url: `/api/v1/cases/${f.cases.read}/view` }),
  "GET /api/v1/review-queue": () => ({ url: "/api/v1/review-queue?limit=200" }),
  "GET /api/v1/queue": (f) => ({ url: f.probe ? `/api/v1/queue?shop=${f.shop}` : "/api/v1/queue?limit=200" }),
  "GET /api/v1/board": (f) => ({ url: f.probe ? `/api/v1/board?shop=${f.shop}` : "/api/v1/board?limit=100" }),
  "POST /api/v1/views": (_f, n) => ({
    url: "/api/v1/views",
    payload: { name: `view-${n}`, filters: { owner: "none" } },
  }),
  "POST /api/v1/cases/{id}/assign": (f) => ({
    url: `/api/v1/cases/${f.cases.read}/assign`,
    payload: { userId: f.userId },
  }),
  "POST /api/v1/cases/batch": (f) => ({
    url: "/api/v1/cases/batch",
    payload: { action: "unassign", ids: [f.cases.read, f.cases.approve] },
  }),
  "PUT /api/v1/settings/assignment": () => ({ url: "/api/v1/settings/assignment", payload: { auto: true } }),
  "POST /api/v1/cases/{id}/approve": (f) => ({
    url: `/api/v1/cases/${f.cases.approve}/approve`,
    payload: {},
  }),
  "POST /api/v1/cases/{id}/reject": (f) => ({
    url: `/api/v1/cases/${f.cases.reject}/reject`,
    payload: { note: "不符合" },
  }),
  "POST /api/v1/cases/{id}/cancel": (f) => ({ url: `/api/v1/cases/${f.cases.cancel}/cancel`, payload: {} }),
  "POST /api/v1/cases/{id}/return-shipment": (f) => ({
    url: `/api/v1/cases/${f.cases.returnShipment}/return-shipment`,
    payload: { carrier: "SF", trackingNo: `${f.shop}-RT2` },
  }),
  "POST /api/v1/cases/{id}/receive": (f) => ({
    url: `/api/v1/cases/${f.cases.receive}/receive`,
    payload: { quantity: 1, condition: "intact" },
  }),
  "POST /api/v1/cases/{id}/inspect": (f) => ({
    url: `/api/v1/cases/${f.cases.inspect}/inspect`,
    payload: { result: "pass" },
  }),
  "POST /api/v1/cases/{id}/grant-refund": (f) => ({
    url: `/api/v1/cases/${f.cases.grant}/grant-refund`,
    payload: {},
  }),
  "POST /api/v1/cases/{id}/issue-refund": (f) => ({
    url: `/api/v1/cases/${f.cases.close}/issue-refund`,
    payload: {},
  }),
  "POST /api/v1/cases/{id}/replacement-shipment": (f) => ({
    url: `/api/v1/cases/${f.cases.replacement}/replacement-shipment`,
    payload: { carrier: "SF", trackingNo: `${f.shop}-RS` },
  }),
  "POST /api/v1/cases/{id}/close": (f) => ({ url: `/api/v1/cases/${f.cases.close}/close`, payload: {} }),
  "POST /api/v1/cases/{id}/compensate": async (f) => {
    const c = await env.ctx.db
      .selectFrom("cases")
      .select("version")
      .where("id", "=", f.cases.compensate as number)
      .executeTakeFirst();
    return {
      url: `/api/v1/cases/${f.cases.compensate}/compensate`,
      payload: { type: "coupon", amount: "5.00", expectedVersion: c?.version ?? 1 },
    };
  },
  "POST /api/v1/cases/{id}/override": (f) => ({
    url: `/api/v1/cases/${f.cases.override}/override`,
    payload: { decision: "approve", note: "人工改判" },
  }),
  "POST /api/v1/cases/{id}/review": (f) => ({ url: `/api/v1/cases/${f.cases.review}/review`, payload: {} }),
  "GET /api/v1/rules/vocabulary": () => ({ url: "/api/v1/rules/vocabulary" }),
  "GET /api/v1/rules": () => ({ url: "/api/v1/rules" }),
  "GET /api/v1/rules/versions/{version}": () => ({ url: `/api/v1/rules/versions/${draftVersion}` }),
  "PUT /api/v1/rules/versions/{version}": () => ({
    url: `/api/v1/rules/versions/${draftVersion}`,
    payload: { definition: DEFAULT_RULE_SET },
  }),
  "DELETE /api/v1/rules/versions/{version}": async () => {
    const d = await admin("POST", "/rules/versions", { definition: DEFAULT_RULE_SET });
    return { url: `/api/v1/rules/versions/${d.version}` };
  },
  "POST /api/v1/rules/versions": () => ({
    url: "/api/v1/rules/versions",
    payload: { definition: DEFAULT_RULE_SET },
  }),
  "POST /api/v1/rules/versions/{version}/request-activation": async () => {
    const d = await admin("POST", "/rules/versions", { definition: DEFAULT_RULE_SET });
    return { url: `/api/v1/rules/versions/${d.version}/request-activation`, payload: {} };
  },
  "POST /api/v1/rules/versions/{version}/activate": async () => {
    const d = await admin("POST", "/rules/versions", { definition: DEFAULT_RULE_SET });
    return { url: `/api/v1/rules/versions/${d.version}/activate`, payload: {} };
  },
  "POST /api/v1/rules/dry-run": (f) => ({ url: "/api/v1/rules/dry-run", payload: { caseId: f.cases.read } }),
  "POST /api/v1/rules/backtests": () => ({ url: "/api/v1/rules/backtests", payload: {} }),
  "POST /api/v1/rules/suggestions": () => ({ url: "/api/v1/rules/suggestions", payload: {} }),
  "POST /api/v1/rules/suggestions/dismissed": () => ({
    url: "/api/v1/rules/suggestions/dismissed",
    payload: { fingerprint: '["case.type","eq","reship"]' },
  }),
  "GET /api/v1/alerts": () => ({ url: "/api/v1/alerts?limit=200" }),
  "POST /api/v1/alerts/{id}/acknowledge": (f) => ({
    url: `/api/v1/alerts/${f.alertId}/acknowledge`,
    payload: { note: "看过" },
  }),
  "POST /api/v1/alerts/quality-scan": () => ({ url: "/api/v1/alerts/quality-scan", payload: {} }),
  "GET /api/v1/shops/{shop}/review-settings": (f) => ({ url: `/api/v1/shops/${f.shop}/review-settings` }),
  "PUT /api/v1/shops/{shop}/review-settings": (f) => ({
    url: `/api/v1/shops/${f.shop}/review-settings`,
    payload: { autoRefundLimit: null },
  }),
  "GET /api/v1/settings/risk": () => ({ url: "/api/v1/settings/risk" }),
  "PUT /api/v1/settings/risk": async () => ({
    url: "/api/v1/settings/risk",
    payload: await admin("GET", "/settings/risk"),
  }),
  "GET /api/v1/settings/thresholds/fields": () => ({ url: "/api/v1/settings/thresholds/fields" }),
  "GET /api/v1/settings/rules-activation": () => ({ url: "/api/v1/settings/rules-activation" }),
  "PUT /api/v1/settings/rules-activation": () => ({
    url: "/api/v1/settings/rules-activation",
    payload: { secondPerson: false },
  }),
  "GET /api/v1/settings/quality": () => ({ url: "/api/v1/settings/quality" }),
  "PUT /api/v1/settings/quality": async () => ({
    url: "/api/v1/settings/quality",
    payload: await admin("GET", "/settings/quality"),
  }),
  "GET /api/v1/settings/refunds": () => ({ url: "/api/v1/settings/refunds" }),
  "PUT /api/v1/settings/refunds": async () => ({
    url: "/api/v1/settings/refunds",
    payload: await admin("GET", "/settings/refunds"),
  }),
  "GET /api/v1/settings/timezone": () => ({ url: "/api/v1/settings/timezone" }),
  "PUT /api/v1/settings/timezone": () => ({
    url: "/api/v1/settings/timezone",
    payload: { timeZone: "Asia/Shanghai" },
  }),
  "GET /api/v1/catalog/policies": () => ({ url: "/api/v1/catalog/policies" }),
  "PUT /api/v1/catalog/policies/{kind}/{key}": (f) => ({
    url: `/api/v1/catalog/policies/sku/${f.sku}`,
    payload: { policies: [] },
  }),
  "POST /api/v1/tracking": (f) => ({
    url: "/api/v1/tracking",
    payload: {
      carrier: "SF",
      trackingNo: f.outboundTracking,
      events: [{ at: "2026-10-22T10:00:00Z", status: "in_transit", description: "运输中" }],
    },
  }),
  "GET /api/v1/shops/{shop}/credentials": (f) => ({ url: `/api/v1/shops/${f.shop}/credentials` }),
  "PUT /api/v1/shops/{shop}/credentials": (f) => ({
    url: `/api/v1/shops/${f.shop}/credentials`,
    payload: {},
  }),
  "DELETE /api/v1/shops/{shop}/credentials": (f) => ({ url: `/api/v1/shops/${f.shop}/credentials` }),
  "GET /api/v1/shops/{shop}/return-address": (f) => ({ url: `/api/v1/shops/${f.shop}/return-address` }),
  "PUT /api/v1/shops/{shop}/return-address": (f) => ({
    url: `/api/v1/shops/${f.shop}/return-address`,
    payload: { name: "退货仓", phone: "021-1234", address: "上海市" },
  }),
  "GET /api/v1/shops/{shop}/sync": (f) => ({ url: `/api/v1/shops/${f.shop}/sync` }),
  "POST /api/v1/shops/{shop}/sync": (f) => ({ url: `/api/v1/shops/${f.shop}/sync` }),
  "GET /api/v1/refunds": () => ({ url: "/api/v1/refunds?limit=200" }),
  "POST /api/v1/refunds/{id}/offline-settlement": (f) => ({
    url: `/api/v1/refunds/${f.refundId}/offline-settlement`,
    payload: { reference: "BANK-1" },
  }),
  "POST /api/v1/refunds/{id}/switch-to-offline": (f) => ({
    url: `/api/v1/refunds/${f.refundId}/switch-to-offline`,
    payload: { tender: "bank_transfer", note: "改线下退款" },
  }),
  "GET /api/v1/finance/report": () => ({
    url: "/api/v1/finance/report?from=2026-01-01&to=2026-12-31&by=shop,reason",
  }),
  "GET /api/v1/finance/ledger": (f) => ({
    url: f.probe ? `/api/v1/finance/ledger?caseId=${f.cases.close}` : "/api/v1/finance/ledger?limit=500",
  }),
  "GET /api/v1/settings/finance": () => ({ url: "/api/v1/settings/finance" }),
  "PUT /api/v1/settings/finance": async () => ({
    url: "/api/v1/settings/finance",
    payload: await admin("GET", "/settings/finance"),
  }),
  "GET /api/v1/analytics/refund-rates": (f) => ({
    url: `/api/v1/analytics/refund-rates?by=sku&minSold=0${f.probe ? `&shop=${f.shop}` : ""}`,
  }),
  "GET /api/v1/analytics/reasons": (f) => ({
    url: `/api/v1/analytics/reasons${f.probe ? `?shop=${f.shop}` : ""}`,
  }),
  "GET /api/v1/analytics/automation": (f) => ({
    url: `/api/v1/analytics/automation${f.probe ? `?shop=${f.shop}` : ""}`,
  }),
  "GET /api/v1/analytics/stage-times": (f) => ({
    url: `/api/v1/analytics/stage-times${f.probe ? `?shop=${f.shop}` : ""}`,
  }),
  "GET /api/v1/analytics/refund-trend": (f) => ({
    url: `/api/v1/analytics/refund-trend?by=sku${f.probe ? `&shop=${f.shop}` : ""}`,
  }),
  "GET /api/v1/analytics/costs": (f) => ({
    url: `/api/v1/analytics/costs${f.probe ? `?shop=${f.shop}` : ""}`,
  }),
  "POST /api/v1/analytics/rebuild": () => ({ url: "/api/v1/analytics/rebuild", payload: {} }),
  "GET /api/v1/receiving/candidates": (f) => ({ url: `/api/v1/receiving/candidates?code=${f.sku}` }),
  "POST /api/v1/receiving/scan": (f) => ({
    url: "/api/v1/receiving/scan",
    payload: { code: f.returnTracking },
  }),
  "POST /api/v1/receiving/receive": (f) => ({
    url: "/api/v1/receiving/receive",
    payload: { caseId: f.cases.batch, quantity: 1, condition: "intact" },
  }),
  "POST /api/v1/receiving/batch": (f) => ({
    url: "/api/v1/receiving/batch",
    payload: { scans: [{ code: f.sku, kind: "sku", caseId: f.cases.batch }] },
  }),
  "POST /api/v1/unidentified-parcels": (_f, n) => ({
    url: "/api/v1/unidentified-parcels",
    payload: { scanned: `UNKNOWN-${n}` },
  }),
  "GET /api/v1/unidentified-parcels": () => ({ url: "/api/v1/unidentified-parcels?limit=200" }),
  "POST /api/v1/unidentified-parcels/{id}/match": (f) => ({
    url: `/api/v1/unidentified-parcels/${f.parcelId}/match`,
    payload: { caseId: f.cases.match },
  }),
  "GET /api/v1/cases/{id}/receipt-lines": (f) => ({
    url: `/api/v1/cases/${f.cases.inspections}/receipt-lines`,
  }),
  "POST /api/v1/cases/{id}/inspections/quote": (f) => ({
    url: `/api/v1/cases/${f.cases.inspections}/inspections/quote`,
    payload: { lines: [{ receiptLineId: f.receiptLineId, result: "fail", finding: "buyer_damage" }] },
  }),
  "POST /api/v1/cases/{id}/inspections": (f) => ({
    url: `/api/v1/cases/${f.cases.inspections}/inspections`,
    payload: { lines: [{ receiptLineId: f.receiptLineId, result: "pass" }] },
  }),
  "GET /api/v1/cases/{id}/refund-recommendation": (f) => ({
    url: `/api/v1/cases/${f.cases.recommendation}/refund-recommendation`,
  }),
  "POST /api/v1/cases/{id}/grant-recommended-refund": (f) => ({
    url: `/api/v1/cases/${f.cases.grantRecommended}/grant-recommended-refund`,
    payload: {},
  }),
  "GET /api/v1/inventory": () => ({ url: "/api/v1/inventory?limit=500" }),
  "GET /api/v1/inventory/movements": (f) => ({
    url: f.probe
      ? `/api/v1/inventory/movements?caseId=${f.cases.inspections}`
      : "/api/v1/inventory/movements?limit=500",
  }),
  "POST /api/v1/inventory/adjustments": (f, n) => ({
    url: "/api/v1/inventory/adjustments",
    payload: { sku: f.sku, key: `count-${n}`, change: { sellable: 1 } },
  }),
  "PUT /api/v1/inventory/backorder": (f) => ({
    url: "/api/v1/inventory/backorder",
    payload: { sku: f.sku, allowBackorder: null },
  }),
  "GET /api/v1/warehouses": () => ({ url: "/api/v1/warehouses" }),
  "POST /api/v1/warehouses": (_f, n) => ({
    url: "/api/v1/warehouses",
    payload: { id: `wh-${n}`, name: "新仓" },
  }),
  "PATCH /api/v1/warehouses/{id}": () => ({
    url: `/api/v1/warehouses/${warehouseId}`,
    payload: { allowBackorder: false },
  }),
  "GET /api/v1/reconciliations": () => ({ url: "/api/v1/reconciliations" }),
  "POST /api/v1/reconciliations": () => ({ url: "/api/v1/reconciliations?channel=alipay&date=2026-10-30" }),
  "GET /api/v1/reconciliations/{id}": (f) => ({ url: `/api/v1/reconciliations/${f.runId}` }),
};

/** An operation nobody wrote a sample for still gets a request: its path ids filled in, an empty body. */
const fallback =
  (path: string, method: string): SampleFn =>
  (f) => ({
    url: path.replace(/\{shop\}/g, f.shop).replace(/\{[a-zA-Z]+\}/g, String(f.cases.read)),
    ...(method === "GET" || method === "DELETE" ? {} : { payload: {} }),
  });

interface Operation {
  key: string;
  method: string;
  path: string;
  permission: string | undefined;
  allShops: boolean;
}

/** Shop B's data anywhere in an answer the caller's own request did not name. */
function leaksIn(text: string, request: string): string[] {
  const found = bStrings.filter((s) => text.includes(s) && !request.includes(s));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return found;
  }
  const walk = (v: unknown, key: string) => {
    if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (
      typeof v === "number" &&
      v >= B_MIN &&
      v <= B_MAX &&
      /^(id|ids|reviewed|newlySigned)$|Id$|Ids$|_id$/.test(key) &&
      !request.includes(String(v))
    )
      found.push(`${key}=${v}`);
  };
  walk(json, "");
  return found;
}

/** Shop B's objects as they stand: shop-A tokens must leave every one of them as it was. */
async function bState() {
  const db = env.ctx.db;
  return {
    cases: await db
      .selectFrom("cases")
      .select(["id", "status", "version"])
      .where("shop_id", "=", B)
      .orderBy("id")
      .execute(),
    orders: await db
      .selectFrom("orders")
      .select(["id", "version"])
      .where("shop_id", "=", B)
      .orderBy("id")
      .execute(),
    refunds:
      await sql`select r.id, r.status from refunds r join cases c on c.id = r.case_id where c.shop_id = ${B} order by r.id`.execute(
        db,
      ),
    receipts:
      await sql`select count(*)::int as n from receipt_lines rl join cases c on c.id = rl.case_id where c.shop_id = ${B}`.execute(
        db,
      ),
    alerts: await db
      .selectFrom("alerts")
      .select(["id", "status"])
      .where("id", ">=", B_MIN)
      .where("id", "<=", B_MAX)
      .execute(),
    shipments:
      await sql`select s.id, s.status from shipments s join orders o on o.id = s.order_id where o.shop_id = ${B} order by s.id`.execute(
        db,
      ),
  };
}

let operations: Operation[] = [];

beforeAll(async () => {
  env = await testEnv();
  adminToken = (await createToken(env.ctx.db, { name: "seed-admin", role: "admin" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, changes: env.store.changes });
  for (const [id, channel] of [
    [A, "tmall"],
    [B, "jd"],
  ]) {
    await env.ctx.db
      .insertInto("shops")
      .values({ id: id as string, name: id as string, channel: channel as string })
      .execute();
  }
  fx.A = await seedShop(A, "A");
  await moveSequences(B_MIN - 1);
  fx.B = { ...(await seedShop(B, "B")), probe: true };
  await moveSequences(B_MAX + 1);
  // A quality alert raised before alerts were per shop: no one shop's, so for all-shops tokens only.
  await env.ctx.db
    .insertInto("alerts")
    .values({
      kind: "sku_quality",
      subject: "SKU-SHARED",
      severity: "warning",
      dedupe_key: "sku_quality:SKU-SHARED:legacy",
      reason: JSON.stringify({ zh: "B-LEGACY 退款率上升", en: "B-LEGACY refund rate jumped" }),
      created_at: env.clock.now,
      updated_at: env.clock.now,
    } as never)
    .execute();
  // The day's report spans both shops: its id is no shop's.
  const runId = await seedReconciliation();
  fx.A.runId = runId;
  fx.B.runId = runId;
  draftVersion = (await admin("POST", "/rules/versions", { definition: DEFAULT_RULE_SET })).version;
  warehouseId = (
    await env.ctx.db
      .selectFrom("warehouses")
      .select("id")
      .where("is_default", "=", true)
      .executeTakeFirstOrThrow()
  ).id;
  // Shop B's marked strings, and its refund keys as the channels saw them.
  const keys = await sql<{
    k: string;
  }>`select r.idempotency_key as k from refunds r join cases c on c.id = r.case_id where c.shop_id = ${B}`.execute(
    env.ctx.db,
  );
  bStrings.push(
    B,
    "B-LEGACY",
    "B-ORD-",
    "SKU-B-ONLY",
    "B-SF-",
    "B-RT",
    "B-TX-",
    "B-PARCEL",
    "B-BILL-ONLY",
    "B-CLERK",
  );
  bStrings.push(...keys.rows.map((r) => r.k));
  for (const role of ROLE_NAMES) {
    tokens[role] = {
      all: (await createToken(env.ctx.db, { name: `${role}-all`, role })).token,
      limited: (await createToken(env.ctx.db, { name: `${role}-a`, role, shops: [A] })).token,
    };
  }
  const doc = (await call(adminToken, "GET", "/api/docs/json")).json as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      const method = m.toUpperCase();
      operations.push({
        key: `${method} ${path}`,
        method,
        path,
        permission: op["x-permission"] as string | undefined,
        allShops: op["x-all-shops"] === true,
      });
    }
  }
  // Reads first, then writes, deletions last: a write that changes state comes after what reads it.
  const rank = (m: string) => (m === "GET" ? 0 : m === "DELETE" ? 2 : 1);
  operations = operations.toSorted((a, b) => rank(a.method) - rank(b.method));
}, 600_000);

afterAll(async () => {
  await app?.close();
  await env?.close();
});

describe("the permission matrix", () => {
  it("covers every operation: a permission each, or public by design", async () => {
    const undeclared = operations.filter((o) => !o.permission && !PUBLIC.has(o.key)).map((o) => o.key);
    expect(undeclared, "operations without x-permission").toEqual([]);
    expect(
      operations
        .filter((o) => PUBLIC.has(o.key))
        .map((o) => o.key)
        .sort(),
    ).toEqual([...PUBLIC].sort());
    expect(operations.length).toBeGreaterThan(80);
    // Health is public too, and kept out of the document.
    expect(operations.some((o) => o.path === "/healthz")).toBe(false);
    expect((await call(undefined, "GET", "/healthz")).status).toBe(200);
  });

  it("answers every operation × role × shop scope as the permission table says, and shows no other shop's data", async () => {
    const before = await bState();
    const wrong: string[] = [];
    const leaks: string[] = [];
    let cells = 0;
    let n = 0;
    const answers: Record<string, number> = {};
    for (const op of operations.filter((o) => !PUBLIC.has(o.key))) {
      const sample = SAMPLES[op.key] ?? fallback(op.path, op.method);
      // Without a token: 401 for every operation that is not public.
      const anon = await sample(fx.A as Fixture, ++n);
      const r0 = await call(undefined, op.method, anon.url, anon.payload);
      cells++;
      if (r0.status !== 401) wrong.push(`${op.key} without a token: ${r0.status}`);
      // Operations on one shop-owned object by its id (rules, warehouses and reconciliations are no shop's).
      const hasId =
        /^\/api\/v1\/(cases|orders|alerts|refunds|unidentified-parcels|tokens|shops|users)\/\{/.test(op.path);
      for (const role of ROLE_NAMES) {
        const may = roleMay(role, op.permission as never) || op.permission === "any";
        for (const scope of ["all", "limited", "probe"] as const) {
          const token = tokens[role]?.[scope === "all" ? "all" : "limited"];
          const f = (scope === "probe" ? fx.B : fx.A) as Fixture;
          const req = await sample(f, ++n);
          const r = await call(token, op.method, req.url, req.payload);
          cells++;
          const bucket = `${scope} ${may ? "may" : "may not"} ${Math.floor(r.status / 100)}xx`;
          answers[bucket] = (answers[bucket] ?? 0) + 1;
          const where = `${op.key} as ${role} (${scope}) → ${r.status} ${r.json.code ?? ""}`;
          if (r.status >= 500) wrong.push(`${where}: server error ${r.text.slice(0, 200)}`);
          if (!may) {
            if (r.status !== 403 || r.json.code !== "FORBIDDEN")
              wrong.push(`${where}: expected 403 FORBIDDEN`);
          } else if (op.allShops && scope !== "all") {
            if (r.status !== 403 || r.json.code !== "ALL_SHOPS_REQUIRED")
              wrong.push(`${where}: expected ALL_SHOPS_REQUIRED`);
          } else if (
            (r.status === 403 &&
              !(scope === "probe" && !/^(FORBIDDEN|ALL_SHOPS_REQUIRED)$/.test(String(r.json.code)))) ||
            r.status === 401
          ) {
            wrong.push(`${where}: refused though the role may`);
          }
          if (scope !== "all") {
            for (const l of leaksIn(r.text, `${req.url} ${JSON.stringify(req.payload ?? "")}`))
              leaks.push(`${where}: ${l}`);
          }
          // Shop B's object answers as one that does not exist: nothing tells the caller it is there.
          if (scope === "probe" && may && !op.allShops && hasId) {
            const none = await call(
              token,
              op.method,
              req.url
                .replace(/\/(\d{6,})(?=\/|$|\?)/, "/999999999")
                .replace(`/${B}/`, "/no-such-shop/")
                .replace(new RegExp(`/${B}$`), "/no-such-shop"),
              req.payload,
            );
            cells++;
            if (none.status !== r.status || none.json.code !== r.json.code)
              wrong.push(`${where}: a missing one answers ${none.status} ${none.json.code ?? ""}`);
          }
        }
      }
    }
    const after = await bState();
    console.log(
      `permission matrix: ${operations.length} operations (${operations.length - PUBLIC.size} behind a token, ${
        operations.filter((o) => SAMPLES[o.key]).length
      } with a written sample), ${cells} cells, ${leaks.length} leaks, ${wrong.length} wrong answers`,
      answers,
    );
    if (wrong.length || leaks.length) console.log([...wrong, ...leaks].join("\n"));
    expect(wrong, "answers that do not match the permission table").toEqual([]);
    expect(leaks, "shop B's data in answers to a shop-A token").toEqual([]);
    expect(after, "shop B's objects changed by shop-A tokens").toEqual(before);
  }, 900_000);

  it("shows a shop-limited token its own part of what spans shops", async () => {
    const limited = (role: string) => tokens[role]?.limited;
    const all = (role: string) => tokens[role]?.all;
    // The day's reconciliation: shop A's refund only, totals over it, nothing of the bill as a whole.
    const aRefund = await env.ctx.db
      .selectFrom("refunds")
      .select(["id", "amount"])
      .where("id", "=", fx.A?.refundId as number)
      .executeTakeFirstOrThrow();
    const mine = (await call(limited("finance"), "GET", `/api/v1/reconciliations/${fx.A?.runId}`)).json;
    expect(mine).toMatchObject({
      shops: [A],
      billRows: null,
      ignored: null,
      problems: 0,
      counts: { matched: 1, missing_on_our_side: 0 },
      items: [{ refundId: aRefund.id, category: "matched" }],
    });
    expect(mine.billSucceededTotal).toBe(mine.ourSucceededTotal);
    expect(Number(mine.ourSucceededTotal)).toBe(aRefund.amount / 100);
    const whole = (await call(all("finance"), "GET", `/api/v1/reconciliations/${fx.A?.runId}`)).json;
    expect(whole).toMatchObject({
      shops: null,
      billRows: 3,
      problems: 1,
      counts: { matched: 2, missing_on_our_side: 1 },
    });
    expect(whole.items).toHaveLength(3);
    // Problems to look at are the caller's problems: the bill line no one owns is not shop A's.
    const withProblems = async (t: string | undefined) =>
      ((await call(t, "GET", "/api/v1/reconciliations?problems=true")).json.items as { id: number }[]).map(
        (r) => r.id,
      );
    expect(await withProblems(limited("finance"))).toEqual([]);
    expect(await withProblems(all("finance"))).toEqual([fx.A?.runId]);

    // Alerts: each belongs to a shop; one of no shop is for all-shops tokens.
    const alerts = async (t: string | undefined) =>
      ((await call(t, "GET", "/api/v1/alerts?limit=200")).json.items as { shop: string | null }[]).map(
        (a) => a.shop,
      );
    expect(new Set(await alerts(limited("reviewer")))).toEqual(new Set([A]));
    expect(new Set(await alerts(all("reviewer")))).toEqual(new Set([A, B, null]));

    // The buyer shops in both: the case view counts only what the caller's shops know of them.
    const view = async (t: string | undefined) =>
      (await call(t, "GET", `/api/v1/cases/${fx.A?.cases.read}/view`)).json.customer as {
        orders: number;
        recentOrders: { shop: string }[];
        earlierCases: { id: number }[];
      };
    const narrow = await view(limited("reviewer"));
    const wide = await view(all("reviewer"));
    expect(new Set(narrow.recentOrders.map((o) => o.shop))).toEqual(new Set([A]));
    expect(wide.recentOrders.map((o) => o.shop)).toContain(B);
    expect(narrow.orders).toBeLessThan(wide.orders);
    expect(narrow.earlierCases.filter((k) => k.id >= B_MIN && k.id <= B_MAX)).toEqual([]);
    expect(wide.earlierCases.filter((k) => k.id >= B_MIN && k.id <= B_MAX)).not.toEqual([]);

    // Stock is shared, but a shop-limited token sees the SKUs its shops sell.
    const skus = async (t: string | undefined) =>
      ((await call(t, "GET", "/api/v1/inventory?limit=500")).json.items as { sku: string }[]).map(
        (b) => b.sku,
      );
    expect(await skus(limited("warehouse"))).not.toContain("SKU-B-ONLY");
    expect(await skus(all("warehouse"))).toContain("SKU-B-ONLY");
  });
});
