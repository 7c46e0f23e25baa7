// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { announceChanges } from "../../src/flows/announce-changes.ts";
import { fanOut } from "../../src/flows/fan-out.ts";
import { addUser, type ConsoleTest, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * The integrated case view (售后全景) in a real browser against the real server: everything a reviewer
 * decides on (lines, quote, parcel scans, risk, rules, timeline, the reason's highlights), the actions
 * this person may take, a refund granted with an edited deduction, and a case changed by someone else
 * while the form was open — in both languages, on a desktop and on a 390 px phone.
 */

const t = consoleTest({ scene });
const api = t.api;

/** A customer's photo, drawn here: the page loads it like any evidence image, from a data: URL. */
const photo = (colour: string, label: string) =>
  `data:image/svg+xml;base64,${Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240"><rect width="240" height="240" fill="${colour}"/><text x="24" y="130" font-size="28" fill="#fff">${label}</text></svg>`,
  ).toString("base64")}`;

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const MIN = 60_000;
const DAY = 86_400_000;

/** Rules that leave both cases to a person, each with a deadline and, for quality, a recommendation. */
const RULES = {
  currency: "CNY",
  rules: [
    {
      id: "wrong-item-fast",
      name: { zh: "发错货优先处理", en: "Wrong items first" },
      priority: 60,
      when: { field: "case.reason", op: "eq", value: "wrong_item" },
      then: [
        { action: "route", queue: "wrong_item", priority: 80 },
        { action: "set_sla", hours: 3 },
      ],
    },
    {
      id: "quality-review",
      name: { zh: "质量问题人工审核", en: "Quality problems to a person" },
      priority: 50,
      when: { field: "case.reason", op: "eq", value: "quality" },
      then: [
        { action: "route", queue: "quality", priority: 60 },
        { action: "set_sla", hours: 24 },
        { action: "recommend", solution: "return_then_refund" },
      ],
    },
  ],
  solutions: [],
};

let returnCase: number;
let wrongItem: number;

/** The two cases, with the rules that leave them to a person (deadlines and ages on real time). */
async function scene({ env }: ConsoleTest) {
  await addShop(env.ctx, "tmall-1", "tmall");
  await addUser(env.ctx, "li.reviewer", "reviewer", { name: "李审核" });
  await addUser(env.ctx, "wang.cs", "cs_agent", { name: "王客服" });

  const draft = await api("POST", "/rules/versions", { definition: RULES });
  await api("POST", `/rules/versions/${draft.version}/activate`);

  // A return of a T-shirt signed for ten minutes ago, on an order with two earlier cases: risk signals.
  const order = await api(
    "POST",
    "/orders",
    sampleOrder({
      externalId: "CV-RETURN",
      customer: { id: "cust-cv", name: "王小明", phone: "13800138000", email: "xiaoming@example.com" },
      paidAt: ago(4 * DAY),
      shipments: [
        { carrier: "SF", trackingNo: "SF1400000001", status: "in_transit", shippedAt: ago(3 * DAY) },
      ],
    }),
  );
  await api("POST", "/tracking", {
    carrier: "SF",
    trackingNo: "SF1400000001",
    events: [
      { at: ago(3 * DAY), status: "shipped", description: "顺丰已揽收", location: "杭州" },
      { at: ago(2 * DAY), status: "in_transit", description: "到达上海转运中心", location: "上海" },
      { at: ago(10 * MIN), status: "delivered", description: "已签收，本人签收", location: "上海浦东" },
    ],
  });
  const lines = (await api("GET", `/orders/${order.id}`)).lines as { id: number }[];
  for (const line of [lines[1], lines[0]]) {
    const earlier = await api("POST", "/cases", {
      orderId: order.id,
      type: "refund_only",
      reason: "changed_mind",
      source: "chat",
      items: [{ lineId: line?.id, quantity: 1 }],
    });
    await api("POST", `/cases/${earlier.id}/cancel`, { note: "顾客撤回" });
  }
  returnCase = (
    await api("POST", "/cases", {
      orderId: order.id,
      type: "return_refund",
      reason: "quality",
      source: "platform",
      externalId: "TB-RF-2026-0001",
      requestedAmount: "91.32",
      description: "洗了一次就开线了，领口也变形。",
      items: [{ lineId: lines[0]?.id, quantity: 1 }],
      evidence: [
        { kind: "photo", url: photo("#8c5a2b", "开线") },
        { kind: "photo", url: photo("#3d5a80", "领口") },
      ],
    })
  ).id;

  // The wrong colour sent: ordered black, received white.
  const second = await api(
    "POST",
    "/orders",
    sampleOrder({ externalId: "CV-WRONG", customer: { id: "cust-cv2", name: "Emily Chen" } }),
  );
  const secondLines = (await api("GET", `/orders/${second.id}`)).lines as { id: number }[];
  wrongItem = (
    await api("POST", "/cases", {
      orderId: second.id,
      type: "refund_only",
      reason: "wrong_item",
      source: "chat",
      description: "下单黑色，收到的是白色。",
      claim: { receivedSku: "TEE-WHT-M", receivedTitle: "T恤 白 M" },
      items: [{ lineId: secondLines[0]?.id, quantity: 1 }],
      evidence: [{ kind: "photo", url: photo("#d9d9d9", "白色") }],
    })
  ).id;
  // What the jobs do every second: the new cases' customers are told (queued, not yet due).
  await announceChanges(env.ctx);
  await fanOut(env.ctx);
}

const view = (page: Page) => page.getByTestId("case-view");
const status = (page: Page) => page.getByTestId("case-status").textContent();
const dialog = (page: Page) => page.getByRole("dialog");

/** Open a case as a person: sign in, land on its page, wait for its facts and the live connection. */
async function openCase(
  login: string,
  id: number,
  opts: { language?: "zh-CN" | "en"; width?: number; height?: number } = {},
) {
  const { context, page } = await t.open(login, `/cases/${id}`, opts);
  await page.getByTestId("case-timeline").waitFor();
  return { context, page };
}

/** How wide the page's content is: wider than the screen means it scrolls sideways. */
const scrollWidth = (page: Page) => page.evaluate<number>("document.documentElement.scrollWidth");

describe("the integrated case view", () => {
  it("lays out the case for a decision: lines, quote, parcel, risk, rules, history and timeline", async () => {
    const { page } = await openCase("li.reviewer", returnCase);
    const v = view(page);
    expect(await status(page)).toBe("待审核");
    const header = await v.locator("header").textContent();
    for (const text of ["退货退款", "质量问题", "¥91.32", "tmall-1", "平台", "李审核", "TB-RF-2026-0001"])
      expect(header).toContain(text);
    // Due in a day: green, and said in words.
    expect(await v.locator("[data-urgency]").getAttribute("data-urgency")).toBe("ok");
    expect(await v.locator("[data-urgency]").textContent()).toMatch(/剩余 2\d 小时/);

    // Ordered, shipped, returned, refunded per line; the line of this case marked.
    const lines = await page.getByTestId("case-lines").textContent();
    for (const text of ["购买", "已发", "已退回", "已退款", "T恤 黑 M", "本单申请 × 1", "棒球帽"])
      expect(lines).toContain(text);
    // The quote the grant would give, from the server.
    await expect.poll(() => page.getByTestId("quote-total").textContent()).toMatch(/^¥\d+\.\d\d$/);
    // The parcel's scans, newest first.
    const parcels = await page.getByTestId("case-parcels").textContent();
    expect(parcels).toContain("SF1400000001");
    expect(parcels?.indexOf("已签收，本人签收")).toBeLessThan(parcels?.indexOf("顺丰已揽收") ?? 0);
    // Risk signals in words, the rule's decision and its recommendation.
    const risk = await page.getByTestId("case-risk").textContent();
    expect(risk).toContain("签收后立即申请退款");
    expect(risk).toContain("同一订单重复售后");
    const decision = await page.getByTestId("case-decision").textContent();
    expect(decision).toContain("退货后退款");
    expect(decision).toContain("quality-review");
    // History: the earlier cases link to their own views.
    expect(await page.getByTestId("case-customer").locator("a[href^='/cases/']").count()).toBe(2);
    // Quality: the photos first.
    expect(await page.getByTestId("case-highlights").locator("img").count()).toBe(2);
    const timeline = page.getByTestId("case-timeline");
    expect(await timeline.textContent()).toContain("提交申请");
    // What the customer is told, under the step that raised it: each channel, masked, and its state.
    expect(
      await timeline.locator("[data-message]").evaluateAll((els) => els.map((e) => e.textContent)),
    ).toEqual([
      expect.stringMatching(/^已收到申请 · 短信 138\*{4}8000 待发送.*发送$/),
      expect.stringMatching(/^已收到申请 · 邮件 x\*{3}@example\.com 待发送/),
    ]);
    // A reviewer may approve, reject, claim…
    for (const action of ["approve", "reject"])
      expect(await page.locator(`[data-action="${action}"]`).count()).toBe(1);

    await expectNoAxeViolations(page);
    await shot(page, "case-view-return-zh-desktop", true);
  });

  it("reads in English and on a 390 px phone, and shows a wrong item's two specs side by side", async () => {
    for (const [language, width, height, device] of [
      ["en", 1440, 900, "desktop"],
      ["en", 390, 844, "phone"],
      ["zh-CN", 390, 844, "phone"],
    ] as const) {
      const lang = language === "en" ? "en" : "zh";
      const { context, page } = await openCase("li.reviewer", returnCase, { language, width, height });
      if (language === "en") expect(await status(page)).toBe("Awaiting review");
      // Nothing wider than the screen: the page never scrolls sideways.
      expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
      await expectNoAxeViolations(page);
      await shot(page, `case-view-return-${lang}-${device}`, true);

      await page.goto(`/cases/${wrongItem}`);
      await page.getByTestId("case-highlights").waitFor();
      const side = page.locator('[data-highlight="ordered_vs_received"]');
      expect(await side.textContent()).toContain("T恤 黑 M");
      expect(await side.textContent()).toContain("T恤 白 M");
      // Due within 4 hours: amber.
      expect(await view(page).locator("[data-urgency]").getAttribute("data-urgency")).toBe("soon");
      expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
      await expectNoAxeViolations(page);
      await shot(page, `case-view-wrong-item-${lang}-${device}`, true);
      await context.close();
    }
  });

  it("offers a customer-service agent none of the reviewer's actions", async () => {
    const { page } = await openCase("wang.cs", returnCase);
    const actions = page.getByTestId("case-actions");
    await expect.poll(() => actions.locator("[data-action]").count()).toBeGreaterThan(0);
    for (const action of ["approve", "reject", "grant-refund", "override", "compensate", "assign"])
      expect(await actions.locator(`[data-action="${action}"]`).count()).toBe(0);
    expect(await actions.locator('[data-action="cancel"]').count()).toBe(1);
    // The key of an action they may not take opens nothing.
    await page.keyboard.press("a");
    expect(await dialog(page).count()).toBe(0);
    await expectNoAxeViolations(page);
  });

  it("says who changed the case while the form was open, what changed, and reloads it", async () => {
    const { page } = await openCase("li.reviewer", returnCase);
    await page.locator('[data-action="approve"]').click();
    await dialog(page).waitFor();
    // Someone else approves it meanwhile.
    await api("POST", `/cases/${returnCase}/approve`, {});
    await page.getByTestId("action-submit").click();
    const alert = page.locator('[data-code="VERSION_CONFLICT"]');
    await alert.waitFor();
    const text = await alert.textContent();
    expect(text).toContain("此售后单已被他人修改");
    expect(text).toContain("integration");
    expect(text).toContain("待买家退货");
    await expectNoAxeViolations(page);
    await shot(page, "case-view-conflict-zh-desktop");
    await page.getByTestId("conflict-reload").click();
    await expect.poll(() => alert.count()).toBe(0);
    await page.keyboard.press("Escape");
    await expect.poll(() => status(page)).toBe("待买家退货");
  });

  it("approves by keyboard, then grants the refund with an edited deduction, which is what is sent", async () => {
    const { page } = await openCase("li.reviewer", wrongItem, { language: "en" });
    await page.keyboard.press("a");
    await dialog(page).waitFor();
    await page.getByTestId("action-submit").click();
    await expect.poll(() => status(page)).toBe("Approved");

    // The grant comes on offer once the case is approved (the live event brings the new actions).
    await page.locator('[data-action="grant-refund"]').waitFor();
    await page.keyboard.press("g");
    const form = dialog(page);
    await form.getByTestId("quote-total").waitFor();
    const k = await api("GET", `/cases/${wrongItem}`);
    const quote = {
      orderId: k.orderId,
      reason: "wrong_item",
      items: k.items.map((i: { lineId: number; quantity: number }) => ({
        lineId: i.lineId,
        quantity: i.quantity,
      })),
    };
    const before = (await api("POST", "/refund-quotes", quote)).total as string;
    await expect.poll(() => form.getByTestId("quote-total").textContent()).toBe(`¥${before}`);
    await form.getByTestId("add-deduction").click();
    await form.getByTestId("deduction-0").locator("input[inputmode=decimal]").fill("5");
    const after = (
      await api("POST", "/refund-quotes", {
        ...quote,
        deductions: [{ kind: "restocking_fee", amount: "5.00" }],
      })
    ).total as string;
    expect(after).not.toBe(before);
    await expect.poll(() => form.getByTestId("quote-total").textContent()).toBe(`¥${after}`);
    expect(await form.getByTestId("grant-cap").textContent()).toContain("At most");
    await expectNoAxeViolations(page);
    await shot(page, "case-view-grant-en-desktop");
    await page.getByTestId("action-submit").click();
    await expect.poll(() => status(page)).toMatch(/^(Refunding|Refunded)$/);

    const kase = await api("GET", `/cases/${wrongItem}`);
    expect(kase.refunds.map((r: { amount: string }) => r.amount)).toEqual([after]);
    expect(kase.quote.deductions).toEqual([{ kind: "restocking_fee", amount: "5.00", note: null }]);
  });
});
