import { createHmac } from "node:crypto";

/**
 * Aliyun RPC-style request signing (signature version 1.0, HMAC-SHA1), as documented for every Alibaba
 * Cloud RPC API including Dysmsapi 2017-05-25:
 *   StringToSign = METHOD + "&" + enc("/") + "&" + enc(canonicalized query)
 *   Signature    = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))
 * where the canonicalized query is every parameter but Signature, sorted by name, as enc(name)=enc(value)
 * joined by "&", and enc() is RFC 3986 percent-encoding: only A-Z a-z 0-9 - _ . ~ stay as they are.
 */

export const SMS_API_VERSION = "2017-05-25";

export function percentEncode(s: string): string {
  // encodeURIComponent leaves ! ' ( ) * alone; Aliyun wants them encoded too.
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function rpcSignature(method: string, params: Record<string, string>, secret: string): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== "Signature")
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k] as string)}`)
    .join("&");
  const stringToSign = `${method}&${percentEncode("/")}&${percentEncode(canonical)}`;
  return createHmac("sha1", `${secret}&`).update(stringToSign).digest("base64");
}

/** Aliyun's Timestamp: ISO 8601 in UTC, to the second ("2026-12-08T01:02:03Z"). */
export const rpcTimestamp = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
