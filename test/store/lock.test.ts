import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lockDataDir } from "../../src/store/lock.ts";

const dir = mkdtempSync(join(tmpdir(), "aftersales-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("embedded data directory lock", () => {
  it("refuses a second holder with a clear error, and frees the directory on release", () => {
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrowError(
      expect.objectContaining({
        code: "DATA_DIR_LOCKED",
        message: expect.stringContaining(String(process.pid)),
      }),
    );
    release();
    lockDataDir(dir)();
  });

  it("takes over a lock left by a process that died", () => {
    writeFileSync(join(dir, "aftersales.lock"), "999999999");
    const release = lockDataDir(dir);
    release();
  });
});
