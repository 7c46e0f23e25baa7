import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PERMISSIONS, ROLE_DESCRIPTIONS, ROLES } from "../../src/api/auth.ts";
import { README, withRoleTable } from "../../src/api/roles-doc.ts";

describe("the README's role table", () => {
  it("is what the permission table renders (regenerate with `npm run docs:roles`)", () => {
    const readme = readFileSync(README, "utf8");
    const rendered = withRoleTable(readme);
    expect(
      readme === rendered,
      "README.md's role table differs from src/api/auth.ts: run `npm run docs:roles` and commit README.md",
    ).toBe(true);
  });

  it("describes every role, and every role's permissions exist", () => {
    for (const [role, perms] of Object.entries(ROLES)) {
      expect(ROLE_DESCRIPTIONS[role], `ROLE_DESCRIPTIONS lacks ${role}`).toBeTruthy();
      for (const p of perms) expect(PERMISSIONS).toContain(p);
    }
  });
});
