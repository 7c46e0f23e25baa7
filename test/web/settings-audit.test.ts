import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addUser, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { addShop } from "../support/fixtures.ts";

/**
 * Three settings screens in a real browser against the real server: API tokens (made, shown once, used,
 * revoked), the audit log of those changes (who, when, before → after, narrowed by action) and the product
 * after-sales policies (added, edited, a bad name refused at its field with nothing changed). What people
 * would notice, in zh-CN and en, axe-core on every state, and a role without the permission refused.
 */
const t = consoleTest({
  scene: async ({ env }) => {
    await addShop(env.ctx, "tmall-1", "tmall");
    await addShop(env.ctx, "jd-1", "jd");
    await addUser(env.ctx, "zhao.admin", "admin", { name: "赵管理员" });
    await addUser(env.ctx, "qian.sup", "supervisor", { name: "钱主管" });
    await addUser(env.ctx, "sun.rev", "reviewer", { name: "孙审核" });
  },
});
const tag = () => randomBytes(3).toString("hex").toUpperCase();

/** Call the API as an integration with the token the screen handed out. */
const fetchWith = async (secret: string) =>
  (await fetch(`${t.url}/api/v1/cases?limit=1`, { headers: { authorization: `Bearer ${secret}` } })).status;

const tokenRow = (page: Page, name: string) => page.locator(`tr[data-token="${name}"]`);
const policyRow = (page: Page, kind: string, key: string) => page.locator(`tr[data-policy="${kind}:${key}"]`);
const auditRows = (page: Page) => page.locator("tbody tr[data-action]");

/** Choose an option of an Ant Design select: open it, type its words (a searchable one narrows), click it. */
async function choose(page: Page, selector: string, words: string) {
  await page.locator(selector).click();
  await page.keyboard.type(words);
  await page
    .locator(".ant-select-dropdown:visible .ant-select-item-option", { hasText: words })
    .first()
    .click();
}

