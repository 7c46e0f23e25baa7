import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/**
 * An integrator's receiver on a local port: it keeps every request and answers as `answer` says
 * (200 unless told otherwise), per path, so one server plays several endpoints.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const answers = new Map<string, (n: number) => { status: number; headers?: Record<string, string> }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body, json: JSON.parse(body) });
      const n = received.filter((r) => r.path === path).length;
      const a = answers.get(path)?.(n) ?? { status: 200 };
      res.writeHead(a.status, { "content-type": "text/plain", ...a.headers });
      res.end(a.status < 300 ? "ok" : "nope");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path: string) => `${base}${path}`,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    /** How the path answers its n-th request (1-based). */
    answer(path: string, fn: (n: number) => { status: number; headers?: Record<string, string> }) {
      answers.set(path, fn);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What an integrator does with a message: HMAC-SHA256 over id.timestamp.body with the secret's bytes. */
export function verifies(r: Received, secret: string): boolean {
  const id = String(r.headers["webhook-id"]);
  const ts = String(r.headers["webhook-timestamp"]);
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${r.body}`).digest("base64");
  return String(r.headers["webhook-signature"])
    .split(" ")
    .some((s) => s === `v1,${expected}`);
}
