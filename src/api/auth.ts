import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../domain/errors.ts";
import type { Actor } from "../flows/context.ts";
import type { Database } from "../store/db.ts";
import { findToken, touchToken } from "../store/tokens.ts";
import { findUserById } from "../store/users.ts";

/** Who may do what, as data. A role is a set of permissions; admin has them all. */
export const PERMISSIONS = [
  "shops.write",
  "tokens.write",
  "orders.read",
  "orders.write",
  "cases.read",
  "cases.create",
  "quotes",
  "case.approve",
  "case.reject",
  "case.cancel",
  "case.ship_return",
  "case.receive",
  "case.inspect",
  "case.grant_refund",
  "case.issue_refund",
  "case.ship_replacement",
  "case.close",
  "case.override",
  "rules.read",
  "rules.write",
  "rules.activate",
  "alerts.read",
  "alerts.ack",
  "settings.write",
  "tracking.write",
  "case.compensate",
  "finance.read",
  "reconciliations.read",
  "reconciliations.run",
  "inventory.read",
  "inventory.write",
  "audit.read",
  "imports.write",
  "users.write",
  "case.claim",
  "case.assign",
  "webhooks.read",
  "webhooks.write",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What each permission lets a person do, in words: the README's role table is rendered from these. */
export const PERMISSION_DESCRIPTIONS: Record<Permission, string> = {
  "shops.write": "add shops and manage their platform connection (credentials, return address, sync)",
  "tokens.write": "create, list and revoke API tokens (only roles and shops of their own)",
  "orders.read": "read orders",
  "orders.write": "enter orders (phone, chat, offline sales)",
  "cases.read": "read cases, the review queue, receipts, refund analytics and review settings",
  "cases.create": "open cases for buyers",
  quotes: "preview refund amounts",
  "case.approve": "approve cases and run the automatic review again",
  "case.reject": "reject cases",
  "case.cancel": "withdraw cases for the buyer",
  "case.ship_return": "record the buyer's return parcel (carrier, tracking number)",
  "case.receive": "receive returned parcels (scan, batch, unidentified parcels)",
  "case.inspect": "inspect returned goods (QC)",
  "case.grant_refund": "grant refunds and read QC's refund advice",
  "case.issue_refund": "send waiting refunds and record offline refunds as paid",
  "case.ship_replacement": "ship replacements (exchange, reship)",
  "case.close": "close cases",
  "case.override": "override an automatic decision",
  "rules.read": "read the rules, dry-run and backtest them",
  "rules.write": "edit rule drafts",
  "rules.activate": "activate a rule version",
  "alerts.read": "read alerts and the risk and quality thresholds",
  "alerts.ack": "acknowledge alerts",
  "settings.write":
    "change settings (review limits, thresholds, fees, refund order, time zone, policies, warehouses, backorder), run quality scans and analytics rebuilds",
  "tracking.write": "record parcel tracking scans",
  "case.compensate": "compensate buyers (cash, coupon, points, return postage)",
  "finance.read":
    "read refunds (with what can be done to each), the after-sales ledger, the finance report, costs and channel fees",
  "reconciliations.read": "read refund reconciliation reports",
  "reconciliations.run": "reconcile a payment channel's day (fetch or upload its bill)",
  "inventory.read": "read stock, stock movements and warehouses",
  "inventory.write": "count stock in or out (stock adjustments)",
  "audit.read":
    "read the audit log of settings, rules, shops, tokens and accounts (their own shops' entries)",
  "imports.write": "import order history and its refunds from CSV/XLSX files, and follow the imports",
  "users.write":
    "create and change console accounts: role, shops, disable, reset password, unlock (only roles and shops of their own)",
  "case.claim": 'take a case as their own, and let go of their own (the queue\'s "mine")',
  "case.assign": "assign anyone's case to a colleague, take over or unassign it, and share queue views",
  "webhooks.read": "read webhook endpoints and their deliveries (their own shops' endpoints)",
  "webhooks.write":
    "add, change, disable and delete webhook endpoints, rotate their secrets, send test events and replay deliveries",
};

/**
 * The roles of a merchant's after-sales team. Deliberate choices: the buyer's return parcel number is
 * told to customer service (or arrives with the platform's request), so cs_agent records it — the
 * warehouse meets the parcel only when it arrives, and receiving it (by scan) needs no prior record.
 * QC's refund advice is for whoever grants the refund. Reconciling bills is finance's; a supervisor
 * reads after-sales costs but does not reconcile payment channels.
 */
const READ: Permission[] = ["orders.read", "cases.read", "inventory.read"];
const REVIEW: Permission[] = [
  ...READ,
  "case.claim",
  "case.assign",
  "case.approve",
  "case.reject",
  "case.grant_refund",
  "case.close",
  "case.override",
  "case.compensate",
  "quotes",
  "rules.read",
  "alerts.read",
  "alerts.ack",
];
export const ROLES: Record<string, readonly Permission[]> = {
  admin: PERMISSIONS,
  cs_agent: [
    ...READ,
    "case.claim",
    "orders.write",
    "cases.create",
    "case.cancel",
    "case.ship_return",
    "quotes",
  ],
  reviewer: REVIEW,
  /** Owns the review policy: edits and activates rules, thresholds and per-shop limits. */
  supervisor: [
    ...REVIEW,
    "rules.write",
    "rules.activate",
    "settings.write",
    "finance.read",
    "audit.read",
    "imports.write",
    // Sees whether integrators are being told (deliveries, failures); only an admin sends data out.
    "webhooks.read",
  ],
  warehouse: [
    ...READ,
    "case.claim",
    "case.receive",
    "case.inspect",
    "case.ship_replacement",
    "tracking.write",
    "inventory.write",
  ],
  finance: [
    ...READ,
    "case.claim",
    "case.grant_refund",
    "case.issue_refund",
    "case.close",
    "case.compensate",
    "quotes",
    "finance.read",
    "reconciliations.read",
    "reconciliations.run",
  ],
};
/** Who holds each role, for the README. */
export const ROLE_DESCRIPTIONS: Record<string, string> = {
  admin: "the merchant's administrator (管理员)",
  cs_agent: "customer service (客服), answering buyers on chat and phone",
  reviewer: "after-sales reviewer (售后审核), deciding cases and refunds",
  supervisor: "after-sales supervisor (售后主管): a reviewer who also owns the review policy",
  warehouse: "warehouse clerk (仓库): receives and inspects returns, ships replacements",
  finance: "finance (财务): pays and reconciles refunds",
};
export const ROLE_NAMES = Object.keys(ROLES);

/** Who is calling: a person signed in to the console, or an integration's API token. */
export interface Principal {
  /** The signed-in person (users.id); null for an API token. */
  userId: number | null;
  /** The API token; null for a console session. */
  tokenId: number | null;
  /** The token's name, or the person's login. */
  name: string;
  role: string;
  /** null: every shop. */
  shops: string[] | null;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Counts a failed authentication against the caller's address; throws RATE_LIMITED past the limit. */
export type FailureLimiter = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The console's session cookie (server.ts sets it up; routes/session.ts signs in and out). */
export const SESSION_COOKIE = "aftersales_session";

/**
 * A request carries an API token (Authorization: Bearer) or, without one, the console's session cookie.
 * Every request looks its token or its person up (one indexed read; no cache), so a revoked token, a
 * disabled person, a changed role or shops count from the very next request, in every process.
 */
export function authenticator(db: Database, onFailure?: FailureLimiter) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      await authenticate(req);
    } catch (e) {
      await onFailure?.(req, reply);
      throw e;
    }
  };
  async function authenticate(req: FastifyRequest) {
    const header = req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!token) return authenticateSession(req);
    const row = await findToken(db, token);
    if (!row) throw new AppError("UNAUTHENTICATED", "Unknown or revoked API token", { reason: "unknown" });
    req.principal = { userId: null, tokenId: row.id, name: row.name, role: row.role, shops: row.shops };
    lastUsed.set(req.principal, row.last_used_at);
  }
  async function authenticateSession(req: FastifyRequest) {
    const userId = req.session?.userId;
    const user = userId === undefined ? undefined : await findUserById(db, userId);
    if (!user || user.disabled_at) {
      // A cookie whose session is over (signed out, expired, the account disabled) says so.
      const ended = Boolean(req.cookies?.[SESSION_COOKIE]);
      throw new AppError(
        "UNAUTHENTICATED",
        ended
          ? "Your session has ended; sign in again"
          : "Sign in, or send an API token: Authorization: Bearer <token>",
        { reason: ended ? "session_ended" : "missing" },
      );
    }
    req.principal = { userId: user.id, tokenId: null, name: user.login, role: user.role, shops: user.shops };
  }
}

