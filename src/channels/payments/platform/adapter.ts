import { AppError } from "../../../domain/errors.ts";
import type { PlatformCase, PlatformClient, PlatformState } from "../../platforms/platform.ts";
import { PlatformRejectedError } from "../../platforms/platform.ts";
import {
  ChannelUnavailableError,
  type PaymentChannel,
  type RefundOutcome,
  type RefundQueryResult,
  type RefundRequest,
} from "../channel.ts";

/**
 * The tender `platform`: the marketplace (Taobao, Tmall, JD…) holds the buyer's money, so a refund is
 * the merchant agreeing the buyer's after-sales request on the platform (同意退款) — the platform moves
 * the money. The refund's shop and platform request id (RefundRequest.shop / caseExternalId) say which
 * request; a refund not tied to a connected platform request goes to the fallback channel.
 */

export interface PlatformPayOptions {
  /** The shop's connected platform client; undefined when the shop has no platform connection. */
  connect(shop: string): Promise<PlatformClient | undefined>;
  /** Where refunds not tied to a connected platform request go (absent: they fail, clearly). */
  fallback?: PaymentChannel;
}

const NAME = "platform";
const notConnected = (req: RefundRequest) =>
  `The refund of order ${req.orderRef} is not tied to a request of a connected platform shop`;

/** What the request's state already says about the money, as data; null: not decided yet — agree it. */
const KNOWN: Readonly<Record<PlatformState, ((c: PlatformCase) => RefundOutcome) | null>> = {
  refunded: (c) => ({ status: "succeeded", channelRefundId: c.externalId, succeededAt: c.updatedAt }),
  refunding: (c) => ({ status: "processing", channelRefundId: c.externalId }),
  cancelled: (c) => ({
    status: "failed",
    code: "PLATFORM_REQUEST_CLOSED",
    message: `The buyer withdrew request ${c.externalId} or the platform closed it (${c.platformStatus}); nothing was refunded`,
  }),
  refused: (c) => ({
    status: "failed",
    code: "PLATFORM_REQUEST_REFUSED",
    message: `Request ${c.externalId} was refused on the platform (${c.platformStatus}); nothing was refunded`,
  }),
  completed: (c) => ({
    status: "failed",
    code: "PLATFORM_REQUEST_COMPLETED",
    message: `Request ${c.externalId} was completed on the platform without a refund`,
  }),
  requested: null,
  awaiting_return: null,
  return_shipped: null,
  intervened: null,
};

export function platformPayChannel(opts: PlatformPayOptions): PaymentChannel {
  const unavailable = (message: string, cause?: unknown) =>
    new ChannelUnavailableError(NAME, "untrusted_response", message, { cause });

  async function target(req: RefundRequest | undefined) {
    if (!req?.shop || !req.caseExternalId) return undefined;
    const client = await opts.connect(req.shop);
    return client
      ? { client, ref: { externalId: req.caseExternalId, orderExternalId: req.orderRef } }
      : undefined;
  }

  return {
    name: NAME,
    async refund(req) {
      const t = await target(req);
      if (!t) {
        if (opts.fallback) return opts.fallback.refund(req);
        return {
          status: "failed",
          code: "PLATFORM_NOT_CONNECTED",
          message: notConnected(req),
        };
      }
      // Read first: a request already refunded (a repeat of this send, or the platform paid it on its
      // own) must not be agreed again, and the agreement must carry the request's latest version.
      const now = await t.client.getAftersale(t.ref);
      if (!now)
        return {
          status: "failed",
          code: "PLATFORM_REQUEST_NOT_FOUND",
          message: `The platform does not know request ${t.ref.externalId}`,
        };
      const known = KNOWN[now.state];
      if (known) return known(now);
      if (now.requestedAmount !== null && req.amount > now.requestedAmount) {
        return {
          status: "failed",
          code: "PLATFORM_AMOUNT_ABOVE_REQUEST",
          message: `The refund (${req.amount}) is more than the buyer asked for on the platform (${now.requestedAmount}); grant at most that`,
        };
      }
      try {
        await t.client.agreeRefund(
          { ...t.ref, ...(now.version ? { version: now.version } : {}) },
          req.amount,
        );
      } catch (e) {
        if (!(e instanceof PlatformRejectedError)) throw e;
        // The request changed under us, or the credentials need fixing: nothing moved, and trying
        // again (after a fresh read) is right — so the outcome stays open and the outbox retries.
        if (e.kind === "stale_version" || e.kind === "auth") throw unavailable(`${e.code}: ${e.message}`, e);
        return { status: "failed", code: e.code, message: e.message };
      }
      const after = await t.client.getAftersale(t.ref);
      const settled = after ? KNOWN[after.state] : null;
      return settled && after ? settled(after) : { status: "processing", channelRefundId: t.ref.externalId };
    },
    async check(req) {
      const t = await target(req);
      if (t) return t.client.checkRef?.(t.ref);
      if (opts.fallback) return opts.fallback.check?.(req);
      throw new AppError("PLATFORM_NOT_CONNECTED", notConnected(req), { shop: req.shop ?? null });
    },
    async query(idempotencyKey, req): Promise<RefundQueryResult> {
      const t = await target(req);
      if (!t) return opts.fallback ? opts.fallback.query(idempotencyKey, req) : { status: "not_found" };
      const now = await t.client.getAftersale(t.ref);
      if (!now) return { status: "not_found" };
      // Only money that moved (or is moving) counts as found; anything else is sent (agreed) again,
      // which reads the request first and cannot pay twice.
      if (now.state === "refunded" || now.state === "refunding")
        return (KNOWN[now.state] as (c: PlatformCase) => RefundOutcome)(now);
      return { status: "not_found" };
    },
  };
}
