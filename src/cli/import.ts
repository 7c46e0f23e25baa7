import { createReadStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { Readable } from "node:stream";
import { AppError } from "../domain/errors.ts";
import { REJECT_REASONS } from "../domain/import/rows.ts";
import {
  type ImportCounts,
  type ImportProgress,
  type ImportResult,
  importOrders,
  rejectedRowsCsv,
} from "../flows/import-orders.ts";
import { readConfig } from "./config.ts";
import { localOrService, type ServiceClient } from "./local-service.ts";
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
  if (what === "help" || what === undefined || argv.includes("--help") || argv.includes("-h")) {
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
  const opts = {
    file,
    shop: own.shop ?? "imported",
    ...(own.preset ? { preset: own.preset } : {}),
    ...(mapping !== undefined ? { mapping } : {}),
    ...(batch ? { batchSize: batch } : {}),
  };
  // The running service holds the embedded database: the same import goes through its API.
  const opened = await localOrService(config, () =>
    openRuntime({ ...config, paySandboxUrl: config.paySandboxUrl ?? "http://127.0.0.1:9" }),
  );
  const bar = progressReporter(process.stderr);
  // Ctrl-C stops after the batch in flight; the next run resumes from there.
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  const t0 = performance.now();
  const finish = async (result: ImportResult, rejectsCsv: () => Promise<string>) => {
    bar.end();
    const rejectsFile = own.rejects ?? `${file}.rejects.csv`;
    let written: string | undefined;
    if (result.rejectedRows > 0 && result.status !== "already_imported") {
      const csv = await rejectsCsv();
      try {
        // The row's own cells follow its number and reason, so the file opens like the input.
        writeFileSync(rejectsFile, csv);
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
  };
  if (opened.service) {
    const svc = opened.service;
    const result = await importThroughService(svc, {
      ...opts,
      signal: abort.signal,
      onProgress: (p) => bar.update(p),
    });
    await finish(result, () => svc.request<string>("GET", `/api/v1/imports/${result.importId}/rejects`));
    return;
  }
  const rt = opened.local;
  try {
    const result = await importOrders(rt.ctx, {
      ...opts,
      createShop: true,
      signal: abort.signal,
      onProgress: (p) => bar.update(p),
    });
    await finish(result, () => rejectedRowsCsv(rt.ctx, result.importId));
  } finally {
    await rt.close();
  }
}

/** An import job as GET /api/v1/imports/{id} answers (the fields the CLI prints). */
interface Job {
  id: number;
  state: "running" | "stopped" | "failed" | "completed";
  preset: string;
  format: "csv" | "xlsx";
  fileSha256: string;
  rows: { read: number; total: number | null };
  bytes: { read: number; total: number };
  resumedFromRow: number;
  counts: Partial<ImportCounts>;
  rejected: { rows: number; byReason: { reason: string; rows: number }[] };
  error: { code: string; message: string } | null;
  alreadyImported?: boolean;
}

const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/**
 * The import as the service runs it: the file uploaded (POST /api/v1/imports), then its job followed
 * until it ends, its progress shown as a local import's; Ctrl-C asks the service to stop it.
 */
async function importThroughService(
  svc: ServiceClient,
  o: {
    file: string;
    shop: string;
    preset?: string;
    mapping?: unknown;
    batchSize?: number;
    signal: AbortSignal;
    onProgress: (p: ImportProgress) => void;
  },
): Promise<ImportResult> {
  const format = extname(o.file).toLowerCase() === ".xlsx" ? "xlsx" : "csv";
  if (!existsSync(o.file))
    throw new AppError("IMPORT_FILE_NOT_FOUND", `Cannot read ${o.file}`, { file: o.file });
  let job = await svc.request<Job>("POST", "/api/v1/imports", {
    query: {
      shop: o.shop,
      createShop: true,
      preset: o.preset,
      mapping: o.mapping === undefined ? undefined : JSON.stringify(o.mapping),
      batch: o.batchSize,
      name: basename(o.file),
    },
    body: Readable.toWeb(createReadStream(o.file)) as ReadableStream,
    type: format === "xlsx" ? XLSX_TYPE : "text/csv",
  });
  const alreadyImported = job.alreadyImported === true;
  const startByte = job.bytes.read;
  const progress = (j: Job) =>
    o.onProgress({
      startRow: j.resumedFromRow,
      startByte,
      bytesRead: j.bytes.read,
      totalBytes: j.bytes.total,
      rowsRead: j.rows.read,
      batches: 0,
      counts: { ...ZERO, ...j.counts },
    });
  let stopAsked = false;
  while (job.state === "running") {
    progress(job);
    if (o.signal.aborted && !stopAsked) {
      stopAsked = true;
      await svc.request("POST", `/api/v1/imports/${job.id}/stop`).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 500));
    job = await svc.request<Job>("GET", `/api/v1/imports/${job.id}`);
  }
  if (job.state === "failed") {
    const err = job.error ?? { code: "INTERNAL", message: "The import failed" };
    throw new AppError(err.code, err.message, { importId: job.id });
  }
  if (!alreadyImported) progress(job);
  return {
    importId: job.id,
    status: alreadyImported ? "already_imported" : job.state === "stopped" ? "stopped" : "completed",
    resumedFromRow: job.resumedFromRow,
    preset: job.preset,
    format: job.format,
    fileSha256: job.fileSha256,
    counts: { ...ZERO, ...job.counts },
    rejected: job.rejected.byReason.map((r) => ({ reason: r.reason, rows: r.rows })),
    rejectedRows: job.rejected.rows,
  };
}

const ZERO: ImportCounts = {
  rowsRead: 0,
  ordersCreated: 0,
  ordersExisting: 0,
  refundsImported: 0,
  refundsExisting: 0,
  cases: 0,
  orphanRefunds: 0,
};

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
