import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { offlineChannel } from "../../src/channels/payments/offline/adapter.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { addUser, type ConsoleTest, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * Finance (财务) in a real browser against the real server: the refund list with a bank transfer to make,
 * recorded with its reference in one step (the row then shows it refunded, with the reference); a refused
 * refund with its error and the ways out; the cost report's chart, table and CSV/XLSX export; a channel
 * bill uploaded and a reconciliation problem opened with what to do about it. Both languages, axe-core.
 */

const t = consoleTest({ settings: { refundSendGraceMs: 60_000 }, scene });
const api = t.api;

/** Today in the merchant's time zone (Beijing), as the report's and the bill's days are counted. */
const beijingToday = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

interface Scene {
  caseId: number;
  refundId: number;
  amount: string;
  key: string;
}

/** An approved refund_only case for one T-shirt paid with `tender`, its refund granted and sent. */
async function refunded(
  order: string,
  customer: string,
  tender: "wechat_pay" | "bank_transfer",
  opts: { decline?: boolean; reason?: string } = {},
): Promise<Scene> {
  const o = await api(
    "POST",
    "/orders",
    sampleOrder({
      shop: "tmall-1",
      externalId: order,
      customer: { id: `cust-${order}`, name: customer },
      payments: [{ tender, amount: "245.90", transactionId: `4200${order}` }],
    }),
  );
  const lines = (await api("GET", `/orders/${o.id}`)).lines as { id: number }[];
  const c = await api("POST", "/cases", {
    orderId: o.id,
    type: "refund_only",
    reason: opts.reason ?? "quality",
    items: [{ lineId: lines[0]?.id, quantity: 1 }],
  });
  await api("POST", `/cases/${c.id}/approve`, {});
  if (opts.decline) t.env.sim.faults({ declineNext: 1 });
  await api("POST", `/cases/${c.id}/grant-refund`, {});
  const [leg] = (await api("GET", `/refunds?q=${c.id}`)).items;
  return { caseId: c.id, refundId: leg.id, amount: leg.amount, key: leg.idempotencyKey };
}

let transfer: Scene;
let declined: Scene;
let paid: Scene;
/** The report the reconciliation test made, for the test that resolves its problems. */
let reportPath = "";

/**
 * The refunds finance works on. From here the flows' clock runs on with the browser's, and bank transfers
 * and wallets are paid by hand: the routes read the context's clock and payment channels at each request,
 * so changing them with the server up holds (sessions keep the harness's clock, set to real time).
 */
async function scene({ env }: ConsoleTest) {
  env.ctx.now = () => new Date();
  // Bank transfers and wallets are paid by finance by hand; every other tender goes to the sandbox.
  env.ctx.payments = createPaymentRegistry(
    { bank_transfer: offlineChannel("bank_transfer"), wallet: offlineChannel("wallet") },
    env.ctx.payments.get("sandbox"),
  );
  await addShop(env.ctx, "tmall-1", "tmall");
  await addUser(env.ctx, "qian.finance", "finance", { name: "钱财务" });
  paid = await refunded("F-1001", "王小明", "wechat_pay");
  await refunded("F-1002", "李娜", "wechat_pay", { reason: "damaged" });
  transfer = await refunded("F-1003", "张伟", "bank_transfer", { reason: "changed_mind" });
  declined = await refunded("F-1004", "刘洋", "wechat_pay", { decline: true });
}

async function open(path: string, language: "zh-CN" | "en" = "zh-CN") {
  return (await t.open("qian.finance", path, { language })).page;
}

const row = (page: Page, id: number) => page.locator(`tr[data-row="${id}"]`);

