import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Wire details shared by the sandbox simulator and its client, so they cannot drift apart. */

export const HEADER_TIMESTAMP = "x-sandbox-timestamp";
export const HEADER_NONCE = "x-sandbox-nonce";
export const HEADER_SIGNATURE = "x-sandbox-signature";
/** Requests (and responses) signed further than this from now are rejected: limits replay. */
export const MAX_SKEW_SECONDS = 300;
/** Responses are signed with this pseudo-method so a request signature can never pass as a response. */
export const RESPONSE_METHOD = "RESPONSE";

export function sign(
  secret: string,
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  body: string,
) {
  return createHmac("sha256", secret)
    .update(`${method}\n${path}\n${timestamp}\n${nonce}\n${body}\n`)
    .digest("base64");
}

export function signedHeaders(
  secret: string,
  method: string,
  path: string,
  body: string,
): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString("hex");
  return {
    [HEADER_TIMESTAMP]: timestamp,
    [HEADER_NONCE]: nonce,
    [HEADER_SIGNATURE]: sign(secret, method, path, timestamp, nonce, body),
  };
}

export type SignatureCheck = { ok: true; nonce: string; timestamp: number } | { ok: false; reason: string };

/** Constant-time check of signature and freshness; `get` reads one header (any case). */
export function verifySigned(
  secret: string,
  method: string,
  path: string,
  body: string,
  get: (header: string) => string | null | undefined,
  nowMs = Date.now(),
): SignatureCheck {
  const timestamp = get(HEADER_TIMESTAMP);
  const nonce = get(HEADER_NONCE);
  const signature = get(HEADER_SIGNATURE);
  if (!timestamp || !nonce || !signature) return { ok: false, reason: "missing signature headers" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed timestamp" };
  const ts = Number(timestamp);
  if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_SECONDS) return { ok: false, reason: "timestamp expired" };
  const expected = Buffer.from(sign(secret, method, path, timestamp, nonce, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "signature mismatch" };
  }
  return { ok: true, nonce, timestamp: ts };
}
