import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NotificationRejectedError } from "../../src/channels/payments/channel.ts";
import {
  caseFromWechat,
  connectWechatChannels,
  parseWechatPush,
  wechatChannelsAdapter,
  wechatEchoResponse,
} from "../../src/channels/platforms/wechat-channels/adapter.ts";
import {
  acceptExchangeReshipBody,
  encryptMessage,
  PATHS,
  parseXml,
  refundPriceDiffBody,
  WECHAT_STATUSES,
  WECHAT_TYPES,
  type WechatAftersaleOrder,
  wechatReason,
  wechatSignature,
} from "../../src/channels/platforms/wechat-channels/protocol.ts";

/** The recorded WeChat samples (SKIT.FlurlHttpClient.Wechat test fixtures, MIT; see PROVENANCE.csv). */
const FIXTURES = new URL("../fixtures/payloads/wechat/", import.meta.url);
const fixtureText = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8").replace(/^\uFEFF/, "");
const fixture = (name: string) => JSON.parse(fixtureText(name)) as Record<string, unknown>;

const M = "Api_ModelSamples__Channels__ECAftersale__";
const TOKEN = "push-token-for-tests";
const AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"; // 43 characters
const APPID = "wx1234567890abcdef";

/** A stand-in WeChat API answering from the fixtures and recording every request body. */
let server: Server | undefined;
const calls: { path: string; body: Record<string, unknown> }[] = [];
async function stub(answer: (path: string, body: Record<string, unknown>) => unknown): Promise<string> {
  calls.length = 0;
  const srv = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => {
      text += c.toString("utf8");
    });
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      calls.push({ path, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer(path, body)));
    });
  });
  server = srv;
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const orderFixture = () => fixture(`${M}ChannelsECAftersaleGetAftersaleOrderResponse.json`);
const withOrder = (over: Partial<WechatAftersaleOrder>) => {
  const f = orderFixture();
  return { ...f, after_sale_order: { ...(f.after_sale_order as object), ...over } };
};
const tokenAnswer = { access_token: "ACCESS_TOKEN", expires_in: 7200 };
const credentials = { appid: APPID, secret: "s", token: TOKEN };

describe("WeChat Channels fixtures: responses", () => {
  it("GetAftersaleOrderResponse maps to a refunded refund-only request in 分", () => {
    const a = orderFixture().after_sale_order as WechatAftersaleOrder;
    expect(caseFromWechat(a)).toMatchObject({
      externalId: "123456",
      orderExternalId: "1768683047558651",
      type: "refund_only",
      reason: "changed_mind",
      reasonText: "NO_LONGER_WANT",
      state: "refunded",
      platformStatus: "MERCHANT_REFUND_SUCCESS",
      requestedAmount: 11,
      currency: "CNY",
      items: [{ lineExternalId: "3286:4740", sku: "4740", quantity: 1 }],
      description: "1234",
      createdAt: "2020-06-05T01:10:54.000Z",
      updatedAt: "2021-02-08T03:20:44.000Z",
      version: "1612754444",
      deadline: null,
      complaintId: null,
    });
    expect(caseFromWechat(a).returnTracking).toBeUndefined();
  });

  it("GetAftersaleListResponse pages by next_key and every id is fetched with getaftersaleorder", async () => {
    const list = fixture(`${M}ChannelsECAftersaleGetAftersaleListResponse.json`);
    const url = await stub((path, body) => {
      if (path === PATHS.token) return tokenAnswer;
      if (path === PATHS.aftersaleList) return list;
      return withOrder({
        after_sale_order_id: String(body.after_sale_order_id),
        status: "MERCHANT_PROCESSING",
      });
    });
    const client = connectWechatChannels(credentials, { baseUrl: url });
    const from = new Date("2024-05-01T00:00:00Z");
    const page = await client.pullAftersales(
      { from, to: new Date(from.getTime() + 3_600_000) },
      "THE_NEXT_KEY",
    );
    expect(page.next).toBe("THE_NEXT_KEY_NEW");
    expect(page.items.map((c) => c.externalId)).toEqual(list.after_sale_order_id_list);
    expect(page.items.every((c) => c.state === "requested" && c.requestedAmount === 11)).toBe(true);
    const listCall = calls.find((c) => c.path === PATHS.aftersaleList);
    expect(listCall?.body).toEqual({
      begin_update_time: 1_714_521_600,
      end_update_time: 1_714_525_199,
      next_key: "THE_NEXT_KEY",
    });
    expect(calls.filter((c) => c.path === PATHS.aftersaleGet).map((c) => Object.keys(c.body))).toEqual(
      Array(8).fill(["after_sale_order_id"]),
    );
  });

  it("ReasonGetResponse: every listed reason code maps, by code and by text", () => {
    const reasons = fixture(`${M}Reason__ChannelsECAftersaleReasonGetResponse.json`).reason_list as {
      reason: string;
      reason_text: string;
    }[];
    const expected: Record<string, string> = {
      "10000002": "changed_mind",
      "10000001": "other",
      "10000000": "changed_mind",
    };
    for (const r of reasons) {
      expect(wechatReason(r.reason, r.reason_text), r.reason_text).toBe(expected[r.reason]);
      expect(wechatReason("19999999", r.reason_text), `text ${r.reason_text}`).toBe(expected[r.reason]);
    }
  });

  it("RejectReasonGetResponse: a refusal naming a listed reason sends its reject_reason_type", async () => {
    const reasons = fixture(`${M}Reason__ChannelsECAftersaleRejectReasonGetResponse.json`);
    const url = await stub((path) => {
      if (path === PATHS.token) return tokenAnswer;
      if (path === PATHS.rejectReasonGet) return reasons;
      if (path === PATHS.aftersaleGet)
        return withOrder({ after_sale_order_id: "77", status: "MERCHANT_PROCESSING" });
      return { errcode: 0, errmsg: "ok" };
    });
    const client = connectWechatChannels(credentials, { baseUrl: url });
    await client.refuseRefund(
      { externalId: "77", orderExternalId: "1" },
      { reason: null, text: "买家误操作/已协商取消申请" },
    );
    expect(calls.find((c) => c.path === PATHS.rejectApply)?.body).toEqual({
      after_sale_order_id: "77",
      reject_reason: "买家误操作/已协商取消申请",
      reject_reason_type: 6,
    });
    // Anything else needs the shop's default type, and says which types exist.
    await expect(
      client.refuseRefund({ externalId: "77", orderExternalId: "1" }, { reason: null, text: "不同意" }),
    ).rejects.toMatchObject({
      code: "REJECT_REASON_TYPE_REQUIRED",
      message: expect.stringContaining("4 包裹在买家发起售后时已完成发货/揽收"),
    });
  });
});

