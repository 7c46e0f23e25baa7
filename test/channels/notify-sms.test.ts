// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Aliyun SMS templates write their variables as ${name}.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type NotifyChannel,
  NotifyUnavailableError,
  nextShanghaiMidnight,
} from "../../src/channels/notify/channel.ts";
import { aliyunSmsChannel } from "../../src/channels/notify/sms/adapter.ts";
import { rpcSignature } from "../../src/channels/notify/sms/protocol.ts";
import { type SmsSimulator, startSmsSimulator } from "../../src/channels/notify/sms/simulator.ts";

/** The Aliyun SendSms adapter against its simulator over real HTTP: signature, templates, flow control, faults. */

// One clock for both sides, moved by the tests, so flow-control windows are crossed without waiting.
let clock = new Date("2026-12-08T01:00:00Z"); // 09:00 in Shanghai
const now = () => clock;
let sim: SmsSimulator;
let sms: NotifyChannel;
const adapter = (over: Partial<Parameters<typeof aliyunSmsChannel>[0]> = {}) =>
  aliyunSmsChannel({ ...sim.config, now, timeoutMs: 500, ...over });

/** A template as the merchant registered it (the kinds' own are checked in notify-registry.test.ts). */
const TEMPLATES = { SMS_CASE_RECEIVED: "您的售后单${caseNo}已受理，我们会尽快处理。" };

beforeAll(async () => {
  sim = await startSmsSimulator({ now, templates: TEMPLATES });
  sms = adapter();
});
afterAll(() => sim.close());

const message = (id: string, to: string, params: Record<string, string> = { caseNo: "AS20261208001" }) => ({
  id,
  to,
  template: "SMS_CASE_RECEIVED",
  params,
});

