import { randomBytes } from "node:crypto";
import cookie from "@fastify/cookie";
import csrf from "@fastify/csrf-protection";
import session from "@fastify/session";
import type { FlowContext } from "../flows/context.ts";
import { sessionStore } from "../store/sessions.ts";
import { SESSION_COOKIE } from "./auth.ts";
import type { App } from "./server.ts";

/** A console session lasts this long from its sign-in. */
export const SESSION_TTL_MS = 12 * 3_600_000;

/**
 * Session ids are 256 random bits, looked up by their SHA-256: a forged or altered cookie finds no
 * session, so signing the cookie would add nothing — and would need a secret every API process shares.
 */
const UNSIGNED = {
  sign: (value: string) => value,
  unsign: (value: string) => ({ valid: true, renew: false, value }),
};

/**
 * Console sessions: the HttpOnly cookie `aftersales_session` (SameSite=Lax, Path=/, Secure when the
 * request came over https; 12 h), kept in `user_sessions`, written only for a signed-in person; and the
 * CSRF secret in the session, whose tokens cookie-authenticated writes must send in `x-csrf-token`.
 */
export async function registerSessions(app: App, ctx: FlowContext) {
  await app.register(cookie);
  await app.register(session, {
    cookieName: SESSION_COOKIE,
    secret: UNSIGNED,
    idGenerator: () => randomBytes(32).toString("base64url"),
    store: sessionStore(ctx.db, ctx.now, SESSION_TTL_MS),
    cookie: { httpOnly: true, sameSite: "lax", path: "/", secure: "auto", maxAge: SESSION_TTL_MS },
    // No row for a request that signs no one in, and none rewritten by a request that changes nothing.
    saveUninitialized: false,
    rolling: false,
  });
  await app.register(csrf, {
    sessionPlugin: "@fastify/session",
    getToken: (req) => {
      const token = req.headers["x-csrf-token"];
      return Array.isArray(token) ? token[0] : token;
    },
  });
}
