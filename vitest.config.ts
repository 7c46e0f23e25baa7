import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Two cores: database-backed files share one PGlite template, so run files in a small pool.
    pool: "forks",
    maxWorkers: 2,
    // Budgets against hangs, not speed checks: they hold on a machine three times slower than this one
    // (tests wait on conditions; a benchmark, never a test, measures speed).
    testTimeout: 120_000,
    // expect.poll waits on a condition (a screen showing a change); a busy machine may take a while.
    expect: { poll: { timeout: 60_000, interval: 100 } },
    hookTimeout: 180_000,
    globalSetup: ["test/global-setup.ts"],
  },
});
