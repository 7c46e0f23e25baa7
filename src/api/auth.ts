import type { FastifyRequest } from "fastify";
import { AppError } from "../domain/errors.ts";
import type { Database } from "../store/db.ts";
import { findToken, hashToken } from "../store/tokens.ts";

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
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = ["orders.read", "cases.read"];
const REVIEW: Permission[] = [
  ...READ,
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
  cs_agent: [...READ, "orders.write", "cases.create", "case.cancel", "case.ship_return", "quotes"],
  reviewer: REVIEW,
  /** Owns the review policy: edits and activates rules, thresholds and per-shop limits. */
  supervisor: [...REVIEW, "rules.write", "rules.activate", "settings.write", "finance.read"],
  warehouse: [
    ...READ,
    "case.ship_return",
    "case.receive",
    "case.inspect",
    "case.ship_replacement",
    "tracking.write",
  ],
  finance: [
    ...READ,
    "case.grant_refund",
    "case.issue_refund",
    "case.close",
    "case.compensate",
    "quotes",
    "finance.read",
  ],
};
export const ROLE_NAMES = Object.keys(ROLES);

export interface Principal {
  tokenId: number;
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

/** Token lookups are cached briefly: a revoked token stops working within CACHE_MS. */
const CACHE_MS = 5_000;

export function authenticator(db: Database) {
  const cache = new Map<string, { principal: Principal; until: number }>();
  return async (req: FastifyRequest) => {
    const header = req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!token) throw new AppError("UNAUTHENTICATED", "Send an API token: Authorization: Bearer <token>");
    const key = hashToken(token);
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) {
      req.principal = hit.principal;
      return;
    }
    const row = await findToken(db, token);
    if (!row) throw new AppError("UNAUTHENTICATED", "Unknown or revoked API token");
    const principal = { tokenId: row.id, name: row.name, role: row.role, shops: row.shops };
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { principal, until: Date.now() + CACHE_MS });
    req.principal = principal;
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

export function requirePermission(req: FastifyRequest, permission: Permission) {
  const p = principal(req);
  if (!(ROLES[p.role] ?? []).includes(permission)) {
    throw new AppError("FORBIDDEN", `The ${p.role} role may not ${permission.replace(".", " ")}`, {
      role: p.role,
      permission,
    });
  }
  return p;
}

export const canSeeShop = (p: Principal, shop: string) => p.shops === null || p.shops.includes(shop);
