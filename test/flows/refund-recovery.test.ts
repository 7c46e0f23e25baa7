import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { settleStaleRefunds } from "../../src/flows/settle-refunds.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { findCase } from "../../src/store/cases.ts";
import { findOrder } from "../../src/store/orders.ts";
import { caseRefunds } from "../../src/store/refunds.ts";
import { installationId, type TestEnv, testEnv } from "../support/db.ts";
import { REVIEWER, refundOnlyCase } from "../support/fixtures.ts";

let env: TestEnv;
let INST: string;
beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 10_000 });
  INST = await installationId(env.ctx.db);
});
afterAll(() => env.close());

const approvedCase = () => refundOnlyCase(env.ctx);

const refundStatus = async (id: number) =>
  (await env.ctx.db.selectFrom("refunds").select("status").where("id", "=", id).executeTakeFirstOrThrow())
    .status;

const atChannel = (key: string) => env.sim.refunds().filter((r) => r.out_refund_no === key);

/** Let the outbox run as a worker would, with the clock past every backoff. */
async function drainOutbox(rounds = 6) {
  for (let i = 0; i < rounds; i++) {
    env.clock.advance(30 * 60_000);
    await dispatchOnce(env.ctx);
  }
}

describe("refunds survive channel faults", () => {
  it("a 5xx leaves the refund processing; the outbox queries, finds nothing, sends once", async () => {
    const { id, orderId } = await approvedCase();
    const g = await grantRefund(env.ctx, REVIEWER, id);
    env.sim.faults({ failNext: 1 });
    expect((await issueRefund(env.ctx, g.refundId)).status).toBe("processing");
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(0);
    expect((await findCase(env.ctx.db, id))?.status).toBe("refunding");
    await drainOutbox();
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(1);
    expect(await refundStatus(g.refundId)).toBe("succeeded");
    expect((await findOrder(env.ctx.db, orderId))?.refunded_total).toBe(g.quote.total);
  });

  it("a timeout after the channel took the money is resolved by query, not by a second refund", async () => {
    const { id, orderId } = await approvedCase();
    const g = await grantRefund(env.ctx, REVIEWER, id);
    env.sim.faults({ timeoutNext: 1 });
    expect((await issueRefund(env.ctx, g.refundId)).status).toBe("processing");
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(1);
    await drainOutbox();
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(1);
    expect((await findCase(env.ctx.db, id))?.status).toBe("refunded");
    expect((await findOrder(env.ctx.db, orderId))?.refunded_total).toBe(g.quote.total);
  });

  it("a declined refund fails the case's money leg; a new grant uses a new key and refunds once", async () => {
    const { id, orderId } = await approvedCase();
    const g1 = await grantRefund(env.ctx, REVIEWER, id);
    env.sim.faults({ declineNext: 1 });
    expect((await issueRefund(env.ctx, g1.refundId)).status).toBe("failed");
    expect((await findCase(env.ctx.db, id))?.status).toBe("refund_failed");
    expect((await findOrder(env.ctx.db, orderId))?.refunded_total).toBe(0);
    const g2 = await grantRefund(env.ctx, REVIEWER, id);
    expect(g2.quote.total).toBe(g1.quote.total);
    expect((await issueRefund(env.ctx, g2.refundId)).status).toBe("succeeded");
    expect((await caseRefunds(env.ctx.db, id)).map((r) => [r.idempotency_key, r.status])).toEqual([
      [`AS${INST}C${id}R1`, "failed"],
      [`AS${INST}C${id}R2`, "succeeded"],
    ]);
    expect((await findOrder(env.ctx.db, orderId))?.refunded_total).toBe(g1.quote.total);
    // the outbox message of the failed refund finds it settled and does nothing
    await drainOutbox();
    expect(atChannel(`AS${INST}C${id}R1`).map((r) => r.status)).toEqual(["CLOSED"]);
  });

  it("a channel that answers PROCESSING is polled until it settles", async () => {
    const { id } = await approvedCase();
    const g = await grantRefund(env.ctx, REVIEWER, id);
    env.sim.faults({ processingFor: 300 });
    expect((await issueRefund(env.ctx, g.refundId)).status).toBe("processing");
    env.sim.faults({ processingFor: 0 });
    await new Promise((r) => setTimeout(r, 350));
    await drainOutbox();
    expect(await refundStatus(g.refundId)).toBe("succeeded");
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(1);
  });

  it("a message that keeps failing ends in the dead-letter state, and the refund stays processing for a person", async () => {
    const { id } = await approvedCase();
    const g = await grantRefund(env.ctx, REVIEWER, id);
    env.sim.faults({ failNext: 1000 });
    for (let i = 0; i < 14; i++) {
      env.clock.advance(60 * 60_000);
      await dispatchOnce(env.ctx, { maxAttempts: 3 });
    }
    env.sim.faults({ failNext: 0 });
    const msg = await env.ctx.db
      .selectFrom("outbox")
      .selectAll()
      .where("key", "=", `AS${INST}C${id}R1`)
      .executeTakeFirstOrThrow();
    expect(msg.status).toBe("dead");
    expect(msg.attempts).toBe(3);
    expect(msg.last_error).toMatch(/HTTP 500|500/);
    expect(await refundStatus(g.refundId)).toBe("processing");
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(0);

    // The settler picks up what the outbox gave up on, once the channel is back: one refund, not two.
    env.clock.advance(60 * 60_000);
    const first = await settleStaleRefunds(env.ctx);
    expect(first.succeeded).toBeGreaterThanOrEqual(1);
    expect(await refundStatus(g.refundId)).toBe("succeeded");
    expect((await findCase(env.ctx.db, id))?.status).toBe("refunded");
    env.clock.advance(60 * 60_000);
    await settleStaleRefunds(env.ctx);
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(1);
  });

  it("leaves refunds alone that are younger than the settler's patience", async () => {
    const { id } = await approvedCase();
    const g = await grantRefund(env.ctx, REVIEWER, id);
    const res = await settleStaleRefunds(env.ctx);
    expect(await refundStatus(g.refundId)).toBe("requested");
    expect(atChannel(`AS${INST}C${id}R1`)).toHaveLength(0);
    expect(res.checked).toBe(0);
  });
});
