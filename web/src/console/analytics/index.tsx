import { Card, Col, DatePicker, Row, Select, Statistic, Tooltip, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { formatMoney, sumAmounts } from "../../shared/money.ts";
import { useCan } from "../../shared/session.ts";
import { CHANNEL_CODES } from "../queue/text.ts";
import { AutomationCard } from "./automation.tsx";
import { CostsCard, mainCurrency } from "./costs.tsx";
import { useAutomation, useCosts, useShops } from "./data.ts";
import { pct } from "./format.ts";
import { type Channel, type DashboardState, scopeOf, useDashboardState } from "./params.ts";
import { ReasonsCard } from "./reasons.tsx";
import { RefundTrendCard } from "./refund-trend.tsx";
import { StagesCard } from "./stages.tsx";
import { useAnalyticsText } from "./text.ts";

const month = (d: Dayjs) => d.format("YYYY-MM");

/**
 * 数据统计分析: the manager's dashboard. One set of filters (months, shop, channel) in the address drives
 * every chart; a bar drills into the queue showing exactly its cases; each chart exports what it shows.
 */
export default function Analytics() {
  const { t, q } = useAnalyticsText();
  const can = useCan();
  const [state, set] = useDashboardState();
  const scope = scopeOf(state);
  const mayCost = can("finance.read");
  const automation = useAutomation(scope);
  const costs = useCosts(scope, mayCost);
  return (
    <section aria-labelledby="analytics-title">
      <Typography.Title level={1} id="analytics-title" style={{ fontSize: 20, margin: "0 0 12px" }}>
        {t("title")}
      </Typography.Title>
      <Filters state={state} set={set} />
      <Kpis automation={automation.data} costs={mayCost ? costs.data : undefined} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <ReasonsCard t={t} q={q} scope={scope} />
        </Col>
        <Col xs={24} xl={12}>
          <AutomationCard t={t} scope={scope} result={automation} />
        </Col>
        <Col span={24}>
          <RefundTrendCard t={t} scope={scope} by={state.by} onBy={(by) => set({ by })} />
        </Col>
        <Col span={24}>
          <StagesCard t={t} scope={scope} stage={state.stage} onStage={(stage) => set({ stage })} />
        </Col>
        {mayCost && (
          <Col span={24}>
            <CostsCard t={t} scope={scope} result={costs} />
          </Col>
        )}
      </Row>
    </section>
  );
}

/** Months, shop and channel: what every chart counts. */
function Filters({ state, set }: { state: DashboardState; set: (p: Partial<DashboardState>) => void }) {
  const { t, q } = useAnalyticsText();
  const shops = useShops();
  const now = dayjs();
  const presets: { label: string; value: [Dayjs, Dayjs] }[] = [
    { label: t("presets.thisMonth"), value: [now, now] },
    { label: t("presets.last3"), value: [now.subtract(2, "month"), now] },
    { label: t("presets.last6"), value: [now.subtract(5, "month"), now] },
    { label: t("presets.last12"), value: [now.subtract(11, "month"), now] },
    { label: t("presets.thisYear"), value: [now.startOf("year"), now] },
  ];
  return (
    <search
      aria-label={t("filters")}
      style={{ display: "flex", flexWrap: "wrap", gap: 8, marginBottom: 16, alignItems: "center" }}
    >
      <DatePicker.RangePicker
        picker="month"
        allowClear={false}
        aria-label={t("months")}
        placeholder={[t("monthFrom"), t("monthTo")]}
        value={[dayjs(`${state.from}-01`), dayjs(`${state.to}-01`)]}
        presets={presets}
        onChange={(v) => {
          if (v?.[0] && v[1]) set({ from: month(v[0]), to: month(v[1]) });
        }}
      />
      <Select
        aria-label={t("shop")}
        allowClear
        placeholder={t("allShops")}
        value={state.shop}
        onChange={(shop?: string) => set({ shop })}
        options={(shops.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
        style={{ minWidth: 160 }}
      />
      <Select
        aria-label={t("channel")}
        allowClear
        placeholder={t("allChannels")}
        value={state.channel}
        onChange={(channel?: Channel) => set({ channel })}
        options={CHANNEL_CODES.map((c) => ({ value: c, label: q(`common:channels.${c}`) }))}
        style={{ minWidth: 140 }}
      />
    </search>
  );
}

/** The period at a glance: cases opened, automation, agreement and (for finance) what it cost. */
function Kpis({
  automation,
  costs,
}: {
  automation: ReturnType<typeof useAutomation>["data"];
  costs: ReturnType<typeof useCosts>["data"];
}) {
  const { t } = useAnalyticsText();
  const currency = mainCurrency(costs);
  // Each kind's total in the main currency, added exactly.
  const amounts = (costs?.totals ?? []).filter((x) => x.currency === currency).map((x) => x.amount);
  const total = currency ? formatMoney({ amount: sumAmounts(amounts, currency), currency }) : null;
  const tiles: { key: string; title: string; value: string; hint?: string }[] = [
    {
      key: "cases",
      title: t("kpi.cases"),
      value: automation ? `${automation.cases.toLocaleString()} ${t("kpi.casesUnit")}` : t("none"),
    },
    {
      key: "automation",
      title: t("kpi.automation"),
      value: pct(automation?.rate),
      hint: t("kpi.automationHint"),
    },
    {
      key: "agreement",
      title: t("kpi.agreement"),
      value: pct(automation?.agreement),
      hint: t("kpi.agreementHint"),
    },
    ...(costs ? [{ key: "cost", title: t("kpi.cost"), value: total ?? t("none") }] : []),
  ];
  return (
    <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
      {tiles.map((k) => (
        <Col key={k.key} xs={12} md={6}>
          <Card size="small" data-kpi={k.key}>
            <Statistic
              title={k.hint ? <Tooltip title={k.hint}>{k.title}</Tooltip> : k.title}
              value={k.value}
              styles={{ content: { fontSize: 22 } }}
            />
          </Card>
        </Col>
      ))}
    </Row>
  );
}
