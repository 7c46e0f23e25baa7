import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";
import { freshSkus, trackingNo } from "../support/warehouse.ts";

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  for (const role of ["admin", "cs_agent", "reviewer", "warehouse", "finance"]) {
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  }
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(who: string, method: "GET" | "POST" | "PUT" | "PATCH", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {},
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, type: res.headers["content-type"], body: res.json() };
}

/** An approved case over HTTP with its own SKUs; `tracking` records the buyer's return parcel. */
async function newCase(
  opts: { type?: string; reason?: string; tracking?: string; only?: "tee" | "cap"; externalId?: string } = {},
) {
  const skus = freshSkus();
  const order = await call(
    "admin",
    "POST",
    "/orders",
    sampleOrder({
      lines: [
        { externalId: "L1", sku: skus.tee, title: "T恤", quantity: 2, unitPrice: "99.00" },
        { externalId: "L2", sku: skus.cap, title: "帽子", quantity: 1, unitPrice: "59.90" },
      ],
    }),
  );
  const lines = (await call("admin", "GET", `/orders/${order.body.id}`)).body.lines as {
    id: number;
    quantity: number;
    sku: string;
  }[];
  const res = await call("cs_agent", "POST", "/cases", {
    orderId: order.body.id,
    type: opts.type ?? "return_refund",
    reason: opts.reason ?? "changed_mind",
    source: "chat",
    ...(opts.externalId ? { externalId: opts.externalId } : {}),
    items: lines
      .filter((l) => !opts.only || l.sku === skus[opts.only])
      .map((l) => ({ lineId: l.id, quantity: l.quantity })),
  });
  expect(res.status).toBe(201);
  const caseId = res.body.id as number;
  expect((await call("reviewer", "POST", `/cases/${caseId}/approve`, {})).status).toBe(200);
  if (opts.tracking) {
    const shipped = await call("cs_agent", "POST", `/cases/${caseId}/return-shipment`, {
      carrier: "SF",
      trackingNo: opts.tracking,
    });
    expect(shipped.status).toBe(200);
  }
  return { caseId, skus, lines };
}

