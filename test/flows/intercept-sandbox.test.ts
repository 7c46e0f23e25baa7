import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { logisticsCallbackRoutes } from "../../src/api/routes/logistics-callbacks.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { type LogisticsSandbox, startLogisticsSandbox } from "../../src/channels/logistics/sandbox.ts";
import { requestInterception } from "../../src/flows/intercept-parcel.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { interceptionRound } from "../../src/jobs/interceptions.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";

/** The in-process sandbox `aftersales start` can run: 拦截 → 退回 → 退款 with nobody pressing buttons. */

let env: TestEnv;
let app: App;
let sandbox: LogisticsSandbox;

beforeAll(async () => {
  env = await testEnv();
  sandbox = await startLogisticsSandbox({ decideAfterMs: 0, returnAfterMs: 10 });
  env.ctx.logistics = sandbox.channels;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
  if (!app.hasRoute({ method: "POST", url: "/api/v1/callbacks/logistics/:provider" }))
    await app.register(logisticsCallbackRoutes, { ctx: env.ctx, prefix: "/api/v1" });
  await app.listen({ port: 0, host: "127.0.0.1" });
  sandbox.setCallbackBase(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await sandbox?.close();
  await app?.close();
  await env?.close();
});

it("intercepts, sees the parcel back and refunds, by itself", async () => {
  const trackingNo = `YT${Date.now()}`;
  const { orderId, lines } = await placeOrder(env.ctx, {
    shipments: [{ carrier: "YTO", trackingNo, status: "in_transit", shippedAt: "2026-10-31T10:00:00Z" }],
  });
  const c = await submitCase(env.ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "changed_mind",
    source: "chat",
    items: [{ lineId: lines[0]?.id as number, quantity: 1 }],
  });
  await approveCase(env.ctx, REVIEWER, c.id);
  expect(await requestInterception(env.ctx, c.id)).toMatchObject({ status: "created" });
  await dispatchOnce(env.ctx);
  expect(sandbox.kuaidi100.parcels().find((p) => p.nu === trackingNo)).toMatchObject({ subscribed: true });
  env.clock.advance(6 * 60_000);
  await interceptionRound(env.ctx);
  const deadline = Date.now() + 10_000;
  let status = "";
  while (Date.now() < deadline) {
    await sandbox.kuaidi100.idle();
    status = (
      await env.ctx.db.selectFrom("cases").select("status").where("id", "=", c.id).executeTakeFirstOrThrow()
    ).status;
    if (status === "refunded") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(status).toBe("refunded");
  const i = await env.ctx.db
    .selectFrom("interceptions")
    .select("status")
    .where("case_id", "=", c.id)
    .executeTakeFirstOrThrow();
  expect(i.status).toBe("returned");
  const o = await env.ctx.db
    .selectFrom("orders")
    .select("aftersales_status")
    .where("id", "=", orderId)
    .executeTakeFirstOrThrow();
  expect(o.aftersales_status).toBe("partially_refunded");
});
