import { type Kysely, type Selectable, sql, type Updateable } from "kysely";
import { newSecret, postWebhook } from "../channels/webhooks/send.ts";
import { fail } from "../domain/errors.ts";
import { formatMinor } from "../domain/money.ts";
import {
  eventTypeOf,
  nextAttemptAt,
  retryAfterMs,
  TEST_EVENT_TYPE,
  WEBHOOK_EVENT_TYPES,
} from "../domain/webhooks.ts";
import type { Tx } from "../store/orders.ts";
import type { DB, WebhookDeliveryTable, WebhookEndpointTable } from "../store/schema.ts";
import { requireKeyring as need, open, seal } from "../store/secrets.ts";
import { audit } from "./audit.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import type { FeedConsumer } from "./fan-out.ts";
import { grantedShops, requireShops, withinShops } from "./grants.ts";

/**
 * Webhooks to integrators: endpoints (the shops and event types each hears of, its signing secret), the
 * fan-out consumer that writes a delivery per event and endpoint, and the delivery itself — signed per
 * Standard Webhooks, retried on the spec's three-day schedule, replayable with the same webhook-id.
 */

/** The shops the caller is limited to (null: all); endpoints beyond them are not its to see or change. */
export interface WebhookScope {
  shops: readonly string[] | null;
}

type EndpointRow = Omit<
  Selectable<WebhookEndpointTable>,
  "secret_key_id" | "secret_iv" | "secret_tag" | "secret_ciphertext"
>;

export const endpointJson = (e: EndpointRow) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  eventTypes: e.event_types,
  shops: e.shops,
  enabled: e.enabled,
  disabledAt: e.disabled_at,
  disabledReason: e.disabled_reason,
  createdBy: e.created_by,
  createdAt: e.created_at,
  updatedAt: e.updated_at,
});

export const deliveryJson = (d: Selectable<WebhookDeliveryTable>) => ({
  id: d.id,
  endpointId: d.endpoint_id,
  messageId: d.message_id,
  eventId: d.event_id,
  eventType: d.event_type,
  payload: d.payload,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.next_attempt_at,
  lastStatusCode: d.last_status_code,
  lastError: d.last_error,
  responseExcerpt: d.response_excerpt,
  createdAt: d.created_at,
  deliveredAt: d.delivered_at,
});

const ENDPOINT_COLUMNS = [
  "id",
  "url",
  "description",
  "event_types",
  "shops",
  "enabled",
  "disabled_at",
  "disabled_reason",
  "created_by",
  "created_at",
  "updated_at",
] as const;

/** A receiver is reached over http(s) only: other schemes (file:, ftp:, javascript:…) are refused. */
function checkUrl(url: string) {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  if (!parsed || !["http:", "https:"].includes(parsed.protocol) || url.length > 2000)
    fail(
      "WEBHOOK_URL_INVALID",
      "A webhook URL is an http:// or https:// address of at most 2000 characters",
      {
        url,
      },
    );
}

function checkEventTypes(types: readonly string[]) {
  const unknown = types.filter((t) => !WEBHOOK_EVENT_TYPES.includes(t));
  if (unknown.length)
    fail("WEBHOOK_EVENT_TYPE_UNKNOWN", `Unknown event types: ${unknown.join(", ")}`, {
      unknown,
      known: WEBHOOK_EVENT_TYPES,
    });
  return [...new Set(types)];
}

/** The secret is sealed with the installation's keyring, bound to the endpoint, so it can sign again later. */
const sealSecret = (ctx: FlowContext, id: number, secret: string) => {
  const s = seal(need(ctx.secrets), Buffer.from(secret, "utf8"), `webhook:${id}`);
  return { secret_key_id: s.keyId, secret_iv: s.iv, secret_tag: s.tag, secret_ciphertext: s.ciphertext };
};

async function lockEndpoint(tx: Tx, scope: WebhookScope, id: number) {
  const e = await tx
    .selectFrom("webhook_endpoints")
    .select(ENDPOINT_COLUMNS)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  // One beyond the caller's shops answers as one that does not exist.
  if (!e || !withinShops({ roles: [], shops: scope.shops }, e.shops))
    return fail("WEBHOOK_NOT_FOUND", `Webhook endpoint ${id} does not exist`, { endpointId: id });
  return e;
}

