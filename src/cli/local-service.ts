import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../domain/errors.ts";
import type { Database } from "../store/db.ts";
import { createToken } from "../store/tokens.ts";
import type { Config } from "./config.ts";

/**
 * The embedded database admits one process (the DATA_DIR lock). While `aftersales start` runs on it,
 * it leaves its address and a local admin token in DATA_DIR/service.json, readable by its owner only;
 * the commands that would stop with DATA_DIR_LOCKED (import, rules backtest, reconcile) find it there
 * and do the same work through its HTTP API.
 */

const FILE = "service.json";

interface Published {
  pid: number;
  url: string;
  token: string;
}

/** Write DATA_DIR/service.json (mode 0600); the function returned removes it. */
export function publishService(dataDir: string, info: { url: string; token: string }): () => void {
  const path = join(dataDir, FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  // Created 0600 and renamed into place: never readable by others, not even for a moment.
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, ...info } satisfies Published), {
    mode: 0o600,
    flag: "wx",
  });
  renameSync(tmp, path);
  return () => {
    try {
      if ((JSON.parse(readFileSync(path, "utf8")) as Published).pid === process.pid) rmSync(path);
    } catch {
      // already gone
    }
  };
}

const TOKEN_NAME = "local-cli";

/**
 * `aftersales start` on the embedded database: a fresh admin token for the local CLI (the last start's
 * is revoked) and service.json. The function returned removes the file and revokes the token.
 */
export async function publishLocalService(db: Database, dataDir: string, url: string) {
  const revoke = () =>
    db
      .updateTable("api_tokens")
      .set({ revoked_at: new Date() })
      .where("name", "=", TOKEN_NAME)
      .where("revoked_at", "is", null)
      .execute();
  await revoke();
  const { token } = await createToken(db, { name: TOKEN_NAME, role: "admin" });
  const remove = publishService(dataDir, { url, token });
  return async () => {
    remove();
    await revoke().catch(() => {});
  };
}

export interface ServiceClient {
  url: string;
  pid: number;
  /** One API call; a problem answer is thrown as the AppError it reports. */
  request<T = unknown>(
    method: string,
    path: string,
    opts?: {
      query?: Record<string, string | number | boolean | undefined>;
      json?: unknown;
      body?: RequestInit["body"];
      type?: string;
    },
  ): Promise<T>;
}

function client(p: Published): ServiceClient {
  return {
    url: p.url,
    pid: p.pid,
    async request(method, path, opts = {}) {
      const url = new URL(path, p.url);
      for (const [k, v] of Object.entries(opts.query ?? {}))
        if (v !== undefined) url.searchParams.set(k, String(v));
      const headers: Record<string, string> = { authorization: `Bearer ${p.token}`, "accept-language": "en" };
      let body = opts.body;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers["content-type"] = "application/json";
      } else if (opts.type) headers["content-type"] = opts.type;
      let res: Response;
      try {
        res = await fetch(url, { method, headers, ...(body ? { body, duplex: "half" } : {}) } as RequestInit);
      } catch (e) {
        throw new AppError(
          "SERVICE_UNREACHABLE",
          `The service at ${p.url} (process ${p.pid}) does not answer (${(e as Error).message}); is it still running?`,
          { url: p.url, pid: p.pid },
        );
      }
      const text = await res.text();
      const json = (res.headers.get("content-type") ?? "").includes("json") ? safeJson(text) : undefined;
      if (!res.ok) {
        const problem = (json ?? {}) as { code?: string; detail?: string; details?: Record<string, unknown> };
        throw new AppError(
          problem.code ?? `HTTP_${res.status}`,
          problem.detail ?? `HTTP ${res.status}`,
          problem.details,
        );
      }
      return (json ?? text) as never;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The service holding the data directory, if it published itself: the lock's process must be it. */
function findService(dataDir: string, holder: number): ServiceClient | undefined {
  const path = join(dataDir, FILE);
  try {
    // Someone else's readable file is not a credential we trust.
    if (statSync(path).mode & 0o077) return undefined;
    const p = JSON.parse(readFileSync(path, "utf8")) as Published;
    if (p.pid !== holder || typeof p.url !== "string" || typeof p.token !== "string") return undefined;
    return client(p);
  } catch {
    return undefined;
  }
}

/**
 * Open the database here, or, when the running service holds it, find that service to work through.
 * Anything else (PostgreSQL, a lock held by another command) fails as before.
 */
export async function localOrService<R>(
  config: Config,
  open: () => Promise<R>,
): Promise<{ local: R; service?: undefined } | { service: ServiceClient; local?: undefined }> {
  try {
    return { local: await open() };
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== "DATA_DIR_LOCKED" || config.databaseUrl) throw e;
    const service = findService(config.dataDir, Number(e.details?.pid));
    if (!service) throw e;
    process.stderr.write(
      `The service (process ${service.pid}) holds ${config.dataDir}: working through its API at ${service.url}\n`,
    );
    return { service };
  }
}
