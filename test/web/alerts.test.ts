import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { foldAnalytics } from "../../src/flows/analytics.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { orderLines } from "../../src/store/orders.ts";
import {
  addUser,
  type ConsoleTest,
  chooseOption,
  consoleTest,
  expectNoAxeViolations,
  shot,
} from "../support/browser.ts";
import { addShop, REVIEWER, sampleOrder } from "../support/fixtures.ts";

/**
 * The alerts inbox (预警) in a real browser against the real server: a manager sees a risky case the
 * review raised and — after running the quality scan — a SKU whose refund rate jumped, each saying why
 * with its numbers; follows each to what triggered it (the case; the refund-rate trend); acknowledges
 * them, one with a note, and sees who acknowledged when. Both languages, axe-core on every state.
 */

const DAY = 86_400_000;
let n = 0;
let riskyCase = 0;

/** `orders` orders of 10 × `sku` paid `daysAgo`, the first `claims` with a quality claim for `units` units. */
async function sales(
  t: ConsoleTest,
  now: Date,
  sku: string,
  daysAgo: number,
  orders: number,
  claims: number,
  units: number,
) {
  const { env } = t;
  for (let i = 0; i < orders; i++) {
    n++;
    const paidAt = new Date(now.getTime() - daysAgo * DAY);
    env.clock.now = paidAt;
    const { id } = await ingestOrder(
      env.ctx,
      sampleOrder({
        externalId: `Q${n}`,
        customer: { id: `q-cust-${n}` },
        paidAt: paidAt.toISOString(),
        lines: [
          {
            externalId: "L1",
            sku,
            title: "电热水壶",
            category: "厨房电器",
            quantity: 10,
            unitPrice: "20.00",
          },
        ],
        discounts: [],
        shippingFee: "0.00",
        payments: [{ tender: "alipay", amount: "200.00" }],
      }),
    );
    if (i < claims) {
      const lines = await orderLines(env.ctx.db, id);
      env.clock.now = new Date(paidAt.getTime() + DAY);
      await submitCase(env.ctx, REVIEWER, {
        orderId: id,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: lines[0]?.id as number, quantity: units }],
      });
    }
  }
}

const t = consoleTest({
  scene: async (t) => {
    const { env } = t;
    await addShop(env.ctx, "tmall-1", "tmall");
    await addUser(env.ctx, "wang.manager", "supervisor", { name: "王经理" });
    const now = env.clock.now;
    // KETTLE-1: 2% of units claimed over the baseline, 25% in the last two weeks.
    await sales(t, now, "KETTLE-1", 60, 20, 4, 1);
    await sales(t, now, "KETTLE-1", 5, 6, 3, 5);
    env.clock.now = now;
    // A merchant strict about risk, and a serial refunder: four refunds this month, then "not received"
    // on a parcel that was signed for.
    await t.api("PUT", "/settings/risk", { mediumAt: 10, highAt: 20 });
    for (let i = 0; i <= 4; i++) {
      const o = await t.api(
        "POST",
        "/orders",
        sampleOrder({ externalId: `R${i}`, customer: { id: "serial-1" } }),
      );
      const lines = (await t.api("GET", `/orders/${o.id}`)).lines as { id: number }[];
      const c = await t.api("POST", "/cases", {
        orderId: o.id,
        type: "refund_only",
        reason: i < 4 ? "quality" : "not_received",
        source: "chat",
        items: [{ lineId: lines[0]?.id, quantity: 1 }],
      });
      riskyCase = c.id;
    }
    // The dashboard's numbers, as the service's fold job brings them up to date.
    await foldAnalytics(env.ctx);
    const risky = await t.api("GET", "/alerts?kind=case_risk");
    expect(risky.items.map((a: { caseId: number }) => a.caseId)).toContain(riskyCase);
  },
});

const row = (page: Page, kind: string) => page.locator(`tr[data-kind="${kind}"]`);

