import { sql } from "kysely";
import { ChannelUnavailableError, NotificationRejectedError } from "../channels/payments/channel.ts";
import {
  type PlatformAdapter,
  type PlatformCase,
  type PlatformClient,
  type PlatformCredentials,
  PlatformRejectedError,
  type PlatformState,
  type PullWindow,
} from "../channels/platforms/platform.ts";
import { platformFor } from "../channels/platforms/registry.ts";
import type { CaseType } from "../domain/catalogue.ts";
import { AppError, fail } from "../domain/errors.ts";
import type { CaseState } from "../domain/lifecycle.ts";
import { formatMinor } from "../domain/money.ts";
import { loadCredentials } from "../store/credentials.ts";
import { findOrderId, findShop, orderLines } from "../store/orders.ts";
import type { Actor, FlowContext } from "./context.ts";
import { grantRefund } from "./grant-refund.ts";
import { ingestOrder } from "./ingest-order.ts";
import { recordOutcome } from "./issue-refund.ts";
import { approveCase, cancelCase, rejectCase } from "./review-case.ts";
import { recordReturnShipment } from "./shipments.ts";
import { submitCase } from "./submit-case.ts";

/**
 * Platform sync (平台同步): pull a shop's orders and after-sales requests window by window and page by
 * page, saving the cursor after every page, and keep our cases in step with what the platform says.
 * Any number of workers may run it: a shop's stream is leased (FOR UPDATE SKIP LOCKED + lease_until),
 * and everything it writes is keyed (orders by shop + id, cases by shop + platform id, request states by
 * version), so a crash, a repeat or a push racing a pull changes nothing twice.
 */

export const STREAMS = ["orders", "aftersales"] as const;
export type SyncStream = (typeof STREAMS)[number];

export interface ShopConnection {
  shop: { id: string; channel: string };
  adapter: PlatformAdapter;
  client: PlatformClient;
  credentials: PlatformCredentials;
}

/** A shop's platform client, from its sealed credentials. */
export async function connectShop(ctx: FlowContext, shopId: string): Promise<ShopConnection> {
  const shop =
    (await findShop(ctx.db, shopId)) ??
    fail("SHOP_NOT_FOUND", `Shop "${shopId}" does not exist`, { shop: shopId });
  const adapter =
    (ctx.platforms ?? platformFor)(shop.channel) ??
    fail("PLATFORM_NOT_SUPPORTED", `There is no platform adapter for the ${shop.channel} channel`, {
      channel: shop.channel,
    });
  const credentials =
    (await loadCredentials(ctx.db, ctx.secrets, shopId)) ??
    fail("PLATFORM_NOT_CONNECTED", `Shop "${shopId}" has no platform credentials`, { shop: shopId });
  const baseUrl =
    credentials.gateway ??
    adapter.baseUrl ??
    fail("PLATFORM_NO_GATEWAY", `Say where the ${shop.channel} API is: set the shop's "gateway" credential`, {
      channel: shop.channel,
    });
  const client = adapter.connect(credentials, { baseUrl, now: ctx.now, shop: shopId });
  return { shop: { id: shop.id, channel: shop.channel }, adapter, client, credentials };
}

/** Why a shop has no client: it is not a platform shop, or not connected. Anything else is a fault. */
const NOT_CONNECTED = ["SHOP_NOT_FOUND", "PLATFORM_NOT_SUPPORTED", "PLATFORM_NOT_CONNECTED"];

/**
 * The shop's client, or undefined when it is not connected (for the `platform` payment channel, which
 * then uses its fallback). Credentials that exist but cannot be opened throw: such a shop's refunds
 * must wait, not go elsewhere.
 */
export async function shopClient(ctx: FlowContext, shopId: string): Promise<PlatformClient | undefined> {
  try {
    return (await connectShop(ctx, shopId)).client;
  } catch (e) {
    if (e instanceof AppError && NOT_CONNECTED.includes(e.code)) return undefined;
    throw e;
  }
}

const channelActor = (conn: ShopConnection): Actor => ({ kind: "channel", id: conn.shop.channel });

// --- what a platform state change does to our case ----------------------------------------------------

/** What the sync may do to a case, each a normal flow (so the timeline, order and outbox follow). */
type SyncAction = "cancel" | "approve" | "reject" | "ship_return" | "record_refund" | "note";

