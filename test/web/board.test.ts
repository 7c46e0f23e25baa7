// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addUser, type ConsoleTest, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * The live kanban (实时看板) in a real browser against the real server: a column per open stage with the
 * server's counts, a drag that runs the column's action, drops the case may not take refused (by the
 * board, or by the server with its reason), and a change made elsewhere showing up without a reload.
 */

const t = consoleTest({ scene });
const api = t.api;

let n = 0;
/** A case waiting for review, made the way a platform sync or a CS agent would: order, then case. */
async function newCase(
  type: "refund_only" | "return_refund",
  customer: string,
  opts: { reason?: string; amount?: string } = {},
): Promise<number> {
  const order = await api(
    "POST",
    "/orders",
    sampleOrder({ externalId: `BOARD-${++n}`, customer: { id: `cust-${n}`, name: customer } }),
  );
  const lines = (await api("GET", `/orders/${order.id}`)).lines as { id: number }[];
  const c = await api("POST", "/cases", {
    orderId: order.id,
    type,
    reason: opts.reason ?? "quality",
    items: [{ lineId: lines[0]?.id, quantity: 1 }],
    requestedAmount: opts.amount ?? "79.90",
  });
  expect(c.status).toBe("requested");
  customers.set(c.id, customer);
  return c.id as number;
}

/** Rules that give every case a deadline (48 h; a damaged item 2 h), as a merchant's would. */
async function activateSlaRules() {
  const version = await api("POST", "/rules/versions", {
    definition: {
      rules: [
        {
          id: "damaged-fast",
          name: "Damaged: 2 h",
          priority: 10,
          when: { field: "case.reason", op: "eq", value: "damaged" },
          then: [{ action: "set_sla", hours: 2 }],
        },
        { id: "sla", name: "48 h", priority: 0, when: { all: [] }, then: [{ action: "set_sla", hours: 48 }] },
      ],
      solutions: [],
    },
  });
  await api("POST", `/rules/versions/${version.version}/activate`);
}

const column = (page: Page, status: string) => page.locator(`section[data-status="${status}"]`);
const card = (page: Page, id: number) => page.locator(`article[data-case="${id}"]`);
const countOf = async (page: Page, status: string) =>
  Number(await column(page, status).locator("[data-count]").getAttribute("data-count"));

/** Press on a card, carry it over a column and wait until the board says whether it takes it. */
async function dragOver(page: Page, from: Locator, to: Locator) {
  await from.scrollIntoViewIfNeeded();
  await from.hover();
  await page.mouse.down();
  const box = await to.boundingBox();
  if (!box) throw new Error("the target column is not on screen");
  await page.mouse.move(box.x + box.width / 2, box.y + 120, { steps: 8 });
  await expect.poll(() => to.getAttribute("data-drop")).not.toBe("checking");
  // Once the board knows where the case may go, the next movement over the column is answered.
  await page.mouse.move(box.x + box.width / 2, box.y + 140, { steps: 2 });
}

async function openBoard(
  login: string,
  opts: { language?: "zh-CN" | "en"; width?: number; height?: number } = {},
  query = "",
) {
  const { context, page } = await t.open(login, `/board${query}`, opts);
  await page.locator("section[data-status]").first().waitFor();
  return { context, page };
}

const requested: number[] = [];
let approved: number[] = [];
const customers = new Map<number, string>();
const HOUR = 3_600_000;

/** Cases in two columns, two of them past their deadline (the clock runs on real time: SLA deadlines). */
async function scene({ env }: ConsoleTest) {
  await addShop(env.ctx, "tmall-1", "tmall");
  await addUser(env.ctx, "li.reviewer", "reviewer", { name: "李审核" });
  await addUser(env.ctx, "zhao.super", "supervisor", { name: "赵主管" });
  await activateSlaRules();
  // Two came in two days ago and are past their 48 hours: red on the board.
  env.clock.now = new Date(Date.now() - 50 * HOUR);
  requested.push(await newCase("refund_only", "王小明", { amount: "88.00" }));
  requested.push(await newCase("refund_only", "李娜", { amount: "59.90" }));
  env.clock.now = new Date();
  requested.push(await newCase("refund_only", "张伟", { reason: "damaged", amount: "91.32" }));
  requested.push(await newCase("refund_only", "刘洋", { amount: "66.00" }));
  requested.push(await newCase("refund_only", "陈静", { reason: "damaged", amount: "45.50" }));
  requested.push(await newCase("refund_only", "杨帆", { amount: "79.90" }));
  requested.push(await newCase("return_refund", "周杰", { amount: "91.00" }));
  // Two already approved, so a second column has cards.
  approved = requested.splice(0, 2);
  for (const id of approved) await api("POST", `/cases/${id}/approve`, {});
}

