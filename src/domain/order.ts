import type { CustomerTier } from "./catalogue.ts";
import { fail } from "./errors.ts";
import { moneyDetails, parseMinor, prorate, sum } from "./money.ts";

export const CHANNELS = [
  "taobao",
  "tmall",
  "jd",
  "pdd",
  "douyin",
  "wechat_channels",
  "shopify",
  "manual",
] as const;
export type Channel = (typeof CHANNELS)[number];

/** Parcel states we track, whatever the carrier calls them. */
export const LOGISTICS_STATUSES = [
  "unshipped",
  "shipped",
  "in_transit",
  "delivered", // 已签收 (signed)
  "exception",
  "intercepted",
  "returned_to_sender",
] as const;
export type LogisticsStatus = (typeof LOGISTICS_STATUSES)[number];

export const TENDERS = [
  "wechat_pay",
  "alipay",
  "platform",
  "card",
  "bank_transfer",
  "wallet",
  "coupon",
  "points",
] as const;
export type Tender = (typeof TENDERS)[number];

/** An order as a channel (or a person) sends it: decimal strings, not yet apportioned. */
export interface OrderInput {
  shop: string;
  externalId: string;
  currency: string;
  customer?: {
    id: string;
    name?: string;
    phone?: string;
    /** Where messages about their cases may reach them (通知). */
    email?: string;
    wechatOpenId?: string;
    language?: "zh-CN" | "en";
    tier?: CustomerTier;
    /** The channel's credit score for the buyer (e.g. 芝麻分-like), when it shares one. */
    creditScore?: number;
    tags?: string[];
  };
  /** The delivery address as one string; only a normalised fingerprint of it is kept. */
  address?: string;
  /** The device the order was placed from, when the channel reports it. */
  deviceId?: string;
  placedAt?: string;
  paidAt?: string;
  lines: {
    externalId?: string;
    sku: string;
    title?: string;
    category?: string;
    quantity: number;
    unitPrice: string;
    discount?: string; // line-level discount for the whole line
    paid?: string; // the channel's own apportioned paid amount for the line (e.g. Taobao divide_order_fee)
  }[];
  discounts?: { kind: string; name?: string; amount: string }[];
  shippingFee?: string;
  payments?: { tender: Tender; amount: string; transactionId?: string }[];
  shipments?: {
    carrier: string;
    trackingNo: string;
    status?: LogisticsStatus;
    shippedAt?: string;
    signedAt?: string;
    eta?: string;
  }[];
}

export interface OrderLine {
  lineNo: number;
  externalId: string;
  sku: string;
  title: string;
  category: string | null;
  quantity: number;
  unitPrice: number;
  lineDiscount: number;
  orderDiscount: number; // this line's share of order-level discounts, fixed at ingest
  paid: number; // what the customer paid for the whole line
}

export interface NormalizedOrder {
  currency: string;
  lines: OrderLine[];
  discountTotal: number;
  shippingFee: number;
  paidTotal: number;
  payments: { tender: Tender; amount: number; transactionId: string | null }[];
}

/**
 * Turn an incoming order into minor units and apportion order-level discounts to lines, once.
 * The channel's own per-line paid amounts win when every line has one.
 */
export function normalizeOrder(input: OrderInput): NormalizedOrder {
  const cur = input.currency;
  if (input.lines.length === 0) fail("ORDER_NO_LINES", "An order needs at least one line");
  const seen = new Set<string>();
  const base = input.lines.map((l, i) => {
    if (!Number.isSafeInteger(l.quantity) || l.quantity <= 0) {
      fail("INVALID_QUANTITY", `Line ${i + 1}: quantity must be a positive integer`, { line: i + 1 });
    }
    const unitPrice = parseMinor(l.unitPrice, cur);
    const lineDiscount = l.discount === undefined ? 0 : parseMinor(l.discount, cur);
    const gross = unitPrice * l.quantity;
    if (lineDiscount > gross)
      fail("DISCOUNT_EXCEEDS_PRICE", `Line ${i + 1}: discount exceeds its price`, { line: i + 1 });
    const externalId = l.externalId ?? String(i + 1);
    if (seen.has(externalId))
      fail("DUPLICATE_LINE", `Line id "${externalId}" appears twice`, { lineId: externalId });
    seen.add(externalId);
    return {
      lineNo: i + 1,
      externalId,
      sku: l.sku,
      title: l.title ?? l.sku,
      category: l.category ?? null,
      quantity: l.quantity,
      unitPrice,
      lineDiscount,
      net: gross - lineDiscount,
      channelPaid: l.paid === undefined ? undefined : parseMinor(l.paid, cur),
    };
  });
  const discountTotal = sum((input.discounts ?? []).map((d) => parseMinor(d.amount, cur)));
  const shippingFee = input.shippingFee === undefined ? 0 : parseMinor(input.shippingFee, cur);
  const netTotal = sum(base.map((b) => b.net));

  let lines: OrderLine[];
  if (base.every((b) => b.channelPaid !== undefined)) {
    const over = base.find((b) => (b.channelPaid ?? 0) > b.net);
    if (over)
      fail(
        "LINE_PAID_EXCEEDS_PRICE",
        `Line ${over.lineNo}: the paid amount exceeds its price after discounts`,
        { line: over.lineNo },
      );
    lines = base.map(({ net, channelPaid, ...b }) => ({
      ...b,
      orderDiscount: net - (channelPaid ?? 0),
      paid: channelPaid ?? 0,
    }));
  } else {
    if (discountTotal > netTotal) fail("DISCOUNT_EXCEEDS_PRICE", "Order discounts exceed the goods total");
    const shares = prorate(
      discountTotal,
      base.map((b) => b.net),
    );
    lines = base.map(({ net, channelPaid: _, ...b }, i) => {
      const orderDiscount = shares[i] ?? 0;
      return { ...b, orderDiscount, paid: net - orderDiscount };
    });
  }
  if (lines.some((l) => l.paid < 0)) fail("DISCOUNT_EXCEEDS_PRICE", "A line's paid amount is negative");
  const paidTotal = sum(lines.map((l) => l.paid)) + shippingFee;
  const payments = (input.payments ?? []).map((p) => ({
    tender: p.tender,
    amount: parseMinor(p.amount, cur),
    transactionId: p.transactionId ?? null,
  }));
  if (payments.length > 0 && sum(payments.map((p) => p.amount)) !== paidTotal) {
    fail(
      "PAYMENT_MISMATCH",
      "Payments do not add up to the order's paid total",
      moneyDetails(cur, { paidTotal, payments: sum(payments.map((p) => p.amount)) }),
    );
  }
  return {
    currency: cur,
    lines,
    discountTotal: sum(lines.map((l) => l.orderDiscount)),
    shippingFee,
    paidTotal,
    payments,
  };
}

/**
 * A fingerprint of a delivery address that survives spacing, case and punctuation differences, so
 * two accounts shipping to one place are linked without keeping the address itself.
 */
export const addressKey = (address: string): string =>
  address
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s\p{P}]+/gu, "");
