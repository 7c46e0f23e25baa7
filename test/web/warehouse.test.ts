import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addUser, consoleTest, expectNoAxeViolations, shot } from "../support/browser.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * The scan station (退货入库) in a real browser against the real server, driven the way a clerk with a
 * keyboard-wedge scanner drives it: after signing in, only the keyboard — the scanner types a code and
 * Enter; Alt+digits mark conditions and grades; Enter confirms; Esc cancels. What the clerk would notice:
 * the case moving on, the units in stock, the unidentified parcel on the list, the cursor always back in
 * the scan field, a sound and a coloured line for every outcome.
 */

const t = consoleTest({
  scene: async ({ env }) => {
    await addShop(env.ctx, "tmall-1", "tmall");
    await addUser(env.ctx, "wang.clerk", "warehouse", { name: "王仓管" });
  },
});
const api = t.api;
const tag = () => randomBytes(3).toString("hex").toUpperCase();

interface Seeded {
  id: number;
  tee: string;
  cap: string;
  parcel: string;
}

/**
 * An approved return of a T-shirt ×2 and a cap ×1 (SKUs of its own), the buyer's parcel recorded by
 * customer service, as it reaches the warehouse.
 */
async function returnCase(opts: { reason?: string; parcel?: boolean } = {}): Promise<Seeded> {
  const t = tag();
  const tee = `TEE-${t}`;
  const cap = `CAP-${t}`;
  const order = await api(
    "POST",
    "/orders",
    sampleOrder({
      lines: [
        { externalId: "L1", sku: tee, title: "T恤 黑 M", quantity: 2, unitPrice: "99.00" },
        { externalId: "L2", sku: cap, title: "棒球帽", quantity: 1, unitPrice: "59.90" },
      ],
    }),
  );
  const lines = (await api("GET", `/orders/${order.id}`)).lines as { id: number; quantity: number }[];
  const c = await api("POST", "/cases", {
    orderId: order.id,
    type: "return_refund",
    reason: opts.reason ?? "changed_mind",
    items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
  });
  await api("POST", `/cases/${c.id}/approve`, {});
  const parcel = `SF${t}${randomBytes(2).toString("hex").toUpperCase()}`;
  if (opts.parcel !== false)
    await api("POST", `/cases/${c.id}/return-shipment`, { carrier: "SF", trackingNo: parcel });
  return { id: c.id as number, tee, cap, parcel };
}

async function openStation(language: "zh-CN" | "en" = "zh-CN") {
  const { page } = await t.open("wang.clerk", "/warehouse", { language });
  await page.locator("#warehouse-title").waitFor();
  await expect.poll(() => focused(page)).toBe("scan");
  return page;
}

const station = (page: Page) => page.getByTestId("scan-station");
const feedback = (page: Page) => page.locator("#station-feedback");
/** The id of the element the cursor is in (a string: the page's DOM is not in the Node-side types). */
const focused = (page: Page) => page.evaluate<string>(`document.activeElement?.id ?? ""`);
const panelKind = (page: Page) => station(page).getAttribute("data-panel");
const unit = (page: Page, sku: string, n: number) => page.locator(`tr[data-unit="${sku}#${n}"]`);

/** What the scanner does: the code's characters, fast, then Enter. */
async function scan(page: Page, code: string) {
  await page.keyboard.type(code);
  await page.keyboard.press("Enter");
}

/** Waits for the station to settle on an outcome with this tone and text. */
async function outcome(page: Page, tone: "ok" | "error" | "info", text: RegExp | string) {
  await expect.poll(() => station(page).getAttribute("data-busy")).toBe("false");
  await expect.poll(() => feedback(page).getAttribute("data-tone")).toBe(tone);
  await expect.poll(() => feedback(page).textContent()).toMatch(text);
}

