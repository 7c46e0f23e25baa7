import { Type } from "@fastify/type-provider-typebox";
import { CUSTOMER_TIERS } from "../../domain/catalogue.ts";
import { AppError } from "../../domain/errors.ts";
import { LOGISTICS_STATUSES, TENDERS } from "../../domain/order.ts";
import type { FlowContext } from "../../flows/context.ts";
import { ingestOrder } from "../../flows/ingest-order.ts";
import { previewRefund } from "../../flows/quote-refund.ts";
import { findOrder } from "../../store/orders.ts";
import { orderDetail } from "../../store/views.ts";
import { canSeeShop, principal } from "../auth.ts";
import { orderJson, quoteJson } from "../serialize.ts";
import type { App } from "../server.ts";
import { Amount, Deductions, Enum, Items, Reason } from "./schemas.ts";

const OrderBody = Type.Object({
  shop: Type.String(),
  externalId: Type.String({ minLength: 1 }),
  currency: Type.String({ minLength: 3, maxLength: 3 }),
  customer: Type.Optional(
    Type.Object({
      id: Type.String({ minLength: 1 }),
      name: Type.Optional(Type.String()),
      phone: Type.Optional(Type.String()),
      email: Type.Optional(Type.String({ format: "email" })),
      wechatOpenId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      language: Type.Optional(Type.Union([Type.Literal("zh-CN"), Type.Literal("en")])),
      tier: Type.Optional(Enum(CUSTOMER_TIERS)),
      creditScore: Type.Optional(Type.Integer({ minimum: 0 })),
      tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    }),
  ),
  address: Type.Optional(Type.String()),
  deviceId: Type.Optional(Type.String()),
  placedAt: Type.Optional(Type.String({ format: "date-time" })),
  paidAt: Type.Optional(Type.String({ format: "date-time" })),
  lines: Type.Array(
    Type.Object({
      externalId: Type.Optional(Type.String()),
      sku: Type.String({ minLength: 1 }),
      title: Type.Optional(Type.String()),
      category: Type.Optional(Type.String()),
      quantity: Type.Integer(),
      unitPrice: Amount,
      discount: Type.Optional(Amount),
      paid: Type.Optional(Amount),
    }),
  ),
  discounts: Type.Optional(
    Type.Array(Type.Object({ kind: Type.String(), name: Type.Optional(Type.String()), amount: Amount })),
  ),
  shippingFee: Type.Optional(Amount),
  payments: Type.Optional(
    Type.Array(
      Type.Object({ tender: Enum(TENDERS), amount: Amount, transactionId: Type.Optional(Type.String()) }),
    ),
  ),
  shipments: Type.Optional(
    Type.Array(
      Type.Object({
        carrier: Type.String({ minLength: 1 }),
        trackingNo: Type.String({ minLength: 1 }),
        status: Type.Optional(Enum(LOGISTICS_STATUSES)),
        shippedAt: Type.Optional(Type.String({ format: "date-time" })),
        signedAt: Type.Optional(Type.String({ format: "date-time" })),
        eta: Type.Optional(Type.String({ format: "date-time" })),
      }),
    ),
  ),
});

export async function orderRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.post(
    "/orders",
    { config: { permission: "orders.write" }, schema: { tags: ["orders"], body: OrderBody } },
    async (req, reply) => {
      const p = principal(req);
      if (!canSeeShop(p, req.body.shop))
        throw new AppError("SHOP_FORBIDDEN", `This token may not write to shop "${req.body.shop}"`, {
          shop: req.body.shop,
        });
      const res = await ingestOrder(ctx, req.body as never);
      return reply.status(res.outcome === "created" ? 201 : 200).send(res);
    },
  );

  app.get(
    "/orders/:id",
    {
      config: { permission: "orders.read" },
      schema: { tags: ["orders"], params: Type.Object({ id: Type.Integer() }) },
    },
    async (req) => {
      const p = principal(req);
      const d = await orderDetail(ctx.db, req.params.id);
      if (!d || !canSeeShop(p, d.order.shop_id))
        throw new AppError("ORDER_NOT_FOUND", `Order ${req.params.id} does not exist`, {
          orderId: req.params.id,
        });
      return orderJson(d);
    },
  );

  app.get(
    "/orders",
    {
      config: { permission: "orders.read" },
      schema: {
        tags: ["orders"],
        querystring: Type.Object({ shop: Type.String(), externalId: Type.String() }),
      },
    },
    async (req) => {
      const p = principal(req);
      if (!canSeeShop(p, req.query.shop)) return { items: [] };
      const row = await ctx.db
        .selectFrom("orders")
        .select("id")
        .where("shop_id", "=", req.query.shop)
        .where("external_id", "=", req.query.externalId)
        .executeTakeFirst();
      const d = row ? await orderDetail(ctx.db, row.id) : undefined;
      return { items: d ? [orderJson(d)] : [] };
    },
  );

  app.post(
    "/refund-quotes",
    {
      config: { permission: "quotes" },
      schema: {
        tags: ["refunds"],
        body: Type.Object({
          orderId: Type.Integer(),
          items: Items,
          reason: Reason,
          amount: Type.Optional(Amount),
          deductions: Type.Optional(Deductions),
          shipping: Type.Optional(Amount),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const order = await findOrder(ctx.db, req.body.orderId);
      if (!order || !canSeeShop(p, order.shop_id))
        throw new AppError("ORDER_NOT_FOUND", `Order ${req.body.orderId} does not exist`, {
          orderId: req.body.orderId,
        });
      const { orderId, ...rest } = req.body;
      return quoteJson(await previewRefund(ctx, orderId, rest as never));
    },
  );
}
