import { zipSync } from "fflate";
import { AppError } from "../../../domain/errors.ts";
import { BILL_MALFORMED, parseAlipayTradeBill, type RefundBill } from "../../../domain/reconcile/bill.ts";
import { ArchiveInvalid, BILL_LIMITS, unzipCapped } from "../../decompress.ts";

/**
 * Alipay's bill files (对账单): `alipay.data.dataservice.bill.downloadurl.query` hands out a URL of a
 * zip holding GBK-encoded CSVs — `<pid>_<yyyyMMdd>_业务明细.csv` and its `(汇总)` summary — each with `#`
 * comment lines around the table. This module unpacks and decodes them (and, for the simulator and
 * tests, writes them); the table itself is parsed by domain/reconcile/bill.ts.
 */

const GBK = new TextDecoder("gbk");
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes of a bill CSV → text: UTF-8 when it is (a re-saved upload), GBK as Alipay writes it otherwise. */
export function decodeBillText(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return GBK.decode(bytes);
  }
}

const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
/** The detail table's header names the trade number and the business type; the 汇总 file has neither. */
const isDetail = (text: string) => /支付宝交易号/.test(text) && /业务类型/.test(text);

/** A downloaded (or uploaded) Alipay trade bill (zip or CSV) as rows, for reconciliation. */
export const readAlipayBill = async (file: Uint8Array, date: string): Promise<RefundBill> =>
  parseAlipayTradeBill(await readAlipayBillFile(file), date);

/**
 * A downloaded (or uploaded) Alipay bill → the 业务明细 CSV text. Takes the zip as Alipay sends it, or
 * the CSV itself (GBK or UTF-8) for a merchant who unpacked it by hand.
 */
export async function readAlipayBillFile(file: Uint8Array): Promise<string> {
  if (!isZip(file)) {
    const text = decodeBillText(file);
    if (!isDetail(text)) {
      throw new AppError(BILL_MALFORMED, "not an Alipay 业务明细 bill (no 支付宝交易号 / 业务类型 header)");
    }
    return text;
  }
  let entries: { data: Uint8Array }[];
  try {
    // Unpacked under the bill caps: a zip bomb is refused after a few MB.
    entries = await unzipCapped(file, BILL_LIMITS, "the bill zip");
  } catch (e) {
    if (!(e instanceof ArchiveInvalid)) throw e;
    throw new AppError(BILL_MALFORMED, `the bill zip cannot be read: ${e.message}`);
  }
  // Entry names are GBK too and come out garbled without the UTF-8 flag, so the content decides.
  const details = entries.map((e) => decodeBillText(e.data)).filter((t) => isDetail(t));
  if (details.length !== 1) {
    throw new AppError(
      BILL_MALFORMED,
      `the bill zip should hold one 业务明细 CSV, it holds ${details.length} (of ${entries.length} files)`,
    );
  }
  return details[0] as string;
}

let gbkTable: Map<string, number> | undefined;
/**
 * Text → GBK bytes. Node decodes GBK but does not encode it, so the table is the decoder run backwards
 * over every two-byte code, built once on first use. For the simulator and test fixtures only.
 */
export function encodeGbk(text: string): Uint8Array {
  if (!gbkTable) {
    gbkTable = new Map();
    const decoder = new TextDecoder("gbk", { fatal: true });
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        try {
          const ch = decoder.decode(Uint8Array.of(lead, trail));
          if (!gbkTable.has(ch)) gbkTable.set(ch, (lead << 8) | trail);
        } catch {
          // not a GBK code
        }
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) {
      out.push(cp);
      continue;
    }
    const code = gbkTable.get(ch);
    if (code === undefined) throw new RangeError(`"${ch}" has no GBK encoding`);
    out.push(code >> 8, code & 0xff);
  }
  return Uint8Array.from(out);
}

/** A bill zip as Alipay packs it: the detail CSV and its summary, GBK, under `<pid>_<yyyyMMdd>_…` names. */
export function zipAlipayBill(pid: string, date: string, detailCsv: string, summaryCsv: string): Uint8Array {
  const day = date.replaceAll("-", "");
  return zipSync({
    [`${pid}_${day}_业务明细.csv`]: encodeGbk(detailCsv),
    [`${pid}_${day}_业务明细(汇总).csv`]: encodeGbk(summaryCsv),
  });
}

