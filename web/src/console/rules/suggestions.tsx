import { BulbOutlined, CloseOutlined, PlusOutlined, StopOutlined } from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Form,
  List,
  Popconfirm,
  Select,
  Space,
  Statistic,
  Typography,
} from "antd";
import dayjs from "dayjs";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { label } from "../../shared/i18n.ts";
import { useCan } from "../../shared/session.ts";
import { RunProgress } from "./backtest.tsx";
import { useDismissSuggestion, useRuleVersions, useRuleWrites, useSuggestions } from "./data.ts";
import type { Rule, RuleSet, Suggestion, SuggestionReport } from "./model.ts";
import { useRulesText } from "./text.ts";

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;
const int = (n: number) => n.toLocaleString();
const AGREEMENTS = [0.995, 0.99, 0.95, 0.9];
const WINDOWS = [90, 180, 365, 0];

/**
 * 规则建议: approval rules learned from the cases people decided that the live rules left to them, each
 * judged on history it was not fitted to. Adding one makes a new draft — the live rules with it at the
 * bottom — to edit, backtest and activate like any draft; dismissing one means it is never proposed again.
 */
export function Suggestions({ onOpen }: { onOpen: (version: number) => void }) {
  const { t } = useRulesText();
  const { state, start, stop } = useSuggestions();
  const [agreement, setAgreement] = useState(0.995);
  const [days, setDays] = useState(365);
  const [dismissed, setDismissed] = useState<string[]>([]);
  useEffect(() => stop, [stop]);
  const ask = () =>
    void start({
      minAgreement: agreement,
      ...(days ? { from: dayjs().subtract(days, "day").startOf("day").toISOString() } : {}),
    });
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }} data-testid="suggestions">
      <Card size="small" title={t("suggest.title")}>
        <Typography.Paragraph type="secondary">{t("suggest.hint")}</Typography.Paragraph>
        <Form layout="inline" onFinish={ask} style={{ rowGap: 8 }}>
          <Form.Item label={t("suggest.window")} htmlFor="suggest-window">
            <Select
              id="suggest-window"
              style={{ width: 160 }}
              value={days}
              onChange={setDays}
              options={WINDOWS.map((d) => ({
                value: d,
                label: d ? t("suggest.days", { n: d }) : t("suggest.all"),
              }))}
            />
          </Form.Item>
          <Form.Item label={t("suggest.agreement")} htmlFor="suggest-agreement">
            <Select
              id="suggest-agreement"
              style={{ width: 120 }}
              value={agreement}
              onChange={setAgreement}
              options={AGREEMENTS.map((a) => ({ value: a, label: pct(a) }))}
            />
          </Form.Item>
          <Form.Item>
            {state.state === "running" ? (
              <Button icon={<StopOutlined />} onClick={stop}>
                {t("backtest.stop")}
              </Button>
            ) : (
              <Button type="primary" htmlType="submit" icon={<BulbOutlined />} data-testid="suggest-run">
                {state.state === "done" ? t("suggest.again") : t("suggest.run")}
              </Button>
            )}
          </Form.Item>
        </Form>
        {state.state === "running" && (
          <RunProgress
            testId="suggest-progress"
            state={state}
            label={t("suggest.progressLabel")}
            text={(done, total) =>
              done < total
                ? t("suggest.reading", { done: int(done), total: int(total) })
                : t("suggest.learning", { total: int(total) })
            }
          />
        )}
        {state.state === "failed" && (
          <Alert type="error" showIcon role="alert" title={state.error.message} style={{ marginTop: 12 }} />
        )}
      </Card>
      {state.state === "done" && (
        <Report
          report={state.result}
          agreement={agreement}
          seconds={state.seconds}
          hidden={dismissed}
          onDismissed={(f) => setDismissed((d) => [...d, f])}
          onOpen={onOpen}
        />
      )}
    </Space>
  );
}

