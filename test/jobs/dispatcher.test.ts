import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { enqueue } from "../../src/store/outbox.ts";
import { installationId, type TestEnv, testEnv } from "../support/db.ts";
import { REVIEWER, refundOnlyCase } from "../support/fixtures.ts";

let env: TestEnv;
let INST: string;
beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 0 });
  INST = await installationId(env.ctx.db);
});
afterAll(() => env.close());

describe("outbox dispatcher", () => {
  it("several workers draining at once handle every message exactly once", async () => {
    const { ctx } = env;
    const keys: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { id } = await refundOnlyCase(ctx);
      await grantRefund(ctx, REVIEWER, id); // not sent inline: only the outbox sends these
      keys.push(`AS${INST}C${id}R1`);
    }
    env.clock.advance(1000);
    const handled = await Promise.all([1, 2, 3].map(() => dispatchOnce(ctx, { batch: 5 })));
    const more = await Promise.all([1, 2, 3].map(() => dispatchOnce(ctx, { batch: 5 })));
    expect([...handled, ...more].reduce((a, b) => a + b, 0)).toBe(12);
    for (const key of keys) expect(env.sim.refunds().filter((r) => r.out_refund_no === key)).toHaveLength(1);
    const statuses = await ctx.db.selectFrom("outbox").select("status").where("key", "in", keys).execute();
    expect(statuses.map((s) => s.status)).toEqual(Array(12).fill("done"));
  });

  it("a message for an unknown topic is retried with backoff, then dead-lettered", async () => {
    const { ctx } = env;
    await enqueue(ctx.db, "no.such.topic", "x1", {}, ctx.now());
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      await dispatchOnce(ctx, { maxAttempts: 3, backoffBaseMs: 1000 });
      const m = await ctx.db
        .selectFrom("outbox")
        .selectAll()
        .where("key", "=", "x1")
        .executeTakeFirstOrThrow();
      seen.push(m.attempts);
      env.clock.advance(10 * 60_000);
    }
    const m = await ctx.db.selectFrom("outbox").selectAll().where("key", "=", "x1").executeTakeFirstOrThrow();
    expect(seen).toEqual([1, 2, 3, 3]);
    expect(m.status).toBe("dead");
    expect(m.last_error).toContain('No handler for topic "no.such.topic"');
  });

  it("does not run a message before its time", async () => {
    const { ctx } = env;
    await enqueue(ctx.db, "no.such.topic", "later", {}, new Date(ctx.now().getTime() + 60_000));
    await dispatchOnce(ctx);
    const m = await ctx.db
      .selectFrom("outbox")
      .selectAll()
      .where("key", "=", "later")
      .executeTakeFirstOrThrow();
    expect(m.attempts).toBe(0);
  });
});
