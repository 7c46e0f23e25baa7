import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { generateHistory } from "../../src/cli/history.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { snapshot } from "../support/fixtures.ts";

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  // The demo's labelled history: people decided every case, 4 % of them inconsistently.
  await generateHistory(env.ctx.db, { cases: 4000, seed: 5, now: new Date("2026-11-01T00:00:00Z") });
  for (const role of ["supervisor", "reviewer", "cs_agent"])
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
}, 180_000);
afterAll(async () => {
  await app?.close();
  await env?.close();
});

async function call(who: string, url: string, payload: unknown) {
  const res = await app.inject({
    method: "POST",
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    payload: payload as object,
  });
  return { status: res.statusCode, body: res.json() };
}

interface Score {
  decided: number;
  agreed: number;
  agreementRate: number | null;
}
interface Report {
  cases: number;
  heldOut: number;
  live: { automationRate: number; automated: number; falseApprovals: number };
  withSuggestions: { automationRate: number; automated: number; falseApprovals: number };
  suggestions: {
    fingerprint: string;
    rule: { id: string };
    text: { zh: string };
    heldOut: Score;
    examples: string[];
  }[];
}

describe("rules learned from history, over HTTP", () => {
  it("proposes approvals that agree with people on held-out cases, and changes nothing", async () => {
    const before = await snapshot(env.ctx);
    // History where 4 % of decisions are flipped at random cannot reach 99.5 % anywhere: nothing is
    // proposed that would not reach it.
    const strict = await call("reviewer", "/rules/suggestions", {});
    expect(strict.status).toBe(200);
    for (const s of (strict.body as Report).suggestions)
      expect(s.heldOut.agreementRate).toBeGreaterThanOrEqual(0.995);
    // At the agreement this history allows, the people's habits come out as rules.
    const res = await call("reviewer", "/rules/suggestions", { minAgreement: 0.9 });
    expect(res.status).toBe(200);
    const report = res.body as Report;
    expect(report.cases).toBeGreaterThan(3500);
    expect(report.suggestions.length).toBeGreaterThan(0);
    for (const s of report.suggestions) {
      expect(s.heldOut.decided).toBeGreaterThanOrEqual(5);
      expect(s.heldOut.agreementRate).toBeGreaterThanOrEqual(0.9);
      expect(s.text.zh).toMatch(/→ 自动同意$/);
      expect(s.examples.length).toBeGreaterThan(0);
    }
    expect(report.withSuggestions.automationRate).toBeGreaterThan(report.live.automationRate);
    expect(await snapshot(env.ctx)).toEqual(before);
  }, 120_000);

  it("forgets a dismissed suggestion for good; only those who edit rules may dismiss", async () => {
    const report = (await call("reviewer", "/rules/suggestions", { minAgreement: 0.9 })).body as Report;
    const first = report.suggestions[0]?.fingerprint as string;
    expect((await call("reviewer", "/rules/suggestions/dismissed", { fingerprint: first })).status).toBe(403);
    const ok = await call("supervisor", "/rules/suggestions/dismissed", { fingerprint: first });
    expect(ok.status).toBe(200);
    const again = (await call("reviewer", "/rules/suggestions", { minAgreement: 0.9 })).body as Report;
    expect(again.suggestions.map((s) => s.fingerprint)).not.toContain(first);
  }, 120_000);

  it("streams how far it has read history, then the same report, when asked for lines", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/rules/suggestions",
      headers: { authorization: `Bearer ${tokens.reviewer}`, accept: "application/x-ndjson" },
      payload: { minAgreement: 0.9 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("application/x-ndjson");
    const lines = res.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const progress = lines.slice(0, -1).map((l) => l.progress);
    const total = progress[0].total;
    expect(progress[0]).toEqual({ done: 0, total });
    expect(progress.at(-1)).toEqual({ done: total, total });
    // Done only grows: the bar never jumps back.
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
    const plain = (await call("reviewer", "/rules/suggestions", { minAgreement: 0.9 })).body as Report;
    expect(lines.at(-1).result).toEqual(plain);
    expect(plain.cases).toBe(total);
  }, 120_000);

  it("refuses an agreement target outside 0.8–1 with a clear code", async () => {
    const res = await call("reviewer", "/rules/suggestions", { minAgreement: 0.5 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "VALIDATION_ERROR", field: "minAgreement" });
  });
});
