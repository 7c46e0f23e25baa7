import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NotifyChannel, NotifyUnavailableError } from "../../src/channels/notify/channel.ts";
import { wechatSubscribeChannel } from "../../src/channels/notify/wechat/adapter.ts";
import {
  startWechatSubscribeSimulator,
  type WechatSubscribeSimulator,
} from "../../src/channels/notify/wechat/simulator.ts";
import { checkSubscribeValue } from "../../src/channels/notify/wechat/values.ts";

/** The subscribe-message adapter against its simulator over real HTTP, and the value rules as properties. */

const OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const TEMPLATE = "TPL_CASE_PROGRESS";
let sim: WechatSubscribeSimulator;
let wechat: NotifyChannel;
const adapter = (over: Partial<Parameters<typeof wechatSubscribeChannel>[0]> = {}) =>
  wechatSubscribeChannel({ ...sim.config, timeoutMs: 500, ...over });

/** A template as the merchant picked it (the kinds' own are checked in notify-registry.test.ts). */
const TEMPLATES = {
  [TEMPLATE]: {
    title: "售后进度通知",
    keys: { character_string1: "售后单号", phrase2: "处理进度", thing3: "备注", time4: "更新时间" },
  },
};

beforeAll(async () => {
  sim = await startWechatSubscribeSimulator({ templates: TEMPLATES });
  wechat = adapter();
});
afterAll(() => sim.close());

const params = {
  character_string1: "AS20261208001",
  phrase2: "已退款",
  thing3: "退款将原路退回",
  time4: "2026年12月8日 09:30",
};
const message = (id: string, over: object = {}) => ({
  id,
  to: OPENID,
  template: TEMPLATE,
  params,
  page: "pages/case/detail?id=AS20261208001",
  ...over,
});
/** As the mini-program's wx.requestSubscribeMessage does when the user taps 允许. */
const subscribe = (openid: string, templateIds: string[]) =>
  fetch(`${sim.url}/_sim/subscribe`, {
    method: "POST",
    body: JSON.stringify({ openid, template_ids: templateIds }),
  }).then((r) => r.json());

describe("WeChat subscribe messages", () => {
  it("sends with a granted subscription: the simulator holds exactly the message, and the grant is used up", async () => {
    expect(await subscribe(OPENID, [TEMPLATE])).toMatchObject({ [TEMPLATE]: "accept" });
    const outcome = await wechat.send(message("wx-1"));
    expect(outcome).toMatchObject({ status: "sent" });
    const got = sim.received();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      touser: OPENID,
      template_id: TEMPLATE,
      data: params,
      page: "pages/case/detail?id=AS20261208001",
      lang: "zh_CN",
      text: "售后进度通知\n售后单号: AS20261208001\n处理进度: 已退款\n备注: 退款将原路退回\n更新时间: 2026年12月8日 09:30",
    });
    expect(outcome.status === "sent" && outcome.providerId).toBe(got[0]?.msgid);
    expect(sim.subscriptions(OPENID, TEMPLATE)).toBe(0);
  });

  it("not subscribed, or the one-time subscription used up → refused 43101, never retried", async () => {
    expect(await wechat.send(message("wx-2"))).toMatchObject({ status: "refused", code: "43101" });
    expect(await wechat.send(message("wx-3", { to: "oNobodySubscribedToAnything1" }))).toMatchObject({
      status: "refused",
      code: "43101",
    });
  });

  it("a value that breaks its rule → refused 47003 naming the field; the subscription is kept", async () => {
    sim.grant(OPENID, TEMPLATE);
    const outcome = await wechat.send(message("wx-4", { params: { ...params, phrase2: "退款已经完成了" } }));
    expect(outcome).toMatchObject({
      status: "refused",
      code: "47003",
      message: expect.stringContaining("phrase2"),
    });
    expect(await wechat.send(message("wx-5", { to: "not-an-openid" }))).toMatchObject({ code: "40003" });
    expect(sim.subscriptions(OPENID, TEMPLATE)).toBe(1);
  });

  it("an expired token is refreshed once and the message goes through", async () => {
    sim.expireTokens();
    expect(await wechat.send(message("wx-6", { lang: "en_US" }))).toMatchObject({ status: "sent" });
    expect(sim.received().at(-1)).toMatchObject({ lang: "en_US" });
  });

  it("system busy, quota reached, no answer or a 500 → NotifyUnavailableError; nothing used up", async () => {
    sim.grant(OPENID, TEMPLATE);
    const before = sim.received().length;
    for (const fault of [{ errcode: -1 }, { errcode: 45009 }, "timeout", "500"] as const) {
      sim.fail(fault);
      await expect(wechat.send(message("wx-7"))).rejects.toThrow(NotifyUnavailableError);
    }
    expect(sim.received()).toHaveLength(before);
    expect(await wechat.send(message("wx-7"))).toMatchObject({ status: "sent" });
  });

  it("a wrong app secret is refused, saying which setting to check", async () => {
    const outcome = await adapter({ appSecret: "wrong" }).send(message("wx-8"));
    expect(outcome).toMatchObject({ status: "refused", code: "40125" });
    expect(outcome.status === "refused" && outcome.message).toContain("WECHAT_MP_SECRET");
  });

  it("shows what it received: JSON for tests, a page for a person running the demo", async () => {
    const json = (await (await fetch(`${sim.url}/_sim/messages`)).json()) as { touser: string }[];
    expect(json.length).toBe(sim.received().length);
    expect(await (await fetch(`${sim.url}/_sim/`)).text()).toContain("售后进度通知");
  });
});

