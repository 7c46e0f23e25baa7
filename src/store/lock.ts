import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../domain/errors.ts";

/**
 * PGlite takes no lock on its directory and two processes opening it corrupt it silently, so the
 * embedded mode holds a lock file with its PID. A lock whose process is gone is stale and taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "aftersales.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, "utf8") === String(process.pid)) unlinkSync(path);
        } catch {}
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(readFileSync(path, "utf8"));
      if (holder && isAlive(holder)) {
        throw new AppError(
          "DATA_DIR_LOCKED",
          `The data directory ${dir} is in use by process ${holder}. Stop it first, or use PostgreSQL (DATABASE_URL) to run several processes.`,
          { pid: holder, dir },
        );
      }
      unlinkSync(path); // stale: its process died
    }
  }
  throw new AppError("DATA_DIR_LOCKED", `Could not lock ${dir}`, { dir });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
