import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What the notify simulators share: an HTTP server that answers `route` and, under /_sim/, a read-only
 * view of what the simulator received (JSON at /_sim/messages, a plain page at /_sim/ for a person
 * running the demo). A faulted request that should time out is simply never answered; close() ends it.
 */

const MAX_BODY = 1024 * 1024;

export type Route = (
  req: IncomingMessage,
  body: string,
  url: URL,
) => Promise<Reply | "hang"> | Reply | "hang";
/** `body` is sent as JSON; a string is sent as it is (text already serialised, or not JSON at all). */
export type Reply = { status: number; body: unknown };

export interface SimView {
  title: string;
  /** Everything received, newest last. */
  messages(): unknown[];
  /** The columns of the HTML page, as label → how to read it from a message. */
  columns: Record<string, (m: never) => unknown>;
}

export async function startSimServer(
  opts: { port?: number; host?: string },
  view: SimView,
  route: Route,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => reply(res, { status: 500, body: { error: String(e) } }));
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sim");
    if (req.method === "GET" && url.pathname === "/_sim/messages") {
      return reply(res, { status: 200, body: view.messages() });
    }
    if (req.method === "GET" && url.pathname === "/_sim/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end(page(view));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) return reply(res, { status: 413, body: { error: "request body too large" } });
      chunks.push(chunk);
    }
    const answer = await route(req, Buffer.concat(chunks).toString("utf8"), url);
    if (answer !== "hang") reply(res, answer);
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, { status, body }: Reply) {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const escapeHtml = (v: unknown) => String(v ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Newest first, so the message the demo just sent is at the top. */
function page(view: SimView): string {
  const cols = Object.entries(view.columns);
  const rows = [...view.messages()]
    .reverse()
    .map((m) => `<tr>${cols.map(([, read]) => `<td>${escapeHtml(read(m as never))}</td>`).join("")}</tr>`)
    .join("\n");
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(view.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top;white-space:pre-wrap;text-align:left}</style></head>
<body><h1>${escapeHtml(view.title)}</h1><p>${view.messages().length} received · <a href="messages">JSON</a></p>
<table><thead><tr>${cols.map(([label]) => `<th>${escapeHtml(label)}</th>`).join("")}</tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}
