import { crc32, deflateRawSync } from "node:zlib";

/**
 * Decompression bombs for tests, built a megabyte at a time so the test process never holds what they
 * unpack to: a gzip, a zip (Alipay's bill) and an XLSX whose first sheet unpacks to `mib` MiB.
 */

const MiB = 1024 * 1024;

/**
 * `prefix` then `mib` MiB of one byte, deflated: ≈1 KB a MiB. Zeros unless given (a sheet needs XML-safe
 * filler). Each piece is compressed alone and ends byte-aligned and not final, so pieces chain.
 */
function deflated(
  mib: number,
  byte = 0,
  prefix = Buffer.alloc(0),
): { raw: Buffer; crc: number; size: number } {
  const piece = (b: Buffer) => deflateRawSync(b, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  const block = Buffer.alloc(MiB, byte);
  let crc = crc32(prefix);
  for (let i = 0; i < mib; i++) crc = crc32(block, crc);
  const one = piece(block);
  const raw = Buffer.concat([
    piece(prefix),
    ...Array.from({ length: mib }, () => one),
    deflateRawSync(Buffer.alloc(0)),
  ]);
  return { raw, crc, size: prefix.length + mib * MiB };
}

export function gzipBomb(mib: number): Buffer {
  const { raw, crc, size } = deflated(mib);
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(crc >>> 0, 0);
  tail.writeUInt32LE(size % 2 ** 32, 4);
  return Buffer.concat([head, raw, tail]);
}

interface Entry {
  name: string;
  data?: Buffer;
  /** Deflated content given as is (a bomb), with its CRC and size. */
  deflated?: { raw: Buffer; crc: number; size: number };
}

/** A zip of the entries, every one deflated, sizes in the local headers (as Excel and Alipay write). */
export function zip(entries: Entry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const d = e.deflated ?? {
      raw: deflateRawSync(e.data ?? Buffer.alloc(0)),
      crc: crc32(e.data ?? Buffer.alloc(0)),
      size: (e.data ?? Buffer.alloc(0)).length,
    };
    const name = Buffer.from(e.name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x800, 6);
    h.writeUInt16LE(8, 8);
    h.writeUInt32LE(d.crc >>> 0, 14);
    h.writeUInt32LE(d.raw.length, 18);
    h.writeUInt32LE(d.size % 2 ** 32, 22);
    h.writeUInt16LE(name.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(d.crc >>> 0, 16);
    c.writeUInt32LE(d.raw.length, 20);
    c.writeUInt32LE(d.size % 2 ** 32, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    locals.push(h, name, d.raw);
    centrals.push(c, name);
    offset += 30 + name.length + d.raw.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Alipay's bill zip with a detail CSV that unpacks to `mib` MiB. */
export const zipBomb = (mib: number) =>
  zip([{ name: "20880000000000000156_20261122_业务明细.csv", deflated: deflated(mib) }]);

/** An XLSX whose first sheet is a header row followed by `mib` MiB of spaces. */
export function xlsxBomb(mib: number): Buffer {
  const sheetHead = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
  );
  // The sheet: its opening, then the spaces (a parser reads them all before any row).
  const sheet = deflated(mib, 0x20, sheetHead);
  return zip([
    {
      name: "[Content_Types].xml",
      data: Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
      ),
    },
    {
      name: "xl/workbook.xml",
      data: Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
      ),
    },
    { name: "xl/worksheets/sheet1.xml", deflated: sheet },
  ]);
}