export interface EndpointInput {
  url: string;
  description?: string;
  /** Empty or omitted: every event type. */
  eventTypes?: string[];
  /** Omitted: the caller's shops; null: every shop. */
  shops?: string[] | null;
}

/** Create an endpoint; its secret is in this answer only. */
export async function createWebhookEndpoint(
  ctx: FlowContext,
  actor: Actor,
  scope: WebhookScope,
  input: EndpointInput,
) {
  checkUrl(input.url);
  const eventTypes = checkEventTypes(input.eventTypes ?? []);
  const shops = grantedShops({ roles: [], shops: scope.shops }, "WEBHOOK", input.shops);
  need(ctx.secrets);
  return ctx.db.transaction().execute(async (tx) => {
    await requireShops(tx, shops);
    const { rows } = await sql<{
      id: number;
    }>`select nextval(pg_get_serial_sequence('webhook_endpoints', 'id'))::bigint as id`.execute(tx);
    const id = Number(rows[0]?.id);
    const secret = newSecret();
    const now = ctx.now();
    const e = await tx
      .insertInto("webhook_endpoints")
      .values({
        id,
        url: input.url,
        description: input.description ?? "",
        event_types: eventTypes,
        shops,
        ...sealSecret(ctx, id, secret),
        created_by: actorName(actor),
        created_at: now,
        updated_at: now,
      } as never)
      .returning(ENDPOINT_COLUMNS)
      .executeTakeFirstOrThrow();
    // Who sent the installation's data where: never the secret itself.
    await audit(tx, ctx, actor, {
      action: "webhook.create",
      subject: `${id}`,
      shops: e.shops,
      before: null,
      after: endpointJson(e),
    });
    return { ...endpointJson(e), secret };
  });
}

export async function listWebhookEndpoints(ctx: FlowContext, scope: WebhookScope) {
  let q = ctx.db.selectFrom("webhook_endpoints").select(ENDPOINT_COLUMNS).orderBy("id");
  // A shop-limited caller sees the endpoints limited to its own shops.
  if (scope.shops !== null)
    q = q.where(sql<boolean>`shops is not null and shops <@ ${[...scope.shops]}::text[]`);
  return { items: (await q.execute()).map(endpointJson) };
}

export interface EndpointPatch {
  url?: string;
  description?: string;
  eventTypes?: string[];
  shops?: string[] | null;
  /** false: stop sending (deliveries due meanwhile are dropped); true: send again. */
  enabled?: boolean;
}

export async function updateWebhookEndpoint(
  ctx: FlowContext,
  actor: Actor,
  scope: WebhookScope,
  id: number,
  patch: EndpointPatch,
) {
  if (patch.url !== undefined) checkUrl(patch.url);
  const eventTypes = patch.eventTypes && checkEventTypes(patch.eventTypes);
  const shops =
    patch.shops === undefined
      ? undefined
      : grantedShops({ roles: [], shops: scope.shops }, "WEBHOOK", patch.shops);
  return ctx.db.transaction().execute(async (tx) => {
    const before = await lockEndpoint(tx, scope, id);
    if (shops !== undefined) await requireShops(tx, shops);
    const now = ctx.now();
    const toggled =
      patch.enabled === undefined || patch.enabled === before.enabled
        ? {}
        : patch.enabled
          ? { enabled: true, disabled_at: null, disabled_reason: null }
          : { enabled: false, disabled_at: now, disabled_reason: `disabled by ${actorName(actor)}` };
    const e = await tx
      .updateTable("webhook_endpoints")
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(eventTypes ? { event_types: eventTypes } : {}),
        ...(shops !== undefined ? { shops } : {}),
        ...toggled,
        updated_at: now,
      })
      .where("id", "=", id)
      .returning(ENDPOINT_COLUMNS)
      .executeTakeFirstOrThrow();
    await audit(tx, ctx, actor, {
      action: "webhook.update",
      subject: `${id}`,
      shops: e.shops,
      before: endpointJson(before),
      after: endpointJson(e),
    });
    return endpointJson(e);
  });
}

