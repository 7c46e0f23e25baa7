import { Type } from "@fastify/type-provider-typebox";
import { describeError, type Lang } from "../../domain/messages/index.ts";
import { TENDERS } from "../../domain/order.ts";
import type { FlowContext } from "../../flows/context.ts";
import { sendNow } from "../../flows/issue-refund.ts";
import { settleOfflineRefund } from "../../flows/settle-offline-refund.ts";
import { switchRefundToOffline } from "../../flows/switch-refund.ts";
import { list } from "../../store/queue.ts";
import { listRefunds, REFUND_STATUSES } from "../../store/refunds.ts";
import { principal } from "../auth.ts";
import { langOf } from "../problems.ts";
import { money } from "../serialize.ts";
import type { App } from "../server.ts";
import { inCallersWords } from "./cases.ts";
import { Enum } from "./schemas.ts";

type Row = Awaited<ReturnType<typeof listRefunds>>["items"][number];
const OPEN = ["requested", "processing"];

/**
 * What finance can do to a refund leg now, each one an existing call: `settle` records an offline
 * leg's transfer (POST /refunds/:id/offline-settlement), `recheck` sends a waiting leg or asks its
 * channel again (POST /cases/:caseId/issue-refund), `resend` grants the failed part again over its
 * channel and `switch` pays it by bank transfer or wallet instead (POST /cases/:caseId/grant-refund,
 * POST /refunds/:id/switch-to-offline) — only a failed leg of the case's latest grant, not sent again
 * yet, while its case waits in refund_failed.
 */
function refundActions(r: Row, byHand: boolean) {
  const open = OPEN.includes(r.status);
  const retryable =
    r.status === "failed" &&
    r.replaced_by === null &&
    r.grant_no === Number(r.latest_grant) &&
    r.case_status === "refund_failed";
  return [
    ...(open && byHand ? ["settle" as const] : []),
    ...(open && !byHand ? ["recheck" as const] : []),
    ...(retryable ? ["resend" as const] : []),
    ...(retryable && !byHand ? ["switch" as const] : []),
  ];
}

/** The stored "CODE: message" of a leg's last failure, in the caller's words. */
function lastError(text: string | null, lang: Lang) {
  if (!text) return null;
  const m = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/.exec(text);
  if (!m) return { code: "UNKNOWN", message: text };
  const code = m[1] as string;
  return { code, message: describeError({ code, message: m[2] as string }, lang) };
}

const refundRowJson = (r: Row, byHand: boolean, lang: Lang) => ({
  id: r.id,
  caseId: r.case_id,
  caseExternalId: r.case_external_id,
  caseStatus: r.case_status,
  caseVersion: r.case_version,
  orderId: r.order_id,
  orderExternalId: r.order_external_id,
  shop: r.shop_id,
  reason: r.reason,
  customerName: r.customer_name,
  grant: r.grant_no,
  legs: Number(r.legs),
  currency: r.currency,
  amount: money(r.amount, r.currency),
  goods: money(r.goods_amount, r.currency),
  shipping: money(r.shipping_amount, r.currency),
  channel: r.channel,
  byHand,
  idempotencyKey: r.idempotency_key,
  status: r.status,
  channelRefundId: r.channel_refund_id,
  attempts: r.attempts,
  lastError: lastError(r.last_error, lang),
  replacedBy: r.replaced_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  succeededAt: r.succeeded_at,
  actions: refundActions(r, byHand),
});

const Instant = Type.String({ format: "date-time" });

/** 退款: what finance does to a refund directly. */
export async function refundRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  /** Tenders a person pays out by hand (bank transfer, wallet…): the registry says which. */
  const byHand = (channel: string) =>
    ctx.payments.has(channel) && ctx.payments.get(channel).awaitsPerson === true;

  app.get(
    "/refunds",
    {
      config: { permission: "finance.read" },
      schema: {
        tags: ["refunds"],
        summary:
          "退款列表: refund legs, newest first, with their case and grant, what went wrong and what can be done now; filtered and paged",
        querystring: Type.Object({
          status: Type.Optional(
            Type.String({
              maxLength: 100,
              description: "requested, processing, succeeded, failed; comma-separated",
            }),
          ),
          channel: Type.Optional(
            Type.String({
              maxLength: 400,
              description: "Tenders (wechat_pay, alipay, bank_transfer…), comma-separated",
            }),
          ),
          shop: Type.Optional(Type.String({ maxLength: 2000, description: "Shops, comma-separated" })),
          awaiting: Type.Optional(
            Enum(["transfer", "action"], {
              description:
                "transfer: offline legs finance has yet to pay and record; action: failed legs not yet sent again or switched",
            }),
          ),
          q: Type.Optional(
            Type.String({
              maxLength: 100,
              description: "Case or refund id, order or platform case number, refund key, channel refund id",
            }),
          ),
          from: Type.Optional(Instant),
          to: Type.Optional(Instant),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const { status, channel, shop, awaiting, q, from, to, offset = 0, limit = 50 } = req.query;
      const offline = TENDERS.filter(byHand);
      const items = (field: string, v: string, allowed: readonly string[] | null) =>
        list(field, v, allowed) as string[];
      const page = await listRefunds(ctx.db, {
        ...(status !== undefined ? { status: items("status", status, REFUND_STATUSES) } : {}),
        ...(channel !== undefined ? { channel: items("channel", channel, null) } : {}),
        ...(shop !== undefined ? { shop: items("shop", shop, null) } : {}),
        ...(awaiting === "transfer" ? { awaitingTransfer: { offline } } : {}),
        ...(awaiting === "action" ? { needsAction: true } : {}),
        ...(q ? { q } : {}),
        ...(from ? { from: new Date(from) } : {}),
        ...(to ? { to: new Date(to) } : {}),
        offset,
        limit,
        shops: p.shops,
      });
      const lang = langOf(req);
      return { total: page.total, items: page.items.map((r) => refundRowJson(r, byHand(r.channel), lang)) };
    },
  );

  app.post(
    "/refunds/:id/offline-settlement",
    {
      config: { permission: "case.issue_refund" },
      schema: {
        tags: ["refunds"],
        summary: "Record that finance paid an offline refund (bank transfer, wallet), with its reference",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object({ reference: Type.String({ minLength: 1 }) }),
      },
    },
    async (req) => {
      const p = principal(req);
      return settleOfflineRefund(ctx, { kind: "user", id: p.name }, req.params.id, {
        reference: req.body.reference,
        shops: p.shops,
      });
    },
  );

  app.post(
    "/refunds/:id/switch-to-offline",
    {
      config: { permission: "case.issue_refund" },
      schema: {
        tags: ["refunds"],
        summary:
          "Pay a refund its channel refused for good another way (改线下退款): a new leg over bank transfer or wallet, same amount, own key; finance then records its reference",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object(
          {
            tender: Enum(["bank_transfer", "wallet"]),
            note: Type.String({ minLength: 1 }),
            expectedVersion: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      const granted = await switchRefundToOffline(ctx, { kind: "user", id: p.name }, req.params.id, {
        ...req.body,
        shops: p.shops,
      });
      // Sent at once: the offline channel records that finance owes it; answered as granted whatever happens.
      return {
        id: granted.caseId,
        ...inCallersWords(await sendNow(ctx, granted, granted.refunds), langOf(req)),
      };
    },
  );
}
