import { createHmac, randomBytes } from "node:crypto";
import { channelFetch } from "../http.ts";

/**
 * Standard Webhooks 1.0 on the wire: a secret is `whsec_` + base64 of random bytes; a message is signed
 * with HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` keyed by the decoded bytes, and
 * the signature header lists `v1,<base64>` (one entry, or several while a secret is rotated).
 */
export const SECRET_PREFIX = "whsec_";

export const newSecret = () => `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;

export const secretBytes = (secret: string) => Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");

export const signature = (secret: string, id: string, timestamp: number, body: string) =>
  `v1,${createHmac("sha256", secretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")}`;

/** A receiver gets this long to answer; longer counts as a failure and is retried (the spec says short). */
export const TIMEOUT_MS = 10_000;

/** POST one signed message; any answer comes back as it is, no answer throws ChannelUnavailableError. */
export function postWebhook(
  url: string,
  m: { id: string; timestamp: number; body: string; secret: string },
  timeoutMs = TIMEOUT_MS,
) {
  return channelFetch("webhook", `webhook ${m.id}`, url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "Aftersales-Webhooks/1",
      "webhook-id": m.id,
      "webhook-timestamp": String(m.timestamp),
      "webhook-signature": signature(m.secret, m.id, m.timestamp, m.body),
    },
    body: m.body,
    redirect: "manual",
    timeoutMs,
  });
}
