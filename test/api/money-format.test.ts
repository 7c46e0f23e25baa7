import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decimalMoney } from "../../src/api/serialize.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { loadDemo } from "../../src/cli/demo.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { sampleOrder } from "../support/fixtures.ts";
import { returnCase, trackingNo } from "../support/warehouse.ts";

/**
 * One money format out: every amount the API answers with is a decimal string next to its currency,
 * and every field name is camelCase. The walk covers every GET of the OpenAPI document (each id of the
 * demo merchant where a path takes one) and the answers of the writes that return money.
 */

let env: TestEnv;
let app: App;
let token: string;

beforeAll(async () => {
  env = await testEnv();
  await loadDemo(env.ctx, { orders: 60 });
  token = (await createToken(env.ctx.db, { name: "admin", role: "admin" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await env?.close();
});

async function call(method: "GET" | "POST" | "PUT", url: string, payload?: unknown, type?: string) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}`, ...(type ? { "content-type": type } : {}) },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  const json = res.headers["content-type"]?.toString().includes("json") ? res.json() : undefined;
  return { status: res.statusCode, body: json };
}

/** A name is money when one of its words is; a last word that is a unit (qty, rate, …) says it is not. */
const MONEY_WORDS = new Set(
  "amount total fee fees cap floor limit refunded refundable paid price net shipping compensation subsidy subsidies deduction deductions cost costs goods requested".split(
    " ",
  ),
);
const NOT_MONEY = new Set("qty quantity rate multiple count hours days score weight bp id at".split(" "));
/** Counts whose names read like money: units refunded (a quality threshold, a quality alert's data). */
const COUNTS = new Set(["minRefunded", "recentRefunded", "baselineRefunded"]);
function isMoneyName(key: string): boolean {
  if (COUNTS.has(key)) return false;
  const words = key
    .split(/(?=[A-Z])|\d+d?$/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  return !NOT_MONEY.has(words.at(-1) ?? "") && words.some((w) => MONEY_WORDS.has(w));
}
/** Objects keyed by codes (signal codes, tenders, enum values), not by field names. */
const KEYED_BY_CODE = new Set([
  "values",
  "weights",
  "fees",
  "queues",
  "counts",
  "rejectReasons",
  "solutions",
  "policies",
]);
/** Review limits apply in each case's own currency (src/flows/settings.ts `above`), so they state none. */
const IN_EACH_CASES_CURRENCY = /\/review-settings$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Every place a response breaks the format: a money number, a snake_case name, an amount with no currency. */
function offences(v: unknown, path: string, currency: boolean, out: string[]) {
  if (Array.isArray(v)) for (const [i, x] of v.entries()) offences(x, `${path}[${i}]`, currency, out);
  else if (v && typeof v === "object") {
    const obj = v as Record<string, unknown>;
    const here = currency || typeof obj.currency === "string";
    const parent = path.split(".").at(-1) ?? "";
    for (const [k, x] of Object.entries(obj)) {
      if (k.includes("_") && !KEYED_BY_CODE.has(parent)) out.push(`${path}.${k}: snake_case`);
      // A page's `total` beside its `items` counts the items the filter matches.
      const pageCount = k === "total" && Array.isArray(obj.items);
      if (isMoneyName(k) && typeof x === "number" && !pageCount) out.push(`${path}.${k} = ${x}: a number`);
      if (isMoneyName(k) && typeof x === "string" && DECIMAL.test(x) && !here)
        out.push(`${path}.${k} = "${x}": no currency`);
      offences(x, `${path}.${k}`, here, out);
    }
  }
}

const check = (label: string, body: unknown) => {
  const out: string[] = [];
  offences(body, label, IN_EACH_CASES_CURRENCY.test(label), out);
  return out;
};

describe("money and names in every answer", () => {
  it("turns minor units in stored JSON (timeline and risk data) into decimal strings with the currency", () => {
    // As grant_refund, refund_failed and platform events wrote them before the API spoke one format.
    const stored = {
      amount: 24590,
      cap: 24590,
      paid: 20000,
      requestedAmount: 100,
      legs: [{ refundId: 1, channel: "wechat_pay", amount: 20000, status: "succeeded" }],
      quantity: 2,
      note: "x",
    };
    expect(decimalMoney(stored, "CNY")).toEqual({
      amount: "245.90",
      cap: "245.90",
      paid: "200.00",
      requestedAmount: "1.00",
      legs: [{ refundId: 1, channel: "wechat_pay", amount: "200.00", status: "succeeded", currency: "CNY" }],
      quantity: 2,
      note: "x",
      currency: "CNY",
    });
    // Already decimal (written since): unchanged, its own currency kept.
    const now = { cap: "245.90", requested: "300.00", currency: "USD" };
    expect(decimalMoney(now, "CNY")).toEqual(now);
  });

  it("tells money names from counts and rates", () => {
    for (const k of [
      "amount",
      "soldAmount",
      "amountFloor",
      "cap",
      "paidTotal",
      "refundedTotal",
      "net",
      "fees",
    ])
      expect([k, isMoneyName(k)]).toEqual([k, true]);
    for (const k of [
      "refundedQty",
      "amountRate",
      "amountMultiple",
      "refundRate90d",
      "cases",
      "paidAt",
      "rateBp",
    ])
      expect([k, isMoneyName(k)]).toEqual([k, false]);
  });

  it("no GET answers with a money number, a snake_case name or an amount without its currency", async () => {
    const seen: string[] = [];
    const bad: string[] = [];
    const get = async (url: string) => {
      const res = await call("GET", url);
      seen.push(`${res.status} ${url}`);
      if (res.body !== undefined) bad.push(...check(url, res.body));
      return res;
    };

    // Writes that answer with money, so the walk also finds what they leave behind.
    const cases = await env.ctx.db.selectFrom("cases").select(["id", "status", "type", "version"]).execute();
    const compensated = cases.find((c) => c.type === "return_refund") ?? cases[0];
    if (compensated) {
      const res = await call("POST", `/cases/${compensated.id}/compensate`, {
        type: "cash",
        amount: "5.00",
        expectedVersion: compensated.version,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ amount: "5.00", currency: expect.any(String) });
      bad.push(...check("compensate", res.body));
    }
    // Refusals over money carry their amounts the same way, in their details.
    const orderId = (await call("POST", "/orders", sampleOrder({ shop: "tmall-flagship" }))).body.id;
    const line = (await call("GET", `/orders/${orderId}`)).body.lines[0].id;
    const items = [{ lineId: line, quantity: 1 }];
    const refusals = [
      await call("POST", "/refund-quotes", { orderId, items, reason: "quality", amount: "9999.00" }),
      await call("POST", "/refund-quotes", {
        orderId,
        items,
        reason: "quality",
        deductions: [{ kind: "other", amount: "9999.00" }],
      }),
      await call("POST", "/cases", {
        orderId,
        items,
        type: "refund_only",
        reason: "quality",
        requestedAmount: "9999.00",
      }),
    ];
    expect(refusals.map((r) => [r.status, r.body.code, r.body.details?.currency])).toEqual([
      [422, "REFUND_ABOVE_CAP", "CNY"],
      [422, "DEDUCTIONS_EXCEED_REFUND", "CNY"],
      [422, "REFUND_ABOVE_CAP", "CNY"],
    ]);
    for (const r of refusals) bad.push(...check(r.body.code, r.body));
    const bill = readFileSync(new URL("../fixtures/bills/wechat-refund-2026-11-22.csv", import.meta.url));
    const rec = await call("POST", "/reconciliations?channel=wechat_pay&date=2026-11-22", bill, "text/csv");
    expect(rec.status).toBe(201);
    bad.push(...check("reconciliation", rec.body));
    // A return received, inspected with a deduction and granted as QC recommends; a dry run of the rules.
    const parcel = trackingNo();
    const ret = await returnCase(env.ctx, { tracking: parcel });
    const scan = await call("POST", "/receiving/scan", { code: parcel });
    expect(scan.status).toBe(201);
    bad.push(...check("scan", scan.body));
    const lines = (await call("GET", `/cases/${ret.id}/receipt-lines`)).body.lines as { id: number }[];
    const qc = await call("POST", `/cases/${ret.id}/inspections`, {
      lines: lines.map((l, i) =>
        i === 0
          ? { receiptLineId: l.id, result: "pass" }
          : { receiptLineId: l.id, result: "fail", disposition: "defective", deduction: "12.00" },
      ),
    });
    expect(qc.status).toBe(200);
    expect(qc.body.recommendation.deductions).toEqual([expect.objectContaining({ amount: "12.00" })]);
    bad.push(...check("inspections", qc.body));
    const granted = await call("POST", `/cases/${ret.id}/grant-recommended-refund`, {});
    expect(granted.body).toMatchObject({ currency: "CNY", deductions: [{ amount: "12.00" }] });
    bad.push(...check("grant-recommended-refund", granted.body));
    const dry = await call("POST", "/rules/dry-run", { caseId: ret.id });
    expect(dry.status).toBe(200);
    bad.push(...check("dry-run", dry.body));
    const settings = await call("PUT", "/settings/risk", { amountFloor: "400.00" });
    expect(settings.body).toMatchObject({ amountFloor: "400.00", currency: "CNY" });
    bad.push(...check("settings", settings.body));

    await app.ready();
    const doc = app.swagger() as unknown as {
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string; required?: boolean }[] }>
      >;
    };
    const ids = {
      id: (await env.ctx.db.selectFrom("cases").select("id").execute()).map((c) => c.id),
      orderId: (await env.ctx.db.selectFrom("orders").select("id").execute()).map((o) => o.id),
      reconciliation: (await env.ctx.db.selectFrom("reconciliation_runs").select("id").execute()).map(
        (r) => r.id,
      ),
      version: (await env.ctx.db.selectFrom("rule_versions").select("version").execute()).map(
        (r) => r.version,
      ),
      shop: (await env.ctx.db.selectFrom("shops").select("id").execute()).map((s) => s.id),
    };
    const QUERIES: Record<string, string> = {
      "/api/v1/finance/report": "?from=2020-01-01&to=2030-12-31&by=month,shop,channel,reason",
      "/api/v1/orders": `?shop=tmall-flagship&externalId=${encodeURIComponent(sampleOrder().externalId)}`,
      "/api/v1/receiving/candidates": "?code=SF1000",
    };
    let operations = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!ops.get || !path.startsWith("/api/v1/")) continue;
      operations++;
      const query = QUERIES[path] ?? "";
      const required = (ops.get.parameters ?? []).filter((p) => p.in === "query" && p.required);
      expect([path, required.length === 0 || query !== ""]).toEqual([path, true]);
      const base = path.slice("/api/v1".length) + query;
      const params = [...base.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      if (params.length === 0) {
        await get(base);
        continue;
      }
      expect(params.length).toBe(1);
      const name = params[0] as string;
      const values =
        name === "id"
          ? path.startsWith("/api/v1/orders")
            ? ids.orderId
            : path.startsWith("/api/v1/reconciliations")
              ? ids.reconciliation
              : path.startsWith("/api/v1/cases")
                ? ids.id
                : ids.id.slice(0, 3)
          : name === "version"
            ? ids.version
            : name === "shop"
              ? ids.shop
              : [1];
      for (const v of values) await get(base.replace(`{${name}}`, encodeURIComponent(String(v))));
    }
    expect(operations).toBeGreaterThan(30);
    expect(seen.filter((s) => s.startsWith("5"))).toEqual([]);
    const kinds = [...new Set(bad.map((b) => b.replace(/\d+/g, "N").replace(/= .*:/, ":")))];
    expect(kinds).toEqual([]);
  }, 120_000);
});