/**
 * (platform state, our status, case type) → what to do, first match wins. The platform is the source
 * of truth for what the buyer and the platform did; our decisions reach it through `platform.decision`.
 */
export const STATE_RULES: readonly {
  platform: PlatformState;
  from: readonly CaseState[] | "any";
  types?: readonly CaseType[];
  actions: readonly SyncAction[];
}[] = [
  // The buyer withdrew, or the platform closed the request (买家撤销 / 退款关闭).
  { platform: "cancelled", from: ["requested", "approved", "awaiting_return"], actions: ["cancel"] },
  { platform: "cancelled", from: ["cancelled", "rejected", "closed"], actions: [] },
  { platform: "cancelled", from: "any", actions: ["note"] },
  // The merchant agreed on the platform's own console before we did.
  {
    platform: "awaiting_return",
    from: ["requested"],
    types: ["return_refund", "exchange"],
    actions: ["approve"],
  },
  { platform: "awaiting_return", from: "any", actions: [] },
  // The buyer shipped the return (退货已寄出).
  {
    platform: "return_shipped",
    from: ["requested"],
    types: ["return_refund", "exchange"],
    actions: ["approve", "ship_return"],
  },
  { platform: "return_shipped", from: ["awaiting_return"], actions: ["ship_return"] },
  { platform: "return_shipped", from: "any", actions: [] },
  // The merchant refused on the platform's console.
  { platform: "refused", from: ["requested"], actions: ["reject"] },
  { platform: "refused", from: ["rejected"], actions: [] },
  { platform: "refused", from: "any", actions: ["note"] },
  // The money is back with the buyer: record it against our refund (or write the refund down).
  {
    platform: "refunded",
    from: ["refunding", "approved", "inspected", "inspection_failed", "refund_failed"],
    actions: ["record_refund"],
  },
  {
    platform: "refunded",
    from: ["requested"],
    types: ["refund_only"],
    actions: ["approve", "record_refund"],
  },
  { platform: "refunded", from: ["refunded", "closed"], actions: [] },
  { platform: "refunded", from: "any", actions: ["note"] },
  { platform: "refunding", from: "any", actions: [] },
  // The platform is arbitrating (客服介入): people must know.
  { platform: "intervened", from: "any", actions: ["note"] },
  // Back to awaiting the merchant: the buyer changed or re-opened the request.
  { platform: "requested", from: ["requested"], actions: [] },
  { platform: "requested", from: "any", actions: ["note"] },
  { platform: "completed", from: "any", actions: ["note"] },
];

export function actionsFor(state: PlatformState, status: CaseState, type: CaseType): readonly SyncAction[] {
  const rule = STATE_RULES.find(
    (r) =>
      r.platform === state &&
      (r.from === "any" || r.from.includes(status)) &&
      (!r.types || r.types.includes(type)),
  );
  return rule?.actions ?? ["note"];
}

const NOTES: Readonly<Record<PlatformState, string>> = {
  requested: "平台：买家修改或重新发起了申请",
  awaiting_return: "平台：等待买家退货",
  return_shipped: "平台：买家已退货",
  refused: "平台：商家已拒绝",
  intervened: "平台：客服已介入",
  refunding: "平台：退款中",
  refunded: "平台：退款成功",
  cancelled: "平台：买家撤销或退款关闭",
  completed: "平台：售后已完成",
};

type CaseFacts = { id: number; status: CaseState; type: CaseType; currency: string };

/** A timeline entry that moves nothing (the platform told us something a person should see). */
async function noteCase(
  ctx: FlowContext,
  actor: Actor,
  c: CaseFacts,
  note: string,
  data: Record<string, unknown>,
) {
  await ctx.db
    .insertInto("case_events")
    .values({
      case_id: c.id,
      at: ctx.now(),
      actor: `${actor.kind}:${actor.id}`,
      action: "platform_update",
      from_status: c.status,
      to_status: c.status,
      note,
      data: JSON.stringify(data),
    })
    .execute();
}

const RUN: Readonly<
  Record<SyncAction, (ctx: FlowContext, actor: Actor, c: CaseFacts, pc: PlatformCase) => Promise<unknown>>