/** When each request's token was last used, as read at authentication. */
const lastUsed = new WeakMap<Principal, Date | null>();

/**
 * onSend: note the token's use when its request succeeded, to the minute — no write while the stored time
 * is under a minute old, and none for a refused request (a refused request changes nothing).
 */
export function recordTokenUse(db: Database) {
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const p = req.principal;
    const last = p && lastUsed.get(p);
    if (
      p?.tokenId != null &&
      last !== undefined &&
      reply.statusCode < 400 &&
      (!last || Date.now() - last.getTime() > 60_000)
    )
      await touchToken(db, p.tokenId);
    return payload;
  };
}

export function principal(req: FastifyRequest): Principal {
  return (
    req.principal ??
    (() => {
      throw new AppError("UNAUTHENTICATED", "Not authenticated");
    })()
  );
}

export const roleMay = (role: string, permission: Permission) => (ROLES[role] ?? []).includes(permission);

export function requirePermission(req: FastifyRequest, permission: Permission) {
  const p = principal(req);
  if (!roleMay(p.role, permission)) {
    throw new AppError("FORBIDDEN", `The ${p.role} role may not ${PERMISSION_DESCRIPTIONS[permission]}`, {
      role: p.role,
      permission,
    });
  }
  return p;
}

export const canSeeShop = (p: Principal, shop: string) => p.shops === null || p.shops.includes(shop);

