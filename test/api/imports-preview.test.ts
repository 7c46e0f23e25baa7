import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { xlsxBomb } from "../support/bombs.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { eventually } from "../support/process.ts";

/**
 * POST /api/v1/imports/preview: the console maps a file's columns before importing it. The body is
 * the file (a CSV's beginning is enough); the answer is its header, first rows, the preset the header
 * matches and every field to map; nothing is written. Bad files get the import's own error codes.
 */

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  await env.ctx.db
    .insertInto("shops")
    .values({ id: "tmall-1", name: "tmall-1", channel: "manual" })
    .execute();
  for (const role of ["admin", "reviewer"])
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function preview(body: Buffer | string, type: string, query = "", who = "admin") {
  const res = await app.inject({
    method: "POST",
    url: `/api/v1/imports/preview${query}`,
    headers: { authorization: `Bearer ${tokens[who]}`, "content-type": type, "accept-language": "en" },
    payload: body,
  });
  return { status: res.statusCode, body: res.json() };
}

const RETAIL = [
  "\uFEFFInvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
  "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
  '536365,71053,"WHITE METAL LANTERN, SMALL",6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom',
].join("\n");

describe("import preview", () => {
  it("reads a CSV's header and first rows and recognises the Online Retail layout, writing nothing", async () => {
    const r = await preview(RETAIL, "text/csv");
    expect(r.status).toBe(200);
    expect(r.body.format).toBe("csv");
    expect(r.body.header).toEqual([
      "InvoiceNo",
      "StockCode",
      "Description",
      "Quantity",
      "InvoiceDate",
      "UnitPrice",
      "CustomerID",
      "Country",
    ]);
    expect(r.body.sample[1][2]).toBe("WHITE METAL LANTERN, SMALL");
    expect(r.body.preset).toEqual({ name: "online-retail", matches: true });
    expect(r.body.presets.map((p: { name: string }) => p.name)).toEqual(["online-retail", "generic"]);
    expect(r.body.fields).toContainEqual({ name: "unitPrice", required: true });
    expect(r.body.fields).toContainEqual({ name: "country", required: false });
    const imports = await env.ctx.db.selectFrom("imports").select("id").execute();
    expect(imports).toEqual([]);
  });

  it("takes a CSV's beginning cut inside a row, and a header of its own columns (generic, unmatched)", async () => {
    const own = "订单号,商品编码,数量,单价,下单时间\nT1,SKU-1,2,99.00,2026-03-01 10:15:00\nT2,SKU-2,1,4";
    const r = await preview(own, "application/octet-stream", "?name=history.csv");
    expect(r.status).toBe(200);
    expect(r.body.header).toEqual(["订单号", "商品编码", "数量", "单价", "下单时间"]);
    expect(r.body.preset).toEqual({ name: "generic", matches: false });
    expect(r.body.sample[0]).toEqual(["T1", "SKU-1", "2", "99.00", "2026-03-01 10:15:00"]);
  });

  it("reads an XLSX's first sheet", async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet("orders");
    sheet.addRow(["order_id", "sku", "quantity", "unit_price", "currency", "placed_at"]);
    sheet.addRow(["X1", "MUG", 1, 59, "CNY", "2026-03-01 10:15:00"]);
    const r = await preview(Buffer.from(await book.xlsx.writeBuffer()), XLSX);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ format: "xlsx", preset: { name: "generic", matches: false } });
    expect(r.body.header[0]).toBe("order_id");
    expect(r.body.sample).toEqual([["X1", "MUG", "1", "59", "CNY", "2026-03-01 10:15:00"]]);
  });

  it("says what is wrong with a file: its type, not text, not a spreadsheet, empty, a bomb", async () => {
    const cases: [Buffer | string, string, string, number, string][] = [
      ["a,b", "image/png", "", 415, "IMPORT_FILE_TYPE_UNSUPPORTED"],
      [Buffer.from([0x41, 0, 0x42]), "text/csv", "", 422, "IMPORT_FILE_INVALID"],
      [Buffer.from("PK\u0003\u0004rest"), "text/csv", "", 422, "IMPORT_FILE_INVALID"],
      ["not a zip", XLSX, "", 422, "IMPORT_FILE_INVALID"],
      ["", "text/csv", "", 422, "IMPORT_EMPTY_FILE"],
      ["\n\n", "text/csv", "", 422, "IMPORT_EMPTY_FILE"],
    ];
    for (const [body, type, query, status, code] of cases) {
      const r = await preview(body, type, query);
      expect({ type, status: r.status, code: r.body.code }).toEqual({ type, status, code });
      expect(r.body.detail).toBeTruthy();
    }
    const bomb = await preview(xlsxBomb(50), XLSX);
    expect(bomb.body.code).toBe("ARCHIVE_RATIO_TOO_HIGH");
  });

  it("needs imports.write", async () => {
    const r = await preview(RETAIL, "text/csv", "", "reviewer");
    expect(r.status).toBe(403);
  });
});

describe("the list of imports", () => {
  it("pages by number with the total, newest first", async () => {
    const ids: number[] = [];
    for (const n of [1, 2, 3]) {
      const csv = `order_id,refund_id,sku,title,quantity,unit_price,currency,customer,placed_at,country\nL${n},,MUG,Mug,1,9.90,CNY,c${n},2026-03-0${n} 10:00:00,CN\n`;
      const res = await app.inject({
        method: "POST",
        url: `/api/v1/imports?shop=tmall-1&name=list-${n}.csv`,
        headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "text/csv" },
        payload: csv,
      });
      expect([res.statusCode, res.json().code]).toEqual([202, undefined]);
      ids.push(res.json().id);
    }
    const list = (query: string) =>
      app.inject({ url: `/api/v1/imports?${query}`, headers: { authorization: `Bearer ${tokens.admin}` } });
    await eventually(async () => {
      const all = (await list("limit=10")).json();
      return all.items.every((j: { state: string }) => j.state === "completed") ? all : undefined;
    });
    const first = (await list("limit=2")).json();
    expect(first.total).toBe(3);
    expect(first.items.map((j: { id: number }) => j.id)).toEqual([ids[2], ids[1]]);
    const last = (await list("limit=2&offset=2")).json();
    expect(last).toMatchObject({ total: 3, nextCursor: null });
    expect(last.items.map((j: { id: number }) => j.id)).toEqual([ids[0]]);
  });
});
