import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/db.ts";
import { usingPostgres } from "../support/db.ts";
import { TEMPLATE_FILE } from "../support/env.ts";
import { eventually, type ServiceProcess, startServiceProcess } from "../support/process.ts";

/**
 * The CLI next to a running service on the embedded database: `aftersales start` holds DATA_DIR, and
 * `import`, `reconcile`, `rules` (list, show, import, activate, export, backtest), `alerts scan` and `admin`
 * do their work through its API instead of stopping with
 * DATA_DIR_LOCKED. And the command line's own manners: help, unknown commands, one-line errors.
 */

const SLICE = "test/fixtures/online-retail/slice.csv";
/** English output, whatever the machine's locale: the assertions read it. */
const LANG = { AFTERSALES_LANG: "en" };

function aftersales(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["src/cli/main.ts", ...args],
      { env: { ...process.env, ...LANG, ...env }, timeout: 300_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe("the command line", () => {
  const env = { DATABASE_URL: "", DATA_DIR: join(tmpdir(), "aftersales-never-opened") };

  it("prints the usage for no command, help, --help and -h, and exits 0 without starting anything", async () => {
    // Side by side: each is a process start, seconds on a busy machine.
    const runs = await Promise.all(
      [[], ["help"], ["--help"], ["-h"], ["start", "--help"]].map(async (args) => ({
        args,
        r: await aftersales(env, ...args),
      })),
    );
    for (const { args, r } of runs) {
      expect([args, r.code]).toEqual([args, 0]);
      expect(r.stdout).toMatch(/^Usage: aftersales <command>/);
      expect(r.stdout).not.toMatch(/running/);
    }
    const subs = [
      ["import", /Usage: aftersales import orders/],
      ["reconcile", /Usage: aftersales reconcile/],
      ["rules", /Usage: aftersales rules/],
      ["simulate", /Usage: aftersales simulate/],
    ] as const;
    const helped = await Promise.all(subs.map(([sub]) => aftersales(env, sub, "--help")));
    subs.forEach(([sub, usage], i) => {
      expect([sub, helped[i]?.code]).toEqual([sub, 0]);
      expect(helped[i]?.stdout).toMatch(usage);
    });
  }, 300_000);

  it("says an unknown command is unknown, shows the usage and exits 2; expected errors are one line with the code", async () => {
    const r = await aftersales(env, "frobnicate");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/frobnicate.*\[INVALID_ARGUMENTS\]/);
    expect(r.stderr).toMatch(/Usage: aftersales <command>/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = await aftersales(
      env,
      "reconcile",
      "--channel",
      "wechat_pay",
      "--file",
      "/no/such/bill.csv",
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^aftersales: .*\[BILL_FILE_UNREADABLE\]$/);
    const option = await aftersales(env, "start", "--frobnicate");
    expect(option.stderr).toMatch(/\[INVALID_ARGUMENTS\]/);
    expect(option.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);
});

describe.skipIf(usingPostgres)("the CLI while the service runs on the embedded database", () => {
  let dir: string;
  let dataDir: string;
  let svc: ServiceProcess;
  const env = () => ({ DATA_DIR: dataDir, DATABASE_URL: "", AFTERSALES_DEMO: "0" });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aftersales-cli-service-"));
    dataDir = join(dir, "data");
    // A migrated data directory from the run's template, as a first start would leave it.
    const store = await openStore({
      dataDir,
      loadDataDir: new Blob([readFileSync(TEMPLATE_FILE)]),
      migrate: false,
    });
    // An import a killed process left "running".
    await store.db.insertInto("shops").values({ id: "orphan", name: "orphan", channel: "manual" }).execute();
    await store.db
      .insertInto("imports")
      .values({
        shop_id: "orphan",
        file_sha256: "0".repeat(64),
        file_name: "killed.csv",
        file_size: 100,
        format: "csv",
        mapping: JSON.stringify({ preset: "generic" }),
        status: "running",
        started_at: new Date(),
        updated_at: new Date(),
      })
      .execute();
    await store.close();
    svc = await startServiceProcess({ ...env(), ...LANG });
  }, 300_000);
  afterAll(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The service's own account of something, with the local token it published. */
  const api = async (path: string) => {
    const { token } = JSON.parse(readFileSync(join(dataDir, "service.json"), "utf8")) as { token: string };
    const res = await fetch(`${svc.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return res.json() as Promise<Record<string, unknown>>;
  };

  it("publishes its address and a local token for its owner only, and stops imports a killed process left running", async () => {
    const mode = statSync(join(dataDir, "service.json")).mode & 0o777;
    expect(mode.toString(8)).toBe("600");
    const orphans = (await api("/api/v1/imports?shop=orphan")) as { items: { state: string }[] };
    expect(orphans.items.map((i) => i.state)).toEqual(["stopped"]);
  });

  it("imports orders through the service: same progress, same summary, the orders are there", async () => {
    const file = join(dir, "online_retail.csv");
    writeFileSync(file, readFileSync(SLICE));
    const r = await aftersales(env(), "import", "orders", file, "--shop", "uk", "--batch", "100");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /The service \(process \d+\) holds .*: working through its API at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(r.stderr).not.toMatch(/DATA_DIR_LOCKED/);
    expect(r.stderr).toMatch(/^import: [\d.]+% of bytes, [\d,]+ rows, [\d,]+ rows\/s, ETA \d+:\d\d$/m);
    expect(r.stdout).toMatch(/Imported CSV \(preset online-retail\) in [\d.]+ s\./);
    expect(r.stdout).toMatch(/rows read\s+2,195/);
    expect(r.stdout).toMatch(/rejected rows\s+19/);
    expect(r.stdout).toMatch(/bad_debt_adjustment\s+3/);
    const created = Number(/orders\s+([\d,]+) new/.exec(r.stdout)?.[1]?.replace(",", ""));
    expect(created).toBeGreaterThan(0);
    // The rejected rows, downloaded from the service into the usual file.
    const rejects = readFileSync(`${file}.rejects.csv`, "utf8").trim().split("\n");
    expect(rejects[0]).toBe("row,reason,message,cells");
    expect(rejects).toHaveLength(1 + 19);
    // The service has them: the import is its job, completed, with the orders the summary counted.
    const jobs = (await api("/api/v1/imports?shop=uk")) as {
      items: { state: string; counts: { ordersCreated: number } }[];
    };
    expect(jobs.items).toHaveLength(1);
    expect(jobs.items[0]).toMatchObject({ state: "completed", counts: { ordersCreated: created } });
    const again = await aftersales(env(), "import", "orders", file, "--shop", "uk");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already imported/);
    // A refusal from the service is one line with its code, as a local one.
    const bad = await aftersales(
      env(),
      "import",
      "orders",
      file,
      "--shop",
      "uk-2",
      "--mapping",
      '{"columns":{"order":"Rechnung"}}',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[IMPORT_COLUMN_MISSING\]/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);

  it("reconciles an uploaded bill and backtests a rule set file through the service", async () => {
    const bill = await aftersales(
      env(),
      "reconcile",
      "--channel",
      "wechat_pay",
      "--date",
      "2026-11-22",
      "--file",
      "test/fixtures/bills/wechat-refund-2026-11-22.csv",
    );
    expect(bill.code, bill.stderr).toBe(0);
    expect(bill.stderr).toMatch(/working through its API/);
    expect(bill.stdout).toMatch(/^wechat_pay 2026-11-22 \(uploaded bill\), report \d+: \d+ bill rows/);
    expect(bill.stdout).toMatch(/missing on our side\s+RF-1001-1\s+bill 99\.00/);
    const reports = (await api("/api/v1/reconciliations?channel=wechat_pay")) as {
      items: { date: string }[];
    };
    expect(reports.items.map((i) => i.date)).toContain("2026-11-22");

    const rules = join(dir, "rules.json");
    const exported = await aftersales(env(), "rules", "export", "--default");
    expect(exported.code).toBe(0);
    writeFileSync(rules, exported.stdout);
    const bt = await aftersales(env(), "rules", "backtest", "--file", rules);
    expect(bt.code, bt.stderr).toBe(0);
    expect(bt.stderr).toMatch(/working through its API/);
    expect(bt.stdout).toMatch(/^Backtest of the rule set in .*rules\.json over \d+ cases people decided/);
    // No live rule set on a fresh installation: said in one line, as without the service.
    const live = await aftersales(env(), "rules", "backtest");
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/\[NO_ACTIVE_RULES\]/);
  }, 300_000);

  it("manages rule set versions and scans for quality alerts through the service", async () => {
    const rules = join(dir, "rules-v.json");
    writeFileSync(rules, (await aftersales(env(), "rules", "export", "--default")).stdout);
    const imported = await aftersales(env(), "rules", "import", rules, "--note", "from the CLI");
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toMatch(/working through its API/);
    const n = Number(/draft version (\d+)/.exec(imported.stdout)?.[1]);
    const activated = await aftersales(env(), "rules", "activate", String(n));
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.stdout).toMatch(new RegExp(`Version ${n} is now the live rule set`));
    const listed = await aftersales(env(), "rules", "list");
    expect(listed.stdout).toMatch(new RegExp(`^\\s*${n}\\s+active\\s+\\d+.*from the CLI`, "m"));
    expect(await api("/api/v1/rules")).toMatchObject({ active: n });
    const shown = await aftersales(env(), "rules", "show", "999");
    expect(shown.stderr).toMatch(/\[RULE_VERSION_NOT_FOUND\]/);
    const scan = await aftersales(env(), "alerts", "scan");
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stdout).toMatch(/^SKUs and categories with recent claims: \d+/);
  }, 300_000);

  it("still refuses what it cannot do through the service, and leaves nothing behind when the service stops", async () => {
    const demo = await aftersales(env(), "demo");
    expect(demo.code).toBe(1);
    expect(demo.stderr).toMatch(/\[DATA_DIR_LOCKED\]/);
    await svc.stop();
    await eventually(async () => {
      try {
        statSync(join(dataDir, "service.json"));
        return undefined;
      } catch {
        return true;
      }
    }, 180_000);
  }, 300_000);
});
