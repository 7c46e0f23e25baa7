import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { generateHistory } from "../../src/cli/history.ts";
import { DEFAULT_RULE_SET } from "../../src/domain/rules/default-rules.ts";
import {
  addUser,
  type ConsoleTest,
  chooseOption,
  consoleTest,
  expectNoAxeViolations,
  shot,
} from "../support/browser.ts";

/**
 * 审核规则 in a real browser against the real server: a supervisor reads the live rules as sentences,
 * starts a draft, edits a rule in the form (a bad amount is explained at its field), backtests the draft
 * beside the live rules over a generated history of decided cases, and asks for activation; with
 * maker–checker on, only a second supervisor can activate it. The JSON view edits the same draft; the
 * thresholds form explains refused values at their field. Both languages; axe-core on each state.
 */

const t = consoleTest({ scene, timeoutMs: 600_000 });
const api = t.api;
let live: number;
const HISTORY = 5_000;

async function open(login: string, path: string, language: "zh-CN" | "en" = "zh-CN") {
  const { page } = await t.open(login, path, { language });
  await page.getByTestId("rules-screen").waitFor();
  return page;
}

const card = (page: Page, id: string) => page.locator(`[data-testid=rule-card][data-rule="${id}"]`);
const at = (page: Page, path: string) => page.locator(`[data-path="${path}"]`);

/** Three people, a history of decided cases to backtest against, the default rules live, maker–checker on. */
async function scene({ env }: ConsoleTest) {
  await addUser(env.ctx, "chen.sup", "supervisor", { name: "陈主管" });
  await addUser(env.ctx, "wang.sup", "supervisor", { name: "王主管" });
  await addUser(env.ctx, "li.reviewer", "reviewer", { name: "李审核" });
  // Cases people decided over the last months: what backtests replay.
  // A fixed day: its hours and dates, and so what can be learned from it, are the same on every run.
  await generateHistory(env.ctx.db, { cases: HISTORY, seed: 7, now: new Date("2026-11-01T00:00:00Z") });
  const v = await api("POST", "/rules/versions", { definition: DEFAULT_RULE_SET, note: "默认规则" });
  await api("POST", `/rules/versions/${v.version}/activate`);
  live = v.version;
  // From now on a draft goes live only when someone other than its author activates it.
  await api("PUT", "/settings/rules-activation", { secondPerson: true });
}

