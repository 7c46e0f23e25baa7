import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * Every operation of the OpenAPI document, sent bad input generated from its own schema: wrong types,
 * huge, negative and fractional numbers and amounts, NUL and lone surrogates, unknown fields and
 * filters, a wrong content type, an oversized body. Each must be refused with a problem+json code,
 * never a 5xx, and leave every table exactly as it was.
 */
type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  format?: string;
  description?: string;
  minimum?: number;
  nullable?: boolean;
};
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema: Schema; required?: boolean }[];
  body?: Schema;
}

let env: TestEnv;
let app: App;
let admin: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  admin = (await createToken(env.ctx.db, { name: "admin", role: "admin" })).token;
  // High limits: this test is the one client, sending thousands of refused requests on purpose.
  app = await buildServer({
    ctx: env.ctx,
    dbKind: env.store.kind,
    changes: env.store.changes,
    rateLimits: { authFailures: 1e6, public: 1e6 },
  });
  const order = await send("POST", "/api/v1/orders", sampleOrder());
  const detail = await send("GET", `/api/v1/orders/${order.json().id}`);
  const lines = detail.json().lines as { id: number; quantity: number }[];
  const c = await send("POST", "/api/v1/cases", {
    orderId: order.json().id,
    type: "return_refund",
    reason: "quality",
    source: "chat",
    items: lines.map((l) => ({ lineId: l.id, quantity: l.quantity })),
  });
  expect(c.statusCode).toBe(201);
  ids.id = String(c.json().id);
  ids.shop = "tmall-1";
});
afterAll(async () => {
  await app.close();
  await env.close();
});

function send(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: method as "GET",
    url,
    headers: { authorization: `Bearer ${admin}`, ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

/** Every row of every table, as one fingerprint per table. */
async function fingerprint() {
  const tables = await sql<{ t: string }>`
    SELECT table_name AS t FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`.execute(env.ctx.db);
  const out: Record<string, string> = {};
  for (const { t } of tables.rows) {
    const r = await sql<{ h: string | null }>`
      SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM ${sql.table(t)} x`.execute(env.ctx.db);
    out[t] = r.rows[0]?.h ?? "";
  }
  return out;
}

/** A plausible value for a schema: the base each bad variant changes one thing of. */
function sample(s: Schema | undefined): unknown {
  if (!s) return "x";
  if (s.enum) return s.enum[0];
  if (s.anyOf) return sample(s.anyOf.find((b) => b.type !== "null") ?? s.anyOf[0]);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "integer":
    case "number":
      return Math.max(1, s.minimum ?? 1);
    case "boolean":
      return true;
    case "array":
      return [sample(s.items)];
    case "object":
      return Object.fromEntries((s.required ?? []).map((k) => [k, sample(s.properties?.[k])]));
    default:
      if (s.format === "date-time") return "2026-11-01T00:00:00Z";
      if (s.format === "date") return "2026-11-01";
      if (/decimal|amount/i.test(s.description ?? "")) return "1.00";
      return "x";
  }
}

/** Values no schema of ours accepts for a field of this type. */
function badValues(schema: Schema): unknown[] {
  const nullable = schema.nullable === true || (schema.anyOf?.some((b) => b.type === "null") ?? false);
  const s = schema.anyOf?.find((b) => b.type !== "null") ?? schema;
  return badFor(s).filter((v) => !(nullable && v === null));
}

function badFor(s: Schema): unknown[] {
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const text = ["a\u0000b", "\ud800", { nested: true }, 12];
  if (type === "integer" || type === "number") return [1e20, 1e300, -1e20, 2 ** 31, 1.5, "1", "0x10", null];
  if (type === "boolean") return ["yes", 2, null];
  if (type === "array") return ["not-a-list", [{ unknown: "\u0000" }], { length: 1 }];
  if (type === "object") return ["text", [], { unknownField: 1 }];
  if (/decimal|amount/i.test(s.description ?? "")) return [1.5, -1, "abc\u0000", "\ud800", { amount: "1" }];
  return text;
}

function badUrlValues(s: Schema): string[] {
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  // A URL carries UTF-8, in which a lone surrogate cannot be written (it decodes to U+FFFD): NUL it is.
  const common = ["%00", "x".repeat(300)];
  if (type === "integer" || type === "number")
    return [...common, "99999999999999999999", "-1e309", "0x10", "1.5", "abc"];
  return common;
}

function operations(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)
        ?.content;
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters as Operation["params"] | undefined) ?? [],
        ...(content?.["application/json"] ? { body: content["application/json"].schema } : {}),
      });
    }
  }
  return ops;
}

