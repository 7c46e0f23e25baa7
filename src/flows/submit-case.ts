import { sql } from "kysely";
import {
  CASE_SOURCES,
  CASE_TYPES,
  type CaseSource,
  type CaseType,
  REASONS,
  type ReasonCode,
} from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { OPEN_INTERCEPTION_STATUSES } from "../domain/interception.ts";
import { type CaseState, RELEASES_QUANTITY } from "../domain/lifecycle.ts";
import { moneyDetails, parseMinor } from "../domain/money.ts";
import { compiled, type RowOf, sessionStatement } from "../store/compiled.ts";
import { GENERIC_PLANS, lockedTransaction } from "../store/locked-transaction.ts";
import { findOrderId } from "../store/orders.ts";
import { type AutoReviewResult, finishInStep, type InStep, judgeInStep } from "./auto-review.ts";
import { applyOrderChange, orderChange, orderUpdate } from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { quoteForOrder } from "./quote-refund.ts";
import { reviewSettingsColumns, type StoredReviewSettings } from "./settings.ts";

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
  /** What the customer says they received instead (wrong item): shown beside what was ordered. */
  claim?: { receivedSku?: string; receivedTitle?: string };
  /** The shops the caller may touch (null: all); another shop's order does not exist for them. */
  shops?: readonly string[] | null;
  /** Judge the new case by the live rules at once (default); imports of history say no. */
  review?: boolean;
}

export interface SubmitResult {
  id: number;
  created: boolean;
  status: CaseState;
  version: number;
  /** What the automatic review did with a new case. */
  review?: AutoReviewResult;
  /** Why the automatic review could not judge the new case (the review sweep tries again). */
  reviewError?: { code: string; message: string };
}

/** Types that send goods back need goods that went out. */
const NEEDS_SHIPMENT: readonly CaseType[] = ["return_refund", "exchange"];
const MONEY_TYPES: readonly CaseType[] = ["refund_only", "return_refund"];

/** Open a case (售后申请) against an order, after checking that what it asks for is still claimable. */
export async function submitCase(
  ctx: FlowContext,
  actor: Actor,
  input: SubmitCaseInput,
): Promise<SubmitResult> {
  const { inStep, ...submitted } = await openCase(ctx, actor, input);
  if (!submitted.created || !inStep) return submitted;
  // The case exists now: a review that fails is stated in the answer, and the sweep judges it later.
  const { review, unchanged } = await finishInStep(ctx, submitted.id, "submitted", inStep);
  // Where the review left the case: as submitted when it only annotated it, else as read now.
  const now = unchanged ? submitted : await STATUS.first(ctx.db, { id: submitted.id });
  if (!now) return fail("CASE_NOT_FOUND", `Case ${submitted.id} does not exist`, { caseId: submitted.id });
  return {
    ...submitted,
    status: now.status as CaseState,
    version: now.version,
    ...("error" in review ? { reviewError: review.error } : { review }),
  };
}

const STATUS = compiled("case_status", (db, p: { id: number }) =>
  db.selectFrom("cases").select(["status", "version"]).where("id", "=", p.id),
);

const LOCK = sessionStatement(
  "order_lock",
  (_db, p: { orderId: number }) => sql`select 1 from orders where id = ${p.orderId} for update`,
);

/**
 * The order with its lines, what other live cases hold of each line, whether anything shipped, the
 * order's case states and an existing case with the same platform id — in one read.
 */
const READ = sessionStatement("submit_order", (db, p: { orderId: number; externalId: string | null }) =>
  db
    .selectFrom("order_lines as l")
    .innerJoin("orders as o", "o.id", "l.order_id")
    .select((eb) => [
      "l.id",
      "l.sku",
      "l.quantity",
      "o.shop_id",
      "o.external_id",
      "o.customer_id",
      "o.currency",
      "o.shipping_fee",
      "o.paid_total",
      "o.refunded_total",
      "o.aftersales_status",
      "o.version",
      eb
        .selectFrom("case_items as ci")
        .innerJoin("cases as c", "c.id", "ci.case_id")
        .select((e) => e.fn.coalesce(e.fn.sum<number>("ci.quantity"), e.lit(0)).as("q"))
        .whereRef("ci.order_line_id", "=", "l.id")
        .where("c.status", "not in", RELEASES_QUANTITY)
        .as("held"),
      eb
        .exists(
          eb
            .selectFrom("shipments as s")
            .select("s.id")
            .whereRef("s.order_id", "=", "l.order_id")
            .where("s.direction", "=", "outbound")
            .where("s.status", "!=", "unshipped"),
        )
        .as("shipped"),
      sql<string[]>`array(select status from cases where order_id = l.order_id)`.as("statuses"),
      sql<boolean>`exists (select 1 from interceptions i where i.order_id = l.order_id
                              and i.status = any(${OPEN_INTERCEPTION_STATUSES}::text[]))`.as("intercepting"),
      eb
        .selectFrom("cases")
        .select("id")
        .whereRef("shop_id", "=", "o.shop_id")
        .where("external_id", "=", p.externalId)
        .as("existing"),
    ])
    .where("l.order_id", "=", p.orderId)
    .orderBy("l.line_no"),
);