describe("alerts inbox", () => {
  it("shows a risky case and, after a quality scan, a SKU spike with its numbers; each leads to what raised it; a manager acknowledges them", async () => {
    const { page } = await t.open("wang.manager", "/alerts");
    // The menu names the screen.
    await page.getByRole("menuitem", { name: "预警" }).waitFor();
    const risk = row(page, "case_risk").first();
    await risk.waitFor();
    expect(await risk.getByTestId("reason").textContent()).toContain("已签收");
    expect(await risk.getByTestId("score").textContent()).toMatch(/风险分\s*\d+/);
    expect(await risk.getByTestId("severity").textContent()).toBe("严重");
    await expect.poll(() => page.locator("[data-view=open]").textContent()).toMatch(/待处理\s*1$/);
    await expectNoAxeViolations(page);
    await shot(page, "alerts-risk-zh");

    // The scan finds KETTLE-1 and its category.
    await page.getByRole("button", { name: "立即扫描质量" }).click();
    await page.locator(".ant-message", { hasText: "条质量预警" }).waitFor();
    const sku = row(page, "sku_quality");
    await sku.waitFor();
    expect(await sku.getByTestId("reason").textContent()).toContain("KETTLE-1");
    expect(await sku.getByTestId("recent-rate").textContent()).toBe("25.0%");
    expect(await sku.getByTestId("baseline-rate").textContent()).toBe("2.0%");
    expect(await sku.getByTestId("rates").textContent()).toContain("12.5 倍");
    expect(await sku.getByTestId("rates").textContent()).toContain("15/60 件");
    await row(page, "category_quality").waitFor();
    await expect.poll(() => page.locator("[data-view=open]").textContent()).toMatch(/待处理\s*3$/);
    await expectNoAxeViolations(page);
    await shot(page, "alerts-quality-zh", true);

    // Narrowed to SKU spikes, in the address.
    await chooseOption(page, page.getByRole("combobox", { name: "类型" }), "SKU 质量");
    await page.waitForURL(/kind=sku_quality/);
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(1);

    // The spike leads to the shop's refund-rate trend by SKU.
    await sku.getByTestId("source-link").click();
    await page.waitForURL(/\/analytics\?/);
    const trend = new URL(page.url()).searchParams;
    expect([trend.get("shop"), trend.get("by")]).toEqual(["tmall-1", "sku"]);
    // There the scan's jump is marked on KETTLE-1's line.
    await page.getByTestId("spikes").filter({ hasText: "KETTLE-1" }).waitFor();
    await shot(page, "alerts-trend-link-zh", true);
    await page.goBack();
    await page.waitForURL(/\/alerts\?kind=sku_quality/);

    // The risky case's alert leads to the case.
    await chooseOption(page, page.getByRole("combobox", { name: "类型" }), "售后单风险");
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(1);
    await row(page, "case_risk").getByTestId("source-link").click();
    await page.waitForURL(new RegExp(`/cases/${riskyCase}$`));
    await page.goBack();
    await page.waitForURL(/kind=case_risk/);

    // Acknowledge the two quality alerts at once, with a note.
    await page.goto("/alerts");
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(3);
    for (const kind of ["sku_quality", "category_quality"])
      await row(page, kind).locator("input[type=checkbox]").check();
    await page.getByRole("button", { name: "确认所选（2）" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("处理说明（可选）").fill("已通知供应商检查批次");
    await expectNoAxeViolations(page);
    await shot(page, "alerts-acknowledge-dialog-zh");
    await dialog.getByRole("button", { name: "确认" }).click();
    await page.locator(".ant-message", { hasText: "已确认 2 条预警" }).waitFor();
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(1);

    // And the risky case on its own.
    await row(page, "case_risk").getByRole("button", { name: "确认" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "确认" }).click();
    await page.locator(".ant-message", { hasText: "已确认 1 条预警" }).waitFor();
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(0);
    await page.getByText("没有符合条件的预警").waitFor();

    // Acknowledged: who and when, and the note.
    await page.locator("[data-view=acknowledged]").click();
    await page.waitForURL(/status=acknowledged/);
    await expect.poll(() => page.locator("tbody tr[data-row]").count()).toBe(3);
    const done = await row(page, "sku_quality").getByTestId("acknowledged").textContent();
    expect(done).toMatch(/wang\.manager 于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 确认/);
    expect(done).toContain("已通知供应商检查批次");
    const stored = await t.api("GET", "/alerts?status=acknowledged");
    expect(stored.items.map((a: { acknowledgedBy: string }) => a.acknowledgedBy)).toEqual([
      "user:wang.manager",
      "user:wang.manager",
      "user:wang.manager",
    ]);
    await expectNoAxeViolations(page);
    await shot(page, "alerts-acknowledged-zh", true);
  });

  it("reads in English: kinds, reasons, numbers and who acknowledged", async () => {
    const { page } = await t.open("wang.manager", "/alerts?status=all", { language: "en" });
    await page.getByRole("menuitem", { name: "Alerts" }).waitFor();
    const sku = row(page, "sku_quality");
    await sku.waitFor();
    expect(await sku.getByTestId("reason").textContent()).toMatch(/refund rate 25\.0%/);
    expect(await sku.getByTestId("rates").textContent()).toContain("Refund rate, last 14 days");
    expect(await sku.getByTestId("kind").textContent()).toBe("SKU quality");
    expect(await sku.getByTestId("acknowledged").textContent()).toMatch(/Acknowledged by wang\.manager at/);
    await expectNoAxeViolations(page);
    await shot(page, "alerts-all-en", true);
  });
});