describe("the scan station", () => {
  it("receives a parcel and grades it with the keyboard alone, and the stock shows the units", async () => {
    const c = await returnCase();
    const page = await openStation();
    await expectNoAxeViolations(page);

    // The parcel's tracking number: its case opens with every unit expected, all intact.
    await scan(page, c.parcel);
    await outcome(page, "ok", `售后单 #${c.id}`);
    expect(await page.getByTestId("receive-panel").getAttribute("data-case")).toBe(String(c.id));
    await expect.poll(() => page.locator("tr[data-unit][data-arrived=true]").count()).toBe(3);
    // A chirp was played, and the cursor is back in the scan field.
    expect(await station(page).getAttribute("data-audio")).not.toBe("none");
    expect(await focused(page)).toBe("scan");

    // The cap arrived damaged: down to it, Alt+3.
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Alt+Digit3");
    await expect.poll(() => unit(page, c.cap, 1).getAttribute("data-condition")).toBe("damaged");
    expect(await unit(page, c.cap, 1).getAttribute("aria-current")).toBe("true");
    await expectNoAxeViolations(page);
    await shot(page, "warehouse-receive-zh");

    await page.keyboard.press("Enter");
    await outcome(page, "ok", new RegExp(`售后单 #${c.id} 已收货 3 件`));
    // QC opens for what arrived: the T-shirts pass, the damaged cap fails, with the deduction QC proposes
    // (the buyer changed their mind, so the damage is theirs: half of what the cap paid).
    await expect.poll(() => panelKind(page)).toBe("qc");
    await expect.poll(() => unit(page, c.cap, 1).getAttribute("data-grade")).toBe("defective");
    await expect.poll(() => unit(page, c.cap, 1).getAttribute("data-finding")).toBe("buyer_damage");
    const capDeduction = page.locator(`tr[data-unit="${c.cap}#1"] [data-testid=deduction]`);
    await expect.poll(() => capDeduction.getAttribute("data-proposed")).toMatch(/^[1-9]\d*\.\d\d$/);
    await expect.poll(() => page.getByTestId("qc-advice").getAttribute("data-kind")).toBe("deduct");

    // The second T-shirt is missing parts: Alt+2 (fail → defective), Alt+6 (parts missing).
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Alt+Digit2");
    await page.keyboard.press("Alt+Digit6");
    await expect.poll(() => unit(page, c.tee, 2).getAttribute("data-finding")).toBe("missing_parts");
    const teeDeduction = page.locator(`tr[data-unit="${c.tee}#2"] [data-testid=deduction]`);
    await expect.poll(() => teeDeduction.getAttribute("data-proposed")).not.toBe("0.00");
    const proposed = [
      await teeDeduction.getAttribute("data-proposed"),
      await capDeduction.getAttribute("data-proposed"),
    ];
    await expect.poll(() => page.getByTestId("qc-advice").textContent()).toMatch(/扣款 ¥\d+\.\d\d 后退款/);
    await expectNoAxeViolations(page);
    await shot(page, "warehouse-qc-zh");

    await page.keyboard.press("Enter");
    await outcome(page, "ok", new RegExp(`售后单 #${c.id} 质检完成`));
    expect(await panelKind(page)).toBe("idle");
    expect(await focused(page)).toBe("scan");
    // The case moved on, with the refund advice QC proposed on screen.
    const after = await api("GET", `/cases/${c.id}`);
    expect(after.status).toBe("inspection_failed");
    const advice = await api("GET", `/cases/${c.id}/refund-recommendation`);
    expect(advice.deductions.map((d: { amount: string }) => d.amount)).toEqual(proposed);
    await expect.poll(() => page.getByTestId("shift-log").textContent()).toContain(`#${c.id}`);

    // The stock screen, its SKU field taking a scan: one T-shirt sellable, one defective.
    await page.goto("/warehouse/inventory");
    await page.locator("#inventory-title").waitFor();
    await expect.poll(() => focused(page)).toBe("inventory-sku");
    await scan(page, c.tee);
    const row = page.locator(`tr[data-row="default/${c.tee}"]`);
    await expect.poll(() => row.locator("[data-bucket=sellable]").textContent()).toBe("1");
    expect(await row.locator("[data-bucket=defective]").textContent()).toBe("1");
    expect(await row.locator("[data-bucket=quarantine]").textContent()).toBe("0");
    // The movements behind it: received into quarantine, then QC moved each unit out.
    const moves = page.getByTestId("movements");
    await expect.poll(() => moves.locator("tbody tr.ant-table-row").count()).toBe(3);
    expect(await moves.textContent()).toContain("待检 +2");
    expect(await moves.textContent()).toContain("可售 +1");
    expect(await moves.textContent()).toContain("残次 +1");
    await expectNoAxeViolations(page);
    await shot(page, "warehouse-inventory-zh");
  });

  it("scans an unknown code into an unidentified parcel (无头件) with what the clerk records", async () => {
    const page = await openStation();
    const code = `YT${tag()}${tag()}`;
    await scan(page, code);
    await outcome(page, "error", `${code} 未匹配任何售后单`);
    expect(await panelKind(page)).toBe("unidentified");
    // The cursor waits in the contents field; the tracking number is filled in from the scan.
    await expect.poll(() => focused(page)).toBe("parcel-contents");
    expect(await page.locator("#parcel-trackingNo").inputValue()).toBe(code);
    await page.keyboard.type("黑色T恤一件，无单据");
    await expectNoAxeViolations(page);
    await shot(page, "warehouse-unidentified-zh");
    await page.keyboard.press("Enter");
    await outcome(page, "ok", /已登记无头件 #\d+/);
    await expect.poll(() => focused(page)).toBe("scan");
    await expect.poll(() => page.getByTestId("open-parcels").textContent()).toContain("黑色T恤一件，无单据");
    const open = await api("GET", "/unidentified-parcels?status=open");
    expect(open.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scanned: code,
          trackingNo: code,
          contents: "黑色T恤一件，无单据",
          receivedBy: "user:wang.clerk",
        }),
      ]),
    );

    // Customer service learns whose it is: the parcel is matched to its case, which receives it.
    const owner = await returnCase({ parcel: false });
    const parcelId = (open.items as { id: number; scanned: string }[]).find((p) => p.scanned === code)?.id;
    const matchField = page.getByRole("searchbox", { name: `无头件 #${parcelId} 认领到售后单` });
    await matchField.focus();
    await page.keyboard.type(`#${owner.id}`);
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await api("GET", `/cases/${owner.id}`)).status).toBe("received");
    await expect.poll(() => page.locator(`[data-parcel="${parcelId}"]`).count()).toBe(0);

    // Esc leaves a parcel unrecorded: nothing is written.
    await scan(page, `ZZ${tag()}${tag()}`);
    await expect.poll(() => focused(page)).toBe("parcel-contents");
    await page.keyboard.press("Escape");
    await outcome(page, "info", "已取消");
    expect((await api("GET", "/unidentified-parcels?status=open")).items).toHaveLength(open.items.length - 1);
  });

  it("takes a partial receipt by return code, then the rest by its barcode (English)", async () => {
    const c = await returnCase({ parcel: false });
    const page = await openStation("en");
    // The case's number as the console shows it is its return code.
    await scan(page, `#${c.id}`);
    await outcome(page, "ok", `Case #${c.id}`);
    // The cap is not in the parcel: down to it, Del.
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Delete");
    await expect.poll(() => unit(page, c.cap, 1).getAttribute("data-arrived")).toBe("false");
    await expect.poll(() => page.getByTestId("receive-summary").textContent()).toBe("2 of 3 units arrived");
    await expectNoAxeViolations(page);
    await shot(page, "warehouse-partial-en");
    await page.keyboard.press("Enter");
    await outcome(page, "ok", `Case #${c.id}: 2 units received, 1 still to come`);
    // QC of what came: both pass; the case waits for the rest.
    await expect.poll(() => panelKind(page)).toBe("qc");
    await expect.poll(() => page.getByTestId("qc-advice").textContent()).toContain("Refund in full");
    await shot(page, "warehouse-qc-en");
    await page.keyboard.press("Enter");
    await outcome(page, "ok", `Case #${c.id}: 2 units inspected`);
    expect((await api("GET", `/cases/${c.id}`)).status).toBe("partially_received");

    // The cap comes later, loose: its barcode finds the case and counts one unit.
    await scan(page, c.cap);
    await outcome(page, "ok", `Case #${c.id}`);
    await expect.poll(() => unit(page, c.cap, 1).getAttribute("data-arrived")).toBe("true");
    // One more of it is more than the case returns.
    await scan(page, c.cap);
    await outcome(page, "error", `Every ${c.cap} is counted`);
    await page.keyboard.press("Enter");
    await outcome(page, "ok", `Case #${c.id}: 1 unit received`);
    await expect.poll(() => panelKind(page)).toBe("qc");
    await page.keyboard.press("Enter");
    await outcome(page, "ok", `Case #${c.id}: QC done`);
    expect((await api("GET", `/cases/${c.id}`)).status).toBe("inspected");
    await expectNoAxeViolations(page);
  });

  it("receives a batch of parcels at once and says which need attention", async () => {
    const a = await returnCase();
    const b = await returnCase();
    const page = await openStation();
    await page.keyboard.press("Alt+KeyB");
    await expect.poll(() => panelKind(page)).toBe("batch");
    const unknown = `JT${tag()}${tag()}`;
    for (const code of [a.parcel, b.parcel, unknown]) await scan(page, code);
    await outcome(page, "info", "共 3 个");
    await page.keyboard.press("Enter");
    await outcome(page, "error", "批量收货：成功 2 个，需处理 1 个");
    await expect.poll(() => page.locator("tr[data-result=received]").count()).toBe(2);
    expect(await page.locator("tr[data-result=unidentified]").textContent()).toContain(unknown);
    await expectNoAxeViolations(page);
    await shot(page, "warehouse-batch-zh");
    for (const c of [a, b]) expect((await api("GET", `/cases/${c.id}`)).status).toBe("received");
    await page.keyboard.press("Escape");
    await expect.poll(() => panelKind(page)).toBe("idle");
  });
});
