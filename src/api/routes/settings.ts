import { Type } from "@fastify/type-provider-typebox";
import { POLICY_CODES } from "../../domain/catalogue.ts";
import { AppError } from "../../domain/errors.ts";
import { QUALITY_THRESHOLD_FIELDS } from "../../domain/risk/quality.ts";
import {
  RISK_AMOUNT_CURRENCY,
  RISK_SIGNAL_WEIGHTS,
  RISK_THRESHOLD_FIELDS,
  riskThresholdsFromJson,
  riskThresholdsJson,
} from "../../domain/risk/thresholds.ts";
import type { FlowContext } from "../../flows/context.ts";
import {
  assignmentSettings,
  getShopReview,
  qualityThresholds,
  refundTenderOrder,
  riskThresholds,
  rulesActivation,
  setAssignment,
  setPolicies,
  setQualityThresholds,
  setRefundTenderOrder,
  setRiskThresholds,
  setRulesActivation,
  setShopReview,
  setTimeZone,
  timeZone,
} from "../../flows/settings.ts";
import { findShop, shopCurrency } from "../../store/orders.ts";
import { listPolicies } from "../../store/settings.ts";
import { actorOf, canSeeShop, principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Amount, Enum } from "./schemas.ts";

// A limit applies to each case in that case's own currency (a shop sells in one).
const Limit = Type.Union([Amount, Type.Null()], {
  description: 'Decimal amount in each case\'s currency, e.g. "200.00"; null: none',
});

