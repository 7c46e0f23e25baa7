import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeGbk, readAlipayBillFile, zipAlipayBill } from "../../src/channels/payments/alipay/bill.ts";
import { renderRefundBill, type SimRefund } from "../../src/channels/payments/wechat-pay/simulator.ts";
import { AppError } from "../../src/domain/errors.ts";
import {
  parseAlipayTradeBill,
  parseWechatRefundBill,
  type RefundBill,
} from "../../src/domain/reconcile/bill.ts";
import { type OurRefund, reconcile } from "../../src/domain/reconcile/match.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bills/${name}`, import.meta.url));

const malformed = (fn: () => unknown, message: RegExp) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe("BILL_MALFORMED");
    expect((e as AppError).message).toMatch(message);
    return;
  }
  throw new Error("expected BILL_MALFORMED");
};
const malformedAsync = async (fn: () => Promise<unknown>, message: RegExp) => {
  const e = await fn().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe("BILL_MALFORMED");
  expect((e as AppError).message).toMatch(message);
};

describe("WeChat Pay refund bill", () => {
  const text = fixture("wechat-refund-2026-11-22.csv").toString("utf8");

  it("reads every refund row by column name, amounts exactly in fen, backticks gone", () => {
    const bill = parseWechatRefundBill(text, "2026-11-22");
    expect(bill.refunds.map((r) => [r.key, r.amount, r.status])).toEqual([
      ["RF-1001-1", 9900, "succeeded"],
      ["RF-1002-1", 5990, "processing"],
      ["RF-1003-1", 2000, "closed"],
    ]);
    expect(bill.refunds[0]).toMatchObject({
      channelRefundId: "50300001012026112212345678901",
      transactionId: "4200001234202611201234567890",
      orderRef: "T20261120091200001",
      currency: "CNY",
      at: "2026-11-22 10:03:15",
      line: 2,
    });
  });

  it("refuses a row with a missing field, naming its line", () => {
    const broken = text.replace(",`ORIGINAL,`SUCCESS,", ",`SUCCESS,");
    malformed(() => parseWechatRefundBill(broken), /line 2: 28 fields where the header has 29/);
  });

  it("refuses an amount that is not yuan", () => {
    malformed(
      () => parseWechatRefundBill(text.replace("`99.00,`0.00,`ORIGINAL", "`99.001,`0.00,`ORIGINAL")),
      /退款金额/,
    );
  });

  it("refuses a bill whose summary does not add up, or that has none (a cut-off download)", () => {
    malformed(
      () => parseWechatRefundBill(text.replace("`178.90,`0.00", "`178.91,`0.00")),
      /退款总金额 says 178.91/,
    );
    malformed(
      () => parseWechatRefundBill(text.replace("`3,`0.00", "`4,`0.00")),
      /总交易单数 says 4 rows, the file has 3/,
    );
    const cut = text.slice(0, text.indexOf("总交易单数"));
    malformed(() => parseWechatRefundBill(cut), /summary .* is missing/);
  });

  it("refuses something that is not a refund bill", () => {
    malformed(() => parseWechatRefundBill("a,b,c\n1,2,3\n"), /no column/);
    malformed(() => parseWechatRefundBill(""), /empty/);
  });

  it("reads back what the simulator writes, for any refunds (amounts exact)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            refund: fc.integer({ min: 1, max: 10_000_000 }),
            extra: fc.integer({ min: 0, max: 1_000_000 }),
            status: fc.constantFrom("SUCCESS", "PROCESSING", "CLOSED", "ABNORMAL" as const),
          }),
          { maxLength: 20 },
        ),
        (rows) => {
          const refunds = rows.map((r, i) => simRefund(`K${i}`, r.refund, r.refund + r.extra, r.status));
          const bill = parseWechatRefundBill(renderRefundBill("1900000109", refunds));
          expect(bill.refunds.map((r) => [r.key, r.amount])).toEqual(
            refunds.map((r) => [r.out_refund_no, r.amount.refund]),
          );
        },
      ),
    );
  });
});

