import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PERMISSIONS, ROLE_DESCRIPTIONS, ROLES, roleMay } from "../../src/api/auth.ts";
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

  it("gives each person at the merchant what their job needs", () => {
    const who = (p: (typeof PERMISSIONS)[number]) => Object.keys(ROLES).filter((r) => roleMay(r, p));
    // The buyer tells customer service the return parcel's number; the warehouse meets it on arrival.
    expect(who("case.ship_return")).toEqual(["admin", "cs_agent"]);
    expect(who("case.receive")).toEqual(["admin", "warehouse"]);
    // QC's refund advice is for whoever grants the refund.
    expect(who("case.grant_refund")).toEqual(["admin", "reviewer", "supervisor", "finance"]);
    // Reconciling payment channels is finance's; a supervisor reads after-sales costs.
    expect(who("reconciliations.read")).toEqual(["admin", "finance"]);
    expect(who("reconciliations.run")).toEqual(["admin", "finance"]);
    expect(who("finance.read")).toEqual(["admin", "supervisor", "finance"]);
  });
});
