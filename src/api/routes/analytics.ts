import { Type } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { REFUND_RATE_DIMENSIONS } from "../../domain/analytics.ts";
import { REASONS, type ReasonCode } from "../../domain/catalogue.ts";
import { CASE_STATES, type CaseState } from "../../domain/lifecycle.ts";
import type { Lang } from "../../domain/messages/index.ts";
import { CHANNELS } from "../../domain/order.ts";
import {
  automationRate,
  costReport,
  reasonDistribution,
  rebuildAnalytics,
  refundRateReport,
  refundRateTrend,
  stageTimes,
  TREND_DIMENSIONS,
} from "../../flows/analytics.ts";
import type { FlowContext } from "../../flows/context.ts";
import { type Permission, principal, roleMay } from "../auth.ts";
import { type ExportTable, toCsv, toXlsx } from "../export.ts";
import { langOf } from "../problems.ts";
import { money } from "../serialize.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const Scope = {
  from: Type.Optional(Type.String({ description: "First month, YYYY-MM" })),
  to: Type.Optional(Type.String({ description: "Last month, YYYY-MM (inclusive)" })),
  shop: Type.Optional(Type.String()),
  channel: Type.Optional(Enum(CHANNELS, { description: "Only the shops selling on this channel" })),
  format: Type.Optional(
    Enum(["json", "csv", "xlsx"], {
      description: "csv or xlsx: the answer as a file, titled in your language",
    }),
  ),
};

/** Column titles and names of things in an export, in the caller's language. */
const words = {
  "zh-CN": {
    month: "月份",
    reason: "原因",
    code: "代码",
    cases: "售后单数",
    share: "占比 (%)",
    decided: "已审核",
    automated: "规则自动审核",
    automationRate: "自动化率 (%)",
    overridden: "被人工改判",
    agreement: "规则一致率 (%)",
    period: "期间",
    all: "全部",
    stage: "环节",
    stays: "次数",
    p50: "中位数 p50 (小时)",
    p90: "p90 (小时)",
    mean: "平均 (小时)",
    key: "对象",
    sold: "售出件数",
    refunded: "退款件数",
    rate: "退款率 (%)",
    spike: "预警",
    currency: "币种",
    soldAmount: "售出金额",
    refundedAmount: "退款金额",
    kind: "类别",
    amount: "金额",
    entries: "笔数",
    kinds: {
      refund_goods: "退货款",
      refund_shipping: "退运费",
      compensation: "补偿",
      shipping_subsidy: "运费补贴",
      channel_fee: "渠道手续费",
    } as Record<string, string>,
  },
  en: {
    month: "Month",
    reason: "Reason",
    code: "Code",
    cases: "Cases",
    share: "Share (%)",
    decided: "Decided",
    automated: "Decided by rules",
    automationRate: "Automation rate (%)",
    overridden: "Overridden by people",
    agreement: "Rule agreement (%)",
    period: "Period",
    all: "All",
    stage: "Stage",
    stays: "Stays",
    p50: "Median p50 (hours)",
    p90: "p90 (hours)",
    mean: "Mean (hours)",
    key: "Subject",
    sold: "Units sold",
    refunded: "Units refunded",
    rate: "Refund rate (%)",
    spike: "Alert",
    currency: "Currency",
    soldAmount: "Sold",
    refundedAmount: "Refunded",
    kind: "Kind",
    amount: "Amount",
    entries: "Entries",
    kinds: {
      refund_goods: "Refunded goods",
      refund_shipping: "Refunded shipping",
      compensation: "Compensation",
      shipping_subsidy: "Shipping subsidies",
      channel_fee: "Channel fees",
    } as Record<string, string>,
  },
} satisfies Record<Lang, unknown>;
type Words = (typeof words)[Lang];

/** A file's columns: each answer field with the word that titles it; `money` fields written as money. */
const cols = (w: Words, titled: Record<string, keyof Words>, money: string[] = []) =>
  Object.entries(titled).map(([key, word]) => ({
    key,
    title: String(w[word]),
    ...(money.includes(key) ? { money: true } : {}),
  }));

/** A share (0–1) as a percentage with two decimals, for a file; empty when there is none. */
const percent = (x: number | null) => (x === null ? "" : Math.round(x * 10000) / 100);
const pick = (lang: Lang, l: { zh: string; en: string } | undefined, fallback: string) =>
  l ? (lang === "en" ? l.en : l.zh) : fallback;

/**
 * Answer with the report as JSON, or as the table a person sees as a CSV or XLSX download
 * (`?format=csv|xlsx`), the file named for the report and its months.
 */
async function answer(
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  json: unknown,
  table: (w: Words, lang: Lang) => Omit<ExportTable, "name">,
) {
  const q = req.query as { format?: string; from?: string; to?: string };
  const format = q.format ?? "json";
  if (format === "json") return json;
  const lang = langOf(req);
  const t: ExportTable = { name, ...table(words[lang], lang) };
  const months = [q.from, q.to].filter(Boolean).join("_");
  reply.header(
    "content-disposition",
    `attachment; filename="${name}${months ? `-${months}` : ""}.${format}"`,
  );
  if (format === "csv") return reply.type("text/csv; charset=utf-8").send(toCsv(t));
  return reply
    .type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    .send(await toXlsx(t));
}

/**
 * 售后分析: answered from rollups the writes keep in step (migrations 012, 021, 024, 025), so each stays
 * fast at any size; each also as the CSV or XLSX of what the dashboard shows.
 */
