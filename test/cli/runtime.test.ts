import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { AlipaySimulator } from "../../src/channels/payments/alipay/simulator.ts";
import { readConfig } from "../../src/cli/config.ts";
import { openRuntime, type Runtime } from "../../src/cli/service.ts";
import { usingPostgres } from "../support/db.ts";
import { adminUrl, templateDbName, withDb } from "../support/env.ts";

/** The runtime's Alipay simulator. */
const alipayOf = (rt: Runtime) =>
  rt.simulators.payments.get("alipay")?.simulator as AlipaySimulator | undefined;

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "aftersales-runtime-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the runtime `aftersales start` opens", () => {
  it("runs the WeChat Pay, Alipay and logistics simulators and refunds those tenders through their adapters", async () => {
    const dir = dataDir();
    const rt = await openRuntime(readConfig(["--data-dir", dir], {}).config);
    try {
      for (const tender of ["alipay", "platform", "wechat_pay"])
        expect(rt.ctx.payments.has(tender)).toBe(true);
      expect(rt.ctx.payments.get("wechat_pay").name).toBe("wechat_pay");
      expect(rt.ctx.payments.get("alipay").name).toBe("alipay");
      expect(rt.ctx.payments.get("card").name).toBe("sandbox");
      expect(rt.ctx.logistics).toBeDefined();
      // Payments, logistics, and the three channels customers are messaged on, each with its page of what was sent.
      const simulators = rt.describeSimulators();
      expect(simulators).toHaveLength(7);
      for (const channel of ["Aliyun SMS", "Email (SMTP)", "WeChat subscribe messages"])
        expect(simulators.find((s) => s.startsWith(`${channel}: `))).toMatch(
          / http:\/\/127\.0\.0\.1:\d+\/_sim\/$/,
        );
      for (const kind of ["sms", "email", "wechat"] as const) expect(rt.ctx.notify?.[kind]).toBeDefined();
      // Alipay refunds only trades it knows: the demo tells it about each alipay payment it makes.
      rt.paymentTaken({
        tender: "alipay",
        orderRef: "T-1",
        transactionId: "2026112322001000000000001",
        amount: 990,
      });
      rt.paymentTaken({ tender: "wechat_pay", orderRef: "T-2", amount: 990 });
      expect(
        alipayOf(rt)
          ?.trades()
          .map((t) => t.out_trade_no),
      ).toEqual(["T-1"]);
    } finally {
      await rt.close();
    }
    expect(existsSync(join(dir, "wechat-pay-simulator.json"))).toBe(true);
    expect(existsSync(join(dir, "alipay-simulator.json"))).toBe(true);
  }, 180_000);

  it("sends every tender to an external sandbox when PAY_SANDBOX_URL is given, as before", async () => {
    const rt = await openRuntime(
      readConfig(["--data-dir", dataDir()], {
        PAY_SANDBOX_URL: "http://127.0.0.1:9",
        PAY_SANDBOX_SECRET: "the-external-sandbox-secret",
      }).config,
    );
    try {
      expect(rt.ctx.payments.has("wechat_pay") || rt.ctx.payments.has("alipay")).toBe(false);
      expect(rt.ctx.payments.get("wechat_pay").name).toBe("sandbox");
      expect(rt.ctx.logistics).toBeUndefined();
      expect(rt.describeSimulators()).toEqual([]);
    } finally {
      await rt.close();
    }
  }, 180_000);
});

describe("AFTERSALES_DB_POOL", () => {
  it("refuses a pool that is not a positive whole number, saying which setting", () => {
    for (const value of ["0", "-2", "1.5", "ten"]) {
      expect(() => readConfig([], { AFTERSALES_DB_POOL: value })).toThrow(
        expect.objectContaining({
          code: "INVALID_ARGUMENTS",
          details: expect.objectContaining({ option: "AFTERSALES_DB_POOL" }),
        }),
      );
    }
    expect(readConfig([], {}).config.dbPool).toBe(10);
  });

  it.runIf(usingPostgres)(
    "holds no more PostgreSQL connections than it is given, however many queries wait",
    async () => {
      const url = process.env.DATABASE_URL as string;
      const name = `pool_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: adminUrl(url) });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDbName(url)}"`);
      const rt = await openRuntime(
        readConfig(["--data-dir", dataDir()], { DATABASE_URL: withDb(url, name), AFTERSALES_DB_POOL: "2" })
          .config,
      );
      try {
        const seen: number[] = [];
        await Promise.all(
          Array.from({ length: 8 }, () =>
            sql`select pg_sleep(0.05), (select count(*) from pg_stat_activity where datname = current_database()
                                       and backend_type = 'client backend')::int as n`
              .execute(rt.store.db)
              .then((r) => seen.push((r.rows[0] as { n: number }).n)),
          ),
        );
        expect(seen).toHaveLength(8);
        expect(Math.max(...seen)).toBe(2);
      } finally {
        await rt.close();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      }
    },
    120_000,
  );
});