describe("subscribe value rules", () => {
  const han = fc.constantFrom(..."退款已受理售后单处理中完成审核寄回仓库收货");
  // Characters as the checker (and the flow's cutting to fit) count them: code points. A grapheme unit
  // (Ố as O plus two combining marks) is several of them.
  const chars = (min: number, max: number) => fc.string({ unit: "binary", minLength: min, maxLength: max });

  it("thing: any non-blank text of at most 20 characters passes; 21 or more fails", () => {
    fc.assert(
      fc.property(chars(1, 20), (v) => {
        fc.pre(v.trim() !== "");
        expect(checkSubscribeValue("thing3", v)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(chars(21, 40), (v) => {
        expect(checkSubscribeValue("thing3", v)).toBeDefined();
      }),
    );
  });

  it("amount: optional currency symbol, 1–10 digits, optional 1–2 decimals, optional 元", () => {
    const amount = fc.record({
      symbol: fc.constantFrom("", "¥", "￥", "$"),
      whole: fc.stringMatching(/^\d{1,10}$/),
      cents: fc.constantFrom("", ".5", ".05"),
      yuan: fc.constantFrom("", "元"),
    });
    fc.assert(
      fc.property(amount, (a) => {
        expect(checkSubscribeValue("amount2", `${a.symbol}${a.whole}${a.cents}${a.yuan}`)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^\d{11,15}$/), (d) => {
        expect(checkSubscribeValue("amount2", d)).toBeDefined();
      }),
    );
    for (const bad of ["12.345", "¥¥10", "1,000", "-5", "十元", ""]) {
      expect(checkSubscribeValue("amount2", bad)).toBeDefined();
    }
  });

  it("phrase: 1–5 Chinese characters only; number and character_string: at most 32", () => {
    fc.assert(
      fc.property(fc.array(han, { minLength: 1, maxLength: 5 }), (cs) => {
        expect(checkSubscribeValue("phrase2", cs.join(""))).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(fc.array(han, { minLength: 6, maxLength: 12 }), (cs) => {
        expect(checkSubscribeValue("phrase2", cs.join(""))).toBeDefined();
      }),
    );
    expect(checkSubscribeValue("phrase2", "ok")).toBeDefined();
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x7e]{1,32}$/), (v) => {
        expect(checkSubscribeValue("character_string1", v)).toBeUndefined();
      }),
    );
    expect(checkSubscribeValue("character_string1", "x".repeat(33))).toBeDefined();
    expect(checkSubscribeValue("number5", "1".repeat(32))).toBeUndefined();
    expect(checkSubscribeValue("number5", "1".repeat(33))).toBeDefined();
  });

  it("time, date, name, phone_number and unknown kinds, by example", () => {
    for (const ok of ["15:01", "2019年10月1日 15:01", "2026-12-08 09:30:00", "09:00~18:00"]) {
      expect(checkSubscribeValue("time4", ok)).toBeUndefined();
    }
    for (const bad of ["25:00", "2019年10月1日", "明天"])
      expect(checkSubscribeValue("time4", bad)).toBeDefined();
    for (const ok of ["2019年10月1日", "2019-10-01 15:01", "2026/12/08~2026/12/10"]) {
      expect(checkSubscribeValue("date3", ok)).toBeUndefined();
    }
    expect(checkSubscribeValue("date3", "15:01")).toBeDefined();
    expect(checkSubscribeValue("name1", "欧阳娜娜")).toBeUndefined();
    expect(checkSubscribeValue("name1", "张".repeat(11))).toBeDefined();
    expect(checkSubscribeValue("name1", "Alexander Hamilton")).toBeUndefined();
    expect(checkSubscribeValue("name1", "A".repeat(21))).toBeDefined();
    expect(checkSubscribeValue("phone_number6", "+86-0766-66888866")).toBeUndefined();
    expect(checkSubscribeValue("phone_number6", "1".repeat(18))).toBeDefined();
    expect(checkSubscribeValue("car_number7", "粤A8Z888挂")).toBeUndefined();
    expect(checkSubscribeValue("colour1", "red")).toContain("unknown");
  });
});
