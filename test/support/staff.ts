import type { Database } from "../../src/store/db.ts";

/** A console user, inserted directly (no password to sign in with): for ownership and queue tests. */
export async function addUser(
  db: Database,
  u: {
    login: string;
    role: string;
    name?: string;
    shops?: string[] | null;
    onDuty?: boolean;
    disabled?: boolean;
  },
): Promise<{ id: number; login: string; name: string }> {
  const row = await db
    .insertInto("users")
    .values({
      login: u.login,
      name: u.name ?? u.login,
      password_hash: "-",
      role: u.role,
      shops: u.shops ?? null,
      on_duty: u.onDuty ?? true,
      disabled_at: u.disabled ? new Date("2026-01-01T00:00:00Z") : null,
    })
    .returning(["id", "login", "name"])
    .executeTakeFirstOrThrow();
  return { ...row, id: Number(row.id) };
}
