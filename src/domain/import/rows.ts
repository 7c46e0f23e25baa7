import { AppError } from "../errors.ts";
import { isCurrency, parseMinor } from "../money.ts";
import { type CodeKind, codeKind } from "./codes.ts";
import type { Field, ImportMapping } from "./mapping.ts";

/** One data row of the file, as read: its number (1 = the first row under the header) and cells. */
export interface SourceRow {
  rowNo: number;
  cells: readonly string[];
}

/** A row that became part of an order (sale) or of a refund. */
export interface ImportRow {
  rowNo: number;
  kind: "sale" | "refund";
  /** The document the row belongs to: the order id, or the refund id. */
  doc: string;
  /** Refund rows: the order they say they refund, when the file names one. */
  orderRef: string | null;
  sku: string;
  title: string;
  code: CodeKind;
  /** Always positive; a refund row's units going back. */
  quantity: number;
  unitPrice: number;
  currency: string;
  customer: string | null;
  /** Epoch milliseconds. */
  at: number;
  country: string | null;
}

export interface Rejected {
  rowNo: number;
  reason: string;
  message: string;
}

/** Reasons a row is not imported, with what they mean (docs/import.md lists them too). */
export const REJECT_REASONS: Readonly<Record<string, string>> = {
  missing_order_id: "no order id",
  missing_sku: "no stock code / SKU",
  invalid_quantity: "the quantity is not a whole number other than zero",
  invalid_price: "the unit price is not a decimal number",
  price_precision: "the unit price has more decimals than the currency",
  zero_price: "a price of zero",
  negative_price: "a negative price",
  negative_quantity: "a negative quantity on an order that is not a refund",
  positive_quantity_on_refund: "a positive quantity on a refund",
  missing_date: "no date",
  invalid_date: "the date is not a date",
  unknown_currency: "an unknown currency",
  currency_mismatch: "a currency other than the rest of its order's",
  bad_debt_adjustment: "a bad-debt adjustment, not an order",
  merchant_fee: "the merchant's own fee (marketplace, bank, commission), not customer money",
  discount_on_sale: "a discount code on a sale",
  order_split: "rows of this order come after it was imported, separated by other orders",
};

const cell = (r: SourceRow, i: number | undefined) => (i === undefined ? "" : (r.cells[i] ?? "").trim());

// Spreadsheets write ids as floats ("17850.0"); the id is the whole number.
const wholeId = (s: string) => s.replace(/^(\d+)\.0+$/, "$1");

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Epoch milliseconds of a date-time text: ISO with an offset as written, or a wall-clock time
 * ("2010-12-01 08:26:00", "2010-12-01") in `zone`. Undefined when it is not one.
 */
export function parseTime(
  text: string,
  zone: string,
  offsets = new Map<string, number>(),
): number | undefined {
  if (WITH_OFFSET.test(text)) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : t;
  }
  const m = NAIVE.exec(text) ?? DATE_ONLY.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? "0")) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(wall);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  // The zone's offset at that wall time, computed once per hour of wall time.
  const key = `${zone}|${Math.floor(wall / 3_600_000)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = zoneOffset(wall, zone);
    offset = zoneOffset(wall - offset, zone);
    offsets.set(key, offset);
  }
  return wall - offset;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** How far the zone's wall clock is ahead of UTC at the instant `t`, in milliseconds. */
function zoneOffset(t: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  const wall = Date.UTC(
    +(p.year ?? 0),
    +(p.month ?? 1) - 1,
    +(p.day ?? 1),
    +(p.hour ?? 0),
    +(p.minute ?? 0),
    +(p.second ?? 0),
  );
  return wall - Math.floor(t / 1000) * 1000;
}

/** A row reader for one mapping and header: cells in, an ImportRow or the reason it is rejected out. */
export function rowReader(m: ImportMapping, idx: Partial<Record<Field, number>>, zone: string) {
  const offsets = new Map<string, number>();
  // An invoice's rows share their time: parse each distinct text once.
  let lastTime = "";
  let lastAt: number | undefined;
  const codes = m.codes ?? {};
  const prefixes = m.codePrefixes ?? {};
  const rejectPrefixes = Object.entries(m.rejectPrefixes ?? {});
  return (r: SourceRow): ImportRow | Rejected => {
    const reject = (reason: string, detail = ""): Rejected => ({
      rowNo: r.rowNo,
      reason,
      message: `${REJECT_REASONS[reason] ?? reason}${detail ? `: ${detail}` : ""}`,
    });
    const order = cell(r, idx.order);
    const refundId = cell(r, idx.refund);
    const isRefund =
      refundId !== "" || (m.refundPrefix !== undefined && order.startsWith(m.refundPrefix) && order !== "");
    const doc = refundId || order;
    if (!doc) return reject("missing_order_id");
    for (const [prefix, reason] of rejectPrefixes) if (order.startsWith(prefix)) return reject(reason, order);
    const sku = cell(r, idx.sku);
    if (!sku) return reject("missing_sku");
    const code = codeKind(sku, codes, prefixes);
    if (code === "fee") return reject("merchant_fee", sku);
    if (code === "bad_debt") return reject("bad_debt_adjustment", sku);
    const qtyText = cell(r, idx.quantity).replace(/\.0+$/, "");
    const qty = /^-?\d+$/.test(qtyText) ? Number(qtyText) : Number.NaN;
    if (!Number.isSafeInteger(qty) || qty === 0) return reject("invalid_quantity", qtyText);
    if (isRefund) {
      // A refund written with positive units is kept only where the file marks refunds by their own id.
      if (qty > 0 && refundId === "") return reject("positive_quantity_on_refund", qtyText);
    } else {
      if (qty < 0) return reject("negative_quantity", qtyText);
      if (code === "discount") return reject("discount_on_sale", sku);
    }
    const currency = (cell(r, idx.currency) || m.currency || "").toUpperCase();
    if (!isCurrency(currency)) return reject("unknown_currency", currency);
    let unitPrice: number;
    const priceText = cell(r, idx.unitPrice);
    try {
      unitPrice = parseMinor(priceText, currency, { allowNegative: true });
    } catch (e) {
      if (e instanceof AppError && e.code === "AMOUNT_PRECISION") return reject("price_precision", priceText);
      return reject("invalid_price", priceText);
    }
    if (unitPrice < 0) return reject("negative_price", priceText);
    if (unitPrice === 0) return reject("zero_price");
    const when = cell(r, idx.placedAt);
    if (!when) return reject("missing_date");
    if (when !== lastTime) {
      lastTime = when;
      lastAt = parseTime(when, zone, offsets);
    }
    const at = lastAt;
    if (at === undefined) return reject("invalid_date", when);
    const customer = wholeId(cell(r, idx.customer));
    return {
      rowNo: r.rowNo,
      kind: isRefund ? "refund" : "sale",
      doc,
      orderRef: refundId !== "" && order !== "" ? order : null,
      sku,
      title: cell(r, idx.title) || sku,
      code,
      quantity: Math.abs(qty),
      unitPrice,
      currency,
      customer: customer || null,
      at,
      country: cell(r, idx.country) || null,
    };
  };
}