describe("API tokens", () => {
  it("an admin makes a token, sees its secret once, uses it, revokes it and the next call is refused", async () => {
    const { page, context } = await t.open("zhao.admin", "/settings/tokens");
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.url });
    await page.locator("#tokens-title").waitFor();
    await tokenRow(page, "integration").waitFor();
    // The menu's 设置 group holds the screen.
    expect(await page.getByRole("navigation", { name: "菜单" }).textContent()).toContain("API 令牌");
    await expectNoAxeViolations(page);
    await shot(page, "settings-tokens-zh");

    const name = `ERP 同步 ${tag()}`;
    await page.getByRole("button", { name: "创建令牌" }).click();
    const form = page.getByRole("dialog", { name: "创建 API 令牌" });
    await form.getByLabel("名称").fill(name);
    await choose(page, "#role", "客服");
    await choose(page, "#shops", "tmall-1");
    await form.getByLabel("名称").click(); // the shops list closes as the cursor leaves it
    await expectNoAxeViolations(page);
    await shot(page, "settings-tokens-create-zh");
    await form.getByRole("button", { name: "创建" }).click();

    // The secret, this once: a warning that it will not be shown again, and a copy button that copies it.
    const shown = page.getByRole("dialog", { name: `令牌“${name}”已创建` });
    await shown.waitFor();
    expect(await shown.textContent()).toContain("关闭此窗口后将无法再次查看完整令牌");
    const secret = await shown.getByTestId("token-secret").inputValue();
    expect(secret).toMatch(/^as_[\w-]{32}$/);
    await shown.getByRole("button", { name: "复制令牌" }).click();
    await expect.poll(() => page.evaluate<string>("navigator.clipboard.readText()")).toBe(secret);
    await expectNoAxeViolations(page);
    await shot(page, "settings-tokens-secret-zh");
    await shown.getByRole("button", { name: "我已保存，关闭" }).click();
    await shown.waitFor({ state: "hidden" });

    // From now on only its name and how it starts: the secret is nowhere on the page.
    const row = tokenRow(page, name);
    await row.waitFor();
    expect(await row.getByTestId("token-prefix").textContent()).toBe(`${secret.slice(0, 11)}…`);
    expect(await row.textContent()).toContain("客服");
    expect(await row.textContent()).toContain("tmall-1");
    expect(await row.textContent()).toContain("从未使用");
    expect(await page.content()).not.toContain(secret);

    // The integration calls the API with it; the list then says when it was last used.
    expect(await fetchWith(secret)).toBe(200);
    await page.reload();
    await expect.poll(() => tokenRow(page, name).textContent()).not.toContain("从未使用");

    // Revoking asks first and says what it does; the token's next call is refused.
    await tokenRow(page, name).getByRole("button", { name: "吊销" }).click();
    const confirm = page.locator(".ant-popconfirm:visible");
    expect(await confirm.textContent()).toContain("立即无法调用接口");
    await expectNoAxeViolations(page);
    await shot(page, "settings-tokens-revoke-zh");
    await confirm.getByRole("button", { name: "吊销" }).click();
    await expect.poll(() => tokenRow(page, name).textContent()).toContain("已吊销");
    expect(await fetchWith(secret)).toBe(401);
    await page.locator(".ant-segmented-item", { hasText: "已吊销" }).click();
    await expect.poll(() => page.locator("tbody tr[data-token]").count()).toBe(1);
    await expectNoAxeViolations(page);
    await shot(page, "settings-tokens-revoked-zh");

    // The audit log: both changes, who made them and when, before → after, narrowed to the revocation.
    await page.goto("/settings/audit");
    await page.locator("#audit-title").waitFor();
    await expect.poll(() => page.locator("tbody tr[data-action=token\\.create]").count()).toBeGreaterThan(0);
    await expectNoAxeViolations(page);
    await shot(page, "settings-audit-zh");
    await choose(page, "#audit-action", "吊销 API 令牌");
    await page.waitForURL(/action=token\.revoke/);
    await expect.poll(() => auditRows(page).count()).toBe(1);
    const revoked = auditRows(page).first();
    expect(await revoked.getAttribute("data-action")).toBe("token.revoke");
    const text = (await revoked.textContent()) ?? "";
    expect(text).toContain("zhao.admin");
    expect(text).toContain("吊销 API 令牌");
    expect(text).toContain(name);
    expect(text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    // Before → after: it was not revoked, then it was.
    const revokedAt = revoked.locator("[data-field=revokedAt]");
    expect(await revokedAt.textContent()).toMatch(/吊销时间: （无） → \d{4}-\d{2}-\d{2}/);
    await expectNoAxeViolations(page);
    await shot(page, "settings-audit-revoke-zh");

    await choose(page, "#audit-action", "创建 API 令牌");
    await page.waitForURL(/action=token\.create/);
    const created = page.locator(`tbody tr[data-action=token\\.create]`, { hasText: name });
    await created.waitFor();
    expect(await created.textContent()).toContain("新建");
    expect(await created.locator("[data-field=role]").textContent()).toContain("客服");
    expect(await created.locator("[data-field=prefix]").textContent()).toContain(secret.slice(0, 11));
    expect(await created.textContent()).not.toContain(secret);
    // The object links to its screen.
    await created.getByRole("link", { name: new RegExp(name) }).click();
    await page.waitForURL(/\/settings\/tokens$/);
  });

  it("reads in English", async () => {
    const { page } = await t.open("zhao.admin", "/settings/tokens", { language: "en" });
    await tokenRow(page, "integration").waitFor();
    expect(await page.locator("thead").textContent()).toContain("Last used");
    await page.getByRole("button", { name: "New token" }).click();
    await page.getByRole("dialog", { name: "New API token" }).waitFor();
    await expectNoAxeViolations(page);
    await shot(page, "settings-tokens-create-en");
    await page.keyboard.press("Escape");
    await page.goto("/settings/audit?object=token");
    await expect.poll(() => auditRows(page).count()).toBeGreaterThan(0);
    expect(await auditRows(page).first().textContent()).toMatch(/Created an API token|Revoked an API token/);
    await expectNoAxeViolations(page);
    await shot(page, "settings-audit-en");
    // A person changed links to the people screen, narrowed to them.
    await page.goto("/settings/audit?object=user");
    await page.getByRole("link", { name: /^sun\.rev/ }).click();
    await page.waitForURL(/\/settings\/users\?q=sun\.rev/);
    await expect.poll(() => page.locator("tbody tr.ant-table-row").count()).toBe(1);
    expect(await page.locator("tbody").textContent()).toContain("孙审核");
  });
});

