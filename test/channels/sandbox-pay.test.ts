import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ChannelUnavailableError,
  type PaymentChannel,
  type RefundRequest,
} from "../../src/channels/payments/channel.ts";
import { sandboxPayChannel } from "../../src/channels/payments/sandbox/adapter.ts";
import { HEADER_SIGNATURE, sign, signedHeaders } from "../../src/channels/payments/sandbox/protocol.ts";
import {
  type SandboxPaySimulator,
  startSandboxPaySimulator,
} from "../../src/channels/payments/sandbox/simulator.ts";

const SECRET = "sandbox-test-secret";
let sim: SandboxPaySimulator;
let pay: PaymentChannel;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  sim = await startSandboxPaySimulator({ secret: SECRET });
  pay = sandboxPayChannel({ name: "sandbox", url: sim.url, secret: SECRET, timeoutMs: 1_000 });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sim.close();
});

const request = (over: Partial<RefundRequest> = {}): RefundRequest => ({
  idempotencyKey: "RF-1001",
  transactionId: "4200001",
  orderRef: "SO-1",
  amount: 1990,
  total: 5000,
  currency: "CNY",
  reason: "damaged on arrival",
  ...over,
});

const unavailable = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelUnavailableError);
  return err as ChannelUnavailableError;
};

/** A raw signed (or deliberately mis-signed) call, bypassing the client. */
async function rawPost(path: string, body: unknown, headers: (text: string) => Record<string, string>) {
  const text = JSON.stringify(body);
  const res = await fetch(sim.url + path, { method: "POST", headers: headers(text), body: text });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const refundBody = {
  out_refund_no: "RF-RAW",
  transaction_id: "T1",
  amount: { refund: 100, total: 100, currency: "CNY" },
};

describe("sandbox payment channel over the real simulator", () => {
  it("refunds and the refund can be queried back", async () => {
    const out = await pay.refund(request());
    expect(out).toMatchObject({ status: "succeeded", channelRefundId: expect.any(String) });
    expect(out.status === "succeeded" && out.succeededAt).toBeTruthy();
    expect(await pay.query("RF-1001")).toEqual(out);
    expect(sim.refunds()).toMatchObject([
      { out_refund_no: "RF-1001", transaction_id: "4200001", out_trade_no: "SO-1", status: "SUCCESS" },
    ]);
    expect(sim.refunds()[0]?.amount).toEqual({ refund: 1990, total: 5000, currency: "CNY" });
    expect(await pay.query("RF-unknown")).toEqual({ status: "not_found" });
  });

  it("a retry with the same key returns the same refund and never moves money twice", async () => {
    const first = await pay.refund(request());
    const second = await pay.refund(request());
    expect(second).toEqual(first);
    expect(sim.refunds()).toHaveLength(1);
  });

  it("rejects the same key with a different amount, and a refund above the total", async () => {
    await pay.refund(request());
    expect(await pay.refund(request({ amount: 2000 }))).toMatchObject({
      status: "failed",
      code: "INVALID_REQUEST",
    });
    expect(await pay.refund(request({ idempotencyKey: "RF-2", amount: 5001 }))).toMatchObject({
      status: "failed",
      code: "INVALID_REQUEST",
    });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("refuses cumulative refunds beyond what the transaction paid (NOT_ENOUGH), but takes the exact rest", async () => {
    await pay.refund(request({ idempotencyKey: "RF-A", amount: 3000 }));
    const over = await pay.refund(request({ idempotencyKey: "RF-B", amount: 2001 }));
    expect(over).toMatchObject({ status: "failed", code: "NOT_ENOUGH" });
    expect(await pay.refund(request({ idempotencyKey: "RF-C", amount: 2000 }))).toMatchObject({
      status: "succeeded",
    });
    expect(sim.refunds().reduce((sum, r) => sum + r.amount.refund, 0)).toBe(5000);
  });

  it("failNext: 500 is an unknown outcome; the query shows nothing happened and a retry succeeds", async () => {
    sim.faults({ failNext: 1 });
    const err = await unavailable(pay.refund(request()));
    expect(err).toMatchObject({ kind: "http", httpStatus: 500, channel: "sandbox" });
    expect(await pay.query("RF-1001")).toEqual({ status: "not_found" });
    expect(await pay.refund(request())).toMatchObject({ status: "succeeded" });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("timeoutNext: the caller times out but the money moved — query finds it, a retry does not repeat it", async () => {
    sim.faults({ timeoutNext: 1, delayMs: 1_000 });
    const impatient = sandboxPayChannel({ url: sim.url, secret: SECRET, timeoutMs: 100 });
    const err = await unavailable(impatient.refund(request()));
    expect(err.kind).toBe("timeout");
    sim.faults({ delayMs: 0 });
    const found = await pay.query("RF-1001");
    expect(found).toMatchObject({ status: "succeeded" });
    expect(await pay.refund(request())).toEqual(found);
    expect(sim.refunds()).toHaveLength(1);
  });

  it("timeoutNext with no delay: a dropped connection is a network error, still an unknown outcome", async () => {
    sim.faults({ timeoutNext: 1 });
    expect((await unavailable(pay.refund(request()))).kind).toBe("network");
    expect(await pay.query("RF-1001")).toMatchObject({ status: "succeeded" });
  });

  it("declineNext: a closed refund is a definitive failure and does not use up the transaction", async () => {
    sim.faults({ declineNext: 1 });
    expect(await pay.refund(request({ amount: 5000 }))).toMatchObject({
      status: "failed",
      code: "REFUND_CLOSED",
    });
    expect(await pay.query("RF-1001")).toMatchObject({ status: "failed", code: "REFUND_CLOSED" });
    expect(await pay.refund(request({ idempotencyKey: "RF-1002", amount: 5000 }))).toMatchObject({
      status: "succeeded",
    });
  });

  it("processingFor: a refund reports processing, then succeeded once the channel settles it", async () => {
    // Wide enough that a loaded machine still asks within the window.
    sim.faults({ processingFor: 1500 });
    const first = await pay.refund(request());
    expect(first).toMatchObject({ status: "processing" });
    expect(await pay.query("RF-1001")).toMatchObject({ status: "processing" });
    await new Promise((r) => setTimeout(r, 1600));
    const settled = await pay.query("RF-1001");
    expect(settled).toMatchObject({
      status: "succeeded",
      channelRefundId: first.status === "processing" ? first.channelRefundId : "",
    });
  });

  it("rejects unsigned, mis-signed, stale and replayed requests with 401 SIGN_ERROR and records nothing", async () => {
    const good = (text: string) => signedHeaders(SECRET, "POST", "/v1/refunds", text);
    const cases: ((text: string) => Record<string, string>)[] = [
      () => ({}),
      (text) => ({
        ...good(text),
        [HEADER_SIGNATURE]: sign("wrong-secret", "POST", "/v1/refunds", "1", "n", text),
      }),
      (text) => ({ ...good(text), "x-sandbox-nonce": "swapped-nonce" }),
      (text) => {
        const stale = String(Math.floor(Date.now() / 1000) - 301);
        return {
          "x-sandbox-timestamp": stale,
          "x-sandbox-nonce": "n-stale",
          [HEADER_SIGNATURE]: sign(SECRET, "POST", "/v1/refunds", stale, "n-stale", text),
        };
      },
    ];
    for (const headers of cases) {
      expect(await rawPost("/v1/refunds", refundBody, headers)).toMatchObject({
        status: 401,
        body: { code: "SIGN_ERROR" },
      });
    }
    // Body tampered after signing.
    const text = JSON.stringify(refundBody);
    const tampered = JSON.stringify({ ...refundBody, amount: { refund: 99, total: 100, currency: "CNY" } });
    const res = await fetch(`${sim.url}/v1/refunds`, { method: "POST", headers: good(text), body: tampered });
    expect(res.status).toBe(401);
    expect(sim.refunds()).toEqual([]);

    // A correctly signed request passes once; the identical replay is refused.
    const once = good(JSON.stringify(refundBody));
    expect((await rawPost("/v1/refunds", refundBody, () => once)).status).toBe(200);
    expect(await rawPost("/v1/refunds", refundBody, () => once)).toMatchObject({
      status: 401,
      body: { code: "SIGN_ERROR" },
    });
    expect(sim.refunds()).toHaveLength(1);
  });

  it("a client with the wrong secret gets an unknown outcome and nothing is recorded", async () => {
    const wrong = sandboxPayChannel({
      name: "sandbox",
      url: sim.url,
      secret: "not-the-secret",
      timeoutMs: 1_000,
    });
    await unavailable(wrong.refund(request()));
    expect(sim.refunds()).toEqual([]);
  });

  it("the client rejects tampered and unsigned responses as unknown outcomes", async () => {
    let mutate: (body: string, headers: Record<string, string>) => string = (b) => b;
    const proxy = await listen(
      createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const upstream = await fetch(sim.url + (req.url ?? "/"), {
          method: req.method ?? "GET",
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(([k]) => k.startsWith("x-sandbox-") || k === "content-type"),
          ) as Record<string, string>,
          ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
        });
        const headers = Object.fromEntries(upstream.headers.entries());
        delete headers["content-length"];
        const body = mutate(await upstream.text(), headers);
        res.writeHead(upstream.status, headers).end(body);
      }),
    );
    const viaProxy = sandboxPayChannel({ name: "sandbox", url: proxy, secret: SECRET, timeoutMs: 1_000 });

    expect(await viaProxy.refund(request({ idempotencyKey: "RF-OK" }))).toMatchObject({
      status: "succeeded",
    });

    mutate = (b) => b.replace('"SUCCESS"', '"CLOSED"');
    const err = await unavailable(viaProxy.refund(request()));
    expect(err.kind).toBe("untrusted_response");
    expect(err.message).toMatch(/signature mismatch/);

    mutate = (b, h) => {
      delete h["x-sandbox-signature"];
      return b;
    };
    expect((await unavailable(viaProxy.query("RF-1001"))).message).toMatch(/missing signature/);

    // The simulator did refund: only the answer was untrustworthy, so the caller must query.
    expect(await pay.query("RF-1001")).toMatchObject({ status: "succeeded" });
  });

  it("faults and the refund list are reachable over HTTP on loopback", async () => {
    const set = await fetch(`${sim.url}/_sim/faults`, {
      method: "POST",
      body: JSON.stringify({ declineNext: 1 }),
    });
    expect(await set.json()).toMatchObject({ declineNext: 1, failNext: 0 });
    const bad = await fetch(`${sim.url}/_sim/faults`, {
      method: "POST",
      body: JSON.stringify({ explode: 1 }),
    });
    expect(bad.status).toBe(400);
    await pay.refund(request());
    const list = (await (await fetch(`${sim.url}/_sim/refunds`)).json()) as { refunds: { status: string }[] };
    expect(list.refunds.map((r) => r.status)).toEqual(["CLOSED"]);
  });

  it("keeps refunds across a restart when given a state file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-pay-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, "refunds.json");
    const first = await startSandboxPaySimulator({ secret: SECRET, stateFile });
    const out = await sandboxPayChannel({ url: first.url, secret: SECRET }).refund(request());
    await first.close();

    const second = await startSandboxPaySimulator({ secret: SECRET, stateFile });
    cleanups.push(() => second.close());
    const again = sandboxPayChannel({ url: second.url, secret: SECRET });
    expect(await again.query("RF-1001")).toEqual(out);
    expect(await again.refund(request())).toEqual(out);
    expect(second.refunds()).toHaveLength(1);
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