describe("receiving and inventory over HTTP", () => {
  it("scan → receive → inspect → stock, as the warehouse role", async () => {
    const parcel = trackingNo();
    const { caseId, skus } = await newCase({ tracking: parcel });
    const scan = await call("warehouse", "POST", "/receiving/scan", {
      code: parcel,
      photos: ["https://img.example/a.jpg"],
      key: `scan-${parcel}`,
    });
    expect(scan.status).toBe(201);
    expect(scan.body).toMatchObject({ outcome: "received", caseId, status: "received", replayed: false });
    const again = await call("warehouse", "POST", "/receiving/scan", { code: parcel, key: `scan-${parcel}` });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, receiptId: scan.body.receiptId });

    const received = await call("warehouse", "GET", `/cases/${caseId}/receipt-lines`);
    expect(received.body.lines).toHaveLength(2);
    expect((await call("warehouse", "GET", `/inventory?sku=${skus.tee}`)).body.items).toEqual([
      expect.objectContaining({ warehouse: "default", sku: skus.tee, sellable: 0, quarantine: 2 }),
    ]);

    const [tee, cap] = received.body.lines as { id: number }[];
    const qc = await call("warehouse", "POST", `/cases/${caseId}/inspections`, {
      lines: [
        { receiptLineId: tee?.id, result: "pass" },
        { receiptLineId: cap?.id, result: "fail", disposition: "scrap", finding: "missing_parts" },
      ],
    });
    expect(qc.status).toBe(200);
    expect(qc.body).toMatchObject({ status: "inspection_failed", caseResult: "fail" });
    expect((await call("warehouse", "GET", `/inventory?sku=${skus.tee}`)).body.items[0]).toMatchObject({
      sellable: 2,
      quarantine: 0,
    });
    const moves = await call("warehouse", "GET", `/inventory/movements?sku=${skus.cap}`);
    expect(moves.body.items.map((m: { source: { kind: string } }) => m.source.kind)).toEqual([
      "inspection",
      "receipt",
    ]);
    expect(moves.body.items[0].change).toMatchObject({ quarantine: -1, scrapped: 1 });

    // QC's advice, and a grant that follows it.
    const rec = await call("reviewer", "GET", `/cases/${caseId}/refund-recommendation`);
    expect(rec.body).toMatchObject({ kind: "deduct", refundGranted: false });
    const granted = await call("finance", "POST", `/cases/${caseId}/grant-recommended-refund`, {});
    expect(granted.status).toBe(200);
    expect(granted.body.deductions).toHaveLength(1);
  });

  it("lists candidates, takes the chosen one, files and matches an unidentified parcel", async () => {
    const a = await newCase({ only: "cap" });
    const skus = a.skus;
    const b = await call(
      "admin",
      "POST",
      "/orders",
      sampleOrder({
        lines: [{ externalId: "L9", sku: skus.cap, title: "帽子", quantity: 1, unitPrice: "59.90" }],
        payments: [{ tender: "alipay", amount: "47.90" }],
      }),
    );
    const bLines = (await call("admin", "GET", `/orders/${b.body.id}`)).body.lines as { id: number }[];
    const bCase = await call("cs_agent", "POST", "/cases", {
      orderId: b.body.id,
      type: "return_refund",
      reason: "size_fit",
      items: [{ lineId: bLines[0]?.id, quantity: 1 }],
    });
    await call("reviewer", "POST", `/cases/${bCase.body.id}/approve`, {});

    const scan = await call("warehouse", "POST", "/receiving/scan", { code: skus.cap });
    expect(scan.status).toBe(200);
    expect(scan.body.outcome).toBe("choose");
    expect(scan.body.candidates.map((c: { caseId: number }) => c.caseId).sort()).toEqual(
      [a.caseId, bCase.body.id].sort(),
    );
    const chosen = await call("warehouse", "POST", "/receiving/receive", {
      caseId: bCase.body.id,
      code: skus.cap,
      condition: "opened",
    });
    expect(chosen.status).toBe(201);
    expect(chosen.body).toMatchObject({ outcome: "received", caseId: bCase.body.id, status: "received" });

    const unknown = trackingNo();
    const filed = await call("warehouse", "POST", "/receiving/scan", {
      code: unknown,
      kind: "tracking",
      contents: "帽子一顶",
    });
    expect(filed.status).toBe(201);
    expect(filed.body.outcome).toBe("unidentified");
    const open = await call("warehouse", "GET", "/unidentified-parcels?status=open&limit=200");
    expect(open.body.items.find((p: { id: number }) => p.id === filed.body.parcelId)).toMatchObject({
      trackingNo: unknown,
      contents: "帽子一顶",
      status: "open",
    });
    const matched = await call("warehouse", "POST", `/unidentified-parcels/${filed.body.parcelId}/match`, {
      caseId: a.caseId,
    });
    expect(matched.status).toBe(200);
    expect(matched.body).toMatchObject({ status: "received", parcelId: filed.body.parcelId });
    const direct = await call("warehouse", "POST", "/unidentified-parcels", {
      scanned: "无面单",
      contents: "鞋",
    });
    expect(direct.status).toBe(201);
  });

  it("finds a case by its return code, and quotes QC's deduction before anything is saved", async () => {
    const platformNo = `RT${trackingNo()}`;
    const { caseId, skus } = await newCase({ externalId: platformNo });
    // The platform's after-sales number, in any letter case, and the case's own number as the console shows it.
    for (const code of [platformNo.toLowerCase(), `#${caseId}`]) {
      const found = await call("warehouse", "GET", `/receiving/candidates?code=${encodeURIComponent(code)}`);
      expect(found.body).toMatchObject({ matchedBy: "case", parcelKnown: true, parcelCases: [caseId] });
      expect(found.body.candidates[0].outstanding).toHaveLength(2);
    }
    const scan = await call("warehouse", "POST", "/receiving/scan", {
      code: `#${caseId}`,
      key: `rc-${caseId}`,
    });
    expect(scan.body).toMatchObject({ outcome: "received", matchedBy: "case", caseId, status: "received" });
    // Received in full: the code still names the case (no unidentified parcel), which expects nothing more.
    const after = await call("warehouse", "GET", `/receiving/candidates?code=${platformNo}`);
    expect(after.body).toMatchObject({ candidates: [], parcelKnown: true, parcelCases: [caseId] });

    const received = await call("warehouse", "GET", `/cases/${caseId}/receipt-lines`);
    const tee = (received.body.lines as { id: number; sku: string; title: string }[]).find(
      (l) => l.sku === skus.tee,
    );
    expect(tee?.title).toBe("T恤");
    const cap = (received.body.lines as { id: number; sku: string }[]).find((l) => l.sku === skus.cap);
    const asked = [
      { receiptLineId: tee?.id, quantity: 1, result: "pass" },
      { receiptLineId: tee?.id, quantity: 1, result: "fail", finding: "buyer_damage" },
      { receiptLineId: cap?.id, result: "fail", disposition: "scrap", finding: "missing_parts" },
    ];
    const quote = await call("warehouse", "POST", `/cases/${caseId}/inspections/quote`, { lines: asked });
    expect(quote.status).toBe(200);
    expect(quote.body.lines.map((l: { disposition: string; finding: string }) => l.disposition)).toEqual([
      "sellable",
      "defective",
      "scrap",
    ]);
    expect(quote.body.lines[0]).toMatchObject({ finding: "none", deduction: "0.00" });
    expect(quote.body).toMatchObject({ kind: "deduct", currency: "CNY" });
    // Nothing was saved: the lines still await inspection and stock still waits in quarantine.
    expect((await call("warehouse", "GET", `/cases/${caseId}/receipt-lines`)).body.inspections).toEqual([]);
    // What the quote proposed is what the inspection then advises.
    const qc = await call("warehouse", "POST", `/cases/${caseId}/inspections`, { lines: asked });
    expect(qc.body.recommendation.deductions.map((d: { amount: string }) => d.amount)).toEqual(
      quote.body.lines.slice(1).map((l: { deduction: string }) => l.deduction),
    );
    expect(quote.body.deductions).toEqual(qc.body.recommendation.deductions);
    // Asking more than awaits inspection is refused the way inspecting refuses it.
    const over = await call("warehouse", "POST", `/cases/${caseId}/inspections/quote`, {
      lines: [{ receiptLineId: tee?.id, result: "pass" }],
    });
    expect(over).toMatchObject({ status: 422, body: { code: "INSPECTION_EXCEEDS_RECEIPT" } });
  });

  it("answers a batch line by line", async () => {
    const { skus } = await newCase({ only: "tee" });
    const res = await call("warehouse", "POST", "/receiving/batch", {
      scans: [{ code: skus.tee }, { code: skus.tee, quantity: 9 }, { code: skus.tee, condition: "damaged" }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: 2, failed: 1 });
    expect(res.body.results[1]).toMatchObject({ ok: false, error: { code: "RECEIPT_EXCEEDS_CASE" } });
    expect(res.body.results[2].result).toMatchObject({ outcome: "received", status: "received" });
  });

  it("manages warehouses and stock settings, and refuses a reship without stock", async () => {
    expect((await call("warehouse", "GET", "/warehouses")).body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: "default", isDefault: true })]),
    );
    expect((await call("warehouse", "POST", "/warehouses", { id: "bj-1", name: "北京仓" })).body.code).toBe(
      "FORBIDDEN",
    );
    const created = await call("admin", "POST", "/warehouses", { id: "bj-1", name: "北京仓" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: "bj-1", allowBackorder: false, isDefault: false });
    expect(
      (await call("admin", "PATCH", "/warehouses/bj-1", { allowBackorder: true })).body.allowBackorder,
    ).toBe(true);

    const { caseId, skus } = await newCase({ type: "reship", reason: "missing_item", only: "cap" });
    const put = await call("admin", "PUT", "/inventory/backorder", { sku: skus.cap, allowBackorder: false });
    expect(put.status).toBe(200);
    const refused = await call("warehouse", "POST", `/cases/${caseId}/replacement-shipment`, {
      carrier: "ZTO",
      trackingNo: "ZTO-API-1",
    });
    expect(refused.type).toMatch(/problem\+json/);
    expect(refused.body).toMatchObject({ code: "INSUFFICIENT_STOCK" });
    const count = { sku: skus.cap, key: `count-${skus.cap}`, change: { sellable: 2 } };
    expect((await call("warehouse", "POST", "/inventory/adjustments", count)).status).toBe(201);
    expect((await call("warehouse", "POST", "/inventory/adjustments", count)).status).toBe(200);
    const shipped = await call("warehouse", "POST", `/cases/${caseId}/replacement-shipment`, {
      carrier: "ZTO",
      trackingNo: "ZTO-API-1",
    });
    expect(shipped.body.status).toBe("replacement_shipped");
    const stock = await call("finance", "GET", `/inventory?sku=${skus.cap}&warehouse=default`);
    expect(stock.body.items[0]).toMatchObject({ sellable: 1, allowBackorder: false, backorderSetFor: "sku" });
    const reship = await call("finance", "GET", `/inventory/movements?sourceKind=reship&caseId=${caseId}`);
    expect(reship.body.items).toHaveLength(1);
  });

  it("keeps receiving to the warehouse and admin roles, and pages the stock list", async () => {
    expect((await call("reviewer", "POST", "/receiving/scan", { code: "X" })).body.code).toBe("FORBIDDEN");
    expect(
      (
        await call("finance", "POST", "/cases/1/inspections", {
          lines: [{ receiptLineId: 1, result: "pass" }],
        })
      ).body.code,
    ).toBe("FORBIDDEN");
    const page1 = await call("admin", "GET", "/inventory?limit=1");
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await call("admin", "GET", `/inventory?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items[0]).not.toEqual(page1.body.items[0]);
    expect((await call("admin", "GET", "/inventory?cursor=nonsense")).body.code).toBe("INVALID_CURSOR");
    const doc = (
      await app.inject({ url: "/api/docs/json", headers: { authorization: `Bearer ${tokens.admin}` } })
    ).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/receiving/scan",
        "/api/v1/receiving/batch",
        "/api/v1/unidentified-parcels/{id}/match",
        "/api/v1/inventory",
        "/api/v1/inventory/movements",
      ]),
    );
  });
});
