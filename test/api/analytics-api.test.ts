import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { foldAnalytics } from "../../src/flows/analytics.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { ingestOrder } from "../../src/flows/ingest-order.ts";
import { issueRefunds } from "../../src/flows/issue-refund.ts";
import { approveCase, rejectCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { orderLines } from "../../src/store/orders.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, REVIEWER, sampleOrder } from "../support/fixtures.ts";

/**
 * The analytics API as the dashboard uses it: every question narrowed by months, shop and channel, each
 * also a CSV or XLSX of what it shows; and the queue filters a chart drills into (every state, the days a
 * case was opened, a channel) finding exactly the cases a chart counted.
 */

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};
const made: Record<string, number[]> = { oct: [], nov: [], jd: [] };

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Body = any;

async function get(url: string, opts: { who?: string; lang?: string } = {}) {
  const res = await app.inject({
    method: "GET",
    url: `/api/v1${url}`,
    headers: {
      authorization: `Bearer ${tokens[opts.who ?? "supervisor"]}`,
      "accept-language": opts.lang ?? "zh-CN",
    },
  });
  return res;
}
const json = async (url: string, who?: string): Promise<Body> => {
  const res = await get(url, { who });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json();
};

/** A case opened now (the test clock), for the first line of a new order; refunded or rejected if asked. */
async function newCase(
  shop: string,
  order: string,
  reason: "quality" | "damaged",
  then?: "refund" | "reject",
) {
  const { id: orderId } = await ingestOrder(
    env.ctx,
    sampleOrder({
      shop,
      externalId: order,
      paidAt: new Date(env.clock.now.getTime() - 3_600_000).toISOString(),
    }),
  );
  const [line] = await orderLines(env.ctx.db, orderId);
  const c = await submitCase(env.ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason,
    source: "chat",
    items: [{ lineId: line?.id as number, quantity: 1 }],
  });
  if (then === "refund") {
    await approveCase(env.ctx, REVIEWER, c.id);
    await issueRefunds(env.ctx, (await grantRefund(env.ctx, REVIEWER, c.id)).refunds);
  } else if (then === "reject") await rejectCase(env.ctx, REVIEWER, c.id, { note: "超出售后期" });
  return c.id;
}

beforeAll(async () => {
  env = await testEnv({ refundSendGraceMs: 0 });
  await addShop(env.ctx, "tmall-1", "tmall");
  await addShop(env.ctx, "jd-1", "jd");
  for (const [name, role] of [
    ["supervisor", "supervisor"],
    ["cs", "cs_agent"],
  ] as const)
    tokens[name] = (await createToken(env.ctx.db, { name, role })).token;
  // October 31st, 23:30 in Shanghai is still October there (15:30 UTC); November's cases a day later.
  env.clock.now = new Date("2026-10-31T15:30:00Z");
  made.oct?.push(await newCase("tmall-1", "A-OCT-1", "quality", "refund"));
  env.clock.now = new Date("2026-10-31T16:30:00Z"); // 00:30 on November 1st in Shanghai
  made.nov?.push(await newCase("tmall-1", "A-NOV-1", "quality", "reject"));
  made.nov?.push(await newCase("tmall-1", "A-NOV-2", "quality"));
  made.nov?.push(await newCase("tmall-1", "A-NOV-3", "damaged", "refund"));
  made.jd?.push(await newCase("jd-1", "A-JD-1", "quality"));
  await foldAnalytics(env.ctx);
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind, consoleDir: null });
}, 180_000);
afterAll(async () => {
  await app?.close();
  await env?.close();
});

