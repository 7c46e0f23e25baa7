import { Type } from "@fastify/type-provider-typebox";
import type { FlowContext } from "../../flows/context.ts";
import { createUser, listUserAccounts, updateUserAccount } from "../../flows/users.ts";
import { actorOf, grantScopeOf, principal, ROLE_NAMES } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const Shops = Type.Union([
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 }),
  Type.Null(),
]);

/** Console accounts (人员): colleagues to pick from, and the users screen of whoever holds users.write. */
export async function userRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/users",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["users"],
        summary:
          "People, by login (colleague pickers, the users screen). A caller limited to some shops sees " +
          "the people who see one of them, and of their shops only those it shares",
        querystring: Type.Object({
          role: Type.Optional(Enum(ROLE_NAMES)),
          onDuty: Type.Optional(Type.Boolean()),
          q: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, description: "Part of the login or name" }),
          ),
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) =>
      listUserAccounts(ctx, principal(req).shops, {
        role: req.query.role,
        onDuty: req.query.onDuty,
        q: req.query.q,
        offset: req.query.offset ?? 0,
        limit: req.query.limit ?? 50,
      }),
  );

  app.post(
    "/users",
    {
      config: { permission: "users.write" },
      schema: {
        tags: ["users"],
        summary:
          "Create an account: its role's permissions must be ones your role holds, its shops some of yours " +
          "(without `shops` it gets yours; null: every shop). Passwords are at least 8 characters",
        body: Type.Object({
          login: Type.String({ minLength: 1, maxLength: 64 }),
          name: Type.String({ minLength: 1, maxLength: 100 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
          role: Enum(ROLE_NAMES),
          shops: Type.Optional(Shops),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      return reply.status(201).send(await createUser(ctx, actorOf(p), grantScopeOf(p), req.body));
    },
  );

  app.patch(
    "/users/:id",
    {
      config: { permission: "users.write" },
      schema: {
        tags: ["users"],
        summary:
          "Change an account: name, role, shops, on duty, disable (its sessions end at once), a new " +
          "password (a reset; its sessions end), unlock. Not your own role, shops or disabling",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          role: Type.Optional(Enum(ROLE_NAMES)),
          shops: Type.Optional(Shops),
          onDuty: Type.Optional(Type.Boolean()),
          disabled: Type.Optional(Type.Boolean()),
          password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          unlock: Type.Optional(Type.Boolean()),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      return updateUserAccount(ctx, actorOf(p), grantScopeOf(p), req.params.id, req.body, p.userId);
    },
  );
}
