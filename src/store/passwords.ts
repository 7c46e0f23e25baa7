import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Passwords as scrypt hashes that describe themselves — "scrypt$N$r$p$salt$hash" (salt and hash in
 * base64url) — so the cost can rise for new hashes while old ones still verify.
 */

/** 2^15 × 8 × 128 bytes = 32 MiB and some 50–100 ms a hash: slow to guess, fine to sign in with. */
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;

const derive = (password: string, salt: Buffer, o: { N: number; r: number; p: number }, length: number) =>
  new Promise<Buffer>((resolve, reject) => {
    const options: ScryptOptions = { ...o, maxmem: 256 * o.N * o.r };
    scrypt(password.normalize("NFC"), salt, length, options, (e, key) => (e ? reject(e) : resolve(key)));
  });

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST, KEY_BYTES);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Whether `password` is the one `stored` was made from; false for a hash this module cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split("$");
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (
    kind !== "scrypt" ||
    !salt ||
    !hash ||
    !Object.values(cost).every((v) => Number.isSafeInteger(v) && v > 0)
  )
    return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"), cost, expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * A hash of no one's password, to verify against when the login is unknown: an unknown login then
 * takes as long to refuse as a wrong password (the answer's timing names no account).
 */
let decoy: Promise<string> | undefined;
export const decoyHash = () => {
  decoy ??= hashPassword(randomBytes(16).toString("base64url"));
  return decoy;
};

/** A password for a person to be told once (the CLI's create-user): 96 random bits, 16 characters. */
export const generatePassword = () => randomBytes(12).toString("base64url");
