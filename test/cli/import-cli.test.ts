import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/db.ts";
import { freshStore, usingPostgres } from "../support/db.ts";
import { TEMPLATE_FILE } from "../support/env.ts";

// Three CLI processes, each opening the database: minutes on a busy machine, seconds on a quiet one.
/**
 * `aftersales import orders` as a merchant runs it: the real CLI in a child process, killed with
 * SIGKILL in the middle of the import and run again, against a PGlite data directory (or PostgreSQL).
 */

const SLICE = "test/fixtures/online-retail/slice.csv";
let dir: string;
let dbEnv: Record<string, string>;
let pgStore: Store | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aftersales-import-cli-"));
  if (usingPostgres) {
    pgStore = await freshStore();
    dbEnv = { DATABASE_URL: (pgStore as Store & { url: string }).url };
  } else {
    const dataDir = join(dir, "data");
    const store = await openStore({
      dataDir,
      loadDataDir: new Blob([readFileSync(TEMPLATE_FILE)]),
      migrate: false,
    });
    await store.close();
    dbEnv = { DATA_DIR: dataDir };
  }
});
afterAll(async () => {
  await pgStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, ...dbEnv, AFTERSALES_DEMO: "0" });

function aftersales(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["src/cli/main.ts", ...args],
      { env: env(), timeout: 120_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe("aftersales import orders", () => {
  it("shows progress, survives being killed, resumes, writes the rejected rows, and does nothing the second time", async () => {
    const file = join(dir, "online_retail.csv");
    writeFileSync(file, readFileSync(SLICE));
    // Killed (SIGKILL, no clean-up) once its first batches are in.
    const child = spawn(
      process.execPath,
      ["src/cli/main.ts", "import", "orders", file, "--shop", "uk", "--batch", "5"],
      {
        env: env(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let err = "";
    const killed = new Promise<void>((resolve) => {
      child.stderr.on("data", (d) => {
        err += d;
        if (/^import: [\d.]+% of bytes/m.test(err) && child.exitCode === null) child.kill("SIGKILL");
      });
      child.on("exit", () => resolve());
    });
    await killed;
    expect(err).toMatch(/^import: [\d.]+% of bytes, [\d,]+ rows, [\d,]+ rows\/s, ETA \d+:\d\d$/m);
    expect(child.signalCode).toBe("SIGKILL");

    const resumed = await aftersales("import", "orders", file, "--shop", "uk", "--batch", "50");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(
      /Imported CSV \(preset online-retail\) in [\d.]+ s, resumed after row [\d,]+\./,
    );
    expect(resumed.stdout).toMatch(/rows read\s+2,195/);
    expect(resumed.stdout).toMatch(/rejected rows\s+19/);
    expect(resumed.stdout).toMatch(/bad_debt_adjustment\s+3/);
    // Every order once: the killed run's orders and the resumed run's add up to the slice's.
    const orders = Number(/orders\s+([\d,]+) new/.exec(resumed.stdout)?.[1]);
    expect(orders).toBe(
      new Set(
        readFileSync(SLICE, "utf8")
          .split("\n")
          .slice(1)
          .map((l) => l.split(",")[0])
          .filter((x) => x && /^\d/.test(x)),
      ).size - (await allRejected()),
    );
    const rejects = `${file}.rejects.csv`;
    expect(existsSync(rejects)).toBe(true);
    const lines = readFileSync(rejects, "utf8").trim().split("\n");
    expect(lines[0]).toBe("row,reason,message,cells");
    expect(lines).toHaveLength(1 + 19);
    expect(lines.some((l) => /,bad_debt_adjustment,.*A563185/.test(l))).toBe(true);

    const again = await aftersales("import", "orders", file, "--shop", "uk");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already imported/);
  }, 180_000);

  it("keeps the import when its rejected rows cannot be written, and says where they are", async () => {
    const r = await aftersales(
      "import",
      "orders",
      SLICE,
      "--shop",
      "uk-2",
      "--rejects",
      join(dir, "missing", "r.csv"),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Could not write the rejected rows/);
    expect(r.stdout).toMatch(/rows read/);
    expect(r.stdout).not.toMatch(/rejected rows with their reasons:/);
  }, 180_000);

  it("says what is wrong with a bad mapping", async () => {
    const r = await aftersales("import", "orders", SLICE, "--mapping", '{"columns":{"order":"Rechnung"}}');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Rechnung.*\[IMPORT_COLUMN_MISSING\]/);
    const bad = await aftersales("import", "orders", SLICE, "--mapping", "{not json");
    expect(bad.stderr).toMatch(/\[IMPORT_MAPPING_INVALID\]/);
  }, 180_000);
});

/** Sale invoices of the slice whose every row is rejected, so they make no order. */
async function allRejected() {
  const rows = readFileSync(SLICE, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","));
  const byInvoice = new Map<string, string[][]>();
  for (const r of rows)
    if (/^\d/.test(r[0] as string))
      byInvoice.set(r[0] as string, [...(byInvoice.get(r[0] as string) ?? []), r]);
  // A row is rejected when its quantity is negative, its price is 0 or has three decimals, or it is a fee code.
  const fee = /^(AMAZONFEE|BANK CHARGES|CRUK)$/;
  return [...byInvoice.values()].filter((rs) =>
    rs.every((r) => {
      const n = r.length;
      const price = r[n - 3] as string;
      return (
        Number(r[n - 5]) < 0 || Number(price) === 0 || /\.\d{3}$/.test(price) || fee.test(r[1] as string)
      );
    }),
  ).length;
}
