import { type Kysely, sql } from "kysely";
import type { DB } from "../store/schema.ts";
import type { FlowContext } from "./context.ts";
import { notifyCustomers } from "./notify-customers.ts";
import { webhooksConsumer } from "./webhooks.ts";

/** A case timeline event, as the fan-out hands it to its consumers (oldest first). */
export interface FeedEvent {
  eventId: number;
  caseId: number;
  action: string;
  toStatus: string | null;
  at: Date;
}

/**
 * What hears of timeline events after they commit: each consumer writes what it derives (messages to
 * send, deliveries to make) in the transaction that takes the events off the feed, so it happens once.
 */
export type FeedConsumer = (ctx: FlowContext, tx: Kysely<DB>, events: readonly FeedEvent[]) => Promise<void>;

/** One line per consumer. */
const CONSUMERS: Record<string, FeedConsumer> = {
  notifications: notifyCustomers,
  webhooks: webhooksConsumer,
};

/**
 * Take up to `batch` events off the feed (030_case_event_feed.sql) and hand them to every consumer, all
 * in one transaction: a consumer that fails rolls the batch back onto the feed, to be tried again.
 * SKIP LOCKED: any number of workers share the feed, each event going to one of them.
 */
export async function fanOutOnce(ctx: FlowContext, batch = 200): Promise<number> {
  return ctx.db.transaction().execute(async (tx) => {
    const { rows } = await sql<{
      event_id: string | number;
      case_id: string | number;
      action: string;
      to_status: string | null;
      at: Date;
    }>`
      delete from case_event_feed
       where event_id in (select event_id from case_event_feed order by event_id limit ${batch}
                          for update skip locked)
      returning event_id, case_id, action, to_status, at`.execute(tx);
    if (rows.length === 0) return 0;
    const events = rows
      .map((r) => ({
        eventId: Number(r.event_id),
        caseId: Number(r.case_id),
        action: r.action,
        toStatus: r.to_status,
        at: new Date(r.at),
      }))
      .sort((a, b) => a.eventId - b.eventId);
    for (const consume of Object.values(CONSUMERS)) await consume(ctx, tx, events);
    return rows.length;
  });
}

/** Empty the feed: batches until one comes back short. */
export async function fanOut(ctx: FlowContext, batch = 200): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await fanOutOnce(ctx, batch);
    total += n;
    if (n < batch) return total;
  }
}
