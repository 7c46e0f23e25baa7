import { createHash } from "node:crypto";
import { sql } from "kysely";
import { fail } from "../domain/errors.ts";
import { isCurrency } from "../domain/money.ts";
import { addressKey, LOGISTICS_STATUSES, normalizeOrder, type OrderInput } from "../domain/order.ts";
import { findShop, insertLines, lockOrderByExternal, orderLines } from "../store/orders.ts";
import type { FlowContext } from "./context.ts";

export type IngestOutcome = "created" | "updated" | "unchanged";

/** Objects with their keys sorted and undefined values dropped (a jsonb column keeps no key order). */
export const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonical)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, x]) => [k, canonical(x)]),
        )
      : v;

/** A stable fingerprint of what the channel sent, so an identical re-ingest (or import) is a no-op. */
export const fingerprint = (input: OrderInput) =>
  createHash("sha256")
    .update(JSON.stringify(canonical(input)))
    .digest("base64url");

/**
 * Ingest an order (idempotent by shop + external id). A changed order is updated; once cases hold
 * its lines, the lines and amounts are frozen — refunds were computed from them.
 */
export async function ingestOrder(
  ctx: FlowContext,
  input: OrderInput,
): Promise<{ id: number; outcome: IngestOutcome }> {
  if (!isCurrency(input.currency))
    fail("UNKNOWN_CURRENCY", `Unknown currency "${input.currency}"`, { currency: input.currency });
  for (const s of input.shipments ?? []) {
    if (s.status && !LOGISTICS_STATUSES.includes(s.status))
      fail("INVALID_STATUS", `Unknown logistics status "${s.status}"`, { status: s.status });
  }
  const normalized = normalizeOrder(input);
  const hash = fingerprint(input);
  const now = ctx.now();
  const result = await ctx.db.transaction().execute(async (tx) => {
    if (!(await findShop(tx, input.shop)))
      fail("SHOP_NOT_FOUND", `Shop "${input.shop}" does not exist`, { shop: input.shop });
    if (input.customer) {
      await tx
        .insertInto("customers")
        .values({
          id: input.customer.id,
          name: input.customer.name ?? null,
          phone: input.customer.phone ?? null,
          email: input.customer.email ?? null,
          wechat_openid: input.customer.wechatOpenId ?? null,
          language: input.customer.language ?? null,
          ...(input.customer.tier ? { tier: input.customer.tier } : {}),
          credit_score: input.customer.creditScore ?? null,
          ...(input.customer.tags ? { tags: input.customer.tags } : {}),
        })
        .onConflict((oc) =>
          oc.column("id").doUpdateSet((eb) => ({
            name: eb.fn.coalesce("excluded.name", "customers.name"),
            // A platform masks the buyer's number (138****8000): it never replaces a whole one we know.
            phone: sql<string | null>`case when excluded.phone like '%*%' and customers.phone not like '%*%'
                                        then customers.phone else coalesce(excluded.phone, customers.phone) end`,
            email: eb.fn.coalesce("excluded.email", "customers.email"),
            wechat_openid: eb.fn.coalesce("excluded.wechat_openid", "customers.wechat_openid"),
            language: eb.fn.coalesce("excluded.language", "customers.language"),
            credit_score: eb.fn.coalesce("excluded.credit_score", "customers.credit_score"),
            ...(input.customer?.tier ? { tier: eb.ref("excluded.tier") } : {}),
            ...(input.customer?.tags ? { tags: eb.ref("excluded.tags") } : {}),
          })),
        )
        .execute();
    }
    const header = {
      customer_id: input.customer?.id ?? null,
      currency: normalized.currency,
      discount_total: normalized.discountTotal,
      shipping_fee: normalized.shippingFee,
      paid_total: normalized.paidTotal,
      placed_at: input.placedAt ?? null,
      paid_at: input.paidAt ?? null,
      address_key: input.address ? addressKey(input.address) : null,
      device_id: input.deviceId ?? null,
      content_hash: hash,
      updated_at: now,
    };
    let existing = await lockOrderByExternal(tx, input.shop, input.externalId);
    let outcome: IngestOutcome = "updated";
    if (!existing) {
      const inserted = await tx
        .insertInto("orders")
        .values({ shop_id: input.shop, external_id: input.externalId, ...header, created_at: now })
        .onConflict((oc) => oc.columns(["shop_id", "external_id"]).doNothing())
        .returning("id")
        .executeTakeFirst();
      if (inserted) {
        await writeChildren(tx, inserted.id, normalized, input);
        return { id: inserted.id, outcome: "created" as const };
      }
      // A concurrent ingest of the same order won the insert: treat ours as a re-ingest.
      existing = await lockOrderByExternal(tx, input.shop, input.externalId);
      if (!existing) return fail("CONFLICT", "Order vanished during ingest");
    }
    if (existing.content_hash === hash) return { id: existing.id, outcome: "unchanged" as const };
    if (existing.currency !== normalized.currency)
      fail("ORDER_CURRENCY_CHANGED", "An order's currency cannot change");

    const hasCases = await tx
      .selectFrom("cases")
      .select("id")
      .where("order_id", "=", existing.id)
      .limit(1)
      .executeTakeFirst();
    if (hasCases) {
      const current = await orderLines(tx, existing.id);
      const same =
        current.length === normalized.lines.length &&
        normalized.lines.every((l, i) => {
          const c = current[i];
          return (
            c &&
            c.external_id === l.externalId &&
            c.quantity === l.quantity &&
            c.paid === l.paid &&
            c.sku === l.sku
          );
        }) &&
        existing.paid_total === normalized.paidTotal;
      if (!same) {
        fail("ORDER_LOCKED", "This order has after-sales cases; its lines and amounts can no longer change", {
          orderId: existing.id,
        });
      }
      outcome = "updated";
      await tx
        .deleteFrom("shipments")
        .where("order_id", "=", existing.id)
        .where("direction", "=", "outbound")
        .execute();
      await insertShipments(tx, existing.id, input);
    } else {
      await tx.deleteFrom("order_lines").where("order_id", "=", existing.id).execute();
      await tx.deleteFrom("payments").where("order_id", "=", existing.id).execute();
      await tx
        .deleteFrom("shipments")
        .where("order_id", "=", existing.id)
        .where("direction", "=", "outbound")
        .execute();
      await writeChildren(tx, existing.id, normalized, input);
    }
    await tx
      .updateTable("orders")
      .set({ ...header, version: existing.version + 1 })
      .where("id", "=", existing.id)
      .execute();
    return { id: existing.id, outcome };
  });
  if (result.outcome !== "unchanged") {
    for (const p of normalized.payments) {
      ctx.paymentTaken?.({
        tender: p.tender,
        orderRef: input.externalId,
        ...(p.transactionId ? { transactionId: p.transactionId } : {}),
        amount: p.amount,
      });
    }
  }
  return result;
}

type Tx = Parameters<typeof insertLines>[0];

async function writeChildren(
  tx: Tx,
  orderId: number,
  n: ReturnType<typeof normalizeOrder>,
  input: OrderInput,
) {
  await insertLines(tx, orderId, n.lines);
  if (n.payments.length > 0) {
    await tx
      .insertInto("payments")
      .values(
        n.payments.map((p) => ({
          order_id: orderId,
          tender: p.tender,
          amount: p.amount,
          transaction_id: p.transactionId,
        })),
      )
      .execute();
  }
  await insertShipments(tx, orderId, input);
}

async function insertShipments(tx: Tx, orderId: number, input: OrderInput) {
  const shipments = input.shipments ?? [];
  if (shipments.length === 0) return;
  await tx
    .insertInto("shipments")
    .values(
      shipments.map((s) => ({
        order_id: orderId,
        direction: "outbound",
        carrier: s.carrier,
        tracking_no: s.trackingNo,
        status: s.status ?? "shipped",
        shipped_at: s.shippedAt ?? null,
        signed_at: s.signedAt ?? null,
        eta: s.eta ?? null,
      })),
    )
    .execute();
}
