import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  randomInt,
  sign,
  verify,
  X509Certificate,
} from "node:crypto";
import { promisify } from "node:util";
import { fail } from "../../../domain/errors.ts";
import { BILL_MALFORMED, parseWechatRefundBill, type RefundBill } from "../../../domain/reconcile/bill.ts";
import { ArchiveInvalid, BILL_LIMITS, gunzipCapped } from "../../decompress.ts";

/**
 * WeChat Pay API v3 (微信支付 APIv3) wire rules, shared by the adapter and its simulator so the two
 * cannot drift apart. node:crypto only.
 *
 * - Requests are signed by the merchant: RSA-SHA256 (PKCS#1 v1.5) with the merchant API private key over
 *   `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`, sent as
 *   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
 * - Answers and callbacks are signed by WeChat Pay with its platform key over `TIMESTAMP\nNONCE\nBODY\n`,
 *   in the Wechatpay-Timestamp / -Nonce / -Signature / -Serial headers; the serial says which platform
 *   key (platform certificate serial, or a 微信支付公钥 id `PUB_KEY_ID_…`) verifies it.
 * - Callback resources are AEAD_AES_256_GCM encrypted with the merchant's 32-byte APIv3 key: `ciphertext`
 *   is base64(data ‖ 16-byte tag), `nonce` (12 characters) and `associated_data` are used as UTF-8 bytes.
 */

export const AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048";
export const HEADER_TIMESTAMP = "wechatpay-timestamp";
export const HEADER_NONCE = "wechatpay-nonce";
export const HEADER_SIGNATURE = "wechatpay-signature";
export const HEADER_SERIAL = "wechatpay-serial";
export const HEADER_SIGNATURE_TYPE = "wechatpay-signature-type";
export const HEADER_REQUEST_ID = "request-id";
/** Signed messages further than this from now are refused: a captured answer or callback cannot be replayed later. */
export const MAX_CLOCK_SKEW_SECONDS = 300;
/** WeChat Pay probes merchants with deliberately bad signatures carrying this prefix; they must be refused. */
export const SIGN_TEST_PREFIX = "WECHATPAY/SIGNTEST/";
export const RESOURCE_ALGORITHM = "AEAD_AES_256_GCM";
const TAG_BYTES = 16;

/** Why a signed message or a resource was refused; each is its own stable code. */
export type WechatPayVerifyCode =
  | "WECHATPAY_SIGNATURE_MISSING"
  | "WECHATPAY_TIMESTAMP_EXPIRED"
  | "WECHATPAY_UNKNOWN_SERIAL"
  | "WECHATPAY_SIGNATURE_INVALID"
  | "WECHATPAY_DECRYPT_FAILED";

export class WechatPayProtocolError extends Error {
  readonly code: WechatPayVerifyCode;
  constructor(code: WechatPayVerifyCode, message: string) {
    super(message);
    this.name = "WechatPayProtocolError";
    this.code = code;
  }
}

/** PEM (PKCS#8 or PKCS#1) → private key object. */
export const privateKeyOf = (key: string | KeyObject): KeyObject =>
  typeof key === "string" ? createPrivateKey(key) : key;