describe("analytics for the dashboard", () => {
  it("narrows every question by months, shop and channel", async () => {
    const nov = await json("/analytics/reasons?from=2026-11&to=2026-11");
    expect(nov.rows).toEqual([
      { reason: "quality", cases: 3, share: 0.75 },
      { reason: "damaged", cases: 1, share: 0.25 },
    ]);
    expect((await json("/analytics/reasons?from=2026-11&to=2026-11&channel=tmall")).cases).toBe(3);
    expect((await json("/analytics/reasons?to=2026-10")).cases).toBe(1);
    expect((await json("/analytics/reasons?channel=jd")).rows).toEqual([
      { reason: "quality", cases: 1, share: 1 },
    ]);
    expect((await json("/analytics/reasons?shop=jd-1&channel=tmall")).cases).toBe(0);
    const bad = await get("/analytics/reasons?channel=ebay");
    expect(bad.statusCode).toBe(400);
    const auto = await json("/analytics/automation?channel=tmall");
    expect(auto.months.map((m: Body) => [m.month, m.cases, m.decided])).toEqual([
      ["2026-10", 1, 1],
      ["2026-11", 3, 2],
    ]);
    const stages = await json("/analytics/stage-times");
    expect(stages.trend.length).toBeGreaterThan(0);
    const trend = await json("/analytics/refund-trend?by=shop");
    expect(trend.series.map((s: Body) => s.key)).toEqual(["tmall-1", "jd-1"]);
    const costs = await json("/analytics/costs?channel=tmall");
    expect(costs.totals.find((t: Body) => t.kind === "refund_goods")).toMatchObject({
      currency: "CNY",
      entries: 2,
    });
    expect(typeof costs.totals[0].amount).toBe("string");
  });

  it("exports what a chart shows as CSV, titled in the caller's language, money as money", async () => {
    const csv = await get("/analytics/reasons?from=2026-11&to=2026-11&channel=tmall&format=csv");
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    expect(csv.headers["content-disposition"]).toBe('attachment; filename="reasons-2026-11_2026-11.csv"');
    expect(csv.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.rawPayload.subarray(3).toString("utf8").trim().split("\n")).toEqual([
      "原因,代码,售后单数,占比 (%)",
      "质量问题,quality,2,66.67",
      "商品破损,damaged,1,33.33",
    ]);
    const en = await get("/analytics/costs?format=csv", { lang: "en" });
    const lines = en.rawPayload.subarray(3).toString("utf8").trim().split("\n");
    expect(lines[0]).toBe("Month,Kind,Currency,Amount,Entries");
    const goods = (await json("/analytics/costs")).rows.filter((r: Body) => r.kind === "refund_goods");
    expect(goods.map((r: Body) => r.month)).toEqual(["2026-10", "2026-11"]);
    expect(lines).toContain(`2026-11,Refunded goods,CNY,${goods[1].amount},1`);
    expect(goods[1].amount).toMatch(/^\d+\.\d{2}$/);
    for (const path of ["automation", "stage-times", "refund-trend", "refund-rates"]) {
      const r = await get(`/analytics/${path}?format=csv`);
      expect(r.statusCode, path).toBe(200);
      expect(r.rawPayload.subarray(3).toString("utf8").split("\n").length, path).toBeGreaterThan(1);
    }
  });

  it("exports XLSX with money as numbers finance can add up", async () => {
    const res = await get("/analytics/costs?format=xlsx");
    expect(res.headers["content-type"]).toBe(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0];
    expect(sheet?.getRow(1).values).toEqual([undefined, "月份", "类别", "币种", "金额", "笔数"]);
    const amounts = (await json("/analytics/costs")).rows.map((r: Body) => Number(r.amount));
    const cells = [];
    for (let i = 2; i <= (sheet?.rowCount ?? 0); i++) cells.push(sheet?.getRow(i).getCell(4).value);
    expect(cells).toEqual(amounts);
  });

  it("marks the quality scan's jumps only for those who may read alerts", async () => {
    await env.ctx.db
      .insertInto("alerts")
      .values({
        kind: "sku_quality",
        subject: "TEE-BLK-M",
        severity: "warning",
        dedupe_key: "sku_quality:tmall-1:TEE-BLK-M:x",
        shop_id: "tmall-1",
        reason: JSON.stringify({ zh: "退款率跃升", en: "Refund rate jumped" }),
        data: JSON.stringify({ recentRate: 0.5, baselineRate: 0.1 }),
        created_at: new Date("2026-11-02T00:00:00Z"),
        updated_at: new Date("2026-11-02T00:00:00Z"),
      } as never)
      .execute();
    const seen = await json("/analytics/refund-trend?by=sku");
    expect(seen.spikes.map((s: Body) => [s.key, s.month])).toEqual([["TEE-BLK-M", "2026-11"]]);
    expect((await json("/analytics/refund-trend?by=sku", "cs")).spikes).toEqual([]);
  });
});

describe("the queue a chart drills into", () => {
  it("finds exactly the cases the reasons chart counted: every state, the days opened, the channel", async () => {
    const ids = async (q: string) =>
      ((await json(`/queue?${q}&sort=id&order=asc`)).items as { id: number }[]).map((i) => i.id);
    // November in Shanghai, every state (the refunded case is closed to the default queue).
    expect(
      await ids("status=all&reason=quality&createdFrom=2026-11-01&createdTo=2026-11-30&channel=tmall"),
    ).toEqual([made.nov?.[0], made.nov?.[1]]);
    expect(await ids("reason=quality&createdFrom=2026-11-01&createdTo=2026-11-30&channel=tmall")).toEqual([
      made.nov?.[1],
    ]);
    expect(await ids("status=all&createdTo=2026-10-31")).toEqual(made.oct);
    expect(await ids("status=all&channel=jd")).toEqual(made.jd);
    for (const q of ["createdFrom=2026-02-30", "channel=ebay", "status=all,requested"]) {
      const r = await get(`/queue?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().code, q).toBe("INVALID_FILTER");
    }
  });
});
