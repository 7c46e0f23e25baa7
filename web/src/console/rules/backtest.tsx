import { ExperimentOutlined, StopOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Progress, Space, Table, Typography } from "antd";
import { useEffect } from "react";
import { Link } from "react-router";
import { label } from "../../shared/i18n.ts";
import { ToneTag } from "../../shared/tone.tsx";
import { useBacktest } from "./data.ts";
import type { BacktestReport, Issue, RuleSet } from "./model.ts";
import { useRulesText } from "./text.ts";

type PerRule = BacktestReport["perRule"][number];
type Disagreement = BacktestReport["disagreements"][number];

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;
const int = (n: number) => n.toLocaleString();
const rate = (agreed: number, decided: number) => (decided === 0 ? null : agreed / decided);

/**
 * 回测: one click replays the draft over every case people decided, beside the live rules, with a
 * progress bar while it runs; then automation, agreement, false approvals and rejections, overall and
 * per rule, with links to the cases where the rules and people disagreed.
 */
export function BacktestPanel({
  definition,
  subject,
  onIssues,
}: {
  definition: RuleSet | null;
  subject: string;
  onIssues: (issues: Issue[]) => void;
}) {
  const { t } = useRulesText();
  const { state, start, stop } = useBacktest();
  useEffect(() => stop, [stop]);
  useEffect(() => {
    if (state.state === "failed") onIssues(state.issues);
    if (state.state === "done") onIssues([]);
  }, [state, onIssues]);
  return (
    <Card
      size="small"
      title={t("backtest.title")}
      data-testid="backtest"
      extra={
        state.state === "running" ? (
          <Button icon={<StopOutlined />} onClick={stop}>
            {t("backtest.stop")}
          </Button>
        ) : (
          <Button
            type="primary"
            icon={<ExperimentOutlined />}
            disabled={!definition}
            onClick={() => definition && void start(definition)}
            data-testid="backtest-run"
          >
            {state.state === "done" ? t("backtest.again") : t("backtest.run")}
          </Button>
        )
      }
    >
      {state.state === "idle" && <Typography.Text type="secondary">{t("backtest.hint")}</Typography.Text>}
      {state.state === "running" && (
        <RunProgress
          testId="backtest-progress"
          state={state}
          label={t("backtest.progressLabel")}
          text={(done, total) => t("backtest.progress", { done: int(done), total: int(total) })}
        />
      )}
      {state.state === "failed" && (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={state.issues.length > 0 ? t("backtest.invalid") : state.error.message}
        />
      )}
      {state.state === "done" && (
        <Results
          report={state.result}
          live={state.result.live ?? null}
          liveVersion={state.result.liveVersion ?? null}
          subject={subject}
          seconds={state.seconds}
        />
      )}
    </Card>
  );
}

/** A slow answer's bar and what it is doing, as far as the server has said. */
export function RunProgress({
  testId,
  state,
  label,
  text,
}: {
  testId: string;
  state: { done: number; total: number | null };
  label: string;
  text: (done: number, total: number) => string;
}) {
  const { t } = useRulesText();
  return (
    <div data-testid={testId} style={{ marginTop: 12 }}>
      <Progress
        percent={state.total ? Math.floor((state.done / state.total) * 100) : 0}
        status="active"
        aria-label={label}
      />
      <Typography.Text type="secondary">
        {state.total === null ? t("backtest.counting") : text(state.done, state.total)}
      </Typography.Text>
    </div>
  );
}

