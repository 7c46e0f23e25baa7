import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import { AppError } from "../domain/errors.ts";
import { REJECT_REASONS } from "../domain/import/rows.ts";
import { type ImportProgress, type ImportResult, importOrders } from "../flows/import-orders.ts";
import { importRejects } from "../store/imports.ts";
import { readConfig } from "./config.ts";
import { usageError } from "./messages.ts";
import { openRuntime } from "./service.ts";

export const IMPORT_USAGE = `Usage: aftersales import orders <file.csv|file.xlsx> [options]

Imports order history: one row per order line; refund rows become closed refund_only cases with a
succeeded refund, or orphan refunds when no earlier purchase matches (docs/import.md).

Options:
  --shop ID          the shop the orders belong to (created as a manual shop if missing; default "imported")
  --preset NAME      online-retail | generic (default: chosen from the file's header)
  --mapping JSON     a column mapping laid over the preset: inline JSON or a path to a .json file
  --rejects FILE     where to write the rejected rows (default: <file>.rejects.csv next to the input)
  --batch N          orders and refunds per transaction (default 2000)

Killed midway, the same command resumes where it stopped; importing the same file again changes nothing.
The database options of \`aftersales\` apply (--data-dir, --database-url, DATA_DIR, DATABASE_URL).
`;

const HELP = "aftersales import help";

const OWN = ["shop", "preset", "mapping", "rejects", "batch"] as const;
type Own = Partial<Record<(typeof OWN)[number], string>>;

function split(argv: readonly string[]): { own: Own; rest: string[] } {
  const own: Own = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    const name = m?.[1] as (typeof OWN)[number] | undefined;
    if (!m || !name || !OWN.includes(name)) {
      rest.push(arg);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined)
      throw usageError(`--${name} needs a value`, "needs_value", { option: `--${name}` }, HELP);
    own[name] = value;
  }
  return { own, rest };
}

function readMapping(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const json = text.trim().startsWith("{") ? text : existsSync(text) ? readFileSync(text, "utf8") : undefined;
  if (json === undefined)
    throw new AppError("IMPORT_MAPPING_INVALID", `--mapping is neither JSON nor a readable file: ${text}`);
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new AppError("IMPORT_MAPPING_INVALID", `The mapping is not valid JSON: ${(e as Error).message}`);
  }
}

/** A progress bar on a terminal; plain lines every few seconds otherwise (logs, CI). */
function progressReporter(stream: NodeJS.WriteStream) {
  const t0 = performance.now();
  let lastLine = Number.NEGATIVE_INFINITY;
  // A resumed run starts part-way: its rate and ETA count from where it started.
  let from: { rows: number; bytes: number } | undefined;
  return {
    update(p: ImportProgress) {
      const now = performance.now();
      from ??= { rows: p.startRow, bytes: p.startByte };
      const secs = (now - t0) / 1000;
      const rate = secs > 0 ? (p.rowsRead - from.rows) / secs : 0;
      const frac = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
      const runFrac = (p.bytesRead - from.bytes) / Math.max(1, p.totalBytes - from.bytes);
      const eta = runFrac > 0 && frac < 1 ? (secs / runFrac) * (1 - runFrac) : 0;
      const etaText = `${Math.floor(eta / 60)}:${String(Math.round(eta % 60)).padStart(2, "0")}`;
      const pct = `${(frac * 100).toFixed(1).padStart(5)}%`;
      const stats = `${p.rowsRead.toLocaleString("en")} rows, ${Math.round(rate).toLocaleString("en")} rows/s, ETA ${etaText}`;
      if (stream.isTTY) {
        const width = 30;
        const done = Math.round(frac * width);
        stream.write(`\r[${"#".repeat(done)}${"-".repeat(width - done)}] ${pct}  ${stats}   `);
      } else if (now - lastLine >= 5000 || frac >= 1) {
        lastLine = now;
        stream.write(`import: ${pct.trim()} of bytes, ${stats}\n`);
      }
    },
    end() {
      if (stream.isTTY) stream.write("\n");
    },
  };
}

