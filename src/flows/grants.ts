import { fail } from "../domain/errors.ts";
import { findShop, type Tx } from "../store/orders.ts";

/**
 * What a caller may hand out, to an API token or to a person's account: the roles whose permissions
 * its own role holds, within the shops it is limited to. No token or account is made, seen or changed
 * beyond what its maker could do itself.
 */
export interface GrantScope {
  /** Roles the caller may grant (those whose permissions its own role holds). */
  roles: readonly string[];
  /** null: every shop. */
  shops: readonly string[] | null;
}

/** Who receives the grant (a webhook endpoint gets shops only): names the codes refused with (TOKEN_ROLE_FORBIDDEN, USER_SHOPS_EMPTY…). */
export type Grantee = "TOKEN" | "USER" | "WEBHOOK";

/** Within the scope: limited to some of its shops (an unlimited scope holds everything). */
export const withinShops = (scope: GrantScope, shops: readonly string[] | null) =>
  scope.shops === null || Boolean(shops?.every((s) => scope.shops?.includes(s)));

export function checkGrantedRole(scope: GrantScope, grantee: Grantee, role: string) {
  if (!scope.roles.includes(role)) {
    fail(`${grantee}_ROLE_FORBIDDEN`, `You may not grant the ${role} role`, {
      role,
      grantable: [...scope.roles],
    });
  }
}

/**
 * The shops granted: omitted, the caller's own (every shop only for an unlimited caller), so a
 * shop-limited caller never makes an unlimited grant by leaving them out; never none; only the caller's.
 */
export function grantedShops(
  scope: GrantScope,
  grantee: Grantee,
  shops: readonly string[] | null | undefined,
): string[] | null {
  const granted = shops === undefined ? scope.shops && [...scope.shops] : shops && [...new Set(shops)];
  if (granted?.length === 0)
    fail(`${grantee}_SHOPS_EMPTY`, "Limited to no shop, it could see nothing; name at least one shop");
  if (!withinShops(scope, granted)) {
    fail(
      `${grantee}_SHOPS_FORBIDDEN`,
      granted === null
        ? "You are limited to some shops and may not grant every shop"
        : "You may only grant your own shops",
      { shops: granted, yours: scope.shops },
    );
  }
  return granted;
}

/** Every shop named exists (inside the transaction that grants them). */
export async function requireShops(tx: Tx, shops: readonly string[] | null) {
  for (const shop of shops ?? [])
    if (!(await findShop(tx, shop))) fail("SHOP_NOT_FOUND", `Shop "${shop}" does not exist`, { shop });
}