describe("WeChat Channels fixtures: requests the adapter builds", () => {
  it("AcceptApplyRequest: agreeing to a return sends exactly after_sale_order_id and address_id", async () => {
    const expected = fixture(`${M}ChannelsECAftersaleAcceptApplyRequest.json`);
    const url = await stub((path) => {
      if (path === PATHS.token) return tokenAnswer;
      if (path === PATHS.aftersaleGet)
        return withOrder({
          after_sale_order_id: String(expected.after_sale_order_id),
          type: "RETURN",
          status: "MERCHANT_PROCESSING",
        });
      return { errcode: 0, errmsg: "ok" };
    });
    const client = connectWechatChannels(credentials, { baseUrl: url });
    await client.agreeReturn(
      { externalId: String(expected.after_sale_order_id), orderExternalId: "1" },
      { name: "仓库", phone: "1", address: "x", addressId: String(expected.address_id) },
    );
    expect(calls.find((c) => c.path === PATHS.acceptApply)?.body).toEqual(expected);
  });

  it("RejectApplyRequest: refusing sends its fields plus the reject_reason_type the platform now requires", async () => {
    const expected = fixture(`${M}ChannelsECAftersaleRejectApplyRequest.json`);
    const url = await stub((path) => {
      if (path === PATHS.token) return tokenAnswer;
      if (path === PATHS.rejectReasonGet) return { errcode: 0, reason_list: [] };
      if (path === PATHS.aftersaleGet)
        return withOrder({
          after_sale_order_id: String(expected.after_sale_order_id),
          status: "MERCHANT_PROCESSING",
        });
      return { errcode: 0, errmsg: "ok" };
    });
    const client = connectWechatChannels({ ...credentials, reject_reason_type: "1" }, { baseUrl: url });
    await client.refuseRefund(
      { externalId: String(expected.after_sale_order_id), orderExternalId: "1" },
      { reason: null, text: String(expected.reject_reason) },
    );
    expect(calls.find((c) => c.path === PATHS.rejectApply)?.body).toEqual({
      ...expected,
      reject_reason_type: 1,
    });
  });

  it("AcceptExchangeReshipRequest and RefundPriceDiffRequest bodies are built field for field", () => {
    const reship = fixture(`${M}ChannelsECAftersaleAcceptExchangeReshipRequest.json`);
    expect(
      acceptExchangeReshipBody(
        String(reship.after_sale_order_id),
        String(reship.waybill_id),
        String(reship.delivery_id),
      ),
    ).toEqual(reship);
    const diff = fixture(`${M}ChannelsECAftersaleRefundPriceDiffRequest.json`);
    expect(refundPriceDiffBody(diff as never)).toEqual(diff);
    expect(Object.keys(refundPriceDiffBody(diff as never))).toEqual(Object.keys(diff));
  });

  it("agreeing to a refund sends accept_type 2 and only for the amount applied for", async () => {
    const url = await stub((path) => {
      if (path === PATHS.token) return tokenAnswer;
      if (path === PATHS.aftersaleGet)
        return withOrder({ after_sale_order_id: "55", status: "MERCHANT_PROCESSING" });
      return { errcode: 0, errmsg: "ok" };
    });
    const client = connectWechatChannels(credentials, { baseUrl: url });
    await expect(client.agreeRefund({ externalId: "55", orderExternalId: "1" }, 10)).rejects.toMatchObject({
      code: "AMOUNT_MISMATCH",
      message: expect.stringContaining("0.11"),
    });
    expect(calls.some((c) => c.path === PATHS.acceptApply)).toBe(false);
    await client.agreeRefund({ externalId: "55", orderExternalId: "1" }, 11);
    expect(calls.find((c) => c.path === PATHS.acceptApply)?.body).toEqual({
      after_sale_order_id: "55",
      accept_type: 2,
    });
  });
});

