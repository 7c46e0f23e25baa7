import { fail } from "../errors.ts";
import { formatMinor, parseMinor } from "../money.ts";

/**
 * A payment channel's refund bill (退款账单) for one day, reduced to what reconciliation compares:
 * one row per refund the channel shows. Parsed from the channel's own file format by the pure functions
 * below; fetching and unpacking the file is the adapters' job.
 */

/** What the bill says about a refund. Alipay's bill lists only completed refunds; WeChat's also others. */
export type BillRefundStatus = "succeeded" | "processing" | "closed" | "abnormal";

export interface BillRefund {
  /** Our idempotency key as the channel saw it: 商户退款单号 (WeChat) / 退款批次号/请求号 (Alipay). */
  key: string;
  /** The channel's refund id (微信退款单号), or Alipay's trade number. */
  channelRefundId: string | null;
  /** 微信订单号 / 支付宝交易号. */
  transactionId: string | null;
  /** 商户订单号. */
  orderRef: string | null;
  /** Minor units (分): what was asked to be refunded (申请退款金额, else 退款金额; Alipay: see below). */
  amount: number;
  currency: string;
  status: BillRefundStatus;
  /** The channel's time for it, as written in the bill (Beijing time). */
  at: string | null;
  /** 1-based line of the file, for a person looking at it. */
  line: number;
}

export interface RefundBill {
  channel: string;
  /** The bill's day, YYYY-MM-DD in Beijing time, when the file or its fetch says it. */
  date: string | null;
  refunds: BillRefund[];
}

export const BILL_MALFORMED = "BILL_MALFORMED";

const malformed = (message: string, line?: number): never =>
  fail(BILL_MALFORMED, line ? `line ${line}: ${message}` : message, line ? { line } : undefined);

/** One CSV record: commas outside double quotes separate fields; "" inside quotes is a quote. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === "") {
      field = "";
      quoted = true;
    } else if (c === ",") {
      out.push(field);
      field = "";
    } else field += c;
  }
  out.push(field);
  return out;
}

const lines = (text: string) => text.replace(/^\uFEFF/, "").split(/\r?\n/);

/** A bill amount in yuan ("12.34", "-0.07", "0") → fen, exactly; anything else is a malformed row. */
function yuan(text: string | undefined, column: string, line: number): number {
  const t = (text ?? "").trim();
  if (t === "") return 0;
  try {
    return parseMinor(t, "CNY", { allowNegative: true });
  } catch {
    return malformed(`${column} "${t}" is not an amount in yuan`, line);
  }
}

// ---- WeChat Pay 交易账单 (bill_type=REFUND) ------------------------------------------------------------

/** WeChat's 退款状态 values — the API's and the older bill's — as data. */
const WECHAT_STATUS: Record<string, BillRefundStatus> = {
  SUCCESS: "succeeded",
  PROCESSING: "processing",
  CLOSED: "closed",
  REFUNDCLOSE: "closed",
  ABNORMAL: "abnormal",
  CHANGE: "abnormal",
};

const WECHAT_REQUIRED = ["微信订单号", "商户订单号", "微信退款单号", "商户退款单号", "退款金额", "退款状态"];

/**
 * The WeChat Pay trade bill as downloaded: a header row of Chinese column names, detail rows whose every
 * value starts with a backtick (so Excel keeps long numbers), then a summary header (总交易单数, …) and
 * one summary row. Columns are found by name, not position (WeChat says their order may change). Only
 * refund rows are taken (an ALL bill also lists payments); the summary's count and 退款总金额 must agree
 * with the rows, so a truncated or altered file is refused rather than half read.
 */