> = {
  cancel: (ctx, actor, c, pc) =>
    cancelCase(ctx, actor, c.id, { note: `${NOTES.cancelled}（${pc.platformStatus}）` }),
  approve: (ctx, actor, c, pc) =>
    approveCase(ctx, actor, c.id, { note: `平台：商家已同意（${pc.platformStatus}）` }),
  reject: (ctx, actor, c, pc) =>
    rejectCase(ctx, actor, c.id, { note: `${NOTES.refused}（${pc.platformStatus}）` }),
  ship_return: (ctx, actor, c, pc) =>
    pc.returnTracking
      ? recordReturnShipment(ctx, actor, c.id, { ...pc.returnTracking, note: NOTES.return_shipped })
      : noteCase(ctx, actor, c, `${NOTES.return_shipped}（未提供运单号）`, {
          platformStatus: pc.platformStatus,
        }),
  record_refund: (ctx, actor, c, pc) => recordPlatformRefund(ctx, actor, c, pc),
  note: (ctx, actor, c, pc) =>
    noteCase(ctx, actor, c, NOTES[pc.state], {
      platformStatus: pc.platformStatus,
      state: pc.state,
      version: pc.version ?? null,
      requestedAmount: pc.requestedAmount,
    }),
};

/**
 * The platform paid the buyer back: a pending refund of ours takes the outcome; with none pending the
 * refund is written down as granted and paid, so the order and the books say what happened.
 */
async function recordPlatformRefund(ctx: FlowContext, actor: Actor, c: CaseFacts, pc: PlatformCase) {
  const pending = await ctx.db
    .selectFrom("refunds")
    .select(["id", "case_id", "channel", "amount"])
    .where("case_id", "=", c.id)
    .where("status", "in", ["requested", "processing"])
    .orderBy("id", "desc")
    .executeTakeFirst();
  const outcome = { status: "succeeded" as const, channelRefundId: pc.externalId, succeededAt: pc.updatedAt };
  if (pending) return recordOutcome(ctx, pending.id, outcome, pending);
  try {
    const granted = await grantRefund(
      ctx,
      actor,
      c.id,
      pc.requestedAmount !== null ? { amount: formatMinor(pc.requestedAmount, c.currency) } : {},
    );
    // The platform paid every leg back at once; the last one recorded moves the case.
    let recorded: Awaited<ReturnType<typeof recordOutcome>> | undefined;
    for (const leg of granted.refunds) recorded = await recordOutcome(ctx, leg.id, outcome, leg);
    return recorded;
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    return noteCase(ctx, actor, c, `${NOTES.refunded}；无法自动记账：${e.message}`, {
      code: e.code,
      platformStatus: pc.platformStatus,
    });
  }
}

// --- one request --------------------------------------------------------------------------------------

