import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NotifyChannel, NotifyUnavailableError } from "../../src/channels/notify/channel.ts";
import { smtpEmailChannel } from "../../src/channels/notify/email/adapter.ts";
import { type EmailSimulator, startEmailSimulator } from "../../src/channels/notify/email/simulator.ts";

/** The SMTP adapter (nodemailer) against the SMTP simulator over real sockets: what arrives, and faults. */

const AUTH = { user: "aftersales", pass: "s3cret-pass" };
let sim: EmailSimulator;
let email: NotifyChannel;
const adapter = (over: Partial<Parameters<typeof smtpEmailChannel>[0]> = {}) =>
  smtpEmailChannel({
    ...sim.smtp,
    ...AUTH,
    from: "售后服务 <service@shop.example>",
    timeoutMs: 5_000,
    ...over,
  });

beforeAll(async () => {
  sim = await startEmailSimulator({ auth: AUTH });
  email = adapter();
});
afterAll(() => sim.close());

const message = (id: string) => ({
  id,
  to: "buyer@example.com",
  subject: "您的售后单已受理 Case received",
  text: "售后单 AS20261208001 已受理。",
  html: "<p>售后单 <b>AS20261208001</b> 已受理。</p>",
});

describe("Email over SMTP", () => {
  it("sends: the simulator holds exactly the mail, its Message-ID made from our id", async () => {
    const outcome = await email.send(message("mail-1"));
    expect(outcome).toMatchObject({ status: "sent" });
    const got = sim.received().filter((m) => m.messageId === "<mail-1@shop.example>");
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      envelope: { from: "service@shop.example", to: ["buyer@example.com"] },
      to: "buyer@example.com",
      subject: "您的售后单已受理 Case received",
      text: "售后单 AS20261208001 已受理。",
      html: "<p>售后单 <b>AS20261208001</b> 已受理。</p>",
    });
    expect(got[0]?.from).toContain("service@shop.example");
    expect(outcome.status === "sent" && outcome.providerId).toBe(got[0]?.queueId);
  });

  it("a resend carries the same Message-ID, so it is recognisable as the same mail", async () => {
    await email.send(message("mail-2"));
    await email.send(message("mail-2"));
    const ids = sim.received().filter((m) => m.messageId === "<mail-2@shop.example>");
    expect(ids).toHaveLength(2);
  });

  it("550 on RCPT → refused; 421 and 451 → unavailable; nothing delivered", async () => {
    const before = sim.received().length;
    sim.fail("550");
    expect(await email.send(message("mail-550"))).toMatchObject({ status: "refused", code: "SMTP_550" });
    sim.fail("421");
    await expect(email.send(message("mail-421"))).rejects.toThrow(NotifyUnavailableError);
    sim.fail("451");
    await expect(email.send(message("mail-451"))).rejects.toThrow(NotifyUnavailableError);
    expect(sim.received()).toHaveLength(before);
  });

  it("a dropped connection or no server → unavailable; then the same mail goes through", async () => {
    sim.fail("drop");
    await expect(email.send(message("mail-drop"))).rejects.toThrow(NotifyUnavailableError);
    const gone = await startEmailSimulator();
    await gone.close();
    await expect(adapter({ ...gone.smtp }).send(message("mail-drop"))).rejects.toThrow(
      NotifyUnavailableError,
    );
    expect(await email.send(message("mail-drop"))).toMatchObject({ status: "sent" });
  });

  it("a wrong password is refused, saying which setting to check", async () => {
    const outcome = await adapter({ pass: "wrong" }).send(message("mail-auth"));
    expect(outcome).toMatchObject({ status: "refused", code: "SMTP_535" });
    expect(outcome.status === "refused" && outcome.message).toContain("SMTP_PASS");
  });

  it("serves its mailbox read-only over HTTP", async () => {
    const json = (await (await fetch(`${sim.url}/_sim/messages`)).json()) as { messageId: string }[];
    expect(json.map((m) => m.messageId)).toContain("<mail-1@shop.example>");
    expect(await (await fetch(`${sim.url}/_sim/`)).text()).toContain("您的售后单已受理");
  });
});
