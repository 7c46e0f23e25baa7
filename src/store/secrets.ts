import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../domain/errors.ts";

/**
 * The installation's secret key(s), for data we must keep but never show (shop credentials).
 * AES-256-GCM; every sealed value names the key that sealed it, so keys can rotate: the first key
 * seals, every key in the ring opens.
 */

export interface Keyring {
  /** The key new values are sealed with. */
  readonly current: { readonly id: string; readonly key: Buffer };
  /** A key by its id (the current one or an older one kept for rotation). */
  byId(id: string): Buffer | undefined;
}

export interface Sealed {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const KEY_BYTES = 32;
/** The key file the embedded database's installation keeps next to its data. */
export const KEY_FILE = "secret.key";

/** A key's id: a fingerprint that names it without revealing it. */
export const keyId = (key: Buffer) => `k1:${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;

function parseKey(text: string, what: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== KEY_BYTES) {
    throw new AppError(
      "SECRET_KEY_INVALID",
      `${what} must be ${KEY_BYTES} random bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`,
    );
  }
  return key;
}

/** A ring of keys; the first seals. */
export function keyring(keys: readonly Buffer[]): Keyring {
  const [first] = keys;
  if (!first) throw new AppError("SECRET_KEY_MISSING", "A keyring needs at least one key");
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  return { current: { id: keyId(first), key: first }, byId: (id) => byId.get(id) };
}

/**
 * The installation's keyring: `AFTERSALES_SECRET_KEY` (base64, 32 bytes) — with older keys still able
 * to open in `AFTERSALES_SECRET_KEYS_OLD` (comma-separated) while they are rotated out — or, for the
 * embedded database, a key file created once in its data directory (mode 0600). Undefined when
 * neither applies (PostgreSQL without a configured key): credentials then cannot be stored.
 */
export function loadKeyring(opts: { env?: NodeJS.ProcessEnv; dataDir?: string }): Keyring | undefined {
  const env = opts.env ?? process.env;
  const old = (env.AFTERSALES_SECRET_KEYS_OLD ?? "")
    .split(",")
    .filter((s) => s.trim())
    .map((s) => parseKey(s, "AFTERSALES_SECRET_KEYS_OLD"));
  if (env.AFTERSALES_SECRET_KEY)
    return keyring([parseKey(env.AFTERSALES_SECRET_KEY, "AFTERSALES_SECRET_KEY"), ...old]);
  if (!opts.dataDir) return undefined;
  const file = join(opts.dataDir, KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(opts.dataDir, { recursive: true });
    // "wx": never overwrite a key another process just wrote — a lost key loses every credential.
    try {
      writeFileSync(file, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  chmodSync(file, 0o600);
  return keyring([parseKey(readFileSync(file, "utf8"), file), ...old]);
}

/** The keyring, or SECRET_KEY_MISSING: without a key nothing sealed can be stored or read. */
export const requireKeyring = (ring: Keyring | undefined): Keyring =>
  ring ??
  (() => {
    throw new AppError(
      "SECRET_KEY_MISSING",
      "No secret key is configured: set AFTERSALES_SECRET_KEY (base64, 32 bytes) to store or read shop credentials and webhook secrets",
    );
  })();

/** Seal `plaintext`; `context` (e.g. the shop id) is bound to it, so a value moved elsewhere will not open. */
export function seal(ring: Keyring, plaintext: Buffer, context: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", ring.current.key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId: ring.current.id, iv, tag: cipher.getAuthTag(), ciphertext };
}

export function open(ring: Keyring, sealed: Sealed, context: string): Buffer {
  const key = ring.byId(sealed.keyId);
  if (!key) {
    throw new AppError(
      "SECRET_KEY_UNAVAILABLE",
      `The key ${sealed.keyId} that sealed this value is not configured (add it to AFTERSALES_SECRET_KEYS_OLD)`,
      { keyId: sealed.keyId },
    );
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv);
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    throw new AppError("SECRET_TAMPERED", "A sealed value failed its integrity check", {
      keyId: sealed.keyId,
    });
  }
}
