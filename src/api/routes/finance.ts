import { Type } from "@fastify/type-provider-typebox";
import { LEDGER_KINDS } from "../../domain/ledger.ts";
import type { FlowContext } from "../../flows/context.ts";
import { financeReport } from "../../flows/finance-report.ts";
import { financeFees, setFinanceFees } from "../../flows/settings.ts";
import { listLedger } from "../../store/ledger.ts";
import { actorOf, principal } from "../auth.ts";
import { type ExportTable, toCsv, toXlsx } from "../export.ts";
import { money } from "../serialize.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const DIMENSION_TITLES: Record<string, string> = {
  day: "日期 Day",
  month: "月份 Month",
  shop: "店铺 Shop",
  channel: "渠道 Channel",
  reason: "原因 Reason",
};
const MONEY_COLUMNS = [
  ["goods", "退货款 Refunded goods"],
  ["shipping", "退运费 Shipping"],
  ["compensation", "补偿 Compensation"],
  ["subsidies", "运费补贴 Subsidies"],
  ["fees", "渠道手续费 Fees"],
  ["net", "合计 Net"],
] as const;

type Entry = Awaited<ReturnType<typeof listLedger>>[number];
/** One ledger entry as the API speaks it: camelCase, the amount a decimal string in its currency. */
const entryJson = (e: Entry) => ({
  id: e.id,
  source: e.source,
  kind: e.kind,
  tender: e.tender,
  caseId: e.case_id,
  orderId: e.order_id,
  paymentId: e.payment_id,
  refundId: e.refund_id,
  shop: e.shop_id,
  reason: e.reason,
  currency: e.currency,
  amount: money(e.amount, e.currency),
  reference: e.reference,
  note: e.note,
  actor: e.actor,
  occurredAt: e.occurred_at,
});

/** 财务: the after-sales ledger, its report (JSON, CSV, XLSX) and the channel fees it uses. */
export async function financeRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/finance/report",
    {
      config: { permission: "finance.read" },
      schema: {
        tags: ["finance"],
        summary: "After-sales cost by day or month, shop, channel and reason; as JSON, CSV or XLSX",
        querystring: Type.Object({
          from: Type.String({ description: "First day, YYYY-MM-DD, in the merchant's time zone" }),
          to: Type.String({ description: "Last day, inclusive" }),
          by: Type.Optional(
            Type.String({ description: "Comma-separated: day|month, shop, channel, reason" }),
          ),
          format: Type.Optional(Enum(["json", "csv", "xlsx"])),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const raw = await financeReport(ctx, { ...req.query, shops: p.shops });
      // Decimal strings in each row's currency: the JSON and the CSV; XLSX turns them into numbers of yuan.
      const report = {
        ...raw,
        rows: raw.rows.map((r) => ({
          ...r,
          ...Object.fromEntries(MONEY_COLUMNS.map(([key]) => [key, money(r[key], r.currency)])),
        })),
      };
      const format = req.query.format ?? "json";
      if (format === "json") return report;
      const table: ExportTable = {
        name: "after-sales",
        columns: [
          { key: "currency", title: "币种 Currency" },
          ...report.by.map((d) => ({ key: d, title: DIMENSION_TITLES[d] ?? d })),
          ...MONEY_COLUMNS.map(([key, title]) => ({ key, title, money: true })),
          { key: "entries", title: "笔数 Entries" },
        ],
        rows: report.rows as unknown as Record<string, unknown>[],
      };
      const file = `after-sales-${report.from}-${report.to}.${format}`;
      reply.header("content-disposition", `attachment; filename="${file}"`);
      if (format === "csv") return reply.type("text/csv; charset=utf-8").send(toCsv(table));
      return reply
        .type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .send(await toXlsx(table));
    },
  );

  app.get(
    "/finance/ledger",
    {
      config: { permission: "finance.read" },
      schema: {
        tags: ["finance"],
        summary: "Ledger entries, newest first (page with `before`)",
        querystring: Type.Object({
          caseId: Type.Optional(Type.Integer()),
          orderId: Type.Optional(Type.Integer()),
          kind: Type.Optional(Enum(LEDGER_KINDS)),
          before: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const entries = await listLedger(ctx.db, {
        ...req.query,
        limit: req.query.limit ?? 100,
        shops: p.shops,
      });
      return {
        entries: entries.map(entryJson),
        next: entries.length === (req.query.limit ?? 100) ? entries.at(-1)?.id : null,
      };
    },
  );

  app.get(
    "/settings/finance",
    { config: { permission: "finance.read" }, schema: { tags: ["settings"] } },
    async (_req) => {
      return { fees: await financeFees(ctx.db) };
    },
  );
  app.put(
    "/settings/finance",
    {
      config: { permission: "settings.write", allShops: true },
      schema: { tags: ["settings"], body: Type.Object({ fees: Type.Unknown() }) },
    },
    async (req) => {
      return { fees: await setFinanceFees(ctx, req.body.fees, actorOf(principal(req))) };
    },
  );
}
