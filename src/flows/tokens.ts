import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { findShop } from "../store/orders.ts";
import { createToken, listTokens, lockToken, revokeToken, type TokenRow } from "../store/tokens.ts";
import { audit } from "./audit.ts";
import type { Actor, FlowContext } from "./context.ts";

/**
 * API tokens: create, list, revoke. Whoever manages tokens does so within a scope — the roles it may
 * grant and the shops it is limited to — so no token can be made, seen or revoked beyond what its
 * maker could do itself.
 */
export interface TokenScope {
  /** Roles the caller may grant (those whose permissions its own role holds). */
  roles: readonly string[];
  /** null: every shop. */
  shops: readonly string[] | null;
}

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
  createdAt: t.created_at,
  lastUsedAt: t.last_used_at,
  revokedAt: t.revoked_at,
});

/** Within the scope: limited to some of its shops (an unlimited scope holds every token). */
const withinShops = (scope: TokenScope, shops: readonly string[] | null) =>
  scope.shops === null || Boolean(shops?.every((s) => scope.shops?.includes(s)));

export async function createApiToken(ctx: FlowContext, actor: Actor, scope: TokenScope, input: TokenInput) {
  const name = input.name.trim();
  if (!name || name.length > 100)
    fail("TOKEN_NAME_INVALID", "A token's name is 1 to 100 characters", { name: input.name });
  if (!scope.roles.includes(input.role)) {
    fail("TOKEN_ROLE_FORBIDDEN", `You may not grant the ${input.role} role`, {
      role: input.role,
      grantable: [...scope.roles],
    });
  }
  const shops =
    input.shops === undefined ? scope.shops && [...scope.shops] : input.shops && [...new Set(input.shops)];
  if (shops?.length === 0)
    fail("TOKEN_SHOPS_EMPTY", "A token limited to no shop could see nothing; name at least one shop");
  if (!withinShops(scope, shops)) {
    fail(
      "TOKEN_SHOPS_FORBIDDEN",
      shops === null
        ? "You are limited to some shops and may not create a token for every shop"
        : "You may only create tokens for your own shops",
      { shops, yours: scope.shops },
    );
  }
  return ctx.db.transaction().execute(async (tx) => {
    for (const shop of shops ?? [])
      if (!(await findShop(tx, shop))) fail("SHOP_NOT_FOUND", `Shop "${shop}" does not exist`, { shop });
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

export const listApiTokens = async (ctx: FlowContext, scope: Pick<TokenScope, "shops">) =>
  (await listTokens(ctx.db, scope.shops)).map(tokenJson);

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
