import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advance, withCase } from "../../src/flows/case-step.ts";
import { findCase } from "../../src/store/cases.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { REVIEWER, refundOnlyCase } from "../support/fixtures.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

describe("a case step's last move, sent with its COMMIT", () => {
  it("commits the step's writes with the move", async () => {
    const { ctx } = env;
    const { id } = await refundOnlyCase(ctx, { line: 0, quantity: 1, approve: false });
    const step = await withCase(ctx, id, async (l) => {
      await sql`update cases set tags = array['seen'] where id = ${id}`.execute(l.tx);
      return advance(ctx, l, REVIEWER, "approve", {}, { commit: true });
    });
    const kase = await findCase(ctx.db, id);
    expect(kase).toMatchObject({ status: "approved", version: step.version, tags: ["seen"] });
  });

  it("from a version that is no longer the case's: a conflict saying who, and nothing of the step stays", async () => {
    const { ctx } = env;
    const { id } = await refundOnlyCase(ctx, { line: 0, quantity: 1, approve: false });
    const before = await findCase(ctx.db, id);
    const failed = await withCase(ctx, id, async (l) => {
      await sql`update cases set tags = array['seen'] where id = ${id}`.execute(l.tx);
      // Someone wrote the case without its order's lock (no flow does): the move finds a newer version.
      l.kase.version -= 1;
      return advance(ctx, l, REVIEWER, "approve", {}, { commit: true });
    }).catch((e) => e);
    expect(failed.code).toBe("VERSION_CONFLICT");
    expect(failed.details).toMatchObject({
      expected: (before?.version ?? 0) - 1,
      currentVersion: before?.version,
    });
    expect(await findCase(ctx.db, id)).toMatchObject({
      status: before?.status,
      version: before?.version,
      tags: before?.tags,
    });
  });
});
