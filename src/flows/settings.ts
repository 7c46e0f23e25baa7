import { type RawBuilder, sql } from "kysely";
import { POLICY_CODES, type PolicyCode } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { DEFAULT_FEES, type FeePolicy, validateFees } from "../domain/ledger.ts";
import { isCurrency, parseMinor } from "../domain/money.ts";
import type { Tender } from "../domain/order.ts";
import { DEFAULT_QUALITY_THRESHOLDS, validateQualityThresholds } from "../domain/risk/quality.ts";
import {
  DEFAULT_RISK_THRESHOLDS,
  riskThresholdsJson,
  validateRiskThresholds,
} from "../domain/risk/thresholds.ts";
import { DEFAULT_TENDER_ORDER, validateTenderOrder } from "../domain/tenders.ts";
import { findShop, type Tx } from "../store/orders.ts";
import {
  getSetting,
  policiesOf,
  putPolicies,
  putSetting,
  putShopReview,
  shopReview,
} from "../store/settings.ts";
import { type AuditAction, audit, SYSTEM_ACTOR } from "./audit.ts";
import type { Actor, FlowContext } from "./context.ts";

/**
 * A shop's review settings. Amounts are decimal strings in the case's currency, so one setting
 * works for a shop whatever it sells in.
 */
export interface ShopReviewSettings {
  /** Rule-approved refund_only cases up to this amount are refunded at once (null: never). */
  autoRefundLimit: string | null;
  /** Approvals above this amount need a second, different person (maker–checker; null: off). */
  secondApprovalAbove: string | null;
}

export const DEFAULT_SHOP_REVIEW: ShopReviewSettings = {
  autoRefundLimit: "200.00",
  secondApprovalAbove: null,
};

const REVIEW_KEYS = Object.keys(DEFAULT_SHOP_REVIEW) as (keyof ShopReviewSettings)[];

/** A shop's review settings from what is stored (null: nothing). */
export const shopReviewOf = (stored: Record<string, unknown> | null | undefined): ShopReviewSettings =>
  ({ ...DEFAULT_SHOP_REVIEW, ...stored }) as ShopReviewSettings;

/** `db` may be a transaction: flows holding a lock must read through it (PGlite has one connection). */
export async function getShopReview(db: Tx, shopId: string): Promise<ShopReviewSettings> {
  return shopReviewOf(await shopReview(db, shopId));
}

export async function setShopReview(
  ctx: FlowContext,
  shopId: string,
  input: Partial<ShopReviewSettings>,
  actor: Actor = SYSTEM_ACTOR,
): Promise<ShopReviewSettings> {
  for (const key of Object.keys(input)) {
    if (!REVIEW_KEYS.includes(key as keyof ShopReviewSettings))
      fail("INVALID_SETTING", `Unknown review setting "${key}"`, { key });
  }
  for (const key of REVIEW_KEYS) {
    const v = input[key];
    if (v !== undefined && v !== null) parseMinor(v, "CNY"); // a malformed amount fails here, clearly
  }
  return ctx.db.transaction().execute(async (tx) => {
    if (!(await findShop(tx, shopId)))
      fail("SHOP_NOT_FOUND", `Shop "${shopId}" does not exist`, { shop: shopId });
    const before = await getShopReview(tx, shopId);
    const next = { ...before, ...input };
    await putShopReview(tx, shopId, next as unknown as Record<string, unknown>);
    await audit(tx, ctx, actor, {
      action: "shop.review",
      subject: shopId,
      shops: [shopId],
      before,
      after: next,
    });
    return next;
  });
}

/** `amount` (minor units) is above the decimal `limit` in `currency`; a null limit is never exceeded. */
export const above = (amount: number, limit: string | null, currency: string) =>
  limit !== null && isCurrency(currency) && amount > parseMinor(limit, currency);

export const riskThresholds = async (ctx: Pick<FlowContext, "db">) =>
  validateRiskThresholds((await getSetting(ctx.db, "risk.thresholds")) ?? {});
export const qualityThresholds = async (ctx: FlowContext) =>
  validateQualityThresholds((await getSetting(ctx.db, "quality.thresholds")) ?? {});

export async function setRiskThresholds(ctx: FlowContext, input: unknown, actor: Actor = SYSTEM_ACTOR) {
  const t = validateRiskThresholds(input);
  // The audit log is read over the API: it keeps the thresholds as the API speaks them (amounts as text).
  await putAudited(ctx, actor, "settings.risk", "risk.thresholds", input, riskThresholdsJson(t), (v) =>
    riskThresholdsJson(validateRiskThresholds(v ?? {})),
  );
  return t;
}
export async function setQualityThresholds(ctx: FlowContext, input: unknown, actor: Actor = SYSTEM_ACTOR) {
  const t = validateQualityThresholds(input);
  await putAudited(ctx, actor, "settings.quality", "quality.thresholds", input, t, (v) =>
    validateQualityThresholds(v ?? {}),
  );
  return t;
}

