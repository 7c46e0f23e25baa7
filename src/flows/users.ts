import { fail } from "../domain/errors.ts";
import { decoyHash, hashPassword, verifyPassword } from "../store/passwords.ts";
import { endUserSessions } from "../store/sessions.ts";
import {
  findUserById,
  findUserByLogin,
  insertUser,
  listUsers,
  lockUser,
  recordFailedSignIn,
  recordSignIn,
  type UserChange,
  type UserRow,
  updateUser,
} from "../store/users.ts";
import { audit } from "./audit.ts";
import type { Actor, FlowContext } from "./context.ts";
import { checkGrantedRole, type GrantScope, grantedShops, requireShops, withinShops } from "./grants.ts";

/**
 * People who sign in to the console: accounts made and changed by whoever holds users.write, within
 * what they could grant themselves (the same rules as API tokens), and signing in with lockout.
 */

/** Failed sign-ins in a row that lock an account, and for how long. */
export const SIGN_IN_ATTEMPTS = 5;
export const LOCK_MS = 15 * 60_000;
export const MIN_PASSWORD_LENGTH = 8;
/** Lower-case letters, digits and . _ @ -, starting with a letter or digit. */
const LOGIN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export const userJson = (u: UserRow, now: Date) => ({
  id: u.id,
  login: u.login,
  name: u.name,
  role: u.role,
  shops: u.shops,
  onDuty: u.on_duty,
  language: u.language,
  disabled: u.disabled_at !== null,
  lockedUntil: u.locked_until && u.locked_until > now ? u.locked_until : null,
  lastSignInAt: u.last_sign_in_at,
  createdAt: u.created_at,
});
export type UserJson = ReturnType<typeof userJson>;

const SIGN_IN_FAILED = () => fail("SIGN_IN_FAILED", "Wrong login or password");

/**
 * Sign in. An unknown login, a wrong password and a disabled account are refused alike (and take as
 * long: the password is always checked), so the answer tells no one which logins exist. A locked account
 * says until when.
 */
export async function signIn(ctx: FlowContext, login: string, password: string): Promise<UserRow> {
  const user = await findUserByLogin(ctx.db, login.trim());
  const matches = await verifyPassword(password, user?.password_hash ?? (await decoyHash()));
  if (!user || user.disabled_at) return SIGN_IN_FAILED();
  const now = ctx.now();
  const locked = (until: Date | null) => {
    if (until && until > now)
      fail("ACCOUNT_LOCKED", `Too many failed sign-ins: the account is locked until ${until.toISOString()}`, {
        until: until.toISOString(),
      });
  };
  locked(user.locked_until);
  if (!matches) {
    const after = await recordFailedSignIn(
      ctx.db,
      user.id,
      SIGN_IN_ATTEMPTS,
      new Date(now.getTime() + LOCK_MS),
    );
    locked(after.locked_until);
    return SIGN_IN_FAILED();
  }
  return recordSignIn(ctx.db, user.id, now);
}

export interface NewUserInput {
  login: string;
  name: string;
  password: string;
  role: string;
  /** Omitted: the caller's own shops; null: every shop. */
  shops?: string[] | null;
}

function checkPassword(password: string) {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    fail("PASSWORD_TOO_SHORT", `A password is at least ${MIN_PASSWORD_LENGTH} characters`, {
      min: MIN_PASSWORD_LENGTH,
    });
}

function checkName(name: string) {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100)
    fail("USER_NAME_INVALID", "A person's name is 1 to 100 characters", { name });
  return trimmed;
}

export async function createUser(ctx: FlowContext, actor: Actor, scope: GrantScope, input: NewUserInput) {
  const login = input.login.trim().toLowerCase();
  if (!LOGIN.test(login))
    fail("LOGIN_INVALID", "A login is 1 to 64 letters, digits and . _ @ -", { login: input.login });
  const name = checkName(input.name);
  checkPassword(input.password);
  checkGrantedRole(scope, "USER", input.role);
  const shops = grantedShops(scope, "USER", input.shops);
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction().execute(async (tx) => {
    await requireShops(tx, shops);
    const u = await insertUser(tx, { login, name, passwordHash, role: input.role, shops, at: ctx.now() });
    if (!u) return fail("USER_EXISTS", `The login ${login} is taken`, { login });
    await audit(tx, ctx, actor, {
      action: "user.create",
      subject: `${u.id}`,
      shops: u.shops,
      before: null,
      after: userJson(u, ctx.now()),
    });
    return userJson(u, ctx.now());
  });
}

/** What an administrator may change of an account. */
export interface UserPatch {
  name?: string;
  role?: string;
  shops?: string[] | null;
  onDuty?: boolean;
  disabled?: boolean;
  /** A new password (a reset): the person's sessions end. */
  password?: string;
  /** Lift a lockout now. */
  unlock?: boolean;
}

/**
 * Change an account, within the caller's scope: one whose shops or role lie beyond it is not found or
 * not the caller's to change. No one disables themselves or changes their own role or shops (the
 * installation would lose its last administrator that way). Disabling or resetting the password ends
 * every session of the account at once.
 */