/**
 * The person behind a request, as flows record it: a token by its name (the audit log keeps the token
 * too), a signed-in person by their login.
 */
export const actorOf = (p: Principal): Actor =>
  p.tokenId === null ? { kind: "user", id: p.name } : { kind: "user", id: p.name, tokenId: p.tokenId };

/** The roles `role` may grant: those whose every permission it holds itself. */
export const grantableRoles = (role: string) =>
  ROLE_NAMES.filter((r) => (ROLES[r] ?? []).every((perm) => roleMay(role, perm)));

/** What a caller may hand out to a token or an account: the roles its own covers, within its own shops. */
export const grantScopeOf = (p: Principal) => ({ roles: grantableRoles(p.role), shops: p.shops });

declare module "fastify" {
  interface FastifyContextConfig {
    /** The permission the caller's role needs for this route; "any": every valid token. */
    permission?: Permission | "any";
    /**
     * The route changes what all shops share (settings, rules, stock, a channel's reconciliation):
     * a token limited to some shops may not, since the change would reach the others.
     */
    allShops?: boolean;
  }
}

/**
 * onRoute for /api/v1: every route must say which permission it needs (config.permission) — one
 * place, checked by `authorize` and published in the OpenAPI document as x-permission / x-all-shops.
 */
export function declarePermission(route: import("fastify").RouteOptions) {
  const { permission, allShops } = route.config ?? {};
  if (!permission) {
    throw new Error(
      `${[route.method].flat().join(",")} ${route.url} declares no permission: add config: { permission } (src/api/auth.ts)`,
    );
  }
  const extensions = { "x-permission": permission, ...(allShops ? { "x-all-shops": true } : {}) };
  route.schema = { ...route.schema, ...extensions };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * onRequest after authentication: a write made with the session cookie must carry the session's CSRF
 * token in `x-csrf-token` (403 CSRF_TOKEN_INVALID otherwise; `protect` is @fastify/csrf-protection's
 * check). A bearer token is no cookie a browser sends by itself, so token requests need none.
 */
export function requireCsrfToken(
  protect: (req: FastifyRequest, reply: FastifyReply, done: (e?: Error) => void) => void,
) {
  return (req: FastifyRequest, reply: FastifyReply, done: (e?: Error) => void) => {
    if (req.principal?.tokenId === null && !SAFE_METHODS.has(req.method)) protect(req, reply, done);
    else done();
  };
}

/** onRequest after authentication: the route's declared permission, and all shops where it says so. */
export async function authorize(req: FastifyRequest) {
  const { permission, allShops } = req.routeOptions.config;
  const p = permission && permission !== "any" ? requirePermission(req, permission) : principal(req);
  if (allShops && p.shops !== null) {
    throw new AppError(
      "ALL_SHOPS_REQUIRED",
      "This changes what every shop shares; it needs a token that is not limited to some shops",
      { shops: p.shops },
    );
  }
}
