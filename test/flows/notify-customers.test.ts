import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatMinor } from "../../src/domain/money.ts";
import { announceChanges } from "../../src/flows/announce-changes.ts";
import { fanOut, fanOutOnce } from "../../src/flows/fan-out.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { issueRefund } from "../../src/flows/issue-refund.ts";
import { approveCase, rejectCase } from "../../src/flows/review-case.ts";
import { type TestEnv, testEnv, usingPostgres } from "../support/db.ts";
import { placeOrder, REVIEWER } from "../support/fixtures.ts";
import { type Contacts, caseOfCustomer, fanOutNow } from "../support/notify.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

const caseOf = (contacts: Contacts, optOut?: string[]) => caseOfCustomer(env.ctx, contacts, optOut);
const settle = () => fanOutNow(env.ctx);

const messagesOf = (caseId: number) =>
  env.ctx.db
    .selectFrom("notifications")
    .select(["id", "kind", "channel", "recipient", "language", "status", "due_at", "vars"])
    .where("case_id", "=", caseId)
    .orderBy("id")
    .execute();

const outboxOf = (ids: number[]) =>
  env.ctx.db
    .selectFrom("outbox")
    .select(["key", "available_at", "status"])
    .where("topic", "=", "notify.send")
    .where(
      "key",
      "in",
      ids.map((id) => `notify:${id}`),
    )
    .orderBy("key")
    .execute();

describe("messages to the customer (通知)", () => {
  it("tells a new case's customer on every channel they can be reached on, once, in their words", async () => {
    const id = await caseOf({ phone: "13800138000", email: "li@example.com", wechatOpenId: "oAbC123" });
    await settle();
    await settle(); // again: nothing new
    const msgs = await messagesOf(id);
    expect(msgs.map((m) => [m.kind, m.channel, m.recipient, m.status])).toEqual([
      ["received", "sms", "13800138000", "queued"],
      ["received", "email", "li@example.com", "queued"],
      ["received", "wechat", "oAbC123", "queued"],
    ]);
    expect(msgs[0]?.vars).toMatchObject({ case: `#${id}`, shop: "tmall-1", link: `/portal/cases/${id}` });
    // Each has its one outbox message, due after the burst window (16:00 in Shanghai: no quiet hours).
    const out = await outboxOf(msgs.map((m) => m.id));
    expect(out).toHaveLength(3);
    for (const o of out) expect(o.available_at).toEqual(new Date(env.ctx.now().getTime() + 60_000));
  });

  it("says nothing on a channel the customer said no to, or to a customer who cannot be reached", async () => {
    const quiet = await caseOf({ phone: "13800138001", email: "x@example.com" }, ["sms"]);
    const none = await caseOf({});
    const all = await caseOf({ phone: "13800138002" }, ["all"]);
    await settle();
    expect((await messagesOf(quiet)).map((m) => m.channel)).toEqual(["email"]);
    expect(await messagesOf(none)).toEqual([]);
    expect(await messagesOf(all)).toEqual([]);
  });

  it("a number a platform masked reaches no one, and never replaces a whole one we know", async () => {
    const masked = await caseOf({ phone: "138****8000" });
    const known = await caseOf({ phone: "13800138005" });
    const customer = (
      await env.ctx.db
        .selectFrom("cases")
        .select("customer_id")
        .where("id", "=", known)
        .executeTakeFirstOrThrow()
    ).customer_id as string;
    // The same buyer's next order comes from a platform, number masked.
    await placeOrder(env.ctx, { customer: { id: customer, phone: "138****8005" } });
    await settle();
    expect(await messagesOf(masked)).toEqual([]);
    const phone = await env.ctx.db
      .selectFrom("customers")
      .select("phone")
      .where("id", "=", customer)
      .executeTakeFirst();
    expect(phone?.phone).toBe("13800138005");
  });

  it("a burst of moves is one message about where the case ended: the newer supersedes the queued", async () => {
    const id = await caseOf({ phone: "13800138003", language: "en" });
    await approveCase(env.ctx, REVIEWER, id);
    const granted = await grantRefund(env.ctx, REVIEWER, id);
    await issueRefund(env.ctx, granted.refundId);
    await settle();
    const msgs = await messagesOf(id);
    expect(msgs.map((m) => [m.kind, m.status])).toEqual([
      ["received", "superseded"],
      ["approved", "superseded"],
      ["refund_sent", "superseded"],
      ["refund_arrived", "queued"],
    ]);
    const last = msgs.at(-1);
    expect(last?.language).toBe("en");
    // The refund's amount with its currency, and where the money goes, in the customer's language.
    const paid = granted.refunds.reduce((a, r) => a + r.amount, 0);
    expect(last?.vars).toMatchObject({ amount: `¥${formatMinor(paid, "CNY")}`, to: "Alipay" });
  });

  it("a rejection carries its reason; texts wait for the morning, email does not", async () => {
    // 22:30 in Shanghai.
    env.clock.now = new Date("2026-11-01T14:30:00Z");
    const id = await caseOf({ phone: "13800138004", email: "night@example.com" });
    await settle();
    env.clock.advance(5 * 60_000); // past the burst window: the first message stands alone
    await rejectCase(env.ctx, REVIEWER, id, { note: "已超过七天无理由退货期限" });
    await settle();
    const msgs = await messagesOf(id);
    const rejected = msgs.filter((m) => m.kind === "rejected");
    expect(rejected.map((m) => m.channel)).toEqual(["sms", "email"]);
    expect(rejected[0]?.vars).toMatchObject({ note: "已超过七天无理由退货期限" });
    // SMS at 08:00 Shanghai the next morning; email after the burst window.
    expect(rejected[0]?.due_at).toEqual(new Date("2026-11-02T00:00:00Z"));
    expect(rejected[1]?.due_at).toEqual(new Date(env.ctx.now().getTime() + 60_000));
    env.clock.now = new Date("2026-11-01T08:00:00Z");
  });

  it.runIf(usingPostgres)("two workers emptying the feed at once compose each message once", async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => caseOf({ phone: `1390000000${i}` })));
    await announceChanges(env.ctx);
    await Promise.all([
      fanOutOnce(env.ctx, 2),
      fanOutOnce(env.ctx, 2),
      fanOut(env.ctx, 3),
      fanOut(env.ctx, 3),
    ]);
    for (const id of ids) expect((await messagesOf(id)).map((m) => m.kind)).toEqual(["received"]);
  });
});
