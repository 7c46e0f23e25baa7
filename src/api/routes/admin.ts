import { Type } from "@fastify/type-provider-typebox";
import { AppError } from "../../domain/errors.ts";
import { CHANNELS } from "../../domain/order.ts";
import type { FlowContext } from "../../flows/context.ts";
import { createToken } from "../../store/tokens.ts";
import { canSeeShop, principal, ROLE_NAMES } from "../auth.ts";
import type { App } from "../server.ts";

/** Shops and API tokens. */
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
          channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
        }),
      },
    },
    async (req, reply) => {
      const row = await ctx.db
        .insertInto("shops")
        .values(req.body)
        .onConflict((oc) => oc.column("id").doNothing())
        .returning("id")
        .executeTakeFirst();
      if (!row) throw new AppError("CONFLICT", `Shop "${req.body.id}" already exists`);
      return reply.status(201).send(req.body);
    },
  );

  app.post(
    "/tokens",
    {
      config: { permission: "tokens.write" },
      schema: {
        tags: ["tokens"],
        body: Type.Object({
          name: Type.String({ minLength: 1 }),
          role: Type.Union(ROLE_NAMES.map((r) => Type.Literal(r))),
          shops: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
        }),
      },
    },
    async (req, reply) => {
      const t = await createToken(ctx.db, req.body);
      return reply.status(201).send({ id: t.id, name: t.name, role: t.role, shops: t.shops, token: t.token });
    },
  );
}
