// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addUser, type ConsoleTest, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * The reviewer workspace (审核工作台) in a real browser against the real server: filtering and searching
 * (kept in the address), the keyboard (approve, then the next case comes up; claim), a batch with
 * each case's own result, saved views and their counts, both languages, a role that may not decide,
 * and a phone.
 */

const t = consoleTest({ scene });
const api = t.api;

interface Seeded {
  id: number;
  order: string;
  customer: string;
}

/** A case waiting for review, made as a platform sync or an agent would: the order, then the case. */
async function newCase(
  order: string,
  customer: string,
  opts: {
    shop?: string;
    type?: "refund_only" | "return_refund";
    reason?: string;
    line?: number;
    requested?: string;
  } = {},
): Promise<Seeded> {
  const o = await api(
    "POST",
    "/orders",
    sampleOrder({
      shop: opts.shop ?? "tmall-1",
      externalId: order,
      customer: { id: `cust-${order}`, name: customer },
    }),
  );
  const lines = (await api("GET", `/orders/${o.id}`)).lines as { id: number }[];
  const c = await api("POST", "/cases", {
    orderId: o.id,
    type: opts.type ?? "refund_only",
    reason: opts.reason ?? "quality",
    items: [{ lineId: lines[opts.line ?? 0]?.id, quantity: 1 }],
    ...(opts.requested ? { requestedAmount: opts.requested } : {}),
  });
  expect(c.status).toBe("requested");
  return { id: c.id as number, order, customer };
}

