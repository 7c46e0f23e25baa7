import type { PGlite } from "@electric-sql/pglite";
import { sql } from "kysely";
import pg from "pg";
import type { Database } from "./db.ts";

/** The channel 020_change_events.sql announces committed changes on. */
export const CHANGES_CHANNEL = "aftersales_changes";

/**
 * A committed change a person could see, as the database announced it. `eventId` is the timeline event's,
 * null for a change that appends none (an automatic review's annotation, a refund leg, a parcel scan).
 * A statement that changed many cases at once announces their shop instead (kind "shop"): reload it.
 */
export type Change =
  | {
      kind: "case";
      caseId: number;
      orderId: number;
      shopId: string;
      status: string;
      action: string;
      eventId: number | null;
      at: string;
    }
  | { kind: "shop"; shopId: string; at: string };

export interface ChangeSubscriber {
  change(c: Change): void;
  /** Changes may have been missed (the listening connection was lost and is back): reload everything. */
  resync(): void;
}

/** Every change committed in the database, to any number of subscribers in this process. */
export interface ChangeFeed {
  /** Hear each change committed from now on; resolves once listening, with the way to stop. */
  subscribe(s: ChangeSubscriber): Promise<() => void>;
  /** How many subscribe now. */
  readonly subscribers: number;
  close(): Promise<void>;
}

/**
 * One hub per store: the first subscriber starts listening — on PostgreSQL a dedicated connection (a
 * pooled one would be handed to queries), on PGlite its one session — and every notification is parsed
 * once and handed to each subscriber.
 */
function hub(listen: (deliver: (payload: string) => void, lost: () => void) => Listening): ChangeFeed {
  const subscribers = new Set<ChangeSubscriber>();
  let listening: Listening | undefined;
  let announcer: { stop(): Promise<void> } | undefined;
  const deliver = (payload: string) => {
    const change = parse(payload);
    if (!change) return;
    for (const s of subscribers) {
      try {
        s.change(change);
      } catch (e) {
        console.error("live changes: a subscriber failed:", e);
      }
    }
  };
  const lost = () => {
    for (const s of subscribers) s.resync();
  };
  return {
    async subscribe(s) {
      if (!listening) {
        const l = listen(deliver, lost);
        listening = l;
        announcer = announceEvery(ANNOUNCE_EVERY_MS, () => l.announce());
      }
      await listening.ready();
      subscribers.add(s);
      return () => {
        subscribers.delete(s);
      };
    },
    get subscribers() {
      return subscribers.size;
    },
    async close() {
      subscribers.clear();
      await announcer?.stop();
      await listening?.stop();
    },
  };
}

interface Listening {
  /** Resolves when notifications are being received (after a reconnect: again). */
  ready(): Promise<void>;
  /** Send a batch of the changes logged since (023_change_log.sql); how many were sent. */
  announce(): Promise<number>;
  stop(): Promise<void>;
}

/** How often a listening process sends the logged changes: the live feed's added latency, at most. */
const ANNOUNCE_EVERY_MS = 25;
/** Logged changes one announcing transaction sends. */
const ANNOUNCE_BATCH = 500;
const ANNOUNCE_SQL = `select announce_logged_changes(${ANNOUNCE_BATCH}) as n`;

/** Send one batch of logged changes through `db` (a worker's, when no process may be listening). */
export const announceLogged = async (db: Database) =>
  Number((await sql.raw<{ n: number }>(ANNOUNCE_SQL).execute(db)).rows[0]?.n ?? 0);

/**
 * While a process listens it also announces: it sends what the writes logged, batch after batch, then
 * waits `everyMs`. Any number of processes may (the batches are claimed with SKIP LOCKED); each sent
 * change reaches every listener, this one included.
 */
function announceEvery(everyMs: number, announce: () => Promise<number>) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      while (!stopped && (await announce()) === ANNOUNCE_BATCH) {}
    } catch (e) {
      // Not listening right now (a lost connection is being restored): the next tick tries again.
      if (!stopped) console.error(`live changes: cannot announce: ${(e as Error).message}`);
    }
    if (!stopped) timer = setTimeout(() => (running = tick()), everyMs);
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

function parse(payload: string): Change | undefined {
  try {
    const c = JSON.parse(payload) as Change;
    // PostgreSQL writes a time with the session's offset; the API speaks UTC ISO times.
    return { ...c, at: new Date(c.at).toISOString() };
  } catch {
    console.error(`live changes: unreadable notification ${payload.slice(0, 200)}`);
    return undefined;
  }
}

/** PGlite is one session: LISTEN goes through the store's queue, so it never lands inside a transaction. */
export function pgliteChanges(db: Database, pglite: PGlite): ChangeFeed {
  return hub((deliver) => {
    const off = pglite.onNotification((channel, payload) => {
      if (channel === CHANGES_CHANNEL) deliver(payload);
    });
    const started = sql.raw(`listen ${CHANGES_CHANNEL}`).execute(db);
    return {
      ready: () => started.then(() => undefined),
      announce: () => announceLogged(db),
      stop: async () => off(),
    };
  });
}

/** The listening connection's application_name. */
export const LISTENER_NAME = "aftersales changes";

/** Waits before connecting again after the n-th failure in a row: 0.25 s doubling to 10 s, with jitter. */
export const backoffMs = (n: number) => Math.min(10_000, 250 * 2 ** n) * (0.5 + Math.random() / 2);

/**
 * PostgreSQL: a dedicated connection that LISTENs, and connects again (with backoff) whenever it is lost;
 * notifications sent while it was away are gone, so subscribers are told to resync once it is back.
 */
export function postgresChanges(connectionString: string): ChangeFeed {
  return hub((deliver, lost) => {
    let client: pg.Client | undefined;
    let stopped = false;
    let wait: { timer: NodeJS.Timeout; wake: () => void } | undefined;
    let connected!: Promise<void>;

    const connect = async (): Promise<void> => {
      for (let failures = 0; !stopped; failures++) {
        const c = new pg.Client({
          connectionString,
          // Named, so an operator sees it in pg_stat_activity (it idles for as long as the process runs).
          application_name: LISTENER_NAME,
          connectionTimeoutMillis: 10_000,
          keepAlive: true,
          keepAliveInitialDelayMillis: 10_000,
        });
        // Errors end the connection; 'end' below connects again.
        c.on("error", (e) => console.error(`live changes: connection lost: ${e.message}`));
        try {
          await c.connect();
          await c.query(`listen ${CHANGES_CHANNEL}`);
        } catch (e) {
          await c.end().catch(() => {});
          if (failures === 0)
            console.error(`live changes: cannot listen (${(e as Error).message}); retrying`);
          await new Promise<void>((wake) => {
            wait = { timer: setTimeout(wake, backoffMs(failures)), wake };
          });
          continue;
        }
        c.on("notification", (m) => {
          if (m.channel === CHANGES_CHANNEL && m.payload) deliver(m.payload);
        });
        c.once("end", () => {
          if (stopped) return;
          client = undefined;
          connected = connect().then(() => {
            if (!stopped) lost();
          });
        });
        client = c;
        return;
      }
    };
    connected = connect();
    return {
      ready: () => connected,
      // On the listening connection itself: it is idle between notifications, and needs no pool.
      announce: async () => {
        if (!client) return 0; // reconnecting: the log keeps the changes until then
        return Number((await client.query<{ n: number }>(ANNOUNCE_SQL)).rows[0]?.n ?? 0);
      },
      async stop() {
        stopped = true;
        if (wait) {
          clearTimeout(wait.timer);
          wait.wake();
        }
        await connected;
        await client?.end().catch(() => {});
      },
    };
  });
}
