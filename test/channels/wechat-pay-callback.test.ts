import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import type { PaymentChannel } from "../../src/channels/payments/channel.ts";
import { createPaymentRegistry } from "../../src/channels/payments/registry.ts";
import { wechatPayChannel } from "../../src/channels/payments/wechat-pay/adapter.ts";
import {
  encryptResource,
  generateRsaKeyPair,
  privateKeyOf,
  type RsaKeyPair,
  signedHeaders,
  unixSeconds,
} from "../../src/channels/payments/wechat-pay/protocol.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { grantRefund } from "../../src/flows/grant-refund.ts";
import { approveCase } from "../../src/flows/review-case.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { findCase } from "../../src/store/cases.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { onlyLeg, placeOrder, REVIEWER, snapshot } from "../support/fixtures.ts";

/**
 * WeChat Pay's 退款结果通知 through the real callback route, POST /api/v1/callbacks/payments/wechat_pay,
 * exactly as WeChat sends it (application/json, Wechatpay-* headers): anything that fails verification
 * gets a 4xx problem and changes nothing in the database; a genuine one is applied once and acked.
 */

const MCHID = "1900000109";
const API_V3_KEY = "abcdefghijklmnopqrstuvwxyz012345";
let env: TestEnv;
let ctx: FlowContext;
let app: App;
let pay: PaymentChannel;
let merchant: RsaKeyPair;
let platform: RsaKeyPair;
let stranger: RsaKeyPair;
let granted: { refundId: number; caseId: number; key: string; tx: string; amount: number };

beforeAll(async () => {
  env = await testEnv();
  [merchant, platform, stranger] = await Promise.all([
    generateRsaKeyPair(),
    generateRsaKeyPair(),
    generateRsaKeyPair(),
  ]);
  pay = wechatPayChannel({
    mchid: MCHID,
    serialNo: merchant.serialNo,
    privateKey: merchant.privateKey,
    platformPublicKeys: { [platform.serialNo]: platform.publicKey },
    apiV3Key: API_V3_KEY,
    baseUrl: "http://127.0.0.1:9", // never called here
  });
  ctx = { ...env.ctx, payments: createPaymentRegistry({ wechat_pay: pay }) };
  app = await buildServer({ ctx, dbKind: env.store.kind });

  // A refund granted on a WeChat-paid order, waiting for its outcome.
  const tx = "4200001999202611010000000001";
  const { orderId, lines } = await placeOrder(ctx, {
    payments: [{ tender: "wechat_pay", amount: "245.90", transactionId: tx }],
  });
  const { id } = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
  });
  await approveCase(ctx, REVIEWER, id);
  const g = await grantRefund(ctx, REVIEWER, id);
  granted = { refundId: g.refundId, caseId: id, key: onlyLeg(g).idempotency_key, tx, amount: g.quote.total };
});
afterAll(async () => {
  await app.close();
  await env.close();
});

/** The decrypted resource of a REFUND.SUCCESS about our refund. */
const resource = (over: Record<string, unknown> = {}) => ({
  mchid: MCHID,
  transaction_id: granted.tx,
  out_trade_no: "T-ignored",
  refund_id: "50300000000000000000000000001",
  out_refund_no: granted.key,
  refund_status: "SUCCESS",
  success_time: "2026-11-01T16:00:05+08:00",
  user_received_account: "支付用户零钱",
  amount: { total: 24590, refund: granted.amount, payer_total: 24590, payer_refund: granted.amount },
  ...over,
});

function notification(
  opts: {
    id?: string;
    res?: Record<string, unknown>;
    key?: string;
    signer?: RsaKeyPair;
    serial?: string;
    timestamp?: string;
  } = {},
) {
  const body = JSON.stringify({
    id: opts.id ?? "EV-2026110116000500001",
    create_time: "2026-11-01T16:00:05+08:00",
    resource_type: "encrypt-resource",
    event_type: "REFUND.SUCCESS",
    summary: "退款成功",
    resource: {
      original_type: "refund",
      ...encryptResource(opts.key ?? API_V3_KEY, JSON.stringify(opts.res ?? resource()), "refund"),
    },
  });
  const headers = signedHeaders(
    {
      serial: opts.serial ?? platform.serialNo,
      privateKey: privateKeyOf((opts.signer ?? platform).privateKey),
    },
    body,
    opts.timestamp ? { timestamp: opts.timestamp } : {},
  );
  return { body, headers };
}

