import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { ROLE_NAMES } from "../../src/api/auth.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import type { FlowContext, FlowSettings } from "../../src/flows/context.ts";
import { createUser } from "../../src/flows/users.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "./db.ts";

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
    // Asks for less motion, which the console honours: a click never lands on a dialog still zooming
    // in (a busy CI machine lost confirming clicks that way), and axe judges the page at rest.
    reducedMotion: "reduce",
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
  // Judge the page at rest: a message fading out, or a drawer's mask fading in over the page, has no
  // contrast worth checking. Ant Design's motions start a frame after their classes go on, so wait until
  // no element is entering or leaving and no finite animation runs, a couple of frames apart.
  await page.evaluate(`(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (let i = 0; i < 50; i++) {
      await frame();
      const running = document.getAnimations()
        .filter((a) => a.playState === "running" && a.effect?.getComputedTiming().iterations !== Infinity);
      const moving = document.querySelector('[class*="-enter"], [class*="-appear"], [class*="-leave"]');
      if (running.length === 0 && !moving) return;
      await Promise.all(running.map((a) => a.finished.catch(() => undefined)));
    }
  })()`);
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

type Language = "zh-CN" | "en";
type ContextOptions = { language?: Language; width?: number; height?: number; phone?: boolean };

/** One browser-test file's world: a fresh database, the real server, Chromium, and an admin token. */
export interface ConsoleTest {
  readonly env: TestEnv;
  readonly url: string;
  readonly token: string;
  readonly browser: Browser;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** A fresh browser profile, signed in as no one (closed after the test, like every profile opened here). */
  context(opts?: ContextOptions): Promise<BrowserContext>;
  /** A fresh browser profile signed in as `login` at `path`, the live event stream connected. */
  open(login: string, path: string, opts?: ContextOptions): Promise<{ page: Page; context: BrowserContext }>;
}

/**
 * Registers the hooks every browser-test file needs and hands back the world they set up: the database
 * (its clock set to the time the file starts, as sessions and deadlines are read against the browser's
 * clock; it then stands still unless a test moves it, so what a test writes is stamped alike), an admin
 * token for setting the scene through the API, the server, and Chromium. `scene` runs once all of that exists.
 * Every profile a test opens is closed after it; when the test failed, what each page showed is printed.
 */
export function consoleTest(
  opts: {
    settings?: Partial<FlowSettings>;
    scene?: (t: ConsoleTest) => Promise<void>;
    timeoutMs?: number;
  } = {},
): ConsoleTest {
  let env: TestEnv | undefined;
  let server: Awaited<ReturnType<typeof listeningServer>> | undefined;
  let browser: Browser | undefined;
  let token = "";
  const contexts = new Set<BrowserContext>();
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not ready: use it inside a test or the scene`);
    return v;
  };
  const t: ConsoleTest = {
    get env() {
      return ready(env, "the database");
    },
    get url() {
      return ready(server, "the server").url;
    },
    get token() {
      return token;
    },
    get browser() {
      return ready(browser, "the browser");
    },
    api: (method, path, body) => callApi(t.url, token, method, path, body),
    async context(o = {}) {
      const context = await newContext(t.browser, t.url, o);
      contexts.add(context);
      return context;
    },
    async open(login, path, o = {}) {
      const context = await t.context(o);
      const page = await context.newPage();
      await signIn(page, login, path);
      await expect.poll(() => page.locator("[data-live]").getAttribute("data-live")).toBe("live");
      return { page, context };
    },
  };
  beforeAll(async () => {
    env = await testEnv(opts.settings);
    env.clock.now = new Date();
    token = (await createToken(env.ctx.db, { name: "integration", role: "admin" })).token;
    server = await listeningServer({ ctx: env.ctx, dbKind: env.store.kind, changes: env.store.changes });
    browser = await launchBrowser();
    await opts.scene?.(t);
  }, opts.timeoutMs ?? 300_000);
  afterEach(async (test) => {
    if (test.task.result?.state === "fail")
      for (const c of contexts) console.error(`what the browser showed:\n${await whatPagesShow(c)}`);
    for (const c of contexts) await c.close().catch(() => undefined);
    contexts.clear();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await env?.close();
  });
  return t;
}

/** axe-core finds nothing serious or critical on the page as it is now. */
export async function expectNoAxeViolations(page: Page) {
  expect(await axeViolations(page)).toEqual([]);
}

/**
 * Pick an option of an Ant Design select by its label, and wait for its list to close, so the next
 * select's option is never taken from a list on its way out.
 */
export async function chooseOption(page: Page, select: Locator, option: string) {
  await select.click();
  await page
    .locator(".ant-select-dropdown:visible .ant-select-item-option", { hasText: option })
    .first()
    .click();
  await page.locator(".ant-select-dropdown:visible").waitFor({ state: "hidden" });
}