function Report({
  report,
  agreement,
  seconds,
  hidden,
  onDismissed,
  onOpen,
}: {
  report: SuggestionReport;
  agreement: number;
  seconds: number;
  hidden: string[];
  onDismissed: (fingerprint: string) => void;
  onOpen: (version: number) => void;
}) {
  const { t } = useRulesText();
  const shown = report.suggestions.filter((s) => !hidden.includes(s.fingerprint));
  const pair = (key: "automationRate" | "agreementRate", show: (x: number | null) => string) => (
    <Statistic
      title={t(`suggest.${key}`)}
      value={`${show(report.live[key])} → ${show(report.withSuggestions[key])}`}
      styles={{ content: { fontSize: 20 } }}
    />
  );
  return (
    <Space orientation="vertical" size={12} style={{ width: "100%" }}>
      <Card size="small" title={t("suggest.summary")} data-testid="suggest-summary">
        <Space size={48} wrap>
          {pair("automationRate", pct)}
          {pair("agreementRate", pct)}
          <Statistic
            title={t("suggest.falseApprovals")}
            value={`${int(report.live.falseApprovals)} → ${int(report.withSuggestions.falseApprovals)}`}
            styles={{ content: { fontSize: 20 } }}
          />
        </Space>
        <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
          {t("suggest.basis", {
            cases: int(report.cases),
            fitted: int(report.fitted),
            heldOut: int(report.heldOut),
            seconds: seconds.toFixed(1),
          })}
        </Typography.Paragraph>
      </Card>
      {shown.length === 0 ? (
        <Card size="small">
          <Empty description={t("suggest.none", { agreement: pct(agreement) })} />
        </Card>
      ) : (
        <List
          dataSource={shown}
          rowKey={(s) => s.fingerprint}
          renderItem={(s) => <SuggestionCard s={s} onDismissed={onDismissed} onOpen={onOpen} />}
        />
      )}
    </Space>
  );
}

function SuggestionCard({
  s,
  onDismissed,
  onOpen,
}: {
  s: Suggestion;
  onDismissed: (fingerprint: string) => void;
  onOpen: (version: number) => void;
}) {
  const { t } = useRulesText();
  const { message } = App.useApp();
  const can = useCan();
  const versions = useRuleVersions();
  const writes = useRuleWrites();
  const dismiss = useDismissSuggestion();
  const live = versions.data?.versions.find((v) => v.status === "active");
  const score = (x: Suggestion["heldOut"]) =>
    t("suggest.score", {
      decided: int(x.decided),
      agreement: pct(x.agreementRate),
      falseApprovals: int(x.falseApprovals),
    });
  // A new draft: the live rules with this one below them all, for the supervisor to edit and backtest.
  const adopt = async () => {
    const base = (live?.definition as RuleSet | undefined) ?? { rules: [], solutions: [] };
    const rule = s.rule as unknown as Rule;
    const definition: RuleSet = { ...base, rules: [...base.rules.filter((r) => r.id !== rule.id), rule] };
    const draft = await writes.create.mutateAsync({
      definition,
      note: t("suggest.note", { text: label(s.text) }),
    });
    message.success(t("suggest.adopted", { version: draft.version }));
    onOpen(draft.version);
  };
  return (
    <List.Item style={{ padding: 0, marginBottom: 12, border: 0 }}>
      <Card
        size="small"
        style={{ width: "100%" }}
        data-testid="suggestion"
        data-fingerprint={s.fingerprint}
        title={<span style={{ whiteSpace: "normal" }}>{label(s.text)}</span>}
        extra={
          can("rules.write") && (
            <Space wrap>
              <Button
                type="primary"
                icon={<PlusOutlined />}
                loading={writes.create.isPending}
                onClick={() => void adopt().catch((e: Error) => message.error(e.message))}
              >
                {t("suggest.adopt")}
              </Button>
              <Popconfirm
                title={t("suggest.dismissConfirm")}
                okText={t("suggest.dismiss")}
                cancelText={t("suggest.cancel")}
                onConfirm={() =>
                  dismiss
                    .mutateAsync(s.fingerprint)
                    .then(() => onDismissed(s.fingerprint))
                    .catch((e: Error) => message.error(e.message))
                }
              >
                <Button icon={<CloseOutlined />}>{t("suggest.dismiss")}</Button>
              </Popconfirm>
            </Space>
          )
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t("suggest.heldOut")}>
            <span data-testid="held-out">{score(s.heldOut)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t("suggest.fitted")}>{score(s.fitted)}</Descriptions.Item>
          <Descriptions.Item label={t("suggest.examples")} span={2}>
            <Space size={[8, 4]} wrap>
              {s.examples.map((id) => (
                <Link key={id} to={`/cases/${id}`}>
                  #{id}
                </Link>
              ))}
            </Space>
          </Descriptions.Item>
        </Descriptions>
      </Card>
    </List.Item>
  );
}
