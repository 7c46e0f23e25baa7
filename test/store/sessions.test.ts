import { scryptSync } from "node:crypto";
import type { Session } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../src/store/passwords.ts";
import { hashSessionId, sessionStore } from "../../src/store/sessions.ts";
import { insertUser } from "../../src/store/users.ts";
import { type TestEnv, testEnv } from "../support/db.ts";

/** The password hashes and the session store under the console's sign-in. */

let env: TestEnv;
let userId: number;
const TTL = 3_600_000;

beforeAll(async () => {
  env = await testEnv();
  const u = await insertUser(env.ctx.db, {
    login: "Store.Test",
    name: "store",
    passwordHash: await hashPassword("irrelevant"),
    role: "reviewer",
    shops: null,
    at: env.clock.now,
  });
  userId = u?.id as number;
});
afterAll(async () => {
  await env?.close();
});

const call = <T>(f: (done: (e: unknown, v?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));

describe("password hashes", () => {
  it("describe themselves, are salted, and verify only their own password", async () => {
    const a = await hashPassword("秘密 password");
    const b = await hashPassword("秘密 password");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("秘密 password", a)).toBe(true);
    expect(await verifyPassword("秘密 Password", a)).toBe(false);
    // The same text in another Unicode form is the same password.
    expect(await verifyPassword("e\u0301tude", await hashPassword("\u00e9tude"))).toBe(true);
    // A hash made at another cost still verifies: the cost is read from the hash.
    const salt = Buffer.from("older salt");
    const older = scryptSync("秘密 password", salt, 32, { N: 1024, r: 8, p: 1 });
    const olderHash = `scrypt$1024$8$1$${salt.toString("base64url")}$${older.toString("base64url")}`;
    expect(await verifyPassword("秘密 password", olderHash)).toBe(true);
    expect(await verifyPassword("秘密 password", olderHash.replace("$1024$", "$2048$"))).toBe(false);
    for (const broken of ["", "-", "bcrypt$x", "scrypt$0$8$1$c2FsdA$aGFzaA", "scrypt$1024$8$1$$"])
      expect(await verifyPassword("x", broken)).toBe(false);
  });
});

describe("the session store", () => {
  const store = () => sessionStore(env.ctx.db, () => env.clock.now, TTL);

  it("keeps a signed-in session under the id's hash, without its cookie, and reads it back", async () => {
    const s = store();
    const session = { userId, _csrf: "secret", cookie: { originalMaxAge: 1 } } as unknown as Session;
    await call((done) => s.set("the-id", session, done));
    const row = await env.ctx.db
      .selectFrom("user_sessions")
      .selectAll()
      .where("id_hash", "=", hashSessionId("the-id"))
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: userId, data: { userId, _csrf: "secret" } });
    expect(row.expires_at.getTime()).toBe(env.clock.now.getTime() + TTL);
    expect(await call<Session | null>((done) => s.get("the-id", done))).toEqual({ userId, _csrf: "secret" });
    expect(await call<Session | null>((done) => s.get("another-id", done))).toBeNull();
    await call((done) => s.destroy("the-id", done));
    expect(await call<Session | null>((done) => s.get("the-id", done))).toBeNull();
  });

  it("writes no row for a session that signs no one in", async () => {
    const s = store();
    await call((done) => s.set("anonymous", { cookie: {} } as unknown as Session, done));
    const rows = await env.ctx.db
      .selectFrom("user_sessions")
      .select("id_hash")
      .where("id_hash", "=", hashSessionId("anonymous"))
      .execute();
    expect(rows).toEqual([]);
  });

  it("keeps a session's time from its sign-in when it is written again, ignores it once over, and sweeps it", async () => {
    const s = store();
    await call((done) => s.set("timed", { userId } as unknown as Session, done));
    env.clock.advance(TTL / 2);
    await call((done) => s.set("timed", { userId, _csrf: "later" } as unknown as Session, done));
    env.clock.advance(TTL / 2);
    expect(await call<Session | null>((done) => s.get("timed", done))).toBeNull();
    const kept = await env.ctx.db
      .selectFrom("user_sessions")
      .select("id_hash")
      .where("id_hash", "=", hashSessionId("timed"))
      .execute();
    expect(kept).toHaveLength(1);
    // The next sign-in sweeps what is over.
    await call((done) => s.set("next", { userId } as unknown as Session, done));
    const left = await env.ctx.db.selectFrom("user_sessions").select("id_hash").execute();
    expect(left.map((r) => r.id_hash)).toEqual([hashSessionId("next")]);
  });
});
