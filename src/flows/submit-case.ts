import {
  CASE_SOURCES,
  CASE_TYPES,
  type CaseSource,
  type CaseType,
  REASONS,
  type ReasonCode,
} from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import type { CaseState } from "../domain/lifecycle.ts";
import { parseMinor } from "../domain/money.ts";
import { appendEvent, heldByOtherCases, statusesOfOrderCases } from "../store/cases.ts";
import { findOrderId, lockOrder, orderLines, orderShipments } from "../store/orders.ts";
import { syncOrder } from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { quoteForOrder } from "./quote-refund.ts";

export interface SubmitCaseInput {
  orderId?: number;
  shop?: string;
  externalOrderId?: string;
  /** The channel's own after-sales id: a re-submit with it returns the case already made. */
  externalId?: string;
  type: CaseType;
  reason: ReasonCode;
  source: CaseSource;
  items: { lineId: number; quantity: number }[];
  description?: string;
  evidence?: { kind: string; url: string }[];
  requestedAmount?: string;
}

/** Types that send goods back need goods that went out. */
const NEEDS_SHIPMENT: readonly CaseType[] = ["return_refund", "exchange"];
const MONEY_TYPES: readonly CaseType[] = ["refund_only", "return_refund"];

/** Open a case (售后申请) against an order, after checking that what it asks for is still claimable. */
export async function submitCase(
  ctx: FlowContext,
  actor: Actor,
  input: SubmitCaseInput,
): Promise<{ id: number; created: boolean }> {
  if (!CASE_TYPES.includes(input.type)) fail("INVALID_CASE_TYPE", `Unknown case type "${input.type}"`);
  if (!(input.reason in REASONS)) fail("INVALID_REASON", `Unknown reason "${input.reason}"`);
  if (!CASE_SOURCES.includes(input.source)) fail("INVALID_SOURCE", `Unknown source "${input.source}"`);
  if (input.items.length === 0) fail("NO_ITEMS", "A case needs at least one item");

  const orderId =
    input.orderId ??
    (input.shop && input.externalOrderId
      ? await findOrderId(ctx.db, input.shop, input.externalOrderId)
      : undefined);
  if (orderId === undefined) {
    return fail("ORDER_NOT_FOUND", "No such order", {
      orderId: input.orderId,
      externalOrderId: input.externalOrderId,
    });
  }
  const now = ctx.now();
  return ctx.db.transaction().execute(async (tx) => {
    const order =
      (await lockOrder(tx, orderId)) ?? fail("ORDER_NOT_FOUND", `Order ${orderId} does not exist`);
    if (input.externalId) {
      const existing = await tx
        .selectFrom("cases")
        .select("id")
        .where("shop_id", "=", order.shop_id)
        .where("external_id", "=", input.externalId)
        .executeTakeFirst();
      if (existing) return { id: existing.id, created: false };
    }
    const lines = new Map((await orderLines(tx, order.id)).map((l) => [l.id, l]));
    const held = await heldByOtherCases(tx, order.id);
    const seen = new Set<number>();
    for (const item of input.items) {
      const line =
        lines.get(item.lineId) ?? fail("UNKNOWN_LINE", `Line ${item.lineId} is not on order ${order.id}`);
      if (seen.has(item.lineId)) fail("DUPLICATE_LINE", `Line ${item.lineId} appears twice`);
      seen.add(item.lineId);
      if (!Number.isSafeInteger(item.quantity) || item.quantity <= 0) {
        fail("INVALID_QUANTITY", "Quantities must be positive integers", { lineId: item.lineId });
      }
      const claimable = line.quantity - (held.get(line.id) ?? 0);
      if (item.quantity > claimable) {
        fail("QUANTITY_EXCEEDS_RETURNABLE", `Only ${claimable} of ${line.sku} can still be claimed`, {
          lineId: line.id,
          claimable,
          requested: item.quantity,
        });
      }
    }
    if (NEEDS_SHIPMENT.includes(input.type)) {
      const shipped = (await orderShipments(tx, order.id)).some(
        (s) => s.direction === "outbound" && s.status !== "unshipped",
      );
      if (!shipped)
        fail("NOT_SHIPPED", "Nothing was shipped yet, so nothing can be returned; ask for a refund instead");
    }
    let requested: number | null = null;
    if (input.requestedAmount !== undefined) {
      requested = parseMinor(input.requestedAmount, order.currency);
      if (MONEY_TYPES.includes(input.type)) {
        const quote = await quoteForOrder(tx, ctx, order, { items: input.items, reason: input.reason });
        if (requested > quote.cap) {
          fail("REFUND_ABOVE_CAP", "The requested amount is more than may be refunded", {
            cap: quote.cap,
            requested,
          });
        }
      }
    }
    const kase = await tx
      .insertInto("cases")
      .values({
        order_id: order.id,
        shop_id: order.shop_id,
        customer_id: order.customer_id,
        external_id: input.externalId ?? null,
        type: input.type,
        status: "requested",
        reason: input.reason,
        source: input.source,
        description: input.description ?? null,
        evidence: JSON.stringify(input.evidence ?? []),
        currency: order.currency,
        requested_amount: requested,
        status_since: now,
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await tx
      .insertInto("case_items")
      .values(input.items.map((i) => ({ case_id: kase.id, order_line_id: i.lineId, quantity: i.quantity })))
      .execute();
    await appendEvent(tx, {
      caseId: kase.id,
      at: now,
      actor: actorName(actor),
      action: "submit",
      from: null,
      to: "requested",
      note: input.description ?? null,
      data: { type: input.type, reason: input.reason, source: input.source, items: input.items },
    });
    await syncOrder(tx, order, [...((await statusesOfOrderCases(tx, order.id)) as CaseState[])], now);
    return { id: kase.id, created: true };
  });
}
