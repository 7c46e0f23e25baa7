import type { OrderInput } from "../../src/domain/order.ts";
import type { Actor, FlowContext } from "../../src/flows/context.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { orderLines } from "../../src/store/orders.ts";

export const REVIEWER: Actor = { kind: "user", id: "reviewer-1" };
export const WAREHOUSE: Actor = { kind: "user", id: "warehouse-1" };

export async function addShop(ctx: FlowContext, id = "tmall-1", channel = "tmall") {
  await ctx.db
    .insertInto("shops")
    .values({ id, name: id, channel })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

let n = 0;
/** A delivered Tmall order: 2 × T-shirt at 99.00 and 1 × cap at 59.90, a 20.00 coupon, 8.00 shipping. */
export function sampleOrder(over: Partial<OrderInput> = {}): OrderInput {
  n++;
  return {
    shop: "tmall-1",
    externalId: `T${Date.now()}${n}`,
    currency: "CNY",
    customer: { id: "cust-1", name: "王小明" },
    paidAt: "2026-10-20T10:00:00Z",
    lines: [
      { externalId: "L1", sku: "TEE-BLK-M", title: "T恤 黑 M", quantity: 2, unitPrice: "99.00" },
      { externalId: "L2", sku: "CAP-01", title: "棒球帽", quantity: 1, unitPrice: "59.90" },
    ],
    discounts: [{ kind: "coupon", amount: "20.00" }],
    shippingFee: "8.00",
    payments: [{ tender: "alipay", amount: "245.90", transactionId: `2026${n}` }],
    shipments: [{ carrier: "SF", trackingNo: `SF${n}000`, status: "delivered" }],
    ...over,
  };
}

/** Ingest an order and return its id and line ids in line order. */
export async function placeOrder(ctx: FlowContext, over: Partial<OrderInput> = {}) {
  await addShop(ctx, over.shop ?? "tmall-1");
  const { id } = await ingestOrder(ctx, sampleOrder(over));
  const lines = await orderLines(ctx.db, id);
  return { orderId: id, lines };
}

/** Row counts and versions of every table: equal before and after means nothing changed. */
export async function snapshot(ctx: FlowContext) {
  const tables = [
    "orders",
    "order_lines",
    "payments",
    "cases",
    "case_items",
    "case_events",
    "shipments",
    "receipts",
    "refunds",
    "refund_lines",
    "outbox",
  ] as const;
  const out: Record<string, unknown> = {};
  for (const t of tables) {
    out[t] = Number(
      (
        await ctx.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  }
  out.caseStates = (
    await ctx.db.selectFrom("cases").select(["id", "status", "version"]).orderBy("id").execute()
  ).map((c) => `${c.id}:${c.status}:${c.version}`);
  out.orders_v = (
    await ctx.db
      .selectFrom("orders")
      .select(["id", "version", "aftersales_status", "refunded_total"])
      .orderBy("id")
      .execute()
  ).map((o) => `${o.id}:${o.version}:${o.aftersales_status}:${o.refunded_total}`);
  return out;
}

/** The AppError code a promise rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${(e as Error).message}`;
  }
  return "no error";
}

/** A delivered order with one refund_only case for `quantity` units of its first line, approved unless told not to. */
export async function refundOnlyCase(
  ctx: FlowContext,
  opts: { quantity?: number; line?: number; approve?: boolean } = {},
) {
  const { orderId, lines } = await placeOrder(ctx);
  const { id } = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: lines[opts.line ?? 0]?.id ?? 0, quantity: opts.quantity ?? 1 }],
  });
  if (opts.approve !== false) await approveCase(ctx, REVIEWER, id);
  return { id, orderId, lines };
}

/** The one refund a single-tender grant writes (it fails loudly if the grant split over tenders). */
export function onlyLeg<T>(granted: { refunds: readonly T[] }): T {
  if (granted.refunds.length !== 1) throw new Error(`expected one refund leg, got ${granted.refunds.length}`);
  return granted.refunds[0] as T;
}
