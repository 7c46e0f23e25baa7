import { sql } from "kysely";
import type { CaseType } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import { refundHold } from "../domain/interception.ts";
import { type CaseState, transitionsFor } from "../domain/lifecycle.ts";
import { formatMinor, moneyDetails, sum } from "../domain/money.ts";
import type { Tender } from "../domain/order.ts";
import type { Quote } from "../domain/refund-quote.ts";
import { type LegLine, type LegShare, shareQuote, splitAcrossTenders } from "../domain/tenders.ts";
import { compiled, type RowOf } from "../store/compiled.ts";
import { caseLinesAndPayments, linesAndPaymentsOf, linesWithConsumed } from "../store/orders.ts";
import { installationId, refundKey } from "../store/refunds.ts";
import {
  advance,
  checkVersion,
  type Locked,
  type StepOptions,
  type StepResult,
  withCase,
} from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";
import type { RefundToSend } from "./issue-refund.ts";
import { type QuoteRequest, quoteFrom } from "./quote-refund.ts";
import { tenderOrderOf } from "./settings.ts";

export type GrantInput = StepOptions &
  Pick<QuoteRequest, "amount" | "deductions" | "shippingPolicy" | "shipping"> & {
    /**
     * 改线下退款: send the failed part of the latest grant again with this failed leg over an offline
     * tender (bank transfer, wallet) instead of its channel, which refused it for good.
     */
    switchLeg?: { refundId: number; tender: string };
  };

/** One refund row to write: a leg of the grant, on one payment (none: the platform holds the money). */
interface LegPlan {
  paymentId: number | null;
  tender: string;
  amount: number;
  goods: number;
  shipping: number;
  lines: LegLine[];
  transactionId: string | null;
  paymentAmount: number | null;
  /** The failed leg this one is sent in place of (a retried or switched leg). */
  replaces?: number;
}

/**
 * 同意退款: decide the refund. Writes its legs — one refund per tender it goes back to, in the
 * merchant's stated order (status requested, each with its idempotency key) and the outbox messages
 * that send them, all in the case's transaction, so a decided refund is never lost and no key ever
 * changes, however often sending is retried.
 *
 * Granting again after a refund that was paid back only in part (one leg failed) sends the failed
 * legs again, unchanged: what came back stays back, and the rest goes where it was meant to.
 */
