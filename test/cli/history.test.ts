import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/cli/config.ts";
import {
  CASE_ARCHETYPES,
  type CaseArchetype,
  DECISION_POLICY,
  generateHistory,
  type HistorySummary,
  QUALITY_SKU,
} from "../../src/cli/history.ts";
import type { Database, Store } from "../../src/store/db.ts";
import { type CaseContext, loadCaseContexts } from "../../src/store/facts.ts";
import { freshStore } from "../support/db.ts";
import { codeOf } from "../support/fixtures.ts";

const NOW = new Date("2026-11-01T08:00:00Z");
const DAY = 86_400_000;
const SHOP = "history-tmall";
const N = 600;

let store: Store;
let summary: HistorySummary;
const progress: string[] = [];

beforeAll(async () => {
  store = await freshStore();
  summary = await generateHistory(store.db, {
    cases: N,
    seed: 7,
    now: NOW,
    progress: (m) => progress.push(m),
  });
}, 180_000);
afterAll(() => store?.close());

interface Decided {
  id: number;
  external_id: string;
  customer_id: string;
  status: string;
  type: string;
  reason: string;
  requested_amount: number | null;
  created_at: Date;
  actor: string;
  action: string;
  note: string | null;
  archetype: CaseArchetype;
  policy: string;
}

/** Every case of the shop with its people's decision and what produced it. */
async function decided(db: Database, shop = SHOP): Promise<Decided[]> {
  const { rows } = await sql<Decided>`
    select c.id, c.external_id, c.customer_id, c.status, c.type, c.reason, c.requested_amount, c.created_at,
           e.actor, e.action, e.note, e.data->'history'->>'archetype' as archetype, e.data->'history'->>'policy' as policy
      from cases c join case_events e on e.case_id = c.id
     where c.shop_id = ${shop} and e.actor like 'user:%' and e.action in ('approve', 'reject')
     order by c.external_id`.execute(db);
  return rows;
}

const share = (xs: readonly unknown[], of: number) => (of === 0 ? 0 : xs.length / of);

