import { Type } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { fail } from "../../domain/errors.ts";
import { LANGS } from "../../domain/messages/index.ts";
import type { FlowContext } from "../../flows/context.ts";
import { findUserAccount, signIn, type UserJson, updateOwnAccount, userJson } from "../../flows/users.ts";
import { type FailureLimiter, principal, ROLES, SESSION_COOKIE } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

/** What the console knows of whoever is signed in: who, what they may do, and the CSRF token to write with. */
const sessionJson = (user: UserJson, reply: FastifyReply) => ({
  user,
  permissions: [...(ROLES[user.role] ?? [])],
  csrfToken: reply.generateCsrf(),
});

/** The person a request's session signs in; an API token has none. */
function sessionUser(req: FastifyRequest) {
  const p = principal(req);
  if (p.userId === null)
    fail("NO_SESSION", "This request carries an API token, not a console session: no one is signed in");
  return p.userId as number;
}

/**
 * Signing in: the one route under /api/v1 reachable without authentication, so each attempt counts
 * against the address's authentication budget (`limit`, the one failed tokens count against).
 */
export async function signInRoutes(app: App, { ctx, limit }: { ctx: FlowContext; limit: FailureLimiter }) {
  app.post(
    "/session",
    {
      onRequest: limit,
      schema: {
        tags: ["session"],
        summary:
          "Sign in to the console: sets the session cookie (a new session id each time). Wrong login, " +
          "wrong password and a disabled account are one answer (SIGN_IN_FAILED); " +
          "5 failures in a row lock the account for 15 minutes (ACCOUNT_LOCKED)",
        security: [],
        body: Type.Object({
          login: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
        }),
      },
    },
    async (req, reply) => {
      const user = await signIn(ctx, req.body.login, req.body.password);
      // A new id: a session id planted before sign-in (session fixation) signs no one in.
      await req.session.regenerate();
      req.session.set("userId", user.id);
      return sessionJson(userJson(user, ctx.now()), reply);
    },
  );
}

/** The signed-in person's session and own settings. */
export async function sessionRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/session",
    {
      config: { permission: "any" },
      schema: {
        tags: ["session"],
        summary: "Who is signed in, what they may do, and a CSRF token for writes (x-csrf-token)",
      },
    },
    async (req, reply) => {
      const user = await findUserAccount(ctx, sessionUser(req));
      if (!user) return fail("NO_SESSION", "No one is signed in");
      return sessionJson(userJson(user, ctx.now()), reply);
    },
  );

  app.delete(
    "/session",
    {
      config: { permission: "any" },
      schema: {
        tags: ["session"],
        summary: "Sign out: the session ends at once (nothing to end for an API token)",
      },
    },
    async (req, reply) => {
      if (principal(req).userId !== null) await req.session.destroy();
      return reply.clearCookie(SESSION_COOKIE, { path: "/" }).status(204).send();
    },
  );

  app.patch(
    "/me",
    {
      config: { permission: "any" },
      schema: {
        tags: ["session"],
        summary:
          "Your own settings: on duty (takes automatically assigned cases), language, password " +
          "(needs the current one; your other sessions end)",
        body: Type.Object({
          onDuty: Type.Optional(Type.Boolean()),
          language: Type.Optional(Type.Union([Enum(LANGS), Type.Null()])),
          password: Type.Optional(
            Type.Object({
              current: Type.String({ minLength: 1, maxLength: 256 }),
              new: Type.String({ minLength: 1, maxLength: 256 }),
            }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const user = await updateOwnAccount(ctx, sessionUser(req), req.session.sessionId, req.body);
      return sessionJson(user, reply);
    },
  );
}
