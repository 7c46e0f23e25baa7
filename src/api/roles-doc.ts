import { readFileSync, writeFileSync } from "node:fs";
import { PERMISSION_DESCRIPTIONS, PERMISSIONS, ROLE_DESCRIPTIONS, ROLES, roleMay } from "./auth.ts";

/**
 * The README's role table, rendered from the permission table in auth.ts so the two cannot drift.
 * `npm run docs:roles` rewrites the block between the markers; a test fails when README.md differs.
 */
export const BEGIN =
  "<!-- roles:begin — generated from src/api/auth.ts by `npm run docs:roles`; edit ROLES there -->";
export const END = "<!-- roles:end -->";
export const README = new URL("../../README.md", import.meta.url);

export function renderRoleTable(): string {
  const roles = Object.keys(ROLES);
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    row(["role", "who"]),
    row(["---", "---"]),
    ...roles.map((r) => row([`\`${r}\``, ROLE_DESCRIPTIONS[r] ?? ""])),
    "",
    row(["may …", ...roles.map((r) => `\`${r}\``)]),
    row(["---", ...roles.map(() => ":---:")]),
    ...PERMISSIONS.map((p) =>
      row([`${PERMISSION_DESCRIPTIONS[p]} (\`${p}\`)`, ...roles.map((r) => (roleMay(r, p) ? "✓" : ""))]),
    ),
  ].join("\n");
}

/** README text with the generated block replaced; throws if the markers are missing. */
export function withRoleTable(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${BEGIN} … ${END}`);
  return `${readme.slice(0, start + BEGIN.length)}\n${renderRoleTable()}\n${readme.slice(end)}`;
}

if (import.meta.main) {
  const before = readFileSync(README, "utf8");
  const after = withRoleTable(before);
  if (after !== before) writeFileSync(README, after);
  console.log(after === before ? "README.md role table is up to date" : "README.md role table rewritten");
}