describe("WeChat Channels statuses and types as tables", () => {
  it("every after-sale status maps to a platform state", () => {
    const expected: Record<string, string> = {
      USER_CANCELD: "cancelled",
      MERCHANT_PROCESSING: "requested",
      MERCHANT_REJECT_REFUND: "refused",
      MERCHANT_REJECT_RETURN: "refused",
      USER_WAIT_RETURN: "awaiting_return",
      RETURN_CLOSED: "cancelled",
      MERCHANT_WAIT_RECEIPT: "return_shipped",
      MERCHANT_OVERDUE_REFUND: "refunding",
      MERCHANT_REFUND_SUCCESS: "refunded",
      MERCHANT_RETURN_SUCCESS: "refunded",
      PLATFORM_REFUNDING: "refunding",
      PLATFORM_REFUND_FAIL: "refunding",
      USER_WAIT_CONFIRM: "awaiting_return",
      MERCHANT_REFUND_RETRY_FAIL: "cancelled",
      MERCHANT_FAIL: "cancelled",
      MERCHANT_REJECT_RESHIP: "refused",
    };
    expect(Object.keys(WECHAT_STATUSES).sort()).toEqual(Object.keys(expected).sort());
    const base = orderFixture().after_sale_order as WechatAftersaleOrder;
    for (const [status, state] of Object.entries(expected)) {
      expect(caseFromWechat({ ...base, status }).state, status).toBe(state);
    }
  });

  it("types map; a dispute puts an open request in the platform's hands; unknown statuses are refused", () => {
    const base = orderFixture().after_sale_order as WechatAftersaleOrder;
    expect(Object.fromEntries(Object.entries(WECHAT_TYPES).map(([k, v]) => [k, v.type]))).toEqual({
      REFUND: "refund_only",
      RETURN: "return_refund",
      EXCHANGE: "exchange",
    });
    expect(caseFromWechat({ ...base, status: "MERCHANT_PROCESSING", complaint_id: "c1" }).state).toBe(
      "intervened",
    );
    expect(caseFromWechat({ ...base, status: "MERCHANT_REFUND_SUCCESS", complaint_id: "c1" }).state).toBe(
      "refunded",
    );
    expect(() => caseFromWechat({ ...base, status: "SOMETHING_NEW" })).toThrow(
      expect.objectContaining({ code: "UNKNOWN_STATUS" }),
    );
  });
});

