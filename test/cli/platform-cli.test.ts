import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wechatPayChannel } from "../../src/channels/payments/wechat-pay/adapter.ts";
import { saveCredentials } from "../../src/store/credentials.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { keyring } from "../../src/store/secrets.ts";
import { freshStore, usingPostgres } from "../support/db.ts";
import { TEMPLATE_FILE } from "../support/env.ts";

/**
 * `aftersales simulate taobao` and `aftersales sync` as a merchant runs them: the simulator prints
 * credentials, a shop is given them, and one sync pass pulls the simulator's orders and requests.
 */

const KEY = Buffer.alloc(32, 9).toString("base64");
let dir: string;
let dbEnv: Record<string, string>;
let pgStore: Store | undefined;
let sim: ChildProcess;
let credentials: Record<string, string>;

function aftersales(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["src/cli/main.ts", ...args],
      {
        env: { ...process.env, ...dbEnv, AFTERSALES_DEMO: "0", AFTERSALES_SECRET_KEY: KEY },
        timeout: 180_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aftersales-platform-cli-"));
  sim = spawn(process.execPath, ["src/cli/main.ts", "simulate", "taobao", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  credentials = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /Credentials[^\n]*\n(\{[\s\S]*?\n\})/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]));
      }
    };
    sim.stdout?.on("data", (d) => {
      out += d;
      check();
    });
    sim.stderr?.on("data", (d) => {
      out += d;
    });
  });

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
  try {
    await store.db
      .insertInto("shops")
      .values({ id: "tb-cli", name: "淘宝小店", channel: "taobao" })
      .execute();
    await saveCredentials(store.db, keyring([Buffer.from(KEY, "base64")]), "tb-cli", credentials, new Date());
  } finally {
    // The embedded database takes one process at a time: hand it to the CLI.
    if (!usingPostgres) await store.close();
  }
}, 120_000);

afterAll(async () => {
  sim?.kill("SIGTERM");
  await pgStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("aftersales simulate and sync", () => {
  it("prints credentials that work, and a sync pass counts what it pulled per shop and stream", async () => {
    expect(Object.keys(credentials).sort()).toEqual(["app_key", "app_secret", "gateway", "session"]);
    expect(credentials.gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/router\/rest$/);

    const first = await aftersales("sync", "--shop", "tb-cli");
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^tb-cli orders\s+done\s+windows \d+, pages \d+, items 3 \(new 3, updated 0, unchanged 0\), errors 0, synced to /,
    );
    expect(lines[1]).toMatch(
      /^tb-cli aftersales\s+done\s+windows \d+, pages \d+, items 2 \(new 2, updated 0, unchanged 0\), errors 0, synced to /,
    );

    const again = await aftersales("sync");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/tb-cli orders\s+done\s+windows \d+, pages \d+, items 0/);

    const none = await aftersales("sync", "--shop", "nope");
    expect(none.stdout).toContain('Shop "nope" has no platform credentials');
  });

  it("names the simulators it has", async () => {
    const r = await aftersales("simulate", "nowhere");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Simulators: .*taobao.*tmall.*wechat_pay.*alipay.*kuaidi100/);
  });

  it("runs the WeChat Pay simulator with a configuration its adapter can refund through", async () => {
    const child = spawn(process.execPath, ["src/cli/main.ts", "simulate", "wechat_pay", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      const config = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`simulator did not start:\n${out}`)), 30_000);
        child.stdout?.on("data", (d) => {
          out += d;
          const m = /Configuration[^\n]*\n(\{[\s\S]*?\n\})/.exec(out);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(JSON.parse(m[1]));
          }
        });
      });
      const pay = wechatPayChannel({
        ...(config as unknown as Parameters<typeof wechatPayChannel>[0]),
        timeoutMs: 10_000,
      });
      const res = await pay.refund({
        idempotencyKey: "CLI-SIM-1",
        transactionId: "4200000000000000000000000001",
        orderRef: "CLI-ORDER-1",
        amount: 100,
        total: 1000,
        currency: "CNY",
      });
      expect(["succeeded", "processing"]).toContain(res.status);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
