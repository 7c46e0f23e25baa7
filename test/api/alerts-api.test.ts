import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";

/**
 * GET /api/v1/alerts as the inbox pages and filters it: by kind, severity, shop and status, a page by
 * number (offset) or by cursor, with how many match; a token limited to shops sees only theirs.
 */

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

const alert = (n: number, kind: string, severity: string, shop: string | null, status = "open") => ({
  kind,
  subject: `S${n}`,
  severity,
  status,
  dedupe_key: `test:${n}`,
  shop_id: shop,
  reason: JSON.stringify({ zh: `预警 ${n}`, en: `Alert ${n}` }),
  data: JSON.stringify({ recentRate: 0.25, baselineRate: 0.02 }),
  created_at: new Date(Date.UTC(2026, 10, 1, 0, n)),
  updated_at: new Date(Date.UTC(2026, 10, 1, 0, n)),
});

beforeAll(async () => {
  env = await testEnv();
  for (const id of ["tmall-1", "jd-1"])
    await env.ctx.db.insertInto("shops").values({ id, name: id, channel: "manual" }).execute();
  const rows = [
    alert(1, "sku_quality", "critical", "tmall-1"),
    alert(2, "category_quality", "warning", "tmall-1"),
    alert(3, "sku_quality", "warning", "jd-1"),
    alert(4, "sku_quality", "critical", "jd-1", "acknowledged"),
    alert(5, "category_quality", "critical", null),
    ...Array.from({ length: 7 }, (_, i) => alert(10 + i, "sku_quality", "warning", "tmall-1")),
  ];
  await env.ctx.db.insertInto("alerts").values(rows).execute();
  tokens.admin = (await createToken(env.ctx.db, { name: "admin", role: "admin" })).token;
  tokens.jd = (await createToken(env.ctx.db, { name: "jd", role: "reviewer", shops: ["jd-1"] })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

const get = async (who: string, query: string) => {
  const res = await app.inject({
    url: `/api/v1/alerts?${query}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
  });
  return { status: res.statusCode, body: res.json() };
};
const subjects = (b: { items: { subject: string }[] }) => b.items.map((a) => a.subject);

describe("alerts inbox", () => {
  it("filters by severity, shop (several) and kind together, and says how many match", async () => {
    const critical = await get("admin", "severity=critical&status=open");
    expect(subjects(critical.body)).toEqual(["S5", "S1"]);
    expect(critical.body.total).toBe(2);
    const jd = await get("admin", "shop=jd-1");
    expect(subjects(jd.body)).toEqual(["S4", "S3"]);
    const both = await get("admin", "shop=jd-1,tmall-1&kind=category_quality");
    expect(subjects(both.body)).toEqual(["S2"]);
    expect(both.body.total).toBe(1);
  });

  it("pages by number (offset) with the total of every page, or by cursor", async () => {
    const first = await get("admin", "shop=tmall-1&limit=4");
    expect(first.body.total).toBe(9);
    expect(subjects(first.body)).toEqual(["S16", "S15", "S14", "S13"]);
    const third = await get("admin", "shop=tmall-1&limit=4&offset=8");
    expect(subjects(third.body)).toEqual(["S1"]);
    expect(third.body.nextCursor).toBeNull();
    const next = await get("admin", `shop=tmall-1&limit=4&cursor=${first.body.nextCursor}`);
    expect(subjects(next.body)).toEqual(["S12", "S11", "S10", "S2"]);
  });

  it("shows a token limited to shops only theirs, whatever shop it asks for", async () => {
    const mine = await get("jd", "");
    expect(subjects(mine.body)).toEqual(["S4", "S3"]);
    expect(mine.body.total).toBe(2);
    const other = await get("jd", "shop=tmall-1");
    expect(other.body).toMatchObject({ items: [], total: 0 });
  });

  it("refuses a filter it cannot apply with a code, in the caller's language", async () => {
    const bad = await get("admin", "severity=urgent");
    expect(bad.status).toBe(400);
    const empty = await get("admin", "shop=,");
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe("INVALID_FILTER");
  });
});