/** Review settings per shop, risk and quality thresholds, the time zone and product policies. */
export async function settingsRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  const shopParams = Type.Object({ shop: Type.String() });
  app.get(
    "/shops/:shop/review-settings",
    { config: { permission: "cases.read" }, schema: { tags: ["settings"], params: shopParams } },
    async (req) => {
      const p = principal(req);
      if (!canSeeShop(p, req.params.shop) || !(await findShop(ctx.db, req.params.shop)))
        throw new AppError("SHOP_NOT_FOUND", `Shop "${req.params.shop}" does not exist`, {
          shop: req.params.shop,
        });
      return {
        ...(await getShopReview(ctx.db, req.params.shop)),
        currency: (await shopCurrency(ctx.db, req.params.shop)) ?? null,
      };
    },
  );
  app.put(
    "/shops/:shop/review-settings",
    {
      config: { permission: "settings.write" },
      schema: {
        tags: ["settings"],
        params: shopParams,
        body: Type.Object(
          { autoRefundLimit: Type.Optional(Limit), secondApprovalAbove: Type.Optional(Limit) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      if (!canSeeShop(p, req.params.shop))
        throw new AppError("SHOP_NOT_FOUND", `Shop "${req.params.shop}" does not exist`, {
          shop: req.params.shop,
        });
      return setShopReview(ctx, req.params.shop, req.body, actorOf(p));
    },
  );

  app.get(
    "/settings/risk",
    { config: { permission: "alerts.read" }, schema: { tags: ["settings"] } },
    async () => riskThresholdsJson(await riskThresholds(ctx)),
  );
  app.put(
    "/settings/risk",
    {
      config: { permission: "settings.write", allShops: true },
      schema: {
        tags: ["settings"],
        body: Type.Unknown({
          description: `The thresholds that differ from the defaults (the rest take their defaults); amountFloor is a decimal amount in ${RISK_AMOUNT_CURRENCY} (the installation's base currency), e.g. "500.00"`,
        }),
      },
    },
    async (req) =>
      riskThresholdsJson(
        await setRiskThresholds(ctx, riskThresholdsFromJson(req.body), actorOf(principal(req))),
      ),
  );
  app.get(
    "/settings/thresholds/fields",
    {
      config: { permission: "alerts.read" },
      schema: { tags: ["settings"], summary: "What each risk and quality-alert threshold is, for an editor" },
    },
    async () => ({
      risk: { fields: RISK_THRESHOLD_FIELDS, signals: RISK_SIGNAL_WEIGHTS, currency: RISK_AMOUNT_CURRENCY },
      quality: { fields: QUALITY_THRESHOLD_FIELDS },
    }),
  );
  app.get(
    "/settings/quality",
    { config: { permission: "alerts.read" }, schema: { tags: ["settings"] } },
    async (_req) => {
      return qualityThresholds(ctx);
    },
  );
  app.put(
    "/settings/quality",
    {
      config: { permission: "settings.write", allShops: true },
      schema: { tags: ["settings"], body: Type.Unknown() },
    },
    async (req) => {
      return setQualityThresholds(ctx, req.body, actorOf(principal(req)));
    },
  );
  // The order a refund goes back over an order's tenders: cash, points, coupons (退款顺序).
  app.get(
    "/settings/refunds",
    { config: { permission: "cases.read" }, schema: { tags: ["settings"] } },
    async (_req) => {
      return { tenderOrder: await refundTenderOrder(ctx.db) };
    },
  );
  app.put(
    "/settings/refunds",
    {
      config: { permission: "settings.write", allShops: true },
      schema: { tags: ["settings"], body: Type.Object({ tenderOrder: Type.Array(Type.String()) }) },
    },
    async (req) => {
      return { tenderOrder: await setRefundTenderOrder(ctx, req.body.tenderOrder, actorOf(principal(req))) };
    },
  );
  app.get(
    "/settings/timezone",
    { config: { permission: "cases.read" }, schema: { tags: ["settings"] } },
    async (_req) => {
      return { timeZone: await timeZone(ctx) };
    },
  );
  app.put(
    "/settings/timezone",
    {
      config: { permission: "settings.write", allShops: true },
      schema: { tags: ["settings"], body: Type.Object({ timeZone: Type.String() }) },
    },
    async (req) => {
      await setTimeZone(ctx, req.body.timeZone, actorOf(principal(req)));
      return { timeZone: req.body.timeZone };
    },
  );

  // Whether cases left for a person are given out round robin (自动分配).
  app.get(
    "/settings/assignment",
    { config: { permission: "cases.read" }, schema: { tags: ["settings"] } },
    async () => assignmentSettings(ctx.db),
  );
  app.put(
    "/settings/assignment",
    {
      config: { permission: "settings.write", allShops: true },
      schema: {
        tags: ["settings"],
        body: Type.Object({
          auto: Type.Boolean({
            description: "Give each case left for a person to the next on-duty reviewer, round robin",
          }),
        }),
      },
    },
    async (req) => setAssignment(ctx, req.body, actorOf(principal(req))),
  );

  // Maker–checker for rule sets (规则启用复核).
  app.get(
    "/settings/rules-activation",
    { config: { permission: "rules.read" }, schema: { tags: ["settings"] } },
    async () => rulesActivation(ctx.db),
  );
  app.put(
    "/settings/rules-activation",
    {
      config: { permission: "settings.write", allShops: true },
      schema: {
        tags: ["settings"],
        body: Type.Object(
          {
            secondPerson: Type.Boolean({
              description: "A rule set draft is activated by a person who did not write it",
            }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => setRulesActivation(ctx, req.body, actorOf(principal(req))),
  );

  app.get(
    "/catalog/policies",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["settings"],
        summary:
          "SKUs and categories with after-sales policies (售后政策), by kind and key: a page and the total",
        querystring: Type.Object({
          kind: Type.Optional(Enum(["sku", "category"])),
          q: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, description: "Part of the SKU or category" }),
          ),
          policy: Type.Optional(Enum(POLICY_CODES)),
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const { rows, total } = await listPolicies(ctx.db, {
        kind: req.query.kind as "sku" | "category" | undefined,
        q: req.query.q,
        policy: req.query.policy,
        offset: req.query.offset ?? 0,
        limit: req.query.limit ?? 50,
      });
      return {
        items: rows.map((r) => ({ kind: r.kind, key: r.key, policies: r.policies, updatedAt: r.updated_at })),
        total,
      };
    },
  );
  app.put(
    "/catalog/policies/:kind/:key",
    {
      config: { permission: "settings.write", allShops: true },
      schema: {
        tags: ["settings"],
        summary: "Set the after-sales policies (售后政策) of a SKU or a category; an empty list clears them",
        params: Type.Object({
          kind: Enum(["sku", "category"]),
          key: Type.String({ minLength: 1, maxLength: 100, description: "The SKU or category (trimmed)" }),
        }),
        body: Type.Object({ policies: Type.Array(Enum(POLICY_CODES)) }),
      },
    },
    async (req) => {
      return setPolicies(
        ctx,
        req.params.kind as "sku" | "category",
        req.params.key,
        req.body.policies,
        actorOf(principal(req)),
      );
    },
  );
}
