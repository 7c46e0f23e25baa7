import { fail } from "../errors.ts";
import { isCurrency } from "../money.ts";
import { CODE_KINDS, type CodeKind, ONLINE_RETAIL_CODE_PREFIXES, ONLINE_RETAIL_CODES } from "./codes.ts";

/**
 * How a spreadsheet's columns map onto order lines (列映射). One row is one order line; rows with the
 * same order id form one order; refund rows form refunds (see docs/import.md).
 */
export const FIELDS = [
  "order", // the order id; on a refund row, the order refunded (may be empty: then it is inferred)
  "refund", // the refund's own id; a row with one is a refund row
  "sku",
  "title",
  "quantity",
  "unitPrice",
  "currency",
  "customer",
  "placedAt", // when ordered; on a refund row, when refunded
  "country",
] as const;
export type Field = (typeof FIELDS)[number];
export const REQUIRED_FIELDS: readonly Field[] = ["order", "sku", "quantity", "unitPrice", "placedAt"];
const REQUIRED = REQUIRED_FIELDS;

export interface ImportMapping {
  /** The column header that holds each field; order, sku, quantity, unitPrice and placedAt are required. */
  columns: Partial<Record<Field, string>>;
  /** The currency of rows without a currency column or cell. */
  currency?: string;
  /** The IANA zone of times written without an offset; default the installation's time zone. */
  timeZone?: string;
  /** Order ids starting with this are refunds of the same customer's earlier purchases (C invoices). */
  refundPrefix?: string;
  /** Order ids starting with a key are rejected whole, with the value as the reason. */
  rejectPrefixes?: Record<string, string>;
  /** Codes that are not goods, and prefixes of such codes (upper case). */
  codes?: Record<string, CodeKind>;
  codePrefixes?: Record<string, CodeKind>;
}

export const PRESETS: Readonly<Record<string, ImportMapping>> = {
  /** UCI Online Retail: InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country. */
  "online-retail": {
    columns: {
      order: "InvoiceNo",
      sku: "StockCode",
      title: "Description",
      quantity: "Quantity",
      placedAt: "InvoiceDate",
      unitPrice: "UnitPrice",
      customer: "CustomerID",
      country: "Country",
    },
    currency: "GBP",
    timeZone: "Europe/London",
    refundPrefix: "C",
    rejectPrefixes: { A: "bad_debt_adjustment" },
    codes: { ...ONLINE_RETAIL_CODES },
    codePrefixes: { ...ONLINE_RETAIL_CODE_PREFIXES },
  },
  /** The template in docs/import-template.csv. */
  generic: {
    columns: {
      order: "order_id",
      refund: "refund_id",
      sku: "sku",
      title: "title",
      quantity: "quantity",
      unitPrice: "unit_price",
      currency: "currency",
      customer: "customer",
      placedAt: "placed_at",
      country: "country",
    },
    codes: { SHIPPING: "shipping" },
  },
};

/** The preset whose columns are all in the header (Online Retail first), else generic. */
export function detectPreset(header: readonly string[]): string {
  const has = new Set(header);
  for (const [name, m] of Object.entries(PRESETS)) {
    if (Object.values(m.columns).every((c) => has.has(c))) return name;
  }
  return "generic";
}

const KEYS = new Set([
  "columns",
  "currency",
  "timeZone",
  "refundPrefix",
  "rejectPrefixes",
  "codes",
  "codePrefixes",
]);

const invalid = (message: string, details: Record<string, unknown> = {}): never =>
  fail("IMPORT_MAPPING_INVALID", message, details);

const stringMap = (v: unknown, what: string): Record<string, string> => {
  if (!v || typeof v !== "object" || Array.isArray(v)) invalid(`${what} must be an object`);
  for (const [k, x] of Object.entries(v as object)) {
    if (typeof x !== "string" || x === "") invalid(`${what}.${k} must be a non-empty string`);
  }
  return v as Record<string, string>;
};

