import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Type } from "@fastify/type-provider-typebox";
import { AppError, fail } from "../../domain/errors.ts";
import { REJECT_REASONS } from "../../domain/import/rows.ts";
import type { FlowContext } from "../../flows/context.ts";
import { prepareImport, previewImport, rejectedRowsCsv } from "../../flows/import-orders.ts";
import { countImports, findImportById, listImports, rejectSummary } from "../../store/imports.ts";
import { canSeeShop, principal, roleMay } from "../auth.ts";
import type { App } from "../server.ts";

/**
 * 导入历史订单 over HTTP: the CSV or XLSX file is the request body; the import runs in the background in
 * this process (the same importer as `aftersales import orders`: resumable, idempotent) and is followed
 * as a job. Uploading the same file again resumes a stopped or failed import, or says it is done.
 */

const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV_TYPES = ["text/csv", "application/csv", "text/plain"];
/** An upload is streamed to a temporary file; bigger files are imported with the CLI. */
export const IMPORT_UPLOAD_LIMIT = 512 * 1024 * 1024;

type Row = NonNullable<Awaited<ReturnType<typeof findImportById>>>;

async function jobJson(ctx: FlowContext, r: Row) {
  const rejected = (await rejectSummary(ctx.db, r.id)).map((x) => ({
    reason: x.reason,
    rows: Number(x.rows),
    meaning: REJECT_REASONS[x.reason] ?? null,
  }));
  const completed = r.status === "completed";
  const total = r.rows_total;
  const fileSize = Number(r.file_size);
  const percent = completed
    ? 100
    : total
      ? Math.min(99.9, (100 * r.rows_done) / total)
      : fileSize > 0
        ? Math.min(99.9, (100 * Number(r.bytes_read)) / fileSize)
        : 0;
  // The current run's pace: rows since it began over the time to its last batch.
  const secs = r.run_started_at ? (r.updated_at.getTime() - r.run_started_at.getTime()) / 1000 : 0;
  const mapping = r.mapping as { preset?: string };
  return {
    id: r.id,
    shop: r.shop_id,
    fileName: r.file_name,
    format: r.format,
    preset: mapping.preset ?? null,
    fileSha256: r.file_sha256,
    state: r.status as "running" | "stopped" | "failed" | "completed",
    rows: { read: r.rows_done, total },
    bytes: { read: completed ? fileSize : Number(r.bytes_read), total: fileSize },
    percent: Math.round(percent * 10) / 10,
    rowsPerSecond: secs > 0 ? Math.round((r.rows_done - r.run_start_row) / secs) : null,
    resumedFromRow: r.run_start_row,
    counts: r.counts,
    rejected: { rows: rejected.reduce((a, x) => a + x.rows, 0), byReason: rejected },
    error: r.error,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
    rejectsUrl: `/api/v1/imports/${r.id}/rejects`,
  };
}

/** csv or xlsx from the Content-Type, or from the file name when the type says only "bytes". */
function formatOf(contentType: string | undefined, name: string | undefined): "csv" | "xlsx" {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === XLSX_TYPE) return "xlsx";
  if (CSV_TYPES.includes(type)) return "csv";
  const ext = name ? extname(name).toLowerCase() : "";
  if ((type === "application/octet-stream" || type === "") && (ext === ".csv" || ext === ".xlsx"))
    return ext === ".xlsx" ? "xlsx" : "csv";
  return fail(
    "IMPORT_FILE_TYPE_UNSUPPORTED",
    `Send the file as text/csv or ${XLSX_TYPE} (or application/octet-stream with a name ending .csv or .xlsx), not ${type || "no type"}`,
    { contentType: type, accepted: [...CSV_TYPES, XLSX_TYPE, "application/octet-stream"] },
  );
}

