import { fail } from "./errors.ts";

/**
 * The after-sales finance ledger (售后财务台账): what each entry is, what a refund costs in channel fees,
 * and how the report may be cut. Pure; the store writes the rows.
 */
export const LEDGER_KINDS = [
  "refund_goods",
  "refund_shipping",
  "compensation",
  "shipping_subsidy",
  "channel_fee",
] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** What a person hands a customer besides the refund: cash, a coupon, points, or the return postage (运费补贴). */
export const COMPENSATIONS = {
  cash: { kind: "compensation", zh: "现金补偿", en: "Cash compensation" },
  coupon: { kind: "compensation", zh: "优惠券补偿", en: "Coupon" },
  points: { kind: "compensation", zh: "积分补偿", en: "Points" },
  shipping_subsidy: { kind: "shipping_subsidy", zh: "退货运费补贴", en: "Return-shipping subsidy" },
} as const satisfies Record<string, { kind: LedgerKind; zh: string; en: string }>;
export type CompensationType = keyof typeof COMPENSATIONS;
export const COMPENSATION_TYPES = Object.keys(COMPENSATIONS) as CompensationType[];

/**
 * A payment channel's fee on the money it took (basis points: 60 = 0.6%) and whether it gives that fee
 * back when the money is refunded. Where it does not, every refund costs the merchant the fee too.
 */
export interface FeePolicy {
  rateBp: number;
  returnedOnRefund: boolean;
}

/** Standard published merchant rates; a merchant with another contract states its own. */
export const DEFAULT_FEES: Readonly<Record<string, FeePolicy>> = {
  wechat_pay: { rateBp: 60, returnedOnRefund: true },
  alipay: { rateBp: 60, returnedOnRefund: false },
};

export function validateFees(input: unknown): Record<string, FeePolicy> {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    fail("INVALID_FEES", "Fees are an object: tender → { rateBp, returnedOnRefund }");
  const out: Record<string, FeePolicy> = {};
  for (const [tender, v] of Object.entries(input as Record<string, unknown>)) {
    const p = (v ?? {}) as Partial<FeePolicy>;
    if (
      !Number.isInteger(p.rateBp) ||
      (p.rateBp as number) < 0 ||
      (p.rateBp as number) > 10_000 ||
      typeof p.returnedOnRefund !== "boolean"
    )
      fail(
        "INVALID_FEES",
        `Fee for "${tender}": rateBp is 0–10000 basis points, returnedOnRefund true or false`,
        {
          tender,
        },
      );
    out[tender] = { rateBp: p.rateBp as number, returnedOnRefund: p.returnedOnRefund as boolean };
  }
  return out;
}

/** The fee a refund of `amount` costs: nothing where the channel gives its fee back; else the fee, half up. */
export function refundFee(amount: number, policy: FeePolicy | undefined): number {
  if (!policy || policy.returnedOnRefund || policy.rateBp === 0 || amount <= 0) return 0;
  return Math.floor((amount * policy.rateBp + 5_000) / 10_000);
}

/** How the finance report may be cut; currency is always a dimension (yuan and dollars never add up). */
export const REPORT_DIMENSIONS = ["day", "month", "shop", "channel", "reason"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export function parseDimensions(input: string | undefined): ReportDimension[] {
  const dims = (input ?? "day")
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean);
  const unknown = dims.filter((d) => !REPORT_DIMENSIONS.includes(d as ReportDimension));
  if (unknown.length > 0 || dims.length === 0)
    fail(
      "INVALID_REPORT_DIMENSION",
      `Report by ${REPORT_DIMENSIONS.join(", ")}; not "${unknown[0] ?? input}"`,
      { unknown, known: REPORT_DIMENSIONS },
    );
  if (dims.includes("day") && dims.includes("month"))
    fail("INVALID_REPORT_DIMENSION", "Report by day or by month, not both");
  return [...new Set(dims)] as ReportDimension[];
}

/** One row of the report: the dimensions' values, then the money, in minor units of `currency`. */
export interface ReportRow {
  currency: string;
  day?: string;
  month?: string;
  shop?: string;
  channel?: string;
  reason?: string;
  goods: number;
  shipping: number;
  compensation: number;
  subsidies: number;
  fees: number;
  /** Everything after-sales cost the merchant in the period: the sum of the columns before it. */
  net: number;
  entries: number;
}