export async function grantRefund(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: GrantInput = {},
): Promise<StepResult & { refundId: number; quote: Quote; refunds: RefundToSend[] }> {
  const installation = await installationId(ctx.db);
  await checkChannels(ctx, caseId, input.shops);
  return withCase(
    ctx,
    caseId,
    async (l) => {
      const { tx, kase, order } = l;
      // A stale version first: "someone changed it" says more than why the grant cannot be made now.
      await checkVersion(l, input.expectedVersion);
      // Which leg and why not, before the case's state has its say (a leg still processing: wait).
      if (input.switchLeg) await checkSwitch(ctx, l, input.switchLeg);
      // A case that cannot take a refund now says so before any amount is worked out.
      transitionsFor(kase.type as CaseType, kase.status as CaseState, "grant_refund");
      // 拦截中: the parcel is being stopped; its refund goes out once it is back (interception-outcome).
      const hold = refundHold(l.interceptionStatus);
      if (hold) fail("PARCEL_BEING_INTERCEPTED", hold, { interception: l.interceptionStatus });
      const { quote, legs, retried } = (await failedLegs(l, input)) ?? freshLegs(ctx, l, input);
      const total = sum(legs.map((x) => x.amount));
      const now = ctx.now();
      const keys = legs.map((_, i) => refundKey(installation, kase.id, l.refundCount + 1 + i));
      const sendAt = new Date(now.getTime() + ctx.settings.refundSendGraceMs);
      const lines = legs.flatMap((x, i) => x.lines.map((line) => ({ key: keys[i] as string, ...line })));
      // The legs, their per-line shares and the outbox messages that send them, in one statement.
      const rows = await sql<{ id: number; key: string; case_external_id: string | null }>`
        with r as (
          insert into refunds (case_id, order_id, payment_id, channel, currency, amount, goods_amount, shipping_amount,
                               idempotency_key, status, quote, grant_no, created_at, updated_at)
          select ${kase.id}, ${order.id}, x.payment, x.channel, ${order.currency}, x.amount, x.goods, x.shipping,
                 x.key, 'requested', ${JSON.stringify(quote)}::jsonb, ${l.grantCount + 1}, ${now}, ${now}
            from unnest(${legs.map((x) => x.paymentId)}::bigint[], ${legs.map((x) => x.tender)}::text[],
                        ${legs.map((x) => x.amount)}::bigint[], ${legs.map((x) => x.goods)}::bigint[],
                        ${legs.map((x) => x.shipping)}::bigint[], ${keys}::text[])
                 with ordinality as x(payment, channel, amount, goods, shipping, key, n)
           order by x.n
          returning id, idempotency_key),
        lines as (
          insert into refund_lines (refund_id, order_line_id, quantity, amount, consumed)
          select r.id, y.line, y.qty, y.amount, y.consumed
            from unnest(${lines.map((x) => x.key)}::text[], ${lines.map((x) => x.lineId)}::bigint[],
                        ${lines.map((x) => x.quantity)}::int[], ${lines.map((x) => x.amount)}::bigint[],
                        ${lines.map((x) => x.consumed)}::bigint[]) as y(key, line, qty, amount, consumed)
            join r on r.idempotency_key = y.key),
        msg as (
          insert into outbox (topic, key, payload, available_at)
          select 'refund.send', r.idempotency_key, jsonb_build_object('refundId', r.id), ${sendAt}::timestamptz from r)
        select r.id, r.idempotency_key as key, (select external_id from cases where id = ${kase.id}) as case_external_id
          from r order by r.id`.execute(tx);
      const byKey = new Map(rows.rows.map((x) => [x.key, x]));
      // A failed leg sent again is superseded by its new leg: it can never be sent, nor switched, again.
      const replaced = legs.flatMap((x, i) =>
        x.replaces === undefined
          ? []
          : [{ old: x.replaces, now: byKey.get(keys[i] as string)?.id as number }],
      );
      for (const r of replaced)
        await tx.updateTable("refunds").set({ replaced_by: r.now }).where("id", "=", r.old).execute();
      // The move last, with the transaction's COMMIT (nothing to give back: its guard says so, and
      // everything above rolls back).
      const result = await advance(
        ctx,
        l,
        actor,
        "grant_refund",
        { refundAmount: total },
        {
          ...input,
          data: {
            amount: total,
            cap: quote.cap,
            overridden: quote.overridden,
            ...(legs.length > 1 || retried
              ? { legs: legs.map((x) => ({ tender: x.tender, amount: x.amount })) }
              : {}),
            ...(retried ? { retried: true } : {}),
            ...(input.switchLeg ? { switched: switchedData(legs, input.switchLeg) } : {}),
          },
          commit: true,
        },
      );
      const refunds: RefundToSend[] = legs.map((x, i) => {
        const row = byKey.get(keys[i] as string) as { id: number; case_external_id: string | null };
        return {
          id: row.id,
          case_id: kase.id,
          status: "requested",
          channel: x.tender,
          idempotency_key: keys[i] as string,
          amount: x.amount,
          currency: order.currency,
          external_id: order.external_id,
          paid_total: order.paid_total,
          transaction_id: x.transactionId,
          payment_amount: x.paymentAmount,
          shop_id: order.shop_id,
          case_external_id: row.case_external_id,
        };
      });
      return { ...result, refundId: (refunds[0] as RefundToSend).id, quote, refunds };
    },
    { ...input, read: caseLinesAndPayments },
  );
}

/** The case's shop and platform id, its order and the order's payments, in one read. */
const CHANNEL_FACTS = compiled(
  "grant_channel_facts",
  (_db, p: { caseId: number }) => sql<{
    shop_id: string;
    case_external_id: string | null;
    id: number;
    external_id: string;
    currency: string;
    paid_total: number;
    payments: { tender: string; amount: number; transaction_id: string | null }[] | null;
  }>`
    select c.shop_id, c.external_id as case_external_id, o.id, o.external_id, o.currency, o.paid_total,
           (select json_agg(json_build_object('tender', p.tender, 'amount', p.amount, 'transaction_id', p.transaction_id)
                            order by p.id)
              from payments p where p.order_id = o.id) as payments
      from cases c join orders o on o.id = c.order_id
     where c.id = ${p.caseId}`,
);

/**
 * Refuse, before anything is decided, a refund that no channel it would go back over could send: a
 * tender with no channel configured, a platform shop that is not connected, a platform request id
 * the platform cannot have issued. Read outside the case's transaction (a channel may read its shop's
 * credentials); the case's shop, platform id and payments do not change under a grant.
 */
