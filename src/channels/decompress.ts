import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createInflateRaw, gunzipSync, inflateRawSync } from "node:zlib";
import { AppError } from "../domain/errors.ts";

/**
 * Everything we unpack — bills (gzip, Alipay's zip) and spreadsheets (an XLSX is a zip) — is unpacked
 * under two caps counted while it inflates: the unpacked size, and how many times bigger than the packed
 * file it gets. A decompression bomb (kilobytes that unpack to gigabytes) is refused after a few
 * megabytes of work instead of taking the process's memory.
 */

export interface UnpackLimits {
  /** The most bytes the whole file may unpack to. */
  maxBytes: number;
  /** The most times its packed size it may unpack to (beyond RATIO_FLOOR). */
  maxRatio: number;
}

const MiB = 1024 * 1024;
/** A day's refund bill: a few hundred bytes a refund; gzip and zip pack CSV 5–15×. */
export const BILL_LIMITS: UnpackLimits = { maxBytes: 128 * MiB, maxRatio: 100 };
/** Order history in XLSX: read as a stream, so bigger; sheet XML packs 5–30×. */
export const XLSX_LIMITS: UnpackLimits = { maxBytes: 1024 * MiB, maxRatio: 100 };
/** Unpacking to this much is harmless whatever the ratio (a short file of repeated text packs very well). */
const RATIO_FLOOR = MiB;
/** Compressed bytes fed to the inflater at a time: deflate's ≈1032× stays a few MB per step. */
const SLICE = 16 * 1024;
const MAX_ENTRIES = 10_000;

/** The file is not a readable archive; callers say so with their own code (BILL_MALFORMED, …). */
export class ArchiveInvalid extends Error {}

/** How many bytes a file of `packed` bytes may unpack to, and which cap sets it. */
function budget(packed: number, limits: UnpackLimits) {
  const byRatio = Math.max(RATIO_FLOOR, packed * limits.maxRatio);
  return byRatio < limits.maxBytes
    ? { bytes: byRatio, by: "ratio" as const }
    : { bytes: limits.maxBytes, by: "size" as const };
}

function refusal(what: string, packed: number, limits: UnpackLimits): AppError {
  const b = budget(packed, limits);
  return b.by === "size"
    ? new AppError(
        "FILE_TOO_LARGE_UNCOMPRESSED",
        `${what} unpacks to more than ${limits.maxBytes / MiB} MiB, the most accepted`,
        { maxBytes: limits.maxBytes },
      )
    : new AppError(
        "ARCHIVE_RATIO_TOO_HIGH",
        `${what} unpacks to more than ${limits.maxRatio} times its ${packed} bytes: refused as a decompression bomb`,
        { maxRatio: limits.maxRatio, packedBytes: packed },
      );
}

/** gunzip, stopping as soon as the output passes the budget. */
export function gunzipCapped(data: Uint8Array, limits: UnpackLimits, what: string): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: budget(data.length, limits).bytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
      throw refusal(what, data.length, limits);
    throw new ArchiveInvalid(`the gzip cannot be read: ${(e as Error).message}`);
  }
}

/** Random access to the packed bytes: a buffer or a file. */
interface Source {
  size: number;
  read(pos: number, len: number): Promise<Buffer>;
  chunks(start: number, end: number): AsyncIterable<Uint8Array>;
  /** Bytes in memory inflate in one call, stopping past `max` (undefined then): no stream to feed. */
  inflate?(start: number, end: number, max: number): Buffer | undefined;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const DESCRIPTOR = Buffer.from([0x50, 0x4b, 0x07, 0x08]);

/**
 * A zip's entries as a streaming reader sees them (unzipper, inside ExcelJS, reads this way): local
 * headers one after another from the start up to the central directory; an entry flagged with a data
 * descriptor and no size ends at the first descriptor signature. So what is counted here is what any of
 * our readers will inflate. Each entry is inflated under what is left of the budget; its bytes go to onData.
 */
async function walkZip(
  src: Source,
  limits: UnpackLimits,
  what: string,
  onData: (entry: number, name: string, chunk: Buffer) => void,
): Promise<string[]> {
  const allowed = budget(src.size, limits).bytes;
  const names: string[] = [];
  let out = 0;
  let pos = 0;
  for (;;) {
    const head = await src.read(pos, 30);
    const sig = head.length >= 4 ? head.readUInt32LE(0) : 0;
    if (sig === CENTRAL || sig === END) return names;
    if (sig !== LOCAL || head.length < 30) throw new ArchiveInvalid(`no zip entry at byte ${pos}`);
    if (names.length >= MAX_ENTRIES) throw new ArchiveInvalid(`more than ${MAX_ENTRIES} entries`);
    const flags = head.readUInt16LE(6);
    const method = head.readUInt16LE(8);
    const nameLen = head.readUInt16LE(26);
    const extraLen = head.readUInt16LE(28);
    const meta = await src.read(pos + 30, nameLen + extraLen);
    const name = meta.subarray(0, nameLen).toString("utf8");
    let size = head.readUInt32LE(18);
    if (size === 0xffffffff) size = zip64Size(meta.subarray(nameLen), head.readUInt32LE(22) === 0xffffffff);
    if (flags & 1) throw new ArchiveInvalid(`${name} is encrypted`);
    const start = pos + 30 + nameLen + extraLen;
    const known = !(flags & 8) || size > 0;
    const end = known ? start + size : await findDescriptor(src, start);
    if (end > src.size) throw new ArchiveInvalid(`${name} runs past the end of the file`);
    const index = names.push(name) - 1;
    const count = async (source: AsyncIterable<Buffer> | Iterable<Buffer>) => {
      for await (const chunk of source) {
        out += chunk.length;
        if (out > allowed) throw refusal(what, src.size, limits);
        onData(index, name, chunk);
      }
    };
    try {
      // Every method but "stored" is inflated, as the streaming readers do.
      if (method === 0) await pipeline(Readable.from(src.chunks(start, end)), count);
      else if (src.inflate) {
        const data = src.inflate(start, end, allowed - out);
        if (!data) throw refusal(what, src.size, limits);
        await count([data]);
      } else await pipeline(Readable.from(src.chunks(start, end)), createInflateRaw(), count);
    } catch (e) {
      if (e instanceof AppError || e instanceof ArchiveInvalid) throw e;
      throw new ArchiveInvalid(`${name} cannot be inflated: ${(e as Error).message}`);
    }
    pos = known ? end : end + 16;
  }
}

/** The compressed size from a zip64 extra field (header id 1: the sizes the header left at 0xffffffff). */
function zip64Size(extra: Buffer, hasOriginal: boolean): number {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    const at = i + 4 + (hasOriginal ? 8 : 0);
    if (id === 1 && at + 8 <= i + 4 + len && at + 8 <= extra.length) {
      const size = extra.readBigUInt64LE(at);
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArchiveInvalid("a zip64 size beyond reason");
      return Number(size);
    }
    i += 4 + len;
  }
  throw new ArchiveInvalid("a zip64 entry without its sizes");
}

