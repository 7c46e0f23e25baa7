import { readAnswer } from "../../decompress.ts";
import {
  ChannelUnavailableError,
  type ChannelUnavailableKind,
  type PaymentChannel,
  type RefundOutcome,
  type RefundQueryResult,
  type RefundRequest,
} from "../channel.ts";
import { RESPONSE_METHOD, signedHeaders, verifySigned } from "./protocol.ts";
import type { SandboxRefund, SandboxRefundStatus } from "./simulator.ts";

/** Client for the sandbox payment protocol (see sandbox-simulator.ts); the shape WeChat/Alipay adapters follow. */

export interface SandboxPayChannelOptions {
  name?: string;
  url: string;
  secret: string;
  /** Per request, including reading the body. Default 10 s. */
  timeoutMs?: number;
}

/** Channel status → our outcome, as data. Anything unlisted is an answer we cannot interpret. */
const OUTCOMES: Record<SandboxRefundStatus, (r: SandboxRefund) => RefundOutcome> = {
  SUCCESS: (r) => ({
    status: "succeeded",
    channelRefundId: r.refund_id,
    ...(r.success_time ? { succeededAt: r.success_time } : {}),
  }),
  PROCESSING: (r) => ({ status: "processing", channelRefundId: r.refund_id }),
  CLOSED: (r) => ({
    status: "failed",
    code: "REFUND_CLOSED",
    message: `refund ${r.refund_id} was closed by the channel`,
  }),
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function sandboxPayChannel(opts: SandboxPayChannelOptions): PaymentChannel {
  const name = opts.name ?? "sandbox";
  const base = opts.url.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const unavailable = (
    kind: ChannelUnavailableKind,
    message: string,
    extra?: { httpStatus?: number; cause?: unknown },
  ) => new ChannelUnavailableError(name, kind, message, extra);

  /** One signed round trip; returns only answers whose signature checks out. */
  async function call(method: "GET" | "POST", path: string, payload?: unknown) {
    const url = new URL(base + path);
    const signedPath = url.pathname + url.search;
    const text = payload === undefined ? "" : JSON.stringify(payload);
    let res: Response;
    let raw: string;
    try {
      res = await fetch(url, {
        method,
        headers: {
          "content-type": "application/json",
          ...signedHeaders(opts.secret, method, signedPath, text),
        },
        ...(payload === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      raw = await readAnswer(res);
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw timedOut
        ? unavailable("timeout", `no answer within ${timeoutMs} ms; outcome unknown`, { cause: e })
        : unavailable("network", `request failed (${(e as Error).message}); outcome unknown`, { cause: e });
    }
    // A 5xx is an unknown outcome whether or not it is signed (a proxy may have produced it).
    if (res.status >= 500)
      throw unavailable("http", `HTTP ${res.status}; outcome unknown`, { httpStatus: res.status });
    const check = verifySigned(opts.secret, RESPONSE_METHOD, signedPath, raw, (h) => res.headers.get(h));
    if (!check.ok) {
      throw unavailable(
        "untrusted_response",
        `response rejected: ${check.reason} (HTTP ${res.status}); outcome unknown`,
        {
          httpStatus: res.status,
        },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    if (!isObject(body)) throw unavailable("untrusted_response", "signed response is not a JSON object");
    return { status: res.status, body };
  }

  /** Interpret a 200 refund body, refusing one that is about a different refund or has an unknown status. */
  function outcome(key: string, body: Record<string, unknown>): RefundOutcome {
    const toOutcome = OUTCOMES[body.status as SandboxRefundStatus] as
      | ((r: SandboxRefund) => RefundOutcome)
      | undefined;
    if (body.out_refund_no !== key || typeof body.refund_id !== "string" || !toOutcome) {
      throw unavailable("untrusted_response", `unexpected refund answer for ${key}: ${JSON.stringify(body)}`);
    }
    return toOutcome(body as unknown as SandboxRefund);
  }

  function businessFailure(status: number, body: Record<string, unknown>): RefundOutcome {
    const code = typeof body.code === "string" ? body.code : "UNKNOWN";
    const message = typeof body.message === "string" ? body.message : "";
    // 400 is the channel refusing the request: money did not move. Anything else (401, 403, 429...) is not
    // a verdict on this refund, so the outcome stays unknown.
    if (status === 400) return { status: "failed", code, message };
    throw unavailable("http", `HTTP ${status} ${code}: ${message}`, { httpStatus: status });
  }

  return {
    name,
    async refund(req: RefundRequest) {
      const { status, body } = await call("POST", "/v1/refunds", {
        out_refund_no: req.idempotencyKey,
        transaction_id: req.transactionId,
        out_trade_no: req.orderRef,
        amount: { refund: req.amount, total: req.total, currency: req.currency },
        reason: req.reason,
      });
      return status === 200 ? outcome(req.idempotencyKey, body) : businessFailure(status, body);
    },
    async query(idempotencyKey: string): Promise<RefundQueryResult> {
      const { status, body } = await call("GET", `/v1/refunds/${encodeURIComponent(idempotencyKey)}`);
      if (status === 200) return outcome(idempotencyKey, body);
      // Only the channel's own "no such refund" counts; a 404 from a wrong URL must not look like one.
      if (status === 404 && body.code === "RESOURCE_NOT_EXISTS") return { status: "not_found" };
      return businessFailure(status, body);
    },
  };
}
