import { Type } from "@fastify/type-provider-typebox";
import { ChannelUnavailableError, NotificationRejectedError } from "../../channels/payments/channel.ts";
import { platformFor } from "../../channels/platforms/registry.ts";
import { AppError } from "../../domain/errors.ts";
import type { FlowContext } from "../../flows/context.ts";
import { getReturnAddress, setReturnAddress } from "../../flows/platform-decision.ts";
import { removeShopCredentials, setShopCredentials } from "../../flows/shops.ts";
import { receivePlatformPush, syncShopStreams } from "../../flows/sync-platform.ts";
import { credentialSummary } from "../../store/credentials.ts";
import { findShop } from "../../store/orders.ts";
import { actorOf, canSeeShop, principal } from "../auth.ts";
import { sendProblem } from "../problems.ts";
import type { App } from "../server.ts";

/** Credential fields every adapter takes: where its API is (a simulator, a sandbox, a proxy). */
const COMMON_FIELDS = ["gateway"];

/**
 * A shop's connection to its platform: credentials (write-only — reads say which fields are set,
 * never their values), the return address the platform is told, and how far its sync has got.
 */
export async function platformRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  const shopParams = Type.Object({ shop: Type.String() });
  const adapterFor = (channel: string) => (ctx.platforms ?? platformFor)(channel);

  async function shopFor(req: Parameters<typeof principal>[0], shopId: string) {
    const p = principal(req);
    const shop = canSeeShop(p, shopId) ? await findShop(ctx.db, shopId) : undefined;
    if (!shop) throw new AppError("SHOP_NOT_FOUND", `Shop "${shopId}" does not exist`, { shop: shopId });
    return shop;
  }

  async function describe(shop: { id: string; channel: string }) {
    const adapter = adapterFor(shop.channel);
    const summary = await credentialSummary(ctx.db, ctx.secrets, shop.id);
    return {
      shop: shop.id,
      channel: shop.channel,
      supported: Boolean(adapter),
      connected: Boolean(summary),
      fields: summary?.fields ?? [],
      required: [...(adapter?.credentialFields ?? [])],
      optional: [...(adapter?.optionalCredentialFields ?? []), ...COMMON_FIELDS],
      updatedAt: summary?.updatedAt ?? null,
    };
  }

  app.get(
    "/shops/:shop/credentials",
    {
      config: { permission: "shops.write" },
      schema: {
        tags: ["platforms"],
        summary: "Which credential fields a shop has set (never their values)",
        params: shopParams,
      },
    },
    async (req) => describe(await shopFor(req, req.params.shop)),
  );

  app.put(
    "/shops/:shop/credentials",
    {
      config: { permission: "shops.write" },
      schema: {
        tags: ["platforms"],
        summary: "Set a shop's platform credentials (write-only; stored sealed with the installation's key)",
        params: shopParams,
        body: Type.Record(
          Type.String({ pattern: "^[a-z_]{1,64}$" }),
          Type.String({ minLength: 1, maxLength: 4096 }),
        ),
      },
    },
    async (req) => {
      const shop = await shopFor(req, req.params.shop);
      const adapter = adapterFor(shop.channel);
      if (!adapter)
        throw new AppError(
          "PLATFORM_NOT_SUPPORTED",
          `There is no platform adapter for the ${shop.channel} channel`,
          {
            channel: shop.channel,
          },
        );
      const body = req.body as Record<string, string>;
      const allowed = [
        ...adapter.credentialFields,
        ...(adapter.optionalCredentialFields ?? []),
        ...COMMON_FIELDS,
      ];
      const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
      if (unknown.length)
        throw new AppError(
          "UNKNOWN_CREDENTIAL_FIELD",
          `Not a ${shop.channel} credential: ${unknown.join(", ")}`,
          { unknown, allowed, channel: shop.channel },
        );
      const missing = adapter.credentialFields.filter((k) => !body[k]?.trim());
      if (missing.length)
        throw new AppError("CREDENTIAL_FIELDS_MISSING", `Missing: ${missing.join(", ")}`, { missing });
      if (body.gateway && !/^https?:\/\/\S+$/.test(body.gateway))
        throw new AppError("INVALID_GATEWAY", "gateway must be an http(s) URL");
      await setShopCredentials(ctx, actorOf(principal(req)), shop.id, body);
      return describe(shop);
    },
  );

  app.delete(
    "/shops/:shop/credentials",
    {
      config: { permission: "shops.write" },
      schema: { tags: ["platforms"], summary: "Disconnect a shop from its platform", params: shopParams },
    },
    async (req, reply) => {
      const shop = await shopFor(req, req.params.shop);
      await removeShopCredentials(ctx, actorOf(principal(req)), shop.id);
      return reply.status(204).send();
    },
  );

  const Address = Type.Object(
    {
      name: Type.String({ minLength: 1 }),
      phone: Type.String({ minLength: 1 }),
      address: Type.String({ minLength: 1 }),
      postcode: Type.Optional(Type.String()),
      addressId: Type.Optional(
        Type.String({ description: "The platform's id of this address (Taobao seller_address_id)" }),
      ),
    },
    { additionalProperties: false },
  );
  app.get(
    "/shops/:shop/return-address",
    {
      config: { permission: "shops.write" },
      schema: { tags: ["platforms"], params: shopParams },
    },
    async (req) => {
      const shop = await shopFor(req, req.params.shop);
      return (await getReturnAddress(ctx, shop.id)) ?? null;
    },
  );
  app.put(
    "/shops/:shop/return-address",
    {
      config: { permission: "shops.write" },
      schema: {
        tags: ["platforms"],
        summary: "Where the shop's buyers send returns — what the platform is told when a return is agreed",
        params: shopParams,
        body: Address,
      },
    },
    async (req) => {
      const shop = await shopFor(req, req.params.shop);
      return setReturnAddress(ctx, shop.id, req.body, actorOf(principal(req)));
    },
  );

  async function syncStatus(shopId: string) {
    const cursors = await ctx.db
      .selectFrom("sync_cursors")
      .selectAll()
      .where("shop_id", "=", shopId)
      .orderBy("stream")
      .execute();
    const failed = await ctx.db
      .selectFrom("platform_requests")
      .select(["external_id", "error", "attempts", "updated_at"])
      .where("shop_id", "=", shopId)
      .where("error", "is not", null)
      .orderBy("updated_at", "desc")
      .limit(50)
      .execute();
    const now = ctx.now();
    return {
      shop: shopId,
      streams: cursors.map((c) => ({
        stream: c.stream,
        syncedTo: c.synced_to,
        inWindow: c.cursor,
        running: c.lease_until !== null && new Date(c.lease_until) > now,
        lastError: c.last_error,
        lastRunAt: c.updated_at,
      })),
      failedRequests: failed.map((f) => ({
        externalId: f.external_id,
        error: f.error,
        attempts: f.attempts,
        at: f.updated_at,
      })),
    };
  }

  app.get(
    "/shops/:shop/sync",
    {
      config: { permission: "shops.write" },
      schema: {
        tags: ["platforms"],
        summary: "How far the shop's platform sync has got",
        params: shopParams,
      },
    },
    async (req) => syncStatus((await shopFor(req, req.params.shop)).id),
  );

  app.post(
    "/shops/:shop/sync",
    {
      config: { permission: "shops.write" },
      schema: {
        tags: ["platforms"],
        summary:
          "Sync the shop now: one pass over each stream, which also retries the requests that failed before; answers with where the sync then stands",
        params: shopParams,
      },
    },
    async (req) => {
      const shop = await shopFor(req, req.params.shop);
      await syncShopStreams(ctx, shop.id);
      return syncStatus(shop.id);
    },
  );
}

/**
 * Platform push messages (Taobao TMC, webhooks): no API token — the adapter checks the platform's own
 * signature with the shop's credentials, over the raw body.
 */
export async function platformCallbackRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.post<{ Params: { shop: string } }>(
    "/callbacks/platforms/:shop",
    {
      schema: {
        tags: ["callbacks"],
        summary: "A platform's signed push message about a shop's requests or orders",
      },
    },
    async (req, reply) => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(",") : v]),
      );
      try {
        const result = await receivePlatformPush(ctx, req.params.shop, headers, String(req.body ?? ""));
        return { success: true, status: result.status };
      } catch (e) {
        if (e instanceof NotificationRejectedError) throw new AppError(e.code, e.message);
        // The platform could not be read back: not acknowledged, so it delivers the message again.
        if (e instanceof ChannelUnavailableError)
          return sendProblem(reply, 503, "PLATFORM_UNAVAILABLE", e.message);
        throw e;
      }
    },
  );
}