const row = (page: Page, id: number) => page.locator(`tr[data-row="${id}"]`);
const rows = (page: Page) => page.locator("tbody tr[data-row]");
const rowIds = async (page: Page) =>
  (await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-row")))).map(Number);
const pane = (page: Page) => page.locator(".ant-drawer-right .ant-drawer-content-wrapper");
const caseView = (page: Page, id: number) => page.locator(`[data-testid="case-view"][data-case="${id}"]`);
const actionBar = (page: Page) => page.locator("[data-testid='case-actions']");

/** Pick an option of an Ant Design select by its label. */
async function choose(page: Page, select: Locator, option: string) {
  await select.click();
  await page
    .locator(".ant-select-dropdown:visible .ant-select-item-option", { hasText: option })
    .first()
    .click();
  await page.keyboard.press("Escape");
}

async function openQueue(
  login: string,
  path = "/queue",
  opts: { language?: "zh-CN" | "en"; width?: number; height?: number; phone?: boolean } = {},
) {
  const { page } = await t.open(login, path, opts);
  await page.locator("#queue-title").waitFor();
  return { page };
}

const tmall: Seeded[] = [];
const jd: Seeded[] = [];
const bulk: Seeded[] = [];

/** The shops, the people, a deadline rule and the cases they work on (the clock on real time: SLA deadlines). */
async function scene({ env }: ConsoleTest) {
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  await addShop(env.ctx, "bulk-1", "tmall");
  await addUser(env.ctx, "li.reviewer", "reviewer", { name: "李审核" });
  await addUser(env.ctx, "zhao.reviewer", "reviewer", { name: "赵审核" });
  await addUser(env.ctx, "chen.cs", "cs_agent", { name: "陈客服" });
  // Cases wait in the queue for whoever takes them (no round robin): claiming is part of the test.
  await api("PUT", "/settings/assignment", { auto: false });
  // The merchant's deadline rule: a damaged item is answered within 2 hours (so 即将超时 holds one);
  // the other cases have no deadline.
  const damaged = { field: "case.reason", op: "eq", value: "damaged" };
  const sla = [{ action: "set_sla", hours: 2 }];
  const rules = await api("POST", "/rules/versions", {
    definition: {
      rules: [{ id: "damaged", name: "Damaged: 2 h", priority: 1, when: damaged, then: sla }],
      solutions: [],
    },
  });
  await api("POST", `/rules/versions/${rules.version}/activate`);
  // What each customer asked back (the last one named no amount).
  const people: [string, "refund_only" | "return_refund", string, string | undefined][] = [
    ["王小明", "refund_only", "quality", "91.32"],
    ["李娜", "return_refund", "size_fit", "91.32"],
    ["张伟", "refund_only", "damaged", "30.00"],
    ["刘洋", "return_refund", "quality", "91.32"],
    ["陈静", "refund_only", "quality", undefined],
  ];
  for (const [i, [name, type, reason, requested]] of people.entries())
    tmall.push(await newCase(`Q-100${i + 1}`, name, { type, reason, requested }));
  // A shop where approvals above 80.00 take two people: a T-shirt (about 91) needs both, a cap does not.
  await api("PUT", "/shops/jd-1/review-settings", { secondApprovalAbove: "80.00" });
  jd.push(await newCase("JD-2001", "周杰", { shop: "jd-1", line: 0 }));
  jd.push(await newCase("JD-2002", "吴敏", { shop: "jd-1", line: 1 }));
  jd.push(await newCase("JD-2003", "郑爽", { shop: "jd-1", line: 1 }));
  // More than a page, for "select all matching".
  for (let i = 1; i <= 22; i++) bulk.push(await newCase(`B-${3000 + i}`, `顾客${i}`, { shop: "bulk-1" }));
}

describe("the reviewer workspace", () => {
  it("filters the queue, keeps the filter in the address, and finds a case by its order number", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1");
    await expect.poll(() => rows(page).count()).toBe(tmall.length);
    // The amount asked, in yuan with its sign; the damaged item due within two hours, counted in 即将超时.
    expect(await row(page, tmall[0]?.id as number).textContent()).toContain("¥91.32");
    expect(
      await row(page, tmall[2]?.id as number)
        .locator("[data-urgency]")
        .getAttribute("data-urgency"),
    ).toBe("soon");
    await expect.poll(() => page.locator("[data-view='due_soon']").textContent()).toMatch(/即将超时\s*1$/);
    await expectNoAxeViolations(page);
    await shot(page, "queue-zh");

    await choose(page, page.getByRole("combobox", { name: "类型" }), "退货退款");
    await page.waitForURL(/type=return_refund/);
    await expect.poll(() => rows(page).count()).toBe(2);
    for (const text of await rows(page).allTextContents()) expect(text).toContain("退货退款");
    // The address is the filter: a reload shows the same list.
    await page.reload();
    await expect.poll(() => rows(page).count()).toBe(2);
    expect(await rowIds(page)).toEqual(expect.arrayContaining([tmall[1]?.id, tmall[3]?.id]));
    await expectNoAxeViolations(page);
    await shot(page, "queue-filtered-zh");

    // Clearing the filters clears the shop too: every open case, every shop.
    await page.getByRole("button", { name: "清除筛选" }).click();
    await page.waitForURL((u) => !u.search.includes("shop="));
    await expect.poll(() => rows(page).count()).toBe(tmall.length + jd.length + bulk.length);
    const search = page.getByRole("searchbox", { name: "搜索售后单" });
    await search.fill("Q-1003");
    await search.press("Enter");
    await page.waitForURL(/q=Q-1003/);
    await expect.poll(() => rowIds(page)).toEqual([tmall[2]?.id]);
    expect(await row(page, tmall[2]?.id as number).textContent()).toContain("张伟");
    // A customer's name finds their case too.
    await search.fill("刘洋");
    await search.press("Enter");
    await expect.poll(() => rowIds(page)).toEqual([tmall[3]?.id]);
  });

  it("approves by keyboard and lands on the next case", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1&sort=id&order=asc");
    await expect.poll(() => rowIds(page)).toEqual(tmall.map((c) => c.id));
    const [first, second, third] = tmall as [Seeded, Seeded, Seeded];
    // The first row is highlighted; j moves down, Enter opens the case beside the list.
    await expect.poll(() => row(page, first.id).getAttribute("aria-current")).toBe("true");
    await page.keyboard.press("j");
    await expect.poll(() => row(page, second.id).getAttribute("aria-current")).toBe("true");
    await page.keyboard.press("Enter");
    await caseView(page, second.id).waitFor();
    await actionBar(page).locator("[data-action='approve']").waitFor();
    await page.waitForURL(new RegExp(`open=${second.id}`));
    await expectNoAxeViolations(page);
    await shot(page, "queue-case-open-zh");

    // a opens the case's approval form; Enter confirms it.
    await page.keyboard.press("a");
    const dialog = page.getByRole("dialog").filter({ has: page.getByTestId("action-submit") });
    await dialog.waitFor();
    await page.getByTestId("action-submit").click();
    // The next case comes up by itself. Li Na's is a return and refund: approved, it waits for her parcel.
    await caseView(page, third.id).waitFor();
    await expect.poll(() => row(page, third.id).getAttribute("aria-current")).toBe("true");
    expect((await api("GET", `/cases/${second.id}`)).status).toBe("awaiting_return");
    await expect.poll(() => row(page, second.id).textContent()).toContain("待买家退货");
    // r opens the rejection with its reasons to pick from; Escape leaves the case as it was.
    await page.keyboard.press("r");
    const reject = page.getByRole("dialog", { name: "拒绝" });
    await expect.poll(() => reject.textContent()).toContain("拒绝原因");
    await page.keyboard.press("Escape");
    await reject.waitFor({ state: "hidden" });
    expect((await api("GET", `/cases/${third.id}`)).status).toBe("requested");
  });

  it("claims the highlighted case with o, and 我的 counts it", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1&owner=none&sort=id&order=asc");
    const mine = page.locator("[data-view='mine']");
    await expect.poll(() => mine.textContent()).toMatch(/0$/);
    const target = (await rowIds(page))[0] as number;
    await expect.poll(() => row(page, target).getAttribute("aria-current")).toBe("true");
    await page.keyboard.press("o");
    // The claimed case leaves "unassigned" by the server's own change event, and "mine" counts it.
    await expect.poll(() => row(page, target).count()).toBe(0);
    await expect.poll(() => mine.textContent()).toMatch(/1$/);
    expect((await api("GET", `/cases/${target}`)).owner?.login).toBe("li.reviewer");
    await mine.click();
    await page.waitForURL(/view=mine/);
    await expect.poll(() => rowIds(page)).toEqual([target]);
    expect(await row(page, target).textContent()).toContain("李审核");
  });

  it("saves the current filters as a view with its count, and deletes it", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1&type=refund_only");
    const expected = (await api("GET", "/queue?shop=tmall-1&type=refund_only")).total as number;
    await expect.poll(() => rows(page).count()).toBe(expected);
    await page.getByRole("button", { name: "保存为视图" }).click();
    const dialog = page.getByRole("dialog", { name: "保存当前筛选为视图" });
    await dialog.getByRole("textbox", { name: "视图名称" }).fill("天猫仅退款");
    await expectNoAxeViolations(page);
    await dialog.getByRole("button", { name: /^保\s?存$/ }).click();
    const tab = page.getByRole("navigation", { name: "视图" }).getByRole("button", { name: /^天猫仅退款/ });
    await expect.poll(() => tab.textContent()).toBe(`天猫仅退款${expected}`);
    await page.waitForURL(/view=v\d+/);
    expect(new URL(page.url()).searchParams.get("type")).toBeNull();
    await expect.poll(() => rows(page).count()).toBe(expected);
    // The new view is the one shown, the dialog gone.
    await expect.poll(() => tab.getAttribute("aria-current")).toBe("true");
    await dialog.waitFor({ state: "hidden" });
    await shot(page, "queue-saved-view-zh");
    // The view is the person's own: they may delete it.
    await page.getByRole("button", { name: "删除视图「天猫仅退款」" }).click();
    await page
      .getByRole("dialog")
      .getByRole("button", { name: /^删\s?除$/ })
      .click();
    await expect.poll(() => tab.count()).toBe(0);
  });

  it("approves a batch and says which case failed and why", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=jd-1&sort=id&order=asc");
    // Li gave JD-2001 its first approval already; the second must be someone else's.
    // Run in the page (its session cookie): a string, since the page's types are not Node's.
    const first = (await page.evaluate(`(async () => {
      const s = await (await fetch("/api/v1/session")).json();
      const r = await fetch("/api/v1/cases/${jd[0]?.id}/approve", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": s.csrfToken },
        body: "{}",
      });
      return r.json();
    })()`)) as { awaitingSecondApproval?: boolean };
    expect(first.awaitingSecondApproval).toBe(true);
    await expect.poll(() => rowIds(page)).toEqual(jd.map((c) => c.id));
    await expect.poll(() => row(page, jd[0]?.id as number).textContent()).toContain("待复核");

    await page.locator("thead .ant-table-selection-column input[type=checkbox]").check();
    const bar = page.getByRole("region", { name: "已选 3 单" });
    await bar.getByRole("button", { name: "同意" }).click();
    const confirm = page.getByRole("dialog", { name: "批量同意", exact: true });
    await expect.poll(() => confirm.textContent()).toContain("将对选中的 3 个售后单执行「同意」");
    // Ant Design spaces a two-character Chinese button label: "同 意".
    await confirm.getByRole("button", { name: /^同\s?意$/ }).click();

    const results = page.getByRole("dialog", { name: "批量同意结果" });
    // The answer is the results, or an error shown in the confirmation: wait for either, then say which.
    const refused = confirm.getByRole("alert");
    await expect
      .poll(async () => (await results.isVisible()) || (await refused.isVisible()), { timeout: 60_000 })
      .toBe(true);
    expect(await refused.count()).toBe(0);
    await expect.poll(() => results.textContent()).toContain("共 3 单：成功 2 单，失败 1 单");
    const failed = results.locator("tbody tr").filter({ hasText: "失败" });
    expect(await failed.count()).toBe(1);
    expect(await failed.textContent()).toContain("JD-2001");
    expect(await failed.textContent()).toContain("第一次审批是您做的，第二次审批须由另一个人完成");
    await expectNoAxeViolations(page);
    await shot(page, "queue-batch-results-zh");
    expect((await api("GET", `/cases/${jd[1]?.id}`)).status).toBe("approved");
    expect((await api("GET", `/cases/${jd[0]?.id}`)).status).toBe("requested");
  });

  it("claims every case a filter matches, beyond the page shown, after confirming the count", async () => {
    const { page } = await openQueue("zhao.reviewer", "/queue?shop=bulk-1&size=20");
    await expect.poll(() => rows(page).count()).toBe(20);
    await page.locator("thead .ant-table-selection-column input[type=checkbox]").check();
    await page.getByRole("button", { name: `选择全部 ${bulk.length} 个符合条件的售后单` }).click();
    const bar = page.getByRole("region", { name: `已选 ${bulk.length} 单` });
    await expect.poll(() => bar.textContent()).toContain(`已选择全部 ${bulk.length} 个符合条件的售后单`);
    await bar.getByRole("button", { name: "认领" }).click();
    const confirm = page.getByRole("dialog", { name: "批量认领", exact: true });
    await expect.poll(() => confirm.textContent()).toContain(`当前筛选条件下的全部 ${bulk.length} 个售后单`);
    await expectNoAxeViolations(page);
    await shot(page, "queue-batch-confirm-zh");
    await confirm.getByRole("button", { name: /^认\s?领$/ }).click();
    const results = page.getByRole("dialog", { name: "批量认领结果" });
    await expect.poll(() => results.textContent()).toContain(`成功 ${bulk.length} 单，失败 0 单`);
    const owned = await api("GET", "/queue?shop=bulk-1&limit=200");
    expect(
      owned.items.every((c: { owner: { login: string } | null }) => c.owner?.login === "zhao.reviewer"),
    ).toBe(true);
  });

  it("lists the shortcuts with ?", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1");
    await rows(page).first().waitFor();
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "键盘快捷键" });
    await expect.poll(() => help.textContent()).toContain("认领（分配给我）");
    await expectNoAxeViolations(page);
    await shot(page, "queue-shortcuts-zh");
    // Typing in the search box is typing, not shortcuts: key by key, then searched for (nothing matches).
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });
    const first = (await rowIds(page))[0] as number;
    const search = page.getByRole("searchbox", { name: "搜索售后单" });
    await search.pressSequentially("jj?");
    await search.press("Enter");
    await page.waitForURL(/q=jj%3F/);
    await page.getByText("没有符合条件的售后单").waitFor();
    expect(await search.inputValue()).toBe("jj?");
    expect(await help.isVisible()).toBe(false);
    // Cleared, the list is back with the same case highlighted: the j keys moved nothing.
    await search.fill("");
    await search.press("Enter");
    await expect.poll(() => row(page, first).getAttribute("aria-current")).toBe("true");
  });

  it("hides and shows columns, and remembers the choice after a reload", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1");
    await rows(page).first().waitFor();
    const header = page.locator("thead");
    expect(await header.textContent()).toContain("原因");
    expect(await header.textContent()).not.toContain("来源");
    await page.getByRole("button", { name: "列设置" }).click();
    const choices = page.locator(".ant-popover:visible");
    await choices.getByRole("checkbox", { name: "原因" }).uncheck();
    await choices.getByRole("checkbox", { name: "来源" }).check();
    await expect.poll(() => header.textContent()).not.toContain("原因");
    expect(await header.textContent()).toContain("来源");
    expect(await rows(page).first().textContent()).toContain("接口");
    await expectNoAxeViolations(page);
    await shot(page, "queue-columns-zh");
    await page.reload();
    await rows(page).first().waitFor();
    expect(await header.textContent()).toContain("来源");
    expect(await header.textContent()).not.toContain("原因");
  });

  it("switches between Chinese and English on this screen", async () => {
    const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1");
    await rows(page).first().waitFor();
    await page.getByRole("radiogroup", { name: "语言" }).getByText("English").click();
    await expect.poll(() => page.locator("#queue-title").textContent()).toBe("Review workspace");
    await expect.poll(() => page.locator("thead").textContent()).toContain("SLA due");
    expect(await page.locator("tbody").textContent()).toContain("Awaiting review");
    expect(await page.getByRole("navigation", { name: "Views" }).textContent()).toContain("Due soon");
    await expectNoAxeViolations(page);
    await shot(page, "queue-en");
    await page.getByRole("radiogroup", { name: "Language" }).getByText("中文").click();
    await expect.poll(() => page.locator("#queue-title").textContent()).toBe("审核工作台");
    expect(await page.locator("thead").textContent()).toContain("处理时限");
  });

  it("offers a customer-service agent no approving or rejecting", async () => {
    const { page } = await openQueue("chen.cs", "/queue?shop=tmall-1&sort=id&order=asc");
    await rows(page).first().waitFor();
    const id = (await rowIds(page))[0] as number;
    await row(page, id).locator(".ant-table-selection-column input[type=checkbox]").check();
    const bar = page.getByRole("region", { name: "已选 1 单" });
    await bar.getByRole("button", { name: "认领" }).waitFor();
    expect(await bar.getByRole("button", { name: "同意" }).count()).toBe(0);
    expect(await bar.getByRole("button", { name: "拒绝" }).count()).toBe(0);
    // Out of the checkbox (keys typed into a control are that control's).
    await page.locator("#queue-title").click();
    await page.keyboard.press("a");
    await expect.poll(() => page.locator(".ant-message").textContent()).toContain("你的角色不能执行此操作");
    await page.keyboard.press("Enter");
    await caseView(page, id).waitFor();
    await actionBar(page).waitFor();
    expect(await actionBar(page).locator("[data-action='approve'], [data-action='reject']").count()).toBe(0);
    await expectNoAxeViolations(page);
  });
});

