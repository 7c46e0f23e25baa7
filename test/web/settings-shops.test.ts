import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addUser, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { sampleOrder } from "../support/fixtures.ts";
import { TEST_KEYRING } from "../support/platforms.ts";

/**
 * The merchant's shop settings in a real browser against the real server: an admin adds a shop, connects
 * it to its platform (the secrets accepted, then shown only as set), sees its sync fail and why, sets
 * where returns go and the amount above which a second person approves; then the time zone and the
 * refund tender order. A refused value is explained at its field and changes nothing; every change is
 * in the audit log under the admin's name; a reviewer is refused.
 */

const t = consoleTest({
  scene: async ({ env, api }) => {
    env.ctx.secrets = TEST_KEYRING; // credentials are sealed with the installation's key
    await api("POST", "/shops", { id: "tmall-1", name: "天猫旗舰店", channel: "tmall" });
    await api("POST", "/orders", sampleOrder()); // the shop sells in CNY
    await addUser(env.ctx, "li.admin", "admin", { name: "李管理员" });
    await addUser(env.ctx, "zhao.reviewer", "reviewer", { name: "赵审核" });
  },
});
const api = t.api;

/** The error shown under the form field whose input has this id. */
const fieldError = (page: Page, id: string) =>
  page
    .locator(".ant-form-item")
    .filter({ has: page.locator(`#${id}`) })
    .locator(".ant-form-item-explain-error");

/** Everything the audit log holds about a subject (or installation-wide action), newest first. */
const audit = async (query: string) =>
  (await api("GET", `/audit-log?${query}`)).items as Record<string, unknown>[];

const SECRET = { app_key: "23456789", app_secret: "5ecret-5ecret-5ecret", session: "6102abcsession" };
// Nothing listens on the discard port: the platform cannot be reached, as when its API is down.
const DEAD_GATEWAY = "http://127.0.0.1:9";