/** Platform versions: numeric ones (Taobao's refund_version timestamps) by value, others as text. */
export function compareVersions(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export type ApplyOutcome = "created" | "updated" | "unchanged" | "stale" | "error";

const errorText = (e: unknown) =>
  e instanceof AppError || e instanceof PlatformRejectedError
    ? `${e.code}: ${e.message}`
    : e instanceof Error
      ? `${e.name}: ${e.message}`
      : String(e);

/** Our order for the platform's order id — pulled from the platform when we have not seen it yet. */
async function ensureOrder(ctx: FlowContext, conn: ShopConnection, orderExternalId: string): Promise<number> {
  const known = await findOrderId(ctx.db, conn.shop.id, orderExternalId);
  if (known) return known;
  const order =
    (await conn.client.getOrder(orderExternalId)) ??
    fail("ORDER_NOT_FOUND", `The platform does not know order ${orderExternalId}`, { orderExternalId });
  return (await ingestOrder(ctx, { ...order, shop: conn.shop.id })).id;
}

/** Platform states in which a new request still awaits the merchant's answer. */
const REVIEWED_ON_ARRIVAL: readonly PlatformState[] = ["requested", "intervened"];

async function openPlatformCase(ctx: FlowContext, conn: ShopConnection, pc: PlatformCase) {
  const orderId = await ensureOrder(ctx, conn, pc.orderExternalId);
  const lines = await orderLines(ctx.db, orderId);
  const items = new Map<number, number>();
  for (const item of pc.items) {
    const line =
      (item.lineExternalId ? lines.find((l) => l.external_id === item.lineExternalId) : undefined) ??
      (item.sku ? lines.find((l) => l.sku === item.sku) : undefined) ??
      fail("UNKNOWN_LINE", `Order ${pc.orderExternalId} has no line ${item.lineExternalId ?? item.sku}`);
    items.set(line.id, Math.min(line.quantity, (items.get(line.id) ?? 0) + item.quantity));
  }
  const description = [pc.reasonText, pc.description].filter(Boolean).join("：") || undefined;
  const input = {
    orderId,
    externalId: pc.externalId,
    type: pc.type,
    reason: pc.reason,
    source: "platform" as const,
    items: [...items].map(([lineId, quantity]) => ({ lineId, quantity })),
    ...(description ? { description } : {}),
    // A request the merchant has not answered (or that the platform is arbitrating) is judged by the
    // rules; one already further along on the platform is only recorded, then brought in step.
    review: REVIEWED_ON_ARRIVAL.includes(pc.state),
  };
  const actor = channelActor(conn);
  if (pc.requestedAmount === null) return submitCase(ctx, actor, input);
  const requestedAmount = formatMinor(pc.requestedAmount, pc.currency);
  try {
    return await submitCase(ctx, actor, { ...input, requestedAmount });
  } catch (e) {
    // The buyer asked for more than we may refund for those items (e.g. the platform counts a fee we
    // do not): keep the case, say so on its timeline, and let the quote decide.
    if (!(e instanceof AppError) || e.code !== "REFUND_ABOVE_CAP") throw e;
    const res = await submitCase(ctx, actor, input);
    const c = await caseFacts(ctx, res.id);
    await noteCase(ctx, actor, c, `买家在平台申请 ${requestedAmount}，超过可退上限`, {
      ...e.details,
      requestedAmount,
    });
    return res;
  }
}

async function caseFacts(ctx: FlowContext, caseId: number): Promise<CaseFacts> {
  const c = await ctx.db
    .selectFrom("cases")
    .select(["id", "status", "type", "currency"])
    .where("id", "=", caseId)
    .executeTakeFirstOrThrow();
  return { id: c.id, status: c.status as CaseState, type: c.type as CaseType, currency: c.currency };
}

/**
 * Bring one platform request into our books: a new one becomes a case (its order pulled first when
 * missing); a known one whose state moved drives its case through the normal flows. A copy older than
 * the one we applied is ignored. A failure is written on the request (and retried by later passes),
 * never thrown — one bad request does not stop a page. Transport failures are thrown: the caller retries.
 */
export async function applyPlatformCase(
  ctx: FlowContext,
  conn: ShopConnection,
  pc: PlatformCase,
): Promise<{ outcome: ApplyOutcome; caseId?: number; error?: string }> {
  const shopId = conn.shop.id;
  const version = pc.version ?? pc.updatedAt;
  const row = await ctx.db
    .selectFrom("platform_requests")
    .selectAll()
    .where("shop_id", "=", shopId)
    .where("external_id", "=", pc.externalId)
    .executeTakeFirst();
  if (row?.case_id && row.error === null && row.version !== null) {
    const cmp = compareVersions(version, row.version);
    if (cmp < 0) return { outcome: "stale", caseId: row.case_id };
    if (cmp === 0) return { outcome: "unchanged", caseId: row.case_id };
  }
  const now = ctx.now();
  let caseId = row?.case_id ?? null;
  try {
    let created = false;
    caseId ??=
      (
        await ctx.db
          .selectFrom("cases")
          .select("id")
          .where("shop_id", "=", shopId)
          .where("external_id", "=", pc.externalId)
          .executeTakeFirst()
      )?.id ?? null;
    if (caseId === null) {
      const res = await openPlatformCase(ctx, conn, pc);
      caseId = res.id;
      created = res.created;
    }
    // Act on a change of state (or on a new case the platform has already moved past "requested").
    const changed = created ? pc.state !== "requested" : row?.state !== pc.state || row?.error !== null;
    if (changed) await bringInStep(ctx, channelActor(conn), caseId, pc);
    else if (row?.state === pc.state && pc.state === "requested" && row.version !== version) {
      await RUN.note(ctx, channelActor(conn), await caseFacts(ctx, caseId), pc);
    }
    await keepDeadline(ctx, caseId, pc);
    await saveRequest(
      ctx,
      shopId,
      pc,
      { case_id: caseId, state: pc.state, platform_status: pc.platformStatus, version, error: null },
      row?.version ?? null,
      now,
    );
    return { outcome: created ? "created" : "updated", caseId };
  } catch (e) {
    if (e instanceof ChannelUnavailableError) throw e;
    const error = await recordRequestError(ctx, shopId, pc, caseId, e);
    return { outcome: "error", ...(caseId ? { caseId } : {}), error };
  }
}

/** Platform states in which the move is the merchant's, so the platform's deadline is ours to meet. */
const MERCHANT_MOVES: readonly PlatformState[] = ["requested", "return_shipped"];

/**
 * The platform's deadline for the merchant (it auto-agrees after it) becomes the case's SLA when it is
 * earlier than the rules' (013_platform_sla.sql keeps sla_due_at at the earlier of the two). When the
 * deadline moves or goes, the rules' SLA is worked out again from the case's decision, as auto-review does.
 */
async function keepDeadline(ctx: FlowContext, caseId: number, pc: PlatformCase) {
  const at = pc.deadline && MERCHANT_MOVES.includes(pc.state) ? new Date(pc.deadline) : null;
  const due = at && !Number.isNaN(at.getTime()) ? at : null;
  await sql`
    update cases c
       set platform_due_at = ${due}::timestamptz,
           sla_due_at = (select c.created_at + (d.decision->>'slaHours')::float8 * interval '1 hour'
                           from case_decisions d where d.id = c.decision_id)
     where c.id = ${caseId} and c.platform_due_at is distinct from ${due}::timestamptz`.execute(ctx.db);
}

/** Write down why a request could not be applied; later passes try it again (a bounded number of times). */
async function recordRequestError(
  ctx: FlowContext,
  shopId: string,
  ref: { externalId: string; orderExternalId: string },
  caseId: number | null,
  cause: unknown,
): Promise<string> {
  const error = (typeof cause === "string" ? cause : errorText(cause)).slice(0, 1000);
  const now = ctx.now();
  await ctx.db
    .insertInto("platform_requests")
    .values({
      shop_id: shopId,
      external_id: ref.externalId,
      order_external_id: ref.orderExternalId,
      case_id: caseId,
      error,
      attempts: 1,
      seen_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["shop_id", "external_id"]).doUpdateSet((eb) => ({
        ...(caseId ? { case_id: caseId } : {}),
        error,
        attempts: eb("platform_requests.attempts", "+", 1),
        updated_at: now,
      })),
    )
    .execute();
  return error;
}

/**
 * Read one request afresh and apply it. The platform not knowing it, or answering something we cannot
 * read, is written down against the request; only "the platform cannot answer now" is thrown.
 */
export async function fetchAndApply(
  ctx: FlowContext,
  conn: ShopConnection,
  ref: { externalId: string; orderExternalId: string },
): Promise<{ outcome: ApplyOutcome | "not_found"; caseId?: number; error?: string }> {
  let pc: PlatformCase | null;
  try {
    pc = await conn.client.getAftersale(ref);
  } catch (e) {
    if (e instanceof ChannelUnavailableError) throw e;
    if (!(e instanceof PlatformRejectedError || e instanceof AppError)) throw e;
    return { outcome: "error", error: await recordRequestError(ctx, conn.shop.id, ref, null, e) };
  }
  if (!pc) return { outcome: "not_found" };
  return applyPlatformCase(ctx, conn, pc);
}

/**
 * Run the actions the platform's state calls for. Another worker (a push racing a pull) may move the
 * case between our read and our write; then the actions are worked out again from where it now is.
 */
async function bringInStep(ctx: FlowContext, actor: Actor, caseId: number, pc: PlatformCase) {
  for (let attempt = 0; ; attempt++) {
    try {
      for (const action of actionsFor(pc.state, (await caseFacts(ctx, caseId)).status, pc.type)) {
        await RUN[action](ctx, actor, await caseFacts(ctx, caseId), pc);
      }
      return;
    } catch (e) {
      const raced =
        e instanceof AppError && (e.code === "INVALID_TRANSITION" || e.code === "VERSION_CONFLICT");
      if (!raced || attempt >= 2) throw e;
    }
  }
}

/** Write what we applied; only over the version we read, so a newer copy applied meanwhile stays. */
async function saveRequest(
  ctx: FlowContext,
  shopId: string,
  pc: PlatformCase,
  set: { case_id: number; state: string; platform_status: string; version: string; error: null },
  readVersion: string | null,
  now: Date,
) {
  await sql`
    insert into platform_requests (shop_id, external_id, order_external_id, case_id, state, platform_status, version,
                                   error, attempts, seen_at, updated_at)
    values (${shopId}, ${pc.externalId}, ${pc.orderExternalId}, ${set.case_id}, ${set.state}, ${set.platform_status},
            ${set.version}, null, 0, ${now}, ${now})
    on conflict (shop_id, external_id) do update
       set case_id = excluded.case_id, state = excluded.state, platform_status = excluded.platform_status,
           version = excluded.version, error = null, attempts = 0, updated_at = excluded.updated_at
     where platform_requests.version is not distinct from ${readVersion}::text
        or platform_requests.error is not null`.execute(ctx.db);
}

// --- a shop's stream, window by window --------------------------------------------------------------

export interface SyncOptions {
  /** How long one worker holds a shop's stream before another may take it over. */
  leaseMs?: number;
  /** Where a stream that never ran starts, back from now. */
  initialLookbackMs?: number;
  /** Failed requests retried at the start of an after-sales pass, and how often each is tried. */
  retryBatch?: number;
  retryLimit?: number;
}

export interface SyncResult {
  shop: string;
  stream: SyncStream;
  status: "done" | "busy" | "failed";
  windows: number;
  pages: number;
  items: number;
  created: number;
  updated: number;
  unchanged: number;
  errors: number;
  retried: number;
  syncedTo: Date | null;
  error?: string;
}

interface Cursor {
  from: string;
  to: string;
  next: string;
}

const DEFAULTS = {
  leaseMs: 5 * 60_000,
  initialLookbackMs: 7 * 24 * 3_600_000,
  retryBatch: 20,
  retryLimit: 10,
};

/**
 * Where a shop's streams that never ran begin (instead of the default look-back): for a shop connected
 * to a marketplace with nothing older on it — the demo's simulated ones — so its first pass pulls one
 * short window, not a week of 30-minute PDD windows. Streams that already ran are left where they are.
 */
export async function startSyncAt(ctx: FlowContext, shopId: string, from: Date) {
  await ctx.db
    .insertInto("sync_cursors")
    .values(STREAMS.map((stream) => ({ shop_id: shopId, stream, synced_to: from })))
    .onConflict((oc) => oc.columns(["shop_id", "stream"]).doNothing())
    .execute();
}

/** Take the stream's lease, or learn another worker holds it. The lease's expiry is our token. */
async function lease(ctx: FlowContext, shopId: string, stream: SyncStream, leaseMs: number) {
  const now = ctx.now();
  await ctx.db
    .insertInto("sync_cursors")
    .values({ shop_id: shopId, stream })
    .onConflict((oc) => oc.columns(["shop_id", "stream"]).doNothing())
    .execute();
  const until = new Date(now.getTime() + leaseMs);
  const { rows } = await sql<{ synced_to: Date | null; cursor: Cursor | null }>`
    with l as (
      select shop_id, stream from sync_cursors
       where shop_id = ${shopId} and stream = ${stream} and (lease_until is null or lease_until <= ${now})
       for update skip locked)
    update sync_cursors s set lease_until = ${until}, updated_at = ${now}
      from l where s.shop_id = l.shop_id and s.stream = l.stream
    returning s.synced_to, s.cursor`.execute(ctx.db);
  const r = rows[0];
  return r
    ? { token: until, syncedTo: r.synced_to ? new Date(r.synced_to) : null, cursor: r.cursor }
    : undefined;
}

class LeaseLost extends Error {}

export async function syncShop(
  ctx: FlowContext,
  shopId: string,
  stream: SyncStream,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const o = { ...DEFAULTS, ...options };
  const result: SyncResult = {
    shop: shopId,
    stream,
    status: "done",
    windows: 0,
    pages: 0,
    items: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    errors: 0,
    retried: 0,
    syncedTo: null,
  };
  const conn = await connectShop(ctx, shopId);
  const held = await lease(ctx, shopId, stream, o.leaseMs);
  if (!held) return { ...result, status: "busy" };
  let token = held.token;
  const problems: string[] = [];
  /** Save progress (and renew the lease) — only while the lease is still ours. */
  const save = async (set: {
    synced_to?: Date;
    cursor: Cursor | null;
    release?: boolean;
    error?: string | null;
  }) => {
    const now = ctx.now();
    const next = set.release ? null : new Date(now.getTime() + o.leaseMs);
    const lastError =
      set.error !== undefined ? set.error : problems.length ? problems.join("\n").slice(0, 4000) : null;
    const r = await ctx.db
      .updateTable("sync_cursors")
      .set({
        ...(set.synced_to ? { synced_to: set.synced_to } : {}),
        cursor: set.cursor ? JSON.stringify(set.cursor) : null,
        lease_until: next,
        last_error: lastError,
        updated_at: now,
      })
      .where("shop_id", "=", shopId)
      .where("stream", "=", stream)
      .where("lease_until", "=", token)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new LeaseLost("another worker took over this stream");
    if (next) token = next;
  };
  const count = (outcome: ApplyOutcome | "unchanged", error?: string, what?: string) => {
    result.items++;
    if (outcome === "created") result.created++;
    else if (outcome === "updated") result.updated++;
    else if (outcome === "error") {
      result.errors++;
      problems.push(`${what}: ${error}`);
    } else result.unchanged++;
  };

  let cursor = held.cursor;
  let from = held.syncedTo ?? new Date(ctx.now().getTime() - o.initialLookbackMs);
  const until = ctx.now();
  try {
    for (;;) {
      const window: PullWindow = cursor
        ? { from: new Date(cursor.from), to: new Date(cursor.to) }
        : { from, to: new Date(Math.min(from.getTime() + conn.adapter.limits.maxWindowMs, until.getTime())) };
      if (!cursor && window.to.getTime() <= window.from.getTime()) break;
      result.windows++;
      let next: string | null = cursor?.next ?? null;
      do {
        if (stream === "orders") {
          const page = await conn.client.pullOrders(window, next);
          for (const order of page.items) {
            try {
              const r = await ingestOrder(ctx, { ...order, shop: shopId });
              count(r.outcome);
            } catch (e) {
              if (!(e instanceof AppError)) throw e;
              count("error", errorText(e), `order ${order.externalId}`);
            }
          }
          next = page.next;
        } else {
          const page = await conn.client.pullAftersales(window, next);
          // Oldest change first (platforms list newest first): requests open in the order buyers made them.
          const items = [...page.items].sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
          for (const pc of items) {
            const r = await applyPlatformCase(ctx, conn, pc);
            count(r.outcome === "stale" ? "unchanged" : r.outcome, r.error, `request ${pc.externalId}`);
          }
          for (const s of page.skipped ?? []) {
            count(
              "error",
              await recordRequestError(ctx, shopId, s, null, s.error),
              `request ${s.externalId}`,
            );
          }
          next = page.next;
        }
        result.pages++;
        // After every page: where to resume, so a crash repeats at most this page.
        if (next)
          await save({ cursor: { from: window.from.toISOString(), to: window.to.toISOString(), next } });
        else await save({ synced_to: window.to, cursor: null });
      } while (next);
      result.syncedTo = window.to;
      from = window.to;
      cursor = null;
    }
    // Then what failed before (after the pages: what they brought may be what it was waiting for).
    if (stream === "aftersales") result.retried = await retryFailed(ctx, conn, o, until);
    await save({ cursor: null, release: true });
  } catch (e) {
    result.status = "failed";
    result.error = errorText(e);
    if (!(e instanceof LeaseLost)) {
      // Keep the cursor where the last page left it; say why we stopped; let the next pass resume.
      await ctx.db
        .updateTable("sync_cursors")
        .set({ lease_until: null, last_error: result.error.slice(0, 4000), updated_at: ctx.now() })
        .where("shop_id", "=", shopId)
        .where("stream", "=", stream)
        .where("lease_until", "=", token)
        .execute();
    }
  }
  return result;
}

/**
 * One pass over each of a shop's streams, orders first so the after-sales requests find their orders.
 * A stream that cannot even start (no adapter, credentials that cannot be opened) is reported failed and
 * its reason written on the stream, where the shop's sync status shows it, unless a worker holds it.
 */
export async function syncShopStreams(
  ctx: FlowContext,
  shopId: string,
  options: SyncOptions = {},
): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  for (const stream of STREAMS) {
    try {
      results.push(await syncShop(ctx, shopId, stream, options));
    } catch (e) {
      const error = errorText(e);
      results.push({
        shop: shopId,
        stream,
        status: "failed",
        windows: 0,
        pages: 0,
        items: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        errors: 0,
        retried: 0,
        syncedTo: null,
        error,
      });
      const now = ctx.now();
      await ctx.db
        .insertInto("sync_cursors")
        .values({ shop_id: shopId, stream, last_error: error.slice(0, 4000), updated_at: now })
        .onConflict((oc) =>
          oc
            .columns(["shop_id", "stream"])
            .doUpdateSet({ last_error: error.slice(0, 4000), updated_at: now })
            .where((eb) =>
              eb.or([eb("sync_cursors.lease_until", "is", null), eb("sync_cursors.lease_until", "<=", now)]),
            ),
        )
        .execute();
    }
  }
  return results;
}