describe("aftersales demo --history", () => {
  it("writes the customers, orders and cases its summary reports, in the archetype shares documented", async () => {
    const { db } = store;
    const count = async (q: ReturnType<typeof sql<{ n: number }>>) =>
      Number((await q.execute(db)).rows[0]?.n);
    expect(summary.cases).toBe(N);
    expect(await count(sql`select count(*) as n from cases where shop_id = ${SHOP}`)).toBe(N);
    expect(await count(sql`select count(*) as n from orders where shop_id = ${SHOP}`)).toBe(summary.orders);
    expect(await count(sql`select count(*) as n from customers where id like ${`${SHOP}-c%`}`)).toBe(
      summary.customers,
    );
    expect(summary.orders).toBeGreaterThan(N * 2);
    expect(summary.approved + summary.rejected).toBe(N);
    const archetypes = Object.keys(CASE_ARCHETYPES) as CaseArchetype[];
    for (const a of archetypes.filter((a) => a !== "ordinary")) {
      expect(summary.byArchetype[a].cases, a).toBe(Math.floor(CASE_ARCHETYPES[a] * N));
    }
    expect(archetypes.reduce((n, a) => n + summary.byArchetype[a].cases, 0)).toBe(N);
    expect(progress).toContain(`history: ${N}/${N} cases`);
    expect(progress.at(-1)).toMatch(/^history: done in/);
    expect(summary.text).toContain("rules backtest");

    // Orders add up: lines and shipping to the paid total, one payment of it; all within the last year.
    const { rows: bad } = await sql`
      select o.id from orders o
       where o.shop_id = ${SHOP}
         and (o.paid_total <> (select sum(paid) from order_lines where order_id = o.id) + o.shipping_fee
              or o.paid_total <> (select sum(amount) from payments where order_id = o.id)
              or o.paid_at < ${new Date(NOW.getTime() - 366 * DAY)} or o.paid_at > ${NOW}
              or o.placed_at > o.paid_at)`.execute(db);
    expect(bad).toEqual([]);
  });

  it("gives every case exactly one person's approve or reject, and a final status to match", async () => {
    const { db } = store;
    const { rows } = await sql<{
      id: number;
      status: string;
      created_at: Date;
      decisions: number;
      submits: number;
      last_to: string;
      times_in_order: boolean;
      latest: Date;
    }>`
      select c.id, c.status, c.created_at,
             count(*) filter (where e.actor like 'user:%' and e.action in ('approve', 'reject'))::int as decisions,
             count(*) filter (where e.action = 'submit')::int as submits,
             (array_agg(e.to_status order by e.id desc))[1] as last_to,
             (array_agg(e.at order by e.id)) = (array_agg(e.at order by e.at, e.id)) as times_in_order,
             max(e.at) as latest
        from cases c join case_events e on e.case_id = c.id
       where c.shop_id = ${SHOP}
       group by c.id`.execute(db);
    expect(rows).toHaveLength(N);
    for (const r of rows) {
      expect(r.decisions, `case ${r.id}`).toBe(1);
      expect(r.submits).toBe(1);
      expect(r.last_to).toBe(r.status);
      expect(r.times_in_order).toBe(true);
      expect(r.latest.getTime()).toBeLessThanOrEqual(NOW.getTime());
      expect(r.created_at.getTime()).toBeLessThan(NOW.getTime());
    }
    const cases = await decided(db);
    expect(cases).toHaveLength(N);
    for (const c of cases) {
      expect(c.actor).toMatch(/^user:reviewer-\d$/);
      expect(c.status).toBe(c.action === "approve" ? "closed" : "rejected");
      if (c.action === "reject") expect(c.note?.trim()).toBeTruthy();
      expect(DECISION_POLICY.map((p) => p.id)).toContain(c.policy);
    }
    expect(cases.filter((c) => c.action === "approve")).toHaveLength(summary.approved);

    // Money legs are not imported: no refunds, and orders say so consistently.
    expect(await db.selectFrom("refunds").select("id").execute()).toEqual([]);
    const orders = await sql<{ status: string; refunded: number; cases: number }>`
      select o.aftersales_status as status, o.refunded_total as refunded,
             (select count(*) from cases where order_id = o.id)::int as cases
        from orders o where o.shop_id = ${SHOP}`.execute(db);
    for (const o of orders.rows) {
      expect(o.refunded).toBe(0);
      expect(o.status).toBe(o.cases > 0 ? "closed" : "none");
    }
  });

  it("is deterministic for a seed, and another seed tells another story", async () => {
    const again = async (seed: number) => {
      const s = await freshStore();
      try {
        const sum = await generateHistory(s.db, { cases: N, seed, now: NOW });
        const cases = (await decided(s.db)).map(({ id: _, ...rest }) => rest);
        return { sum: { ...sum, ms: 0, text: "" }, cases };
      } finally {
        await s.close();
      }
    };
    const first = {
      sum: { ...summary, ms: 0, text: "" },
      cases: (await decided(store.db)).map(({ id: _, ...c }) => c),
    };
    const same = await again(7);
    expect(same.sum).toEqual(first.sum);
    expect(same.cases).toEqual(first.cases);
    const other = await again(8);
    expect(other.cases.map((c) => c.action)).not.toEqual(first.cases.map((c) => c.action));
  }, 180_000);

  it("plants patterns the rules' facts can see, and people decide them as documented", async () => {
    const { db } = store;
    const cases = await decided(db);
    const contexts = new Map<number, CaseContext>(
      (
        await loadCaseContexts(
          db,
          cases.map((c) => c.id),
          "Asia/Shanghai",
        )
      ).map((c) => [c.caseId, c]),
    );
    const of = (a: CaseArchetype) => cases.filter((c) => c.archetype === a);
    const facts = (a: CaseArchetype) => of(a).map((c) => contexts.get(c.id) as CaseContext);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    const perCustomer = (a: CaseArchetype) => of(a).length / new Set(of(a).map((c) => c.customer_id)).size;
    const rejected = (a: CaseArchetype) =>
      share(
        of(a).filter((c) => c.action === "reject"),
        of(a).length,
      );
    const night = (a: CaseArchetype) =>
      share(
        facts(a).filter((f) => f.facts.submittedHour < 5),
        of(a).length,
      );

    // Serial refunders: many more cases per customer, piling up within 30 days.
    expect(perCustomer("serial_refunder")).toBeGreaterThan(3 * perCustomer("ordinary"));
    const refunds30 = (a: CaseArchetype) => mean(facts(a).map((f) => f.facts.customerRefunds[30]));
    expect(refunds30("serial_refunder")).toBeGreaterThan(1.5);
    expect(refunds30("serial_refunder")).toBeGreaterThan(5 * refunds30("ordinary"));

    // Rings share a device (and often a phone); ordinary accounts share neither.
    for (const f of facts("ring")) expect(f.profile.customer.sharedDevice).toBeGreaterThanOrEqual(2);
    expect(facts("ring").some((f) => f.profile.customer.sharedPhone >= 2)).toBe(true);
    for (const f of facts("ordinary")) {
      expect(f.profile.customer.sharedDevice).toBe(0);
      expect(f.profile.customer.sharedPhone).toBe(0);
    }

    // Refund-only abusers: refund-only right after signing, half of them at night.
    for (const f of facts("refund_only_abuser")) {
      expect(f.facts.caseType).toBe("refund_only");
      expect(f.facts.parcel).toBe("signed");
      expect(f.profile.minutesSinceSigned).toBeLessThan(30 * 60);
    }
    expect(night("refund_only_abuser")).toBeGreaterThan(0.3);
    expect(night("ordinary")).toBeLessThan(0.1);

    // Refund-only before shipping, and small amounts.
    for (const f of facts("unshipped"))
      expect([f.facts.caseType, f.facts.parcel]).toEqual(["refund_only", "unshipped"]);
    for (const c of of("small_amount")) expect(c.requested_amount).toBeLessThanOrEqual(3000);
    // Some ordinary customers changed their mind about goods that exclude it.
    expect(
      facts("ordinary").some(
        (f) =>
          f.facts.reason === "changed_mind" &&
          f.facts.policies.some((p) => ["fresh", "customised", "no_7day_return"].includes(p)),
      ),
    ).toBe(true);

    // The bad batch: the kettle's claims per unit sold jump in the last 14 days (against its whole year).
    const recentStart = new Date(NOW.getTime() - 14 * DAY);
    const { rows } = await sql<{
      recent_sold: number;
      base_sold: number;
      recent_claims: number;
      base_claims: number;
    }>`
      select (select coalesce(sum(l.quantity), 0) from order_lines l join orders o on o.id = l.order_id
               where l.sku = ${QUALITY_SKU} and o.paid_at >= ${recentStart})::int as recent_sold,
             (select coalesce(sum(l.quantity), 0) from order_lines l join orders o on o.id = l.order_id
               where l.sku = ${QUALITY_SKU} and o.paid_at < ${recentStart})::int as base_sold,
             (select coalesce(sum(ci.quantity), 0) from cases c join case_items ci on ci.case_id = c.id
                join order_lines l on l.id = ci.order_line_id
               where l.sku = ${QUALITY_SKU} and c.created_at >= ${recentStart})::int as recent_claims,
             (select coalesce(sum(ci.quantity), 0) from cases c join case_items ci on ci.case_id = c.id
                join order_lines l on l.id = ci.order_line_id
               where l.sku = ${QUALITY_SKU} and c.created_at < ${recentStart})::int as base_claims`.execute(
      db,
    );
    const q = rows[0] as (typeof rows)[number];
    expect(q.recent_claims).toBeGreaterThanOrEqual(of("quality_sku").length);
    expect(q.recent_claims / q.recent_sold).toBeGreaterThan(2 * (q.base_claims / Math.max(1, q.base_sold)));
    for (const c of of("quality_sku")) expect(["quality", "damaged", "not_as_described"]).toContain(c.reason);

    // People: approve the ordinary, VIPs, small amounts, refunds before shipping and the bad batch;
    // reject most of the rings and abusers, a good share of the serial refunders.
    expect(rejected("ordinary")).toBeLessThan(0.25);
    for (const a of ["vip", "small_amount", "unshipped", "quality_sku"] as const) {
      expect(rejected(a), a).toBeLessThanOrEqual(0.25);
    }
    expect(rejected("ring")).toBeGreaterThan(0.5);
    expect(rejected("refund_only_abuser")).toBeGreaterThan(0.4);
    expect(rejected("serial_refunder")).toBeGreaterThan(2 * rejected("ordinary"));
    // …inconsistently, now and then.
    expect(summary.flipped / N).toBeGreaterThan(0.01);
    expect(summary.flipped / N).toBeLessThan(0.08);
    expect(summary.ceiling).toBeGreaterThan(0.8);
    expect(summary.ceiling).toBeLessThan(0.97);
  });

  it("refuses to write a second history into the same shop, and writes one into another", async () => {
    const { db } = store;
    expect(await codeOf(generateHistory(db, { cases: 20, now: NOW }))).toBe("HISTORY_ALREADY_LOADED");
    expect(await codeOf(generateHistory(db, { cases: 20, seed: 7, now: NOW }))).toBe(
      "HISTORY_ALREADY_LOADED",
    );
    const count = async (shop: string) =>
      Number(
        (await sql<{ n: number }>`select count(*) as n from cases where shop_id = ${shop}`.execute(db))
          .rows[0]?.n,
      );
    expect(await count(SHOP)).toBe(N);
    const other = await generateHistory(db, { cases: 40, seed: 3, now: NOW, shop: "history-b" });
    expect(other.cases).toBe(40);
    expect(await count("history-b")).toBe(40);
    expect(await count(SHOP)).toBe(N);
    const shop = await db
      .selectFrom("shops")
      .selectAll()
      .where("id", "=", "history-b")
      .executeTakeFirstOrThrow();
    expect(shop.channel).toBe("tmall");
  });

  it("takes its size, seed and shop from the command line, and says what is wrong with bad ones", async () => {
    expect(await codeOf(generateHistory(store.db, { cases: 0, shop: "history-c" }))).toBe(
      "INVALID_HISTORY_SIZE",
    );
    const { config, positionals } = readConfig(
      ["demo", "--history", "600", "--seed", "3", "--shop", "h2"],
      {},
    );
    expect(positionals).toEqual(["demo"]);
    expect([config.history, config.seed, config.shop]).toEqual([600, 3, "h2"]);
    expect(readConfig(["demo"], {}).config.history).toBeUndefined();
    expect(() => readConfig(["demo", "--history", "lots"], {})).toThrow(/--history/);
    expect(() => readConfig(["demo", "--history", "0"], {})).toThrow(/--history/);
  });
});