describe("finance", () => {
  it("settles an offline refund with the transfer's reference in one step, and the list shows it refunded with that reference", async () => {
    const page = await open("/finance");
    await row(page, declined.refundId).waitFor();
    // The refused refund says why, and offers to send it again or pay it offline.
    const refused = row(page, declined.refundId);
    expect(await refused.getAttribute("data-status")).toBe("failed");
    expect(await refused.locator("[data-testid=last-error]").textContent()).toBeTruthy();
    await refused.getByRole("button", { name: "重新发送" }).waitFor();
    await refused.getByRole("button", { name: "改线下退款" }).waitFor();
    await expect.poll(() => page.locator("[data-view=transfer]").textContent()).toMatch(/待线下打款\s*1$/);
    await expectNoAxeViolations(page);
    await shot(page, "finance-refunds-zh");

    // 待线下打款: the bank transfer to make, with who and how much.
    await page.locator("[data-view=transfer]").click();
    await page.waitForURL(/view=transfer/);
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(1);
    const waiting = row(page, transfer.refundId);
    expect(await waiting.textContent()).toContain("张伟");
    expect(await waiting.textContent()).toContain(`¥${transfer.amount}`);
    await waiting.getByRole("button", { name: "登记打款" }).click();
    const dialog = page.getByRole("dialog", { name: `登记线下打款 · 退款 #${transfer.refundId}` });
    await dialog.getByLabel("转账流水号").fill("ICBC-20261101-0042");
    await expectNoAxeViolations(page);
    await shot(page, "finance-settle-zh");
    await dialog.getByLabel("转账流水号").press("Enter");
    await dialog.waitFor({ state: "hidden" });

    // Paid: it leaves the transfers to make (the live stream refreshes the list), and shows refunded with its reference.
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(0);
    await expect.poll(() => page.locator("[data-view=transfer]").textContent()).toMatch(/待线下打款$/);
    await page.locator("[data-view=all]").click();
    await page.waitForURL((u) => !u.search.includes("view="));
    await page.getByRole("searchbox", { name: "搜索退款" }).fill(String(transfer.caseId));
    await page.getByRole("searchbox", { name: "搜索退款" }).press("Enter");
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(1);
    const settled = row(page, transfer.refundId);
    await expect.poll(() => settled.getAttribute("data-status")).toBe("succeeded");
    expect(await settled.locator("[data-testid=status]").textContent()).toBe("已退款");
    expect(await settled.locator("[data-testid=reference]").textContent()).toBe("ICBC-20261101-0042");
    await shot(page, "finance-settled-zh");
    const [leg] = (await api("GET", `/refunds?q=${transfer.caseId}`)).items;
    expect(leg).toMatchObject({ status: "succeeded", channelRefundId: "ICBC-20261101-0042" });
  });

  it("reads the list in English", async () => {
    const page = await open("/finance", "en");
    await row(page, declined.refundId).waitFor();
    expect(await row(page, paid.refundId).locator("[data-testid=status]").textContent()).toBe("Refunded");
    await row(page, declined.refundId).getByRole("button", { name: "Send again" }).waitFor();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Finance · Refunds");
    await expectNoAxeViolations(page);
    await shot(page, "finance-refunds-en");

    // Filters live in the address: failed ones only; then a month long ago, when nothing was refunded.
    await page.goto("/finance?status=failed");
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(1);
    await row(page, declined.refundId).waitFor();
    await page.goto("/finance?from=2020-01-01&to=2020-01-31");
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(0);
  });

  it("shows the cost report as a chart and a table, and exports it as CSV and XLSX", async () => {
    const day = beijingToday();
    const page = await open(`/finance/report?from=${day}&to=${day}&period=day&by=reason`);
    const chart = page.locator("[role=img][aria-label^='图表']");
    await chart.waitFor();
    await expect.poll(() => page.locator(".ant-table-tbody tr.ant-table-row").count()).toBeGreaterThan(0);
    // The table says each reason in words; the total is the refunds paid back so far.
    const table = await page.locator(".ant-table-tbody").textContent();
    expect(table).toContain("质量问题");
    expect(await chart.locator("svg text", { hasText: "质量问题" }).count()).toBeGreaterThan(0);
    await expectNoAxeViolations(page);
    await shot(page, "finance-report-zh");

    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "导出 CSV" }).click(),
    ]);
    expect(csv.suggestedFilename()).toBe(`after-sales-${day}-${day}.csv`);
    const text = readFileSync((await csv.path()) as string, "utf8");
    expect(text).toContain("退货款 Refunded goods");
    expect(text).toContain("quality");
    const [xlsx] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "导出 Excel" }).click(),
    ]);
    expect(xlsx.suggestedFilename()).toBe(`after-sales-${day}-${day}.xlsx`);
    // An XLSX file is a zip: it starts with PK.
    expect(
      readFileSync((await xlsx.path()) as string)
        .subarray(0, 2)
        .toString(),
    ).toBe("PK");

    // By month and channel, in English: the chart's series are the channels.
    const en = await open(`/finance/report?from=${day}&to=${day}&period=month&by=channel`, "en");
    const enChart = en.locator("[role=img][aria-label^='Chart']");
    await enChart.waitFor();
    await expect
      .poll(() => enChart.locator("svg text", { hasText: "WeChat Pay" }).count())
      .toBeGreaterThan(0);
    await expectNoAxeViolations(en);
    await shot(en, "finance-report-en");
  });

  it("reconciles an uploaded channel bill and opens a problem with what to do about it", async () => {
    // The day's WeChat Pay bill: our first refund for 1.00 less than we paid, and one we never made.
    const billed = (Number(paid.amount) - 1).toFixed(2);
    const bill = wechatBill([
      { key: paid.key, amount: billed, wxId: "50300001012026110100000001" },
      { key: "RF-BY-HAND-1", amount: "12.34", wxId: "50300001012026110100000002" },
    ]);
    const page = await open("/finance/reconciliations");
    await page.getByRole("button", { name: "上传对账单" }).click();
    const dialog = page.getByRole("dialog", { name: "对账" });
    await dialog.locator("input[type=file]").setInputFiles({
      name: "wechat-refund.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(bill),
    });
    await dialog.getByText("wechat-refund.csv").waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "finance-upload-zh");
    await dialog.getByRole("button", { name: "开始对账" }).click();

    // The report: two problems, the amount that differs and the refund we do not have.
    await page.waitForURL(/\/finance\/reconciliations\/\d+/);
    reportPath = new URL(page.url()).pathname;
    const mismatch = page.locator(`tr[data-key="${paid.key}"]`);
    await mismatch.waitFor();
    expect(await mismatch.getAttribute("data-category")).toBe("amount_mismatch");
    expect(await page.locator("tr[data-key='RF-BY-HAND-1']").getAttribute("data-category")).toBe(
      "missing_on_our_side",
    );
    await expectNoAxeViolations(page);
    await shot(page, "finance-reconciliation-zh");

    await mismatch.getByTestId("item-link").click();
    const detail = page.getByTestId("item-detail");
    await detail.waitFor();
    expect(await detail.getByTestId("our-amount").textContent()).toBe(`¥${paid.amount}`);
    expect(await detail.getByTestId("bill-amount").textContent()).toBe(`¥${billed}`);
    expect(await detail.getByTestId("advice").textContent()).toContain("双方金额不一致");
    // What reconciliation found, in the reader's language.
    expect(await detail.getByTestId("note").textContent()).toBe("双方金额不一致");
    await detail.getByRole("button", { name: `打开售后单 #${paid.caseId}` }).waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "finance-reconciliation-problem-zh");

    // The report stays in the list, with its problems counted.
    await page.getByRole("button", { name: "Close" }).or(page.locator(".ant-drawer-close")).first().click();
    await page.getByRole("button", { name: "返回对账列表" }).click();
    await expect.poll(() => page.locator("[data-testid=problems]").first().textContent()).toBe("2");
    await shot(page, "finance-reconciliations-zh");

    // In English: the problem and its advice.
    const en = await open(reportPath, "en");
    await en.locator("tr[data-key='RF-BY-HAND-1']").getByTestId("item-link").click();
    await expect
      .poll(() => en.getByTestId("advice").textContent())
      .toContain("The channel refunded money we have no successful refund for");
    expect(await en.getByTestId("note").textContent()).toBe(
      "The channel refunded it; we have no refund with this key",
    );
    await expectNoAxeViolations(en);
    await shot(en, "finance-reconciliation-problem-en");
  });

  it("marks a reconciliation problem resolved with a note, counts it, and filters to what is still open", async () => {
    expect(reportPath).toMatch(/\/finance\/reconciliations\/\d+/);
    const page = await open(reportPath);
    const byHand = page.locator("tr[data-key='RF-BY-HAND-1']");
    await byHand.waitFor();
    expect(await byHand.getByTestId("state").textContent()).toBe("待处理");
    await byHand.getByTestId("item-link").click();
    const resolution = page.getByTestId("resolution");
    await resolution.waitFor();

    // No note, no resolution: the field says what is missing and nothing is sent.
    await resolution.getByRole("button", { name: "标记为已处理" }).click();
    await resolution.getByText("请填写处理说明").waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "finance-resolve-note-required-zh");

    const note = "已在微信支付商户平台手工退款，退款单号 50300001012026110100000002";
    await resolution.getByLabel("处理说明").fill(note);
    await resolution.getByRole("button", { name: "标记为已处理" }).click();
    // The drawer stays on the problem and says who resolved it and how.
    await expect.poll(() => resolution.getAttribute("data-resolved")).toBe("true");
    expect(await resolution.getByTestId("resolution-note").textContent()).toBe(note);
    await expect.poll(() => resolution.textContent()).toContain("qian.finance");
    await expectNoAxeViolations(page);
    await shot(page, "finance-resolved-problem-zh");

    // Counted as resolved; the open filter (the default) shows only the amount still to look at.
    await page.locator(".ant-drawer-close").first().click();
    await expect.poll(() => page.getByTestId("resolved-count").textContent()).toContain("1");
    expect(await page.getByTestId("open-count").textContent()).toContain("1");
    await expect.poll(() => page.locator("tbody tr[data-key]").count()).toBe(1);
    expect(await page.locator("tbody tr[data-key]").getAttribute("data-key")).toBe(paid.key);
    await page.locator(".ant-segmented-item", { hasText: "已处理" }).click();
    await expect.poll(() => page.locator("tbody tr[data-key]").count()).toBe(1);
    const resolved = page.locator("tr[data-key='RF-BY-HAND-1']");
    expect(await resolved.getAttribute("data-resolved")).toBe("true");
    expect(await resolved.getByTestId("state").textContent()).toBe("已处理");
    await expectNoAxeViolations(page);
    await shot(page, "finance-reconciliation-resolved-filter-zh");
    await page.locator(".ant-segmented-item", { hasText: "待处理" }).click();
    await expect.poll(() => page.locator("tbody tr[data-key]").count()).toBe(1);
    await shot(page, "finance-reconciliation-open-filter-zh");

    // The list shows the day still has an open problem.
    await page.getByRole("button", { name: "返回对账列表" }).click();
    await expect.poll(() => page.getByTestId("open-problems").first().textContent()).toBe("1 / 2 待处理");
    await expectNoAxeViolations(page);
    await shot(page, "finance-reconciliations-open-zh");

    // The API agrees, and the last problem resolved in English makes the day read as all settled.
    const id = Number(reportPath.split("/").at(-1));
    const report = await api("GET", `/reconciliations/${id}?state=resolved`);
    expect(report).toMatchObject({ openProblems: 1, resolvedProblems: 1 });
    expect(report.items[0].resolution).toMatchObject({ note, by: "qian.finance" });
    const en = await open(`${reportPath}?item=${encodeURIComponent(paid.key)}`, "en");
    const enResolution = en.getByTestId("resolution");
    await enResolution
      .getByLabel("What was done")
      .fill("Clawed back 1.00 from the customer, case note added");
    await enResolution.getByRole("button", { name: "Mark resolved" }).click();
    await expect.poll(() => enResolution.getAttribute("data-resolved")).toBe("true");
    await en.locator(".ant-drawer-close").first().click();
    await en.getByTestId("all-settled").waitFor();
    expect(await en.getByTestId("all-settled").textContent()).toBe("All settled");
    await expect.poll(() => en.locator("tbody tr[data-key]").count()).toBe(0);
    await expectNoAxeViolations(en);
    await shot(en, "finance-reconciliation-settled-en");
    await en.getByRole("button", { name: "Back to reconciliations" }).click();
    await expect.poll(() => en.getByTestId("open-problems").first().textContent()).toBe("All settled");
    await expectNoAxeViolations(en);
    await shot(en, "finance-reconciliations-settled-en");
  });
});

