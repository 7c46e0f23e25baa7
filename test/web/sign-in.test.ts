import { describe, expect, it } from "vitest";
import {
  addUser,
  chooseOption,
  consoleTest,
  expectNoAxeViolations,
  shot,
  TEST_PASSWORD,
} from "../support/browser.ts";
import { addShop } from "../support/fixtures.ts";

const t = consoleTest({
  scene: async ({ env }) => {
    await addShop(env.ctx, "tmall-1", "tmall");
    await addUser(env.ctx, "admin", "admin", { name: "王管理" });
    await addUser(env.ctx, "li.reviewer", "reviewer", { name: "李审核" });
    await addUser(env.ctx, "locked.out", "reviewer", { name: "Locked Out" });
  },
});

describe("signing in and out", () => {
  it("refuses a wrong password, signs in, returns to the page asked for, and signs out", async () => {
    const page = await (await t.context()).newPage();
    await page.goto("/board");
    await page.waitForURL(/\/sign-in\?from=%2Fboard/);
    await expectNoAxeViolations(page);
    await shot(page, "sign-in-zh");

    await page.locator("#login").fill("li.reviewer");
    await page.locator("#password").fill("not-the-password");
    await page.locator("button[type=submit]").click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("账号或密码不正确");
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await shot(page, "sign-in-wrong-password-zh");

    await page.locator("#password").fill(TEST_PASSWORD);
    await page.locator("button[type=submit]").click();
    await page.waitForURL(/\/board$/);
    await expect.poll(() => page.getByRole("banner").textContent()).toContain("李审核 · 售后审核");
    // A reviewer has no people screen: not in the menu, and refused when typed in.
    expect(await page.getByRole("navigation").textContent()).not.toContain("人员管理");
    await page.goto("/settings/users");
    await expect.poll(() => page.getByRole("main").textContent()).toContain("你的角色无权访问此页面");

    await page
      .getByRole("banner")
      .getByRole("button", { name: /李审核/ })
      .hover();
    await page.getByText("退出登录").click();
    await page.waitForURL(/\/sign-in/);
    // The session is gone on the server too: the API refuses the old cookie.
    const res = await page.request.get("/api/v1/session");
    expect(res.status()).toBe(401);
    await page.goto("/queue");
    await page.waitForURL(/\/sign-in/);
  });

  it("says when an account is locked after repeated failures", async () => {
    const page = await (await t.context({ language: "en" })).newPage();
    await page.goto("/sign-in");
    for (let i = 0; i < 6; i++) {
      await page.locator("#login").fill("locked.out");
      await page.locator("#password").fill(`wrong-${i}`);
      const answered = page.waitForResponse(
        (r) => r.url().endsWith("/api/v1/session") && r.request().method() === "POST",
      );
      await page.locator("button[type=submit]").click();
      await answered;
    }
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("locked until");
    await shot(page, "sign-in-locked-en");
  });
});

describe("the console's frame", () => {
  it("switches between Chinese and English and remembers the choice", async () => {
    const { page } = await t.open("admin", "/settings/users");
    await expect.poll(() => page.getByRole("navigation").textContent()).toContain("审核工作台");
    // The people screen sits in the settings submenu, opened because the address is inside it.
    await expect.poll(() => page.getByRole("menuitem", { name: "人员管理" }).isVisible()).toBe(true);
    await page.getByRole("radiogroup", { name: "语言" }).getByText("English").click();
    await expect.poll(() => page.getByRole("navigation").textContent()).toContain("Review workspace");
    await expect.poll(() => page.locator("h1").textContent()).toBe("People");
    await page.reload();
    await expect.poll(() => page.locator("h1").textContent()).toBe("People");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.getByRole("radiogroup", { name: "Language" }).getByText("中文").click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("人员管理");
  });
});

describe("people (admin)", () => {
  it("adds a person who can then sign in with the role given", async () => {
    const { page } = await t.open("admin", "/settings/users");
    await expect.poll(() => page.locator("tbody").textContent()).toContain("李审核");
    await expectNoAxeViolations(page);
    await shot(page, "people-zh");

    await page.getByRole("button", { name: /添加人员/ }).click();
    const dialog = page.getByRole("dialog");
    await dialog.locator("#name").fill("张仓库");
    await dialog.locator("#login").fill("zhang.wh");
    await chooseOption(page, dialog.locator("#role"), "仓库");
    await expect
      .poll(() =>
        dialog
          .locator(".ant-form-item")
          .filter({ has: page.locator("#role") })
          .textContent(),
      )
      .toContain("仓库");
    await dialog.locator("#password").fill("short");
    await dialog.getByRole("button", { name: /保\s*存/ }).click();
    // Too short is caught before it is sent.
    await expect.poll(() => dialog.textContent()).toMatch(/8/);
    await dialog.locator("#password").fill("warehouse-pw-1");
    await expectNoAxeViolations(page);
    await shot(page, "people-add-zh");
    await dialog.getByRole("button", { name: /保\s*存/ }).click();
    await expect.poll(() => page.locator("tbody").textContent()).toContain("张仓库");

    const other = await (await t.context()).newPage();
    await other.goto("/sign-in");
    await other.locator("#login").fill("zhang.wh");
    await other.locator("#password").fill("warehouse-pw-1");
    await other.locator("button[type=submit]").click();
    await expect.poll(() => other.getByRole("banner").textContent()).toContain("张仓库 · 仓库");
  });

  it("turns automatic assignment off (on by default), and it stays off", async () => {
    const { page } = await t.open("admin", "/settings/users");
    const toggle = page.locator("#auto-assign");
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
    await toggle.click();
    await expect.poll(() => page.locator(".ant-message").textContent()).toContain("已保存");
    await expect.poll(() => page.getByText(/留在队列/).count()).toBe(1);
    await page.reload();
    await expect.poll(() => page.locator("#auto-assign").getAttribute("aria-checked")).toBe("false");
  });
});
