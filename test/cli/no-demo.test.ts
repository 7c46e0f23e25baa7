import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.ts";
import type { AlipaySimulator } from "../../src/channels/payments/alipay/simulator.ts";
import type { RefundRequest } from "../../src/channels/payments/channel.ts";
import { sandboxPayChannel } from "../../src/channels/payments/sandbox/adapter.ts";
import { readConfig } from "../../src/cli/config.ts";
import { openRuntime, type Runtime } from "../../src/cli/service.ts";
import { createToken } from "../../src/store/tokens.ts";
import { freshStore, usingPostgres } from "../support/db.ts";
import { sampleOrder } from "../support/fixtures.ts";

/** The runtime's Alipay simulator. */
const alipayOf = (rt: Runtime) =>
  rt.simulators.payments.get("alipay")?.simulator as AlipaySimulator | undefined;

/** The service started without the demo: its own sandbox secret, and orders entered over the API refundable. */
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A fresh installation: a data directory, or on PostgreSQL a fresh database. */
async function installation(): Promise<string[]> {
  if (usingPostgres) {
    const store = await freshStore();
    cleanups.push(() => store.close()); // drops the database
    return ["--database-url", store.url as string];
  }
  const dir = mkdtempSync(join(tmpdir(), "aftersales-nodemo-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return ["--data-dir", dir];
}

const open = (args: string[]) => openRuntime(readConfig([...args, "--no-demo"], {}).config);
const secretOf = async (rt: Runtime) =>
  (await rt.store.db.selectFrom("installation").select("sandbox_secret").executeTakeFirstOrThrow())
    .sandbox_secret;

const refund = (key: string): RefundRequest => ({
  idempotencyKey: key,
  transactionId: null,
  orderRef: `O-${key}`,
  amount: 100,
  total: 1000,
  currency: "CNY",
});

describe("the payment sandbox's secret", () => {
  it("is made per installation on first start, kept across restarts, and the published one is refused", async () => {
    const a = await installation();
    const b = await installation();
    let rt = await open(a);
    const first = await secretOf(rt);
    try {
      expect(first).toMatch(/^[\w-]{40,}$/);
      // The service's own adapter and simulator share it; the old published default is refused.
      expect(await rt.ctx.payments.get("card").refund(refund("S1"))).toMatchObject({ status: "succeeded" });
      const published = sandboxPayChannel({
        url: rt.simulator?.url as string,
        secret: "aftersales-sandbox-secret",
        timeoutMs: 5_000,
      });
      await expect(published.refund(refund("S2"))).rejects.toThrow(/outcome unknown/);
    } finally {
      await rt.close();
    }
    rt = await open(a);
    try {
      expect(await secretOf(rt)).toBe(first);
      expect(await rt.ctx.payments.get("card").refund(refund("S3"))).toMatchObject({ status: "succeeded" });
    } finally {
      await rt.close();
    }
    const other = await open(b);
    try {
      expect(await secretOf(other)).not.toBe(first);
    } finally {
      await other.close();
    }
  }, 180_000);

  it("must be given with an external sandbox (PAY_SANDBOX_URL), which signs with its own", () => {
    expect(() => readConfig([], { PAY_SANDBOX_URL: "http://127.0.0.1:9" })).toThrow(/PAY_SANDBOX_SECRET/);
  });
});

describe("an order entered through the API without the demo", () => {
  it("is refunded through the service's own Alipay simulator (it learns the trade at ingest)", async () => {
    // PAY_SANDBOX_SECRET, when given, is the secret of the service's own sandbox too.
    const env = { PAY_SANDBOX_SECRET: "from-the-environment" };
    const rt = await openRuntime(readConfig([...(await installation()), "--no-demo"], env).config);
    const mine = sandboxPayChannel({ url: rt.simulator?.url as string, secret: "from-the-environment" });
    expect(await mine.refund(refund("E1"))).toMatchObject({ status: "succeeded" });
    const app = await buildServer({ ctx: rt.ctx, dbKind: rt.store.kind });
    try {
      const { token } = await createToken(rt.store.db, { name: "admin", role: "admin" });
      const call = async (method: "GET" | "POST", url: string, payload?: object) => {
        const res = await app.inject({
          method,
          url: `/api/v1${url}`,
          headers: { authorization: `Bearer ${token}` },
          ...(payload ? { payload } : {}),
        });
        return res.json();
      };
      await call("POST", "/shops", { id: "phone", name: "电话订单", channel: "manual" });
      const input = sampleOrder({ shop: "phone" });
      const order = await call("POST", "/orders", input);
      // Entering it again changes nothing and opens no second trade.
      expect((await call("POST", "/orders", input)).id).toBe(order.id);
      expect(
        alipayOf(rt)
          ?.trades()
          .map((t) => t.total),
      ).toEqual([24590]);
      const detail = await call("GET", `/orders/${order.id}`);
      const kase = await call("POST", "/cases", {
        orderId: order.id,
        type: "refund_only",
        reason: "quality",
        source: "chat",
        items: [{ lineId: detail.lines[1].id, quantity: 1 }],
      });
      await call("POST", `/cases/${kase.id}/approve`, {});
      const granted = await call("POST", `/cases/${kase.id}/grant-refund`, {});
      expect(granted, JSON.stringify(granted)).toMatchObject({
        status: "refunded",
        refund: { status: "succeeded" },
      });
      expect(alipayOf(rt)?.refunds()).toHaveLength(1);
    } finally {
      await app.close();
      await rt.close();
    }
  }, 180_000);
});
