import { sql } from "kysely";
import type { Tx } from "./orders.ts";

/** People who sign in to the console (人员), migration 018. The password hash never leaves this module's callers' flows. */

const COLUMNS = [
  "id",
  "login",
  "name",
  "password_hash",
  "role",
  "shops",
  "on_duty",
  "language",
  "failed_sign_ins",
  "locked_until",
  "last_sign_in_at",
  "disabled_at",
  "created_at",
  "updated_at",
] as const;

export const findUserById = (db: Tx, id: number) =>
  db.selectFrom("users").select(COLUMNS).where("id", "=", id).executeTakeFirst();

/** Logins are stored lower-case: "Li.Lei" signs in as li.lei. */
export const findUserByLogin = (db: Tx, login: string) =>
  db.selectFrom("users").select(COLUMNS).where("login", "=", login.toLowerCase()).executeTakeFirst();

export const lockUser = (db: Tx, id: number) =>
  db.selectFrom("users").select(COLUMNS).where("id", "=", id).forUpdate().executeTakeFirst();

export type UserRow = NonNullable<Awaited<ReturnType<typeof findUserById>>>;

export interface NewUser {
  login: string;
  name: string;
  passwordHash: string;
  role: string;
  shops: string[] | null;
  at: Date;
}

/** The new user, or undefined when the login is taken. */
export const insertUser = (db: Tx, u: NewUser) =>
  db
    .insertInto("users")
    .values({
      login: u.login.toLowerCase(),
      name: u.name,
      password_hash: u.passwordHash,
      role: u.role,
      shops: u.shops,
      created_at: u.at,
      updated_at: u.at,
    })
    .onConflict((oc) => oc.column("login").doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();

export interface UserChange {
  name?: string;
  role?: string;
  shops?: string[] | null;
  on_duty?: boolean;
  language?: string | null;
  password_hash?: string;
  disabled_at?: Date | null;
  failed_sign_ins?: number;
  locked_until?: Date | null;
}

export const updateUser = (db: Tx, id: number, change: UserChange, at: Date) =>
  db
    .updateTable("users")
    .set({ ...change, updated_at: at })
    .where("id", "=", id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();

export interface UserFilter {
  role?: string | undefined;
  onDuty?: boolean | undefined;
  /** Part of the login or the name. */
  q?: string | undefined;
  /** Only people who see one of these shops (an every-shop user sees them all); null: everyone. */
  seeing: readonly string[] | null;
  offset: number;
  limit: number;
}

/** People by login, a page of them and how many match in all. */
export async function listUsers(db: Tx, f: UserFilter) {
  let q = db.selectFrom("users");
  if (f.role) q = q.where("role", "=", f.role);
  if (f.onDuty !== undefined) q = q.where("on_duty", "=", f.onDuty);
  if (f.q) {
    const like = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb("login", "like", like), eb(sql<string>`lower(name)`, "like", like)]));
  }
  if (f.seeing) {
    const shops = [...f.seeing];
    q = q.where((eb) => eb.or([eb("shops", "is", null), sql<boolean>`shops && ${shops}::text[]`]));
  }
  const [rows, count] = await Promise.all([
    q.select(COLUMNS).orderBy("login").offset(f.offset).limit(f.limit).execute(),
    q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** A successful sign-in: the failures in a row start again from none. */
export const recordSignIn = (db: Tx, id: number, at: Date) =>
  db
    .updateTable("users")
    .set({ failed_sign_ins: 0, locked_until: null, last_sign_in_at: at })
    .where("id", "=", id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();

/**
 * A wrong password, counted in one statement (concurrent guesses each count): the `limit`th failure in
 * a row locks the account until `lockUntil` and starts the count again.
 */
export const recordFailedSignIn = (db: Tx, id: number, limit: number, lockUntil: Date) =>
  db
    .updateTable("users")
    .set({
      failed_sign_ins: sql<number>`case when failed_sign_ins + 1 >= ${limit} then 0 else failed_sign_ins + 1 end`,
      locked_until: sql<Date | null>`case when failed_sign_ins + 1 >= ${limit} then ${lockUntil}::timestamptz else locked_until end`,
    })
    .where("id", "=", id)
    .returning(["failed_sign_ins", "locked_until"])
    .executeTakeFirstOrThrow();

export const anyUser = async (db: Tx) =>
  Boolean(await db.selectFrom("users").select("id").limit(1).executeTakeFirst());