/** A public key PEM, a platform certificate PEM (-----BEGIN CERTIFICATE-----) or a key object. */
export function publicKeyOf(key: string | KeyObject): KeyObject {
  if (typeof key !== "string") return key;
  return key.includes("BEGIN CERTIFICATE") ? new X509Certificate(key).publicKey : createPublicKey(key);
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** A random string of `length` letters and digits (nonce_str is 32, a resource nonce 12). */
export function nonceString(length = 32): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

export const unixSeconds = (nowMs = Date.now()) => String(Math.floor(nowMs / 1000));

/** What the merchant signs: the URL is the path plus query string, exactly as sent. */
export const requestMessage = (method: string, url: string, timestamp: string, nonce: string, body: string) =>
  `${method}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;

/** What WeChat Pay signs on answers and callbacks. */
export const responseMessage = (timestamp: string, nonce: string, body: string) =>
  `${timestamp}\n${nonce}\n${body}\n`;

export const rsaSign = (privateKey: KeyObject, message: string) =>
  sign("sha256", Buffer.from(message, "utf8"), privateKey).toString("base64");

export function rsaVerify(publicKey: KeyObject, message: string, signature: string): boolean {
  try {
    return verify("sha256", Buffer.from(message, "utf8"), publicKey, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

export interface MerchantCredentials {
  mchid: string;
  /** Serial number of the merchant API certificate (商户API证书序列号). */
  serialNo: string;
  privateKey: KeyObject;
}

/** The Authorization header of one request. */
export function authorization(
  merchant: MerchantCredentials,
  method: string,
  url: string,
  body: string,
  opts: { timestamp?: string; nonce?: string } = {},
): string {
  const timestamp = opts.timestamp ?? unixSeconds();
  const nonce = opts.nonce ?? nonceString(32);
  const signature = rsaSign(merchant.privateKey, requestMessage(method, url, timestamp, nonce, body));
  return (
    `${AUTH_SCHEMA} mchid="${merchant.mchid}",nonce_str="${nonce}",signature="${signature}",` +
    `timestamp="${timestamp}",serial_no="${merchant.serialNo}"`
  );
}

export interface ParsedAuthorization {
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

/** Read an Authorization header back into its parts; null when it is not a WECHATPAY2 header. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (!header?.startsWith(`${AUTH_SCHEMA} `)) return null;
  const parts: Record<string, string> = {};
  for (const m of header.slice(AUTH_SCHEMA.length + 1).matchAll(/\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/g)) {
    parts[m[1] as string] = m[2] as string;
  }
  const { mchid, nonce_str, signature, timestamp, serial_no } = parts;
  if (!mchid || !nonce_str || !signature || !timestamp || !serial_no) return null;
  return { mchid, nonce_str, signature, timestamp, serial_no };
}

export interface PlatformSigner {
  /** Platform certificate serial or 微信支付公钥 id, sent as Wechatpay-Serial. */
  serial: string;
  privateKey: KeyObject;
}

/** The Wechatpay-* headers for an answer or callback body. */
export function signedHeaders(
  platform: PlatformSigner,
  body: string,
  opts: { timestamp?: string; nonce?: string } = {},
): Record<string, string> {
  const timestamp = opts.timestamp ?? unixSeconds();
  const nonce = opts.nonce ?? nonceString(32);
  return {
    [HEADER_TIMESTAMP]: timestamp,
    [HEADER_NONCE]: nonce,
    [HEADER_SIGNATURE]: rsaSign(platform.privateKey, responseMessage(timestamp, nonce, body)),
    [HEADER_SERIAL]: platform.serial,
    [HEADER_SIGNATURE_TYPE]: AUTH_SCHEMA,
  };
}

export type VerifyResult =
  | { ok: true; serial: string; timestamp: number; nonce: string }
  | { ok: false; code: WechatPayVerifyCode; reason: string };

/**
 * Check an answer's or callback's Wechatpay-* headers over its raw body against the platform keys
 * we hold, by serial. `get` reads one header by its lower-case name.
 */
export function verifySigned(
  platformKeys: ReadonlyMap<string, KeyObject>,
  body: string,
  get: (header: string) => string | null | undefined,
  nowMs = Date.now(),
): VerifyResult {
  const timestamp = get(HEADER_TIMESTAMP);
  const nonce = get(HEADER_NONCE);
  const signature = get(HEADER_SIGNATURE);
  const serial = get(HEADER_SERIAL);
  if (!timestamp || !nonce || !signature || !serial) {
    const missing = [
      [HEADER_TIMESTAMP, timestamp],
      [HEADER_NONCE, nonce],
      [HEADER_SIGNATURE, signature],
      [HEADER_SERIAL, serial],
    ]
      .filter(([, v]) => !v)
      .map(([h]) => h);
    return { ok: false, code: "WECHATPAY_SIGNATURE_MISSING", reason: `missing ${missing.join(", ")}` };
  }
  const type = get(HEADER_SIGNATURE_TYPE);
  if (type && type !== AUTH_SCHEMA) {
    return { ok: false, code: "WECHATPAY_SIGNATURE_INVALID", reason: `unsupported signature type ${type}` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, code: "WECHATPAY_TIMESTAMP_EXPIRED", reason: `malformed timestamp "${timestamp}"` };
  }
  const ts = Number(timestamp);
  const skew = Math.round(nowMs / 1000 - ts);
  if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
    return {
      ok: false,
      code: "WECHATPAY_TIMESTAMP_EXPIRED",
      reason:
        skew > 0
          ? `signed ${skew} s ago, more than ${MAX_CLOCK_SKEW_SECONDS} s`
          : `signed ${-skew} s in the future`,
    };
  }
  const key = platformKeys.get(serial);
  if (!key) {
    return {
      ok: false,
      code: "WECHATPAY_UNKNOWN_SERIAL",
      reason: `no platform key for serial ${serial} (known: ${[...platformKeys.keys()].join(", ") || "none"})`,
    };
  }
  if (signature.startsWith(SIGN_TEST_PREFIX)) {
    return {
      ok: false,
      code: "WECHATPAY_SIGNATURE_INVALID",
      reason: "WeChat Pay signature probe (SIGNTEST)",
    };
  }
  if (!rsaVerify(key, responseMessage(timestamp, nonce, body), signature)) {
    return { ok: false, code: "WECHATPAY_SIGNATURE_INVALID", reason: "signature does not match the body" };
  }
  return { ok: true, serial, timestamp: ts, nonce };
}

/** An encrypted callback resource as it travels. */
export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  nonce: string;
  associated_data: string;
  original_type?: string;
}

/** The APIv3 key as AES-256 key bytes; it must be exactly 32 bytes. */
export function apiV3KeyBytes(apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, "utf8");
  if (key.length !== 32) throw new Error(`the APIv3 key must be 32 bytes, got ${key.length}`);
  return key;
}

export function encryptResource(
  apiV3Key: string,
  plaintext: string,
  associatedData: string,
  nonce = nonceString(12),
): EncryptedResource {
  const cipher = createCipheriv("aes-256-gcm", apiV3KeyBytes(apiV3Key), Buffer.from(nonce, "utf8"), {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: RESOURCE_ALGORITHM,
    ciphertext: data.toString("base64"),
    nonce,
    associated_data: associatedData,
  };
}

/** Decrypt and authenticate a resource; anything wrong is WECHATPAY_DECRYPT_FAILED. */
export function decryptResource(apiV3Key: string, resource: Partial<EncryptedResource>): string {
  const fail = (why: string): never => {
    throw new WechatPayProtocolError("WECHATPAY_DECRYPT_FAILED", `cannot decrypt the resource: ${why}`);
  };
  if (resource.algorithm !== RESOURCE_ALGORITHM) fail(`unsupported algorithm ${String(resource.algorithm)}`);
  if (typeof resource.ciphertext !== "string" || typeof resource.nonce !== "string" || !resource.nonce) {
    fail("ciphertext and nonce are required");
  }
  const data = Buffer.from(resource.ciphertext as string, "base64");
  if (data.length <= TAG_BYTES) fail("ciphertext is too short");
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      apiV3KeyBytes(apiV3Key),
      Buffer.from(resource.nonce as string, "utf8"),
      { authTagLength: TAG_BYTES },
    );
    decipher.setAAD(Buffer.from(resource.associated_data ?? "", "utf8"));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(data.subarray(0, data.length - TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    return fail(
      "authentication failed (wrong APIv3 key, or the ciphertext, nonce or associated_data was altered)",
    );
  }
}

/** RFC 3339 in Beijing time, as WeChat Pay writes times: 2021-03-26T14:52:08+08:00. */
export function beijingTime(ms: number): string {
  return `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

export interface RsaKeyPair {
  serialNo: string;
  privateKey: string;
  publicKey: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** A fresh RSA-2048 key pair as PEM, and a serial for it (40 hex digits like a certificate serial). */
export async function generateRsaKeyPair(): Promise<RsaKeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
  return {
    serialNo: randomBytes(20).toString("hex").toUpperCase(),
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** A REFUND trade bill (交易账单) as 下载账单 serves it (gzip) or a person saved it (CSV text), as rows. */
export async function readWechatPayBill(file: Uint8Array, date: string): Promise<RefundBill> {
  let bytes = file;
  try {
    if (file[0] === 0x1f && file[1] === 0x8b) bytes = gunzipCapped(file, BILL_LIMITS, "the bill file");
  } catch (e) {
    if (e instanceof ArchiveInvalid) fail(BILL_MALFORMED, e.message);
    throw e;
  }
  return parseWechatRefundBill(Buffer.from(bytes).toString("utf8"), date);
}