/**
 * Write one installation-wide setting (`stored`, validated by the caller) and its audit entry in one
 * transaction; the entry holds the effective values before and after (`effective` of what was stored).
 */
async function putAudited(
  ctx: FlowContext,
  actor: Actor,
  action: AuditAction,
  key: string,
  stored: unknown,
  after: unknown,
  effective: (stored: unknown) => unknown,
) {
  await ctx.db.transaction().execute(async (tx) => {
    const before = effective(await getSetting(tx, key));
    await putSetting(tx, key, stored);
    await audit(tx, ctx, actor, { action, before, after });
  });
}

export { DEFAULT_QUALITY_THRESHOLDS, DEFAULT_RISK_THRESHOLDS };

/** The order a refund goes back over an order's tenders (see domain/tenders.ts); `db` may be a transaction. */
export async function refundTenderOrder(db: Tx): Promise<Tender[]> {
  return tenderOrderOf(await getSetting(db, "refunds.tenderOrder"));
}
/** The refund tender order from the stored setting (undefined or null: not set). */
export const tenderOrderOf = (stated: unknown): Tender[] =>
  stated === undefined || stated === null ? [...DEFAULT_TENDER_ORDER] : validateTenderOrder(stated);
export async function setRefundTenderOrder(
  ctx: FlowContext,
  input: unknown,
  actor: Actor = SYSTEM_ACTOR,
): Promise<Tender[]> {
  const order = validateTenderOrder(input);
  await putAudited(ctx, actor, "settings.refund_tender_order", "refunds.tenderOrder", order, order, (v) =>
    v === undefined ? [...DEFAULT_TENDER_ORDER] : validateTenderOrder(v),
  );
  return order;
}

/** Each payment channel's fee and whether a refund gets it back (see domain/ledger.ts). */
export async function financeFees(db: Tx): Promise<Record<string, FeePolicy>> {
  return feesOf(await getSetting(db, "finance.fees"));
}
/** The fee policies from the stored setting (undefined or null: not set). */
export const feesOf = (stated: unknown): Record<string, FeePolicy> => ({
  ...DEFAULT_FEES,
  ...(stated === undefined || stated === null ? {} : validateFees(stated)),
});
export async function setFinanceFees(
  ctx: FlowContext,
  input: unknown,
  actor: Actor = SYSTEM_ACTOR,
): Promise<Record<string, FeePolicy>> {
  const fees = validateFees(input);
  const effective = (v: unknown) => ({ ...DEFAULT_FEES, ...(v === undefined ? {} : validateFees(v)) });
  await putAudited(ctx, actor, "settings.fees", "finance.fees", fees, effective(fees), effective);
  return financeFees(ctx.db);
}

/** How cases left for a person find one (自动分配). */
export interface AssignmentSettings {
  /** Give each such case without an owner to the next on-duty reviewer, round robin (flows/assign-case.ts). */
  auto: boolean;
}
export const DEFAULT_ASSIGNMENT: AssignmentSettings = { auto: true };

/** `db` may be a transaction: the case step that assigns reads it under its lock. */
export async function assignmentSettings(db: Tx): Promise<AssignmentSettings> {
  const stated = (await getSetting(db, "assignment")) as Partial<AssignmentSettings> | undefined;
  return { ...DEFAULT_ASSIGNMENT, ...stated };
}
export async function setAssignment(
  ctx: FlowContext,
  input: AssignmentSettings,
  actor: Actor = SYSTEM_ACTOR,
): Promise<AssignmentSettings> {
  const next = { auto: input.auto === true };
  await putAudited(ctx, actor, "settings.assignment", "assignment", next, next, (v) => ({
    ...DEFAULT_ASSIGNMENT,
    ...(v as Partial<AssignmentSettings> | undefined),
  }));
  return next;
}

/** Who may make a rule set live (规则启用复核). */
export interface RulesActivationSettings {
  /**
   * Maker–checker: a draft is activated by a person who did not write it (create or change it). Off
   * by default, so an installation (and its scripts) that has one supervisor keeps working; the demo
   * turns it on. Rolling back to a version that was live before needs no second person: it was checked.
   */
  secondPerson: boolean;
}
export const DEFAULT_RULES_ACTIVATION: RulesActivationSettings = { secondPerson: false };