describe("shop settings", () => {
  it("lets an admin add a shop, connect it, follow its failing sync, and set its return address and review limits", async () => {
    const { page } = await t.open("li.admin", "/settings/shops");
    await page.getByRole("heading", { name: "店铺与平台连接", level: 1 }).waitFor();
    await page.getByRole("link", { name: "天猫旗舰店", exact: true }).waitFor();
    await expect.poll(() => page.getByRole("row", { name: /天猫旗舰店/ }).innerText()).toContain("未连接");
    await expectNoAxeViolations(page);
    await shot(page, "settings-shops-list-zh");

    // A new shop: added, then its page opens on the connection tab.
    await page.getByRole("button", { name: "添加店铺" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.locator("#name").fill("天猫二店");
    await dialog.locator("#id").fill("tmall-2");
    await expectNoAxeViolations(page);
    await dialog.getByRole("button", { name: /新\s*建/ }).click();
    await page.waitForURL(/\/settings\/shops\/tmall-2/);
    await page.getByRole("heading", { name: "天猫二店", level: 1 }).waitFor();
    expect((await api("GET", "/shops")).items).toContainEqual({
      id: "tmall-2",
      name: "天猫二店",
      channel: "tmall",
    });

    // A gateway that is not an http(s) address: said at the gateway field, nothing stored.
    for (const [k, v] of Object.entries(SECRET)) await page.locator(`#${k}`).fill(v);
    await page.locator("#gateway").fill("ftp://gateway.example");
    await page.getByRole("button", { name: "保存凭证" }).click();
    await expect.poll(() => fieldError(page, "gateway").innerText()).toContain("gateway 必须是 http(s) 地址");
    expect(await api("GET", "/shops/tmall-2/credentials")).toMatchObject({ connected: false, fields: [] });
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-connection-error-zh");

    // Accepted: the form empties and says only which fields are set, never what they are.
    await page.locator("#gateway").fill(DEAD_GATEWAY);
    await page.getByRole("button", { name: "保存凭证" }).click();
    for (const f of ["app_key", "app_secret", "session", "gateway"])
      await page.getByTestId(`set-${f}`).waitFor();
    expect(await api("GET", "/shops/tmall-2/credentials")).toMatchObject({
      connected: true,
      fields: ["app_key", "app_secret", "gateway", "session"],
    });
    for (const f of Object.keys(SECRET)) expect(await page.locator(`#${f}`).inputValue()).toBe("");
    const html = await page.content();
    for (const v of Object.values(SECRET)) expect(html).not.toContain(v);
    await expect.poll(() => page.getByText("已连接").first().isVisible()).toBe(true);
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-connected-zh");

    // Its sync: run now, fails on both streams, and says why in words.
    await page.getByRole("tab", { name: "同步状态" }).click();
    await page.getByRole("button", { name: /立即同步/ }).click();
    const streams = page.getByTestId("sync-streams");
    await expect.poll(() => streams.locator("tr[data-stream=orders]").innerText()).toContain("失败");
    const orders = await streams.locator("tr[data-stream=orders]").innerText();
    expect(orders).toContain("订单");
    expect(orders).toContain("无法连接到平台");
    expect(orders).toContain("ChannelUnavailableError");
    expect(await streams.locator("tr[data-stream=aftersales]").innerText()).toContain("无法连接到平台");
    const status = await api("GET", "/shops/tmall-2/sync");
    expect(status.streams.map((s: { lastError: string }) => s.lastError)).toEqual([
      expect.stringMatching(/^ChannelUnavailableError/),
      expect.stringMatching(/^ChannelUnavailableError/),
    ]);
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-sync-failed-zh", true);

    // Where returns go.
    await page.getByRole("tab", { name: "退货地址" }).click();
    await page.locator("#name").fill("天猫二店售后仓");
    await page.locator("#phone").fill("0571-88886666");
    await page.locator("#address").fill("浙江省杭州市余杭区仓前街道 8 号 3 楼");
    await page.locator("#postcode").fill("311121");
    await page.getByRole("button", { name: /保\s*存/ }).click();
    await expect
      .poll(() => api("GET", "/shops/tmall-2/return-address"))
      .toEqual({
        name: "天猫二店售后仓",
        phone: "0571-88886666",
        address: "浙江省杭州市余杭区仓前街道 8 号 3 楼",
        postcode: "311121",
      });
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-address-zh");

    // Second approval above ¥500; a malformed amount is refused at its field and changes nothing.
    await page.getByRole("tab", { name: "审核设置" }).click();
    await page.locator("#secondApprovalAbove").fill("5百");
    await page.getByRole("button", { name: /保\s*存/ }).click();
    await expect.poll(() => fieldError(page, "secondApprovalAbove").innerText()).toContain("请输入金额");
    expect((await api("GET", "/shops/tmall-2/review-settings")).secondApprovalAbove).toBeNull();
    await expectNoAxeViolations(page);
    await page.locator("#secondApprovalAbove").fill("500");
    await page.getByRole("button", { name: /保\s*存/ }).click();
    await expect
      .poll(async () => (await api("GET", "/shops/tmall-2/review-settings")).secondApprovalAbove)
      .toBe("500.00");
    await expect.poll(() => page.locator("#secondApprovalAbove").inputValue()).toBe("500.00");
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-review-zh");

    // Each change is in the audit log, under the admin's name, secrets left out.
    const entries = await audit("subject=tmall-2&limit=50");
    expect(entries.map((e) => e.action).sort()).toEqual([
      "shop.create",
      "shop.credentials",
      "shop.return_address",
      "shop.review",
    ]);
    expect(entries.every((e) => e.actor === "user:li.admin")).toBe(true);
    expect(entries.find((e) => e.action === "shop.review")).toMatchObject({
      before: { secondApprovalAbove: null },
      after: { secondApprovalAbove: "500.00" },
    });
    for (const v of Object.values(SECRET)) expect(JSON.stringify(entries)).not.toContain(v);
  });

  it("shows a shop's review limits in its currency and its sync in English", async () => {
    const { page } = await t.open("li.admin", "/settings/shops/tmall-1?tab=review", { language: "en" });
    await page.getByRole("heading", { name: "天猫旗舰店", level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId("shop-currency").innerText()).toBe("Shop currency: CNY");
    expect(await page.locator("#autoRefundLimit").inputValue()).toBe("200.00");
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-review-en");
    await page.getByRole("tab", { name: "Sync status" }).click();
    await page.getByText("This shop has not synced yet").waitFor();
    await page.getByRole("button", { name: /Sync now/ }).click();
    // Not connected: both streams say so, and what to do.
    await expect
      .poll(() => page.getByTestId("sync-streams").locator("tr[data-stream=orders]").innerText())
      .toContain("The shop has no platform credentials");
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-sync-en");
    await page.getByRole("tab", { name: "Connection" }).click();
    await page.locator("#app_key").waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "settings-shop-connection-en");
  });
});

describe("general settings", () => {
  it("changes the time zone and the refund tender order; an unknown zone is refused at its field", async () => {
    const { page } = await t.open("li.admin", "/settings/general", { language: "en" });
    await page.getByRole("heading", { name: "General settings", level: 1 }).waitFor();
    await expect.poll(() => page.locator("#timeZone").inputValue()).toBe("Asia/Shanghai");
    await expectNoAxeViolations(page);
    await shot(page, "settings-general-en", true);

    await page.locator("#timeZone").fill("Mars/Olympus_Mons");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: /Save/ }).first().click();
    await expect.poll(() => fieldError(page, "timeZone").innerText()).toMatch(/Mars\/Olympus_Mons/);
    expect(await api("GET", "/settings/timezone")).toEqual({ timeZone: "Asia/Shanghai" });
    await expectNoAxeViolations(page);
    await shot(page, "settings-general-tz-error-en");

    await page.locator("#timeZone").fill("Asia/Tokyo");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: /Save/ }).first().click();
    await expect.poll(() => api("GET", "/settings/timezone")).toEqual({ timeZone: "Asia/Tokyo" });
    await expect.poll(() => page.getByTestId("tz-now").innerText()).toContain("Asia/Tokyo");

    // Points before everything but WeChat Pay: moved up the list, then saved.
    const before = (await api("GET", "/settings/refunds")).tenderOrder as string[];
    expect(before[0]).toBe("wechat_pay");
    const steps = before.indexOf("points") - 1;
    for (let i = 0; i < steps; i++) await page.getByRole("button", { name: "Move Points up" }).click();
    const list = page.getByTestId("tender-order");
    await expect
      .poll(() =>
        list.locator("[data-tender]").evaluateAll((els) => els.map((e) => e.getAttribute("data-tender"))),
      )
      .toEqual(["wechat_pay", "points", ...before.filter((x) => x !== "wechat_pay" && x !== "points")]);
    await page.getByTestId("tender-save").click();
    await expect
      .poll(async () => ((await api("GET", "/settings/refunds")).tenderOrder as string[]).slice(0, 2))
      .toEqual(["wechat_pay", "points"]);
    await expectNoAxeViolations(page);
    await shot(page, "settings-general-saved-en", true);

    const tz = await audit("action=settings.timezone");
    expect(tz).toHaveLength(1); // the refused zone left nothing
    expect(tz[0]).toMatchObject({ actor: "user:li.admin", before: "Asia/Shanghai", after: "Asia/Tokyo" });
    expect((await audit("action=settings.refund_tender_order"))[0]).toMatchObject({
      actor: "user:li.admin",
      before,
    });
  });

  it("shows the general settings in Chinese", async () => {
    const { page } = await t.open("li.admin", "/settings/general");
    await page.getByRole("heading", { name: "通用设置", level: 1 }).waitFor();
    await page.getByText("退款顺序").first().waitFor();
    await page.getByText("渠道手续费").first().waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "settings-general-zh", true);
  });
});

describe("who may", () => {
  it("refuses the settings to a reviewer, and keeps them out of the menu", async () => {
    const { page } = await t.open("zhao.reviewer", "/settings/shops");
    await page.getByText("你的角色无权访问此页面").waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "settings-shops-refused-zh");
    await page.goto("/settings/general");
    await page.getByText("你的角色无权访问此页面").waitFor();
    await page.goto("/settings/shops/tmall-1");
    await page.getByText("你的角色无权访问此页面").waitFor();
    expect(await page.getByRole("menuitem", { name: "店铺与平台连接" }).count()).toBe(0);
    expect(await page.getByRole("menuitem", { name: "通用设置" }).count()).toBe(0);
  });
});
