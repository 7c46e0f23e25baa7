import { fail } from "../domain/errors.ts";
import { type Credentials, credentialSummary, saveCredentials } from "../store/credentials.ts";
import type { Tx } from "../store/orders.ts";
import { audit } from "./audit.ts";
import type { Actor, FlowContext } from "./context.ts";

export interface ShopInput {
  id: string;
  name: string;
  channel: string;
}

/** Add a shop (店铺); its audit entry is written with it. */
export async function createShop(ctx: FlowContext, actor: Actor, input: ShopInput) {
  // Named columns only: a request body is never spread into a row.
  const shop = { id: input.id, name: input.name, channel: input.channel };
  return ctx.db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto("shops")
      .values(shop)
      .onConflict((oc) => oc.column("id").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!row) return fail("CONFLICT", `Shop "${shop.id}" already exists`, { shop: shop.id });
    await audit(tx, ctx, actor, {
      action: "shop.create",
      subject: shop.id,
      shops: [shop.id],
      before: null,
      after: shop,
    });
    return shop;
  });
}

/** Which credential fields a shop has, for the audit log (never their values); null: not connected. */
async function credentialFields(tx: Tx, ctx: FlowContext, shopId: string) {
  try {
    return (await credentialSummary(tx, ctx.secrets, shopId))?.fields ?? null;
  } catch {
    return ["(sealed with a key not configured)"];
  }
}

/** Connect a shop to its platform: credentials sealed with the installation's key. */
export async function setShopCredentials(
  ctx: FlowContext,
  actor: Actor,
  shopId: string,
  credentials: Credentials,
) {
  await ctx.db.transaction().execute(async (tx) => {
    const before = await credentialFields(tx, ctx, shopId);
    await saveCredentials(tx, ctx.secrets, shopId, credentials, ctx.now());
    await audit(tx, ctx, actor, {
      action: "shop.credentials",
      subject: shopId,
      shops: [shopId],
      before: before && { fields: before },
      after: { fields: Object.keys(credentials).sort() },
    });
  });
}

/** Disconnect a shop from its platform; nothing to record when it was not connected. */
export async function removeShopCredentials(ctx: FlowContext, actor: Actor, shopId: string) {
  await ctx.db.transaction().execute(async (tx) => {
    const before = await credentialFields(tx, ctx, shopId);
    const r = await tx.deleteFrom("shop_credentials").where("shop_id", "=", shopId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return;
    await audit(tx, ctx, actor, {
      action: "shop.disconnect",
      subject: shopId,
      shops: [shopId],
      before: { fields: before },
      after: null,
    });
  });
}
