/**
 * Webhooks to integrators (Standard Webhooks 1.0): which timeline events they hear of, and when a
 * delivery that failed is tried again. Pure: the caller passes the clock and the dice.
 */

/** The event types an endpoint may subscribe to, each raised by a timeline event it names. */
const RAISED_BY: Record<string, (e: { action: string; toStatus: string | null }) => boolean> = {
  "case.created": (e) => e.action === "submit",
  "case.approved": (e) => e.action === "approve",
  "case.rejected": (e) => e.action === "reject",
  "case.cancelled": (e) => e.action === "cancel",
  // The whole return is in: a partial receipt is no news for an integrator yet.
  "case.return_received": (e) => e.action === "receive" && e.toStatus === "received",
  "case.inspected": (e) => e.action === "inspect",
  "refund.sent": (e) => e.action === "grant_refund",
  "refund.succeeded": (e) => e.action === "refund_succeeded",
  "refund.failed": (e) => e.action === "refund_failed",
  "case.closed": (e) => e.action === "close",
};

export const WEBHOOK_EVENT_TYPES = Object.keys(RAISED_BY);
/** Sent only on request (POST /webhooks/{id}/test), to check an endpoint; never subscribed to. */
export const TEST_EVENT_TYPE = "webhook.test";

/** The type a timeline event raises, if any. */
export const eventTypeOf = (e: { action: string; toStatus: string | null }) =>
  WEBHOOK_EVENT_TYPES.find((t) => RAISED_BY[t]?.(e));

/**
 * The spec's schedule: the first attempt at once, then these waits after each failure — about three
 * days in all. After the last one fails the delivery is dead.
 */
export const RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/**
 * When to try again after `attempts` failed attempts, or null when they are used up. Jitter of ±20%
 * keeps endpoints that failed together from being hit together again; a receiver's Retry-After (429,
 * 503) is honoured when it asks for longer, up to a day.
 */
export function nextAttemptAt(
  attempts: number,
  now: Date,
  random: number,
  retryAfterMs?: number,
): Date | null {
  const base = RETRY_DELAYS_MS[attempts - 1];
  if (base === undefined) return null;
  const delay = Math.max(base * (0.8 + 0.4 * random), Math.min(retryAfterMs ?? 0, 24 * 3_600_000));
  return new Date(now.getTime() + Math.round(delay));
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