describe("on a phone", () => {
  for (const language of ["zh-CN", "en"] as const) {
    it(`shows cards, opens a case full screen and approves it with a thumb (${language})`, async () => {
      const mine = await newCase(`P-${language}`, language === "en" ? "Zhao Liu" : "赵六", {
        requested: "12.00",
      });
      const { page } = await openQueue("li.reviewer", "/queue?shop=tmall-1", {
        language,
        width: 390,
        height: 844,
        phone: true,
      });
      const cards = page.locator("li button[data-row]");
      await expect.poll(() => cards.count()).toBeGreaterThan(0);
      expect(await page.locator("table").count()).toBe(0);
      // Nothing wider than the phone: no sideways scrolling of the page.
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      await expectNoAxeViolations(page);
      await shot(page, `queue-phone-${language}`);

      await page.getByRole("button", { name: language === "en" ? "Filters" : "筛选" }).tap();
      await page.locator(".ant-drawer-bottom .ant-drawer-content-wrapper:visible").waitFor();
      await expectNoAxeViolations(page);
      await shot(page, `queue-phone-filters-${language}`);
      await page.keyboard.press("Escape");

      const card = page.locator(`li button[data-row="${mine.id}"]`);
      await card.scrollIntoViewIfNeeded();
      await card.tap();
      await caseView(page, mine.id).waitFor();
      const approve = actionBar(page).locator("[data-action='approve']");
      await approve.waitFor();
      const box = await pane(page).boundingBox();
      expect(box?.width).toBeGreaterThanOrEqual(389);
      // The actions sit at the bottom of the screen, where a thumb reaches, with touch-sized buttons and
      // no keyboard hints; they stay there while the facts scroll by.
      const inReach = async () => {
        const b = await approve.boundingBox();
        return Boolean(b && b.y + b.height <= 844 && b.y >= 844 - 160 && b.height >= 44);
      };
      await expect.poll(inReach).toBe(true);
      expect(await actionBar(page).locator("kbd").count()).toBe(0);
      await page.locator(".ant-drawer-right .ant-drawer-body").evaluate((el) => el.scrollBy(0, 400));
      await expect.poll(inReach).toBe(true);
      await expectNoAxeViolations(page);
      await shot(page, `queue-phone-case-${language}`);

      const mineCard = page.locator(`li button[data-row="${mine.id}"]`);
      const before = await mineCard.textContent();
      await approve.tap();
      const submit = page.getByTestId("action-submit");
      await submit.waitFor();
      await shot(page, `queue-phone-approve-${language}`);
      await submit.tap();
      // Approved (and, a small refund_only, refunded at once); the list says so without a reload.
      await expect.poll(async () => (await api("GET", `/cases/${mine.id}`)).status).not.toBe("requested");
      await expect
        .poll(async () => ((await mineCard.count()) === 0 ? "gone" : await mineCard.textContent()))
        .not.toBe(before);
    });
  }
});
