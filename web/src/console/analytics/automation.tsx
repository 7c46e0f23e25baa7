import type { UseQueryResult } from "@tanstack/react-query";
import type { TFunction } from "i18next";
import { useMemo } from "react";
import { useNavigate } from "react-router";
import { ChartCard } from "./card.tsx";
import { Chart, type ChartClick, type ChartOption } from "./chart.tsx";
import type { Automation } from "./data.ts";
import { AXIS_NAME, esc, pct, pctValue } from "./format.ts";
import { queueLink, type Scope, useMonths } from "./params.ts";

/**
 * 自动化率与规则一致率, by the month cases were opened: the cases (bars; a bar opens that month's
 * cases) and the two rates (lines, on their own 0–100 % axis).
 */
export function AutomationCard({
  t,
  scope,
  result,
}: {
  t: TFunction;
  scope: Scope;
  result: UseQueryResult<Automation>;
}) {
  const navigate = useNavigate();
  const months = result.data?.months;
  const axis = useMonths(scope);
  const option = useMemo<ChartOption>(() => {
    const byMonth = new Map((months ?? []).map((x) => [x.month, x]));
    // Months nobody opened a case in are there too, at zero: the axis is the range asked for.
    const m = axis.map(
      (month) =>
        byMonth.get(month) ?? {
          month,
          cases: 0,
          decided: 0,
          automated: 0,
          overridden: 0,
          rate: null,
          agreement: null,
        },
    );
    return {
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0, itemGap: 16 },
      tooltip: {
        trigger: "axis",
        formatter: (ps: { dataIndex: number }[]) => {
          const x = m[ps[0]?.dataIndex ?? -1];
          if (!x) return "";
          return [
            esc(x.month),
            `${esc(t("automation.cases"))}: ${x.cases}`,
            `${esc(t("automation.rate"))}: ${pct(x.rate)} (${x.automated}/${x.decided})`,
            `${esc(t("automation.agreement"))}: ${pct(x.agreement)} (${x.automated - x.overridden}/${x.automated})`,
          ].join("<br/>");
        },
      },
      xAxis: { type: "category", data: m.map((x) => x.month) },
      yAxis: [
        {
          type: "value",
          name: t("automation.casesAxis"),
          nameTextStyle: { ...AXIS_NAME, align: "left" },
          minInterval: 1,
        },
        {
          type: "value",
          name: t("automation.rateAxis"),
          nameTextStyle: { ...AXIS_NAME, align: "right" },
          min: 0,
          max: 100,
          splitLine: { show: false },
          axisLabel: { formatter: "{value}%" },
        },
      ],
      series: [
        {
          type: "bar",
          name: t("automation.cases"),
          data: m.map((x) => x.cases),
          barMaxWidth: 32,
          itemStyle: { color: "#8fb3e8" },
        },
        {
          type: "line",
          name: t("automation.rate"),
          yAxisIndex: 1,
          data: m.map((x) => pctValue(x.rate)),
          symbolSize: 7,
          lineStyle: { width: 2.5 },
          itemStyle: { color: "#1557c0" },
        },
        {
          type: "line",
          name: t("automation.agreement"),
          yAxisIndex: 1,
          data: m.map((x) => pctValue(x.agreement)),
          symbol: "diamond",
          symbolSize: 8,
          lineStyle: { width: 2.5, type: "dashed" },
          itemStyle: { color: "#009e73" },
        },
      ],
    };
  }, [months, axis, t]);
  const open = (p: ChartClick) => {
    const month = axis[p.dataIndex ?? -1];
    if (p.componentType === "series" && p.seriesIndex === 0 && month) navigate(queueLink(scope, { month }));
  };
  return (
    <ChartCard
      t={t}
      id="automation"
      title={t("automation.title")}
      subtitle={`${t("automation.subtitle")} · ${t("drillHint")}`}
      result={result}
      empty={!months?.length}
      emptyText={t("automation.empty")}
      exportAs={{ path: "automation", query: scope }}
    >
      <Chart
        name="automation"
        option={option}
        height={300}
        label={t("automation.summary", {
          items: (months ?? [])
            .map((x) => `${x.month} ${x.cases} · ${pct(x.rate)} · ${pct(x.agreement)}`)
            .join(", "),
        })}
        onClick={open}
      />
    </ChartCard>
  );
}