export async function analyticsRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  const read = (
    summary: string,
    extra: Record<string, ReturnType<typeof Type.Optional>> = {},
    permission: Permission = "cases.read",
  ) => ({
    config: { permission },
    schema: { tags: ["analytics"], summary, querystring: Type.Object({ ...Scope, ...extra }) },
  });
  /** The question as the flows take it: the caller's shops, without the file format. */
  const query = (req: FastifyRequest) => {
    const { format: _, ...q } = req.query as Record<string, unknown>;
    return { ...q, shops: principal(req).shops };
  };

  app.get(
    "/analytics/refund-rates",
    read("Refund rate (units refunded / sold) by SKU, category, shop or month; worst first", {
      by: Type.Optional(Enum(REFUND_RATE_DIMENSIONS)),
      minSold: Type.Optional(Type.Integer({ minimum: 0 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    }),
    async (req, reply) => {
      const r = await refundRateReport(ctx, query(req));
      const report = {
        ...r,
        rows: r.rows.map((x) => ({
          ...x,
          soldAmount: money(x.soldAmount, x.currency),
          refundedAmount: money(x.refundedAmount, x.currency),
        })),
      };
      return answer(req, reply, `refund-rates-by-${r.by}`, report, (w) => ({
        columns: cols(
          w,
          {
            key: r.by === "month" ? "month" : "key",
            currency: "currency",
            soldQty: "sold",
            soldAmount: "soldAmount",
            refundedQty: "refunded",
            refundedAmount: "refundedAmount",
            rate: "rate",
          },
          ["soldAmount", "refundedAmount"],
        ),
        rows: r.rows.map((row) => ({ ...row, rate: percent(row.rate) })),
      }));
    },
  );

  app.get("/analytics/reasons", read("Cases by reason, with shares"), async (req, reply) => {
    const r = await reasonDistribution(ctx, query(req));
    return answer(req, reply, "reasons", r, (w, lang) => ({
      columns: cols(w, { label: "reason", reason: "code", cases: "cases", share: "share" }),
      rows: r.rows.map((x) => ({
        ...x,
        label: pick(lang, REASONS[x.reason as ReasonCode], x.reason),
        share: percent(x.share),
      })),
    }));
  });

  app.get(
    "/analytics/automation",
    read("Share of decisions made by rules, and of those nobody overrode (agreement), by month"),
    async (req, reply) => {
      const r = await automationRate(ctx, query(req));
      return answer(req, reply, "automation", r, (w) => ({
        columns: cols(w, {
          month: "month",
          cases: "cases",
          decided: "decided",
          automated: "automated",
          rate: "automationRate",
          overridden: "overridden",
          agreement: "agreement",
        }),
        rows: r.months.map((m) => ({ ...m, rate: percent(m.rate), agreement: percent(m.agreement) })),
      }));
    },
  );

  app.get(
    "/analytics/stage-times",
    read("Time in each state: p50, p90, mean (hours), over the months and month by month"),
    async (req, reply) => {
      const r = await stageTimes(ctx, query(req));
      return answer(req, reply, "stage-times", r, (w, lang) => {
        const row = (period: string, s: (typeof r.stages)[number] | (typeof r.trend)[number]) => ({
          period,
          stage: pick(lang, CASE_STATES[s.stage as CaseState], s.stage),
          n: s.n,
          p50: s.p50Hours,
          p90: s.p90Hours,
          mean: s.meanHours,
        });
        return {
          columns: cols(w, {
            period: "period",
            stage: "stage",
            n: "stays",
            p50: "p50",
            p90: "p90",
            mean: "mean",
          }),
          rows: [...r.stages.map((s) => row(w.all, s)), ...r.trend.map((s) => row(s.month, s))],
        };
      });
    },
  );

  app.get(
    "/analytics/refund-trend",
    read(
      "Refund rate month by month for the SKUs, categories or shops with the most units refunded, with the quality scan's jumps (spikes; for callers who may read alerts)",
      {
        by: Type.Optional(Enum(TREND_DIMENSIONS)),
        top: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: "How many lines (5)" })),
      },
    ),
    async (req, reply) => {
      const p = principal(req);
      const r = await refundRateTrend(ctx, { ...query(req), spikes: roleMay(p.role, "alerts.read") });
      return answer(req, reply, `refund-rate-trend-by-${r.by}`, r, (w, lang) => ({
        columns: cols(w, {
          key: "key",
          month: "month",
          soldQty: "sold",
          refundedQty: "refunded",
          rate: "rate",
          spike: "spike",
        }),
        rows: r.series.flatMap((s) =>
          s.points.map((pt) => ({
            key: s.key,
            ...pt,
            rate: percent(pt.rate),
            spike: r.spikes
              .filter((k) => k.key === s.key && k.month === pt.month)
              .map((k) => `${k.subject}: ${pick(lang, k.reason, "")}`)
              .join("; "),
          })),
        ),
      }));
    },
  );

  app.get(
    "/analytics/costs",
    read("After-sales cost by month and kind, from the ledger; each kind's total", {}, "finance.read"),
    async (req, reply) => {
      const r = await costReport(ctx, query(req));
      const report = {
        rows: r.rows.map((x) => ({ ...x, amount: money(x.amount, x.currency) })),
        totals: r.totals.map((x) => ({ ...x, amount: money(x.amount, x.currency) })),
      };
      return answer(req, reply, "costs", report, (w) => ({
        columns: cols(
          w,
          { month: "month", kindLabel: "kind", currency: "currency", amount: "amount", entries: "entries" },
          ["amount"],
        ),
        rows: r.rows.map((row) => ({ ...row, kindLabel: w.kinds[row.kind] ?? row.kind })),
      }));
    },
  );

  app.post(
    "/analytics/rebuild",
    { config: { permission: "settings.write", allShops: true }, schema: { tags: ["analytics"] } },
    async (_req, reply) => {
      await rebuildAnalytics(ctx);
      return reply.status(204).send();
    },
  );
}
