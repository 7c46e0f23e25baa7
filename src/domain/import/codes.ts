/**
 * Stock codes that are not goods (非商品编码). Each kind decides what an imported row with that code
 * becomes; a code not listed is goods. Matching ignores case ("m" is "M").
 *
 * - shipping   postage and carriage: on a sale, the order's shipping fee (an invoice of postage alone
 *              becomes an order whose one line is the postage, so the money is kept); on a refund, a
 *              shipping refund on the order the refund's goods went back to.
 * - adjustment a manual line or samples: an order line like goods (category "adjustment"); refunded
 *              against an earlier line of the same code, like goods.
 * - voucher    a gift voucher sold: an order line (category "gift_voucher").
 * - discount   money given back after the sale without goods: on a refund, an orphan refund of kind
 *              discount (there is no line to charge it to); on a sale, rejected.
 * - fee        the merchant's own costs booked through the till (marketplace fees, bank charges,
 *              charity commission): neither a sale nor money back to a customer, so rejected.
 * - bad_debt   bad-debt adjustments: bookkeeping, rejected.
 */
export const CODE_KINDS = [
  "goods",
  "shipping",
  "adjustment",
  "voucher",
  "discount",
  "fee",
  "bad_debt",
] as const;
export type CodeKind = (typeof CODE_KINDS)[number];

/** The Online Retail file's non-merchandise codes, as found in the data. */
export const ONLINE_RETAIL_CODES: Readonly<Record<string, CodeKind>> = {
  POST: "shipping", // POSTAGE
  DOT: "shipping", // DOTCOM POSTAGE
  C2: "shipping", // CARRIAGE
  M: "adjustment", // Manual
  S: "adjustment", // SAMPLES
  D: "discount", // Discount
  AMAZONFEE: "fee",
  "BANK CHARGES": "fee",
  CRUK: "fee", // CRUK Commission
  B: "bad_debt", // Adjust bad debt
};

/** Code prefixes (upper case) with a kind: gift vouchers are gift_0001_10, gift_0001_20, … */
export const ONLINE_RETAIL_CODE_PREFIXES: Readonly<Record<string, CodeKind>> = {
  GIFT_: "voucher",
};

export function codeKind(
  sku: string,
  codes: Readonly<Record<string, CodeKind>>,
  prefixes: Readonly<Record<string, CodeKind>> = {},
): CodeKind {
  const key = sku.toUpperCase();
  if (Object.hasOwn(codes, key)) return codes[key] as CodeKind;
  for (const [p, kind] of Object.entries(prefixes)) if (key.startsWith(p)) return kind;
  return "goods";
}

/** Order-line category for the kinds that become lines. */
export const LINE_CATEGORY: Partial<Record<CodeKind, string>> = {
  shipping: "shipping",
  adjustment: "adjustment",
  voucher: "gift_voucher",
};
