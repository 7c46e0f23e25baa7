import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_DIR } from "../../src/api/console.ts";
import { type App, buildServer } from "../../src/api/server.ts";

const noDb = { db: undefined } as never;
let app: App;

// test/global-setup.ts built the console.
beforeAll(async () => {
  app = await buildServer({ ctx: noDb, dbKind: "pglite" });
});
afterAll(() => app.close());

describe("the console at /", () => {
  it("answers every page address with the console, so a reloaded /cases/42 opens there", async () => {
    for (const url of ["/", "/queue", "/cases/42", "/settings/users?x=1"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).toContain('<div id="root">');
      expect(res.headers["cache-control"]).toBe("no-cache");
      // Nothing runs inline and nothing comes from elsewhere.
      expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    }
  });

  it("serves its scripts compressed and cached for good, from this server only", async () => {
    const page = (await app.inject({ method: "GET", url: "/" })).body;
    const scripts = [...page.matchAll(/src="([^"]+)"/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src.startsWith("/assets/"), src).toBe(true);
      const res = await app.inject({ method: "GET", url: src, headers: { "accept-encoding": "br" } });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-encoding"]).toBe("br");
      expect(res.headers["cache-control"]).toContain("immutable");
      expect(brotliDecompressSync(res.rawPayload).length).toBeGreaterThan(res.rawPayload.length);
    }
    expect(page).not.toMatch(/https?:\/\//);
  });

  it("keeps API addresses answering as the API does", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/no-such-thing" });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe("ROUTE_NOT_FOUND");
    const post = await app.inject({ method: "POST", url: "/queue", payload: {} });
    expect(post.statusCode).toBe(404);
    expect(post.json().code).toBe("ROUTE_NOT_FOUND");
  });

  it("says how to build it when it has not been built", async () => {
    const empty = mkdtempSync(join(tmpdir(), "console-"));
    writeFileSync(join(empty, "README"), "not a build");
    const bare = await buildServer({ ctx: noDb, dbKind: "pglite", consoleDir: empty });
    const res = await bare.inject({ method: "GET", url: "/queue" });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("npm start");
    await bare.close();
    expect(CONSOLE_DIR.endsWith(join("web", "dist"))).toBe(true);
  });
});