const fill = (path: string, over: Record<string, string> = {}) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => over[name] ?? ids[name] ?? ids.id ?? "1");

function variants(
  op: Operation,
): { what: string; url: string; body?: unknown; headers?: Record<string, string> }[] {
  const out: ReturnType<typeof variants> = [];
  const query = Object.fromEntries(
    op.params.filter((p) => p.in === "query" && p.required).map((p) => [p.name, String(sample(p.schema))]),
  );
  const qs = (q: Record<string, string>) => {
    const s = new URLSearchParams(q).toString();
    return s ? `?${s}` : "";
  };
  const url = `${fill(op.path)}${qs(query)}`;
  const base = op.body ? (sample(op.body) as Record<string, unknown>) : undefined;
  const write = op.method !== "GET" && op.method !== "HEAD";
  out.push({
    what: "unknown query filter",
    url: `${fill(op.path)}${qs({ ...query, noSuchFilter: "1" })}`,
    ...(write ? { body: base ?? {} } : {}),
  });
  for (const p of op.params) {
    for (const v of badUrlValues(p.schema)) {
      if (p.in === "path")
        out.push({
          what: `path ${p.name}=${v.slice(0, 20)}`,
          url: `${fill(op.path, { [p.name]: v })}${qs(query)}`,
          ...(write ? { body: base ?? {} } : {}),
        });
      if (p.in === "query") {
        const q = new URLSearchParams(query);
        q.set(p.name, decodeURIComponent(v));
        const raw = `${fill(op.path)}?${q.toString()}`;
        if (!(p.schema.type === "string" && v === "x".repeat(300)))
          out.push({
            what: `query ${p.name}=${v.slice(0, 20)}`,
            url: raw,
            ...(write ? { body: base ?? {} } : {}),
          });
      }
    }
  }
  if (write) {
    out.push({ what: "unknown body field", url, body: { ...(base ?? {}), noSuchField: "1" } });
    out.push({ what: "wrong content type", url, body: "a=1", headers: { "content-type": "text/x-unknown" } });
    out.push({
      what: "oversized body",
      url,
      body: JSON.stringify({ ...(base ?? {}), pad: "x".repeat(1024 * 1024) }),
      headers: { "content-type": "application/json" },
    });
    out.push({ what: "not JSON", url, body: "{nope", headers: { "content-type": "application/json" } });
    for (const [name, s] of Object.entries(op.body?.properties ?? {})) {
      for (const v of badValues(s))
        out.push({
          what: `body ${name}=${JSON.stringify(v)?.slice(0, 20)}`,
          url,
          body: { ...(base ?? {}), [name]: v },
        });
    }
  }
  return out;
}

describe("every operation, fed bad input", () => {
  it("refuses it with a problem+json code, never a 5xx, and changes no table", {
    timeout: 600_000,
  }, async () => {
    const doc = (await send("GET", "/api/docs/json")).json();
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(60);
    const failures: string[] = [];
    let sent = 0;
    for (const op of ops) {
      const before = await fingerprint();
      for (const v of variants(op)) {
        const res = await send(op.method, v.url, v.body, v.headers);
        sent++;
        const type = String(res.headers["content-type"] ?? "");
        const code = type.includes("json") ? (res.json() as { code?: string } | null)?.code : undefined;
        if (
          res.statusCode >= 500 ||
          res.statusCode < 400 ||
          !type.includes("application/problem+json") ||
          !code
        ) {
          failures.push(
            `${op.method} ${op.path} [${v.what}] → ${res.statusCode} ${code ?? type} ${res.body.slice(0, 160)}`,
          );
        }
      }
      const after = await fingerprint();
      const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
      if (changed.length) failures.push(`${op.method} ${op.path} changed ${changed.join(", ")}`);
    }
    console.log(`fuzz: ${ops.length} operations, ${sent} requests, ${failures.length} failures`);
    expect(failures).toEqual([]);
  });
});