export async function runImport(argv: string[]): Promise<void> {
  const [what, ...args] = argv;
  if (what === "help" || what === "--help" || what === undefined) {
    console.log(IMPORT_USAGE);
    return;
  }
  if (what !== "orders")
    throw usageError(`Unknown import "${what}"`, "unknown_command", { command: `import ${what}` }, HELP);
  const { own, rest } = split(args);
  const { config, positionals } = readConfig(rest);
  const file = positionals[0];
  if (!file || positionals.length > 1) throw usageError("Give one file to import", "one_file", {}, HELP);
  const batch = own.batch === undefined ? undefined : Number(own.batch);
  if (batch !== undefined && (!Number.isSafeInteger(batch) || batch < 1))
    throw usageError(`--batch must be a positive whole number, got "${own.batch}"`, "positive_integer", {
      option: "--batch",
      value: own.batch,
    });
  const mapping = readMapping(own.mapping);
  const rt = await openRuntime({ ...config, paySandboxUrl: config.paySandboxUrl ?? "http://127.0.0.1:9" });
  const bar = progressReporter(process.stderr);
  // Ctrl-C stops after the batch in flight; the next run resumes from there.
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  try {
    const t0 = performance.now();
    const result = await importOrders(rt.ctx, {
      file,
      shop: own.shop ?? "imported",
      createShop: true,
      ...(own.preset ? { preset: own.preset } : {}),
      ...(mapping !== undefined ? { mapping } : {}),
      ...(batch ? { batchSize: batch } : {}),
      signal: abort.signal,
      onProgress: (p) => bar.update(p),
    });
    bar.end();
    const rejectsFile = own.rejects ?? `${file}.rejects.csv`;
    let written: string | undefined;
    if (result.rejectedRows > 0 && result.status !== "already_imported") {
      const rows = await importRejects(rt.store.db, result.importId);
      try {
        // The row's own cells follow its number and reason, so the file opens like the input.
        writeFileSync(
          rejectsFile,
          stringify([
            ["row", "reason", "message", "cells"],
            ...rows.map((r) => [String(r.row_no), r.reason, r.message, ...r.cells]),
          ]),
        );
        written = rejectsFile;
      } catch (e) {
        // The import itself is done and kept; only the copy of its rejected rows could not be written.
        console.error(
          `Could not write the rejected rows to ${rejectsFile} (${(e as Error).message}); they are kept with the import — give --rejects FILE to write them elsewhere.`,
        );
      }
    }
    console.log(summary(result, (performance.now() - t0) / 1000, written));
    if (result.status === "stopped") process.exitCode = 130;
  } finally {
    await rt.close();
  }
}

export function summary(r: ImportResult, seconds: number, rejectsFile?: string): string {
  const c = r.counts;
  const n = (x: number) => x.toLocaleString("en");
  const head =
    r.status === "already_imported"
      ? `This file was already imported (import ${r.importId}); nothing changed.`
      : r.status === "stopped"
        ? `Stopped after row ${n(c.rowsRead)}; run the same command to resume.`
        : `Imported ${r.format.toUpperCase()} (preset ${r.preset}) in ${seconds.toFixed(1)} s${r.resumedFromRow > 0 ? `, resumed after row ${n(r.resumedFromRow)}` : ""}.`;
  const lines = [
    head,
    `  rows read        ${n(c.rowsRead)}`,
    `  orders           ${n(c.ordersCreated)} new, ${n(c.ordersExisting)} already there`,
    `  refunds          ${n(c.refundsImported)} new, ${n(c.refundsExisting)} already there`,
    `  cases            ${n(c.cases)} (closed, refunded)`,
    `  orphan refunds   ${n(c.orphanRefunds)}`,
    `  rejected rows    ${n(r.rejectedRows)}`,
    ...r.rejected.map(
      (x) => `    ${x.reason.padEnd(28)} ${n(x.rows).padStart(7)}  ${REJECT_REASONS[x.reason] ?? ""}`,
    ),
  ];
  if (rejectsFile) lines.push(`  rejected rows with their reasons: ${rejectsFile}`);
  return lines.join("\n");
}
