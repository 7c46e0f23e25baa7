import { formatMinor, sum } from "../money.ts";
import { type NormalizedOrder, normalizeOrder, type OrderInput } from "../order.ts";
import { LINE_CATEGORY } from "./codes.ts";
import type { ImportRow, Rejected } from "./rows.ts";

/** An order built from its rows: what ingest would be sent, and the same normalisation ingest does. */
export interface ImportedOrder {
  externalId: string;
  input: OrderInput;
  normalized: NormalizedOrder;
  country: string | null;
  at: number;
  rows: number[];
}

/**
 * The order of one sale document. Its first row gives the customer, time, country and currency (a file's
 * invoice can straddle a minute); rows in another currency are rejected. Shipping rows add up to the
 * shipping fee, unless the order has nothing else — then they are its lines, so the money is kept.
 */
export function buildOrder(
  shop: string,
  rows: readonly ImportRow[],
): { order?: ImportedOrder; rejected: Rejected[] } {
  const first = rows[0];
  if (!first) return { rejected: [] };
  const rejected: Rejected[] = [];
  const kept = rows.filter((r) => {
    if (r.currency === first.currency) return true;
    rejected.push({
      rowNo: r.rowNo,
      reason: "currency_mismatch",
      message: `a currency other than the rest of its order's: ${r.currency}, not ${first.currency}`,
    });
    return false;
  });
  const cur = first.currency;
  const goods = kept.filter((r) => r.code !== "shipping");
  const shipping = goods.length > 0 ? kept.filter((r) => r.code === "shipping") : [];
  const asLines = goods.length > 0 ? goods : kept;
  // Keys in sorted order, with no undefined values: ingest's fingerprint of this object is then just
  // its JSON (see ingest-order.ts), which the importer computes without re-sorting every line.
  const input: OrderInput = {
    currency: cur,
    ...(first.customer ? { customer: { id: first.customer } } : {}),
    externalId: first.doc,
    lines: asLines.map((r, i) => ({
      ...(LINE_CATEGORY[r.code] ? { category: LINE_CATEGORY[r.code] as string } : {}),
      externalId: String(i + 1),
      quantity: r.quantity,
      sku: r.sku,
      title: r.title,
      unitPrice: formatMinor(r.unitPrice, cur),
    })),
    placedAt: new Date(first.at).toISOString(),
    ...(shipping.length > 0
      ? { shippingFee: formatMinor(sum(shipping.map((r) => r.unitPrice * r.quantity)), cur) }
      : {}),
    shop,
  };
  return {
    order: {
      externalId: first.doc,
      input,
      normalized: normalizeOrder(input),
      country: first.country,
      at: first.at,
      rows: kept.map((r) => r.rowNo),
    },
    rejected,
  };
}
