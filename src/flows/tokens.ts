import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import {
  createToken,
  listTokens,
  lockToken,
  revokeToken,
  type TokenFilter,
  type TokenRow,
} from "../store/tokens.ts";
import { audit } from "./audit.ts";
import type { Actor, FlowContext } from "./context.ts";
import { checkGrantedRole, type GrantScope, grantedShops, requireShops, withinShops } from "./grants.ts";

/**
 * API tokens: create, list, revoke. Whoever manages tokens does so within a scope — the roles it may
 * grant and the shops it is limited to — so no token can be made, seen or revoked beyond what its
 * maker could do itself.
 */
export type TokenScope = GrantScope;

export interface TokenInput {
  name: string;
  role: string;
  /**
   * The shops the token is limited to; null: every shop. Omitted: the caller's own shops (every shop for
   * an unlimited caller), so a shop-limited caller never makes an unlimited token by leaving it out.
   */
  shops?: string[] | null;
}

export const tokenJson = (t: TokenRow) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  shops: t.shops,
  prefix: t.prefix,
  createdAt: t.created_at,
  lastUsedAt: t.last_used_at,
  revokedAt: t.revoked_at,
});

export async function createApiToken(ctx: FlowContext, actor: Actor, scope: TokenScope, input: TokenInput) {
  const name = input.name.trim();
  if (!name || name.length > 100)
    fail("TOKEN_NAME_INVALID", "A token's name is 1 to 100 characters", { name: input.name });
  checkGrantedRole(scope, "TOKEN", input.role);
  const shops = grantedShops(scope, "TOKEN", input.shops);
  return ctx.db.transaction().execute(async (tx) => {
    await requireShops(tx, shops);
    const t = await createToken(tx, { name, role: input.role, shops });
    await audit(tx, ctx, actor, {
      action: "token.create",
      subject: `${t.id}`,
      shops: t.shops,
      before: null,
      after: tokenJson(t),
    });
    return { ...tokenJson(t), token: t.token };
  });
}

/** The tokens within the caller's shops, newest first: a page of them (all without `limit`) and how many in all. */
export async function listApiTokens(
  ctx: FlowContext,
  scope: Pick<TokenScope, "shops">,
  page: Omit<TokenFilter, "shops"> = {},
) {
  const { rows, total } = await listTokens(ctx.db, { ...page, shops: scope.shops });
  return { items: rows.map(tokenJson), total };
}

/** Revoke a token at once (authentication looks every token up, so the next request is refused). */
export async function revokeApiToken(ctx: FlowContext, actor: Actor, scope: TokenScope, id: number) {
  return ctx.db.transaction().execute(async (tx) => {
    const t = await lockToken(tx, id);
    if (!t || !withinShops(scope, t.shops))
      return fail("TOKEN_NOT_FOUND", `Token ${id} does not exist`, { tokenId: id });
    if (!scope.roles.includes(t.role))
      fail("TOKEN_ROLE_FORBIDDEN", `You may not revoke a ${t.role} token`, { role: t.role });
    if (t.revoked_at) return tokenJson(t); // revoked already: nothing changes, nothing to record
    const revoked = (await revokeToken(tx, id, ctx.now())) ?? t;
    await audit(tx, ctx, actor, {
      action: "token.revoke",
      subject: `${id}`,
      shops: t.shops,
      before: tokenJson(t),
      after: tokenJson(revoked),
    });
    return tokenJson(revoked);
  });
}

/**
 * The first start of an installation that has never had a token gets one admin token to set up with,
 * printed once. Revoked tokens stay as rows, so an installation whose tokens were all revoked gets none.
 */
export async function issueSetupToken(ctx: FlowContext) {
  return ctx.db.transaction().execute(async (tx) => {
    // Several processes starting at once on one PostgreSQL must not each mint one.
    await sql`select pg_advisory_xact_lock(4243)`.execute(tx);
    if (await tx.selectFrom("api_tokens").select("id").limit(1).executeTakeFirst()) return undefined;
    const t = await createToken(tx, { name: "setup", role: "admin", shops: null });
    await audit(
      tx,
      ctx,
      { kind: "system", id: "setup" },
      { action: "token.create", subject: `${t.id}`, shops: null, before: null, after: tokenJson(t) },
    );
    return { ...tokenJson(t), token: t.token };
  });
}