/** Where the first data descriptor signature at or after `start` is. */
async function findDescriptor(src: Source, start: number): Promise<number> {
  let carry = Buffer.alloc(0);
  let at = start;
  for await (const chunk of src.chunks(start, src.size)) {
    const buf = Buffer.concat([carry, chunk]);
    const i = buf.indexOf(DESCRIPTOR);
    if (i >= 0) return at - carry.length + i;
    at += chunk.length;
    carry = buf.subarray(Math.max(0, buf.length - 3));
  }
  throw new ArchiveInvalid("an entry's data descriptor is missing");
}

function memorySource(buf: Uint8Array): Source {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    size: b.length,
    read: async (pos, len) => b.subarray(pos, Math.min(b.length, pos + len)),
    async *chunks(start, end) {
      for (let i = start; i < end; i += SLICE) yield b.subarray(i, Math.min(end, i + SLICE));
    },
    inflate(start, end, max) {
      try {
        return inflateRawSync(b.subarray(start, end), { maxOutputLength: Math.max(1, max) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return undefined;
        throw e;
      }
    },
  };
}

/** A zip in memory → its entries' contents, under the limits. */
export async function unzipCapped(
  data: Uint8Array,
  limits: UnpackLimits,
  what: string,
): Promise<{ name: string; data: Buffer }[]> {
  const parts: Buffer[][] = [];
  const names = await walkZip(memorySource(data), limits, what, (i, _name, chunk) => {
    if (parts[i]) parts[i].push(chunk);
    else parts[i] = [chunk];
  });
  return names.map((name, i) => ({ name, data: Buffer.concat(parts[i] ?? []) }));
}

/**
 * Read a zip file on disk entry by entry without keeping it (the check before ExcelJS streams an XLSX):
 * memory stays a few slices whatever the file's size. onData sees every unpacked chunk.
 */
export async function scanZipFile(
  path: string,
  limits: UnpackLimits,
  what: string,
  onData: (entry: number, name: string, chunk: Buffer) => void = () => {},
): Promise<string[]> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const src: Source = {
      size,
      async read(pos, len) {
        const buf = Buffer.alloc(Math.max(0, Math.min(len, size - pos)));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        return buf.subarray(0, bytesRead);
      },
      chunks: (start, end) =>
        end > start
          ? createReadStream(path, { start, end: end - 1, highWaterMark: SLICE })
          : (async function* () {})(),
    };
    return await walkZip(src, limits, what, onData);
  } finally {
    await fh.close();
  }
}

/** A channel API's answer is JSON or a form, never megabytes; the cap also bounds what fetch inflates. */
export const ANSWER_LIMIT = 16 * MiB;
export const readAnswer = async (res: Response) =>
  (await readBodyCapped(res, ANSWER_LIMIT, "the answer")).toString("utf8");

/** A response body, refused once it passes `maxBytes` (after any Content-Encoding fetch undid). */
export async function readBodyCapped(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let n = 0;
  if (res.body) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      n += chunk.length;
      // Leaving the loop cancels the download.
      if (n > maxBytes) {
        throw new AppError("FILE_TOO_LARGE_UNCOMPRESSED", `${what} is more than ${maxBytes / MiB} MiB`, {
          maxBytes,
        });
      }
      parts.push(chunk);
    }
  }
  return Buffer.concat(parts);
}
