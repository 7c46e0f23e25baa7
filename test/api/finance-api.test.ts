import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 0 });
  await addShop(env.ctx, "tmall-1", "tmall");
  for (const role of ["admin", "cs_agent", "reviewer", "finance"]) {
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  }
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(who: string, method: "GET" | "POST" | "PUT", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return res;
}

describe("finance over HTTP", () => {
  let caseId = 0;
  beforeAll(async () => {
    const o = await call("admin", "POST", "/orders", sampleOrder({ externalId: "FIN-1" }));
    const lines = (await call("admin", "GET", `/orders/${o.json().id}`)).json().lines as { id: number }[];
    const c = await call("cs_agent", "POST", "/cases", {
      orderId: o.json().id,
      type: "refund_only",
      reason: "quality",
      source: "chat",
      items: [{ lineId: lines[1]?.id, quantity: 1 }],
    });
    caseId = c.json().id;
    await call("reviewer", "POST", `/cases/${caseId}/approve`, {});
    const granted = await call("finance", "POST", `/cases/${caseId}/grant-refund`, {});
    expect(granted.json().status).toBe("refunded");
  });

  it("compensates with the version the person saw, once", async () => {
    const version = (await call("reviewer", "GET", `/cases/${caseId}`)).json().version;
    const body = { type: "points", amount: "3.00", reference: "JF-77", expectedVersion: version };
    const first = await call("reviewer", "POST", `/cases/${caseId}/compensate`, body);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      type: "points",
      amount: "3.00",
      currency: "CNY",
      version: version + 1,
    });
    const again = await call("reviewer", "POST", `/cases/${caseId}/compensate`, body);
    expect([again.statusCode, again.json().code]).toEqual([409, "VERSION_CONFLICT"]);
    const noVersion = await call("reviewer", "POST", `/cases/${caseId}/compensate`, {
      type: "cash",
      amount: "1.00",
    });
    expect(noVersion.statusCode).toBe(400);
    expect((await call("cs_agent", "POST", `/cases/${caseId}/compensate`, body)).statusCode).toBe(403);
  });

  it("lists the case's ledger entries for finance only", async () => {
    const res = await call("finance", "GET", `/finance/ledger?caseId=${caseId}`);
    expect(
      res
        .json()
        .entries.map((e: { kind: string }) => e.kind)
        .sort(),
    ).toEqual(["channel_fee", "compensation", "refund_goods"]);
    // camelCase, the amount a decimal string next to its currency (never fen, never a database row).
    expect(res.json().entries.find((e: { kind: string }) => e.kind === "compensation")).toEqual({
      id: expect.any(Number),
      source: expect.stringMatching(/^compensation:/),
      kind: "compensation",
      tender: "points",
      caseId,
      orderId: expect.any(Number),
      paymentId: null,
      refundId: null,
      shop: "tmall-1",
      reason: "quality",
      currency: "CNY",
      amount: "3.00",
      reference: "JF-77",
      note: null,
      actor: expect.any(String),
      occurredAt: expect.any(String),
    });
    expect((await call("reviewer", "GET", `/finance/ledger?caseId=${caseId}`)).statusCode).toBe(403);
    const kase = (await call("finance", "GET", `/cases/${caseId}`)).json();
    expect(kase.refunds.map((r: { grant: number; channel: string }) => [r.grant, r.channel])).toEqual([
      [1, "alipay"],
    ]);
  });

  it("exports the report as CSV with a BOM and as XLSX with numbers finance can sum", async () => {
    const q = "from=2026-11-01&to=2026-11-01&by=day,reason";
    const json = (await call("finance", "GET", `/finance/report?${q}`)).json();
    expect(json.rows).toEqual([
      expect.objectContaining({
        day: "2026-11-01",
        reason: "quality",
        currency: "CNY",
        compensation: "3.00",
        net: expect.stringMatching(/^\d+\.\d{2}$/),
      }),
    ]);
    const row = json.rows[0];
    const fen = (k: string) => Math.round(Number(row[k]) * 100);
    expect(fen("net")).toBe(
      fen("goods") + fen("shipping") + fen("compensation") + fen("subsidies") + fen("fees"),
    );

    const csv = await call("finance", "GET", `/finance/report?${q}&format=csv`);
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const [header, first] = csv.rawPayload.subarray(3).toString("utf8").trim().split("\n");
    expect(header).toContain("退货款 Refunded goods");
    expect(first).toContain(`2026-11-01,quality,${row.goods}`);

    const xlsx = await call("finance", "GET", `/finance/report?${q}&format=xlsx`);
    expect(xlsx.headers["content-disposition"]).toContain("after-sales-2026-11-01-2026-11-01.xlsx");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0];
    // Numbers of yuan for Excel to sum (a spreadsheet, not the API).
    expect(sheet?.getRow(2).getCell(4).value).toBe(Number(row.goods));
    expect(sheet?.getRow(2).getCell(9).value).toBe(Number(row.net));

    const bad = await call("finance", "GET", "/finance/report?from=2026-11-01&to=2026-11-01&by=week");
    expect([bad.statusCode, bad.json().code]).toEqual([400, "INVALID_REPORT_DIMENSION"]);
  });

  it("channel fees are read by finance and set by an admin", async () => {
    expect((await call("finance", "GET", "/settings/finance")).json().fees.alipay).toEqual({
      rateBp: 60,
      returnedOnRefund: false,
    });
    const put = await call("admin", "PUT", "/settings/finance", {
      fees: { alipay: { rateBp: 55, returnedOnRefund: false } },
    });
    expect(put.json().fees.alipay.rateBp).toBe(55);
    const bad = await call("admin", "PUT", "/settings/finance", { fees: { alipay: { rateBp: "x" } } });
    expect([bad.statusCode, bad.json().code]).toEqual([400, "INVALID_FEES"]);
    expect((await call("finance", "PUT", "/settings/finance", { fees: {} })).statusCode).toBe(403);
  });
});
