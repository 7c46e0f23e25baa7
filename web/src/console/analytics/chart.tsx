import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkPointComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

// Only what the dashboard draws: bars, lines, their axes, legend, tooltip and the alert pins, as SVG
// (crisp at any zoom, text a screen reader's browser can select). The rest of ECharts stays out.
echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  LegendComponent,
  MarkPointComponent,
  TooltipComponent,
  SVGRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;
/** What a click on a chart hit: a series' item (a bar, a point) or an axis label. */
export interface ChartClick {
  componentType: string;
  seriesIndex?: number;
  dataIndex?: number;
  name?: string;
  value?: unknown;
  data?: unknown;
  targetType?: string;
}

/** Ant Design's font stack and text colour, so charts read like the rest of the console. */
export const BASE: ChartOption = {
  textStyle: {
    fontFamily:
      '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
    color: "rgba(0, 0, 0, 0.88)",
  },
  animationDuration: 300,
  animationDurationUpdate: 300,
};
/** Colours that stay apart for people with the common colour-vision deficiencies (Okabe–Ito, darkened). */
export const PALETTE = ["#1557c0", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9", "#6b6b6b"];

/**
 * One ECharts chart that follows its option and its box's width. The box says in words what the chart
 * shows (`label`, role img) and carries `data-rendered` once drawn, for tests to wait on.
 */
export function Chart({
  name,
  option,
  height,
  label,
  onClick,
}: {
  name: string;
  option: ChartOption;
  height: number;
  label: string;
  onClick?: (p: ChartClick) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = echarts.init(el, undefined, { renderer: "svg" });
    chart.current = c;
    c.on("click", (p) => click.current?.(p as ChartClick));
    c.on("finished", () => el.setAttribute("data-rendered", "true"));
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    box.current?.removeAttribute("data-rendered");
    chart.current?.setOption({ ...BASE, color: PALETTE, ...option }, { notMerge: true });
  }, [option]);
  return (
    <div
      ref={box}
      data-chart={name}
      role="img"
      aria-label={label}
      style={{ height, width: "100%", cursor: onClick ? "pointer" : undefined }}
    />
  );
}
