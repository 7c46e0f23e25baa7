import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compiled, sessionStatement } from "../../src/store/compiled.ts";
import { lockedTransaction } from "../../src/store/locked-transaction.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop } from "../support/fixtures.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "shop-a");
  await addShop(env.ctx, "shop-b");
  await addShop(env.ctx, "it's \\ odd");
});
afterAll(() => env.close());

const shopsLike = compiled("test_shops_like", (db, p: { pattern: string; other: string }) =>
  db
    .selectFrom("shops")
    .select(["id", "channel"])
    .where((eb) => eb.or([eb("id", "like", p.pattern), eb("id", "=", p.other)]))
    .where("channel", "=", "tmall")
    .orderBy("id"),
);

describe("a query compiled once", () => {
  it("answers each call with that call's parameters, and keeps the query's own constants", async () => {
    const a = await shopsLike.rows(env.ctx.db, { pattern: "shop-%", other: "none" });
    expect(a.map((r) => r.id)).toEqual(["shop-a", "shop-b"]);
    const b = await shopsLike.rows(env.ctx.db, { pattern: "nothing", other: "it's \\ odd" });
    expect(b).toEqual([{ id: "it's \\ odd", channel: "tmall" }]);
    expect(await shopsLike.first(env.ctx.db, { pattern: "x", other: "y" })).toBeUndefined();
  });

  it("runs in a transaction like any query, and tells how many rows a write touched", async () => {
    const rename = compiled("test_rename_shop", (db, p: { id: string; name: string }) =>
      db.updateTable("shops").set({ name: p.name }).where("id", "=", p.id),
    );
    const n = await env.ctx.db
      .transaction()
      .execute(async (tx) => (await rename.run(tx, { id: "shop-b", name: "B" })).numAffectedRows);
    expect(n).toBe(1n);
    const row = await env.ctx.db
      .selectFrom("shops")
      .select("name")
      .where("id", "=", "shop-b")
      .executeTakeFirst();
    expect(row?.name).toBe("B");
  });

  it("refuses a build that uses a parameter as anything but a value", async () => {
    const bad = compiled("test_bad", (db, p: { id: string }) =>
      db.selectFrom("shops").select("id").where("id", "=", `${p.id}`),
    );
    await expect(bad.rows(env.ctx.db, { id: "shop-a" })).rejects.toThrow(/not used as query values/);
    expect(() => compiled("test_bad", (db) => db.selectFrom("shops").select("id"))).toThrow(/defined twice/);
  });
});

describe("a session statement", () => {
  const shopById = sessionStatement("test_shop_by_id", (db, p: { id: string | null; min: number }) =>
    db
      .selectFrom("shops")
      .select(["id", sql<number>`${p.min} - 1`.as("less")])
      .where("id", "=", p.id)
      .where("channel", "in", ["tmall", "manual"]),
  );

  it("runs as text inside a transaction's first round trip, its arguments escaped", async () => {
    for (const [id, min] of [
      ["it's \\ odd", -3],
      ["shop-a", 7],
    ] as const) {
      const rows = await lockedTransaction<unknown, { id: string; less: number }>(
        env.ctx.db,
        { sql: `select 1; ${shopById.execute({ id, min })}`, sessionStatements: [shopById] },
        async (_tx, rows) => rows,
      );
      expect(rows).toEqual([{ id, less: min - 1 }]);
    }
    const none = await lockedTransaction(
      env.ctx.db,
      { sql: shopById.execute({ id: null, min: 0 }), sessionStatements: [shopById] },
      async (_tx, rows) => rows,
    );
    expect(none).toEqual([]);
  });

  it("rolls back when the first round trip fails, leaving the connection usable", async () => {
    await expect(
      lockedTransaction(
        env.ctx.db,
        { sql: `update shops set name = 'x' where id = 'shop-a'; select 1/0`, sessionStatements: [] },
        async () => "never",
      ),
    ).rejects.toThrow(/division by zero/);
    const after = await lockedTransaction(
      env.ctx.db,
      { sql: shopById.execute({ id: "shop-a", min: 1 }), sessionStatements: [shopById] },
      async (tx, rows) => ({
        rows,
        name: (await tx.selectFrom("shops").select("name").where("id", "=", "shop-a").executeTakeFirst())
          ?.name,
      }),
    );
    expect(after).toEqual({ rows: [{ id: "shop-a", less: 0 }], name: "shop-a" });
  });
});
