import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { type CaseState, isTerminal } from "../domain/lifecycle.ts";
import { openCases } from "../store/queue.ts";
import {
  checkVersion,
  type Locked,
  type StepOptions,
  type StepResult,
  versionConflict,
  withCase,
} from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";
import { actorName } from "./context.ts";
import { assignmentSettings } from "./settings.ts";

/**
 * Case ownership (负责人): who works on a case. A person claims a case or lets go of their own; a
 * reviewer or supervisor assigns anyone's; cases left for a person are given out round robin. Every
 * change is a case step: under the order's lock, from the version the person saw, one timeline event
 * `assign` with { from, to, note }, and a new version (a form open on the old owner reloads).
 */

export interface Owner {
  id: number;
  login: string;
  name: string;
}

export interface OwnerOptions extends StepOptions {
  /** The caller's user account; null for an API token, which is no person and owns nothing. */
  me: number | null;
  /** The caller may assign anyone's case (permission case.assign), not only take and drop their own. */
  mayAssign: boolean;
}

export type OwnerResult = StepResult & { owner: Owner | null };

/** The timeline's actor for round-robin assignment. */
export const AUTO_ASSIGN_ACTOR: Actor = { kind: "system", id: "auto-assign" };

/**
 * The roles that take automatically assigned cases: those whose permissions include case.approve in
 * the permission table (api/auth.ts ROLES; flows do not import the API — a test keeps the two in step).
 */
export const APPROVER_ROLES: readonly string[] = ["admin", "reviewer", "supervisor"];

/** States in which a case waits on a person's decision: a new request, a refund the channel refused. */
export const LEFT_FOR_PEOPLE: readonly CaseState[] = ["requested", "refund_failed"];

/** 认领: take a case as your own; someone else's only with case.assign (taking it over). */
export const claimCase = (ctx: FlowContext, actor: Actor, caseId: number, opts: OwnerOptions) =>
  withCase(
    ctx,
    caseId,
    async (l): Promise<OwnerResult> => {
      const owner = await openOwner(l, opts);
      const me =
        opts.me ?? fail("USER_REQUIRED", "Only a person signed in with a user account can own a case");
      if (owner?.id === me)
        fail("ALREADY_OWNER", "The case is yours already", { owner, ownerName: owner?.name });
      if (owner && !opts.mayAssign)
        fail("CASE_OWNED", `${owner.name} works on this case; they or a supervisor can hand it over`, {
          owner,
          ownerName: owner.name,
        });
      return setOwner(ctx, l, actor, owner, await userById(l, me), opts.note);
    },
    opts,
  );

/** 分配: give a case to a person, who must be enabled and see the case's shop. */
export const assignCase = (
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  opts: OwnerOptions & { userId: number },
) =>
  withCase(
    ctx,
    caseId,
    async (l): Promise<OwnerResult> => {
      if (!opts.mayAssign) fail("FORBIDDEN", "You may not assign cases", { permission: "case.assign" });
      const owner = await openOwner(l, opts);
      const to = await eligibleAssignee(l, opts.userId);
      if (owner?.id === to.id)
        fail("ALREADY_OWNER", `The case is ${to.name}'s already`, { owner, ownerName: to.name });
      return setOwner(ctx, l, actor, owner, to, opts.note);
    },
    opts,
  );

/** 取消分配: let go of a case — your own, or anyone's with case.assign. */
export const unassignCase = (ctx: FlowContext, actor: Actor, caseId: number, opts: OwnerOptions) =>
  withCase(
    ctx,
    caseId,
    async (l): Promise<OwnerResult> => {
      const owner = (await openOwner(l, opts)) ?? fail("NO_OWNER", "Nobody owns this case");
      if (owner.id !== opts.me && !opts.mayAssign)
        fail("NOT_YOUR_CASE", `The case is ${owner.name}'s; only they or a supervisor can let it go`, {
          owner,
          ownerName: owner.name,
        });
      return setOwner(ctx, l, actor, owner, null, opts.note);
    },
    opts,
  );

/**
 * 自动分配: a case left for a person (LEFT_FOR_PEOPLE) with no owner goes to the on-duty, enabled person
 * holding an approver role who sees its shop and has the fewest open cases, then the one given a case
 * longest ago — round robin that evens out loads. Not to the person who gave the first of two approvals
 * (the second must be someone else). Off when the `assignment` setting says so. Runs inside the case's
 * own step, so the case and its owner change together.
 */
export async function autoAssignLocked(ctx: FlowContext, l: Locked): Promise<Owner | null> {
  if (!LEFT_FOR_PEOPLE.includes(l.kase.status as CaseState)) return null;
  if (!(await assignmentSettings(l.tx)).auto) return null;
  const c = await l.tx
    .selectFrom("cases")
    .select(["owner_id", "first_approval"])
    .where("id", "=", l.kase.id)
    .executeTakeFirstOrThrow();
  if (c.owner_id !== null) return null;
  // One assignment at a time across every process: two cases arriving together see each other's owner.
  await sql`select pg_advisory_xact_lock(${ASSIGN_LOCK})`.execute(l.tx);
  const { rows } = await sql<Owner>`
    select u.id, u.login, u.name
      from users u
     where u.disabled_at is null and u.on_duty and u.role = any(${APPROVER_ROLES}::text[])
       and (u.shops is null or ${l.kase.shop_id}::text = any(u.shops))
       and ('user:' || u.login) is distinct from ${c.first_approval}::text
     order by (select count(*) from cases c where c.owner_id = u.id and ${openCases("c")}),
              (select max(c.owner_since) from cases c where c.owner_id = u.id) asc nulls first,
              u.id
     limit 1`.execute(l.tx);
  const next = rows[0];
  if (!next) return null;
  await setOwner(ctx, l, AUTO_ASSIGN_ACTOR, null, { ...next, id: Number(next.id) }, null);
  return next;
}

