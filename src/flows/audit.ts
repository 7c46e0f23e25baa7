import { appendAudit } from "../store/audit.ts";
import type { Tx } from "../store/orders.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/**
 * What the audit log (审计日志) records, by stable action name. `global: true` marks installation-wide
 * settings every reader of the log may see; a shop-limited reader sees the other installation-wide
 * entries (tokens for every shop) not at all, and shop entries only for its own shops.
 */
export const AUDIT_ACTIONS = {
  "shop.create": { global: false },
  "shop.review": { global: false },
  "shop.credentials": { global: false },
  "shop.disconnect": { global: false },
  "shop.return_address": { global: false },
  "settings.risk": { global: true },
  "settings.quality": { global: true },
  "settings.fees": { global: true },
  "settings.refund_tender_order": { global: true },
  "settings.timezone": { global: true },
  "settings.assignment": { global: true },
  "settings.rules_activation": { global: true },
  "policies.set": { global: true },
  "rules.draft.create": { global: true },
  "rules.draft.update": { global: true },
  "rules.draft.delete": { global: true },
  "rules.request_activation": { global: true },
  "rules.activate": { global: true },
  "rules.suggestion.dismiss": { global: true },
  "token.create": { global: false },
  "token.revoke": { global: false },
  "user.create": { global: false },
  "user.update": { global: false },
  "reconciliation.resolve": { global: false },
  "reconciliation.reopen": { global: false },
  "webhook.create": { global: false },
  "webhook.update": { global: false },
  "webhook.rotate_secret": { global: false },
  "webhook.delete": { global: false },
} as const satisfies Record<string, { global: boolean }>;
export type AuditAction = keyof typeof AUDIT_ACTIONS;
export const AUDIT_ACTION_NAMES = Object.keys(AUDIT_ACTIONS) as AuditAction[];
export const GLOBAL_AUDIT_ACTIONS = AUDIT_ACTION_NAMES.filter((a) => AUDIT_ACTIONS[a].global);

/** What kind of thing an action changes: the part of its name before the first dot (shop, rules, token…). */
export const auditObjectOf = (action: AuditAction) => action.slice(0, action.indexOf(".")) as AuditObject;
export type AuditObject = AuditAction extends `${infer O}.${string}` ? O : never;
export const AUDIT_OBJECTS = [...new Set(AUDIT_ACTION_NAMES.map(auditObjectOf))];

/** A change made without a person behind it (the demo loader, tests). */
export const SYSTEM_ACTOR: Actor = { kind: "system", id: "aftersales" };

/** Record a change; `tx` is the transaction that makes it, so both commit or neither does. */
export const audit = (
  tx: Tx,
  ctx: FlowContext,
  actor: Actor,
  e: {
    action: AuditAction;
    subject?: string | null;
    shops?: readonly string[] | null;
    before: unknown;
    after: unknown;
  },
) =>
  appendAudit(tx, {
    at: ctx.now(),
    actor: actorName(actor),
    actorTokenId: actor.tokenId ?? null,
    ...e,
  });