/** Requests that failed before: read them again and apply them, a few per pass, a bounded number of times. */
async function retryFailed(
  ctx: FlowContext,
  conn: ShopConnection,
  o: typeof DEFAULTS,
  passStart: Date,
): Promise<number> {
  const failed = await ctx.db
    .selectFrom("platform_requests")
    .select(["external_id", "order_external_id", "version"])
    .where("shop_id", "=", conn.shop.id)
    .where("error", "is not", null)
    .where("attempts", "<", o.retryLimit)
    .where("updated_at", "<", passStart) // not what failed in this very pass
    .orderBy("updated_at")
    .limit(o.retryBatch)
    .execute();
  for (const f of failed) {
    const r = await fetchAndApply(ctx, conn, {
      externalId: f.external_id,
      orderExternalId: f.order_external_id,
    });
    if (r.outcome === "not_found")
      await ctx.db
        .updateTable("platform_requests")
        .set((eb) => ({
          error: "NOT_FOUND: the platform no longer knows this request",
          attempts: eb("attempts", "+", 1),
          updated_at: ctx.now(),
        }))
        .where("shop_id", "=", conn.shop.id)
        .where("external_id", "=", f.external_id)
        .execute();
  }
  return failed.length;
}

// --- pushes -------------------------------------------------------------------------------------------

