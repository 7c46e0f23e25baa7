// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { sandboxPayChannel } from "../../src/channels/payments/sandbox/adapter.ts";
import {
  type SandboxPaySimulator,
  startSandboxPaySimulator,
} from "../../src/channels/payments/sandbox/simulator.ts";
import type { BacktestReport } from "../../src/domain/rules/backtest.ts";
import { DEFAULT_RULE_SET } from "../../src/domain/rules/default-rules.ts";
import { validateRuleSet } from "../../src/domain/rules/definition.ts";
import { DEFAULT_SETTINGS, type FlowContext } from "../../src/flows/context.ts";
import { approveCase, rejectCase } from "../../src/flows/review-case.ts";
import { setPolicies } from "../../src/flows/settings.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { freshStore, SIM_SECRET, usingPostgres } from "../support/db.ts";
import { TEMPLATE_FILE } from "../support/env.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";

/**
 * `aftersales rules …` as a merchant runs it: the real CLI in a child process against a real
 * database (a PGlite data directory copied from the template, or a fresh PostgreSQL database),
 * with a few cases that people decided, made through the flows beforehand.
 */

let dir: string;
let dbEnv: Record<string, string>;
let pgStore: Store | undefined;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function aftersales(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["src/cli/main.ts", ...args],
      { env: { ...process.env, ...dbEnv, AFTERSALES_DEMO: "0" }, timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
const rules = (...args: string[]) => aftersales("rules", ...args);

async function json<T>(...args: string[]): Promise<T> {
  const r = await rules(...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/**
 * What people decided, before any rule set was live (so every case waited for a person):
 *   A  refund-only before shipping, approved   — the default rules approve: agreed
 *   B  refund-only before shipping, rejected   — the default rules approve: a false approval
 *   C  a no-reason return of a product that excludes it, approved — the rules reject: a false rejection
 *   D  a quality claim without photos, approved — the rules route it to people: manual
 *   E  refund-only before shipping, not decided yet — not part of any backtest
 */
async function decideSomeCases(ctx: FlowContext) {
  const unshipped = async (customer: string) => {
    const { orderId, lines } = await placeOrder(ctx, {
      customer: { id: customer, name: customer },
      shipments: [],
    });
    return submitCase(ctx, REVIEWER, {
      orderId,
      type: "refund_only",
      reason: "changed_mind",
      source: "platform",
      items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
    });
  };
  const a = await unshipped("cust-a");
  await approveCase(ctx, REVIEWER, a.id);
  const b = await unshipped("cust-b");
  await rejectCase(ctx, REVIEWER, b.id, { note: "已发货，请走退货退款" });

  await setPolicies(ctx, "sku", "MUG-CUSTOM", ["customised"]);
  const custom = await placeOrder(ctx, {
    customer: { id: "cust-c", name: "cust-c" },
    lines: [{ externalId: "L1", sku: "MUG-CUSTOM", title: "定制马克杯", quantity: 1, unitPrice: "39.00" }],
    discounts: [],
    shippingFee: "0.00",
    payments: [{ tender: "alipay", amount: "39.00" }],
  });
  const c = await submitCase(ctx, REVIEWER, {
    orderId: custom.orderId,
    type: "return_refund",
    reason: "changed_mind",
    source: "platform",
    items: [{ lineId: custom.lines[0]?.id as number, quantity: 1 }],
  });
  await approveCase(ctx, REVIEWER, c.id);

  const delivered = await placeOrder(ctx, { customer: { id: "cust-d", name: "cust-d" } });
  const d = await submitCase(ctx, REVIEWER, {
    orderId: delivered.orderId,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: delivered.lines[0]?.id as number, quantity: 1 }],
  });
  await approveCase(ctx, REVIEWER, d.id);

  const e = await unshipped("cust-e");
  for (const x of [a, b, c, d, e]) expect(x.review?.applied, "no rule set is live: people decide").toBeNull();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aftersales-rules-cli-"));
  let store: Store;
  if (usingPostgres) {
    pgStore = await freshStore();
    store = pgStore;
    dbEnv = { DATABASE_URL: (pgStore as Store & { url: string }).url };
  } else {
    const dataDir = join(dir, "data");
    store = await openStore({
      dataDir,
      loadDataDir: new Blob([readFileSync(TEMPLATE_FILE)]),
      migrate: false,
    });
    dbEnv = { DATA_DIR: dataDir };
  }
  const sim: SandboxPaySimulator = await startSandboxPaySimulator({ port: 0, secret: SIM_SECRET });
  try {
    const ctx: FlowContext = {
      db: store.db,
      now: () => new Date("2026-11-01T08:00:00Z"),
      payments: createPaymentRegistry(
        {},
        sandboxPayChannel({ name: "sandbox", url: sim.url, secret: SIM_SECRET, timeoutMs: 2_000 }),
      ),
      settings: DEFAULT_SETTINGS,
    };
    await decideSomeCases(ctx);
  } finally {
    await sim.close();
    // The embedded database takes one process at a time: hand it to the CLI.
    if (!usingPostgres) await store.close();
  }
}, 120_000);

afterAll(async () => {
  await pgStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ListedVersion {
  version: number;
  status: string;
  rules: number;
  note: string | null;
}

describe("aftersales rules", () => {
  it("refuses a file that is not a valid rule set, naming every problem, and saves nothing", async () => {
    const invalid = join(dir, "invalid.json");
    writeFileSync(
      invalid,
      JSON.stringify({
        rules: [
          {
            id: "Bad Id",
            name: "Typo",
            priority: 10,
            when: { field: "case.reasn", op: "eq", value: "quality" },
            then: [{ action: "approve" }],
          },
          { id: "no-actions", name: "Nothing to do", priority: 5, when: { all: [] }, then: [] },
        ],
      }),
    );
    const r = await rules("import", invalid);
    expect(r.code).toBe(1);
    // Said in the environment's language (zh-CN by default); the file, the code and each problem in any.
    expect(r.stderr).toContain(invalid);
    expect(r.stderr).toContain("rules[0].id: ");
    expect(r.stderr).toContain(
      'rules[0].when.field: Unknown field "case.reasn"; did you mean "case.reason"?',
    );
    expect(r.stderr).toContain("rules[1].then: A rule needs at least one action");
    expect(r.stderr).toContain("[RULES_INVALID]");
    expect(r.stdout).toBe("");

    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{ "rules": [');
    const b = await rules("import", broken);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(broken);
    expect(b.stderr).toContain("[RULES_FILE_NOT_JSON]");

    expect(await json<ListedVersion[]>("list", "--json")).toEqual([]);
  }, 180_000);

  it("starts from the default rules: export --default, import as a draft, activate", async () => {
    const exported = await rules("export", "--default");
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual(DEFAULT_RULE_SET);
    const file = join(dir, "default.json");
    writeFileSync(file, exported.stdout);

    const imported = await rules("import", file, "--note", "the defaults");
    expect(imported.code, imported.stderr).toBe(0);
    const version = Number(/draft version (\d+)/.exec(imported.stdout)?.[1]);
    expect(version).toBeGreaterThan(0);
    expect(await json<ListedVersion[]>("list", "--json")).toMatchObject([
      { version, status: "draft", rules: DEFAULT_RULE_SET.rules.length, note: "the defaults" },
    ]);

    const activated = await rules("activate", String(version));
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.stdout).toContain(`Version ${version} is now the live rule set`);
    const listed = await rules("list");
    expect(listed.stdout).toMatch(
      new RegExp(`^\\s*${version}\\s+active\\s+${DEFAULT_RULE_SET.rules.length}\\s`, "m"),
    );

    const shown = await rules("show", String(version));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Rule set version ${version} — active`);
    expect(shown.stdout).toContain("unshipped-refund-only");
  }, 180_000);

  it("exports the live rule set as JSON that imports back to an equal definition", async () => {
    const live = await json<unknown>("export");
    expect(live).toEqual(validateRuleSet(DEFAULT_RULE_SET));
    const file = join(dir, "live.json");
    writeFileSync(file, JSON.stringify(live));
    const imported = await rules("import", file);
    expect(imported.code, imported.stderr).toBe(0);
    const again = Number(/draft version (\d+)/.exec(imported.stdout)?.[1]);
    expect(await json<unknown>("export", "--version", String(again))).toEqual(live);
  }, 180_000);

  it("backtests the live rules against the cases people decided", async () => {
    const report = await json<BacktestReport>("backtest", "--json");
    expect(report).toMatchObject({
      cases: 4,
      automated: 3,
      automationRate: 0.75,
      agreed: 1,
      agreementRate: 1 / 3,
      falseApprovals: 1,
      falseRejections: 1,
      manual: 1,
    });
    const rule = (id: string) => report.perRule.find((x) => x.id === id);
    expect(rule("unshipped-refund-only")).toMatchObject({ decided: 2, agreed: 1, falseApprovals: 1 });
    expect(rule("no-reason-return-excluded")).toMatchObject({ hits: 1, decided: 1, falseRejections: 1 });
    expect(rule("default-sla")).toMatchObject({ hits: 4, decided: 0 });
    expect(report.disagreements.map((d) => [d.ruleId, d.rule, d.human]).sort()).toEqual([
      ["no-reason-return-excluded", "reject", "approve"],
      ["unshipped-refund-only", "approve", "reject"],
    ]);

    // The readable report says the same, with the progress on stderr.
    const text = await rules("backtest");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/automated\s+3\s+automation rate 75\.0%/);
    expect(text.stdout).toMatch(/false rejections\s+1/);
    expect(text.stdout).toMatch(/unshipped-refund-only\s+2\s+2\s+1\s+1\s+0/);
    expect(text.stdout).toContain("rule unshipped-refund-only would approve, a person rejected");
    expect(text.stderr).toContain("4/4 cases");

    // A draft file judges the same history; a window with no cases in it has nothing to compare.
    const fromFile = await json<BacktestReport>("backtest", "--file", join(dir, "default.json"), "--json");
    expect({ ...fromFile, ruleSetVersion: report.ruleSetVersion }).toEqual(report);
    expect((await json<BacktestReport>("backtest", "--json", "--from", "2030-01-01")).cases).toBe(0);
    const clash = await rules("backtest", "--version", "1", "--file", "x.json");
    expect(clash.code).toBe(1);
  }, 240_000);

  it("scans for quality alerts", async () => {
    const r = await aftersales("alerts", "scan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("SKUs and categories with recent claims");
  }, 180_000);
});
