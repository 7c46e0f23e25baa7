import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  credentialSummary,
  loadCredentials,
  resealCredentials,
  saveCredentials,
} from "../../src/store/credentials.ts";
import { KEY_FILE, keyId, keyring, loadKeyring } from "../../src/store/secrets.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, codeOf } from "../support/fixtures.ts";

const OLD = keyring([Buffer.alloc(32, 1)]);
const NEW_KEY = Buffer.alloc(32, 2);
const SECRET = { app_key: "12345678", app_secret: "f00dfeedf00dfeedf00dfeedf00dfeed", session: "6100abc" };

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tb-a", "taobao");
  await addShop(env.ctx, "tb-b", "taobao");
});
afterAll(() => env.close());

describe("shop credentials", () => {
  it("are stored sealed — no field in the clear — and open only with the key, for that shop", async () => {
    await saveCredentials(env.ctx.db, OLD, "tb-a", SECRET, env.clock.now);
    const row = await env.ctx.db
      .selectFrom("shop_credentials")
      .selectAll()
      .where("shop_id", "=", "tb-a")
      .executeTakeFirstOrThrow();
    expect(row.key_id).toBe(keyId(Buffer.alloc(32, 1)));
    for (const v of Object.values(SECRET)) expect(row.ciphertext.includes(Buffer.from(v))).toBe(false);
    expect(await loadCredentials(env.ctx.db, OLD, "tb-a")).toEqual(SECRET);
    expect(await credentialSummary(env.ctx.db, OLD, "tb-a")).toMatchObject({
      fields: ["app_key", "app_secret", "session"],
    });

    expect(await codeOf(loadCredentials(env.ctx.db, keyring([NEW_KEY]), "tb-a"))).toBe(
      "SECRET_KEY_UNAVAILABLE",
    );
    expect(await codeOf(loadCredentials(env.ctx.db, undefined, "tb-a"))).toBe("SECRET_KEY_MISSING");
    expect(await codeOf(saveCredentials(env.ctx.db, undefined, "tb-b", SECRET, env.clock.now))).toBe(
      "SECRET_KEY_MISSING",
    );
    // Copied to another shop's row, it does not open: the shop is bound into the seal.
    await env.ctx.db
      .insertInto("shop_credentials")
      .values({ shop_id: "tb-b", key_id: row.key_id, iv: row.iv, tag: row.tag, ciphertext: row.ciphertext })
      .execute();
    expect(await codeOf(loadCredentials(env.ctx.db, OLD, "tb-b"))).toBe("SECRET_TAMPERED");
    const flipped = Buffer.from(row.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    await env.ctx.db
      .updateTable("shop_credentials")
      .set({ ciphertext: flipped, iv: row.iv })
      .where("shop_id", "=", "tb-b")
      .execute();
    expect(await codeOf(loadCredentials(env.ctx.db, OLD, "tb-b"))).toBe("SECRET_TAMPERED");
    expect(await loadCredentials(env.ctx.db, OLD, "tb-c")).toBeUndefined();
  });

  it("are re-sealed with a new key while the old one still opens them, then need only the new one", async () => {
    const rotating = keyring([NEW_KEY, Buffer.alloc(32, 1)]);
    expect(await loadCredentials(env.ctx.db, rotating, "tb-a")).toEqual(SECRET);
    await env.ctx.db.deleteFrom("shop_credentials").where("shop_id", "=", "tb-b").execute();
    expect(await resealCredentials(env.ctx.db, rotating, env.clock.now)).toBe(1);
    expect(await resealCredentials(env.ctx.db, rotating, env.clock.now)).toBe(0);
    expect(await loadCredentials(env.ctx.db, keyring([NEW_KEY]), "tb-a")).toEqual(SECRET);
  });
});

describe("the installation key", () => {
  it("comes from AFTERSALES_SECRET_KEY, or a key file made once (mode 0600) for the embedded database", () => {
    const dir = mkdtempSync(join(tmpdir(), "aftersales-key-"));
    try {
      expect(loadKeyring({ env: {} })).toBeUndefined();
      const first = loadKeyring({ env: {}, dataDir: dir });
      const file = join(dir, KEY_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(file, "utf8").trim(), "base64")).toHaveLength(32);
      expect(loadKeyring({ env: {}, dataDir: dir })?.current.id).toBe(first?.current.id);
      const fromEnv = loadKeyring({
        env: { AFTERSALES_SECRET_KEY: NEW_KEY.toString("base64") },
        dataDir: dir,
      });
      expect(fromEnv?.current.id).toBe(keyId(NEW_KEY));
      const withOld = loadKeyring({
        env: {
          AFTERSALES_SECRET_KEY: NEW_KEY.toString("base64"),
          AFTERSALES_SECRET_KEYS_OLD: Buffer.alloc(32, 1).toString("base64"),
        },
      });
      expect(withOld?.byId(keyId(Buffer.alloc(32, 1)))).toBeDefined();
      expect(() => loadKeyring({ env: { AFTERSALES_SECRET_KEY: "c2hvcnQ=" } })).toThrow(/32 random bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