export type PushResult =
  | { status: "duplicate" }
  | {
      status: "applied";
      aftersales: { externalId: string; outcome: ApplyOutcome | "not_found"; error?: string }[];
      orders: { externalId: string; outcome: string }[];
    };

/**
 * A platform's push message (TMC, webhook): verified by the adapter, seen once (channel_notifications),
 * and acted on by reading the named requests and orders afresh — the message itself is only a hint.
 * It is written down after it was applied, so a crash in between means the platform's redelivery
 * applies it again, harmlessly. A platform that cannot be read now throws: the push is not acknowledged.
 */
export async function receivePlatformPush(
  ctx: FlowContext,
  shopId: string,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): Promise<PushResult> {
  const conn = await connectShop(ctx, shopId);
  if (!conn.adapter.parsePush)
    throw new NotificationRejectedError(
      "PUSH_NOT_SUPPORTED",
      `The ${conn.shop.channel} adapter takes no push messages`,
    );
  const push = conn.adapter.parsePush(conn.credentials, headers, rawBody);
  const channel = `platform:${shopId}`;
  const seen = await ctx.db
    .selectFrom("channel_notifications")
    .select("id")
    .where("channel", "=", channel)
    .where("notification_id", "=", push.messageId)
    .executeTakeFirst();
  if (seen) return { status: "duplicate" };
  const result: PushResult = { status: "applied", aftersales: [], orders: [] };
  for (const ref of push.aftersales) {
    const r = await fetchAndApply(ctx, conn, ref);
    result.aftersales.push({
      externalId: ref.externalId,
      outcome: r.outcome,
      ...(r.error ? { error: r.error } : {}),
    });
  }
  for (const id of push.orders) {
    const order = await conn.client.getOrder(id);
    if (!order) {
      result.orders.push({ externalId: id, outcome: "not_found" });
      continue;
    }
    try {
      result.orders.push({
        externalId: id,
        outcome: (await ingestOrder(ctx, { ...order, shop: shopId })).outcome,
      });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      result.orders.push({ externalId: id, outcome: `error: ${errorText(e)}` });
    }
  }
  await sql`
    insert into channel_notifications (channel, notification_id, received_at, payload, result)
    values (${channel}, ${push.messageId}, ${ctx.now()}, ${JSON.stringify(push)}::jsonb, ${JSON.stringify(result)})
    on conflict (channel, notification_id) do nothing`.execute(ctx.db);
  return result;
}
