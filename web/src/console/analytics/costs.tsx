import type { UseQueryResult } from "@tanstack/react-query";
import { Segmented } from "antd";
import type { TFunction } from "i18next";
import { useMemo, useState } from "react";
import { formatMoney, formatMoneyTick, type Money, sumAmounts } from "../../shared/money.ts";
import { ChartCard } from "./card.tsx";
import { Chart, type ChartOption } from "./chart.tsx";
import type { Costs } from "./data.ts";
import { AXIS_NAME, esc } from "./format.ts";
import { type Scope, useMonths } from "./params.ts";
import { COST_KINDS } from "./text.ts";

/** The currency most of the money is in (the rest is a choice away). */
export function mainCurrency(costs: Costs | undefined): string | undefined {
  const entries = new Map<string, number>();
  for (const x of costs?.totals ?? []) entries.set(x.currency, (entries.get(x.currency) ?? 0) + x.entries);
  return [...entries].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * 售后成本: each month's cost stacked by kind (refunded goods and shipping, compensation, shipping
 * subsidies, channel fees) in one currency; amounts shown as money, exactly as the ledger holds them.
 */
export function CostsCard({
  t,
  scope,
  result,
}: {
  t: TFunction;
  scope: Scope;
  result: UseQueryResult<Costs>;
}) {
  const data = result.data;
  const currencies = useMemo(() => [...new Set((data?.totals ?? []).map((x) => x.currency))].sort(), [data]);
  const [picked, setPicked] = useState<string>();
  const currency = picked && currencies.includes(picked) ? picked : mainCurrency(data);
  const months = useMonths(scope);
  const option = useMemo<ChartOption>(() => {
    const rows = (data?.rows ?? []).filter((r) => r.currency === currency);
    const kinds = COST_KINDS.filter((k) => rows.some((r) => r.kind === k));
    const at = (month: string, kind: string) => rows.find((r) => r.month === month && r.kind === kind);
    const c = currency ?? "CNY";
    return {
      grid: { left: 8, right: 16, top: 48, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: (ps: { dataIndex: number }[]) => {
          const month = months[ps[0]?.dataIndex ?? -1];
          if (!month) return "";
          const amounts = kinds
            .map((k) => [k, at(month, k)] as const)
            .filter(([, r]) => r)
            .map(([k, r]) => ({ k, m: { amount: r?.amount ?? "0", currency: c } as Money }));
          return [
            esc(month),
            ...amounts.map(({ k, m }) => `${esc(t(`costs.kinds.${k}`))}: ${esc(formatMoney(m))}`),
            `<b>${esc(t("costs.total"))}: ${esc(
              formatMoney({
                amount: sumAmounts(
                  amounts.map((a) => a.m.amount),
                  c,
                ),
                currency: c,
              }),
            )}</b>`,
          ].join("<br/>");
        },
      },
      xAxis: { type: "category", data: months },
      yAxis: {
        type: "value",
        name: t("costs.axis", { currency: c }),
        nameTextStyle: { ...AXIS_NAME, align: "left" },
        axisLabel: { formatter: (v: number) => formatMoneyTick(v, c) },
      },
      series: kinds.map((k) => ({
        type: "bar",
        stack: "cost",
        name: t(`costs.kinds.${k}`),
        barMaxWidth: 40,
        // Plotted as numbers (bar heights); every figure a person reads is formatted from the decimal.
        data: months.map((m) => Number(at(m, k)?.amount ?? 0)),
      })),
    };
  }, [data, months, currency, t]);
  const shown = (data?.totals ?? []).filter((x) => x.currency === currency);
  return (
    <ChartCard
      t={t}
      id="costs"
      title={t("costs.title")}
      subtitle={t("costs.subtitle", { currency: currency ?? "CNY" })}
      extra={
        currencies.length > 1 && (
          <Segmented
            aria-label={t("costs.currency")}
            value={currency}
            onChange={(v) => setPicked(String(v))}
            options={currencies}
          />
        )
      }
      result={result}
      empty={!data?.rows.length}
      emptyText={t("costs.empty")}
      exportAs={{ path: "costs", query: scope }}
    >
      <Chart
        name="costs"
        option={option}
        height={320}
        label={t("costs.summary", {
          items: shown.map((x) => `${t(`costs.kinds.${x.kind}`)} ${formatMoney(x)}`).join(", "),
        })}
      />
    </ChartCard>
  );
}
