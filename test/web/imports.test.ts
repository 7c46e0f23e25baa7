import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addUser, chooseOption, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";

/**
 * Importing order history in a real browser against the real server: a supervisor drops a CSV on the
 * page, sees its layout recognised (or maps its columns by hand), starts the import, follows it to the
 * end on a progress bar, reads the rejected rows by reason and downloads them with their reasons.
 * Both languages, axe-core on every state.
 */

/** The first 39 rows of the Online Retail slice (CC BY 4.0, see PROVENANCE.md): 4 of them bad. */
const RETAIL = join(import.meta.dirname, "..", "fixtures", "online-retail", "browser-import.csv");

const t = consoleTest({
  scene: async ({ env }) => {
    for (const [id, name] of [
      ["uk-retail", "英国礼品店"],
      ["tmall-1", "天猫旗舰店"],
    ] as const)
      await env.ctx.db.insertInto("shops").values({ id, name, channel: "manual" }).execute();
    await addUser(env.ctx, "zhao.super", "supervisor", { name: "赵主管" });
  },
});

const job = (page: Page) => page.getByTestId("job");
const mapping = (page: Page) => page.getByTestId("mapping");

describe("imports", () => {
  it("recognises an Online Retail CSV, imports it with a progress bar to the end, and shows and downloads the rejected rows with their reasons", async () => {
    const { page } = await t.open("zhao.super", "/imports");
    await page.getByRole("heading", { name: "导入订单" }).waitFor();
    await page.getByText("还没有导入过文件").waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "imports-empty-zh");

    await page.locator("input[type=file]").setInputFiles(RETAIL);
    await mapping(page).waitFor();
    await page.getByText("已识别为「Online Retail（UCI）」格式").waitFor();
    expect(await mapping(page).locator("[data-field=order]").textContent()).toContain("InvoiceNo");
    expect(await mapping(page).locator("[data-field=unitPrice]").textContent()).toContain("UnitPrice");
    expect(await mapping(page).textContent()).toContain("536414");
    // Without a shop it says what is missing, and starts nothing.
    await page.getByRole("button", { name: "开始导入" }).click();
    await page.getByRole("alert").filter({ hasText: "请选择店铺" }).waitFor();
    await chooseOption(page, page.getByLabel("导入到店铺"), "英国礼品店");
    await expectNoAxeViolations(page);
    await shot(page, "imports-mapping-zh", true);

    // Every answer the page reads about the running import: its progress only goes forward.
    const seen: { state: string; percent: number }[] = [];
    page.on("response", async (r) => {
      const method = r.request().method();
      if (
        (method === "POST" && /\/api\/v1\/imports\?/.test(r.url())) ||
        (method === "GET" && /\/api\/v1\/imports\/\d+$/.test(r.url()))
      )
        seen.push(await r.json().catch(() => ({ state: "unread", percent: 0 })));
    });
    await page.getByRole("button", { name: "开始导入" }).click();
    await job(page).waitFor();
    await page.waitForURL(/job=\d+/);
    await expect.poll(() => job(page).getAttribute("data-state")).toBe("completed");
    expect(await job(page).getByTestId("job-state").textContent()).toBe("已完成");
    expect(await job(page).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
    expect(await job(page).getByTestId("rows").textContent()).toBe("已读 39 / 39 行");
    expect(await job(page).locator("[data-count=ordersCreated]").textContent()).toBe("4");
    expect(await job(page).locator("[data-count=orphanRefunds]").textContent()).toBe("1");
    expect(await job(page).locator("tr[data-reason=zero_price]").textContent()).toBe("单价为零3");
    expect(await job(page).locator("tr[data-reason=negative_quantity]").textContent()).toBe(
      "非退款单上的数量为负数1",
    );
    // Followed until it completed (a file this small may be done before the upload's answer).
    await expect.poll(() => seen.at(-1)).toMatchObject({ state: "completed", percent: 100 });
    const percents = seen.filter((j) => j.state !== "unread").map((j) => j.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // The list shows it done.
    await expect
      .poll(() => page.locator("tr[data-row]").first().getAttribute("data-state"))
      .toBe("completed");
    await expectNoAxeViolations(page);
    await shot(page, "imports-done-zh", true);

    // The rejected rows, each with its row number, reason and the row as the file had it.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      job(page)
        .getByRole("link", { name: /下载被拒绝的行/ })
        .click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^import-\d+-rejects\.csv$/);
    const rows = parse(readFileSync((await download.path()) as string, "utf8"), { relax_column_count: true });
    expect(rows[0]).toEqual(["row", "reason", "message", "cells"]);
    expect(rows.slice(1).map((r: string[]) => [r[0], r[1], r[3]])).toEqual([
      ["2", "zero_price", "536414"],
      ["3", "zero_price", "536545"],
      ["4", "zero_price", "536546"],
      ["5", "negative_quantity", "536589"],
    ]);

    // The same file again changes nothing, and says so.
    await page.locator("input[type=file]").setInputFiles(RETAIL);
    await chooseOption(page, page.getByLabel("导入到店铺"), "英国礼品店");
    await page.getByRole("button", { name: "开始导入" }).click();
    await page.locator(".ant-message", { hasText: "该文件已完整导入过" }).waitFor();
    expect(await page.locator("tr[data-row]").count()).toBe(1);
  });

  it("maps a file's own columns by hand, in English, and imports it", async () => {
    const csv = [
      "订单号,商品编码,商品名称,数量,单价,下单时间,买家",
      "T-1001,TEE-BLK-M,T恤 黑 M,2,99.00,2026-03-01 10:15:00,buyer-1",
      "T-1001,CAP-01,棒球帽,1,59.90,2026-03-01 10:15:00,buyer-1",
      "T-1002,TEE-BLK-M,T恤 黑 M,abc,99.00,2026-03-02 11:00:00,buyer-2",
      "T-1003,,无编码商品,1,10.00,2026-03-03 12:00:00,buyer-3",
      "T-1004,MUG-01,马克杯,1,39.00,2026-03-04 09:30:00,buyer-4",
    ].join("\n");
    const { page } = await t.open("zhao.super", "/imports", { language: "en" });
    await page.getByRole("heading", { name: "Import orders" }).waitFor();
    await page.locator("input[type=file]").setInputFiles({
      name: "tmall-history.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(csv),
    });
    await mapping(page).waitFor();
    await page.getByText("No known layout recognised: pick the column for each field").waitFor();
    await page.getByRole("button", { name: "Start import" }).click();
    await page.getByRole("alert").filter({ hasText: "Pick a column for the required fields" }).waitFor();
    for (const [field, column] of [
      ["Order id", "订单号"],
      ["SKU", "商品编码"],
      ["Product title", "商品名称"],
      ["Quantity", "数量"],
      ["Unit price", "单价"],
      ["Customer", "买家"],
      ["Placed at", "下单时间"],
    ] as const)
      await chooseOption(page, page.getByLabel(field, { exact: true }), column);
    await chooseOption(page, page.getByLabel("Currency", { exact: true }).first(), "CNY");
    await chooseOption(page, page.getByLabel("Import into shop"), "天猫旗舰店");
    await page.keyboard.press("Escape");
    await expectNoAxeViolations(page);
    await shot(page, "imports-mapping-en", true);

    await page.getByRole("button", { name: "Start import" }).click();
    await expect.poll(() => job(page).getAttribute("data-state")).toBe("completed");
    expect(await job(page).getByTestId("rows").textContent()).toBe("5 of 5 rows read");
    expect(await job(page).locator("[data-count=ordersCreated]").textContent()).toBe("2");
    expect(await job(page).locator("tr[data-reason=invalid_quantity]").textContent()).toContain(
      "The quantity is not a whole number other than zero",
    );
    expect(await job(page).locator("tr[data-reason=missing_sku]").textContent()).toBe("No SKU1");
    await expect.poll(() => page.locator("tr[data-row]").count()).toBe(2);
    await expectNoAxeViolations(page);
    await shot(page, "imports-done-en", true);
    const imported = await t.env.ctx.db
      .selectFrom("orders")
      .select("external_id")
      .where("shop_id", "=", "tmall-1")
      .orderBy("external_id")
      .execute();
    expect(imported.map((o) => o.external_id)).toEqual(["T-1001", "T-1004"]);
  });

  it("reads an XLSX in the generic template, recognised as such, and imports it", async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet("订单");
    sheet.addRow([
      "order_id",
      "refund_id",
      "sku",
      "title",
      "quantity",
      "unit_price",
      "currency",
      "customer",
      "placed_at",
      "country",
    ]);
    sheet.addRow(["X-1", "", "MUG-01", "马克杯", 2, "39.00", "CNY", "c-1", "2026-03-01 10:15:00", "CN"]);
    sheet.addRow(["X-2", "", "MUG-01", "马克杯", 1, "0.00", "CNY", "c-2", "2026-03-02 10:15:00", "CN"]);
    const { page } = await t.open("zhao.super", "/imports");
    await page.locator("input[type=file]").setInputFiles({
      name: "订单导出.xlsx",
      mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      buffer: Buffer.from(await book.xlsx.writeBuffer()),
    });
    await page.getByText("已识别为「通用模板」格式").waitFor();
    expect(await mapping(page).locator("[data-field=currency]").textContent()).toContain("currency");
    await chooseOption(page, page.getByLabel("导入到店铺"), "天猫旗舰店");
    await page.getByRole("button", { name: "开始导入" }).click();
    await expect.poll(() => job(page).getAttribute("data-state")).toBe("completed");
    expect(await job(page).getByTestId("rows").textContent()).toBe("已读 2 / 2 行");
    expect(await job(page).locator("tr[data-reason=zero_price]").textContent()).toBe("单价为零1");
    await expectNoAxeViolations(page);
  });
});