describe("product after-sales policies", () => {
  it("a supervisor adds and edits a policy; a bad name is refused at its field and changes nothing; the log shows both", async () => {
    const { page } = await t.open("qian.sup", "/settings/policies");
    await page.locator("#policies-title").waitFor();
    // What each policy means, in words.
    await page.getByRole("button", { name: "各政策的含义" }).click();
    await expect.poll(() => page.locator("dl").textContent()).toContain("发放补偿券并延长售后期");
    await expectNoAxeViolations(page);
    await shot(page, "settings-policies-zh");

    const sku = `MUG-${tag()}`;
    await page.getByRole("button", { name: "添加政策" }).click();
    const add = page.getByRole("dialog", { name: "添加商品售后政策" });
    await add.getByLabel("SKU 或类目").fill(sku);
    await add.getByRole("checkbox", { name: /定制商品/ }).check();
    await expectNoAxeViolations(page);
    await shot(page, "settings-policies-add-zh");
    await add.getByRole("button", { name: "保存" }).click();
    await add.waitFor({ state: "hidden" });
    await expect.poll(() => policyRow(page, "sku", sku).textContent()).toContain("定制商品");

    // Edit: the SKU stays, the policies change.
    await policyRow(page, "sku", sku).getByRole("button", { name: "编辑" }).click();
    const edit = page.getByRole("dialog", { name: `编辑 SKU ${sku} 的售后政策` });
    expect(await edit.getByLabel("SKU 或类目").isDisabled()).toBe(true);
    await edit.getByRole("checkbox", { name: /跨境商品/ }).check();
    await edit.getByRole("button", { name: "保存" }).click();
    await edit.waitFor({ state: "hidden" });
    await expect.poll(() => policyRow(page, "sku", sku).textContent()).toContain("跨境商品");
    expect(await policyRow(page, "sku", sku).textContent()).toContain("定制商品");

    // A blank name: the server's refusal shows at the field, in Chinese, and nothing is saved.
    const before = (await t.api("GET", "/catalog/policies")).total;
    const logBefore = (await t.api("GET", "/audit-log?action=policies.set")).items.length;
    await page.getByRole("button", { name: "添加政策" }).click();
    const bad = page.getByRole("dialog", { name: "添加商品售后政策" });
    // A new entry starts empty, whatever was edited before.
    expect(await bad.getByRole("checkbox", { name: /定制商品/ }).isChecked()).toBe(false);
    expect(await bad.getByLabel("SKU 或类目").inputValue()).toBe("");
    await bad.getByLabel("SKU 或类目").fill("   ");
    await bad.getByRole("checkbox", { name: /生鲜/ }).check();
    await bad.getByRole("button", { name: "保存" }).click();
    const keyError = bad.locator("#key_help");
    await expect.poll(() => keyError.textContent()).toContain("需填写 SKU 或类目名称");
    await expectNoAxeViolations(page);
    await shot(page, "settings-policies-field-error-zh");
    expect((await t.api("GET", "/catalog/policies")).total).toBe(before);
    expect((await t.api("GET", "/audit-log?action=policies.set")).items.length).toBe(logBefore);
    await bad.getByRole("button", { name: "取消" }).click();
    await bad.waitFor({ state: "hidden" });

    // The history of this SKU: added, then edited, by the supervisor, before → after in words.
    await policyRow(page, "sku", sku).getByRole("link", { name: "变更记录" }).click();
    await page.waitForURL(/\/settings\/audit\?object=policies/);
    await expect.poll(() => auditRows(page).count()).toBe(2);
    const [edited, added] = [auditRows(page).nth(0), auditRows(page).nth(1)];
    expect(await edited.textContent()).toContain("qian.sup");
    expect(await edited.textContent()).toContain("设置商品售后政策");
    expect(await edited.getByTestId("audit-diff").textContent()).toContain("定制商品 → 定制商品、跨境商品");
    expect(await added.getByTestId("audit-diff").textContent()).toContain("（无） → 定制商品");
    await expectNoAxeViolations(page);
    await shot(page, "settings-audit-policies-zh");
  });

  it("reads in English, with the field error in English", async () => {
    const { page } = await t.open("zhao.admin", "/settings/policies", { language: "en" });
    await page.locator("#policies-title").waitFor();
    await page.getByRole("button", { name: "Add policy" }).click();
    const bad = page.getByRole("dialog", { name: "Add a product after-sales policy" });
    await bad.getByLabel("SKU or category").fill("  ");
    await bad.getByRole("checkbox", { name: /Cross-border/ }).check();
    await bad.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => bad.locator("#key_help").textContent()).toMatch(/SKU or a category/);
    await expectNoAxeViolations(page);
    await shot(page, "settings-policies-field-error-en");
    await bad.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.locator("tbody tr[data-policy]").count()).toBeGreaterThan(0);
    await expectNoAxeViolations(page);
    await shot(page, "settings-policies-en");
  });
});

describe("who may open them", () => {
  it("refuses a role without the permission, and leaves the screens out of its menu", async () => {
    const { page } = await t.open("sun.rev", "/settings/tokens");
    for (const path of ["/settings/tokens", "/settings/audit", "/settings/policies"]) {
      await page.goto(path);
      await expect.poll(() => page.locator(".ant-result-403").textContent()).toContain("无权访问此页面");
    }
    const menu = (await page.getByRole("navigation", { name: "菜单" }).textContent()) ?? "";
    for (const label of ["API 令牌", "操作日志", "商品售后政策"]) expect(menu).not.toContain(label);
    await expectNoAxeViolations(page);
    await shot(page, "settings-refused-zh");
    // A supervisor reads the log and edits policies, but makes no tokens.
    const sup = await t.open("qian.sup", "/settings/tokens");
    await expect.poll(() => sup.page.locator(".ant-result-403").count()).toBe(1);
  });
});
