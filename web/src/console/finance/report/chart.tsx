import { BarChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

// Only what this chart draws: bars on a grid, a legend and a tooltip, as SVG (crisp text, small). Its title
// is the page's own heading, which a screen reader finds too.
echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export interface BarSeries {
  name: string;
  /** Bar heights in major units, one per category (placing only: labels come from `label`). */
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

/** A stacked bar chart of money, redrawn when its data changes and resized with its box. */
export function StackedBars({ title, description, categories, series, axisLabel, height = 320 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!box.current) return;
    const c = echarts.init(box.current, undefined, { renderer: "svg" });
    chart.current = c;
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(
      {
        legend: { top: 0, left: 0, type: "scroll", textStyle: { color: "#1f1f1f" } },
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
        xAxis: { type: "category", data: categories, axisLabel: { color: "#1f1f1f", hideOverlap: true } },
        yAxis: { type: "value", axisLabel: { color: "#1f1f1f", formatter: axisLabel } },
        series: series.map((s) => ({
          name: s.name,
          type: "bar",
          stack: "cost",
          barMaxWidth: 48,
          emphasis: { focus: "series" },
          data: s.values,
        })),
      },
      { notMerge: true },
    );
  }, [categories, series, axisLabel]);

  return (
    <figure style={{ margin: 0 }}>
      <figcaption>
        <h2 style={{ fontSize: 14, fontWeight: 600, margin: "0 0 8px" }}>{title}</h2>
      </figcaption>
      <div ref={box} role="img" aria-label={description} style={{ width: "100%", height }} />
    </figure>
  );
}
