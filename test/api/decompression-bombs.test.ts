import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import {
  ArchiveInvalid,
  BILL_LIMITS,
  gunzipCapped,
  unzipCapped,
  XLSX_LIMITS,
} from "../../src/channels/decompress.ts";
import { channelFetch } from "../../src/channels/http.ts";
import { ChannelUnavailableError } from "../../src/channels/payments/channel.ts";
import { AppError } from "../../src/domain/errors.ts";
import { createToken } from "../../src/store/tokens.ts";
import { gzipBomb, xlsxBomb, zip, zipBomb } from "../support/bombs.ts";
import { type TestEnv, testEnv } from "../support/db.ts";

/**
 * Decompression bombs: a few hundred KB that unpack to 300 MiB are refused with a code after a few MB of
 * inflating, the process's memory stays put, nothing is stored, and the service answers afterwards.
 */

let env: TestEnv;
let app: App;
let token: string;

beforeAll(async () => {
  env = await testEnv();
  token = (await createToken(env.ctx.db, { name: "finance", role: "finance" })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
  // Real bills first, so the process has done everything once (the database's own memory included)
  // and what the bombs add is what is measured.
  for (const [channel, type, file] of [
    ["wechat_pay", "text/csv", "wechat-refund-2026-11-22.csv"],
    ["alipay", "application/zip", "20880000000000000156_20261122.csv.zip"],
  ]) {
    const res = await app.inject({
      method: "POST",
      url: `/api/v1/reconciliations?channel=${channel}&date=2026-11-22`,
      headers: { authorization: `Bearer ${token}`, "content-type": type as string },
      payload: readFileSync(`test/fixtures/bills/${file}`),
    });
    expect(res.statusCode, res.body).toBe(201);
  }
});
afterAll(async () => {
  await app.close();
  await env.close();
});

/** Peak resident memory (MB) while `run` runs, from the kernel's high-water mark reset just before. */
async function peakGrowthMb<T>(run: () => Promise<T>): Promise<{ result: T; mb: number | undefined }> {
  const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;
  let canMeasure = true;
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    canMeasure = false; // not Linux: the codes are still checked
  }
  const before = process.memoryUsage().rss / 1024 / 1024;
  const result = await run();
  return { result, mb: canMeasure ? hwm() - before : undefined };
}

const runs = async () =>
  Number(
    (
      await env.ctx.db
        .selectFrom("reconciliation_runs")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("bill uploads that unpack to 300 MiB", () => {
  it.each([
    ["wechat_pay", "application/gzip", () => gzipBomb(300)],
    ["alipay", "application/zip", () => zipBomb(300)],
  ])(
    "%s: refused with ARCHIVE_RATIO_TOO_HIGH, memory bounded, nothing stored, service answers",
    async (channel, type, make) => {
      const bomb = make();
      expect(bomb.length).toBeLessThan(400_000);
      const before = await runs();
      const { result: res, mb } = await peakGrowthMb(() =>
        app.inject({
          method: "POST",
          url: `/api/v1/reconciliations?channel=${channel}&date=2026-11-22`,
          headers: { authorization: `Bearer ${token}`, "content-type": type },
          payload: bomb,
        }),
      );
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers["content-type"]).toMatch(/problem\+json/);
      expect(res.json().code).toBe("ARCHIVE_RATIO_TOO_HIGH");
      if (mb !== undefined) expect(mb).toBeLessThan(150);
      expect(await runs()).toBe(before);
      expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    },
  );
});

describe("a channel answering with a compressed bomb", () => {
  it("is cut off at 16 MiB of answer: the call fails as unavailable (outcome unknown), memory bounded", async () => {
    const bomb = gzipBomb(300);
    // fetch undoes Content-Encoding by itself: the bomb goes off inside it unless the reading stops.
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(bomb);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const { result, mb } = await peakGrowthMb(() =>
        channelFetch("test", "GET /refunds", `http://127.0.0.1:${port}/refunds`, { timeoutMs: 60_000 }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect(result).toBeInstanceOf(ChannelUnavailableError);
      expect((result as Error).message).toMatch(/more than 16 MiB/);
      if (mb !== undefined) expect(mb).toBeLessThan(150);
    } finally {
      server.close();
    }
  });
});

describe("the unpacking caps", () => {
  const small = { maxBytes: 4 * 1024 * 1024, maxRatio: 100 };

  it("passes real bills and small files of repeated text whatever their ratio", async () => {
    const csv = Buffer.from("a,b,c\n".repeat(100_000)); // 600 KB that packs ≈ 500×
    expect(gunzipCapped(gzipSync(csv), BILL_LIMITS, "x").equals(csv)).toBe(true);
    const entries = await unzipCapped(
      zip([{ name: "a.csv", data: csv }, { name: "b.csv" }]),
      BILL_LIMITS,
      "x",
    );
    expect(entries.map((e) => [e.name, e.data.length])).toEqual([
      ["a.csv", csv.length],
      ["b.csv", 0],
    ]);
  });

  it("refuses past the size cap with FILE_TOO_LARGE_UNCOMPRESSED, past the ratio with ARCHIVE_RATIO_TOO_HIGH", async () => {
    const code = async (f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        return e instanceof AppError ? e.code : (e as Error).constructor.name;
      }
      return "passed";
    };
    // 5 MiB of base64 noise packs about 1.3×: over the size cap, far under the ratio.
    const lessPackable = gzipSync(Buffer.from(randomBytes(3_932_160).toString("base64")));
    expect(await code(() => gunzipCapped(lessPackable, { ...small, maxRatio: 1000 }, "x"))).toBe(
      "FILE_TOO_LARGE_UNCOMPRESSED",
    );
    expect(await code(() => gunzipCapped(gzipBomb(8), { ...small, maxBytes: 1e9 }, "x"))).toBe(
      "ARCHIVE_RATIO_TOO_HIGH",
    );
    expect(await code(() => unzipCapped(zipBomb(8), { ...small, maxBytes: 1e9 }, "x"))).toBe(
      "ARCHIVE_RATIO_TOO_HIGH",
    );
    expect(await code(() => unzipCapped(xlsxBomb(8), { ...XLSX_LIMITS, maxBytes: 1e9 }, "x"))).toBe(
      "ARCHIVE_RATIO_TOO_HIGH",
    );
    expect(await code(() => gunzipCapped(Buffer.from([0x1f, 0x8b, 1, 2]), small, "x"))).toBe(
      ArchiveInvalid.name,
    );
    expect(await code(() => unzipCapped(Buffer.from("PK\u0003\u0004 not really"), small, "x"))).toBe(
      ArchiveInvalid.name,
    );
  });
});
