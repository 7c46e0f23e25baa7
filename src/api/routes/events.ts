import { PassThrough } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Change, ChangeFeed } from "../../store/changes.ts";
import { canSeeShop, principal } from "../auth.ts";
import type { App } from "../server.ts";

/** A comment this often keeps proxies and load balancers from closing a quiet stream. */
const HEARTBEAT_MS = 20_000;
/** How long a browser waits before reconnecting a dropped stream. */
export const RETRY_MS = 2_000;
/** A client this far behind is not reading: its stream ends (it reconnects and reloads) rather than grow. */
const MAX_BUFFERED = 1 << 20;

export interface EventRouteOptions {
  changes: ChangeFeed;
  /** Authenticates the request again (throws if it no longer may): a revoked token or disabled user is cut off. */
  authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  heartbeatMs?: number | undefined;
}

/** One event's text, once however many streams send it. */
const texts = new WeakMap<Change, string>();
const eventText = (c: Change) => {
  let t = texts.get(c);
  if (t === undefined) {
    t = `event: change\ndata: ${JSON.stringify(c)}\n\n`;
    texts.set(c, t);
  }
  return t;
};

/**
 * 实时变更: committed changes as server-sent events, for the console's live queue, board and case view.
 * Each stream hears only its caller's shops. When changes may have been missed (the database connection
 * was lost and is back) the stream ends: the browser reconnects after `retry` and reloads what it shows,
 * as it does after any reconnect.
 */
export async function eventRoutes(app: App, { changes, authenticate, heartbeatMs }: EventRouteOptions) {
  const open = new Set<PassThrough>();
  // Open streams would hold the server open: they end when it closes.
  app.addHook("preClose", async () => {
    for (const s of open) s.end();
  });
  app.get(
    "/events",
    {
      config: { permission: "any" },
      schema: {
        tags: ["events"],
        summary:
          "Server-sent events: `event: change` with a committed change to a case of the caller's shops " +
          '(`data`: {"kind":"case","caseId","orderId","shopId","status","action","eventId","at"}; eventId is ' +
          'null for a change without a timeline event), or {"kind":"shop","shopId","at"} when many of a ' +
          "shop's cases changed at once (reload it). A comment every 20 s keeps the stream open. The stream " +
          "may end when changes could have been missed; reconnect (EventSource does, after `retry`) and reload.",
      },
    },
    async (req, reply) => {
      let who = principal(req);
      const stream = new PassThrough();
      const send = (text: string) => {
        if (stream.writableLength > MAX_BUFFERED) stream.end();
        else if (stream.writable) stream.write(text);
      };
      const unsubscribe = await changes.subscribe({
        change: (c) => {
          if (canSeeShop(who, c.shopId)) send(eventText(c));
        },
        resync: () => stream.end(),
      });
      const heartbeat = setInterval(async () => {
        try {
          // A console session signed out or expired meanwhile is read again from its store.
          if (who.tokenId === null) await req.session?.reload();
          await authenticate(req, reply);
          who = principal(req);
          send(": ping\n\n");
        } catch {
          stream.end();
        }
      }, heartbeatMs ?? HEARTBEAT_MS);
      open.add(stream);
      // Ended by us, or destroyed by Fastify when the client goes away.
      stream.once("close", () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(stream);
      });
      stream.write(`retry: ${RETRY_MS}\n\n`);
      return reply
        .header("content-type", "text/event-stream; charset=utf-8")
        .header("cache-control", "no-cache, no-transform")
        .header("x-accel-buffering", "no")
        .send(stream);
    },
  );
}
