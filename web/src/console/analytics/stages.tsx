import { Col, Row, Select, Typography } from "antd";
import type { TFunction } from "i18next";
import { useMemo } from "react";
import { label } from "../../shared/i18n.ts";
import { ChartCard } from "./card.tsx";
import { Chart, type ChartClick, type ChartOption } from "./chart.tsx";
import { useStageTimes } from "./data.ts";
import { AXIS_NAME, esc, hoursText } from "./format.ts";
import { type Scope, useMonths } from "./params.ts";

/** The stage a trend shows first: the wait for review, where customers feel time most. */
const FIRST_STAGE = "requested";

/**
 * 处理时效: each stage's p50 and p90 in hours (slowest first; a bar picks the stage), and the chosen
 * stage's p50 and p90 month by month beside it.
 */
export function StagesCard({
  t,
  scope,
  stage,
  onStage,
}: {
  t: TFunction;
  scope: Scope;
  stage: string | undefined;
  onStage: (stage: string) => void;
}) {
  const result = useStageTimes(scope);
  const data = result.data;
  const stages = useMemo(
    () => [...(data?.stages ?? [])].sort((a, b) => (b.p90Hours ?? 0) - (a.p90Hours ?? 0)),
    [data],
  );
  const nameOf = useMemo(() => {
    const names = new Map(
      stages.map((s) => [s.stage, s.zh && s.en ? label({ zh: s.zh, en: s.en }) : s.stage]),
    );
    return (code: string) => names.get(code) ?? code;
  }, [stages]);
  const chosen = stages.some((s) => s.stage === stage)
    ? (stage as string)
    : stages.some((s) => s.stage === FIRST_STAGE)
      ? FIRST_STAGE
      : stages[0]?.stage;
  const bars = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 48, top: 36, bottom: 36, containLabel: true },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: (ps: { dataIndex: number }[]) => {
          const s = stages[ps[0]?.dataIndex ?? -1];
          if (!s) return "";
          return [
            esc(nameOf(s.stage)),
            `${esc(t("stages.p50"))}: ${esc(t("stages.hours", { n: hoursText(s.p50Hours) }))}`,
            `${esc(t("stages.p90"))}: ${esc(t("stages.hours", { n: hoursText(s.p90Hours) }))}`,
            esc(t("stages.stays", { n: s.n })),
          ].join("<br/>");
        },
      },
      xAxis: {
        type: "value",
        name: t("stages.axis"),
        nameLocation: "middle",
        nameGap: 26,
        nameTextStyle: AXIS_NAME,
      },
      yAxis: {
        type: "category",
        data: stages.map((s) => nameOf(s.stage)),
        inverse: true,
        triggerEvent: true,
        axisTick: { show: false },
      },
      series: [
        {
          type: "bar",
          name: t("stages.p50"),
          data: stages.map((s) => s.p50Hours),
          barMaxWidth: 14,
          itemStyle: { color: "#8fb3e8" },
        },
        {
          type: "bar",
          name: t("stages.p90"),
          data: stages.map((s) => s.p90Hours),
          barMaxWidth: 14,
          itemStyle: { color: "#1557c0" },
          label: { show: true, position: "right", formatter: (p: { value: number }) => hoursText(p.value) },
        },
      ],
    }),
    [stages, nameOf, t],
  );
  const trend = useMemo(() => (data?.trend ?? []).filter((x) => x.stage === chosen), [data, chosen]);
  const axis = useMonths(scope);
  const line = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis", valueFormatter: (v: number) => t("stages.hours", { n: hoursText(v) }) },
      xAxis: { type: "category", data: axis },
      yAxis: { type: "value", name: t("stages.trendAxis"), nameTextStyle: { ...AXIS_NAME, align: "left" } },
      series: [
        {
          type: "line",
          name: t("stages.p50"),
          data: axis.map((m) => trend.find((x) => x.month === m)?.p50Hours ?? null),
          connectNulls: true,
          itemStyle: { color: "#8fb3e8" },
        },
        {
          type: "line",
          name: t("stages.p90"),
          data: axis.map((m) => trend.find((x) => x.month === m)?.p90Hours ?? null),
          connectNulls: true,
          itemStyle: { color: "#1557c0" },
          lineStyle: { width: 2.5 },
        },
      ],
    }),
    [trend, axis, t],
  );
  const pick = (p: ChartClick) => {
    const s =
      p.componentType === "series"
        ? stages[p.dataIndex ?? -1]
        : stages.find((x) => nameOf(x.stage) === p.value);
    if (s) onStage(s.stage);
  };
  const summary = (items: string[]) => t("stages.summary", { items: items.join(", ") });
  return (
    <ChartCard
      t={t}
      id="stages"
      title={t("stages.title")}
      subtitle={t("stages.subtitle")}
      result={result}
      empty={stages.length === 0}
      emptyText={t("stages.empty")}
      exportAs={{ path: "stage-times", query: scope }}
    >
      <Row gutter={[24, 16]}>
        <Col xs={24} lg={13}>
          <Chart
            name="stages"
            option={bars}
            height={Math.max(220, stages.length * 40 + 80)}
            label={summary(
              stages.map(
                (s) => `${nameOf(s.stage)} p50 ${hoursText(s.p50Hours)} / p90 ${hoursText(s.p90Hours)}`,
              ),
            )}
            onClick={pick}
          />
        </Col>
        <Col xs={24} lg={11}>
          <div style={{ display: "flex", alignItems: "center", gap: 8, flexWrap: "wrap" }}>
            <Typography.Title level={3} style={{ fontSize: 14, margin: 0 }}>
              {t("stages.trendTitle", { stage: chosen ? nameOf(chosen) : "" })}
            </Typography.Title>
            <Select
              size="small"
              aria-label={t("stages.stage")}
              value={chosen}
              onChange={onStage}
              options={stages.map((s) => ({ value: s.stage, label: nameOf(s.stage) }))}
              style={{ minWidth: 140 }}
            />
          </div>
          <Chart
            name="stage-trend"
            option={line}
            height={260}
            label={summary(
              trend.map((x) => `${x.month} p50 ${hoursText(x.p50Hours)} / p90 ${hoursText(x.p90Hours)}`),
            )}
          />
        </Col>
      </Row>
    </ChartCard>
  );
}
