/**
 * Rules learned from history, on the demo's labelled history (规则建议报告):
 *
 *   npm run bench -- suggest                    20,000 decided cases on PGlite
 *   npm run bench -- suggest --cases 50000 --db postgres
 *
 * Writes the history `aftersales demo --history N` loads (src/cli/history.ts: people decided every
 * case, 4 % of the decisions flipped at random), then asks for suggestions at several agreement
 * targets and prints, on the held-out cases, the live (default) rules against the live rules with every
 * suggestion: automation rate, agreement, false approvals; and how long suggesting took.
 * Results go to bench/results/suggest.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateHistory } from "../src/cli/history.ts";
import { DEFAULT_RULE_SET } from "../src/domain/rules/default-rules.ts";
import { SYSTEM_ACTOR } from "../src/flows/audit.ts";
import { activateRules, createRuleDraft } from "../src/flows/rules.ts";
import { suggestFromHistory } from "../src/flows/suggest-rules.ts";
import { freshBenchStore } from "./postgres.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
if (args[0] === "bench") args.shift();
if (args[0] === "suggest") args.shift();
const { values } = parseArgs({
  args,
  options: { cases: { type: "string" }, db: { type: "string" }, seed: { type: "string" } },
});
const cases = Number(values.cases ?? 20_000);
const db = values.db ?? "pglite";
const seed = Number(values.seed ?? 1);
const TARGETS = [0.995, 0.98, 0.95, 0.9];

const fresh = await freshBenchStore(
  db === "postgres" ? "postgres" : "pglite",
  "aftersales_bench_suggest",
  process.env.BENCH_PG_URL,
);
if (!fresh) throw new Error("PostgreSQL is not reachable (BENCH_PG_URL)");
const { store, ctx } = fresh;
try {
  let t = performance.now();
  await generateHistory(store.db, {
    cases,
    seed,
    progress: (m) => process.stdout.write(`\r  ${m.padEnd(70)}`),
  });
  console.log(
    `\n${db}: ${cases.toLocaleString("en")} decided cases written in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  // The rules a new merchant starts with are the live ones the suggestions add to.
  const draft = await createRuleDraft(ctx, SYSTEM_ACTOR, { definition: DEFAULT_RULE_SET, note: "default" });
  await activateRules(ctx, { kind: "user", id: "bench-checker" }, draft.version);
  const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)} %`);
  const runs = [];
  for (const minAgreement of TARGETS) {
    t = performance.now();
    const r = await suggestFromHistory(ctx, { minAgreement });
    const ms = performance.now() - t;
    runs.push({ minAgreement, ms: Math.round(ms), ...r });
    console.log(
      `\n  target ${pct(minAgreement)} — ${r.suggestions.length} suggestion(s) in ${(ms / 1000).toFixed(1)} s; held out ${r.heldOut.toLocaleString("en")} of ${r.cases.toLocaleString("en")} cases`,
    );
    console.log(
      `    ${"".padEnd(28)}${"automated".padStart(12)}${"agreement".padStart(12)}${"false approvals".padStart(18)}`,
    );
    for (const [label, s] of [
      ["default rules", r.live],
      ["with the suggestions", r.withSuggestions],
    ] as const)
      console.log(
        `    ${label.padEnd(28)}${pct(s.automationRate).padStart(12)}${pct(s.agreementRate).padStart(12)}${String(s.falseApprovals).padStart(18)}`,
      );
    for (const s of r.suggestions)
      console.log(
        `    · ${s.text.zh}\n      held out: ${s.heldOut.agreed}/${s.heldOut.decided} agreed (${pct(s.heldOut.agreementRate)}); fitted: ${s.fitted.agreed}/${s.fitted.decided}`,
      );
  }
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench", "results", "suggest.json"),
    `${JSON.stringify({ at: new Date().toISOString(), db, cases, seed, runs }, null, 2)}\n`,
  );
} finally {
  await store.close();
}
