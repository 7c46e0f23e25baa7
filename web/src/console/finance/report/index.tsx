import { DownloadOutlined } from "@ant-design/icons";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import {
  Button,
  Card,
  Checkbox,
  DatePicker,
  Empty,
  Segmented,
  Space,
  Table,
  type TableColumnsType,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { api, call } from "../../../shared/api.ts";
import type { paths } from "../../../shared/api-types.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { chartValue, formatMoney, sumMoney } from "../../../shared/money.ts";
import { useCodes } from "../../cases/[id]/text.ts";
import { LoadProblem } from "../load-problem.tsx";
import { FinanceHeader } from "../tabs.tsx";
import { type BarSeries, StackedBars } from "./chart.tsx";
import { GROUPS, KINDS, TEXT } from "./text.ts";

type Json<T> = T extends { responses: { 200: { content: { "application/json": infer J } } } } ? J : never;
type Report = Json<paths["/api/v1/finance/report"]["get"]>;
type Row = Report["rows"][number];
type Period = "day" | "month" | "none";
type Group = (typeof GROUPS)[number];
type Dim = "day" | "month" | Group;
const MONEY = [...KINDS, "net"] as const;
const DAY = "YYYY-MM-DD";

/** The report's question, kept in the address (?from=…&to=…&period=month&by=channel) to share or bookmark. */
function useReportQuery() {
  const [params, setParams] = useSearchParams();
  const text = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the address text is the state's identity
  const q = useMemo(() => {
    const valid = (d: string | null) => (d && dayjs(d, DAY, true).isValid() ? d : null);
    const to = valid(params.get("to")) ?? dayjs().format(DAY);
    const from = valid(params.get("from")) ?? dayjs(to).subtract(29, "day").format(DAY);
    const period = (["day", "month", "none"] as const).find((p) => p === params.get("period")) ?? "day";
    const by = (params.get("by") ?? "")
      .split(",")
      .filter((g): g is Group => (GROUPS as readonly string[]).includes(g));
    return { from, to, period, by };
  }, [text]);
  const set = (patch: Partial<typeof q>) => {
    const next = { ...q, ...patch };
    const p = new URLSearchParams({ from: next.from, to: next.to, period: next.period });
    if (next.by.length) p.set("by", next.by.join(","));
    setParams(p, { replace: true });
  };
  return [q, set] as const;
}

/** 售后成本报表: the ledger by day or month, shop, channel and reason — a chart, a table and files for finance. */
export default function FinanceReport() {
  const { t } = useScreenText("financeReport", TEXT);
  const [q, set] = useReportQuery();
  const code = useCodes();
  const dims: Dim[] = [...(q.period === "none" ? [] : [q.period]), ...q.by];
  const query = { from: q.from, to: q.to, by: dims.join(",") };
  const report = useQuery({
    queryKey: keys.ledger({ report: query }),
    // The JSON answer (the same operation also answers CSV and XLSX downloads).
    queryFn: () => call(api.GET("/api/v1/finance/report", { params: { query } })) as Promise<Report>,
    placeholderData: keepPreviousData,
  });
  const rows = report.data?.rows ?? [];
  const exportUrl = (format: "csv" | "xlsx") =>
    `/api/v1/finance/report?${new URLSearchParams({ ...query, format }).toString()}`;

  /** A dimension's value in words: a channel's or reason's name, an empty one as "(none)". */
  const valueText = (dim: Dim, v: string | null | undefined) => {
    if (!v) return t("none");
    if (dim === "channel") return code("tender", v);
    if (dim === "reason") return t(`reasons.${v}`, { defaultValue: v });
    return v;
  };

  const columns: TableColumnsType<Row> = [
    ...dims.map((d) => ({
      title: t(`dims.${d}`),
      key: d,
      render: (_: unknown, r: Row) => valueText(d, r[d]),
    })),
    { title: t("currency"), key: "currency", dataIndex: "currency", width: 80 },
    ...MONEY.map((k) => ({
      title: t(`kinds.${k}`),
      key: k,
      align: "right" as const,
      render: (_: unknown, r: Row) => {
        const text = formatMoney({ amount: r[k], currency: r.currency });
        return k === "net" ? <strong>{text}</strong> : text;
      },
    })),
    { title: t("entries"), key: "entries", dataIndex: "entries", align: "right", width: 80 },
  ];

  // Totals per currency, exactly: yuan and dollars never add up.
  const currencies = [...new Set(rows.map((r) => r.currency))];
  const totals = currencies.map((currency) => {
    const mine = rows.filter((r) => r.currency === currency);
    return {
      currency,
      entries: mine.reduce((a, r) => a + r.entries, 0),
      ...Object.fromEntries(
        MONEY.map((k) => [
          k,
          sumMoney(
            mine.map((r) => r[k]),
            currency,
          ).amount,
        ]),
      ),
    } as Row;
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: the rows and the dimensions' names decide it
  const chart = useMemo(() => chartOf(rows, dims, t, valueText), [rows, dims.join(), t]);

  return (
    <section aria-label={t("title")}>
      <FinanceHeader
        extra={
          <Space wrap>
            <Button icon={<DownloadOutlined />} href={exportUrl("csv")} download>
              {t("exportCsv")}
            </Button>
            <Button icon={<DownloadOutlined />} href={exportUrl("xlsx")} download>
              {t("exportXlsx")}
            </Button>
          </Space>
        }
      />
      <search
        aria-label={t("title")}
        style={{ display: "flex", flexWrap: "wrap", gap: 16, alignItems: "center", marginBottom: 12 }}
      >
        <DatePicker.RangePicker
          aria-label={t("range")}
          allowClear={false}
          value={[dayjs(q.from), dayjs(q.to)]}
          onChange={(v) => {
            const [a, b] = (v ?? []) as [Dayjs | null, Dayjs | null];
            if (a && b) set({ from: a.format(DAY), to: b.format(DAY) });
          }}
          presets={[7, 30, 90].map((n) => ({
            label: t("lastDays", { n }),
            value: [dayjs().subtract(n - 1, "day"), dayjs()] as [Dayjs, Dayjs],
          }))}
        />
        <Segmented
          aria-label={t("period")}
          value={q.period}
          onChange={(v) => set({ period: v as Period })}
          options={(["day", "month", "none"] as const).map((p) => ({ value: p, label: t(`periods.${p}`) }))}
        />
        <Space>
          <Typography.Text id="report-group">{t("groupBy")}</Typography.Text>
          <Checkbox.Group
            aria-labelledby="report-group"
            value={q.by}
            onChange={(v) => set({ by: GROUPS.filter((g) => (v as string[]).includes(g)) })}
            options={GROUPS.map((g) => ({ value: g, label: t(`dims.${g}`) }))}
          />
        </Space>
      </search>
      <LoadProblem error={report.error} text={(message) => t("loadFailed", { message })} />
      <Card size="small" style={{ marginBottom: 12 }}>
        {rows.length === 0 && !report.isPending ? (
          <Empty description={t("empty")} />
        ) : (
          <>
            <StackedBars
              title={chart.title}
              description={t("chartLabel", { title: chart.title, count: chart.categories.length })}
              categories={chart.categories}
              series={chart.series}
              axisLabel={chart.axisLabel}
            />
            {currencies.length > 1 && (
              <Typography.Text type="secondary">
                {t("chartOtherCurrencies", { currency: chart.currency })}
              </Typography.Text>
            )}
          </>
        )}
      </Card>
      <Table<Row>
        rowKey={(r) => `${r.currency}|${dims.map((d) => r[d]).join("|")}`}
        size="small"
        columns={columns}
        dataSource={rows}
        loading={report.isFetching && !report.data}
        scroll={{ x: 900 }}
        pagination={{ pageSize: 31, hideOnSinglePage: true, showSizeChanger: false }}
        summary={() =>
          totals.map((tot) => (
            <Table.Summary.Row key={tot.currency}>
              {dims.length > 0 && (
                <Table.Summary.Cell index={0} colSpan={dims.length}>
                  <strong>{t("total")}</strong>
                </Table.Summary.Cell>
              )}
              <Table.Summary.Cell index={1}>
                {dims.length > 0 ? tot.currency : `${t("total")} · ${tot.currency}`}
              </Table.Summary.Cell>
              {MONEY.map((k, i) => (
                <Table.Summary.Cell index={2 + i} key={k} align="right">
                  <strong data-testid={`total-${k}`}>
                    {formatMoney({ amount: tot[k], currency: tot.currency })}
                  </strong>
                </Table.Summary.Cell>
              ))}
              <Table.Summary.Cell index={2 + MONEY.length} align="right">
                {tot.entries}
              </Table.Summary.Cell>
            </Table.Summary.Row>
          ))
        }
      />
      {report.data && (
        <Typography.Text type="secondary" style={{ display: "block", marginTop: 8 }}>
          {t("timeZone", { tz: report.data.timeZone })}
        </Typography.Text>
      )}
    </section>
  );
}

/**
 * What the chart shows: along the axis the time (or, without one, the first grouping); stacked, each
 * kind of cost — or, grouped further, the total per value of the next grouping. One currency: the
 * most booked one.
 */
function chartOf(
  rows: readonly Row[],
  dims: readonly Dim[],
  t: (k: string, o?: Record<string, unknown>) => string,
  valueText: (d: Dim, v: string | null | undefined) => string,
) {
  const byCurrency = new Map<string, number>();
  for (const r of rows) byCurrency.set(r.currency, (byCurrency.get(r.currency) ?? 0) + r.entries);
  const currency = [...byCurrency].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "CNY";
  const mine = rows.filter((r) => r.currency === currency);
  const [axis, split] = dims;
  const key = (d: Dim | undefined, r: Row) => (d ? (r[d] ?? "") : "");
  const categories = [...new Set(mine.map((r) => key(axis, r)))];
  const at = (d: Dim | undefined, v: string) => mine.filter((r) => key(d, r) === v);
  const money = (amounts: string[]) => sumMoney(amounts, currency);
  const series: BarSeries[] = split
    ? [...new Set(mine.map((r) => key(split, r)))].map((v) => {
        const sums = categories.map((c) =>
          money(
            at(axis, c)
              .filter((r) => key(split, r) === v)
              .map((r) => r.net),
          ),
        );
        return {
          name: valueText(split, v),
          values: sums.map(chartValue),
          labels: sums.map(formatMoney),
        };
      })
    : KINDS.map((k) => {
        const sums = categories.map((c) => money(at(axis, c).map((r) => r[k])));
        return { name: t(`kinds.${k}`), values: sums.map(chartValue), labels: sums.map(formatMoney) };
      });
  const title = `${axis ? t(`chartBy.${axis}`, { currency }) : t("chartTitle", { currency })} · ${t(`stackedBy.${split ?? "kinds"}`)}`;
  const symbol = formatMoney({ amount: "0", currency }).replace(/[\d.,\s-]/g, "");
  return {
    currency,
    title,
    categories: categories.map((c) => (axis ? valueText(axis, c) : t("total"))),
    series,
    axisLabel: (v: number) => `${symbol}${v.toLocaleString()}`,
  };
}
