import type { Tx } from "./orders.ts";
import { type Keyring, requireKeyring as need, open, seal } from "./secrets.ts";

/**
 * A shop's platform credentials (app key and secret, access token…), sealed with the installation's
 * key and bound to the shop. Nothing here returns them to a caller other than a channel client.
 */

export type Credentials = Record<string, string>;

export async function saveCredentials(
  db: Tx,
  ring: Keyring | undefined,
  shopId: string,
  credentials: Credentials,
  now: Date,
) {
  const s = seal(need(ring), Buffer.from(JSON.stringify(credentials), "utf8"), shopId);
  const row = { key_id: s.keyId, iv: s.iv, tag: s.tag, ciphertext: s.ciphertext, updated_at: now };
  await db
    .insertInto("shop_credentials")
    .values({ shop_id: shopId, ...row })
    .onConflict((oc) => oc.column("shop_id").doUpdateSet(row))
    .execute();
}

export async function loadCredentials(
  db: Tx,
  ring: Keyring | undefined,
  shopId: string,
): Promise<Credentials | undefined> {
  const row = await db
    .selectFrom("shop_credentials")
    .selectAll()
    .where("shop_id", "=", shopId)
    .executeTakeFirst();
  if (!row) return undefined;
  const plain = open(
    need(ring),
    { keyId: row.key_id, iv: row.iv, tag: row.tag, ciphertext: row.ciphertext },
    shopId,
  );
  return JSON.parse(plain.toString("utf8")) as Credentials;
}

/** Which fields are set, and when — never their values. */
export async function credentialSummary(db: Tx, ring: Keyring | undefined, shopId: string) {
  const row = await db
    .selectFrom("shop_credentials")
    .select(["updated_at", "key_id"])
    .where("shop_id", "=", shopId)
    .executeTakeFirst();
  if (!row) return undefined;
  const creds = (await loadCredentials(db, ring, shopId)) ?? {};
  return { fields: Object.keys(creds).sort(), updatedAt: row.updated_at, keyId: row.key_id };
}

export const shopsWithCredentials = (db: Tx) =>
  db
    .selectFrom("shop_credentials as c")
    .innerJoin("shops as s", "s.id", "c.shop_id")
    .select(["s.id", "s.channel"])
    .orderBy("s.id")
    .execute();

/** Key rotation: re-seal every row not sealed with the current key; returns how many were re-sealed. */
export async function resealCredentials(db: Tx, ring: Keyring, now: Date): Promise<number> {
  const stale = await db
    .selectFrom("shop_credentials")
    .select("shop_id")
    .where("key_id", "!=", ring.current.id)
    .execute();
  for (const { shop_id } of stale) {
    const creds = await loadCredentials(db, ring, shop_id);
    if (creds) await saveCredentials(db, ring, shop_id, creds, now);
  }
  return stale.length;
}