const DETAIL_COLUMNS = [
  "支付宝交易号",
  "商户订单号",
  "业务类型",
  "商品名称",
  "创建时间",
  "完成时间",
  "门店编号",
  "门店名称",
  "操作员",
  "终端号",
  "对方账户",
  "订单金额（元）",
  "商家实收（元）",
  "支付宝红包（元）",
  "集分宝（元）",
  "支付宝优惠（元）",
  "商家优惠（元）",
  "券核销金额（元）",
  "券名称",
  "商家红包消费金额（元）",
  "卡消费金额（元）",
  "退款批次号/请求号",
  "服务费（元）",
  "分润（元）",
  "备注",
];

/** One 业务明细 row: a trade (交易) or a refund (退款); amounts in fen, a refund's negative. */
export interface AlipayBillRow {
  tradeNo: string;
  outTradeNo: string;
  kind: "交易" | "退款";
  subject: string;
  createdAt: string;
  finishedAt: string;
  buyer: string;
  orderAmount: number;
  received: number;
  outRequestNo: string;
  fee: number;
}

const yuan = (fen: number) => {
  const abs = String(Math.abs(fen)).padStart(3, "0");
  return `${fen < 0 ? "-" : ""}${abs.slice(0, -2)}.${abs.slice(-2)}`;
};
/** "2026-11-22" → "2026年11月22日". */
const cnDate = (date: string) => `${date.slice(0, 4)}年${date.slice(5, 7)}月${date.slice(8, 10)}日`;

/**
 * The day's 业务明细 and 业务明细(汇总) CSVs as Alipay writes them: `#` lines around the table, each value
 * followed by a tab (so spreadsheets keep long numbers as text), totals in the footer.
 */
export function renderAlipayTradeBill(
  pid: string,
  date: string,
  rows: readonly AlipayBillRow[],
  exportedAt: string,
  nextDate: string,
): { detail: string; summary: string } {
  const rule = "-".repeat(41);
  const trades = rows.filter((r) => r.kind === "交易");
  const refunds = rows.filter((r) => r.kind === "退款");
  const total = (rs: readonly AlipayBillRow[], f: (r: AlipayBillRow) => number) =>
    yuan(rs.reduce((a, r) => a + f(r), 0));
  const head = (title: string) => [
    `#支付宝${title}查询`,
    `#账号：[${pid}0156]`,
    `#起始日期：[${cnDate(date)} 00:00:00]   终止日期：[${cnDate(nextDate)} 00:00:00]`,
  ];
  const detail = [
    ...head("业务明细"),
    `#${rule}业务明细列表${rule}`,
    DETAIL_COLUMNS.join(","),
    ...rows.map((r) =>
      [
        r.tradeNo,
        r.outTradeNo,
        r.kind,
        r.subject.replaceAll(",", "，"),
        r.createdAt,
        r.finishedAt,
        "",
        "",
        "",
        "",
        r.buyer,
        yuan(r.orderAmount),
        yuan(r.received),
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "",
        "0.00",
        "0.00",
        r.outRequestNo,
        yuan(r.fee),
        "0.00",
        "",
      ]
        .map((v) => `${v}\t`)
        .join(","),
    ),
    `#${rule}业务明细列表结束${rule}`,
    `#交易合计：${trades.length}笔，商家实收：${total(trades, (r) => r.received)}元，商家优惠：0.00元`,
    `#退款合计：${refunds.length}笔，商家实收：${total(refunds, (r) => r.received)}元，商家优惠：0.00元`,
    `#导出时间：[${exportedAt}]`,
  ];
  const summary = [
    ...head("业务汇总"),
    `#${rule}业务汇总列表${rule}`,
    "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）",
    `合计,,${trades.length},${refunds.length},${total(rows, (r) => r.orderAmount)},${total(rows, (r) => r.received)},0.00,0.00,0.00,${total(rows, (r) => r.fee)},0.00,${total(rows, (r) => r.received + r.fee)}`,
    `#${rule}业务汇总列表结束${rule}`,
    `#导出时间：[${exportedAt}]`,
  ];
  return { detail: `${detail.join("\r\n")}\r\n`, summary: `${summary.join("\r\n")}\r\n` };
}
