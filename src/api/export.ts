import { stringify } from "csv-stringify/sync";
import ExcelJS from "exceljs";
import { formatMinor } from "../domain/money.ts";

/** A table to hand to finance as a file: column titles, and which columns are money. */
export interface ExportTable {
  name: string;
  columns: { key: string; title: string; money?: boolean }[];
  rows: Record<string, unknown>[];
  /** Every row's currency, so money columns are written in its units. */
  currencyKey?: string;
}

const cell = (t: ExportTable, row: Record<string, unknown>, key: string, money: boolean | undefined) => {
  const v = row[key];
  if (!money || typeof v !== "number") return v ?? "";
  return formatMinor(v, String(row[t.currencyKey ?? "currency"] ?? "CNY"));
};

/** CSV with a UTF-8 byte order mark, so Excel on a Chinese Windows opens 中文 headers right. */
export function toCsv(t: ExportTable): Buffer {
  const text = stringify(
    t.rows.map((r) => t.columns.map((c) => cell(t, r, c.key, c.money))),
    { header: true, columns: t.columns.map((c) => c.title) },
  );
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);
}

/** XLSX with money as numbers (two decimals shown), so finance can sum and pivot it. */
export async function toXlsx(t: ExportTable): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(t.name);
  ws.columns = t.columns.map((c) => ({
    header: c.title,
    key: c.key,
    width: Math.max(12, c.title.length + 4),
    ...(c.money ? { style: { numFmt: "#,##0.00" } } : {}),
  }));
  ws.getRow(1).font = { bold: true };
  for (const r of t.rows) {
    ws.addRow(
      Object.fromEntries(
        t.columns.map((c) => {
          const v = cell(t, r, c.key, c.money);
          return [c.key, c.money && typeof v === "string" ? Number(v) : v];
        }),
      ),
    );
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