describe("the rules screen", () => {
  it("edits a rule, backtests the draft beside the live rules, and waits for a second person to activate it", async () => {
    const page = await open("chen.sup", "/rules");
    // The live rules, read as sentences in the order they are tried.
    await card(page, "small-refund-only").waitFor();
    expect(await card(page, "unshipped-refund-only").getByTestId("rule-text").textContent()).toBe(
      "仅退款 且 未发货 → 自动同意",
    );
    expect(await card(page, "small-refund-only").getByTestId("rule-text").textContent()).toBe(
      "仅退款 且 退款金额 ≤ ¥30.00 且 顾客退款次数（近 90 天） ≤ 2 且 风险分 < 40 → 自动同意",
    );
    await expectNoAxeViolations(page);
    await shot(page, "rules-live-zh", true);

    // A draft from the live version; the rule's amount raised, first mistyped.
    await page.getByTestId("new-draft").click();
    await page.waitForURL(/version=\d+/);
    const draft = Number(new URL(page.url()).searchParams.get("version"));
    expect(draft).toBeGreaterThan(live);
    await page.getByRole("button", { name: "编辑规则「小额仅退款自动同意」" }).click();
    const drawer = page.getByTestId("rule-drawer");
    const index = DEFAULT_RULE_SET.rules.findIndex((r) => r.id === "small-refund-only");
    const amount = at(page, `rules[${index}].when.all[1].value`);
    await amount.getByRole("textbox").fill("5O");
    await drawer.getByTestId("rule-save").click();
    await expect
      .poll(() => amount.locator(".ant-form-item-explain-error").textContent())
      .toContain("不是有效的 CNY 金额");
    await expectNoAxeViolations(page);
    await shot(page, "rules-field-error-zh");
    await amount.getByRole("textbox").fill("50");
    await drawer.getByTestId("rule-save").click();
    await drawer.waitFor({ state: "hidden" });
    await expect
      .poll(() => card(page, "small-refund-only").getByTestId("rule-text").textContent())
      .toContain("退款金额 ≤ ¥50.00");

    // The backtest, with its progress bar while it runs, then the draft beside the live version.
    // What the progress bar showed while it ran, as the browser saw it (with the embedded database the
    // server shares this process with the test, which hears back from the browser only between batches).
    await page.evaluate(`(() => {
      window.progressSeen = [];
      new MutationObserver(() => {
        const bar = document.querySelector("[data-testid=backtest-progress] [role=progressbar]");
        const v = bar && bar.getAttribute("aria-valuenow");
        if (v !== null && v !== undefined && window.progressSeen.at(-1) !== v) window.progressSeen.push(v);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    await page.getByTestId("backtest-run").click();
    const results = page.getByTestId("backtest-results");
    await results.waitFor({ timeout: 120_000 });
    const summary = await page.getByTestId("backtest-summary").textContent();
    expect(summary).toContain(`生效版本 ${live}`);
    expect(summary).toContain("自动处理率");
    expect(summary).toContain("误同意（人工拒绝）");
    expect(await results.textContent()).toContain(`共回放 ${HISTORY.toLocaleString()} 张`);
    // The bar started at 0 and moved with each batch of 2,000 cases before the results replaced it.
    const seen = (await page.evaluate("window.progressSeen")) as string[];
    expect(seen[0]).toBe("0");
    expect(seen.length).toBeGreaterThanOrEqual(2);
    // Per rule, with the cases the rule got wrong a click away.
    const rows = page.getByTestId("backtest-rules");
    const ruleRow = rows.locator("tr", { hasText: "小额仅退款自动同意" }).first();
    expect(await ruleRow.textContent()).toMatch(/决定 [\d,]+ 单/);
    await ruleRow.getByRole("button", { name: "展开行" }).click();
    const link = rows.locator("a[href^='/cases/']").first();
    await link.waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "rules-backtest-zh", true);

    // The author cannot activate it: they ask, and it waits for someone else.
    expect(await page.getByTestId("activate").count()).toBe(0);
    expect(await page.getByTestId("maker-checker").textContent()).toContain("需要由另一位主管复核后启用");
    await page.getByTestId("request-activation").click();
    await expect
      .poll(() => page.getByTestId("maker-checker").textContent())
      .toContain("等待另一位主管复核启用");
    await shot(page, "rules-waiting-zh");

    // A second supervisor sees who asked, and activates it.
    const other = await open("wang.sup", `/rules?version=${draft}`);
    await expect.poll(() => other.getByTestId("maker-checker").textContent()).toContain("chen.sup");
    expect(await other.getByTestId("maker-checker").textContent()).toContain("提交了启用申请");
    await other.getByTestId("activate").click();
    // Confirm once the question has finished opening (a click during its zoom-in can be lost), and see it go.
    const confirm = other.locator(".ant-popconfirm:visible");
    await expect.poll(() => confirm.getAttribute("class")).not.toMatch(/-enter|-appear/);
    await confirm.locator(".ant-btn-primary").click();
    await confirm.waitFor({ state: "hidden" });
    await expect
      .poll(() => other.getByTestId("version-view").locator(".ant-tag").first().textContent())
      .toBe("生效中");
    await shot(other, "rules-activated-zh");
    expect((await api("GET", "/rules")).active).toBe(draft);
  }, 240_000);

  it("edits the same draft as JSON, and explains refused thresholds at their field (English)", async () => {
    const v = await api("POST", "/rules/versions", { definition: DEFAULT_RULE_SET, note: "JSON" });
    const page = await open("chen.sup", `/rules?version=${v.version}`, "en");
    await card(page, "vip-fast-lane").waitFor();
    expect(await card(page, "vip-fast-lane").getByTestId("rule-text").textContent()).toBe(
      "VIP → Send to a person (queue vip, priority 90); Set a time limit (4 hours)",
    );
    await page.locator(".ant-segmented-item", { hasText: "JSON" }).click();
    const box = page.getByTestId("rules-json");
    const text = (await box.inputValue()).replace('"field": "customer.tier"', '"field": "customer.teir"');
    await box.fill(text);
    await page.getByTestId("json-save").click();
    const problems = page.getByTestId("json-problems");
    await problems.waitFor();
    expect(await problems.textContent()).toContain(
      'Unknown field "customer.teir"; did you mean "customer.tier"?',
    );
    await expectNoAxeViolations(page);
    await shot(page, "rules-json-en", true);
    // Fixed in the JSON, the form shows the same draft.
    await box.fill(text.replace("customer.teir", "customer.tier").replace('"hours": 4', '"hours": 6'));
    await page.locator(".ant-segmented-item", { hasText: "Form" }).click();
    await expect
      .poll(() => card(page, "vip-fast-lane").getByTestId("rule-text").textContent())
      .toContain("Set a time limit (6 hours)");
    expect((await api("GET", `/rules/versions/${v.version}`)).definition.rules[1].then[1]).toEqual({
      action: "set_sla",
      hours: 6,
    });

    await page.getByRole("tab", { name: "Risk and quality-alert thresholds" }).click();
    const medium = at(page, "mediumAt");
    await medium.getByRole("spinbutton").fill("80");
    await page.getByTestId("thresholds-risk-save").click();
    await expect
      .poll(() => medium.locator(".ant-form-item-explain-error").textContent())
      .toBe("must not be above highAt (80 > 60)");
    await expectNoAxeViolations(page);
    await shot(page, "rules-thresholds-en", true);
  }, 180_000);
  it("learns rules from history, judged on held-out cases, and adds one to a draft or dismisses it", async () => {
    const page = await open("chen.sup", "/rules?tab=suggestions");
    await page.getByTestId("suggestions").waitFor();
    // People were not perfectly consistent in this history: 90 % is a bar some conditions reach.
    // All of it, as the API is asked below (a window would move with the day the test runs).
    await chooseOption(page, page.locator("#suggest-window"), "全部历史");
    await page.locator("#suggest-agreement").click();
    await page.locator(".ant-select-dropdown:visible .ant-select-item-option", { hasText: "90.0%" }).click();
    await page.getByTestId("suggest-run").click();
    await page.getByTestId("suggest-summary").waitFor({ timeout: 120_000 });
    const cards = page.getByTestId("suggestion");
    await expect.poll(() => cards.count()).toBeGreaterThan(0);
    // The screen shows what the server found, judged on the held-out cases.
    const report = await api("POST", "/rules/suggestions", { minAgreement: 0.9 });
    expect(await cards.count()).toBe(report.suggestions.length);
    const [first] = report.suggestions;
    const summary = await page.getByTestId("suggest-summary").textContent();
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    expect(summary).toContain(
      `${pct(report.live.automationRate)} → ${pct(report.withSuggestions.automationRate)}`,
    );
    expect(report.withSuggestions.automationRate).toBeGreaterThan(report.live.automationRate);
    const firstCard = cards.first();
    expect(await firstCard.locator(".ant-card-head-title").textContent()).toBe(first.text.zh);
    expect(await firstCard.getByTestId("held-out").textContent()).toContain(
      `一致率 ${pct(first.heldOut.agreementRate)}`,
    );
    expect(first.heldOut.agreementRate).toBeGreaterThanOrEqual(0.9);
    // Its examples lead to the cases it would have decided.
    expect(await firstCard.getByRole("link").first().getAttribute("href")).toBe(
      `/cases/${first.examples[0]}`,
    );
    await expectNoAxeViolations(page);
    await shot(page, "rules-suggestions-zh", true);

    // Added: a new draft holding the live rules with the suggestion below them, opened to edit and backtest.
    const before = (await api("GET", "/rules")).versions.length;
    await firstCard.getByRole("button", { name: "加入新草稿" }).click();
    await page.waitForURL(/version=\d+/);
    const version = Number(new URL(page.url()).searchParams.get("version"));
    const draft = await api("GET", `/rules/versions/${version}`);
    expect((await api("GET", "/rules")).versions.length).toBe(before + 1);
    expect(draft.status).toBe("draft");
    const liveRules = (await api("GET", "/rules")).versions.find(
      (v: { status: string }) => v.status === "active",
    );
    expect(draft.definition.rules.at(-1)).toEqual(first.rule);
    expect(draft.definition.rules.slice(0, -1)).toEqual(liveRules.definition.rules);
    await card(page, first.rule.id).waitFor();
    await page.getByTestId("backtest-run").waitFor();
    await shot(page, "rules-suggestion-draft-zh", true);

    // A draft is not live: asked again, the suggestion is still there. Dismissed: gone, and never again.
    await page.getByRole("tab", { name: "规则建议" }).click();
    await chooseOption(page, page.locator("#suggest-window"), "全部历史");
    await page.locator("#suggest-agreement").click();
    await page.locator(".ant-select-dropdown:visible .ant-select-item-option", { hasText: "90.0%" }).click();
    await page.getByTestId("suggest-run").click();
    const again = page.getByTestId("suggestion").filter({ hasText: first.text.zh });
    await again.waitFor({ timeout: 120_000 });
    await again.getByRole("button", { name: "不再建议" }).click();
    await page.getByRole("tooltip").getByRole("button", { name: "不再建议" }).click();
    await again.waitFor({ state: "detached" });
    const after = await api("POST", "/rules/suggestions", { minAgreement: 0.9 });
    expect(after.suggestions.map((x: { fingerprint: string }) => x.fingerprint)).not.toContain(
      first.fingerprint,
    );
  }, 300_000);
});