const rulesActivationOf = (stored: unknown): RulesActivationSettings => ({
  ...DEFAULT_RULES_ACTIVATION,
  ...(stored as Partial<RulesActivationSettings> | undefined),
});
/** `db` may be a transaction: activation reads it under its own. */
export async function rulesActivation(db: Tx): Promise<RulesActivationSettings> {
  return rulesActivationOf(await getSetting(db, "rules.activation"));
}
export async function setRulesActivation(
  ctx: FlowContext,
  input: RulesActivationSettings,
  actor: Actor = SYSTEM_ACTOR,
): Promise<RulesActivationSettings> {
  const next = { secondPerson: input.secondPerson === true };
  await putAudited(
    ctx,
    actor,
    "settings.rules_activation",
    "rules.activation",
    next,
    next,
    rulesActivationOf,
  );
  return next;
}

const DEFAULT_TIME_ZONE = "Asia/Shanghai";

/** The merchant's time zone: hours of day (unusual-hour risk, the rule condition) are local. */
export async function timeZone(ctx: Pick<FlowContext, "db">): Promise<string> {
  return ((await getSetting(ctx.db, "timezone")) as string | undefined) ?? DEFAULT_TIME_ZONE;
}
/** A time zone name we know (IANA), as a stored setting must be. Asking Intl costs 0.1-0.2 ms: once per name. */
export function isTimeZone(tz: unknown): tz is string {
  if (typeof tz !== "string") return false;
  let known = timeZones.get(tz);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      known = true;
    } catch {
      known = false;
    }
    if (timeZones.size < 1000) timeZones.set(tz, known);
  }
  return known;
}
const timeZones = new Map<string, boolean>();

export async function setTimeZone(ctx: FlowContext, tz: string, actor: Actor = SYSTEM_ACTOR) {
  if (!isTimeZone(tz)) fail("INVALID_TIMEZONE", `Unknown time zone "${tz}"`, { timeZone: tz });
  await putAudited(ctx, actor, "settings.timezone", "timezone", tz, tz, (v) => v ?? DEFAULT_TIME_ZONE);
}

/**
 * Set (or, with an empty list, clear) the after-sales policies of a SKU or a category (its name trimmed);
 * answers what is stored.
 */
export async function setPolicies(
  ctx: FlowContext,
  kind: "sku" | "category",
  name: string,
  policies: string[],
  actor: Actor = SYSTEM_ACTOR,
) {
  if (kind !== "sku" && kind !== "category")
    fail("INVALID_POLICY_SCOPE", `Policies apply to a sku or a category`, { field: "kind" });
  const key = name.trim();
  if (!key) fail("INVALID_POLICY_SCOPE", "A SKU or category name is required", { field: "key" });
  const unknown = policies.filter((p) => !POLICY_CODES.includes(p as PolicyCode));
  if (unknown.length > 0)
    fail("INVALID_POLICY", `Unknown policy "${unknown[0]}"; known: ${POLICY_CODES.join(", ")}`, {
      unknown,
      known: POLICY_CODES,
    });
  const after = [...new Set(policies)];
  await ctx.db.transaction().execute(async (tx) => {
    const before = await policiesOf(tx, kind, key);
    await putPolicies(tx, kind, key, after);
    await audit(tx, ctx, actor, { action: "policies.set", subject: `${kind}:${key}`, before, after });
  });
  return { kind, key, policies: after };
}

/** What judging a case needs besides its facts, as stored (reviewSettingsOf reads it). */
export interface StoredReviewSettings {
  tz: unknown;
  risk: unknown;
  version: number | null;
  review: Record<string, unknown> | null;
}

/**
 * The StoredReviewSettings of the shop `shopId` (an SQL expression) as columns, for a statement that
 * is sent anyway to read them with.
 */
export const reviewSettingsColumns = (shopId: RawBuilder<unknown>) =>
  sql<StoredReviewSettings>`(select value from settings where key = 'timezone') as tz,
         (select value from settings where key = 'risk.thresholds') as risk,
         (select version from rule_versions where status = 'active') as version,
         (select review from shops where id = ${shopId}) as review`;

/** The time zone setting from what is stored (undefined or null: the default). */
export const timeZoneOf = (tz: unknown) => (tz as string | undefined | null) ?? DEFAULT_TIME_ZONE;

export const reviewSettingsOf = (r: StoredReviewSettings | undefined) => ({
  timeZone: timeZoneOf(r?.tz),
  risk: validateRiskThresholds(r?.risk ?? {}),
  ruleVersion: r?.version ?? null,
  review: shopReviewOf(r?.review),
});
export type ReviewSettings = ReturnType<typeof reviewSettingsOf>;

/**
 * What judging one case needs besides its facts — time zone, risk thresholds, the live rule version
 * and its shop's review settings — in one round trip.
 */
export async function reviewSettings(ctx: FlowContext, caseId: number): Promise<ReviewSettings> {
  const { rows } = await sql<StoredReviewSettings>`
    select ${reviewSettingsColumns(sql`(select shop_id from cases where id = ${caseId})`)}`.execute(ctx.db);
  return reviewSettingsOf(rows[0]);
}
