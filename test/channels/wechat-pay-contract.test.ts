import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChannelUnavailableError,
  NotificationRejectedError,
  type PaymentChannel,
  type RefundRequest,
} from "../../src/channels/payments/channel.ts";
import { refundRequestBody, wechatPayChannel } from "../../src/channels/payments/wechat-pay/adapter.ts";
import {
  decryptResource,
  encryptResource,
  generateRsaKeyPair,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  nonceString,
  parseAuthorization,
  privateKeyOf,
  publicKeyOf,
  type RsaKeyPair,
  requestMessage,
  rsaVerify,
  signedHeaders,
  unixSeconds,
} from "../../src/channels/payments/wechat-pay/protocol.ts";

/**
 * The adapter against WeChat Pay's own published samples (fixtures from the SDK test suites, read in
 * place): the request it builds has the sample's fields, the sample answers and the sample notification
 * resource mean what they should, and anything unsigned, mis-signed, stale or undecryptable is refused.
 */

const FIXTURES = new URL("../fixtures/payloads/wechat/", import.meta.url);
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8").replace(/^\uFEFF/, "")) as Record<string, unknown>;
const REQUEST = fixture("TenpayV3_ModelSamples_____Refund__CreateRefundDomesticRefundRequest.json");
const RESPONSE = fixture("TenpayV3_ModelSamples_____Refund__CreateRefundDomesticRefundResponse.json");
const QUERY = fixture(
  "TenpayV3_ModelSamples_____Refund__GetRefundDomesticRefundByOutRefundNumberResponse.json",
);
const RESOURCE = fixture("TenpayV3_EventSamples_____Refund__RefundResource.json");

const API_V3_KEY = "0123456789abcdefghijABCDEFGHIJ01"; // 32 bytes
let merchant: RsaKeyPair;
let platform: RsaKeyPair;
let stranger: RsaKeyPair;

/** A stand-in WeChat Pay: records each request and answers what the test says, signed as told. */
type Answer = {
  status: number;
  body: unknown;
  sign?: "platform" | "none" | "stranger" | "stale";
};
let answer: (req: IncomingMessage) => Answer = () => ({ status: 500, body: {} });
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
let fakeUrl: string;
const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
  const a = answer(req);
  const text = JSON.stringify(a.body);
  const signer = { serial: platform.serialNo, privateKey: privateKeyOf(platform.privateKey) };
  const headers =
    a.sign === "none"
      ? {}
      : a.sign === "stranger"
        ? signedHeaders({ serial: platform.serialNo, privateKey: privateKeyOf(stranger.privateKey) }, text)
        : a.sign === "stale"
          ? signedHeaders(signer, text, { timestamp: unixSeconds(Date.now() - 301_000) })
          : signedHeaders(signer, text);
  res.writeHead(a.status, { "content-type": "application/json", ...headers }).end(text);
});

let pay: PaymentChannel;
beforeAll(async () => {
  [merchant, platform, stranger] = await Promise.all([
    generateRsaKeyPair(),
    generateRsaKeyPair(),
    generateRsaKeyPair(),
  ]);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fakeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pay = channel();
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

/** The adapter configured as the fixture's merchant: 服务商 mode with the sample's sub_mchid and notify_url. */
function channel(over: Partial<Parameters<typeof wechatPayChannel>[0]> = {}) {
  return wechatPayChannel({
    mchid: String(RESOURCE.mchid),
    serialNo: merchant.serialNo,
    privateKey: merchant.privateKey,
    platformPublicKeys: { [platform.serialNo]: platform.publicKey },
    apiV3Key: API_V3_KEY,
    baseUrl: fakeUrl,
    notifyUrl: String(REQUEST.notify_url),
    subMchid: String(REQUEST.sub_mchid),
    timeoutMs: 2_000,
    ...over,
  });
}

/** The fixture request, as one of our refunds. */
const fixtureRefund = (): RefundRequest => {
  const amount = REQUEST.amount as { refund: number; total: number; currency: string };
  return {
    idempotencyKey: String(REQUEST.out_refund_no),
    transactionId: String(REQUEST.transaction_id),
    orderRef: "SO-ignored-when-transaction-id-is-known",
    amount: amount.refund,
    total: amount.total,
    currency: amount.currency,
    reason: String(REQUEST.reason),
  };
};

/** The sample request without amount.from (出资账户 split, which we never ask for). */
const expectedRequest = () => {
  const { from: _, ...amount } = REQUEST.amount as Record<string, unknown>;
  return { ...REQUEST, amount };
};

const unavailable = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelUnavailableError);
  return err as ChannelUnavailableError;
};