export function parseWechatRefundBill(text: string, date: string | null = null): RefundBill {
  const all = lines(text);
  const headerAt = all.findIndex((l) => l.trim() !== "");
  if (headerAt < 0) return malformed("the bill is empty");
  const header = splitCsvLine(all[headerAt] as string).map((h) => h.trim().replace(/^`/, ""));
  const col = new Map(header.map((h, i) => [h, i]));
  const missing = WECHAT_REQUIRED.filter((c) => !col.has(c));
  if (missing.length) return malformed(`not a WeChat Pay refund bill: no column ${missing.join(", ")}`, 1);
  const get = (row: string[], name: string) => {
    const i = col.get(name);
    return i === undefined ? undefined : (row[i] ?? "").trim().replace(/^`/, "");
  };

  const refunds: BillRefund[] = [];
  let summary: { count: number; refunded: number; line: number } | undefined;
  let refundedTotal = 0;
  let detailRows = 0;
  for (let i = headerAt + 1; i < all.length; i++) {
    const raw = all[i] as string;
    const line = i + 1;
    if (raw.trim() === "") continue;
    const row = splitCsvLine(raw);
    if ((row[0] ?? "").trim().startsWith("总交易单数")) {
      const names = row.map((h) => h.trim());
      const values = all[i + 1];
      if (values === undefined) return malformed("the summary header has no summary row", line);
      const v = splitCsvLine(values).map((x) => x.trim().replace(/^`/, ""));
      const at = (n: string) => v[names.indexOf(n)];
      const count = Number(at("总交易单数"));
      if (!Number.isSafeInteger(count)) return malformed("总交易单数 is not a number", line + 1);
      summary = { count, refunded: yuan(at("退款总金额"), "退款总金额", line + 1), line: line + 1 };
      break;
    }
    if (!(row[0] ?? "").trim().startsWith("`")) return malformed("a detail row must start with `", line);
    if (row.length !== header.length) {
      return malformed(`${row.length} fields where the header has ${header.length}`, line);
    }
    detailRows++;
    const key = get(row, "商户退款单号") ?? "";
    // An ALL bill also lists payments; they carry no refund number.
    if (key === "") continue;
    const statusText = get(row, "退款状态") ?? "";
    const status = WECHAT_STATUS[statusText];
    if (!status) return malformed(`退款状态 "${statusText}" is not one WeChat Pay uses`, line);
    const refunded = yuan(get(row, "退款金额"), "退款金额", line);
    refundedTotal += refunded;
    const requested = get(row, "申请退款金额");
    refunds.push({
      key,
      channelRefundId: get(row, "微信退款单号") || null,
      transactionId: get(row, "微信订单号") || null,
      orderRef: get(row, "商户订单号") || null,
      amount: requested ? yuan(requested, "申请退款金额", line) : refunded,
      currency: get(row, "货币种类") || "CNY",
      status,
      at: get(row, "退款成功时间") || get(row, "退款申请时间") || null,
      line,
    });
  }
  if (!summary) return malformed("the summary (总交易单数, 退款总金额) is missing: the file is incomplete");
  if (summary.count !== detailRows) {
    return malformed(`总交易单数 says ${summary.count} rows, the file has ${detailRows}`, summary.line);
  }
  if (summary.refunded !== refundedTotal) {
    return malformed(
      `退款总金额 says ${formatMinor(summary.refunded, "CNY")}, the rows add up to ${formatMinor(refundedTotal, "CNY")}`,
      summary.line,
    );
  }
  return { channel: "wechat_pay", date, refunds };
}

// ---- Alipay 业务明细 (bill_type=trade) ------------------------------------------------------------------

const ALIPAY_REQUIRED = ["支付宝交易号", "商户订单号", "业务类型", "商家实收（元）", "退款批次号/请求号"];
/** Columns that together are what a refund gave back: the merchant's part and Alipay-funded discounts. */
const ALIPAY_REFUND_PARTS = ["商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）"];

/**
 * Alipay's 业务明细 CSV (already decoded from GBK): `#` comment lines before and after, a header row,
 * one row per trade (业务类型 交易) or refund (退款), values padded with tabs. A refund row's amounts are
 * negative; the refund's amount is what left the merchant plus what Alipay-funded discounts gave back
 * (商家实收 + 支付宝红包 + 集分宝 + 支付宝优惠, negated). Alipay lists only completed refunds, so every row
 * is `succeeded`. When the footer says `#退款合计：N笔`, N must be the number of refund rows.
 */
export function parseAlipayTradeBill(text: string, date: string | null = null): RefundBill {
  const all = lines(text);
  let header: string[] | undefined;
  let col = new Map<string, number>();
  const refunds: BillRefund[] = [];
  let footerRefunds: { count: number; line: number } | undefined;
  let billDate: string | null = null;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i] as string;
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      const total = /^#\s*退款合计[:：]\s*(\d+)\s*笔/.exec(trimmed);
      if (total) footerRefunds = { count: Number(total[1]), line };
      const start = /起始日期[:：]\s*\[(\d{4})年(\d{2})月(\d{2})日/.exec(trimmed);
      if (start && !billDate) billDate = `${start[1]}-${start[2]}-${start[3]}`;
      continue;
    }
    const row = splitCsvLine(raw).map((v) => v.trim());
    if (!header) {
      header = row;
      col = new Map(row.map((h, idx) => [h, idx]));
      const missing = ALIPAY_REQUIRED.filter((c) => !col.has(c));
      if (missing.length)
        return malformed(`not an Alipay 业务明细 bill: no column ${missing.join(", ")}`, line);
      continue;
    }
    // A trailing empty field is how the tab-padded rows end; tolerate it, nothing else.
    if (row.length !== header.length && !(row.length === header.length + 1 && row.at(-1) === "")) {
      return malformed(`${row.length} fields where the header has ${header.length}`, line);
    }
    const get = (name: string) => row[col.get(name) ?? -1] ?? "";
    const kind = get("业务类型");
    if (kind === "交易") continue;
    if (kind !== "退款") return malformed(`业务类型 "${kind}" is neither 交易 nor 退款`, line);
    const key = get("退款批次号/请求号");
    if (!key) return malformed("a refund row without 退款批次号/请求号", line);
    let back = 0;
    for (const part of ALIPAY_REFUND_PARTS) if (col.has(part)) back += yuan(get(part), part, line);
    if (back >= 0) return malformed(`a refund row must give money back, its amounts add up to ${back}`, line);
    refunds.push({
      key,
      channelRefundId: get("支付宝交易号") || null,
      transactionId: get("支付宝交易号") || null,
      orderRef: get("商户订单号") || null,
      amount: -back,
      currency: "CNY",
      status: "succeeded",
      at: get("完成时间") || get("创建时间") || null,
      line,
    });
  }
  if (!header) return malformed("the bill has no header row (支付宝交易号, 业务类型, …)");
  if (footerRefunds && footerRefunds.count !== refunds.length) {
    return malformed(
      `#退款合计 says ${footerRefunds.count} refunds, the file has ${refunds.length}`,
      footerRefunds.line,
    );
  }
  // The file's own 起始日期 wins: it is what the bill is of, whatever it was asked for as.
  return { channel: "alipay", date: billDate ?? date, refunds };
}

/** The parser of each channel's bill, as data: a new channel is one more line. */
export const BILL_PARSERS: Record<string, (text: string, date: string | null) => RefundBill> = {
  wechat_pay: parseWechatRefundBill,
  alipay: parseAlipayTradeBill,
};

/**
 * A channel adapter that can fetch a day's refund bill over its real protocol. The adapters add this to
 * their PaymentChannel; reconciliation looks for it.
 */
export interface RefundBillSource {
  /** date: YYYY-MM-DD (Beijing). `not_ready`: the channel has no bill for that day (yet). */
  fetchRefundBill(date: string): Promise<RefundBillFetch>;
}

export type RefundBillFetch =
  | { kind: "bill"; bill: RefundBill /** SHA-1 of the file as received (unpacked). */; sha1: string }
  | { kind: "not_ready"; message: string };

export const canFetchBills = (channel: unknown): channel is RefundBillSource =>
  typeof (channel as Partial<RefundBillSource> | null)?.fetchRefundBill === "function";