describe("Alipay 业务明细", () => {
  it("decodes the GBK CSV and reads refund rows only, with Alipay-funded discounts counted back", async () => {
    const bill = parseAlipayTradeBill(await readAlipayBillFile(fixture("alipay-trade-2026-11-22.csv")));
    expect(bill.date).toBe("2026-11-22");
    expect(bill.refunds.map((r) => [r.key, r.amount, r.status, r.at])).toEqual([
      ["RF-2001-1", 5990, "succeeded", "2026-11-22 14:21:07"],
      ["RF-2002-1", 2000, "succeeded", "2026-11-22 23:58:30"],
    ]);
    expect(bill.refunds[0]).toMatchObject({
      transactionId: "2026112022001404561234567891",
      orderRef: "T20261120093000002",
    });
  });

  it("takes the zip as Alipay sends it, picking the 业务明细 over its 汇总", async () => {
    const fromZip = parseAlipayTradeBill(
      await readAlipayBillFile(fixture("20880000000000000156_20261122.csv.zip")),
    );
    const fromCsv = parseAlipayTradeBill(await readAlipayBillFile(fixture("alipay-trade-2026-11-22.csv")));
    expect(fromZip).toEqual(fromCsv);
  });

  it("takes a CSV a person re-saved as UTF-8", async () => {
    const utf8 = Buffer.from(new TextDecoder("gbk").decode(fixture("alipay-trade-2026-11-22.csv")), "utf8");
    expect(parseAlipayTradeBill(await readAlipayBillFile(utf8)).refunds).toHaveLength(2);
  });

  it("refuses a footer that disagrees, an unknown 业务类型, a short row, a refund giving nothing back", async () => {
    const text = await readAlipayBillFile(fixture("alipay-trade-2026-11-22.csv"));
    malformed(
      () => parseAlipayTradeBill(text.replace("#退款合计：2笔", "#退款合计：3笔")),
      /退款合计 says 3 refunds, the file has 2/,
    );
    malformed(() => parseAlipayTradeBill(text.replace(",退款\t,袜子", ",转账\t,袜子")), /业务类型 "转账"/);
    malformed(
      () => parseAlipayTradeBill(text.replace(",RF-2002-1\t,0.12\t", ",RF-2002-1\t")),
      /fields where the header has/,
    );
    malformed(() => parseAlipayTradeBill(text.replace(",-20.00\t,", ",20.00\t,")), /must give money back/);
  });

  it("refuses a zip without a detail CSV, and bytes that are neither", async () => {
    const onlySummary = zipAlipayBill("2088", "2026-11-22", "#汇总\r\n门店编号,合计\r\n", "#汇总\r\n");
    await malformedAsync(() => readAlipayBillFile(onlySummary), /one 业务明细 CSV, it holds 0/);
    await malformedAsync(() => readAlipayBillFile(Buffer.from("hello")), /not an Alipay/);
  });

  it("GBK written by the simulator reads back exactly", () => {
    const s = "支付宝交易号,业务类型 退款（元）— ¥ 商家实收";
    expect(new TextDecoder("gbk").decode(encodeGbk(s.replace("—", "-").replace("¥", "Y")))).toBe(
      s.replace("—", "-").replace("¥", "Y"),
    );
  });
});

