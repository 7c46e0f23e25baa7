import { WarningFilled } from "@ant-design/icons";
import { Segmented, Space, Typography } from "antd";
import type { TFunction } from "i18next";
import { useMemo } from "react";
import { label } from "../../shared/i18n.ts";
import { ChartCard } from "./card.tsx";
import { Chart, type ChartOption } from "./chart.tsx";
import { useRefundTrend, useShops } from "./data.ts";
import { AXIS_NAME, esc, pct, pctValue } from "./format.ts";
import { type Scope, TREND_BY, type TrendBy, useMonths } from "./params.ts";

const ALERT = "#b3261e";

/**
 * 退款率变化趋势: each month's refund rate for the categories, SKUs or shops with the most units refunded,
 * the quality scan's jumps pinned on their lines (and listed under the chart in words).
 */
export function RefundTrendCard({
  t,
  scope,
  by,
  onBy,
}: {
  t: TFunction;
  scope: Scope;
  by: TrendBy;
  onBy: (by: TrendBy) => void;
}) {
  const result = useRefundTrend(scope, by);
  const shops = useShops();
  const data = result.data;
  const nameOf = useMemo(() => {
    const shopNames = new Map((shops.data?.items ?? []).map((s) => [s.id, s.name]));
    return (key: string) =>
      by === "shop" ? (shopNames.get(key) ?? key) : key === "" ? t("trend.uncategorised") : key;
  }, [shops.data, by, t]);
  const months = useMonths(scope);
  const option = useMemo<ChartOption>(() => {
    const spikes = data?.spikes ?? [];
    return {
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
      legend: { top: 0, type: "scroll" },
      tooltip: {
        trigger: "axis",
        formatter: (ps: { seriesIndex: number; dataIndex: number; color: string }[]) =>
          [
            esc(months[ps[0]?.dataIndex ?? -1] ?? ""),
            ...ps.map((p) => {
              const s = data?.series[p.seriesIndex];
              const point = s?.points.find((x) => x.month === months[p.dataIndex]);
              if (!s || !point) return "";
              const counts = `${t("trend.refunded", { n: point.refundedQty })} / ${t("trend.sold", { n: point.soldQty })}`;
              return `<span style="color:${p.color}">●</span> ${esc(nameOf(s.key))}: ${pct(point.rate)} (${esc(counts)})`;
            }),
          ].join("<br/>"),
      },
      xAxis: { type: "category", data: months, boundaryGap: false },
      yAxis: {
        type: "value",
        name: t("trend.axis"),
        nameTextStyle: { ...AXIS_NAME, align: "left" },
        axisLabel: { formatter: "{value}%" },
      },
      series: (data?.series ?? []).map((s) => {
        const rates = new Map(s.points.map((p) => [p.month, pctValue(p.rate)]));
        return {
          type: "line",
          name: nameOf(s.key),
          data: months.map((m) => rates.get(m) ?? null),
          connectNulls: true,
          symbolSize: 6,
          markPoint: {
            symbol: "pin",
            symbolSize: 34,
            itemStyle: { color: ALERT },
            label: { formatter: "!", color: "#fff", fontWeight: "bold" },
            data: spikes
              .filter((k) => k.key === s.key && rates.get(k.month) !== undefined)
              .map((k) => ({ name: t("trend.spike"), coord: [k.month, rates.get(k.month) ?? 0] })),
          },
        };
      }),
    };
  }, [data, months, nameOf, t]);
  const spikes = data?.spikes ?? [];
  return (
    <ChartCard
      t={t}
      id="refund-trend"
      title={t("trend.title")}
      subtitle={t("trend.subtitle", { by: t(`trend.by.${by}`) })}
      extra={
        <Segmented
          aria-label={t("trend.byLabel")}
          value={by}
          onChange={(v) => onBy(v as TrendBy)}
          options={TREND_BY.map((b) => ({ value: b, label: t(`trend.by.${b}`) }))}
        />
      }
      result={result}
      empty={!data?.series.length}
      emptyText={t("trend.empty")}
      exportAs={{ path: "refund-trend", query: { ...scope, by } }}
    >
      <Chart
        name="refund-trend"
        option={option}
        height={320}
        label={t("trend.summary", {
          items: (data?.series ?? [])
            .map((s) => `${nameOf(s.key)}: ${s.points.map((p) => `${p.month} ${pct(p.rate)}`).join(" ")}`)
            .join("; "),
        })}
      />
      {spikes.length > 0 && (
        <Space orientation="vertical" size={2} style={{ marginTop: 8 }} data-testid="spikes">
          {spikes.map((k) => (
            <Typography.Text key={k.alertId}>
              <WarningFilled style={{ color: ALERT, marginInlineEnd: 6 }} aria-hidden />
              {`${t("trend.spike")} · ${k.month} · `}
              {t("trend.spikeDetail", {
                subject: by === "shop" ? `${nameOf(k.key)} ${k.subject}` : nameOf(k.subject),
                reason: label(k.reason),
                recent: pct(k.recentRate),
                baseline: pct(k.baselineRate),
              })}
            </Typography.Text>
          ))}
        </Space>
      )}
    </ChartCard>
  );
}