/** A notification as WeChat Pay would send it: the resource encrypted, the body signed. */
function notification(
  resource: Record<string, unknown>,
  opts: {
    id?: string;
    key?: string;
    signWith?: RsaKeyPair;
    serial?: string;
    timestamp?: string;
    eventType?: string;
  } = {},
) {
  const body = JSON.stringify({
    id: opts.id ?? "EV-2018022511223320873",
    create_time: "2018-06-08T10:34:56+08:00",
    resource_type: "encrypt-resource",
    event_type: opts.eventType ?? "REFUND.SUCCESS",
    summary: "退款成功",
    resource: {
      original_type: "refund",
      ...encryptResource(opts.key ?? API_V3_KEY, JSON.stringify(resource), "refund"),
    },
  });
  const headers = signedHeaders(
    {
      serial: opts.serial ?? platform.serialNo,
      privateKey: privateKeyOf((opts.signWith ?? platform).privateKey),
    },
    body,
    opts.timestamp ? { timestamp: opts.timestamp } : {},
  );
  return { body, headers: headers as Record<string, string | undefined> };
}

const rejection = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NotificationRejectedError);
    return (e as NotificationRejectedError).code;
  }
  return "accepted";
};

describe("WeChat Pay v3 refund contract (SDK samples)", () => {
  it("builds exactly the sample 申请退款 request, and sends it signed to POST /v3/refund/domestic/refunds", async () => {
    expect(
      refundRequestBody(fixtureRefund(), { notifyUrl: String(REQUEST.notify_url), subMchid: "1900008XXX" }),
    ).toEqual(expectedRequest());

    seen.length = 0;
    answer = () => ({ status: 200, body: RESPONSE });
    const out = await pay.refund(fixtureRefund());
    const sent = seen[0];
    expect(sent).toMatchObject({ method: "POST", url: "/v3/refund/domestic/refunds" });
    expect(JSON.parse(sent?.body ?? "")).toEqual(expectedRequest());
    expect(sent?.headers).toMatchObject({ accept: "application/json", "content-type": "application/json" });
    expect(sent?.headers["user-agent"]).toBeTruthy();

    // Authorization: WECHATPAY2-SHA256-RSA2048 with our mchid and serial, verifiable with our public key.
    const auth = parseAuthorization(sent?.headers.authorization);
    expect(auth).toMatchObject({ mchid: String(RESOURCE.mchid), serial_no: merchant.serialNo });
    expect(auth?.nonce_str).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(Math.abs(Number(auth?.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    const message = requestMessage(
      "POST",
      "/v3/refund/domestic/refunds",
      auth?.timestamp ?? "",
      auth?.nonce_str ?? "",
      sent?.body ?? "",
    );
    expect(rsaVerify(publicKeyOf(merchant.publicKey), message, auth?.signature ?? "")).toBe(true);

    // The sample answer (PROCESSING) is a refund in flight under WeChat's refund_id.
    expect(out).toEqual({ status: "processing", channelRefundId: RESPONSE.refund_id });
  });

  it("refunds by out_trade_no when the transaction id is unknown, and leaves out what is not set", () => {
    const body = refundRequestBody({ ...fixtureRefund(), transactionId: null, reason: "  " }, {});
    expect(body).toEqual({
      out_trade_no: "SO-ignored-when-transaction-id-is-known",
      out_refund_no: REQUEST.out_refund_no,
      amount: { refund: 1, total: 1, currency: "CNY" },
    });
    const long = refundRequestBody({ ...fixtureRefund(), reason: "退".repeat(100) }, {});
    expect([...(long.reason ?? "")]).toHaveLength(80);
  });

  it("reads the sample 查询单笔退款 answer (SUCCESS) via GET /v3/refund/domestic/refunds/{out_refund_no}", async () => {
    seen.length = 0;
    answer = () => ({ status: 200, body: QUERY });
    expect(await pay.query(String(QUERY.out_refund_no))).toEqual({
      status: "succeeded",
      channelRefundId: QUERY.refund_id,
      succeededAt: QUERY.success_time,
    });
    expect(seen[0]).toMatchObject({
      method: "GET",
      url: `/v3/refund/domestic/refunds/${QUERY.out_refund_no}?sub_mchid=1900008XXX`,
      body: "",
    });
    // The query's signature covers the path with its query string and an empty body.
    const auth = parseAuthorization(seen[0]?.headers.authorization);
    const message = requestMessage(
      "GET",
      seen[0]?.url ?? "",
      auth?.timestamp ?? "",
      auth?.nonce_str ?? "",
      "",
    );
    expect(rsaVerify(publicKeyOf(merchant.publicKey), message, auth?.signature ?? "")).toBe(true);
  });

  it("maps every refund status: SUCCESS, PROCESSING, CLOSED fail, ABNORMAL stays processing for a person", async () => {
    const as = async (status: string) => {
      answer = () => ({ status: 200, body: { ...QUERY, status } });
      return pay.query(String(QUERY.out_refund_no));
    };
    expect(await as("SUCCESS")).toMatchObject({ status: "succeeded" });
    expect(await as("PROCESSING")).toEqual({ status: "processing", channelRefundId: QUERY.refund_id });
    expect(await as("CLOSED")).toMatchObject({ status: "failed", code: "REFUND_CLOSED" });
    // Never succeeded (the buyer has nothing) and never failed (a second refund would follow).
    expect(await as("ABNORMAL")).toMatchObject({
      status: "processing",
      channelRefundId: QUERY.refund_id,
      attention: { code: "REFUND_ABNORMAL" },
    });
    expect((await unavailable(as("SOMETHING_NEW"))).kind).toBe("untrusted_response");
  });

  it("the sample notify resource, encrypted with a test APIv3 key, is the refund's success", () => {
    const { body, headers } = notification(RESOURCE);
    const n = pay.parseNotification?.(headers, body);
    expect(n).toEqual({
      notificationId: "EV-2018022511223320873",
      idempotencyKey: RESOURCE.out_refund_no,
      outcome: {
        status: "succeeded",
        channelRefundId: RESOURCE.refund_id,
        succeededAt: RESOURCE.success_time,
      },
      payload: {
        id: "EV-2018022511223320873",
        create_time: "2018-06-08T10:34:56+08:00",
        resource_type: "encrypt-resource",
        event_type: "REFUND.SUCCESS",
        summary: "退款成功",
        resource: RESOURCE,
      },
    });
    // WeChat's amounts travel with it, for audit: 999 fen of 999.
    expect((n?.payload.resource as { amount?: unknown } | undefined)?.amount).toEqual({
      total: 999,
      refund: 999,
      payer_total: 999,
      payer_refund: 999,
    });
    const closedN = notification({ ...RESOURCE, refund_status: "CLOSED" }, { eventType: "REFUND.CLOSED" });
    const closed = pay.parseNotification?.(closedN.headers, closedN.body);
    expect(closed?.outcome).toMatchObject({ status: "failed", code: "REFUND_CLOSED" });
    const abnormal = notification(
      { ...RESOURCE, refund_status: "ABNORMAL" },
      { eventType: "REFUND.ABNORMAL" },
    );
    expect(pay.parseNotification?.(abnormal.headers, abnormal.body).outcome).toMatchObject({
      status: "processing",
    });
    expect(pay.notificationAck).toEqual({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ code: "SUCCESS", message: "成功" }),
    });
  });
});

describe("WeChat Pay v3 signatures and decryption", () => {
  it("refuses tampered, wrongly signed, unknown-serial, stale, unsigned and probe notifications with their own codes", () => {
    const parse = (h: Record<string, string | undefined>, b: string) => () => pay.parseNotification?.(h, b);
    const good = notification(RESOURCE);
    expect(rejection(parse(good.headers, good.body))).toBe("accepted");

    const tampered = good.body.replace('"summary":"退款成功"', '"summary":"退款成功!"');
    expect(rejection(parse(good.headers, tampered))).toBe("WECHATPAY_SIGNATURE_INVALID");

    const wrongKey = notification(RESOURCE, { signWith: stranger });
    expect(rejection(parse(wrongKey.headers, wrongKey.body))).toBe("WECHATPAY_SIGNATURE_INVALID");

    const unknownSerial = notification(RESOURCE, { serial: "PUB_KEY_ID_0000000000000000000000" });
    expect(rejection(parse(unknownSerial.headers, unknownSerial.body))).toBe("WECHATPAY_UNKNOWN_SERIAL");

    const stale = notification(RESOURCE, { timestamp: unixSeconds(Date.now() - 301_000) });
    expect(rejection(parse(stale.headers, stale.body))).toBe("WECHATPAY_TIMESTAMP_EXPIRED");
    const future = notification(RESOURCE, { timestamp: unixSeconds(Date.now() + 400_000) });
    expect(rejection(parse(future.headers, future.body))).toBe("WECHATPAY_TIMESTAMP_EXPIRED");
    // Within five minutes is fine (clocks drift).
    const recent = notification(RESOURCE, { timestamp: unixSeconds(Date.now() - 240_000) });
    expect(rejection(parse(recent.headers, recent.body))).toBe("accepted");

    expect(rejection(parse({}, good.body))).toBe("WECHATPAY_SIGNATURE_MISSING");
    const probe = {
      ...good.headers,
      [HEADER_SIGNATURE]: `WECHATPAY/SIGNTEST/${good.headers[HEADER_SIGNATURE]}`,
    };
    expect(rejection(parse(probe, good.body))).toBe("WECHATPAY_SIGNATURE_INVALID");
    const swappedTime = {
      ...good.headers,
      [HEADER_TIMESTAMP]: String(Number(good.headers[HEADER_TIMESTAMP]) - 1),
    };
    expect(rejection(parse(swappedTime, good.body))).toBe("WECHATPAY_SIGNATURE_INVALID");
  });

  it("refuses a validly signed notification it cannot decrypt, or that is about another merchant", () => {
    const parse = (n: ReturnType<typeof notification>) => () => pay.parseNotification?.(n.headers, n.body);
    expect(rejection(parse(notification(RESOURCE, { key: "ffffffffffffffffffffffffffffffff" })))).toBe(
      "WECHATPAY_DECRYPT_FAILED",
    );
    // Ciphertext altered, then the body signed again (a signer who lacks the APIv3 key).
    const good = notification(RESOURCE);
    const env = JSON.parse(good.body) as { resource: { ciphertext: string } };
    const bytes = Buffer.from(env.resource.ciphertext, "base64");
    bytes[3] = (bytes[3] ?? 0) ^ 1;
    env.resource.ciphertext = bytes.toString("base64");
    const body = JSON.stringify(env);
    const resigned = signedHeaders(
      { serial: platform.serialNo, privateKey: privateKeyOf(platform.privateKey) },
      body,
    );
    expect(rejection(() => pay.parseNotification?.(resigned, body))).toBe("WECHATPAY_DECRYPT_FAILED");

    expect(rejection(parse(notification({ ...RESOURCE, mchid: "1900000999" })))).toBe(
      "WECHATPAY_MCHID_MISMATCH",
    );
    expect(rejection(parse(notification({ ...RESOURCE, refund_status: "WHATEVER" })))).toBe(
      "WECHATPAY_NOTIFICATION_MALFORMED",
    );
    const notJson = "not json";
    const signed = signedHeaders(
      { serial: platform.serialNo, privateKey: privateKeyOf(platform.privateKey) },
      notJson,
    );
    expect(rejection(() => pay.parseNotification?.(signed, notJson))).toBe(
      "WECHATPAY_NOTIFICATION_MALFORMED",
    );
  });

  it("AEAD_AES_256_GCM: ciphertext is data‖16-byte tag; nonce and associated_data are authenticated", () => {
    const r = encryptResource(API_V3_KEY, '{"a":1}', "refund", "abcdefghijkl");
    expect(r).toMatchObject({
      algorithm: "AEAD_AES_256_GCM",
      nonce: "abcdefghijkl",
      associated_data: "refund",
    });
    expect(Buffer.from(r.ciphertext, "base64")).toHaveLength(7 + 16);
    expect(decryptResource(API_V3_KEY, r)).toBe('{"a":1}');
    const code = (f: () => unknown) => {
      try {
        f();
        return "ok";
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    expect(code(() => decryptResource(API_V3_KEY, { ...r, associated_data: "transaction" }))).toBe(
      "WECHATPAY_DECRYPT_FAILED",
    );
    expect(code(() => decryptResource(API_V3_KEY, { ...r, nonce: "abcdefghijkm" }))).toBe(
      "WECHATPAY_DECRYPT_FAILED",
    );
    expect(code(() => decryptResource(API_V3_KEY, { ...r, algorithm: "AES_256_CBC" }))).toBe(
      "WECHATPAY_DECRYPT_FAILED",
    );
    expect(() => wechatPayChannel({ ...baseOptions(), apiV3Key: "short" })).toThrow(/32 bytes/);
  });

  it("accepts a platform certificate's serial like a 微信支付公钥 id: keys are looked up by Wechatpay-Serial", () => {
    const byPubKeyId = wechatPayChannel({
      ...baseOptions(),
      platformPublicKeys: { PUB_KEY_ID_0112345678: platform.publicKey },
    });
    const n = notification(RESOURCE, { serial: "PUB_KEY_ID_0112345678" });
    expect(byPubKeyId.parseNotification?.(n.headers, n.body).idempotencyKey).toBe(RESOURCE.out_refund_no);
  });
});

describe("WeChat Pay answers: what is a verdict and what is an unknown outcome", () => {
  const req = (): RefundRequest => ({ ...fixtureRefund(), idempotencyKey: String(RESPONSE.out_refund_no) });

  it("definite refusals (signed 4xx business errors) fail the refund; money did not move", async () => {
    for (const [status, code] of [
      [400, "PARAM_ERROR"],
      [400, "INVALID_REQUEST"],
      [403, "NOT_ENOUGH"],
      [403, "USER_ACCOUNT_ABNORMAL"],
      [404, "RESOURCE_NOT_EXISTS"],
    ] as const) {
      answer = () => ({ status, body: { code, message: `${code} says no` } });
      expect(await pay.refund(req())).toEqual({ status: "failed", code, message: `${code} says no` });
    }
  });

  it("everything uncertain is ChannelUnavailableError: query before anything else", async () => {
    const cases: [Answer, string][] = [
      [{ status: 500, body: { code: "SYSTEM_ERROR", message: "系统错误" } }, "http"],
      [{ status: 502, body: "bad gateway", sign: "none" }, "http"],
      [{ status: 429, body: { code: "FREQUENCY_LIMITED", message: "频率限制" } }, "http"],
      [{ status: 403, body: { code: "NO_AUTH", message: "没有退款权限" } }, "http"],
      [{ status: 404, body: { code: "MCH_NOT_EXISTS", message: "商户号不存在" } }, "http"],
      [
        { status: 401, body: { code: "SIGN_ERROR", message: "签名错误" }, sign: "none" },
        "untrusted_response",
      ],
      [{ status: 200, body: RESPONSE, sign: "none" }, "untrusted_response"],
      [{ status: 200, body: RESPONSE, sign: "stranger" }, "untrusted_response"],
      [{ status: 200, body: RESPONSE, sign: "stale" }, "untrusted_response"],
      [
        { status: 400, body: { code: "INVALID_REQUEST", message: "forged" }, sign: "none" },
        "untrusted_response",
      ],
      [{ status: 200, body: { ...RESPONSE, out_refund_no: "someone-else" } }, "untrusted_response"],
      [
        { status: 200, body: { ...RESPONSE, amount: { ...(RESPONSE.amount as object), refund: 2 } } },
        "untrusted_response",
      ],
    ];
    for (const [a, kind] of cases) {
      answer = () => a;
      const err = await unavailable(pay.refund(req()));
      expect({ status: a.status, kind: err.kind }).toEqual({ status: a.status, kind });
      expect(err.channel).toBe("wechat_pay");
    }
  });

  it("a query's signed 404 RESOURCE_NOT_EXISTS is not_found; an unsigned 404 or an error is unknown", async () => {
    answer = () => ({ status: 404, body: { code: "RESOURCE_NOT_EXISTS", message: "退款单不存在" } });
    expect(await pay.query("RF-nothing")).toEqual({ status: "not_found" });
    answer = () => ({ status: 404, body: { code: "RESOURCE_NOT_EXISTS" }, sign: "none" });
    expect((await unavailable(pay.query("RF-nothing"))).kind).toBe("untrusted_response");
    answer = () => ({ status: 400, body: { code: "PARAM_ERROR", message: "x" } });
    expect((await unavailable(pay.query("RF-nothing"))).kind).toBe("http");
  });

  it("timeouts and dead hosts are unknown outcomes; bad keys and foreign currencies never leave the house", async () => {
    answer = () => ({ status: 200, body: RESPONSE });
    const slowServer = createServer(() => {}); // never answers
    await new Promise<void>((resolve) => slowServer.listen(0, "127.0.0.1", resolve));
    const slow = channel({
      baseUrl: `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}`,
      timeoutMs: 100,
    });
    expect((await unavailable(slow.refund(req()))).kind).toBe("timeout");
    slowServer.closeAllConnections();
    slowServer.close();
    expect((await unavailable(channel({ baseUrl: "http://127.0.0.1:9" }).refund(req()))).kind).toBe(
      "network",
    );

    seen.length = 0;
    expect(await pay.refund({ ...req(), idempotencyKey: "has space" })).toMatchObject({
      status: "failed",
      code: "PARAM_ERROR",
    });
    expect(await pay.refund({ ...req(), currency: "USD" })).toMatchObject({
      status: "failed",
      code: "CURRENCY_NOT_SUPPORTED",
    });
    expect(seen).toHaveLength(0);
  });
});

function baseOptions() {
  return {
    mchid: String(RESOURCE.mchid),
    serialNo: merchant.serialNo,
    privateKey: merchant.privateKey,
    platformPublicKeys: { [platform.serialNo]: platform.publicKey },
    apiV3Key: API_V3_KEY,
    baseUrl: fakeUrl,
  };
}

// nonceString is part of the wire rules: nonce_str 32, resource nonce 12, alphanumeric.
it("nonces are alphanumeric of the requested length", () => {
  expect(nonceString()).toMatch(/^[0-9A-Za-z]{32}$/);
  expect(nonceString(12)).toMatch(/^[0-9A-Za-z]{12}$/);
});
