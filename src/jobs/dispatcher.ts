import type { FlowContext } from "../flows/context.ts";
import { sendInterception, sendWarehouseCancel } from "../flows/intercept-parcel.ts";
import { issueRefund } from "../flows/issue-refund.ts";
import { sendPlatformDecision } from "../flows/platform-decision.ts";
import { sendNotification } from "../flows/send-notification.ts";
import { deliverWebhook } from "../flows/webhooks.ts";
import { claim, markDead, markDone, reschedule } from "../store/outbox.ts";

/**
 * A handler says the message is done, or asks to be tried again later and says why. With `at` the
 * handler keeps its own schedule and its own count of attempts (webhooks: the spec's ~3 days), so the
 * dispatcher's doubling backoff and attempt limit — which count claims, lease expiries included — do
 * not apply; such a handler ends its message by returning "done" once it gives up.
 */
export type HandlerResult = "done" | { retry: string; at?: Date };
export type Handler = (ctx: FlowContext, payload: Record<string, unknown>) => Promise<HandlerResult>;

/** One line per topic. */
export const HANDLERS: Record<string, Handler> = {
  "refund.send": async (ctx, p) => {
    const r = await issueRefund(ctx, Number(p.refundId));
    if (r.status !== "processing") return "done";
    // An offline refund waits for finance, not for a channel: nothing to retry.
    if (r.channel && ctx.payments.get(r.channel).awaitsPerson) return "done";
    return {
      retry: r.error ? `${r.error.code}: ${r.error.message}` : "the channel is still processing the refund",
    };
  },
  "platform.decision": (ctx, p) => sendPlatformDecision(ctx, p),
  "notify.send": (ctx, p) => sendNotification(ctx, Number(p.notificationId)),
  "logistics.intercept": (ctx, p) => sendInterception(ctx, Number(p.interceptionId)),
  "warehouse.cancel_shipment": (ctx, p) => sendWarehouseCancel(ctx, Number(p.interceptionId)),
  "webhook.deliver": (ctx, p) => deliverWebhook(ctx, Number(p.deliveryId)),
};

export interface DispatcherOptions {
  batch?: number;
  leaseMs?: number;
  maxAttempts?: number;
  /** Backoff for attempt n: base * 2^(n-1), capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

const DEFAULTS: Required<DispatcherOptions> = {
  batch: 20,
  leaseMs: 60_000,
  maxAttempts: 12,
  backoffBaseMs: 2_000,
  backoffMaxMs: 15 * 60_000,
};

/** Claim and run one batch of due messages; returns how many were handled. */
export async function dispatchOnce(ctx: FlowContext, options: DispatcherOptions = {}): Promise<number> {
  const o = { ...DEFAULTS, ...options };
  const messages = await claim(ctx.db, o.batch, o.leaseMs, ctx.now());
  for (const m of messages) {
    const handler = HANDLERS[m.topic];
    let error: string;
    try {
      if (!handler) throw new Error(`No handler for topic "${m.topic}"`);
      const result = await handler(ctx, m.payload);
      if (result === "done") {
        await markDone(ctx.db, m.id, ctx.now());
        continue;
      }
      if (result.at) {
        await reschedule(ctx.db, m.id, result.at, result.retry);
        continue;
      }
      error = result.retry;
    } catch (e) {
      error = e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
    }
    if (m.attempts >= o.maxAttempts) {
      await markDead(ctx.db, m.id, error, ctx.now());
    } else {
      const delay = Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** (m.attempts - 1));
      await reschedule(ctx.db, m.id, new Date(ctx.now().getTime() + delay), error);
    }
  }
  return messages.length;
}

/** Poll until stopped; a full batch means more is waiting, so go again at once. */
export function startDispatcher(ctx: FlowContext, options: DispatcherOptions & { intervalMs?: number } = {}) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    let n = 0;
    try {
      n = await dispatchOnce(ctx, options);
    } catch (e) {
      console.error("outbox dispatcher:", e instanceof Error ? e.message : e);
    }
    if (!stopped)
      timer = setTimeout(
        () => (running = tick()),
        n >= (options.batch ?? DEFAULTS.batch) ? 0 : (options.intervalMs ?? 1000),
      );
  };
  running = tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
