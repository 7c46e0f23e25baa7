import { useMemo } from "react";
import { Chart, type ChartOption } from "../../analytics/chart.tsx";

export interface BarSeries {
  name: string;
  /** Bar heights in major units, one per category (placing only: labels come from `labels`). */
  values: number[];
  /** What the tooltip says for each category, already formatted as money. */
  labels: string[];
}

interface Props {
  title: string;
  /** What a screen reader hears for the chart (its title and size). */
  description: string;
  categories: string[];
  series: BarSeries[];
  /** Axis ticks as money ("¥1,200"). */
  axisLabel: (value: number) => string;
  height?: number;
}

const TEXT = "rgba(0, 0, 0, 0.88)";

/**
 * The report's stacked bars of money, drawn by the dashboard's chart (one ECharts build, its colours and
 * font). Its title is the page's own heading, which a screen reader finds too.
 */
export function StackedBars({ title, description, categories, series, axisLabel, height = 320 }: Props) {
  const option = useMemo<ChartOption>(
    () => ({
      legend: { top: 0, left: 0, type: "scroll", textStyle: { color: TEXT } },
      grid: { top: 40, left: 8, right: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        // Each series' own money text: never a float printed back.
        formatter: (params: unknown) => {
          const items = params as {
            seriesIndex: number;
            dataIndex: number;
            marker: string;
            seriesName: string;
          }[];
          const head = categories[items[0]?.dataIndex ?? 0] ?? "";
          return [
            head,
            ...items.map(
              (p) => `${p.marker}${p.seriesName}: ${series[p.seriesIndex]?.labels[p.dataIndex] ?? ""}`,
            ),
          ].join("<br/>");
        },
      },
      xAxis: { type: "category", data: categories, axisLabel: { color: TEXT, hideOverlap: true } },
      yAxis: { type: "value", axisLabel: { color: TEXT, formatter: axisLabel } },
      series: series.map((s) => ({
        name: s.name,
        type: "bar",
        stack: "cost",
        barMaxWidth: 48,
        emphasis: { focus: "series" },
        data: s.values,
      })),
    }),
    [categories, series, axisLabel],
  );
  return (
    <figure style={{ margin: 0 }}>
      <figcaption>
        <h2 style={{ fontSize: 14, fontWeight: 600, margin: "0 0 8px" }}>{title}</h2>
      </figcaption>
      <Chart name="finance-report" option={option} height={height} label={description} />
    </figure>
  );
}