describe("the live board", () => {
  it("shows a column per open stage with the server's counts, and each case as a card", async () => {
    const { page } = await openBoard("li.reviewer");
    const answer = await api("GET", "/board");
    for (const c of answer.columns as { status: string; count: number }[])
      await expect.poll(() => countOf(page, c.status), { message: c.status }).toBe(c.count);
    expect(await countOf(page, "requested")).toBe(requested.length);
    expect(await countOf(page, "approved")).toBe(approved.length);
    const first = card(page, requested[0] as number);
    const name = customers.get(requested[0] as number) as string;
    await expect.poll(() => first.textContent()).toContain(name);
    // The amount as a decimal with its currency, and whose case it is.
    expect(await first.textContent()).toMatch(/¥\d+\.\d\d/);
    expect(await first.textContent()).toMatch(/李审核|赵主管|未分配/);
    // The colour down a card's edge is explained beside the title.
    expect(await page.getByRole("list", { name: "处理时效颜色" }).textContent()).toContain("已超时");
    // The two that came in 50 hours ago are past their 48 hours.
    await expect.poll(() => card(page, approved[0] as number).textContent()).toMatch(/超时 \d+ 小时/);
    await expectNoAxeViolations(page);
    await shot(page, "board-zh");
    // Clicking a card opens its case.
    await first.getByText(name).click();
    await page.waitForURL(new RegExp(`/cases/${requested[0]}$`));
  });

  it("approves a case dragged from 待审核 to 已同意", async () => {
    const { page } = await openBoard("li.reviewer");
    const id = requested.shift() as number;
    const before = await countOf(page, "requested");
    await dragOver(page, card(page, id), column(page, "approved"));
    expect(await column(page, "approved").getAttribute("data-drop")).toBe("allowed");
    // Columns the case cannot reach say so while it is carried.
    expect(await column(page, "awaiting_return").getAttribute("data-drop")).toBe("refused");
    await expectNoAxeViolations(page);
    await shot(page, "board-drag-zh");
    await page.mouse.up();
    await card(page, id).locator("xpath=ancestor::section[@data-status='approved']").waitFor();
    await expect.poll(() => countOf(page, "requested")).toBe(before - 1);
    expect((await api("GET", `/cases/${id}`)).status).toBe("approved");
    approved.push(id);
  });

  it("refuses a drop on a column the case cannot move to, and leaves it where it was", async () => {
    const { page } = await openBoard("li.reviewer");
    const id = requested[0] as number;
    const target = column(page, "awaiting_return");
    await dragOver(page, card(page, id), target);
    expect(await target.getAttribute("data-drop")).toBe("refused");
    expect(await target.textContent()).toContain("不能移到此列");
    await page.mouse.up();
    expect(await column(page, "requested").locator(`article[data-case="${id}"]`).count()).toBe(1);
    expect((await api("GET", `/cases/${id}`)).status).toBe("requested");
  });

  it("says why the server refused a move (a refund above what may be refunded)", async () => {
    // The status filter narrows the board to the two columns in play.
    const { page } = await openBoard("zhao.super", { language: "en" }, "?status=approved,refunding");
    const id = approved[0] as number;
    await dragOver(page, card(page, id), column(page, "refunding"));
    await page.mouse.up();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await dialog.getByRole("textbox").fill("99999");
    await expectNoAxeViolations(page);
    await shot(page, "board-grant-dialog-en");
    await dialog.getByRole("button", { name: "Confirm" }).click();
    const alert = page.getByRole("alert").filter({ hasText: `Case #${id} was not moved` });
    await expect.poll(() => alert.textContent()).toMatch(/above the cap ¥\d+\.\d\d/);
    await expectNoAxeViolations(page);
    await shot(page, "board-refused-en");
    // The card stays in the column it was dragged from, and so does the case.
    expect(await column(page, "approved").locator(`article[data-case="${id}"]`).count()).toBe(1);
    expect((await api("GET", `/cases/${id}`)).status).toBe("approved");
  });

  it("moves a case from its card's menu, without a mouse", async () => {
    const { page } = await openBoard("li.reviewer", { language: "en" });
    const id = requested.shift() as number;
    await card(page, id)
      .getByRole("button", { name: `Move case #${id}` })
      .press("Enter");
    const item = page.getByRole("menuitem", { name: /Approve/ });
    await item.waitFor();
    await item.press("Enter");
    await card(page, id).locator("xpath=ancestor::section[@data-status='approved']").waitFor();
    approved.push(id);
  });

  it("shows a change made elsewhere on a second browser's board without a reload", async () => {
    const a = await openBoard("li.reviewer");
    const b = await openBoard("zhao.super", { language: "en" });
    const id = requested.shift() as number;
    const before = await countOf(b.page, "approved");
    // Through the API, by an integration: both open boards follow.
    await api("POST", `/cases/${id}/approve`, {});
    await card(b.page, id).locator("xpath=ancestor::section[@data-status='approved']").waitFor();
    await expect.poll(() => countOf(b.page, "approved")).toBe(before + 1);
    await card(a.page, id).locator("xpath=ancestor::section[@data-status='approved']").waitFor();
    approved.push(id);
    await shot(b.page, "board-en");
  });

  it("fits a phone: columns scroll sideways and a picker jumps between them", async () => {
    for (const language of ["zh-CN", "en"] as const) {
      const { context, page } = await openBoard("li.reviewer", { language, width: 390, height: 844 });
      await expectNoAxeViolations(page);
      await shot(page, `board-phone-${language === "en" ? "en" : "zh"}`);
      // Nothing but the columns' own row scrolls sideways, and only the columns scroll down.
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      expect(await page.evaluate("document.documentElement.scrollHeight")).toBeLessThanOrEqual(844);
      await page
        .locator(".ant-select")
        .filter({
          has: page.getByRole("combobox", { name: language === "en" ? "Jump to column" : "跳到列" }),
        })
        .click();
      // The list a finger taps (Ant Design also keeps a hidden copy of the options for screen readers).
      await page
        .locator(".ant-select-item-option")
        .filter({ hasText: language === "en" ? "Approved" : "已同意" })
        .click();
      await expect
        .poll(() => column(page, "approved").evaluate((el) => el.getBoundingClientRect().left))
        .toBeLessThan(60);
      await context.close();
    }
  });
});
