import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import type { ReconciliationCategory, ReconciliationItem } from "../../src/domain/reconcile/match.ts";
import { saveRun } from "../../src/store/reconciliations.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";

/**
 * Finance marks reconciliation problems resolved with a note, or reopens them: over HTTP, with the
 * refusals (no note, a matched item, twice at once), the audit entries, the open/resolved counts and
 * filters, and what reconciling the day again does to a resolution.
 */

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};
const EN = { "accept-language": "en" };
const ZH = { "accept-language": "zh-CN" };

beforeAll(async () => {
  env = await testEnv();
  for (const role of ["finance", "reviewer"]) {
    tokens[role] = (await createToken(env.ctx.db, { name: `${role}-clerk`, role })).token;
  }
  tokens.finance2 = (await createToken(env.ctx.db, { name: "finance-two", role: "finance" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app?.close();
  await env?.close();
});

async function call(who: string, method: "GET" | "POST", url: string, payload?: object, lang = EN) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}`, ...lang },
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : null };
}

const item = (category: ReconciliationCategory, key: string, line: number): ReconciliationItem => ({
  category,
  key,
  refundId: null,
  ourAmount: category === "missing_on_our_side" ? null : 5000,
  ourStatus: category === "missing_on_our_side" ? null : "succeeded",
  billAmount: category === "missing_on_channel" ? null : category === "amount_mismatch" ? 4000 : 5000,
  billStatus: category === "missing_on_channel" ? null : "succeeded",
  currency: "CNY",
  channelRefundId: null,
  billDate: category === "missing_on_channel" ? null : "2026-11-02",
  billLine: category === "missing_on_channel" ? null : line,
  note: null,
});

/** The day's report with these items (reconciling it again replaces the items, keeps the run's id). */
function reconcileDay(date: string, items: ReconciliationItem[]) {
  const counts = {
    matched: 0,
    missing_on_our_side: 0,
    missing_on_channel: 0,
    amount_mismatch: 0,
    status_mismatch: 0,
    awaiting_next_bill: 0,
  };
  for (const i of items) counts[i.category]++;
  return saveRun(env.ctx.db, {
    channel: "alipay",
    date,
    source: "upload",
    sha1: "0".repeat(40),
    billRows: items.length,
    summary: {
      counts,
      problems: items.length - counts.matched - counts.awaiting_next_bill,
      ignored: 0,
      billRows: items.length,
      billSucceededTotal: 0,
      ourSucceededTotal: 0,
      currency: "CNY",
    },
    items,
    by: "user:finance-clerk",
    at: new Date(),
  });
}

const auditOf = (action: string) =>
  env.ctx.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("id").execute();

describe("resolving reconciliation problems", () => {
  let runId = 0;
  beforeAll(async () => {
    runId = await reconcileDay("2026-11-02", [
      item("matched", "OK-1", 1),
      item("missing_on_our_side", "ONLY-BILL-1", 2),
      item("amount_mismatch", "DIFF-1", 3),
      item("missing_on_channel", "ONLY-OURS-1", 4),
    ]);
  });

  it("refuses a resolve without a note, in the caller's language, and changes nothing", async () => {
    const body = { key: "ONLY-BILL-1", category: "missing_on_our_side", note: "   " };
    const en = await call("finance", "POST", `/reconciliations/${runId}/resolve`, body);
    expect(en.status).toBe(422);
    expect(en.body).toMatchObject({ code: "RESOLUTION_NOTE_REQUIRED" });
    expect(en.body.detail).toMatch(/note is required/);
    const zh = await call("finance", "POST", `/reconciliations/${runId}/resolve`, body, ZH);
    expect(zh.body.code).toBe("RESOLUTION_NOTE_REQUIRED");
    expect(zh.body.detail).toBe("请填写处理说明");
    const r = (await call("finance", "GET", `/reconciliations/${runId}`)).body;
    expect(r).toMatchObject({ problems: 3, openProblems: 3, resolvedProblems: 0 });
    expect(await auditOf("reconciliation.resolve")).toHaveLength(0);
  });

  it("refuses a matched item, an unknown one, and a person without the right to reconcile", async () => {
    const matched = await call("finance", "POST", `/reconciliations/${runId}/resolve`, {
      key: "OK-1",
      category: "matched",
      note: "nothing to do",
    });
    expect(matched).toMatchObject({ status: 409, body: { code: "RECONCILIATION_ITEM_NOT_A_PROBLEM" } });
    const unknown = await call("finance", "POST", `/reconciliations/${runId}/resolve`, {
      key: "ONLY-BILL-1",
      category: "amount_mismatch",
      note: "x",
    });
    expect(unknown).toMatchObject({ status: 404, body: { code: "RECONCILIATION_ITEM_NOT_FOUND" } });
    const reviewer = await call("reviewer", "POST", `/reconciliations/${runId}/resolve`, {
      key: "ONLY-BILL-1",
      category: "missing_on_our_side",
      note: "x",
    });
    expect(reviewer.status).toBe(403);
  });

  it("resolves a problem with its note: counted, filtered, shown on the item, audited", async () => {
    const note = "Refunded by hand on the Alipay console, ref 2026110222001";
    const done = await call("finance", "POST", `/reconciliations/${runId}/resolve`, {
      key: "ONLY-BILL-1",
      category: "missing_on_our_side",
      note: `  ${note} `,
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ note, by: "user:finance-clerk" });

    const r = (await call("finance", "GET", `/reconciliations/${runId}`)).body;
    expect(r).toMatchObject({ problems: 3, openProblems: 2, resolvedProblems: 1 });
    const it1 = r.items.find((i: { key: string }) => i.key === "ONLY-BILL-1");
    expect(it1.resolution).toMatchObject({ note, by: "finance-clerk" });
    expect(r.items.find((i: { key: string }) => i.key === "DIFF-1").resolution).toBeNull();

    const open = (await call("finance", "GET", `/reconciliations/${runId}?state=open`)).body;
    expect(open.items.map((i: { key: string }) => i.key)).toEqual(["DIFF-1", "ONLY-OURS-1"]);
    const resolved = (await call("finance", "GET", `/reconciliations/${runId}?state=resolved`)).body;
    expect(resolved.items.map((i: { key: string }) => i.key)).toEqual(["ONLY-BILL-1"]);

    // Paged on the server: a page of one, then the next from its cursor.
    const first = (await call("finance", "GET", `/reconciliations/${runId}?state=open&limit=1`)).body;
    expect(first.items.map((i: { key: string }) => i.key)).toEqual(["DIFF-1"]);
    const next = (
      await call("finance", "GET", `/reconciliations/${runId}?state=open&limit=1&cursor=${first.nextCursor}`)
    ).body;
    expect(next.items.map((i: { key: string }) => i.key)).toEqual(["ONLY-OURS-1"]);
    expect(next.nextCursor).toBeNull();

    const list = (await call("finance", "GET", "/reconciliations")).body;
    expect(list.items.find((x: { id: number }) => x.id === runId)).toMatchObject({
      openProblems: 2,
      resolvedProblems: 1,
    });

    const entries = await auditOf("reconciliation.resolve");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: "user:finance-clerk",
      subject: `${runId}:ONLY-BILL-1:missing_on_our_side`,
      before: null,
    });
    expect(entries[0]?.after).toMatchObject({ note, date: "2026-11-02", channel: "alipay" });
  });

  it("lets exactly one of two clerks resolving at once win; the other gets a clear refusal", async () => {
    const body = (note: string) => ({ key: "DIFF-1", category: "amount_mismatch", note });
    const [a, b] = await Promise.all([
      call("finance", "POST", `/reconciliations/${runId}/resolve`, body("clawed back 10.00, ref A")),
      call("finance2", "POST", `/reconciliations/${runId}/resolve`, body("clawed back 10.00, ref B"), ZH),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body.code).toBe("RECONCILIATION_ITEM_ALREADY_RESOLVED");
    const winner = a.status === 200 ? a : b;
    const r = (await call("finance", "GET", `/reconciliations/${runId}?state=resolved`)).body;
    expect(r.items.find((i: { key: string }) => i.key === "DIFF-1").resolution.note).toBe(winner.body.note);
    expect(r.resolvedProblems).toBe(2);
    const entries = (await auditOf("reconciliation.resolve")).filter((e) => e.subject?.includes("DIFF-1"));
    expect(entries).toHaveLength(1);
  });

  it("keeps a resolution when the day is reconciled again; a problem of another kind is open and shows it", async () => {
    const again = await reconcileDay("2026-11-02", [
      item("matched", "OK-1", 1),
      item("missing_on_our_side", "ONLY-BILL-1", 2),
      item("missing_on_channel", "DIFF-1", 3), // the amount problem has become another
      item("missing_on_channel", "ONLY-OURS-1", 4),
    ]);
    expect(again).toBe(runId);
    const r = (await call("finance", "GET", `/reconciliations/${runId}`)).body;
    expect(r).toMatchObject({ problems: 3, openProblems: 2, resolvedProblems: 1 });
    const kept = r.items.find((i: { key: string }) => i.key === "ONLY-BILL-1");
    expect(kept.resolution.note).toMatch(/Alipay console/);
    const changed = r.items.find((i: { key: string }) => i.key === "DIFF-1");
    expect(changed.resolution).toBeNull();
    expect(changed.earlierResolution).toMatchObject({ category: "amount_mismatch", date: "2026-11-02" });

    // Another day's report with the same refund key shows it was resolved earlier, open until dealt with.
    const later = await reconcileDay("2026-11-03", [item("missing_on_our_side", "ONLY-BILL-1", 1)]);
    const l = (await call("finance", "GET", `/reconciliations/${later}`)).body;
    expect(l).toMatchObject({ openProblems: 1, resolvedProblems: 0 });
    expect(l.items[0].earlierResolution).toMatchObject({ date: "2026-11-02", by: "finance-clerk" });
  });

  it("reopens a resolved problem once, audited with what it said", async () => {
    const body = { key: "ONLY-BILL-1", category: "missing_on_our_side" };
    const first = await call("finance", "POST", `/reconciliations/${runId}/reopen`, body);
    expect(first.status).toBe(204);
    const second = await call("finance", "POST", `/reconciliations/${runId}/reopen`, body, ZH);
    expect(second).toMatchObject({ status: 409, body: { code: "RECONCILIATION_ITEM_NOT_RESOLVED" } });
    expect(second.body.detail).toMatch(/未标记为已处理/);
    const r = (await call("finance", "GET", `/reconciliations/${runId}`)).body;
    expect(r).toMatchObject({ openProblems: 3, resolvedProblems: 0 });
    const entries = await auditOf("reconciliation.reopen");
    expect(entries).toHaveLength(1);
    expect(entries[0]?.before).toMatchObject({ note: expect.stringMatching(/Alipay console/) });
    expect(entries[0]?.after).toBeNull();
  });
});