/** A new secret at once (the old one stops signing); shown in this answer only. */
export async function rotateWebhookSecret(ctx: FlowContext, actor: Actor, scope: WebhookScope, id: number) {
  return ctx.db.transaction().execute(async (tx) => {
    await lockEndpoint(tx, scope, id);
    const secret = newSecret();
    const e = await tx
      .updateTable("webhook_endpoints")
      .set({ ...sealSecret(ctx, id, secret), updated_at: ctx.now() })
      .where("id", "=", id)
      .returning(ENDPOINT_COLUMNS)
      .executeTakeFirstOrThrow();
    await audit(tx, ctx, actor, {
      action: "webhook.rotate_secret",
      subject: `${id}`,
      shops: e.shops,
      before: null,
      after: { url: e.url },
    });
    return { ...endpointJson(e), secret };
  });
}

/** Delete an endpoint and its deliveries; their outbox messages find nothing to send. */
export async function deleteWebhookEndpoint(ctx: FlowContext, actor: Actor, scope: WebhookScope, id: number) {
  return ctx.db.transaction().execute(async (tx) => {
    const e = await lockEndpoint(tx, scope, id);
    await tx.deleteFrom("webhook_endpoints").where("id", "=", id).execute();
    await audit(tx, ctx, actor, {
      action: "webhook.delete",
      subject: `${id}`,
      shops: e.shops,
      before: endpointJson(e),
      after: null,
    });
    return endpointJson(e);
  });
}

/** The deliveries to an endpoint, newest first: a page and how many in all. */
export async function listWebhookDeliveries(
  ctx: FlowContext,
  scope: WebhookScope,
  id: number,
  page: { status?: string; offset: number; limit: number },
) {
  return ctx.db.transaction().execute(async (tx) => {
    await lockEndpoint(tx, scope, id);
    let q = tx.selectFrom("webhook_deliveries").where("endpoint_id", "=", id);
    if (page.status) q = q.where("status", "=", page.status);
    const total = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const rows = await q.selectAll().orderBy("id", "desc").offset(page.offset).limit(page.limit).execute();
    return { items: rows.map(deliveryJson), total: Number(total.n) };
  });
}

/** Queue a delivery's outbox message (again): a replay resets the one message, never adds a second. */
const queueDelivery = (tx: Tx, deliveryId: number, at: Date) =>
  sql`insert into outbox (topic, key, payload, available_at)
      values ('webhook.deliver', ${String(deliveryId)}, ${JSON.stringify({ deliveryId })}::jsonb, ${at})
      on conflict (topic, key) do update
        set status = 'pending', available_at = excluded.available_at, attempts = 0, done_at = null,
            last_error = null`.execute(tx);

const requireEnabled = (e: { id: number; enabled: boolean; disabled_reason: string | null }) =>
  e.enabled ||
  fail("WEBHOOK_ENDPOINT_DISABLED", `Webhook endpoint ${e.id} is disabled (${e.disabled_reason ?? ""})`, {
    endpointId: e.id,
    reason: e.disabled_reason,
  });

const envelope = (type: string, at: Date, data: Record<string, unknown>) => ({
  type,
  timestamp: at.toISOString(),
  data,
});