/** The request body to `file`, refused once it passes the limit (and before, when its length says so). */
async function saveUpload(body: unknown, declared: string | undefined, file: string) {
  const tooLarge = () =>
    new AppError("BODY_TOO_LARGE", `The file is larger than ${IMPORT_UPLOAD_LIMIT / 1024 / 1024} MiB`, {
      maxBytes: IMPORT_UPLOAD_LIMIT,
    });
  if (Number(declared) > IMPORT_UPLOAD_LIMIT) throw tooLarge();
  if (!(body instanceof Readable)) fail("IMPORT_EMPTY_FILE", "Send the file as the request body");
  let n = 0;
  await pipeline(
    body as Readable,
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        n += chunk.length;
        done(n > IMPORT_UPLOAD_LIMIT ? tooLarge() : null, chunk);
      },
    }),
    createWriteStream(file),
  );
  if (n === 0) fail("IMPORT_EMPTY_FILE", "The file is empty");
}

export async function importRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  // A file reaches the upload handler as a stream, whatever its type (the handler says which it takes);
  // JSON stays JSON, so the other routes here validate their bodies as everywhere else.
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser("*", (_req, payload, done) => done(null, payload));

  /** Imports running in this process: stopped (after the batch in flight) when the server closes. */
  const running = new Map<number, { abort: AbortController; done: Promise<void> }>();
  app.addHook("onClose", async () => {
    for (const job of running.values()) job.abort.abort();
    await Promise.allSettled([...running.values()].map((j) => j.done));
  });

  const load = async (id: number, shops: readonly string[] | null) => {
    const row = await findImportById(ctx.db, id);
    // Another shop's import is not there for this caller.
    if (!row || !(shops === null || shops.includes(row.shop_id)))
      fail("IMPORT_NOT_FOUND", `No import ${id}`, { id });
    return row as Row;
  };

  app.post(
    "/imports",
    {
      config: { permission: "imports.write", fileBody: true },
      schema: {
        tags: ["imports"],
        summary:
          "Import order history and its refunds: the CSV or XLSX file is the body; answers 202 with the job to follow (200 when this file was imported already)",
        querystring: Type.Object({
          shop: Type.String({ minLength: 1, maxLength: 64 }),
          preset: Type.Optional(Type.String({ maxLength: 64, description: "online-retail | generic" })),
          mapping: Type.Optional(
            Type.String({ maxLength: 16_384, description: "a column mapping, JSON (docs/import.md)" }),
          ),
          name: Type.Optional(Type.String({ maxLength: 255, description: "the file's name" })),
          batch: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          createShop: Type.Optional(
            Type.Boolean({ description: "create the shop (channel manual) if new; needs shops.write" }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const q = req.query;
      if (!canSeeShop(p, q.shop))
        fail("SHOP_FORBIDDEN", `This token may not use shop ${q.shop}`, { shop: q.shop });
      if (q.createShop && !(roleMay(p.role, "shops.write") && p.shops === null))
        fail("FORBIDDEN", "Creating a shop needs shops.write on a token for all shops", {
          permission: "shops.write",
        });
      const format = formatOf(req.headers["content-type"], q.name);
      let mapping: unknown;
      if (q.mapping !== undefined) {
        try {
          mapping = JSON.parse(q.mapping);
        } catch (e) {
          fail("IMPORT_MAPPING_INVALID", `The mapping is not valid JSON: ${(e as Error).message}`);
        }
      }
      const dir = await mkdtemp(join(tmpdir(), "aftersales-import-"));
      const cleanUp = () => rm(dir, { recursive: true, force: true });
      // Under its own name (messages name it), in a directory of its own.
      const safe = basename(q.name ?? "").replace(/[\\/]/g, "_");
      const file = join(dir, safe && safe !== "." && safe !== ".." ? safe : `upload.${format}`);
      try {
        await saveUpload(req.body, req.headers["content-length"], file);
        const abort = new AbortController();
        const prepared = await prepareImport(ctx, {
          file,
          format,
          fileName: q.name ?? `upload.${format}`,
          shop: q.shop,
          createShop: q.createShop === true,
          ...(q.preset ? { preset: q.preset } : {}),
          ...(mapping !== undefined ? { mapping } : {}),
          ...(q.batch ? { batchSize: q.batch } : {}),
          countRows: true,
          signal: abort.signal,
        });
        const id = prepared.importId;
        if (prepared.alreadyImported || running.has(id)) {
          await cleanUp();
          const job = await jobJson(ctx, await load(id, p.shops));
          return reply
            .status(prepared.alreadyImported ? 200 : 202)
            .send({ ...job, alreadyImported: prepared.alreadyImported });
        }
        // Its outcome is the job's state (completed, stopped or failed with the error), read over GET.
        const done = prepared
          .run()
          .then(
            () => {},
            (e) => req.log.warn({ err: e, importId: id }, "import stopped with an error"),
          )
          .finally(() => {
            running.delete(id);
            return cleanUp();
          });
        running.set(id, { abort, done });
        const job = await jobJson(ctx, await load(id, p.shops));
        return reply
          .status(202)
          .header("location", `/api/v1/imports/${id}`)
          .send({ ...job, alreadyImported: false });
      } catch (e) {
        await cleanUp();
        throw e;
      }
    },
  );

  app.post(
    "/imports/preview",
    {
      config: { permission: "imports.write", fileBody: true },
      schema: {
        tags: ["imports"],
        summary:
          "The file's header, first rows and the preset its header matches, to map its columns before importing; the body is the file (a CSV's beginning is enough); writes nothing",
        querystring: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 255, description: "the file's name" })),
        }),
      },
    },
    async (req) => {
      const format = formatOf(req.headers["content-type"], req.query.name);
      const dir = await mkdtemp(join(tmpdir(), "aftersales-preview-"));
      try {
        const file = join(dir, `upload.${format}`);
        await saveUpload(req.body, req.headers["content-length"], file);
        return await previewImport(file, format);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  app.get(
    "/imports",
    {
      config: { permission: "imports.write" },
      schema: {
        tags: ["imports"],
        summary: "Imports, newest first (this token's shops)",
        querystring: Type.Object({
          shop: Type.Optional(Type.String({ maxLength: 64 })),
          cursor: Type.Optional(Type.Integer({ minimum: 1 })),
          offset: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 1_000_000,
              description: "Skip this many (a page by number)",
            }),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const { shop, cursor, offset, limit = 50 } = req.query;
      const shops = shop ? (canSeeShop(p, shop) ? [shop] : []) : p.shops;
      const [rows, total] = await Promise.all([
        listImports(ctx.db, {
          shops,
          limit: limit + 1,
          ...(cursor ? { before: cursor } : {}),
          ...(offset ? { offset } : {}),
        }),
        countImports(ctx.db, shops),
      ]);
      const items = await Promise.all(rows.slice(0, limit).map((r) => jobJson(ctx, r)));
      return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null, total };
    },
  );

  app.get(
    "/imports/:id",
    {
      config: { permission: "imports.write" },
      schema: {
        tags: ["imports"],
        summary:
          "One import: state, rows read of the total, percent, rows/s, counts, rejected rows by reason, error",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req) => jobJson(ctx, await load(req.params.id, principal(req).shops)),
  );

  app.post(
    "/imports/:id/stop",
    {
      config: { permission: "imports.write" },
      schema: {
        tags: ["imports"],
        summary:
          "Stop an import this process runs, after the batch in flight; uploading the same file again resumes it",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req, reply) => {
      const row = await load(req.params.id, principal(req).shops);
      const job = running.get(row.id);
      if (!job)
        fail("IMPORT_NOT_RUNNING", `Import ${row.id} is not running here (${row.status})`, {
          id: row.id,
          state: row.status,
        });
      job?.abort.abort();
      return reply.status(202).send(await jobJson(ctx, row));
    },
  );

  app.get(
    "/imports/:id/rejects",
    {
      config: { permission: "imports.write" },
      schema: {
        tags: ["imports"],
        summary: "The rejected rows as CSV: row number, reason, message, then the row's own cells",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req, reply) => {
      const row = await load(req.params.id, principal(req).shops);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="import-${row.id}-rejects.csv"`)
        .send(await rejectedRowsCsv(ctx, row.id));
    },
  );
}
