import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { PassThrough } from "node:stream";
import { CsvError, parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import { ArchiveInvalid, scanZipFile, XLSX_LIMITS } from "../channels/decompress.ts";
import { AppError, fail } from "../domain/errors.ts";
import { buildOrder, type ImportedOrder } from "../domain/import/documents.ts";
import {
  columnIndexes,
  detectPreset,
  FIELDS,
  PRESETS,
  REQUIRED_FIELDS,
  resolveMapping,
} from "../domain/import/mapping.ts";
import { type CandidateLine, matchRefunds, type RefundDocument } from "../domain/import/refund-match.ts";
import { type ImportRow, type Rejected, rowReader, type SourceRow } from "../domain/import/rows.ts";
import { OPEN_INTERCEPTION_STATUSES } from "../domain/interception.ts";
import type { CaseState } from "../domain/lifecycle.ts";
import { formatMinor } from "../domain/money.ts";
import { deriveOrderStatus } from "../domain/order-status.ts";
import {
  beginRun,
  claimRefunds,
  endRun,
  type ImportedCase,
  importRejects,
  insertCustomers,
  insertImportedCases,
  insertOrders,
  insertOrphans,
  insertRejects,
  lockImport,
  orderStatusInputs,
  refundCandidates,
  rejectSummary,
  saveProgress,
  setRowsTotal,
  startImport,
  updateOrderRefunds,
} from "../store/imports.ts";
import { findShop } from "../store/orders.ts";
import { installationId } from "../store/refunds.ts";
import type { FlowContext } from "./context.ts";
import { canonical, fingerprint } from "./ingest-order.ts";
import { timeZone } from "./settings.ts";

/**
 * 导入历史订单: stream a CSV or XLSX file of order lines into orders, and its refunds into closed
 * refund_only cases with succeeded refunds (or orphan refunds), in batches of many orders per
 * transaction. Resumable: each batch's transaction also stores where the file is imported up to,
 * keyed by the shop and the file's SHA-256. Idempotent: orders by (shop, external id), refunds by
 * their document id. Rows that are not valid are stored with their reason; the import goes on.
 */

export interface ImportOptions {
  file: string;
  /** Default: from the file's extension (.xlsx, else CSV). */
  format?: "csv" | "xlsx";
  /** The name the import is recorded under; default the file's. */
  fileName?: string;
  /** Count the rows before importing, so progress can say "of N" (the service does; a CSV pass). */
  countRows?: boolean;
  shop: string;
  /** Create the shop (channel manual) when it does not exist yet. */
  createShop?: boolean;
  /** online-retail | generic; default: the preset whose columns the header has. */
  preset?: string;
  /** The merchant's mapping (parsed JSON), laid over the preset. */
  mapping?: unknown;
  /** Orders and refunds per transaction. */
  batchSize?: number;
  /** Stop after this many batches, as a killed import would (tests). */
  stopAfterBatches?: number;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportCounts {
  rowsRead: number;
  ordersCreated: number;
  ordersExisting: number;
  refundsImported: number;
  refundsExisting: number;
  cases: number;
  orphanRefunds: number;
}

export interface ImportProgress {
  /** Where this run started (a resumed import starts part-way). */
  startRow: number;
  startByte: number;
  bytesRead: number;
  totalBytes: number;
  rowsRead: number;
  batches: number;
  counts: ImportCounts;
}

export interface ImportResult {
  importId: number;
  status: "completed" | "stopped" | "already_imported";
  resumedFromRow: number;
  preset: string;
  format: "csv" | "xlsx";
  fileSha256: string;
  counts: ImportCounts;
  rejected: { reason: string; rows: number }[];
  rejectedRows: number;
}

/** Groups held back at a batch's end: an invoice split by a neighbour is still merged. */
const HOLD_BACK = 8;

const ZERO: ImportCounts = {
  rowsRead: 0,
  ordersCreated: 0,
  ordersExisting: 0,
  refundsImported: 0,
  refundsExisting: 0,
  cases: 0,
  orphanRefunds: 0,
};

interface Positioned extends SourceRow {
  /** Byte offset where the row starts (CSV), for resuming. */
  start: number;
}

interface Group {
  key: string;
  kind: "sale" | "refund";
  rows: ImportRow[];
  first: Positioned;
}

export interface PreparedImport {
  importId: number;
  /** The file was imported completely before: run() changes nothing. */
  alreadyImported: boolean;
  run(): Promise<ImportResult>;
}

export async function importOrders(ctx: FlowContext, opts: ImportOptions): Promise<ImportResult> {
  return (await prepareImport(ctx, opts)).run();
}

/**
 * Everything that can refuse the file before anything is written (unreadable, an XLSX bomb, no
 * header, a bad mapping, an unknown shop), then the import's record — new, or the one this file
 * already has, whose run resumes. run() imports.
 */
export async function prepareImport(ctx: FlowContext, opts: ImportOptions): Promise<PreparedImport> {
  const format = opts.format ?? (extname(opts.file).toLowerCase() === ".xlsx" ? "xlsx" : "csv");
  const fileName = opts.fileName ?? basename(opts.file);
  const size = (
    await stat(opts.file).catch(() =>
      fail("IMPORT_FILE_NOT_FOUND", `Cannot read ${opts.file}`, { file: opts.file }),
    )
  ).size;
  // ExcelJS unzips without a cap: an XLSX is unpacked once under ours first, counting its rows; a
  // CSV must be text.
  const rowsTotal = format === "xlsx" ? await checkXlsx(opts.file) : await checkCsv(opts.file);
  const sha256 = await fileHash(opts.file);
  const header = await readHeader(opts.file, format);
  if (!header) fail("IMPORT_EMPTY_FILE", `${opts.file} has no header row`, { file: opts.file });
  const preset = opts.preset ?? detectPreset(header as string[]);
  const mapping = resolveMapping(preset, opts.mapping);
  const idx = columnIndexes(mapping, header as string[]);
  const zone = mapping.timeZone ?? (await timeZone(ctx));
  const read = rowReader(mapping, idx, zone);

  // The shop after the mapping: a refused import leaves nothing behind.
  if (!(await findShop(ctx.db, opts.shop))) {
    if (!opts.createShop) fail("SHOP_NOT_FOUND", `Shop "${opts.shop}" does not exist`, { shop: opts.shop });
    await ctx.db
      .insertInto("shops")
      .values({ id: opts.shop, name: opts.shop, channel: "manual" })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
  }

  const started = await startImport(ctx.db, {
    shopId: opts.shop,
    sha256,
    fileName,
    fileSize: size,
    format,
    mapping: { preset, ...mapping },
    now: ctx.now(),
  });
  if (JSON.stringify(canonical(started.mapping)) !== JSON.stringify(canonical({ preset, ...mapping }))) {
    fail(
      "IMPORT_MAPPING_CHANGED",
      "This file was imported with another mapping; import it with the same one",
      {
        importId: started.id,
      },
    );
  }
  const counts: ImportCounts = { ...ZERO, ...(started.counts as Partial<ImportCounts>) };
  const result = async (status: ImportResult["status"]): Promise<ImportResult> => {
    const rejected = (await rejectSummary(ctx.db, started.id)).map((r) => ({
      reason: r.reason,
      rows: Number(r.rows),
    }));
    return {
      importId: started.id,
      status,
      resumedFromRow: started.rows_done,
      preset,
      format,
      fileSha256: sha256,
      counts,
      rejected,
      rejectedRows: rejected.reduce((a, r) => a + r.rows, 0),
    };
  };
  if (started.status === "completed")
    return { importId: started.id, alreadyImported: true, run: () => result("already_imported") };
  await beginRun(ctx.db, started.id, { now: ctx.now(), rowsTotal });

  const run = async (): Promise<ImportResult> => {
    if (opts.countRows && format === "csv" && started.rows_total === null)
      await setRowsTotal(ctx.db, started.id, await countCsvRows(opts.file));
    const installation = await installationId(ctx.db);
    const batchSize = opts.batchSize ?? 2000;
    const groups = new Map<string, Group>();
    const flushed = new Set<string>();
    let pending: (Rejected & { cells: readonly string[] })[] = [];
    let batches = 0;
    let bytesRead = Number(started.byte_offset);
    let lastRow = started.rows_done;
    let doneUpTo = started.rows_done;
    const cellsOf = new Map<number, readonly string[]>();

    const flush = async (take: Group[], boundary: { offset: number; rowsDone: number }, done: boolean) => {
      const orders: ImportedOrder[] = [];
      const docs: RefundDocument[] = [];
      const rejects: Rejected[] = [];
      for (const g of take) {
        if (g.kind === "sale") {
          const built = buildOrder(opts.shop, g.rows);
          rejects.push(...built.rejected);
          if (built.order) orders.push(built.order);
        } else {
          const first = g.rows[0] as ImportRow;
          const rows = g.rows.filter((r) => {
            if (r.currency === first.currency) return true;
            rejects.push({
              rowNo: r.rowNo,
              reason: "currency_mismatch",
              message: `currency ${r.currency}, not ${first.currency}`,
            });
            return false;
          });
          docs.push({
            doc: first.doc,
            customer: first.customer,
            at: first.at,
            currency: first.currency,
            orderRef: first.orderRef,
            rows,
          });
        }
      }
      const now = ctx.now();
      const due = pending.filter((r) => r.rowNo <= boundary.rowsDone);
      pending = pending.filter((r) => r.rowNo > boundary.rowsDone);
      await ctx.db.transaction().execute(async (tx) => {
        // Another process importing the same file moved it on since this one last wrote: stop, change nothing.
        const at = await lockImport(tx, started.id);
        if (at.status !== "running" || at.rows_done !== doneUpTo) {
          fail(
            "IMPORT_RUNNING_ELSEWHERE",
            "Another process is importing this file; let it finish or stop it first",
            {
              importId: started.id,
            },
          );
        }
        await insertCustomers(tx, [
          ...new Set(orders.flatMap((o) => (o.input.customer ? [o.input.customer.id] : []))),
        ]);
        const created = await insertOrders(
          tx,
          opts.shop,
          orders.map((o) => ({
            externalId: o.externalId,
            customerId: o.input.customer?.id ?? null,
            currency: o.normalized.currency,
            discountTotal: o.normalized.discountTotal,
            shippingFee: o.normalized.shippingFee,
            paidTotal: o.normalized.paidTotal,
            placedAt: o.input.placedAt as string,
            contentHash: fingerprint(o.input),
            country: o.country,
            lines: o.normalized.lines,
          })),
          now,
        );
        counts.ordersCreated += created.length;
        counts.ordersExisting += orders.length - created.length;

        const fresh = await claimRefunds(
          tx,
          opts.shop,
          started.id,
          docs.map((d) => d.doc),
        );
        const newDocs = docs.filter((d) => fresh.has(d.doc));
        counts.refundsImported += newDocs.length;
        counts.refundsExisting += docs.length - newDocs.length;
        if (newDocs.length > 0) {
          const pairs = <K extends string>(key: K, of: (d: RefundDocument) => string | null) => {
            const seen = new Map<string, Record<K | "sku", string>>();
            for (const d of newDocs) {
              const v = of(d);
              if (v === null) continue;
              for (const r of d.rows) {
                const sku = r.sku.toUpperCase();
                seen.set(`${v}\u0000${sku}`, { [key]: v, sku } as Record<K | "sku", string>);
              }
            }
            return [...seen.values()];
          };
          const cand = await refundCandidates(
            tx,
            opts.shop,
            pairs("customer", (d) => (d.orderRef ? null : d.customer)),
            pairs("order", (d) => d.orderRef),
          );
          const lines: CandidateLine[] = cand.lines.map((l) => ({
            lineId: l.line_id,
            lineNo: l.line_no,
            orderId: l.order_id,
            orderExternalId: l.external_id,
            currency: l.currency,
            customer: l.customer_id,
            sku: l.sku,
            at: l.placed_at ? new Date(l.placed_at).getTime() : 0,
            quantity: l.quantity,
            paid: l.paid,
            refundedQuantity: Number(l.refunded_qty),
            refundedAmount: Number(l.refunded_amount),
          }));
          const matched = matchRefunds(
            newDocs,
            lines,
            cand.shipping.map((s) => ({ orderId: s.id, left: Number(s.left) })),
          );
          const perDoc = new Map<string, number>();
          for (const c of matched.cases) perDoc.set(c.doc, (perDoc.get(c.doc) ?? 0) + 1);
          const cases: ImportedCase[] = matched.cases.map((c) => {
            const total = c.goods + c.shipping;
            const at = new Date(c.at).toISOString();
            return {
              externalId: (perDoc.get(c.doc) ?? 0) > 1 ? `${c.doc}/${c.orderExternalId}` : c.doc,
              orderId: c.orderId,
              customerId: c.customer,
              currency: c.currency,
              at,
              goods: c.goods,
              shipping: c.shipping,
              // The shape of a live refund's quote, so the case view shows imported refunds the same way.
              quote: {
                currency: c.currency,
                lines: c.items.map((i) => ({
                  lineId: i.lineId,
                  quantity: i.quantity,
                  amount: i.amount,
                  computed: i.amount,
                  paid: i.paid,
                  alreadyRefunded: i.alreadyRefunded,
                })),
                goods: c.goods,
                shipping: c.shipping,
                shippingComputed: c.shipping,
                deductions: [],
                cap: total,
                total,
                overridden: false,
                wholeOrder: false,
                imported: true,
              },
              note: `Imported from ${fileName}: refund ${c.doc} (row ${c.rows.join(", ")}), ${formatMinor(total, c.currency)} ${c.currency} refunded on ${at.slice(0, 10)}`,
              data: { importId: started.id, refund: c.doc, rows: c.rows, amount: total },
              items: c.items,
            };
          });
          counts.cases += await insertImportedCases(tx, opts.shop, installation, cases, now);
          counts.orphanRefunds += await insertOrphans(
            tx,
            opts.shop,
            started.id,
            matched.orphans.map((o) => ({
              externalId: `${o.doc}:${o.lineNo}`,
              customerId: o.customer,
              orderRef: o.orderRef,
              kind: o.kind,
              sku: o.sku,
              title: o.title,
              quantity: o.quantity,
              unitPrice: o.unitPrice,
              amount: o.amount,
              currency: o.currency,
              reason: o.reason,
              at: new Date(o.at).toISOString(),
            })),
          );
          // The orders those refunds went back on: refunded total and derived after-sales status, as a case step would.
          const delta = new Map<number, number>();
          for (const c of matched.cases)
            delta.set(c.orderId, (delta.get(c.orderId) ?? 0) + c.goods + c.shipping);
          const inputs = await orderStatusInputs(tx, [...delta.keys()], OPEN_INTERCEPTION_STATUSES);
          await updateOrderRefunds(
            tx,
            inputs.map((o) => {
              const refundedTotal = o.refunded_total + (delta.get(o.id) ?? 0);
              return {
                id: o.id,
                refundedTotal,
                status: deriveOrderStatus(o.statuses as CaseState[], refundedTotal, o.paid_total, {
                  openInterception: o.open_interception,
                }),
              };
            }),
            now,
          );
        }
        await insertRejects(tx, started.id, [
          ...due,
          ...rejects.map((r) => ({ ...r, cells: cellsOf.get(r.rowNo) ?? [] })),
        ]);
        counts.rowsRead = boundary.rowsDone;
        doneUpTo = boundary.rowsDone;
        await saveProgress(tx, started.id, {
          byteOffset: boundary.offset,
          bytesRead,
          rowsDone: boundary.rowsDone,
          counts: { ...counts },
          now,
          completed: done,
        });
      });
      for (const g of take) {
        flushed.add(g.key);
        for (const r of g.rows) cellsOf.delete(r.rowNo);
      }
      batches++;
      opts.onProgress?.({
        startRow: started.rows_done,
        startByte: Number(started.byte_offset),
        bytesRead,
        totalBytes: size,
        rowsRead: lastRow,
        batches,
        counts: { ...counts },
      });
    };

    const source =
      format === "csv" ? csvRows(opts.file, started) : xlsxRows(opts.file, started, (n) => (bytesRead = n));
    for await (const row of source) {
      lastRow = row.rowNo;
      if (format === "csv") bytesRead = row.end;
      if (row.cells.every((c) => c.trim() === "")) continue;
      const parsed = read(row);
      if ("reason" in parsed) {
        pending.push({ ...parsed, cells: row.cells });
        continue;
      }
      const key = `${parsed.kind}:${parsed.doc}`;
      if (flushed.has(key)) {
        pending.push({
          rowNo: row.rowNo,
          reason: "order_split",
          message: `rows of ${parsed.doc} come after it was imported, separated by other orders`,
          cells: row.cells,
        });
        continue;
      }
      let g = groups.get(key);
      if (!g) {
        g = { key, kind: parsed.kind, rows: [], first: row };
        groups.set(key, g);
      }
      g.rows.push(parsed);
      // Kept until the row's group is written: group-level rejections carry the row's cells.
      cellsOf.set(row.rowNo, row.cells);
      if (groups.size >= batchSize + HOLD_BACK) {
        const all = [...groups.values()];
        const take = all.slice(0, batchSize);
        const held = all[batchSize] as Group;
        for (const g2 of take) groups.delete(g2.key);
        await flush(take, { offset: held.first.start, rowsDone: held.first.rowNo - 1 }, false);
        if (
          opts.signal?.aborted ||
          (opts.stopAfterBatches !== undefined && batches >= opts.stopAfterBatches)
        ) {
          await endRun(ctx.db, started.id, { status: "stopped", now: ctx.now() });
          return result("stopped");
        }
      }
    }
    bytesRead = size;
    await flush([...groups.values()], { offset: format === "csv" ? size : 0, rowsDone: lastRow }, true);
    groups.clear();
    return result("completed");
  };

  return {
    importId: started.id,
    alreadyImported: false,
    async run() {
      try {
        return await run();
      } catch (e) {
        // Another process has this file: its job is running, not failed.
        if (e instanceof AppError && e.code === "IMPORT_RUNNING_ELSEWHERE") throw e;
        const error =
          e instanceof AppError
            ? { code: e.code, message: e.message }
            : { code: "INTERNAL", message: (e as Error).message };
        await endRun(ctx.db, started.id, { status: "failed", now: ctx.now(), error }).catch(() => {});
        throw e;
      }
    },
  };
}

/**
 * An XLSX is a zip: unpack it under the caps (a bomb is refused after a few MB, before ExcelJS, which
 * has none, sees it) and count the rows of its first sheet on the way (`<row` elements, header excluded).
 */
async function checkXlsx(file: string): Promise<number | null> {
  let sheet: number | undefined;
  let rows = 0;
  let tail = "";
  try {
    await scanZipFile(file, XLSX_LIMITS, "the XLSX file", (entry, name, chunk) => {
      if (sheet === undefined && /^xl\/worksheets\/sheet\d+\.xml$/.test(name)) sheet = entry;
      if (entry !== sheet) return;
      const text = tail + chunk.toString("latin1");
      rows += text.match(/<row[\s>]/g)?.length ?? 0;
      // A tag split between chunks is counted in the next one.
      const cut = text.lastIndexOf("<");
      tail = cut >= text.length - 5 ? text.slice(cut) : "";
      if (tail) rows -= /<row[\s>]/.test(tail) ? 1 : 0;
    });
  } catch (e) {
    if (e instanceof ArchiveInvalid)
      fail("IMPORT_FILE_INVALID", `${basename(file)} is not a readable XLSX file: ${e.message}`, {
        file: basename(file),
        format: "xlsx",
      });
    throw e;
  }
  return rows > 0 ? rows - 1 : null;
}

/** A CSV is text: a zip (an XLSX sent as CSV) or binary bytes are refused before they are parsed. */
async function checkCsv(file: string): Promise<null> {
  for await (const head of createReadStream(file, { start: 0, end: 4095 })) {
    const b = head as Buffer;
    if (b.subarray(0, 4).equals(Buffer.from("PK\u0003\u0004")))
      fail("IMPORT_FILE_INVALID", `${basename(file)} is a zip (an XLSX?), not CSV text`, {
        file: basename(file),
        format: "csv",
      });
    if (b.includes(0))
      fail("IMPORT_FILE_INVALID", `${basename(file)} is not CSV text (it has NUL bytes)`, {
        file: basename(file),
        format: "csv",
      });
    break;
  }
  return null;
}

/** What a person maps columns from: the header, the first rows, and the preset the header matches. */
export interface ImportPreview {
  format: "csv" | "xlsx";
  header: string[];
  /** The first rows under the header, as text. */
  sample: string[][];
  /** The preset whose columns the header has (else generic); `matches` says whether it has them all. */
  preset: { name: string; matches: boolean };
  presets: { name: string; columns: Partial<Record<string, string>>; currency: string | null }[];
  fields: { name: string; required: boolean }[];
}

/**
 * 导入预览: the header and first rows of a file (or, for CSV, of its beginning: a cut last line is not
 * read), checked as an import checks it first (an XLSX bomb, a CSV that is not text), writing nothing.
 */
export async function previewImport(
  file: string,
  format: "csv" | "xlsx",
  sampleRows = 5,
): Promise<ImportPreview> {
  if (format === "xlsx") await checkXlsx(file);
  else await checkCsv(file);
  const rows: string[][] = [];
  if (format === "xlsx") {
    for await (const row of xlsxRows(file, { rows_done: -1 }, () => {})) {
      rows.push([...row.cells]);
      if (rows.length > sampleRows) break;
    }
  } else {
    const input = createReadStream(file);
    const parser = input.pipe(
      parse({ bom: true, relax_column_count: true, skip_empty_lines: true, to: sampleRows + 1 }),
    );
    try {
      for await (const rec of parser) rows.push(rec as string[]);
    } catch (e) {
      // A beginning cut inside a row: the rows before it are the sample.
      if (rows.length === 0) unreadable(file, "csv", e);
    } finally {
      input.destroy();
    }
  }
  const [first, ...sample] = rows;
  const header = (first ?? []).map((c) => c.trim().replace(/^\uFEFF/, ""));
  if (header.every((c) => c === ""))
    fail("IMPORT_EMPTY_FILE", `${basename(file)} has no header row`, { file: basename(file) });
  const name = detectPreset(header);
  const has = new Set(header);
  return {
    format,
    header,
    sample,
    preset: { name, matches: Object.values(PRESETS[name]?.columns ?? {}).every((c) => has.has(c)) },
    presets: Object.entries(PRESETS).map(([n, m]) => ({
      name: n,
      columns: { ...m.columns },
      currency: m.currency ?? null,
    })),
    fields: FIELDS.map((f) => ({ name: f, required: REQUIRED_FIELDS.includes(f) })),
  };
}

/** The rows under a CSV's header, as the importer numbers them. */
async function countCsvRows(file: string): Promise<number> {
  let n = -1;
  for await (const _ of createReadStream(file).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true }),
  ))
    n++;
  return Math.max(0, n);
}

