import type { TFunction } from "i18next";
import { useMemo } from "react";
import { useNavigate } from "react-router";
import { ChartCard } from "./card.tsx";
import { Chart, type ChartClick, type ChartOption } from "./chart.tsx";
import { useReasons } from "./data.ts";
import { AXIS_NAME, esc, pct } from "./format.ts";
import { queueLink, type Scope } from "./params.ts";

const NONE: never[] = [];

/** 退款原因分布: cases opened in the period by reason, most first; a bar (or its name) opens those cases. */
export function ReasonsCard({ t, q, scope }: { t: TFunction; q: TFunction; scope: Scope }) {
  const navigate = useNavigate();
  const result = useReasons(scope);
  const rows = result.data?.rows ?? NONE;
  const names = useMemo(() => rows.map((r) => q(`reasons.${r.reason}`)), [rows, q]);
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 96, top: 8, bottom: 36, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: (p: { dataIndex: number }) => {
          const r = rows[p.dataIndex];
          return r
            ? `${esc(names[p.dataIndex] ?? "")}<br/>${esc(t("reasons.label", { count: r.cases, share: pct(r.share) }))}`
            : "";
        },
      },
      xAxis: {
        type: "value",
        name: t("reasons.axis"),
        nameLocation: "middle",
        nameGap: 26,
        nameTextStyle: AXIS_NAME,
        minInterval: 1,
      },
      yAxis: {
        type: "category",
        data: names,
        inverse: true,
        triggerEvent: true,
        axisTick: { show: false },
        axisLabel: { fontSize: 13 },
      },
      series: [
        {
          type: "bar",
          name: t("reasons.axis"),
          data: rows.map((r) => r.cases),
          barMaxWidth: 22,
          label: {
            show: true,
            position: "right",
            formatter: (p: { dataIndex: number }) => {
              const r = rows[p.dataIndex];
              return r ? t("reasons.label", { count: r.cases, share: pct(r.share) }) : "";
            },
          },
        },
      ],
    }),
    [rows, names, t],
  );
  const open = (p: ChartClick) => {
    const i = p.componentType === "series" ? (p.dataIndex ?? -1) : names.indexOf(String(p.value));
    const r = rows[i];
    if (r) navigate(queueLink(scope, { reason: r.reason }));
  };
  return (
    <ChartCard
      t={t}
      id="reasons"
      title={t("reasons.title")}
      subtitle={`${t("reasons.subtitle")} · ${t("drillHint")}`}
      result={result}
      empty={rows.length === 0}
      emptyText={t("reasons.empty")}
      exportAs={{ path: "reasons", query: scope }}
    >
      <Chart
        name="reasons"
        option={option}
        height={Math.max(180, rows.length * 36 + 56)}
        label={t("reasons.summary", {
          items: rows.map((r, i) => `${names[i]} ${r.cases} (${pct(r.share)})`).join(", "),
        })}
        onClick={open}
      />
    </ChartCard>
  );
}
