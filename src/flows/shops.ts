import { fail } from "../domain/errors.ts";
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
