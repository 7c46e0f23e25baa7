import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmailSimulator } from "../../src/channels/notify/email/simulator.ts";
import { simulateNotifyChannels } from "../../src/channels/notify/registry.ts";
import type { SmsSimulator } from "../../src/channels/notify/sms/simulator.ts";
import type { WechatSubscribeSimulator } from "../../src/channels/notify/wechat/simulator.ts";
import { NOTIFICATION_KINDS } from "../../src/domain/notify/kinds.ts";
import { rejectCase } from "../../src/flows/review-case.ts";
import { dispatchOnce } from "../../src/jobs/dispatcher.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { REVIEWER } from "../support/fixtures.ts";
import { type Contacts, caseOfCustomer, fanOutNow } from "../support/notify.ts";

/** Messages composed for a case go out through the real adapters to the channels' simulators, once. */

let env: TestEnv;
let sims: Awaited<ReturnType<typeof simulateNotifyChannels>>;
let sms: SmsSimulator;
let mail: EmailSimulator;
let wechat: WechatSubscribeSimulator;
beforeAll(async () => {
  env = await testEnv();
  sims = await simulateNotifyChannels();
  env.ctx.notify = Object.fromEntries(Object.entries(sims.channels).map(([k, s]) => [k, s.adapter]));
  sms = sims.channels.sms.simulator as SmsSimulator;
  mail = sims.channels.email.simulator as EmailSimulator;
  wechat = sims.channels.wechat.simulator as WechatSubscribeSimulator;
});
afterAll(async () => {
  await sims.close();
  await env.close();
});

async function newCase(contacts: Contacts) {
  const id = await caseOfCustomer(env.ctx, contacts);
  await fanOutNow(env.ctx);
  return id;
}

/** The outbox's messages for notifications, all of them due now: what the dispatcher does. */
async function dispatchDue() {
  env.clock.advance(61_000);
  while ((await dispatchOnce(env.ctx)) > 0);
}

const messages = (caseId: number) =>
  env.ctx.db
    .selectFrom("notifications")
    .select(["id", "kind", "channel", "status", "provider_id", "error", "cost", "due_at"])
    .where("case_id", "=", caseId)
    .orderBy("id")
    .execute();

/** A WeChat openid: 28 characters. */
const openidOf = (tag: string) => `o${tag}${Date.now()}`.padEnd(28, "x").slice(0, 28);

const byOutId = (id: number) => sms.received().filter((m) => m.OutId === `notify-${id}`);

describe("sending customer messages", () => {
  it("sends each once through its channel and records what the provider said, and what an SMS cost", async () => {
    const openid = openidOf("sent");
    wechat.grant(openid, NOTIFICATION_KINDS.received.wechat.template);
    const id = await newCase({ phone: "13900001111", email: "hmm@example.com", wechatOpenId: openid });
    await dispatchDue();
    await dispatchDue(); // nothing more goes out
    const sent = await messages(id);
    expect(sent.map((m) => [m.channel, m.status])).toEqual([
      ["sms", "sent"],
      ["email", "sent"],
      ["wechat", "sent"],
    ]);
    const [text, email, card] = sent;
    expect(byOutId(text?.id ?? 0)).toHaveLength(1);
    expect(byOutId(text?.id ?? 0)[0]?.Content).toContain(`#${id}`);
    expect(Number(text?.cost)).toBeGreaterThan(0);
    const got = mail.received().filter((m) => m.messageId.startsWith(`<notify-${email?.id}@`));
    expect(got).toHaveLength(1);
    expect(got[0]?.subject).toBe(`我们已收到您的售后申请 #${id}`);
    expect(wechat.received().filter((m) => m.touser === openid)).toHaveLength(1);
    expect(card?.provider_id).toBeTruthy();
  });

  it("a customer who did not subscribe on WeChat is not messaged there, and it is not retried", async () => {
    const id = await newCase({ wechatOpenId: openidOf("none") });
    await dispatchDue();
    await dispatchDue();
    const [m] = await messages(id);
    expect(m?.status).toBe("refused");
    expect(m?.error).toMatch(/^43101/);
  });

  it("flow control: the text waits until the provider allows it, then goes once", async () => {
    sms.fail({ code: "isv.BUSINESS_LIMIT_CONTROL", message: "触发分钟级流控Permits:1" });
    const id = await newCase({ phone: "13900002222" });
    await dispatchDue();
    const [waiting] = await messages(id);
    expect(waiting?.status).toBe("waiting");
    expect(waiting?.due_at.getTime()).toBeGreaterThan(env.ctx.now().getTime());
    env.clock.now = new Date((waiting?.due_at.getTime() ?? 0) + 1000);
    await dispatchDue();
    const [m] = await messages(id);
    expect(m?.status).toBe("sent");
    expect(byOutId(m?.id ?? 0)).toHaveLength(1);
  });

  it("a channel that is down is tried again, and the message goes once", async () => {
    sms.fail("500", 2);
    const id = await newCase({ phone: "13900003333" });
    await dispatchDue();
    expect((await messages(id))[0]?.status).toBe("queued");
    for (let i = 0; i < 3 && (await messages(id))[0]?.status !== "sent"; i++) {
      env.clock.advance(10 * 60_000);
      await dispatchDue();
    }
    const [m] = await messages(id);
    expect(m?.status).toBe("sent");
    expect(byOutId(m?.id ?? 0)).toHaveLength(1);
  });

  it("a process that died during the call does not send again: the outcome is recorded unknown", async () => {
    const id = await newCase({ phone: "13900004444" });
    const [m] = await messages(id);
    // As a dead process left it: taken for sending, half an hour ago, its outbox lease run out.
    await sql`update notifications set status = 'sending', updated_at = ${new Date(env.ctx.now().getTime() - 30 * 60_000)}
               where id = ${m?.id}`.execute(env.ctx.db);
    await dispatchDue();
    expect((await messages(id))[0]?.status).toBe("unknown");
    expect(byOutId(m?.id ?? 0)).toHaveLength(0);
  });

  it("a message merged into a later one is not sent; the later one is, and says where the case ended", async () => {
    const id = await newCase({ phone: "13900005555" });
    await rejectCase(env.ctx, REVIEWER, id, { note: "超过退货期限" });
    await fanOutNow(env.ctx);
    await dispatchDue();
    const all = await messages(id);
    expect(all.map((m) => [m.kind, m.status])).toEqual([
      ["received", "superseded"],
      ["rejected", "sent"],
    ]);
    expect(byOutId(all[0]?.id ?? 0)).toHaveLength(0);
    expect(byOutId(all[1]?.id ?? 0)[0]?.Content).toContain("超过退货期限");
  });
});
