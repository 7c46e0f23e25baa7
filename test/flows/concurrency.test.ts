import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { findCase } from "../../src/store/cases.ts";
import { caseRefunds } from "../../src/store/refunds.ts";
import { installationId, type TestEnv, testEnv, usingPostgres } from "../support/db.ts";
import { placeOrder, REVIEWER, refundOnlyCase } from "../support/fixtures.ts";

/**
 * Real concurrency: on PostgreSQL the attempts run on separate pooled connections at the same time;
 * on PGlite they interleave on its single session. Either way exactly one may win.
 */
let env: TestEnv;
let INST: string;
beforeAll(async () => {
  env = await testEnv();
  INST = await installationId(env.ctx.db);
});
afterAll(() => env.close());

const CONFLICTS = ["INVALID_TRANSITION", "VERSION_CONFLICT", "QUANTITY_EXCEEDS_RETURNABLE"];

async function race<T>(n: number, attempt: () => Promise<T>) {
  const results = await Promise.allSettled(Array.from({ length: n }, attempt));
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  return { won, codes: lost.map((r) => (r.reason as { code?: string }).code ?? String(r.reason)) };
}

describe(`concurrent reviewers (${usingPostgres ? "PostgreSQL" : "PGlite"})`, () => {
  it("two reviewers approving at once: one succeeds, the other gets a conflict", async () => {
    const { ctx } = env;
    const { id } = await refundOnlyCase(ctx, { line: 0, quantity: 1, approve: false });
    const { won, codes } = await race(2, () => approveCase(ctx, REVIEWER, id));
    expect(won).toHaveLength(1);
    expect(codes).toHaveLength(1);
    expect(CONFLICTS).toContain(codes[0]);
  });

  it("a decision on a case someone changed since it was read is a conflict saying who, even once it may not be taken", async () => {
    const { ctx } = env;
    const alice = { kind: "user", id: "alice" } as const;
    const { id } = await refundOnlyCase(ctx, { line: 0, quantity: 1, approve: false });
    const seen = (await findCase(ctx.db, id))?.version;
    await approveCase(ctx, alice, id);
    const approving = await approveCase(ctx, REVIEWER, id, { expectedVersion: seen }).catch((e) => e);
    expect(approving.code).toBe("VERSION_CONFLICT");
    expect(approving.details).toMatchObject({ changedBy: "user:alice", currentVersion: (seen ?? 0) + 1 });

    const approved = (await findCase(ctx.db, id))?.version;
    await grantRefund(ctx, alice, id);
    const granting = await grantRefund(ctx, REVIEWER, id, { expectedVersion: approved }).catch((e) => e);
    expect(granting.code).toBe("VERSION_CONFLICT");
    expect(granting.details.changes[0]).toMatchObject({ action: "grant_refund", actor: "user:alice" });
  });

  it("eight people refunding the same case at once: exactly one refund reaches the channel", async () => {
    const { ctx } = env;
    const { id } = await refundOnlyCase(ctx, { line: 0, quantity: 2 });
    const before = env.sim.refunds().length;
    const { won, codes } = await race(8, async () => {
      const g = await grantRefund(ctx, REVIEWER, id);
      return issueRefund(ctx, g.refundId);
    });
    expect(won).toHaveLength(1);
    expect(codes.filter((c) => !CONFLICTS.includes(c))).toEqual([]);
    expect(await caseRefunds(ctx.db, id)).toHaveLength(1);
    expect(env.sim.refunds().length - before).toBe(1);
  });

  it("issuing the same granted refund from several places at once sends it once", async () => {
    const { ctx } = env;
    const { id } = await refundOnlyCase(ctx, { line: 1, quantity: 1 });
    const g = await grantRefund(ctx, REVIEWER, id);
    const results = await Promise.all(Array.from({ length: 5 }, () => issueRefund(ctx, g.refundId)));
    expect(results.some((r) => r.status === "succeeded")).toBe(true);
    const atChannel = env.sim.refunds().filter((r) => r.out_refund_no === `AS${INST}C${id}R1`);
    expect(atChannel).toHaveLength(1);
    const [refund] = await caseRefunds(ctx.db, id);
    expect(refund?.status).toBe("succeeded");
  });

  it("two cases claiming the last units at once: only one is opened", async () => {
    const { ctx } = env;
    const { orderId, lines } = await placeOrder(ctx);
    const items = [{ lineId: lines[0]?.id ?? 0, quantity: 2 }];
    const { won, codes } = await race(4, () =>
      submitCase(ctx, REVIEWER, { orderId, type: "refund_only", reason: "quality", source: "chat", items }),
    );
    expect(won).toHaveLength(1);
    expect(codes).toEqual([
      "QUANTITY_EXCEEDS_RETURNABLE",
      "QUANTITY_EXCEEDS_RETURNABLE",
      "QUANTITY_EXCEEDS_RETURNABLE",
    ]);
  });
});
