import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SandboxPaySimulator,
  startSandboxPaySimulator,
} from "../../src/channels/payments/sandbox/simulator.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { createToken } from "../../src/store/tokens.ts";
import { freshStore, installationId, SIM_SECRET, usingPostgres } from "../support/db.ts";
import { sampleOrder } from "../support/fixtures.ts";
import { eventually, startServiceProcess } from "../support/process.ts";

/**
 * The process is killed (SIGKILL, no cleanup) at the worst moments of a refund; a restarted process
 * must finish the refund exactly once — found at the channel by its key, or sent for the first time.
 */
let sim: SandboxPaySimulator;
let dataDir: string;
let dbEnv: Record<string, string>;
let pgStore: (Store & { url?: string }) | undefined;
let token: string;
let INST: string;

beforeAll(async () => {
  sim = await startSandboxPaySimulator({ port: 0, secret: SIM_SECRET });
  dataDir = mkdtempSync(join(tmpdir(), "aftersales-crash-"));
  let store: Store;
  if (usingPostgres) {
    pgStore = await freshStore();
    store = pgStore;
    dbEnv = { DATABASE_URL: pgStore.url as string };
  } else {
    store = await openStore({ dataDir });
    dbEnv = { DATA_DIR: dataDir };
  }
  await store.db.insertInto("shops").values({ id: "tmall-1", name: "T", channel: "tmall" }).execute();
  token = (await createToken(store.db, { name: "ops", role: "admin" })).token;
  INST = await installationId(store.db);
  if (!usingPostgres) await store.close();
});
afterAll(async () => {
  await sim.close();
  await pgStore?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const env = (crashPoint?: string) => ({
  ...dbEnv,
  AFTERSALES_DEMO: "0",
  PAY_SANDBOX_URL: sim.url,
  PAY_SANDBOX_SECRET: SIM_SECRET,
  AFTERSALES_REFUND_GRACE_MS: "300",
  AFTERSALES_OUTBOX_LEASE_MS: "1000",
  AFTERSALES_CRASH_POINT: crashPoint ?? "",
});

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { id: number } };
}

describe.each(["before_send", "after_send"])("killed %s", (point) => {
  it("a restarted process finishes the refund exactly once", async () => {
    const svc = await startServiceProcess(env(point));
    const order = await call(svc.url, "POST", "/orders", sampleOrder());
    const detail = await call(svc.url, "GET", `/orders/${order.body.id}`);
    const lineId = (detail.body.lines as { id: number }[])[0]?.id;
    const kase = await call(svc.url, "POST", "/cases", {
      orderId: order.body.id,
      type: "refund_only",
      reason: "quality",
      items: [{ lineId, quantity: 1 }],
    });
    expect(kase.status).toBe(201);
    expect((await call(svc.url, "POST", `/cases/${kase.body.id}/approve`, {})).status).toBe(200);
    await expect(call(svc.url, "POST", `/cases/${kase.body.id}/grant-refund`, {})).rejects.toThrow();
    await svc.exited;
    const key = `AS${INST}C${kase.body.id}R1`;
    expect(sim.refunds().filter((r) => r.out_refund_no === key)).toHaveLength(
      point === "before_send" ? 0 : 1,
    );

    const again = await startServiceProcess(env());
    try {
      const done = await eventually(async () => {
        const c = await call(again.url, "GET", `/cases/${kase.body.id}`);
        return c.body.status === "refunded" ? c.body : undefined;
      });
      const refunds = done.refunds as { status: string; idempotencyKey: string; amount: string }[];
      expect(refunds).toHaveLength(1);
      expect(refunds[0]?.status).toBe("succeeded");
      expect(refunds[0]?.idempotencyKey).toBe(key);
      expect(sim.refunds().filter((r) => r.out_refund_no === key)).toHaveLength(1);
      const o = await call(again.url, "GET", `/orders/${order.body.id}`);
      expect(o.body.refundedTotal).toBe(refunds[0]?.amount);
    } finally {
      await again.stop();
    }
  });
});