describe("matching", () => {
  const day = "2026-11-22";
  const dayEnd = new Date("2026-11-23T00:00:00+08:00");
  const at = (hhmm: string) => new Date(`${day}T${hhmm}:00+08:00`);
  const ours = (key: string, amount: number, status = "succeeded", when = at("12:00")): OurRefund => ({
    id: Number(key.replace(/\D/g, "")) || 1,
    key,
    amount,
    currency: "CNY",
    status,
    channelRefundId: null,
    succeededAt: status === "succeeded" ? when : null,
  });
  const bill = (...rows: [string, number, RefundBill["refunds"][number]["status"]][]): RefundBill => ({
    channel: "wechat_pay",
    date: day,
    refunds: rows.map(([key, amount, status], i) => ({
      key,
      amount,
      status,
      currency: "CNY",
      channelRefundId: null,
      transactionId: null,
      orderRef: null,
      at: null,
      line: i + 2,
    })),
  });

  it("sorts every case into its category", () => {
    const { items, summary } = reconcile({
      date: day,
      dayEnd,
      bill: bill(
        ["K1", 100, "succeeded"],
        ["K2", 200, "succeeded"],
        ["K3", 300, "succeeded"],
        ["K4", 400, "closed"],
        ["K6", 50, "closed"],
      ),
      ours: [
        ours("K1", 100),
        ours("K3", 333),
        ours("K4", 400),
        ours("K5", 500),
        ours("K6", 50, "failed"),
        ours("K7", 70, "succeeded", at("23:50")),
      ],
    });
    const by = Object.fromEntries(items.map((i) => [i.key, i.category]));
    expect(by).toEqual({
      K1: "matched",
      K2: "missing_on_our_side",
      K3: "amount_mismatch",
      K4: "status_mismatch",
      K5: "missing_on_channel",
      K7: "awaiting_next_bill",
    });
    // Each problem says what was found, in Chinese and in English.
    const note = Object.fromEntries(items.map((i) => [i.key, i.note]));
    expect(note.K2).toEqual({
      zh: "渠道已退款；我方没有此退款单号的退款",
      en: "The channel refunded it; we have no refund with this key",
    });
    expect(note.K3).toEqual({ zh: "双方金额不一致", en: "Amounts differ" });
    expect(note.K4?.zh).toBe("对账单显示该退款已关闭、未出款；我方记为已退款");
    expect(note.K5).toEqual({
      zh: `我方记为已退款；${day} 的对账单上都没有`,
      en: `We recorded it as succeeded; not on the bills of ${day}`,
    });
    expect(note.K7?.zh).toBe("临近午夜退款成功，2026-11-23 的对账单尚未出具");
    expect(summary.problems).toBe(4);
    expect(summary.ignored).toBe(1);
    expect(summary.billSucceededTotal).toBe(600);
  });

  it("finds a refund near midnight on the neighbouring day's bill", () => {
    const late = ours("K9", 90, "succeeded", at("23:59"));
    const next = { date: "2026-11-23", bill: bill(["K9", 90, "succeeded"]) };
    const { items } = reconcile({ date: day, dayEnd, bill: bill(), ours: [late], next });
    expect(items).toMatchObject([
      {
        category: "matched",
        key: "K9",
        billDate: "2026-11-23",
        note: { zh: "见 2026-11-23 的对账单", en: "On the 2026-11-23 bill" },
      },
    ]);
    // With the next bill out and the refund not on it, it is missing after all.
    const out = reconcile({
      date: day,
      dayEnd,
      bill: bill(),
      ours: [late],
      next: { date: "2026-11-23", bill: bill() },
    });
    expect(out.items[0]?.category).toBe("missing_on_channel");
  });

  it("every bill row that moved money and every success of ours is in exactly one item", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 30 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 3 }),
        (billKeys, ourKeys, skew) => {
          const b = bill(
            ...billKeys.map((k) => [`K${k}`, k * 10, "succeeded"] as [string, number, "succeeded"]),
          );
          const o = ourKeys.map((k) => ours(`K${k}`, k % skew === 0 ? k * 10 : k * 10 + 1));
          const { items } = reconcile({ date: day, dayEnd, bill: b, ours: o });
          const keys = items.map((i) => i.key);
          expect(new Set(keys).size).toBe(keys.length);
          expect(new Set(keys)).toEqual(new Set([...billKeys, ...ourKeys].map((k) => `K${k}`)));
          for (const i of items) {
            if (i.category === "matched") expect(i.ourAmount).toBe(i.billAmount);
            if (i.category === "amount_mismatch") expect(i.ourAmount).not.toBe(i.billAmount);
          }
        },
      ),
    );
  });
});

function simRefund(key: string, refund: number, total: number, status: SimRefund["status"]): SimRefund {
  return {
    refund_id: `50${key}`,
    out_refund_no: key,
    transaction_id: `4200${key}`,
    out_trade_no: `T${key}`,
    channel: "ORIGINAL",
    user_received_account: "支付用户零钱",
    create_time: "2026-11-22T10:00:00+08:00",
    ...(status === "SUCCESS" ? { success_time: "2026-11-22T10:00:05+08:00" } : {}),
    status,
    funds_account: "AVAILABLE",
    amount: {
      total,
      refund,
      from: [],
      payer_total: total,
      payer_refund: refund,
      settlement_refund: refund,
      settlement_total: total,
      discount_refund: 0,
      currency: "CNY",
      refund_fee: 0,
    },
    promotion_detail: [],
  };
}