/** Send a webhook.test event to the endpoint, through the outbox like any other. */
export async function sendTestWebhook(ctx: FlowContext, scope: WebhookScope, id: number) {
  return ctx.db.transaction().execute(async (tx) => {
    requireEnabled(await lockEndpoint(tx, scope, id));
    const now = ctx.now();
    const d = await tx
      .insertInto("webhook_deliveries")
      .values({
        endpoint_id: id,
        message_id: sql<string>`'msg_' || replace(gen_random_uuid()::text, '-', '')`,
        event_id: null,
        event_type: TEST_EVENT_TYPE,
        payload: JSON.stringify(envelope(TEST_EVENT_TYPE, now, { endpointId: id })),
        next_attempt_at: now,
        created_at: now,
      } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    await queueDelivery(tx, d.id, now);
    return deliveryJson(d);
  });
}

/** Send a delivery again as a new attempt, with the same webhook-id (the receiver may drop it as seen). */
export async function replayWebhookDelivery(
  ctx: FlowContext,
  scope: WebhookScope,
  endpointId: number,
  deliveryId: number,
) {
  return ctx.db.transaction().execute(async (tx) => {
    requireEnabled(await lockEndpoint(tx, scope, endpointId));
    const now = ctx.now();
    const d = await tx
      .updateTable("webhook_deliveries")
      .set({ status: "pending", attempts: 0, next_attempt_at: now, last_error: null })
      .where("id", "=", deliveryId)
      .where("endpoint_id", "=", endpointId)
      .returningAll()
      .executeTakeFirst();
    if (!d)
      return fail("WEBHOOK_DELIVERY_NOT_FOUND", `Delivery ${deliveryId} does not exist`, { deliveryId });
    await queueDelivery(tx, d.id, now);
    return deliveryJson(d);
  });
}

interface CaseRow {
  event_id: string | number;
  case_id: string | number;
  case_external_id: string | null;
  order_id: string | number;
  order_external_id: string;
  shop_id: string;
  status: string;
  currency: string;
  refund_amount: string | number | null;
}

/**
 * The fan-out consumer: for each timeline event that raises an event type, a delivery to every enabled
 * endpoint subscribed to the type and allowed the case's shop, with its outbox message — in the
 * transaction that takes the event off the feed, so each is written once and survives a crash.
 */
export const webhooksConsumer: FeedConsumer = async (ctx, tx, events) => {
  const typed = events.flatMap((e) => {
    const type = eventTypeOf(e);
    return type ? [{ ...e, type }] : [];
  });
  if (typed.length === 0) return;
  if (!(await tx.selectFrom("webhook_endpoints").select("id").where("enabled", "=", true).executeTakeFirst()))
    return;
  const { rows } = await sql<CaseRow>`
    select e.id as event_id, c.id as case_id, c.external_id as case_external_id, o.id as order_id,
           o.external_id as order_external_id, c.shop_id, c.status, c.currency,
           (select sum(r.amount) from refunds r where r.case_id = c.id
               and r.grant_no = (select max(grant_no) from refunds where case_id = c.id)) as refund_amount
      from case_events e
      join cases c on c.id = e.case_id
      join orders o on o.id = c.order_id
     where e.id = any(${typed.map((e) => e.eventId)}::bigint[])`.execute(tx);
  const byEvent = new Map(rows.map((r) => [Number(r.event_id), r]));
  const now = ctx.now();
  for (const e of typed) {
    const c = byEvent.get(e.eventId);
    if (!c) continue;
    // A fixed set of ids and short strings: far under the spec's 20 kB, so nothing to cut.
    const payload = JSON.stringify(
      envelope(e.type, e.at, {
        caseId: Number(c.case_id),
        caseExternalId: c.case_external_id,
        orderId: Number(c.order_id),
        orderExternalId: c.order_external_id,
        shopId: c.shop_id,
        status: e.toStatus ?? c.status,
        action: e.action,
        eventId: e.eventId,
        at: e.at.toISOString(),
        ...(e.type.startsWith("refund.") && c.refund_amount !== null
          ? { amount: formatMinor(Number(c.refund_amount), c.currency), currency: c.currency }
          : {}),
      }),
    );
    await sql`
      with d as (
        insert into webhook_deliveries (endpoint_id, message_id, event_id, event_type, payload, next_attempt_at, created_at)
        select w.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), ${e.eventId}, ${e.type}, ${payload}::jsonb,
               ${now}, ${now}
          from webhook_endpoints w
         where w.enabled and (cardinality(w.event_types) = 0 or ${e.type} = any(w.event_types))
           and (w.shops is null or ${c.shop_id} = any(w.shops))
        on conflict (endpoint_id, event_id) do nothing
        returning id)
      insert into outbox (topic, key, payload, available_at)
      select 'webhook.deliver', d.id::text, jsonb_build_object('deliveryId', d.id), ${now}::timestamptz from d
      on conflict (topic, key) do nothing`.execute(tx);
  }
};

/** What delivering says to the outbox: done, or try again at the schedule's time. */
export type DeliveryOutcome = "done" | { retry: string; at: Date };

const EXCERPT = 500;

/**
 * One attempt at a delivery: POST it signed; 2xx: succeeded; 410 Gone: the receiver wants no more, so
 * the endpoint is disabled; anything else (another status, a timeout, no connection) is retried on the
 * schedule until it is used up — then the delivery is dead, and an endpoint that has had no success
 * since that delivery was made (about three days of failures) is disabled.
 */
export async function deliverWebhook(ctx: FlowContext, deliveryId: number): Promise<DeliveryOutcome> {
  const d = await ctx.db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .select([
      "d.id",
      "d.endpoint_id",
      "d.message_id",
      "d.payload",
      "d.status",
      "d.attempts",
      "d.created_at",
      "e.url",
      "e.enabled",
      "e.secret_key_id",
      "e.secret_iv",
      "e.secret_tag",
      "e.secret_ciphertext",
    ])
    .where("d.id", "=", deliveryId)
    .executeTakeFirst();
  // Deleted with its endpoint, or settled already (a replay resets it to pending).
  if (!d || d.status === "succeeded" || d.status === "dead") return "done";
  const set = (tx: Kysely<DB>, values: Updateable<WebhookDeliveryTable>) =>
    tx.updateTable("webhook_deliveries").set(values).where("id", "=", d.id).execute();
  if (!d.enabled) {
    await set(ctx.db, { status: "dead", next_attempt_at: null, last_error: "the endpoint is disabled" });
    return "done";
  }
  const secret = open(
    need(ctx.secrets),
    { keyId: d.secret_key_id, iv: d.secret_iv, tag: d.secret_tag, ciphertext: d.secret_ciphertext },
    `webhook:${d.endpoint_id}`,
  ).toString("utf8");
  const now = ctx.now();
  const attempts = d.attempts + 1;
  let answer: Awaited<ReturnType<typeof postWebhook>> | undefined;
  let error: string;
  try {
    answer = await postWebhook(d.url, {
      id: d.message_id,
      timestamp: Math.floor(now.getTime() / 1000),
      body: JSON.stringify(d.payload),
      secret,
    });
    error = `HTTP ${answer.status}`;
  } catch (e) {
    error = (e as Error).message;
  }
  const outcome = {
    attempts,
    last_status_code: answer?.status ?? null,
    response_excerpt: answer?.text.slice(0, EXCERPT) ?? null,
  };
  if (answer && answer.status >= 200 && answer.status < 300) {
    await set(ctx.db, {
      ...outcome,
      status: "succeeded",
      delivered_at: now,
      next_attempt_at: null,
      last_error: null,
    });
    return "done";
  }
  const gone = answer?.status === 410;
  const throttled = answer?.status === 429 || answer?.status === 503;
  const at = gone
    ? null
    : nextAttemptAt(
        attempts,
        now,
        Math.random(),
        throttled ? retryAfterMs(answer?.headers.get("retry-after") ?? null, now) : undefined,
      );
  if (at) {
    await set(ctx.db, { ...outcome, status: "failed", next_attempt_at: at, last_error: error });
    return { retry: error, at };
  }
  await ctx.db.transaction().execute(async (tx) => {
    await set(tx, { ...outcome, status: "dead", next_attempt_at: null, last_error: error });
    const reason = gone
      ? "the receiver answered 410 Gone"
      : `every delivery failed since ${d.created_at.toISOString()} (${attempts} attempts)`;
    await tx
      .updateTable("webhook_endpoints")
      .set({ enabled: false, disabled_at: now, disabled_reason: reason, updated_at: now })
      .where("id", "=", d.endpoint_id)
      .where("enabled", "=", true)
      .where((eb) =>
        gone
          ? eb.lit(true)
          : eb.not(
              eb.exists(
                eb
                  .selectFrom("webhook_deliveries")
                  .select("id")
                  .where("endpoint_id", "=", d.endpoint_id)
                  .where("delivered_at", ">=", d.created_at),
              ),
            ),
      )
      .execute();
  });
  return "done";
}