/**
 * Auto-assign a case in a step of its own (after a step that committed, e.g. automatic review). Most
 * cases need nothing — owned, not waiting on a person, or nobody to give them to — which one read
 * without the lock tells; the step then decides again under it.
 */
export async function autoAssign(
  ctx: FlowContext,
  caseId: number,
  /** What `assignFacts` read, when the caller's own statement read it. */
  known?: AssignFacts,
): Promise<Owner | null> {
  const c =
    known ??
    (await sql<AssignFacts>`select ${assignFacts("c")} from cases c where c.id = ${caseId}`.execute(ctx.db))
      .rows[0];
  if (!c?.anyone || c.owner_id !== null || !LEFT_FOR_PEOPLE.includes(c.status as CaseState)) return null;
  return withCase(ctx, caseId, (l) => autoAssignLocked(ctx, l));
}

/** What autoAssign decides from without the lock: the case's status and owner, and whether anyone could take it. */
export interface AssignFacts {
  status: string;
  owner_id: number | null;
  anyone: boolean;
}

/** The AssignFacts of the case aliased `alias`, as columns to select. */
export const assignFacts = (
  alias: string,
) => sql<AssignFacts>`${sql.ref(`${alias}.status`)}, ${sql.ref(`${alias}.owner_id`)},
  exists (select 1 from users u where u.disabled_at is null and u.on_duty
                                  and u.role = any(${APPROVER_ROLES}::text[])) as anyone`;

/** Key of the advisory lock that makes round-robin choices one at a time. */
const ASSIGN_LOCK = 419_019;

/** The current owner of the locked case, once the version and the case being open are checked. */
async function openOwner(l: Locked, opts: StepOptions): Promise<Owner | null> {
  await checkVersion(l, opts.expectedVersion);
  if (isTerminal(l.kase.status as CaseState))
    fail("CASE_CLOSED", "The case has ended; its owner no longer changes", { status: l.kase.status });
  const row = await l.tx
    .selectFrom("cases as c")
    .innerJoin("users as u", "u.id", "c.owner_id")
    .select(["u.id", "u.login", "u.name"])
    .where("c.id", "=", l.kase.id)
    .executeTakeFirst();
  return row ? { ...row, id: Number(row.id) } : null;
}

async function userById(l: Locked, id: number): Promise<Owner> {
  const u = await l.tx
    .selectFrom("users")
    .select(["id", "login", "name"])
    .where("id", "=", id)
    .executeTakeFirst();
  return u ? { ...u, id: Number(u.id) } : fail("USER_REQUIRED", "Your user account does not exist");
}

/** The person a case may be given to: enabled, and seeing the case's shop. */
async function eligibleAssignee(l: Locked, userId: number): Promise<Owner> {
  const u = await l.tx
    .selectFrom("users")
    .select(["id", "login", "name", "shops", "disabled_at"])
    .where("id", "=", userId)
    .executeTakeFirst();
  const reason = !u
    ? "unknown"
    : u.disabled_at
      ? "disabled"
      : u.shops && !u.shops.includes(l.kase.shop_id)
        ? "shop"
        : null;
  if (reason || !u)
    return fail("ASSIGNEE_INVALID", `User ${userId} cannot take this case (${reason})`, {
      userId,
      reason,
      shop: l.kase.shop_id,
    });
  return { id: Number(u.id), login: u.login, name: u.name };
}

/** Move the case from `from` to `to` (null: nobody), as one statement: the case, its event, its version. */
async function setOwner(
  ctx: FlowContext,
  l: Locked,
  actor: Actor,
  from: Owner | null,
  to: Owner | null,
  note: string | null | undefined,
): Promise<OwnerResult> {
  const { kase } = l;
  const now = ctx.now();
  const { rows } = await sql<{ id: number }>`
    with c as (
      update cases set owner_id = ${to?.id ?? null}, owner_since = ${to ? now : null}::timestamptz,
                       version = version + 1, updated_at = ${now}
       where id = ${kase.id} and version = ${kase.version}
      returning id)
    insert into case_events (case_id, at, actor, action, from_status, to_status, note, data, version)
    select id, ${now}::timestamptz, ${actorName(actor)}::text, 'assign', ${kase.status}::text, ${kase.status}::text,
           ${note ?? null}::text, ${JSON.stringify({ from, to, note: note ?? null })}::jsonb, ${kase.version + 1}::int
      from c
    returning id`.execute(l.tx);
  if (rows.length !== 1) return versionConflict(l.tx, kase.id, kase.version);
  kase.version += 1;
  return { status: kase.status as CaseState, version: kase.version, owner: to };
}