export async function checkChannels(ctx: FlowContext, caseId: number, shops?: readonly string[] | null) {
  const head = await CHANNEL_FACTS.first(ctx.db, { caseId });
  if (!head || (shops && !shops.includes(head.shop_id))) return; // the case's own flow says it is absent
  const payments = head.payments ?? [];
  const tenders = payments.length ? payments : [{ tender: "platform", amount: null, transaction_id: null }];
  for (const p of tenders) {
    await ctx.payments.get(p.tender).check?.({
      idempotencyKey: `check:${caseId}`,
      transactionId: p.transaction_id,
      orderRef: head.external_id,
      amount: 0,
      total: Number(p.amount ?? head.paid_total),
      currency: head.currency,
      shop: head.shop_id,
      ...(head.case_external_id ? { caseExternalId: head.case_external_id } : {}),
    });
  }
}

/** A new grant: quote what is left, then split it over the order's payments in the stated order. */
function freshLegs(ctx: FlowContext, l: Locked & { read: CaseHeld[] }, input: GrantInput) {
  const { kase, order } = l;
  // What refunds already hold of the order's lines and of each payment, read with the case.
  const held = linesAndPaymentsOf(l.read);
  const quote = quoteFrom(held, ctx, order, {
    items: l.items,
    reason: kase.reason as QuoteRequest["reason"],
    ...(input.amount !== undefined ? { amount: input.amount } : {}),
    ...(input.deductions ? { deductions: input.deductions } : {}),
    ...(input.shippingPolicy ? { shippingPolicy: input.shippingPolicy } : {}),
    ...(input.shipping !== undefined ? { shipping: input.shipping } : {}),
  });
  // Nothing to give back: the lifecycle's guard says so, in its words.
  if (quote.total <= 0) return { quote, legs: [] as LegPlan[], retried: false };
  const { payments } = held;
  if (payments.length === 0) {
    // No payment on record (an order a platform sent without one): the platform holds the money.
    const [share] = shareQuote(quote, [quote.total]);
    const only = share as LegShare;
    return {
      quote,
      legs: [
        {
          paymentId: null,
          tender: "platform",
          amount: quote.total,
          goods: only.goods,
          shipping: only.shipping,
          lines: only.lines,
          transactionId: null,
          paymentAmount: null,
        },
      ],
      retried: false,
    };
  }
  const split = splitAcrossTenders(
    { amount: quote.total, currency: quote.currency },
    payments.map((p) => ({
      paymentId: p.id,
      tender: p.tender as Tender,
      amount: Number(p.amount),
      refunded: Number(p.refunded ?? 0),
    })),
    tenderOrderOf(l.stored.tenderOrder),
  );
  const shares = shareQuote(
    quote,
    split.map((x) => x.amount),
  );
  const legs = split.map((x, i): LegPlan => {
    const p = payments.find((y) => y.id === x.paymentId);
    const share = shares[i] as LegShare;
    return {
      paymentId: x.paymentId,
      tender: x.tender,
      amount: x.amount,
      goods: share.goods,
      shipping: share.shipping,
      lines: share.lines,
      transactionId: p?.transaction_id ?? null,
      paymentAmount: p ? Number(p.amount) : null,
    };
  });
  return { quote, legs, retried: false };
}

type CaseHeld = RowOf<typeof caseLinesAndPayments>;

/** The timeline's record of a switch: which leg went where. */
const switchedData = (legs: LegPlan[], to: { refundId: number; tender: string }) => {
  const leg = legs.find((x) => x.replaces === to.refundId);
  return { refundId: to.refundId, tender: to.tender, amount: leg?.amount ?? null };
};

/**
 * The leg to switch to an offline tender: a leg of the latest grant that its channel refused for good
 * (status failed — never processing, whose money may yet arrive), not already replaced, going to a
 * tender a person pays out. Anything else could pay the customer twice.
 */