describe("WeChat Channels push messages", () => {
  const now = 1_700_000_000_000;
  const ts = String(now / 1000);
  const signedQuery = (token = TOKEN, nonce = "n0nce") =>
    `signature=${wechatSignature(token, ts, nonce)}&timestamp=${ts}&nonce=${nonce}`;
  const headers = (query: string) => ({ ":path": `/callbacks/platforms/wechat_channels?${query}` });
  const rejected = (creds: Record<string, string>, h: Record<string, string>, body: string) => {
    try {
      parseWechatPush(creds, h, body);
    } catch (e) {
      expect(e).toBeInstanceOf(NotificationRejectedError);
      return (e as NotificationRejectedError).code;
    }
    throw new Error("accepted");
  };
  const event = fixtureText("Api_EventSamples__Channels__EC__ChannelsECAftersaleUpdateEvent.json");

  it("ChannelsECAftersaleUpdateEvent (JSON, plaintext) names the after-sale and its order", () => {
    expect(parseWechatPush(credentials, headers(signedQuery()), event)).toEqual({
      messageId: "OpenID:1662480000:channels_ec_aftersale_update:1234567:USER_WAIT_RETURN",
      aftersales: [{ externalId: "1234567", orderExternalId: "12345" }],
      orders: [],
    });
  });

  it("query parameters may also come as headers of the same names", () => {
    const q = new URLSearchParams(signedQuery());
    expect(parseWechatPush(credentials, Object.fromEntries(q), event).aftersales).toHaveLength(1);
  });

  it("OpenProduct after-sale events (XML) name their after-sale ids", () => {
    const created = fixtureText("Api_EventSamples__OpenProduct__AftersaleNewOrderEvent.xml");
    const refunded = fixtureText("Api_EventSamples__OpenProduct__AftersaleRefundSuccessEvent.xml");
    expect(parseXml(created)).toMatchObject({
      Event: "aftersale_new_order",
      aftersale_info: { aftersale_id: "123456" },
    });
    expect(parseWechatPush(credentials, headers(signedQuery()), created)).toMatchObject({
      aftersales: [{ externalId: "123456", orderExternalId: "1234567" }],
    });
    expect(parseWechatPush(credentials, headers(signedQuery()), refunded)).toMatchObject({
      aftersales: [{ externalId: "123456", orderExternalId: "" }],
    });
  });

  it("a wrong token, a missing signature or an unreadable body is refused with a clear code", () => {
    expect(rejected(credentials, headers(signedQuery("other-token")), event)).toBe(
      "WECHAT_SIGNATURE_INVALID",
    );
    expect(rejected(credentials, headers(`timestamp=${ts}&nonce=n`), event)).toBe("WECHAT_SIGNATURE_MISSING");
    expect(rejected(credentials, headers(signedQuery()), "not a push")).toBe("WECHAT_PUSH_MALFORMED");
  });

  describe("safe mode (EncodingAESKey)", () => {
    const safe = { ...credentials, encoding_aes_key: AES_KEY };
    const encrypted = encryptMessage(AES_KEY, event, APPID);
    const body = JSON.stringify({ ToUserName: "gh_*", Encrypt: encrypted });
    const query = (enc = encrypted, token = TOKEN) =>
      `${signedQuery(token)}&encrypt_type=aes&msg_signature=${wechatSignature(token, ts, "n0nce", enc)}`;

    it("an encrypted push is verified, decrypted and parsed (JSON and XML)", () => {
      expect(parseWechatPush(safe, headers(query()), body).aftersales).toEqual([
        { externalId: "1234567", orderExternalId: "12345" },
      ]);
      const xml = `<xml><ToUserName><![CDATA[gh_*]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`;
      expect(parseWechatPush(safe, headers(query()), xml).aftersales).toHaveLength(1);
    });

    it("a tampered ciphertext, a wrong token, another app's key or a plaintext push is refused", () => {
      const tampered = `${encrypted.slice(0, 10)}${encrypted[10] === "A" ? "B" : "A"}${encrypted.slice(11)}`;
      expect(rejected(safe, headers(query()), JSON.stringify({ Encrypt: tampered }))).toBe(
        "WECHAT_SIGNATURE_INVALID",
      );
      expect(rejected(safe, headers(query(encrypted, "other-token")), body)).toBe("WECHAT_SIGNATURE_INVALID");
      const otherApp = encryptMessage(AES_KEY, event, "wxsomeoneelse");
      expect(rejected(safe, headers(query(otherApp)), JSON.stringify({ Encrypt: otherApp }))).toBe(
        "WECHAT_APP_MISMATCH",
      );
      const otherKey = encryptMessage("ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut", event, APPID);
      expect(["WECHAT_DECRYPT_FAILED", "WECHAT_APP_MISMATCH", "WECHAT_PUSH_MALFORMED"]).toContain(
        rejected(safe, headers(query(otherKey)), JSON.stringify({ Encrypt: otherKey })),
      );
      expect(rejected(safe, headers(signedQuery()), event)).toBe("WECHAT_PLAINTEXT_REFUSED");
    });
  });

  it("the push URL check answers echostr only to the shop's token", () => {
    const q = new URLSearchParams(`${signedQuery()}&echostr=hello123`);
    expect(wechatEchoResponse(credentials, q)).toBe("hello123");
    expect(wechatEchoResponse({ ...credentials, token: "other" }, q)).toBeNull();
  });

  it("the adapter exposes it as parsePush", () => {
    expect(wechatChannelsAdapter.parsePush).toBeTypeOf("function");
  });
});