/** The rejected rows as the CLI writes them and the API serves them: row, reason, message, the row's cells. */
export async function rejectedRowsCsv(ctx: FlowContext, importId: number): Promise<string> {
  const rows = await importRejects(ctx.db, importId);
  return stringify([
    ["row", "reason", "message", "cells"],
    ...rows.map((r) => [String(r.row_no), r.reason, r.message, ...r.cells]),
  ]);
}

async function fileHash(file: string) {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** A file the CSV parser or ExcelJS cannot read is the merchant's to fix: a code, not a crash. */
function unreadable(file: string, format: "csv" | "xlsx", e: unknown): never {
  if (e instanceof AppError) throw e;
  if (e instanceof CsvError || e instanceof Error)
    fail("IMPORT_FILE_INVALID", `${basename(file)} cannot be read: ${e.message}`, {
      file: basename(file),
      format,
    });
  throw e;
}

async function readHeader(file: string, format: "csv" | "xlsx"): Promise<string[] | undefined> {
  if (format === "xlsx") {
    for await (const row of xlsxRows(file, { rows_done: -1 }, () => {})) return [...row.cells];
    return undefined;
  }
  const input = createReadStream(file);
  const parser = input.pipe(parse({ bom: true, relax_column_count: true, to: 1 }));
  try {
    for await (const rec of parser) return (rec as string[]).map((c) => c.trim());
  } catch (e) {
    unreadable(file, "csv", e);
  } finally {
    input.destroy();
  }
  return undefined;
}

/** CSV rows from where the import stopped: a byte offset, so resuming seeks instead of re-reading. */
async function* csvRows(
  file: string,
  from: { byte_offset: number; rows_done: number },
): AsyncGenerator<Positioned & { end: number }> {
  const offset = Number(from.byte_offset);
  const parser = createReadStream(file, { start: offset }).pipe(
    parse({ bom: offset === 0, relax_column_count: true, info: true, skip_empty_lines: true }),
  );
  let rowNo = from.rows_done;
  let start = offset;
  let header = offset === 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      const end = offset + rec.info.bytes;
      if (header) {
        header = false;
        start = end;
        continue;
      }
      rowNo++;
      yield { rowNo, cells: rec.record, start, end };
      start = end;
    }
  } catch (e) {
    unreadable(file, "csv", e);
  }
}