export async function updateUserAccount(
  ctx: FlowContext,
  actor: Actor,
  scope: GrantScope,
  id: number,
  patch: UserPatch,
  /** The caller's own account, if a person calls. */
  selfId: number | null = null,
) {
  if (patch.name !== undefined) patch = { ...patch, name: checkName(patch.name) };
  if (patch.role !== undefined) checkGrantedRole(scope, "USER", patch.role);
  const shops = patch.shops === undefined ? undefined : grantedShops(scope, "USER", patch.shops);
  if (patch.password !== undefined) checkPassword(patch.password);
  const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
  return changeUser(ctx, actor, id, {
    check(u) {
      if (!withinShops(scope, u.shops)) fail("USER_NOT_FOUND", `User ${id} does not exist`, { userId: id });
      if (!scope.roles.includes(u.role))
        fail("USER_ROLE_FORBIDDEN", `You may not change a ${u.role}'s account`, { role: u.role });
      const self = selfId === u.id;
      if (
        self &&
        (patch.disabled === true ||
          (patch.role !== undefined && patch.role !== u.role) ||
          (shops !== undefined && !sameShops(shops, u.shops)))
      )
        fail(
          "OWN_ACCOUNT_PROTECTED",
          "You may not disable your own account or change your own role or shops",
        );
    },
    async prepare(tx) {
      if (shops) await requireShops(tx, shops);
    },
    change: (u) => ({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(shops !== undefined ? { shops } : {}),
      ...(patch.onDuty !== undefined ? { on_duty: patch.onDuty } : {}),
      ...(patch.disabled !== undefined && patch.disabled !== (u.disabled_at !== null)
        ? { disabled_at: patch.disabled ? ctx.now() : null }
        : {}),
      ...(patch.unlock ? { failed_sign_ins: 0, locked_until: null } : {}),
      ...(passwordHash ? { password_hash: passwordHash } : {}),
    }),
    endSessions: (c) => Boolean(c.password_hash || c.disabled_at),
  });
}

const sameShops = (a: readonly string[] | null, b: readonly string[] | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((s) => b.includes(s));

/** What a person may change of their own account. */
export interface OwnPatch {
  onDuty?: boolean;
  language?: string | null;
  password?: { current: string; new: string };
}

/**
 * A person's own settings: on duty, language, password. A password change needs the current one (a
 * wrong one counts as a failed sign-in) and ends their other sessions; `sessionId` is the one they use.
 */
export async function updateOwnAccount(ctx: FlowContext, userId: number, sessionId: string, patch: OwnPatch) {
  const user = await findUserById(ctx.db, userId);
  if (!user) return fail("USER_NOT_FOUND", `User ${userId} does not exist`, { userId });
  let passwordHash: string | undefined;
  if (patch.password) {
    if (!(await verifyPassword(patch.password.current, user.password_hash))) {
      await recordFailedSignIn(ctx.db, user.id, SIGN_IN_ATTEMPTS, new Date(ctx.now().getTime() + LOCK_MS));
      fail("PASSWORD_INCORRECT", "The current password is not right");
    }
    checkPassword(patch.password.new);
    passwordHash = await hashPassword(patch.password.new);
  }
  return changeUser(
    ctx,
    { kind: "user", id: user.login },
    userId,
    {
      change: () => ({
        ...(patch.onDuty !== undefined ? { on_duty: patch.onDuty } : {}),
        ...(patch.language !== undefined ? { language: patch.language } : {}),
        ...(passwordHash ? { password_hash: passwordHash } : {}),
      }),
      endSessions: (c) => Boolean(c.password_hash),
    },
    sessionId,
  );
}

/**
 * One change of an account in one transaction: checked against the locked row, written, its sessions
 * ended where the change says so, and recorded in the audit log (a change that changes nothing is not).
 */
async function changeUser(
  ctx: FlowContext,
  actor: Actor,
  id: number,
  how: {
    check?: (u: UserRow) => void;
    prepare?: (tx: Parameters<typeof lockUser>[0]) => Promise<void>;
    change: (u: UserRow) => UserChange;
    endSessions: (c: UserChange) => boolean;
  },
  keepSession?: string,
) {
  return ctx.db.transaction().execute(async (tx) => {
    const u = await lockUser(tx, id);
    if (!u) return fail("USER_NOT_FOUND", `User ${id} does not exist`, { userId: id });
    how.check?.(u);
    await how.prepare?.(tx);
    const change = how.change(u);
    const now = ctx.now();
    const before = userJson(u, now);
    if (Object.keys(change).length === 0) return before;
    const after = await updateUser(tx, id, change, now);
    if (how.endSessions(change)) await endUserSessions(tx, id, keepSession);
    const passwordChanged = change.password_hash !== undefined;
    const json = userJson(after, now);
    if (passwordChanged || JSON.stringify(json) !== JSON.stringify(before)) {
      await audit(tx, ctx, actor, {
        action: "user.update",
        subject: `${id}`,
        shops: after.shops,
        before,
        after: passwordChanged ? { ...json, passwordChanged: true } : json,
      });
    }
    return json;
  });
}

export interface UserQuery {
  role?: string | undefined;
  onDuty?: boolean | undefined;
  q?: string | undefined;
  offset: number;
  limit: number;
}

/**
 * Colleagues, for pickers and the users screen. A caller limited to some shops sees the people who see
 * one of them, and of each person's shops only those it shares (no other shop is named to it).
 */
export async function listUserAccounts(ctx: FlowContext, viewer: readonly string[] | null, q: UserQuery) {
  const { rows, total } = await listUsers(ctx.db, { ...q, seeing: viewer });
  const now = ctx.now();
  return {
    items: rows.map((u) => {
      const json = userJson(u, now);
      return viewer && json.shops ? { ...json, shops: json.shops.filter((s) => viewer.includes(s)) } : json;
    }),
    total,
  };
}

export const findUserAccount = (ctx: FlowContext, id: number) => findUserById(ctx.db, id);
