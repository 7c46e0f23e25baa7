import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { foldAnalytics } from "../../src/flows/analytics.ts";
import type { Actor } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { issueRefunds } from "../../src/flows/issue-refund.ts";
import { approveCase, overrideDecision, rejectCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { orderLines } from "../../src/store/orders.ts";
import { addUser, type ConsoleTest, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { addShop, REVIEWER, sampleOrder } from "../support/fixtures.ts";

/**
 * The manager's dashboard (数据统计分析) in a real browser against the real server: the charts over three
 * months of cases, narrowing the months, drilling from the reasons chart into the queue (exactly those
 * cases, closed ones too), exporting a chart as CSV, both languages, and a role without finance.read.
 */

const t = consoleTest({ settings: { refundSendGraceMs: 0 }, scene });
const RULE: Actor = { kind: "rule", id: "small-amount" };

/** The merchant's months (Asia/Shanghai): this one and the two before it. */
const shanghaiMonth = (d: Date) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .format(d)
    .slice(0, 7);
const NOW = new Date();
const M0 = shanghaiMonth(NOW);
const monthBefore = (m: string) => {
  const [y, mo] = m.split("-").map(Number) as [number, number];
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, "0")}`;
};
const M1 = monthBefore(M0);
const M2 = monthBefore(M1);
/** Noon in Shanghai on the 15th of a month. */
const midMonth = (m: string) => new Date(`${m}-15T04:00:00Z`);

type Outcome = "open" | "refunded" | "rejected" | "overridden";
/** A case on a new order's T-shirt line (category 服装), opened at the clock's time and taken as far as `outcome`. */
async function newCase(shop: string, reason: string, outcome: Outcome, by: Actor = REVIEWER) {
  const { env } = t;
  const { id: orderId } = await ingestOrder(
    env.ctx,
    sampleOrder({
      shop,
      paidAt: new Date(env.clock.now.getTime() - 86_400_000).toISOString(),
      lines: [
        {
          externalId: "L1",
          sku: "TEE-BLK-M",
          title: "T恤 黑 M",
          quantity: 2,
          unitPrice: "99.00",
          category: "服装",
        },
        {
          externalId: "L2",
          sku: "CAP-01",
          title: "棒球帽",
          quantity: 1,
          unitPrice: "59.90",
          category: "配饰",
        },
      ],
    }),
  );
  const [line] = await orderLines(env.ctx.db, orderId);
  const c = await submitCase(env.ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: reason as "quality",
    source: "chat",
    items: [{ lineId: line?.id as number, quantity: 1 }],
  });
  env.clock.advance(3 * 3_600_000);
  if (outcome === "refunded") {
    await approveCase(env.ctx, by, c.id);
    env.clock.advance(3_600_000);
    await issueRefunds(env.ctx, (await grantRefund(env.ctx, REVIEWER, c.id)).refunds);
  } else if (outcome === "rejected") await rejectCase(env.ctx, REVIEWER, c.id, { note: "超出售后期" });
  else if (outcome === "overridden") {
    await approveCase(env.ctx, RULE, c.id);
    await overrideDecision(env.ctx, REVIEWER, c.id, { decision: "reject", note: "凭证不足" });
  }
  return c.id;
}

/** The cases each month holds, by what the test looks for. */
const made: Record<string, number[]> = {};
const add = (key: string, id: number) => {
  made[key] = [...(made[key] ?? []), id];
};

/**
 * Three months of cases, made with the clock set back to each month (nobody is looking yet: the routes
 * read the clock at each request), folded into the rollups; then the clock back on real time for sessions.
 */
async function scene({ env }: ConsoleTest) {
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  // Two months ago: quality refunds (one by a rule) and a rejected damaged claim.
  env.clock.now = midMonth(M2);
  add("m2-quality", await newCase("tmall-1", "quality", "refunded", RULE));
  add("m2-quality", await newCase("tmall-1", "quality", "refunded"));
  await newCase("tmall-1", "damaged", "rejected");
  // Last month: three quality cases — refunded, still open, a rule's approval a person overrode (rejected) —
  // a size problem on JD and a changed mind refunded.
  env.clock.now = midMonth(M1);
  add("m1-quality", await newCase("tmall-1", "quality", "refunded"));
  add("m1-quality", await newCase("tmall-1", "quality", "open"));
  add("m1-quality", await newCase("tmall-1", "quality", "overridden"));
  await newCase("jd-1", "size_fit", "open");
  await newCase("tmall-1", "changed_mind", "refunded", RULE);
  // This month: a quality case and one not received, both waiting.
  env.clock.now = new Date(NOW.getTime() - 8 * 3_600_000);
  if (shanghaiMonth(env.clock.now) !== M0) env.clock.now = NOW;
  add("m0-quality", await newCase("tmall-1", "quality", "open"));
  await newCase("jd-1", "not_received", "open");
  // The quality scan found the T-shirt's refund rate jumping last month.
  await env.ctx.db
    .insertInto("alerts")
    .values({
      kind: "sku_quality",
      subject: "TEE-BLK-M",
      severity: "critical",
      dedupe_key: "sku_quality:tmall-1:TEE-BLK-M:test",
      shop_id: "tmall-1",
      reason: JSON.stringify({ zh: "近 7 天退款率明显升高", en: "Refund rate up sharply over 7 days" }),
      data: JSON.stringify({ recentRate: 0.45, baselineRate: 0.08 }),
      created_at: midMonth(M1),
      updated_at: midMonth(M1),
    } as never)
    .execute();
  await foldAnalytics(env.ctx);
  // Sessions are read against the browser's clock: the test clock runs on real time from here.
  env.clock.now = new Date();
  await addUser(env.ctx, "wang.manager", "supervisor", { name: "王主管" });
  await addUser(env.ctx, "li.reviewer", "reviewer", { name: "李审核" });
}

async function openDashboard(login: string, path: string, language: "zh-CN" | "en" = "zh-CN") {
  const { page, context } = await t.open(login, path, { language, height: 1000 });
  await page.locator("#analytics-title").waitFor();
  await chartsDrawn(page, ["reasons", "automation", "refund-trend", "stages"]);
  return { page, context };
}

/** Wait until each named chart has drawn what it was last given. */
async function chartsDrawn(page: Page, names: string[]) {
  for (const name of names)
    await page.locator(`[data-chart="${name}"][data-rendered="true"]`).waitFor({ timeout: 60_000 });
}

const card = (page: Page, id: string) => page.locator(`[data-card="${id}"]`);
const rowIds = async (page: Page) =>
  (
    await page
      .locator("tbody tr[data-row]")
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-row")))
  )
    .map(Number)
    .sort((a, b) => a - b);

describe("the analytics dashboard", () => {
  it("a manager narrows the months and drills from the reasons chart into exactly those cases", async () => {
    const { page } = await openDashboard("wang.manager", `/analytics?from=${M2}&to=${M0}`);
    // Three months: 10 cases, 6 of them quality; the reasons chart says each with its share.
    await expect.poll(() => page.locator('[data-kpi="cases"]').textContent()).toContain("10 单");
    const reasons = page.locator('[data-chart="reasons"]');
    await expect.poll(() => reasons.getAttribute("aria-label")).toContain("质量问题 6 (60.0%)");
    for (const title of ["退款原因分布", "自动化率与规则一致率", "退款率变化趋势", "处理时效", "售后成本"])
      await expect(page.getByRole("heading", { name: title, exact: true }).isVisible()).resolves.toBe(true);
    // The T-shirt's jump, pinned on the trend and said in words under it.
    await card(page, "refund-trend").locator(".ant-segmented-item", { hasText: "SKU" }).click();
    await page.waitForURL(/by=sku/);
    await chartsDrawn(page, ["refund-trend"]);
    await expect
      .poll(() => card(page, "refund-trend").textContent())
      .toContain(`质量预警 · ${M1} · TEE-BLK-M`);
    await expectNoAxeViolations(page);
    await shot(page, "analytics-zh", true);

    // Narrow to last month: typed into the month range, as a person can.
    const [start, end] = [page.getByPlaceholder("开始月份"), page.getByPlaceholder("结束月份")];
    await start.click();
    await start.fill(M1);
    await start.press("Enter");
    await end.fill(M1);
    await end.press("Enter");
    await page.waitForURL(new RegExp(`from=${M1}&to=${M1}`));
    await expect.poll(() => page.locator('[data-kpi="cases"]').textContent()).toContain("5 单");
    await chartsDrawn(page, ["reasons"]);
    await expect.poll(() => reasons.getAttribute("aria-label")).toContain("质量问题 3 (60.0%)");
    await shot(page, "analytics-narrowed-zh");

    // A click on the quality bar opens the queue on exactly those three cases, the closed ones too.
    const label = reasons.locator("text", { hasText: "质量问题" }).first();
    const box = (await label.boundingBox()) as { x: number; y: number; width: number; height: number };
    await page.mouse.click(box.x + box.width + 40, box.y + box.height / 2);
    await page.waitForURL(/\/queue\?/);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      status: "all",
      reason: "quality",
      createdFrom: `${M1}-01`,
    });
    await page.locator("#queue-title").waitFor();
    await expect.poll(() => rowIds(page)).toEqual([...(made["m1-quality"] ?? [])].sort((a, b) => a - b));
    await shot(page, "analytics-drill-queue-zh");
  });

  it("exports what a chart shows as a CSV file", async () => {
    const { page } = await openDashboard("wang.manager", `/analytics?from=${M1}&to=${M1}`);
    await card(page, "reasons").getByRole("button", { name: "导出「退款原因分布」" }).click();
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 60_000 }),
      page.getByRole("menuitem", { name: "CSV 文件" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`reasons-${M1}_${M1}.csv`);
    const text = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
    expect(text.trim().split(/\r?\n/)).toEqual([
      "原因,代码,售后单数,占比 (%)",
      "质量问题,quality,3,60",
      "七天无理由退换货,changed_mind,1,20",
      "尺码不合适,size_fit,1,20",
    ]);
  });

  it("reads in English, and a reviewer without finance.read sees no costs", async () => {
    const { page } = await openDashboard("li.reviewer", `/analytics?from=${M2}&to=${M0}&channel=tmall`, "en");
    for (const title of [
      "Refund reasons",
      "Automation and rule agreement",
      "Refund rate over time",
      "Time in each stage",
    ])
      await expect(page.getByRole("heading", { name: title, exact: true }).isVisible()).resolves.toBe(true);
    expect(await page.getByRole("heading", { name: "After-sales cost" }).count()).toBe(0);
    // Tmall's shop only: the JD cases are not counted.
    await expect.poll(() => page.locator('[data-kpi="cases"]').textContent()).toContain("8 cases");
    await expect
      .poll(() => page.locator('[data-chart="reasons"]').getAttribute("aria-label"))
      .toContain("Quality problem 6 (75.0%)");
    await expectNoAxeViolations(page);
    await shot(page, "analytics-en", true);
  });

  it("says so when the months hold nothing", async () => {
    const { page } = await t.open("wang.manager", "/analytics?from=2020-01&to=2020-02");
    await page.getByText("所选范围内没有售后单").first().waitFor();
    await expect.poll(() => page.locator('[data-kpi="cases"]').textContent()).toContain("0 单");
    expect(await page.getByText("所选范围内没有售后成本").count()).toBe(1);
    await shot(page, "analytics-empty-zh");
  });
});
