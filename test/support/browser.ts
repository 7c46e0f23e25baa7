import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { ROLE_NAMES } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { createUser } from "../../src/flows/users.ts";

/**
 * Browser tests drive Debian's Chromium (apt-get install chromium) with playwright-core against the real
 * server on the test database. Screenshots land in test-artifacts/screenshots for a person to look at.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(import.meta.dirname, "..", "..", "test-artifacts", "screenshots");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The closed network refuses Chromium's own background calls; without these flags it keeps trying.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A fresh browser profile (its own cookies), in a language and at a screen size. */
export async function newContext(
  browser: Browser,
  url: string,
  opts: { language?: "zh-CN" | "en"; width?: number; height?: number; phone?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: url,
    locale: opts.language ?? "zh-CN",
    viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 },
    // A phone as Chromium emulates one: touch events, the mobile viewport, a 3x screen.
    ...(opts.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 3 } : {}),
  });
  if (opts.language)
    await context.addInitScript((lang) => localStorage.setItem("aftersales.language", lang), opts.language);
  // What went wrong in the page, for the report of a test that fails (see whatPagesShow).
  const log: string[] = [];
  troubles.set(context, log);
  context.on("page", (page) => {
    page.on("console", (m) => {
      if (m.type() === "error") log.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => log.push(`page error: ${e.message}`));
    page.on("response", (r) => {
      if (r.status() >= 400) log.push(`${r.request().method()} ${r.url()} -> ${r.status()}`);
    });
  });
  return context;
}

const troubles = new WeakMap<BrowserContext, string[]>();

/**
 * For a failed test's report: each page's address, the dialogs and alerts it shows, and the errors and
 * failed API answers it met — what a person would have seen, since CI keeps only the printed output.
 */
export async function whatPagesShow(context: BrowserContext): Promise<string> {
  const out = [...(troubles.get(context) ?? [])];
  for (const page of context.pages()) {
    out.push(`page ${page.url()}`);
    const shown = await page
      .locator("[role=dialog]:visible, [role=alert]:visible")
      .allInnerTexts()
      .catch((e: Error) => [`(could not read the page: ${e.message})`]);
    for (const text of shown) out.push(`  shows: ${text.replace(/\s+/g, " ").slice(0, 400)}`);
  }
  return out.join("\n");
}

/** Save what the page shows now as test-artifacts/screenshots/<name>.png. */
export async function shot(page: Page, name: string, fullPage = false) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

const AXE = readFileSync(
  join(import.meta.dirname, "..", "..", "node_modules", "axe-core", "axe.min.js"),
  "utf8",
);

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.1 A/AA). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Judge the page at rest: a message fading out mid-transition has no contrast worth checking.
  await page.evaluate(`Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
    .map((a) => a.finished.catch(() => undefined)))`);
  // Evaluated by the browser's debugger, not as a <script>: the console's CSP rightly refuses inline scripts.
  await page.evaluate(AXE);
  // A string, not a function: this code runs in the page, which the Node-side types do not describe.
  const found = (await page.evaluate(`(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })),
    }));
  })()`)) as AxeViolation[];
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** The server as `npm start` builds it (console included), listening on a free loopback port. */
export async function listeningServer(
  opts: Parameters<typeof buildServer>[0],
): Promise<{ app: App; url: string; close(): Promise<void> }> {
  const app = await buildServer(opts);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url, close: () => app.close() };
}

/**
 * Call the server's API as an integration does (a bearer token), to set the scene or check what a
 * screen did; a refusal throws with the problem the server sent.
 */
export async function callApi(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
): Promise<any> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = res.status === 204 ? null : await res.json();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Every test user's password: long enough for the rules, never used outside tests. */
export const TEST_PASSWORD = "browser-test-pw";

/** A person who can sign in, made the way an administrator makes one. */
export async function addUser(
  ctx: FlowContext,
  login: string,
  role: string,
  opts: { name?: string; shops?: string[] | null } = {},
) {
  return createUser(
    ctx,
    { kind: "system", id: "test" },
    { roles: ROLE_NAMES, shops: null },
    { login, name: opts.name ?? login, password: TEST_PASSWORD, role, shops: opts.shops ?? null },
  );
}

/** Sign in through the sign-in page, as a person would, and wait for the console to show. */
export async function signIn(page: Page, login: string, path = "/queue") {
  await page.goto(path);
  await page.locator("#login").fill(login);
  await page.locator("#password").fill(TEST_PASSWORD);
  await page.locator("button[type=submit]").click();
  await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
  await page.getByRole("main").waitFor();
}
