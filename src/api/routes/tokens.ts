import { Type } from "@fastify/type-provider-typebox";
import type { FlowContext } from "../../flows/context.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "../../flows/tokens.ts";
import { actorOf, principal, ROLE_NAMES, grantScopeOf as scopeOf } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

/** API tokens: create (the secret is shown once), list (never the secret), revoke (at once). */
export async function tokenRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/tokens",
    {
      config: { permission: "tokens.write" },
      schema: {
        tags: ["tokens"],
        summary:
          "API tokens within your shops, newest first (never their secrets, only their first characters): " +
          "a page of them and how many there are in all",
        querystring: Type.Object({
          status: Type.Optional(Enum(["active", "revoked"])),
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) =>
      listApiTokens(ctx, scopeOf(principal(req)), {
        status: req.query.status as "active" | "revoked" | undefined,
        offset: req.query.offset ?? 0,
        limit: req.query.limit ?? 50,
      }),
  );

  app.post(
    "/tokens",
    {
      config: { permission: "tokens.write" },
      schema: {
        tags: ["tokens"],
        summary:
          "Create a token; its role's permissions must be ones your role holds, its shops some of yours. " +
          "Without `shops` it gets your shops (every shop only if you have every shop); null: every shop.",
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 100 }),
          role: Enum(ROLE_NAMES),
          shops: Type.Optional(
            Type.Union([
              Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 }),
              Type.Null(),
            ]),
          ),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      return reply.status(201).send(await createApiToken(ctx, actorOf(p), scopeOf(p), req.body));
    },
  );

  app.delete(
    "/tokens/:id",
    {
      config: { permission: "tokens.write" },
      schema: {
        tags: ["tokens"],
        summary: "Revoke a token: its next request is refused, by every API process",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req) => {
      const p = principal(req);
      return revokeApiToken(ctx, actorOf(p), scopeOf(p), req.params.id);
    },
  );
}
