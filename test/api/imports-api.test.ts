import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { xlsxBomb } from "../support/bombs.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { eventually } from "../support/process.ts";

/**
 * POST /api/v1/imports: the CSV or XLSX file is the body; the import runs in the background and is
 * followed over GET /api/v1/imports/{id} until it ends; its rejected rows download as CSV. Shop-scoped
 * and permission-checked like every route.
 */

const SLICE = "test/fixtures/online-retail/slice.csv";
const SLICE_ROWS = 2195;
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
let env: TestEnv;
let app: App;
let dir: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  // An import's pace (rows/s) is measured on the real clock.
  env.ctx.now = () => new Date();
  dir = mkdtempSync(join(tmpdir(), "imports-api-"));
  for (const id of ["uk", "uk-2", "tmall-1"])
    await env.ctx.db.insertInto("shops").values({ id, name: id, channel: "manual" }).execute();
  for (const role of ["admin", "supervisor", "cs_agent", "finance"])
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  tokens.ukOnly = (
    await createToken(env.ctx.db, { name: "uk-admin", role: "admin", shops: ["uk", "uk-2"] })
  ).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
  rmSync(dir, { recursive: true, force: true });
});

function upload(who: string, query: string, body: Buffer | string, type = "text/csv") {
  return app.inject({
    method: "POST",
    url: `/api/v1/imports?${query}`,
    headers: { authorization: `Bearer ${tokens[who]}`, "content-type": type },
    payload: body,
  });
}
const get = (who: string, url: string) =>
  app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` } });

interface Job {
  id: number;
  state: string;
  rows: { read: number; total: number | null };
  percent: number;
  rowsPerSecond: number | null;
  counts: Record<string, number>;
  rejected: { rows: number; byReason: { reason: string; rows: number; meaning: string | null }[] };
  error: { code: string; message: string } | null;
  resumedFromRow: number;
  alreadyImported?: boolean;
}

/** Follow the job until it is no longer running, checking that its progress only goes forward. */
async function followed(id: number, who = "admin"): Promise<Job> {
  let last = -1;
  return eventually(async () => {
    const job = (await get(who, `/imports/${id}`)).json() as Job;
    expect(job.rows.read).toBeGreaterThanOrEqual(last);
    expect(job.percent).toBeGreaterThanOrEqual(0);
    expect(job.percent).toBeLessThanOrEqual(100);
    last = job.rows.read;
    return job.state === "running" ? undefined : job;
  }, 240_000);
}

const count = async (table: "orders" | "imports" | "shops", shop?: string) =>
  Number(
    (
      await env.ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .$if(shop !== undefined, (q) => q.where(table === "shops" ? "id" : "shop_id", "=", shop as string))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("an import uploaded over the API", () => {
  let jobId: number;

  it("runs in the background and is followed to the end: rows of the total, percent, rows/s, rejected rows", async () => {
    const res = await upload("supervisor", "shop=uk&name=online_retail.csv&batch=100", readFileSync(SLICE));
    expect(res.statusCode, res.body).toBe(202);
    const started = res.json() as Job;
    expect(res.headers.location).toBe(`/api/v1/imports/${started.id}`);
    expect(started).toMatchObject({ state: "running", alreadyImported: false });
    jobId = started.id;

    const done = await followed(jobId);
    expect(done).toMatchObject({
      state: "completed",
      rows: { read: SLICE_ROWS, total: SLICE_ROWS },
      percent: 100,
      error: null,
      rejected: { rows: 19 },
    });
    expect(done.rowsPerSecond).toBeGreaterThan(0);
    expect(done.rejected.byReason).toContainEqual({
      reason: "bad_debt_adjustment",
      rows: 3,
      meaning: "a bad-debt adjustment, not an order",
    });
    expect(done.counts.ordersCreated).toBeGreaterThan(0);
    expect(await count("orders", "uk")).toBe(done.counts.ordersCreated);
    const one = await env.ctx.db
      .selectFrom("orders")
      .select("external_id")
      .where("shop_id", "=", "uk")
      .executeTakeFirstOrThrow();
    const found = (await get("admin", `/orders?shop=uk&externalId=${one.external_id}`)).json();
    expect(found.items).toHaveLength(1);

    // The rejected rows, as the CLI writes them: number, reason, message, the row's own cells.
    const rejects = await get("supervisor", `/imports/${jobId}/rejects`);
    expect(rejects.statusCode).toBe(200);
    expect(rejects.headers["content-type"]).toMatch(/^text\/csv/);
    const rows = parse(rejects.body, { relax_column_count: true }) as string[][];
    expect(rows[0]).toEqual(["row", "reason", "message", "cells"]);
    expect(rows).toHaveLength(1 + 19);
    expect(rows.some((r) => r[1] === "bad_debt_adjustment" && r.includes("A563185"))).toBe(true);
  }, 300_000);

  it("takes the same file again as done, changing nothing", async () => {
    const orders = await count("orders", "uk");
    const again = await upload("admin", "shop=uk", readFileSync(SLICE));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: jobId, state: "completed", alreadyImported: true });
    expect(await count("orders", "uk")).toBe(orders);
  });

  it("stops on request after the batch in flight, and the same upload resumes it", async () => {
    const res = await upload("admin", "shop=uk-2&batch=5", readFileSync(SLICE));
    expect(res.statusCode).toBe(202);
    const id = (res.json() as Job).id;
    const stop = await app.inject({
      method: "POST",
      url: `/api/v1/imports/${id}/stop`,
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    expect(stop.statusCode, stop.body).toBe(202);
    const stopped = await followed(id);
    expect(stopped.state).toBe("stopped");
    expect(stopped.rows.read).toBeLessThan(SLICE_ROWS);
    const again = await app.inject({
      method: "POST",
      url: `/api/v1/imports/${id}/stop`,
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    expect(again.json().code).toBe("IMPORT_NOT_RUNNING");

    const resumed = await upload("admin", "shop=uk-2&batch=500", readFileSync(SLICE));
    expect(resumed.statusCode).toBe(202);
    expect((resumed.json() as Job).id).toBe(id);
    const done = await followed(id);
    expect(done).toMatchObject({ state: "completed", resumedFromRow: stopped.rows.read });
    expect(done.rows.read).toBe(SLICE_ROWS);
    // Resumed or not, the same orders as the straight import.
    expect(await count("orders", "uk-2")).toBe(await count("orders", "uk"));
  }, 300_000);

  it("imports an XLSX the same way, counting its rows", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Online Retail");
    const [head, ...rows] = parse(readFileSync(SLICE)) as string[][];
    ws.addRow(head as string[]);
    for (const r of rows) ws.addRow(r);
    const file = join(dir, "slice.xlsx");
    await wb.xlsx.writeFile(file);
    await env.ctx.db.insertInto("shops").values({ id: "uk-x", name: "uk-x", channel: "manual" }).execute();
    const res = await upload("admin", "shop=uk-x&name=slice.xlsx", readFileSync(file), XLSX);
    expect(res.statusCode, res.body).toBe(202);
    const done = await followed((res.json() as Job).id);
    expect(done).toMatchObject({ state: "completed", rows: { read: SLICE_ROWS, total: SLICE_ROWS } });
    expect(await count("orders", "uk-x")).toBe(await count("orders", "uk"));
  }, 300_000);
});

describe("who may import, and which shop's imports they see", () => {
  it("needs imports.write (admin, supervisor), and a token limited to shops imports and sees only those", async () => {
    const csv = readFileSync(SLICE);
    expect((await upload("cs_agent", "shop=uk", csv)).json().code).toBe("FORBIDDEN");
    expect((await upload("finance", "shop=uk", csv)).statusCode).toBe(403);
    const other = await upload("ukOnly", "shop=tmall-1", csv);
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe("SHOP_FORBIDDEN");
    // An import of another shop, made by an all-shops admin: not there for the uk-only token.
    const theirs = await upload("admin", "shop=tmall-1&batch=1000", csv);
    const id = (theirs.json() as Job).id;
    await followed(id);
    for (const url of [`/imports/${id}`, `/imports/${id}/rejects`]) {
      const res = await get("ukOnly", url);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe("IMPORT_NOT_FOUND");
    }
    const list = (await get("ukOnly", "/imports")).json() as { items: { shop: string }[] };
    expect(list.items.length).toBeGreaterThan(0);
    expect(list.items.every((i) => i.shop === "uk" || i.shop === "uk-2")).toBe(true);
    const all = (await get("admin", "/imports")).json() as { items: { shop: string }[] };
    expect(all.items.some((i) => i.shop === "tmall-1")).toBe(true);
    // Creating a shop on the way needs shops.write on an all-shops token.
    const create = await upload("ukOnly", "shop=uk&createShop=true", csv);
    expect(create.json().code).toBe("FORBIDDEN");
  }, 300_000);
});

describe("files that are refused before anything is written", () => {
  it("says what is wrong: file type, not text, not a spreadsheet, a bomb, a bad mapping, an unknown shop", async () => {
    const before = {
      imports: await count("imports"),
      orders: await count("orders"),
      shops: await count("shops"),
    };
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
    const cases: [string, string, Buffer | string, string, number, string][] = [
      ["a picture", "shop=uk", png, "image/png", 415, "IMPORT_FILE_TYPE_UNSUPPORTED"],
      ["bytes with no name", "shop=uk", png, "application/octet-stream", 415, "IMPORT_FILE_TYPE_UNSUPPORTED"],
      ["a picture called CSV", "shop=uk", png, "text/csv", 422, "IMPORT_FILE_INVALID"],
      ["a zip called XLSX", "shop=uk", Buffer.from("PK\u0003\u0004junk"), XLSX, 422, "IMPORT_FILE_INVALID"],
      ["an empty file", "shop=uk", Buffer.alloc(0), "text/csv", 422, "IMPORT_EMPTY_FILE"],
      [
        "a mapping that is not JSON",
        "shop=uk&mapping=%7Bnot",
        readFileSync(SLICE),
        "text/csv",
        422,
        "IMPORT_MAPPING_INVALID",
      ],
      [
        "a column the file lacks",
        `shop=uk&mapping=${encodeURIComponent('{"columns":{"order":"Rechnung"}}')}`,
        readFileSync(SLICE),
        "text/csv",
        422,
        "IMPORT_COLUMN_MISSING",
      ],
      [
        "an unknown preset",
        "shop=uk&preset=nope",
        readFileSync(SLICE),
        "text/csv",
        422,
        "IMPORT_UNKNOWN_PRESET",
      ],
      ["an unknown shop", "shop=nowhere", readFileSync(SLICE), "text/csv", 422, "SHOP_NOT_FOUND"],
    ];
    for (const [what, query, body, type, status, code] of cases) {
      const res = await upload("admin", query, body, type);
      expect([what, res.statusCode, res.json().code]).toEqual([what, status, code]);
      expect(res.headers["content-type"]).toMatch(/problem\+json/);
    }
    expect({
      imports: await count("imports"),
      orders: await count("orders"),
      shops: await count("shops"),
    }).toEqual(before);
    // The message names the file as it was sent, in the caller's language.
    const named = await app.inject({
      method: "POST",
      url: "/api/v1/imports?shop=uk&name=photo.csv",
      headers: {
        authorization: `Bearer ${tokens.admin}`,
        "content-type": "text/csv",
        "accept-language": "en",
      },
      payload: png,
    });
    expect(named.json().detail).toBe("photo.csv is not a readable CSV (text) file");
  });

  it("refuses an XLSX bomb (300 MiB of sheet in 300 KB) with ARCHIVE_RATIO_TOO_HIGH, memory bounded, and still answers", async () => {
    const bomb = xlsxBomb(300);
    const imports = await count("imports");
    const canMeasure = (() => {
      try {
        writeFileSync("/proc/self/clear_refs", "5");
        return true;
      } catch {
        return false;
      }
    })();
    const rss = process.memoryUsage().rss / 1024 / 1024;
    const res = await upload("admin", "shop=uk&name=bomb.xlsx", bomb, XLSX);
    const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().code).toBe("ARCHIVE_RATIO_TOO_HIGH");
    if (canMeasure) expect(peak - rss).toBeLessThan(150);
    expect(await count("imports")).toBe(imports);
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
  }, 60_000);
});
