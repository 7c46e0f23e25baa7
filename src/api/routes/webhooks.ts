import { Type } from "@fastify/type-provider-typebox";
import { WEBHOOK_EVENT_TYPES } from "../../domain/webhooks.ts";
import type { FlowContext } from "../../flows/context.ts";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  replayWebhookDelivery,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhookEndpoint,
} from "../../flows/webhooks.ts";
import { actorOf, principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) });
// Plain strings, checked by the flow, so a wrong one gets its own code (WEBHOOK_URL_INVALID,
// WEBHOOK_EVENT_TYPE_UNKNOWN) rather than a generic validation error.
const Url = Type.String({ maxLength: 2000, description: "An http:// or https:// address" });
const EventTypes = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 50,
  description: `Event types to hear of (${WEBHOOK_EVENT_TYPES.join(", ")}); empty: every type`,
});
const Shops = Type.Union(
  [Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 }), Type.Null()],
  {
    description: "The shops whose cases it hears of; null: every shop. Omitted on create: your shops",
  },
);

/** Webhook endpoints for integrators: signed per Standard Webhooks, delivered through the outbox. */
export async function webhookRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  const scope = (req: Parameters<typeof principal>[0]) => ({ shops: principal(req).shops });

  app.get(
    "/webhooks/event-types",
    {
      config: { permission: "webhooks.read" },
      schema: { tags: ["webhooks"], summary: "The event types an endpoint may subscribe to" },
    },
    async () => ({ items: WEBHOOK_EVENT_TYPES }),
  );

  app.get(
    "/webhooks",
    {
      config: { permission: "webhooks.read" },
      schema: { tags: ["webhooks"], summary: "Webhook endpoints within your shops (never their secrets)" },
    },
    async (req) => listWebhookEndpoints(ctx, scope(req)),
  );

  app.post(
    "/webhooks",
    {
      config: { permission: "webhooks.write" },
      schema: {
        tags: ["webhooks"],
        summary:
          "Add an endpoint; the answer's `secret` (whsec_…) is shown this once. Each message is POSTed with " +
          "webhook-id, webhook-timestamp and webhook-signature (v1,base64 HMAC-SHA256 of id.timestamp.body)",
        body: Type.Object({
          url: Url,
          description: Type.Optional(Type.String({ maxLength: 500 })),
          eventTypes: Type.Optional(EventTypes),
          shops: Type.Optional(Shops),
        }),
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createWebhookEndpoint(ctx, actorOf(principal(req)), scope(req), req.body)),
  );

  app.patch(
    "/webhooks/:id",
    {
      config: { permission: "webhooks.write" },
      schema: {
        tags: ["webhooks"],
        summary: "Change an endpoint, or disable or enable it (enabling clears why it was disabled)",
        params: Id,
        body: Type.Object({
          url: Type.Optional(Url),
          description: Type.Optional(Type.String({ maxLength: 500 })),
          eventTypes: Type.Optional(EventTypes),
          shops: Type.Optional(Shops),
          enabled: Type.Optional(Type.Boolean()),
        }),
      },
    },
    async (req) => updateWebhookEndpoint(ctx, actorOf(principal(req)), scope(req), req.params.id, req.body),
  );

  app.delete(
    "/webhooks/:id",
    {
      config: { permission: "webhooks.write" },
      schema: { tags: ["webhooks"], summary: "Delete an endpoint and its deliveries", params: Id },
    },
    async (req) => deleteWebhookEndpoint(ctx, actorOf(principal(req)), scope(req), req.params.id),
  );

  app.post(
    "/webhooks/:id/secret",
    {
      config: { permission: "webhooks.write" },
      schema: {
        tags: ["webhooks"],
        summary: "Rotate the signing secret: the new one signs from now on and is shown this once",
        params: Id,
      },
    },
    async (req) => rotateWebhookSecret(ctx, actorOf(principal(req)), scope(req), req.params.id),
  );

  app.post(
    "/webhooks/:id/test",
    {
      config: { permission: "webhooks.write" },
      schema: { tags: ["webhooks"], summary: "Send a webhook.test event to the endpoint", params: Id },
    },
    async (req, reply) => reply.status(202).send(await sendTestWebhook(ctx, scope(req), req.params.id)),
  );

  app.get(
    "/webhooks/:id/deliveries",
    {
      config: { permission: "webhooks.read" },
      schema: {
        tags: ["webhooks"],
        summary: "An endpoint's deliveries, newest first: a page and how many in all",
        params: Id,
        querystring: Type.Object({
          status: Type.Optional(Enum(["pending", "succeeded", "failed", "dead"])),
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) =>
      listWebhookDeliveries(ctx, scope(req), req.params.id, {
        status: req.query.status,
        offset: req.query.offset ?? 0,
        limit: req.query.limit ?? 50,
      }),
  );

  app.post(
    "/webhooks/:id/deliveries/:deliveryId/replay",
    {
      config: { permission: "webhooks.write" },
      schema: {
        tags: ["webhooks"],
        summary: "Send a delivery again, as a new attempt with the same webhook-id",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }), deliveryId: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(await replayWebhookDelivery(ctx, scope(req), req.params.id, req.params.deliveryId)),
  );
}
