import { request } from "node:http";

/** One server-sent event as a browser's EventSource parses it (comments kept, to see heartbeats). */
export interface SseEvent {
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

/** An open event stream over real HTTP: what arrived so far, and a way to wait for more. */
export interface EventStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: SseEvent[];
  /** The `data` of each `change` event so far, parsed. */
  changes(): Record<string, unknown>[];
  /** Resolves with the first event (from the start of the stream) that matches; rejects if the stream ends first. */
  waitFor(match: (e: SseEvent) => boolean): Promise<SseEvent>;
  /** Resolves with the first change (parsed data) that matches. */
  waitForChange(match: (c: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Parses one block of lines (between blank lines) the way the SSE spec does. */
function parseBlock(block: string): SseEvent | undefined {
  const e: SseEvent = {};
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) {
      e.comment = line.slice(1).trim();
      continue;
    }
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") e.event = value;
    else if (field === "data") data.push(value);
    else if (field === "retry") e.retry = Number(value);
  }
  if (data.length) e.data = data.join("\n");
  return Object.keys(e).length ? e : undefined;
}

/** GET an event stream; resolves once its headers arrived (the server is listening for changes by then). */
export function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const waiting = new Set<() => void>();
      let buffer = "";
      let done = false;
      let endedResolve!: () => void;
      const ended = new Promise<void>((r) => {
        endedResolve = r;
      });
      const wake = () => {
        for (const w of [...waiting]) w();
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk.replace(/\r\n?/g, "\n");
        for (let i = buffer.indexOf("\n\n"); i >= 0; i = buffer.indexOf("\n\n")) {
          const e = parseBlock(buffer.slice(0, i));
          buffer = buffer.slice(i + 2);
          if (e) events.push(e);
        }
        wake();
      });
      const finish = () => {
        if (done) return;
        done = true;
        endedResolve();
        wake();
      };
      res.on("end", finish);
      res.on("close", finish);
      res.on("error", finish);
      const changes = () =>
        events.filter((e) => e.event === "change" && e.data).map((e) => JSON.parse(e.data as string));
      const waitFor = (match: (e: SseEvent) => boolean) =>
        new Promise<SseEvent>((ok, fail) => {
          const check = () => {
            const found = events.find(match);
            if (found) {
              waiting.delete(check);
              ok(found);
            } else if (done) {
              waiting.delete(check);
              fail(new Error(`the stream ended without it; got ${JSON.stringify(events)}`));
            }
          };
          waiting.add(check);
          check();
        });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        changes,
        waitFor,
        async waitForChange(match) {
          const e = await waitFor((x) => x.event === "change" && !!x.data && match(JSON.parse(x.data)));
          return JSON.parse(e.data as string);
        },
        ended,
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
}

interface Injected {
  statusCode: number;
  headers: Record<string, unknown>;
  stream(): AsyncIterable<Buffer>;
}

/**
 * `app.inject`, except that an event stream (which never ends) answers with what it sent on opening and
 * is then dropped: tests that call every operation of the document reach GET /events too.
 */
export async function injectOpening<O extends object>(
  app: { inject(o: O & { payloadAsStream: true }): PromiseLike<Injected> },
  opts: O,
) {
  const res = await app.inject({ ...opts, payloadAsStream: true });
  const endless = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
  const chunks: Buffer[] = [];
  for await (const chunk of res.stream()) {
    chunks.push(chunk);
    if (endless && Buffer.concat(chunks).includes("\n\n")) break;
  }
  const body = Buffer.concat(chunks).toString();
  return { statusCode: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) };
}