/** A WeChat Pay refund bill (交易账单, bill_type=REFUND) as the channel writes it: every value after a backtick. */
function wechatBill(rows: { key: string; amount: string; wxId: string }[]) {
  const header =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
  const at = `${beijingToday()} 10:00:00`;
  const lines = rows.map((r, i) =>
    [
      at,
      "wx2421b1c4370ec43b",
      "1900000109",
      "0",
      "",
      `420000123420261101000000000${i}`,
      `T-F-${i}`,
      "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
      "JSAPI",
      "REFUND",
      "OTHERS",
      "CNY",
      "0.00",
      "0.00",
      at,
      at,
      r.wxId,
      r.key,
      r.amount,
      "0.00",
      "ORIGINAL",
      "SUCCESS",
      "T恤 黑 M",
      "",
      "0.00",
      "0.60%",
      "245.90",
      r.amount,
      "",
    ]
      .map((v) => `\`${v}`)
      .join(","),
  );
  const total = rows.reduce((a, r) => a + Math.round(Number(r.amount) * 100), 0);
  const yuan = `${Math.floor(total / 100)}.${String(total % 100).padStart(2, "0")}`;
  return [
    header,
    ...lines,
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
    [rows.length, "0.00", yuan, "0.00", "0.00", "0.00", yuan].map((v) => `\`${v}`).join(","),
  ].join("\r\n");
}