/**
 * XLSX rows of the first worksheet, streamed (ExcelJS's reader; the zip is read as it arrives).
 * A resumed XLSX import re-reads the rows before where it stopped without importing them.
 * `rows_done` -1 yields the header row too.
 */
async function* xlsxRows(
  file: string,
  from: { rows_done: number },
  onBytes: (n: number) => void,
): AsyncGenerator<Positioned & { end: number }> {
  const { default: ExcelJS } = await import("exceljs");
  let bytes = 0;
  const counted = new PassThrough();
  const input = createReadStream(file);
  input.on("data", (c) => {
    bytes += (c as Buffer).length;
    onBytes(bytes);
  });
  input.pipe(counted);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(counted, {
    worksheets: "emit",
    sharedStrings: "cache",
    hyperlinks: "ignore",
    styles: "cache",
    entries: "ignore",
  });
  try {
    for await (const sheet of reader) {
      let rowNo = -1;
      for await (const row of sheet as AsyncIterable<import("exceljs").Row>) {
        rowNo++;
        if (rowNo <= from.rows_done) continue;
        yield { rowNo, cells: cellTexts(row), start: 0, end: 0 };
      }
      return; // the first worksheet only
    }
  } catch (e) {
    unreadable(file, "xlsx", e);
  } finally {
    input.destroy();
  }
}

/** A row's cells as text, the way a CSV export would write them. */
function cellTexts(row: import("exceljs").Row): string[] {
  const out: string[] = [];
  const values = row.values as unknown[];
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    out.push(
      v === null || v === undefined
        ? ""
        : v instanceof Date
          ? v.toISOString().slice(0, 19).replace("T", " ")
          : typeof v === "object"
            ? String(
                (v as { result?: unknown; text?: unknown }).result ?? (v as { text?: unknown }).text ?? "",
              )
            : String(v),
    );
  }
  return out;
}
