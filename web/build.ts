/**
 * Builds the console into web/dist when its sources changed since the last build (npm start and npm test
 * run this first): a fingerprint of every input is kept in dist/.source-hash, so an unchanged tree starts
 * at once. Prints the build time and what a first visit downloads (gzip).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const WEB = import.meta.dirname;
const ROOT = join(WEB, "..");
const DIST = join(WEB, "dist");
const HASH_FILE = join(DIST, ".source-hash");
/** Raise when how the build is made changes, so earlier builds count as stale. */
const BUILD_FORMAT = 2;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Every input of the build: sources, the page, the config and the locked dependency versions. */
export function sourceHash(): string {
  const inputs = [
    ...files(join(WEB, "src")),
    join(WEB, "index.html"),
    join(WEB, "vite.config.ts"),
    join(ROOT, "package-lock.json"),
  ].sort();
  const h = createHash("sha256").update(`${BUILD_FORMAT}\0`);
  for (const f of inputs) h.update(relative(ROOT, f)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex");
}

interface ManifestChunk {
  file: string;
  css?: string[];
  imports?: string[];
  isEntry?: boolean;
}

function manifest(): Record<string, ManifestChunk> {
  return JSON.parse(readFileSync(join(DIST, ".vite", "manifest.json"), "utf8")) as Record<
    string,
    ManifestChunk
  >;
}

/** The files the given chunks need, their static imports and CSS included, and their size. */
function closure(m: Record<string, ManifestChunk>, keys: string[]) {
  const seen = new Set<string>();
  const out = new Set<string>(["index.html"]);
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const c = m[key];
    if (!c) return;
    out.add(c.file);
    for (const css of c.css ?? []) out.add(css);
    for (const i of c.imports ?? []) visit(i);
  };
  for (const k of keys) visit(k);
  let gzipBytes = 0;
  let rawBytes = 0;
  for (const f of out) {
    const body = readFileSync(join(DIST, f));
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  return { files: [...out], gzipBytes, rawBytes };
}

const entries = (m: Record<string, ManifestChunk>) =>
  Object.entries(m)
    .filter(([, c]) => c.isEntry)
    .map(([k]) => k);

/** What the browser fetches before the first screen shows: the entry, its static imports and their CSS. */
export function firstLoad(): { files: string[]; gzipBytes: number; rawBytes: number } {
  const m = manifest();
  return closure(m, entries(m));
}

/**
 * What a first visit straight to each screen downloads: the entry and the screen's own code (each screen
 * is loaded when first opened), gzip. `node web/build.ts --sizes` prints it.
 */
export function screenLoads(): { screen: string; gzipBytes: number; rawBytes: number }[] {
  const m = manifest();
  return Object.keys(m)
    .filter((k) => /^src\/console\/.*index\.tsx$/.test(k))
    .sort()
    .map((k) => {
      const { gzipBytes, rawBytes } = closure(m, [...entries(m), k]);
      return {
        screen: k.replace(/^src\/console\//, "").replace(/\/?index\.tsx$/, "") || "/",
        gzipBytes,
        rawBytes,
      };
    });
}

/** Brotli and gzip copies of every text file, served as they are (src/api/console.ts). */
function precompress() {
  for (const f of files(DIST)) {
    if (!/\.(js|css|html|svg|json)$/.test(f)) continue;
    const body = readFileSync(f);
    writeFileSync(`${f}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    writeFileSync(`${f}.gz`, gzipSync(body, { level: 9 }));
  }
}

/** Chunks no build has written for a day: no open page can still ask for them. */
function pruneOldAssets() {
  const dir = join(DIST, "assets");
  const dayAgo = Date.now() - 86_400_000;
  for (const f of existsSync(dir) ? files(dir) : []) if (statSync(f).mtimeMs < dayAgo) rmSync(f);
}

export async function buildConsole({ force = false } = {}): Promise<"fresh" | "built"> {
  const hash = sourceHash();
  if (!force && existsSync(HASH_FILE) && readFileSync(HASH_FILE, "utf8") === hash) return "fresh";
  const started = performance.now();
  const { build } = await import("vite");
  // A production build even when run from the tests (vitest sets NODE_ENV=test, which Vite would follow
  // and bundle React's and Ant Design's development builds).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: join(WEB, "vite.config.ts"), logLevel: "warn", mode: "production" });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  precompress();
  pruneOldAssets();
  writeFileSync(HASH_FILE, hash);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const load = firstLoad();
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const total = files(DIST)
    .filter((f) => !/\.(br|gz)$/.test(f))
    .reduce((s, f) => s + statSync(f).size, 0);
  console.log(
    `Console built in ${seconds} s: a first visit downloads ${kb(load.gzipBytes)} gzip (${kb(load.rawBytes)} raw, ${load.files.length} files); ${kb(total)} in all`,
  );
  return "built";
}

if (import.meta.main) {
  await buildConsole({ force: process.argv.includes("--force") });
  if (process.argv.includes("--sizes"))
    for (const s of screenLoads())
      console.log(
        `${s.screen.padEnd(36)} ${(s.gzipBytes / 1024).toFixed(0).padStart(5)} KB gzip  ${(s.rawBytes / 1024).toFixed(0).padStart(6)} KB raw`,
      );
}