function Results({
  report,
  live,
  liveVersion,
  subject,
  seconds,
}: {
  report: BacktestReport;
  live: BacktestReport | null;
  liveVersion: number | null;
  subject: string;
  seconds: number;
}) {
  const { t } = useRulesText();
  const liveName =
    liveVersion === null ? t("backtest.noLive") : t("backtest.liveVersion", { version: liveVersion });
  const metrics: {
    key: string;
    of: (r: BacktestReport) => number | null;
    show: (x: number | null) => string;
    better: 1 | -1;
  }[] = [
    { key: "automationRate", of: (r) => r.automationRate, show: pct, better: 1 },
    { key: "agreementRate", of: (r) => r.agreementRate, show: pct, better: 1 },
    {
      key: "falseApprovals",
      of: (r) => r.falseApprovals,
      show: (x) => (x === null ? "—" : int(x)),
      better: -1,
    },
    {
      key: "falseRejections",
      of: (r) => r.falseRejections,
      show: (x) => (x === null ? "—" : int(x)),
      better: -1,
    },
    { key: "manual", of: (r) => r.manual, show: (x) => (x === null ? "—" : int(x)), better: -1 },
  ];
  const byId = new Map((live?.perRule ?? []).map((r) => [r.id, r]));
  const ids = [
    ...report.perRule.map((r) => r.id),
    ...(live?.perRule ?? []).map((r) => r.id).filter((id) => !report.perRule.some((r) => r.id === id)),
  ];
  const rows = ids.map((id) => ({
    id,
    draft: report.perRule.find((r) => r.id === id) ?? null,
    live: byId.get(id) ?? null,
  }));
  const examples = (r: BacktestReport, id: string) => r.disagreements.filter((d) => d.ruleId === id);
  const cell = (r: PerRule | null) =>
    r === null ? (
      <Typography.Text type="secondary">{t("backtest.notInSet")}</Typography.Text>
    ) : r.decided > 0 && r.agreed + r.falseApprovals + r.falseRejections === 0 ? (
      // A rule that sends cases to people decides nothing people could disagree with.
      <span>{t("backtest.routed", { n: int(r.decided) })}</span>
    ) : (
      <span>
        {t("backtest.decided", { n: int(r.decided) })} · {pct(rate(r.agreed, r.decided))} ·{" "}
        <span style={{ color: r.falseApprovals ? "#cf1322" : undefined }}>
          {t("backtest.fa", { n: int(r.falseApprovals) })}
        </span>{" "}
        · {t("backtest.fr", { n: int(r.falseRejections) })}
      </span>
    );
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size={12} data-testid="backtest-results">
      <Typography.Text type="secondary">
        {t("backtest.summary", { cases: int(report.cases), seconds: seconds.toFixed(1) })}
      </Typography.Text>
      <Table
        size="small"
        pagination={false}
        rowKey="key"
        data-testid="backtest-summary"
        dataSource={metrics.map((m) => {
          const a = m.of(report);
          const b = live ? m.of(live) : null;
          const delta = a !== null && b !== null ? a - b : null;
          return { key: m.key, draft: m.show(a), live: m.show(b), delta, m };
        })}
        columns={[
          {
            title: t("backtest.metric"),
            dataIndex: "key",
            render: (k: string) => t(`backtest.metrics.${k}`),
          },
          { title: subject, dataIndex: "draft", align: "right" },
          { title: liveName, dataIndex: "live", align: "right" },
          {
            title: t("backtest.change"),
            dataIndex: "delta",
            align: "right",
            render: (d: number | null, row) => {
              if (d === null || d === 0) return "—";
              const good = d * row.m.better > 0;
              const text =
                row.m.show === pct
                  ? `${d > 0 ? "+" : ""}${(d * 100).toFixed(1)} pt`
                  : `${d > 0 ? "+" : ""}${int(d)}`;
              return <ToneTag tone={good ? "green" : "red"}>{text}</ToneTag>;
            },
          },
        ]}
      />
      <Table
        size="small"
        pagination={false}
        rowKey="id"
        data-testid="backtest-rules"
        dataSource={rows}
        scroll={{ x: true }}
        expandable={{
          rowExpandable: (row) =>
            examples(report, row.id).length + (live ? examples(live, row.id).length : 0) > 0,
          expandedRowRender: (row) => (
            <Space orientation="vertical" size={4}>
              <CaseLinks title={subject} list={examples(report, row.id)} />
              {live && <CaseLinks title={liveName} list={examples(live, row.id)} />}
            </Space>
          ),
        }}
        columns={[
          {
            title: t("backtest.rule"),
            dataIndex: "id",
            render: (id: string, row) => label(row.draft?.name ?? row.live?.name) || id,
          },
          { title: subject, dataIndex: "draft", render: (r: PerRule | null) => cell(r) },
          { title: liveName, dataIndex: "live", render: (r: PerRule | null) => cell(r) },
        ]}
      />
    </Space>
  );
}

function CaseLinks({ title, list }: { title: string; list: Disagreement[] }) {
  const { t } = useRulesText();
  if (list.length === 0) return null;
  const kinds = [
    { key: "fa", items: list.filter((d) => d.rule === "approve") },
    { key: "fr", items: list.filter((d) => d.rule === "reject") },
  ];
  return (
    <div>
      <Typography.Text strong>{title}</Typography.Text>
      {kinds
        .filter((k) => k.items.length > 0)
        .map((k) => (
          <div key={k.key} data-testid={`cases-${k.key}`}>
            {t(`backtest.cases.${k.key}`)}：
            <Space wrap size={4}>
              {k.items.map((d) => (
                <Link key={d.caseId} to={`/cases/${d.caseId}`}>
                  #{d.caseId}
                </Link>
              ))}
            </Space>
          </div>
        ))}
    </div>
  );
}
