import { Alert, List, Space, Typography } from "antd";
import dayjs from "dayjs";
import { label } from "../../../../shared/i18n.ts";
import { ToneTag } from "../../../../shared/tone.tsx";
import type { CaseViewData } from "../data.ts";
import { useCaseText, useCodes } from "../text.ts";
import { Section } from "./section.tsx";

const LEVEL_COLOUR = { low: "green", medium: "orange", high: "red" } as const;

/** The risk score and each signal behind it, in words a reviewer can weigh. */
export function RiskSection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const risk = view.risk;
  const extra = risk && (
    <Space size={4}>
      <ToneTag tone={LEVEL_COLOUR[risk.level]}>{t(`risk.level.${risk.level}`)}</ToneTag>
      <strong>{risk.score}</strong>
    </Space>
  );
  return (
    <Section title={t("sections.risk")} extra={extra} testId="case-risk">
      {!risk || risk.signals.length === 0 ? (
        <Typography.Text type="secondary">{t("risk.none")}</Typography.Text>
      ) : (
        <List
          size="small"
          dataSource={risk.signals}
          renderItem={(s) => (
            <List.Item style={{ display: "block" }} data-signal={s.code}>
              <Space size={6}>
                <strong>{label(s.label)}</strong>
                <ToneTag>{t("risk.weight", { n: s.weight })}</ToneTag>
              </Space>
              <div style={{ fontSize: 13 }}>{label(s.reason)}</div>
            </List.Item>
          )}
        />
      )}
    </Section>
  );
}

/** What the rules concluded and why, and the solution they recommend. */
export function DecisionSection({ view }: { view: CaseViewData }) {
  const { t, i18n } = useCaseText();
  const code = useCodes();
  const d = view.decision;
  const rec = view.recommendation;
  const lines = d?.explanation ? (i18n.language === "en" ? d.explanation.en : d.explanation.zh) : [];
  return (
    <Section title={t("sections.decision")} testId="case-decision">
      {rec && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={`${t("sections.recommendation")}：${code("solution", rec.solution)}`}
          description={label(rec.why)}
        />
      )}
      {!d ? (
        <Typography.Text type="secondary">{t("decision.none")}</Typography.Text>
      ) : (
        <>
          <Space wrap size={[8, 4]} style={{ marginBottom: 6 }}>
            <ToneTag tone={d.outcome === "approve" ? "green" : d.outcome === "reject" ? "red" : "blue"}>
              {t(`decision.outcome.${d.outcome}`, { defaultValue: d.outcome })}
            </ToneTag>
            <span>
              {d.decidedBy
                ? t("decision.rule", { rule: d.decidedBy, version: d.ruleVersion ?? "—" })
                : t("decision.noRule")}
            </span>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {dayjs(d.at).format("MM-DD HH:mm")}
            </Typography.Text>
          </Space>
          {d.evidence?.required && (
            <div style={{ fontSize: 13 }}>
              {t("decision.evidenceRequired", { kinds: d.evidence.kinds.join(", ") })}
            </div>
          )}
          <ul style={{ paddingInlineStart: 18, margin: "4px 0 0" }}>
            {lines.map((l) => (
              <li key={l} style={{ fontSize: 13 }}>
                {l}
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}