/** A new case comes with what its review needs: settings read by the statement that wrote it, and its facts. */
async function openCase(
  ctx: FlowContext,
  actor: Actor,
  input: SubmitCaseInput,
): Promise<SubmitResult & { inStep?: InStep }> {
  if (!CASE_TYPES.includes(input.type))
    fail("INVALID_CASE_TYPE", `Unknown case type "${input.type}"`, { type: input.type });
  if (!(input.reason in REASONS))
    fail("INVALID_REASON", `Unknown reason "${input.reason}"`, {
      reason: input.reason,
      known: Object.keys(REASONS),
    });
  if (!CASE_SOURCES.includes(input.source))
    fail("INVALID_SOURCE", `Unknown source "${input.source}"`, { source: input.source, known: CASE_SOURCES });
  if (input.items.length === 0) fail("NO_ITEMS", "A case needs at least one item");
  const notFound = () =>
    fail("ORDER_NOT_FOUND", "No such order", {
      orderId: input.orderId,
      externalOrderId: input.externalOrderId,
    });
  if (input.orderId === undefined && !(input.shop && input.externalOrderId)) notFound();
  const now = ctx.now();

  const orderId =
    input.orderId ??
    (await findOrderId(ctx.db, input.shop as string, input.externalOrderId as string)) ??
    notFound();
  if (!Number.isSafeInteger(orderId) || orderId <= 0) notFound();

  // Lock the order first, then read it, in the transaction's first round trip: everything read after
  // the lock sees what earlier holders of the lock committed.
  const start = {
    sql: `${GENERIC_PLANS}; ${LOCK.execute({ orderId })}; ${READ.execute({ orderId, externalId: input.externalId ?? null })}`,
    sessionStatements: [LOCK, READ],
  };
  return lockedTransaction<SubmitResult & { inStep?: InStep }, RowOf<typeof READ>>(
    ctx.db,
    start,
    async (tx, rows) => {
      const o = rows[0];
      if (!o || (input.shops && !input.shops.includes(o.shop_id))) return notFound();
      const order = { ...o, id: orderId };
      const first = o;
      if (first.existing) {
        const c = await tx
          .selectFrom("cases")
          .select(["status", "version"])
          .where("id", "=", first.existing)
          .executeTakeFirstOrThrow();
        return { id: first.existing, created: false, status: c.status as CaseState, version: c.version };
      }
      const lines = new Map(rows.map((l) => [l.id, l]));
      const seen = new Set<number>();
      for (const item of input.items) {
        const line =
          lines.get(item.lineId) ??
          fail("UNKNOWN_LINE", `Line ${item.lineId} is not on order ${order.id}`, { lineId: item.lineId });
        if (seen.has(item.lineId))
          fail("DUPLICATE_LINE", `Line ${item.lineId} appears twice`, { lineId: item.lineId });
        seen.add(item.lineId);
        if (!Number.isSafeInteger(item.quantity) || item.quantity <= 0) {
          fail("INVALID_QUANTITY", "Quantities must be positive integers", { lineId: item.lineId });
        }
        const claimable = line.quantity - Number(line.held ?? 0);
        if (item.quantity > claimable) {
          fail("QUANTITY_EXCEEDS_RETURNABLE", `Only ${claimable} of ${line.sku} can still be claimed`, {
            lineId: line.id,
            claimable,
            requested: item.quantity,
          });
        }
      }
      if (NEEDS_SHIPMENT.includes(input.type) && !first?.shipped) {
        fail("NOT_SHIPPED", "Nothing was shipped yet, so nothing can be returned; ask for a refund instead");
      }
      let requested: number | null = null;
      if (input.requestedAmount !== undefined) {
        requested = parseMinor(input.requestedAmount, order.currency);
        if (MONEY_TYPES.includes(input.type)) {
          const quote = await quoteForOrder(tx, ctx, order, { items: input.items, reason: input.reason });
          if (requested > quote.cap) {
            fail(
              "REFUND_ABOVE_CAP",
              "The requested amount is more than may be refunded",
              moneyDetails(order.currency, { cap: quote.cap, requested }),
            );
          }
        }
      }
      // The case, its items, the first timeline event and the order's new status, in one statement.
      const change = orderChange(order, [...((first.statuses ?? []) as CaseState[]), "requested"], 0, {
        openInterception: Boolean(first.intercepting),
      });
      const created = await sql<{ case_id: number } & StoredReviewSettings>`
      with c as (
        insert into cases (order_id, shop_id, customer_id, external_id, type, status, reason, source,
                           description, evidence, claim, currency, requested_amount, status_since, created_at, updated_at)
        values (${order.id}, ${order.shop_id}, ${order.customer_id}, ${input.externalId ?? null}, ${input.type},
                'requested', ${input.reason}, ${input.source}, ${input.description ?? null},
                ${JSON.stringify(input.evidence ?? [])}::jsonb,
                ${input.claim ? JSON.stringify(input.claim) : null}::jsonb, ${order.currency}, ${requested}, ${now}, ${now}, ${now})
        returning id),
      i as (
        insert into case_items (case_id, order_line_id, quantity)
        select c.id, x.line, x.qty
          from c, unnest(${input.items.map((i) => i.lineId)}::bigint[], ${input.items.map((i) => i.quantity)}::int[]) as x(line, qty))
      ${orderUpdate(order, change, now, sql`exists (select 1 from c)`)}
      insert into case_events (case_id, at, actor, action, from_status, to_status, note, data)
      select c.id, ${now}::timestamptz, ${actorName(actor)}::text, 'submit', null, 'requested', ${input.description ?? null}::text,
             ${JSON.stringify({ type: input.type, reason: input.reason, source: input.source, items: input.items })}::jsonb
        from c
      returning case_id, ${reviewSettingsColumns(sql`${order.shop_id}::text`)}`.execute(tx);
      const row = created.rows[0];
      const id = row?.case_id as number;
      if (change) applyOrderChange(order, change);
      return {
        id,
        created: true,
        status: "requested" as const,
        version: 1,
        // Judged with the submission, in its transaction (judgeInStep).
        ...(input.review === false
          ? {}
          : { inStep: await judgeInStep(ctx, tx, id, "submitted", row as StoredReviewSettings) }),
      };
    },
  );
}
