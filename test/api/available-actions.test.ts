import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { setShopReview } from "../../src/flows/settings.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * Finding 13 of issue 10: a case's availableActions are exactly what the caller could do to it now —
 * role, shop, lifecycle, guards (a quote of 0.00 cannot be granted), second approval, stock. Tried
 * over random walks: every listed action succeeds, every other one fails.
 */

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};
const ROLES = ["admin", "cs_agent", "reviewer", "supervisor", "warehouse", "finance"] as const;
type Who = (typeof ROLES)[number] | "reviewer2";

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  // Approvals above 100.00 need two people, and no rule refunds anything by itself.
  await setShopReview(env.ctx, "tmall-1", { secondApprovalAbove: "100.00", autoRefundLimit: null });
  for (const role of ROLES) tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  tokens.reviewer2 = (await createToken(env.ctx.db, { name: "reviewer2", role: "reviewer" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(who: Who, method: "GET" | "POST", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

/** Every action a case offers over HTTP, and the bodies a person would send for it. */
const BODIES: Record<string, (version: number) => object[]> = {
  approve: () => [{}],
  reject: () => [{ note: "不符合退货条件" }],
  cancel: () => [{}],
  "return-shipment": () => [{ carrier: "SF", trackingNo: "SF1234567890" }],
  receive: () => [{ quantity: 1, condition: "intact" }],
  inspect: () => [{ result: "pass" }, { result: "fail" }],
  "grant-refund": () => [{}],
  "issue-refund": () => [{}],
  "replacement-shipment": () => [{ carrier: "SF", trackingNo: "SF9876543210" }],
  close: () => [{}],
  compensate: (v) => [{ type: "cash", amount: "0.01", expectedVersion: v }],
  override: () => [
    { decision: "approve", note: "人工改判" },
    { decision: "reject", note: "人工改判" },
  ],
  review: () => [{}],
};
const SLUGS = Object.keys(BODIES);
/** Actions that end a walk early or leave the case where it is. */
const SIDE_STEPS = ["reject", "cancel", "review", "compensate", "override"];

/** A new case: on an order whose second line was free (its quote is 0.00) or paid for. */
async function newCase(type: string, free: boolean) {
  const order = sampleOrder(
    free
      ? {
          lines: [
            { externalId: "L1", sku: "TEE-BLK-M", title: "T恤 黑 M", quantity: 2, unitPrice: "99.00" },
            { externalId: "L2", sku: "GIFT-01", title: "赠品", quantity: 1, unitPrice: "0.00" },
          ],
          discounts: [],
          payments: [{ tender: "alipay", amount: "206.00", transactionId: `G${Date.now()}` }],
        }
      : {},
  );
  const placed = await call("admin", "POST", "/orders", order);
  expect(placed.status).toBe(201);
  const lines = (await call("admin", "GET", `/orders/${placed.body.id}`)).body.lines as { id: number }[];
  const c = await call("admin", "POST", "/cases", {
    orderId: placed.body.id,
    type,
    reason: "quality",
    source: "chat",
    items: [{ lineId: (lines[1] as { id: number }).id, quantity: 1 }],
  });
  expect(c.status).toBe(201);
  return c.body.id as number;
}

/** Try `slug` as `who` with each body a person would send; true when one of them succeeded. */
async function attempt(who: Who, caseId: number, slug: string, version: number) {
  for (const body of BODIES[slug]?.(version) ?? [{}]) {
    const res = await call(who, "POST", `/cases/${caseId}/${slug}`, body);
    expect(res.status, JSON.stringify(res.body)).not.toBe(500);
    if (res.status < 300) return true;
  }
  return false;
}

describe("availableActions", () => {
  it("does not offer a grant that cannot succeed (a quote of 0.00), and the grant indeed fails", async () => {
    const id = await newCase("refund_only", true);
    expect((await call("reviewer", "POST", `/cases/${id}/approve`, {})).status).toBe(200);
    const seen = await call("finance", "GET", `/cases/${id}`);
    expect(seen.body.status).toBe("approved");
    expect(seen.body.availableActions).not.toContain("grant-refund");
    const grant = await call("finance", "POST", `/cases/${id}/grant-refund`, {});
    expect(grant.body.code).toBe("GUARD_FAILED");
  });

  it("offers the second approval to another person only, and each role only its own actions", async () => {
    for (const c of [await newCase("refund_only", false), await newCase("return_refund", false)]) {
      const asAgent = (await call("cs_agent", "GET", `/cases/${c}`)).body.availableActions;
      expect(asAgent).not.toContain("approve");
      expect((await call("warehouse", "GET", `/cases/${c}`)).body.availableActions).toEqual([]);
    }
    // Above the threshold: a first approval, then the same person is not offered the second.
    const big = await newCase("refund_only", false);
    await env.ctx.db.updateTable("cases").set({ requested_amount: 15000 }).where("id", "=", big).execute();
    expect((await call("reviewer", "GET", `/cases/${big}`)).body.availableActions).toContain("approve");
    const first = await call("reviewer", "POST", `/cases/${big}/approve`, {});
    expect(first.body).toMatchObject({ status: "requested", awaitingSecondApproval: true });
    expect((await call("reviewer", "GET", `/cases/${big}`)).body.availableActions).not.toContain("approve");
    expect((await call("reviewer2", "GET", `/cases/${big}`)).body.availableActions).toContain("approve");
  });

  it("is exactly what succeeds: over random walks, every listed action succeeds and every other fails", async () => {
    const who = fc.constantFrom<Who>(...ROLES, "reviewer2");
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("refund_only", "return_refund", "exchange", "reship"),
        fc.boolean(),
        fc.array(fc.record({ who, listed: fc.boolean(), n: fc.nat() }), { minLength: 6, maxLength: 16 }),
        async (type, free, steps) => {
          const id = await newCase(type, free);
          for (const step of steps) {
            const seen = await call(step.who, "GET", `/cases/${id}`);
            const offered = seen.body.availableActions as string[];
            for (const slug of offered) expect(SLUGS).toContain(slug);
            // Half the steps take an offered action that moves the case on (it must succeed), half any
            // action (it succeeds only if offered).
            const onward = offered.filter((x) => !SIDE_STEPS.includes(x));
            const pool = step.listed && onward.length ? onward : SLUGS;
            const slug = pool[step.n % pool.length] as string;
            const ok = await attempt(step.who, id, slug, seen.body.version);
            if (process.env.TRACE_WALKS)
              console.log(type, seen.body.status, step.who, slug, ok, offered.join(","));
            expect(ok, `${step.who} ${slug} on a ${type} case that was ${seen.body.status}`).toBe(
              offered.includes(slug),
            );
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);
});