describe("Aliyun SMS", () => {
  it("signs as Aliyun documents it (HMAC-SHA1, its DescribeRegions example)", () => {
    const params = {
      TimeStamp: "2016-02-23T12:46:24Z",
      Format: "XML",
      AccessKeyId: "testid",
      Action: "DescribeRegions",
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
      Version: "2014-05-26",
      SignatureVersion: "1.0",
    };
    expect(rpcSignature("GET", params, "testsecret")).toBe("CT9X0VtwR86fNWSnsc6v8YGOjuE=");
  });

  it("sends: the simulator holds exactly the message, with our id as OutId and its text rendered", async () => {
    const outcome = await sms.send(message("msg-sent-1", "13800138000"));
    expect(outcome).toMatchObject({ status: "sent" });
    const got = sim.received().filter((m) => m.OutId === "msg-sent-1");
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      PhoneNumber: "13800138000",
      TemplateCode: "SMS_CASE_RECEIVED",
      TemplateParam: { caseNo: "AS20261208001" },
      Content: "【售后服务】您的售后单AS20261208001已受理，我们会尽快处理。",
    });
    expect(outcome.status === "sent" && outcome.providerId).toBe(got[0]?.BizId);
    expect(sms.cost).toBeUndefined();
  });

  it("sends E.164 numbers as Aliyun wants them (country code, no +)", async () => {
    await sms.send(message("msg-e164", "+8613900139000"));
    expect(sim.received().find((m) => m.OutId === "msg-e164")?.PhoneNumber).toBe("8613900139000");
  });

  it("flow control per number + sign + template: 1/minute, 5/hour, 10/day → later, at the right time", async () => {
    const to = "13700137000";
    let n = 0;
    const send = () => sms.send(message(`fc-${++n}`, to));
    expect((await send()).status).toBe("sent");
    const minute = await send();
    expect(minute).toMatchObject({ status: "later", code: "isv.BUSINESS_LIMIT_CONTROL" });
    expect(minute.status === "later" && minute.retryAt.getTime()).toBe(clock.getTime() + 60_000);

    /** `times` sends, each `gapMs` after the one before: all within the limits, so all sent. */
    const sendEvery = async (gapMs: number, times: number) => {
      for (let i = 0; i < times; i++) {
        clock = new Date(clock.getTime() + gapMs);
        expect((await send()).status).toBe("sent");
      }
      clock = new Date(clock.getTime() + gapMs);
    };
    await sendEvery(61_000, 4);
    const hour = await send();
    expect(hour.status === "later" && hour.retryAt.getTime()).toBe(clock.getTime() + 3_600_000);

    await sendEvery(3_601_000, 5);
    const day = await send();
    expect(day).toMatchObject({ status: "later", message: expect.stringContaining("天级") });
    expect(day.status === "later" && day.retryAt).toEqual(nextShanghaiMidnight(clock));
    expect(sim.received().filter((m) => m.PhoneNumber === to)).toHaveLength(10);
  });

  it("isv.DAY_LIMIT_CONTROL → later, at the next midnight in Shanghai", async () => {
    sim.fail({ code: "isv.DAY_LIMIT_CONTROL", message: "触发日发送限额" });
    const outcome = await sms.send(message("msg-day", "13600136000"));
    expect(outcome).toMatchObject({ status: "later", code: "isv.DAY_LIMIT_CONTROL" });
    expect(outcome.status === "later" && outcome.retryAt).toEqual(nextShanghaiMidnight(clock));
    expect(nextShanghaiMidnight(new Date("2026-12-08T01:00:00Z"))).toEqual(new Date("2026-12-08T16:00:00Z"));
    expect(nextShanghaiMidnight(new Date("2026-12-08T16:00:00Z"))).toEqual(new Date("2026-12-09T16:00:00Z"));
  });

  it("refuses what Aliyun refuses: bad number, unknown template, missing variable, unapproved sign name", async () => {
    expect(await sms.send(message("r1", "12345"))).toMatchObject({
      status: "refused",
      code: "isv.MOBILE_NUMBER_ILLEGAL",
    });
    expect(await sms.send({ ...message("r2", "13500135000"), template: "SMS_NOPE" })).toMatchObject({
      status: "refused",
      code: "isv.SMS_TEMPLATE_ILLEGAL",
    });
    expect(await sms.send(message("r3", "13500135000", {}))).toMatchObject({
      status: "refused",
      code: "isv.TEMPLATE_MISSING_PARAMETERS",
      message: expect.stringContaining("caseNo"),
    });
    expect(await adapter({ signName: "别家店" }).send(message("r4", "13500135000"))).toMatchObject({
      status: "refused",
      code: "isv.SMS_SIGNATURE_ILLEGAL",
    });
    expect(sim.received().filter((m) => /^r\d$/.test(m.OutId ?? ""))).toEqual([]);
  });

  it("a wrong key secret or key id is refused, saying which setting to check", async () => {
    const badSecret = await adapter({ accessKeySecret: "wrong" }).send(message("k1", "13500135000"));
    expect(badSecret).toMatchObject({ status: "refused", code: "SignatureDoesNotMatch" });
    expect(badSecret.status === "refused" && badSecret.message).toContain("ALIYUN_SMS_ACCESS_KEY_SECRET");
    const badId = await adapter({ accessKeyId: "LTAInobody" }).send(message("k2", "13500135000"));
    expect(badId).toMatchObject({ status: "refused", code: "InvalidAccessKeyId.NotFound" });
  });

  it("no answer, a 500 or no server at all → NotifyUnavailableError, and nothing was sent", async () => {
    const before = sim.received().length;
    sim.fail("timeout");
    await expect(sms.send(message("u1", "13400134000"))).rejects.toThrow(NotifyUnavailableError);
    sim.fail("500");
    await expect(sms.send(message("u2", "13400134000"))).rejects.toThrow(NotifyUnavailableError);
    sim.fail({ code: "isp.SYSTEM_ERROR" });
    await expect(sms.send(message("u3", "13400134000"))).rejects.toThrow(NotifyUnavailableError);
    const closed = await startSmsSimulator();
    await closed.close();
    await expect(adapter({ endpoint: closed.url }).send(message("u4", "13400134000"))).rejects.toThrow(
      NotifyUnavailableError,
    );
    expect(sim.received()).toHaveLength(before);
    // The faults are used up: the same message goes through now.
    expect(await sms.send(message("u1", "13400134000"))).toMatchObject({ status: "sent" });
  });

  it("shows what it received: JSON for tests, a page for a person running the demo", async () => {
    const json = (await (await fetch(`${sim.url}/_sim/messages`)).json()) as { OutId: string }[];
    expect(json.map((m) => m.OutId)).toContain("msg-sent-1");
    const page = await (await fetch(`${sim.url}/_sim/`)).text();
    expect(page).toContain("您的售后单AS20261208001已受理");
  });
});
