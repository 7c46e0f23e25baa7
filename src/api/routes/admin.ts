import { Type } from "@fastify/type-provider-typebox";
import { CHANNELS } from "../../domain/order.ts";
import type { FlowContext } from "../../flows/context.ts";
import { createShop } from "../../flows/shops.ts";
import { actorOf, canSeeShop, principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

/** Shops (API tokens: routes/tokens.ts). */
export async function adminRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get("/shops", { config: { permission: "any" }, schema: { tags: ["shops"] } }, async (req) => {
    const p = principal(req);
    const shops = await ctx.db.selectFrom("shops").selectAll().orderBy("id").execute();
    return {
      items: shops
        .filter((s) => canSeeShop(p, s.id))
        .map((s) => ({ id: s.id, name: s.name, channel: s.channel })),
    };
  });

  app.post(
    "/shops",
    {
      config: { permission: "shops.write", allShops: true },
      schema: {
        tags: ["shops"],
        body: Type.Object({
          id: Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" }),
          name: Type.String({ minLength: 1 }),
          channel: Enum(CHANNELS),
        }),
      },
    },
    async (req, reply) => {
      return reply.status(201).send(await createShop(ctx, actorOf(principal(req)), req.body));
    },
  );
}