/**
 * A preset with a merchant's mapping (JSON) laid over it: `columns`, `codes` and the other maps are
 * merged key by key; a column mapped to "" is unmapped. Anything malformed is IMPORT_MAPPING_INVALID.
 */
export function resolveMapping(preset: string, override?: unknown): ImportMapping {
  const base =
    (Object.hasOwn(PRESETS, preset) ? PRESETS[preset] : undefined) ??
    fail(
      "IMPORT_UNKNOWN_PRESET",
      `Unknown preset "${preset}"; use one of ${Object.keys(PRESETS).join(", ")}`,
      { preset, known: Object.keys(PRESETS) },
    );
  const m: ImportMapping = {
    ...base,
    columns: { ...base.columns },
    codes: { ...base.codes },
    codePrefixes: { ...base.codePrefixes },
  };
  if (override !== undefined) {
    if (!override || typeof override !== "object" || Array.isArray(override))
      invalid("The mapping must be a JSON object");
    const o = override as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !KEYS.has(k));
    if (unknown.length) invalid(`Unknown mapping keys: ${unknown.join(", ")}`, { keys: unknown });
    if (o.columns !== undefined) {
      if (!o.columns || typeof o.columns !== "object" || Array.isArray(o.columns))
        invalid("columns must be an object");
      for (const [field, col] of Object.entries(o.columns as object)) {
        if (!(FIELDS as readonly string[]).includes(field))
          invalid(`Unknown field "${field}" in columns; fields are ${FIELDS.join(", ")}`, { field });
        if (typeof col !== "string") invalid(`columns.${field} must be a column name`, { field });
        if (col === "") delete m.columns[field as Field];
        else m.columns[field as Field] = col;
      }
    }
    for (const k of ["currency", "timeZone", "refundPrefix"] as const) {
      if (o[k] !== undefined) {
        if (typeof o[k] !== "string" || o[k] === "") invalid(`${k} must be a non-empty string`);
        m[k] = o[k] as string;
      }
    }
    if (o.rejectPrefixes !== undefined) m.rejectPrefixes = stringMap(o.rejectPrefixes, "rejectPrefixes");
    for (const k of ["codes", "codePrefixes"] as const) {
      if (o[k] === undefined) continue;
      const codes = stringMap(o[k], k);
      for (const [code, kind] of Object.entries(codes)) {
        if (!(CODE_KINDS as readonly string[]).includes(kind))
          invalid(`${k}.${code}: "${kind}" is not one of ${CODE_KINDS.join(", ")}`, { code, kind });
        (m[k] as Record<string, CodeKind>)[code.toUpperCase()] = kind as CodeKind;
      }
    }
  }
  for (const f of REQUIRED) {
    if (!m.columns[f]) invalid(`The mapping names no column for "${f}"`, { field: f });
  }
  if (m.currency !== undefined && !isCurrency(m.currency))
    invalid(`Unknown currency "${m.currency}"`, { currency: m.currency });
  if (!m.columns.currency && !m.currency)
    invalid("The mapping needs a currency column or a fixed currency", { field: "currency" });
  if (m.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: m.timeZone });
    } catch {
      invalid(`Unknown time zone "${m.timeZone}"`, { timeZone: m.timeZone });
    }
  }
  return m;
}

/** Column indexes of the mapped fields in this header; a mapped column the file lacks is an error. */
export function columnIndexes(m: ImportMapping, header: readonly string[]): Partial<Record<Field, number>> {
  const trimmed = header.map((h) => h.trim().replace(/^\uFEFF/, ""));
  const out: Partial<Record<Field, number>> = {};
  for (const [field, col] of Object.entries(m.columns) as [Field, string][]) {
    const i = trimmed.indexOf(col);
    if (i < 0) {
      fail(
        "IMPORT_COLUMN_MISSING",
        `The file has no column "${col}" (mapped to ${field}); it has: ${trimmed.join(", ")}`,
        {
          field,
          column: col,
          header: trimmed,
        },
      );
    }
    out[field] = i;
  }
  return out;
}