async function callback(n: { body: string; headers: Record<string, string> }) {
  const res = await app.inject({
    method: "POST",
    url: "/api/v1/callbacks/payments/wechat_pay",
    headers: { "content-type": "application/json", "user-agent": "Mozilla/4.0", ...n.headers },
    payload: n.body,
  });
  return { status: res.statusCode, type: res.headers["content-type"], body: res.body };
}

/** Everything a callback could change: the core tables plus the notifications taken. */
async function state() {
  const notifications = await env.ctx.db
    .selectFrom("channel_notifications")
    .select(["channel", "notification_id", "result"])
    .orderBy("id")
    .execute();
  const refunds = await env.ctx.db
    .selectFrom("refunds")
    .select(["id", "status", "channel_refund_id"])
    .execute();
  return { ...(await snapshot(env.ctx)), notifications, refunds };
}

describe("WeChat Pay callbacks through the real route", () => {
  it("refuses what fails verification with a 4xx problem and a clear code, changing nothing", async () => {
    const before = await state();
    const good = notification();
    const refusals: [string, { body: string; headers: Record<string, string> }][] = [
      ["WECHATPAY_SIGNATURE_INVALID", { ...good, body: good.body.replace("退款成功", "退款成功 ") }],
      ["WECHATPAY_SIGNATURE_INVALID", notification({ signer: stranger })],
      ["WECHATPAY_UNKNOWN_SERIAL", notification({ serial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1" })],
      ["WECHATPAY_TIMESTAMP_EXPIRED", notification({ timestamp: unixSeconds(Date.now() - 600_000) })],
      ["WECHATPAY_SIGNATURE_MISSING", { body: good.body, headers: {} }],
      ["WECHATPAY_DECRYPT_FAILED", notification({ key: "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" })],
      ["WECHATPAY_MCHID_MISMATCH", notification({ res: resource({ mchid: "1900000000" }) })],
    ];
    for (const [code, n] of refusals) {
      const res = await callback(n);
      expect({ code, status: res.status, type: res.type }).toEqual({
        code,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(JSON.parse(res.body)).toMatchObject({
        code,
        status: 400,
        detail: expect.any(String),
      });
    }
    expect(await state()).toEqual(before);
    expect((await findCase(env.ctx.db, granted.caseId))?.status).toBe("refunding");
  });

  it("applies a genuine REFUND.SUCCESS once and acks it; its repeat is acked and changes nothing", async () => {
    const n = notification();
    const res = await callback(n);
    expect(res).toEqual({
      status: 200,
      type: expect.stringMatching(/^application\/json/),
      body: JSON.stringify({ code: "SUCCESS", message: "成功" }),
    });
    expect((await findCase(env.ctx.db, granted.caseId))?.status).toBe("refunded");
    const after = await state();
    expect(after.refunds.find((r) => r.id === granted.refundId)).toMatchObject({
      status: "succeeded",
      channel_refund_id: "50300000000000000000000000001",
    });
    expect(after.notifications).toEqual([
      { channel: "wechat_pay", notification_id: "EV-2026110116000500001", result: "succeeded" },
    ]);

    // WeChat's retry of the same notification (re-signed, same id) and a later one about the settled refund.
    expect((await callback(notification())).status).toBe(200);
    expect(await state()).toEqual(after);
    const late = await callback(
      notification({ id: "EV-2026110116100000002", res: resource({ refund_status: "ABNORMAL" }) }),
    );
    expect(late.status).toBe(200);
    expect((await state()).refunds).toEqual(after.refunds);
    expect((await findCase(env.ctx.db, granted.caseId))?.status).toBe("refunded");
  });

  it("acks a notification about a refund it does not know, and keeps it for reconciliation", async () => {
    const before = await snapshot(env.ctx);
    const res = await callback(
      notification({ id: "EV-UNKNOWN-1", res: resource({ out_refund_no: "NOT-OURS-1" }) }),
    );
    expect(res.status).toBe(200);
    expect(await snapshot(env.ctx)).toEqual(before);
    const kept = await env.ctx.db
      .selectFrom("channel_notifications")
      .select("result")
      .where("notification_id", "=", "EV-UNKNOWN-1")
      .executeTakeFirst();
    expect(kept).toEqual({ result: "unknown_refund" });
  });
});