async function checkSwitch(ctx: FlowContext, l: Locked, to: { refundId: number; tender: string }) {
  const leg = await l.tx
    .selectFrom("refunds")
    .select(["id", "status", "channel", "grant_no", "replaced_by"])
    .where("id", "=", to.refundId)
    .where("case_id", "=", l.kase.id)
    .executeTakeFirst();
  if (!leg)
    return fail("REFUND_NOT_FOUND", `Refund ${to.refundId} does not exist`, { refundId: to.refundId });
  if (leg.replaced_by !== null || leg.grant_no !== l.grantCount)
    fail("REFUND_ALREADY_REPLACED", `Refund ${leg.id} was already sent again or switched`, {
      refundId: leg.id,
      replacedBy: leg.replaced_by,
    });
  if (leg.status !== "failed")
    fail(
      "REFUND_NOT_FAILED",
      `Refund ${leg.id} is ${leg.status}: only a refund its channel refused for good can go another way`,
      { refundId: leg.id, status: leg.status },
    );
  if (!ctx.payments.has(to.tender) || !ctx.payments.get(to.tender).awaitsPerson)
    fail("NOT_AN_OFFLINE_TENDER", `"${to.tender}" is not a tender finance pays out by hand`, {
      tender: to.tender,
    });
}

/**
 * The failed legs of the latest grant when others of it succeeded — the part of the refund still owed.
 * They go out again as they were decided; a new amount would re-decide money already paid back. A
 * switch sends them again even when every leg failed, the switched one over its offline tender.
 */
async function failedLegs(l: Locked, input: GrantInput) {
  if (l.grantCount === 0) return undefined;
  const { tx, order } = l;
  const legs = await tx
    .selectFrom("refunds as r")
    .leftJoin("payments as p", "p.id", "r.payment_id")
    .select([
      "r.id",
      "r.status",
      "r.payment_id",
      "r.channel",
      "r.amount",
      "r.goods_amount",
      "r.shipping_amount",
      "r.quote",
      "r.replaced_by",
      "p.transaction_id",
      "p.amount as payment_amount",
    ])
    .where("r.case_id", "=", l.kase.id)
    .where("r.grant_no", "=", l.grantCount)
    .orderBy("r.id")
    .execute();
  const failed = legs.filter((x) => x.status === "failed" && x.replaced_by === null);
  if (failed.length === 0 || (failed.length === legs.length && !input.switchLeg)) return undefined;
  if (input.amount !== undefined || input.shipping !== undefined || input.deductions?.length)
    fail(
      "REFUND_PARTLY_PAID",
      "Part of this refund was already paid back; only its failed part can be sent again",
      {
        failed: failed.map((x) => ({
          refundId: x.id,
          channel: x.channel,
          amount: formatMinor(Number(x.amount), order.currency),
        })),
        currency: order.currency,
      },
    );
  const lines = await tx
    .selectFrom("refund_lines")
    .select(["refund_id", "order_line_id", "quantity", "amount", "consumed"])
    .where(
      "refund_id",
      "in",
      failed.map((x) => x.id),
    )
    .execute();
  // Another case may have taken these units or this money since the leg failed.
  const now = await linesWithConsumed(tx, order.id);
  for (const line of lines) {
    const held = now.lines.find((x) => x.lineId === Number(line.order_line_id));
    if (!held) continue;
    if (
      held.refundedQuantity + line.quantity > held.quantity ||
      held.refundedAmount + Number(line.consumed) > held.paid
    )
      fail("REFUND_ABOVE_CAP", "The failed part of this refund has since been refunded by another case", {
        lineId: Number(line.order_line_id),
      });
  }
  const shipping = sum(failed.map((x) => Number(x.shipping_amount)));
  if (now.shipping + shipping > order.shipping_fee)
    fail(
      "SHIPPING_EXCEEDS_REFUNDABLE",
      "The failed part's shipping has since been refunded by another case",
      {
        ...moneyDetails(order.currency, {
          refundable: order.shipping_fee - now.shipping,
          requested: shipping,
        }),
      },
    );
  return {
    quote: failed[0]?.quote as Quote,
    retried: true,
    legs: failed.map(
      (x): LegPlan => ({
        replaces: x.id,
        paymentId: x.payment_id,
        tender: x.id === input.switchLeg?.refundId ? input.switchLeg.tender : x.channel,
        amount: Number(x.amount),
        goods: Number(x.goods_amount),
        shipping: Number(x.shipping_amount),
        lines: lines
          .filter((y) => y.refund_id === x.id)
          .map((y) => ({
            lineId: Number(y.order_line_id),
            quantity: y.quantity,
            amount: Number(y.amount),
            consumed: Number(y.consumed),
          })),
        transactionId: x.id === input.switchLeg?.refundId ? null : x.transaction_id,
        paymentAmount: x.payment_amount === null ? null : Number(x.payment_amount),
      }),
    ),
  };
}
