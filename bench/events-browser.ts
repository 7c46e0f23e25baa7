/**
 * The browser phase of bench/events.ts: how long after a change's API call has answered a signed-in
 * console page hears of it on its event stream, and shows it on screen — the case view (/cases/<id>)
 * turning to the new status without a reload. Chromium (playwright-core, as the browser tests drive it)
 * against the service under test; every time is taken with Date.now(), in the page and here alike (one
 * machine, one clock).
 */
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";
import { CASE_STATES, type CaseState } from "../src/domain/lifecycle.ts";
import type { FlowContext } from "../src/flows/context.ts";
import type { Store } from "../src/store/db.ts";
import { addUser, CHROMIUM, launchBrowser, newContext, signIn } from "../test/support/browser.ts";

/** The person whose console watches the changes: a reviewer of every shop. */
export const WATCHER = "bench.reviewer";

/** Before the service opens the database: the watcher's account, made as an administrator makes one. */
export async function addWatcher(store: Store) {
  await addUser({ db: store.db, now: () => new Date() } as FlowContext, WATCHER, "reviewer", {
    name: "基准审核员",
  });
}

/** Why the phase cannot run here, if it cannot. */
export const browserMissing = () =>
  existsSync(CHROMIUM)
    ? undefined
    : `no Chromium at ${CHROMIUM} (apt-get install chromium, or CHROMIUM_PATH)`;

/**
 * Runs in the page once the case view shows the case and the console is live: its own EventSource on
 * GET /api/v1/events (the session cookie signs it in, as the console's does) notes when the case's
 * approval arrives; a MutationObserver notes when the status tag's text changes, and the animation frame
 * after that (the one that paints it). Resolves, with the status shown before, once the stream is open.
 */
const watch = (id: number) => `(() => {
  const b = (globalThis.__bench = {});
  const tag = () => document.querySelector('[data-testid="case-status"]');
  const before = tag()?.textContent ?? null;
  let seen;
  let heard;
  const saw = new Promise((r) => (seen = r));
  const hear = new Promise((r) => (heard = r));
  const observer = new MutationObserver(() => {
    const now = Date.now();
    const text = tag()?.textContent ?? null;
    if (b.dom !== undefined || text === null || text === before) return;
    b.dom = now;
    b.text = text;
    observer.disconnect();
    requestAnimationFrame(() => {
      b.frame = Date.now();
      seen();
    });
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  const source = new EventSource("/api/v1/events");
  source.addEventListener("change", (e) => {
    const now = Date.now();
    const c = JSON.parse(e.data);
    if (c.caseId !== ${id} || c.action !== "approve" || b.event !== undefined) return;
    b.event = now;
    heard();
  });
  b.done = Promise.all([saw, hear]).then(() => {
    source.close();
    return { event: b.event, dom: b.dom, frame: b.frame, text: b.text };
  });
  return new Promise((resolve, reject) => {
    source.onopen = () => resolve(before);
    source.onerror = () => reject(new Error("the page's EventSource could not connect"));
  });
})()`;

const within = <T>(ms: number, p: Promise<T>, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms),
    ),
  ]);

export interface BrowserTimes {
  /** From the answer to the event at the page's EventSource. */
  eventInPage: number[];
  /** From the answer to the status tag's new text in the DOM. */
  inDom: number[];
  /** From the answer to the animation frame that paints it. */
  onScreen: number[];
  /** Every case view ended showing the status the approval answered with. */
  verified: boolean;
  /** What a case view showed that it should not have, if anything. */
  wrong: string[];
}

/**
 * One change at a time: the case view of `id` open and live, `approve(id)` (answering the new status),
 * then the page's own timestamps against the moment the answer arrived here.
 */
export async function browserPhase(
  base: string,
  ids: number[],
  approve: (id: number) => Promise<{ status: string; answeredAt: number }>,
): Promise<BrowserTimes> {
  const times: BrowserTimes = { eventInPage: [], inDom: [], onScreen: [], verified: true, wrong: [] };
  const browser = await launchBrowser();
  try {
    const context = await newContext(browser, base, { language: "zh-CN" });
    const page: Page = await context.newPage();
    await signIn(page, WATCHER, `/cases/${ids[0]}`);
    for (const id of ids) {
      // A fresh page per case: the view shows it, the console's own stream is live, then ours opens.
      await page.goto(`/cases/${id}`);
      await page.getByTestId("case-status").waitFor();
      await page.locator('[data-live="live"]').waitFor();
      const before = (await within(30_000, page.evaluate(watch(id)), `case ${id}: opening`)) as string;
      if (before !== CASE_STATES.requested.zh) times.wrong.push(`case ${id} showed "${before}" before`);
      const { status, answeredAt } = await approve(id);
      const seen = (await within(
        30_000,
        page.evaluate("globalThis.__bench.done"),
        `case ${id}: the approval on screen`,
      )) as { event: number; dom: number; frame: number; text: string };
      times.eventInPage.push(seen.event - answeredAt);
      times.inDom.push(seen.dom - answeredAt);
      times.onScreen.push(seen.frame - answeredAt);
      const expected = CASE_STATES[status as CaseState]?.zh;
      if (seen.text !== expected) times.wrong.push(`case ${id} showed "${seen.text}", not "${expected}"`);
    }
    await context.close();
  } finally {
    await browser.close();
  }
  times.verified = times.wrong.length === 0;
  return times;
}
