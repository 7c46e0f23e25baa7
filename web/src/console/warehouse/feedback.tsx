import { CheckCircleFilled, CloseCircleFilled, InfoCircleFilled } from "@ant-design/icons";
import { Card, Empty, List, Space, Typography } from "antd";
import dayjs from "dayjs";
import type { TFunction } from "i18next";
import { Fragment } from "react";
import { Link } from "react-router";
import type { Tone } from "./beep.ts";
import { CONDITION_KEYS, FINDING_FIRST_DIGIT, FINDING_KEYS, GRADE_KEYS, type Panel } from "./station.ts";

export interface LogEntry {
  at: Date;
  tone: Tone;
  text: string;
  code: string;
  caseId: number | null;
}

/** Colours dark enough for text on their light backgrounds (WCAG AA). */
const LOOK: Record<Tone, { bg: string; border: string; fg: string; icon: React.ReactNode }> = {
  ok: { bg: "#f0fff0", border: "#389e0d", fg: "#135200", icon: <CheckCircleFilled /> },
  error: { bg: "#fff1f0", border: "#cf1322", fg: "#a8071a", icon: <CloseCircleFilled /> },
  info: { bg: "#f0f5ff", border: "#1557c0", fg: "#10239e", icon: <InfoCircleFilled /> },
};

/** The outcome of the last scan or step, large and coloured (the beep says it too). */
export function Feedback({ tone, text, n }: { tone: Tone; text: string; n: number }) {
  const look = LOOK[tone];
  return (
    <div
      id="station-feedback"
      role={tone === "error" ? "alert" : "status"}
      aria-live={tone === "error" ? "assertive" : "polite"}
      data-tone={tone}
      data-n={n}
      style={{
        marginTop: 12,
        padding: "10px 14px",
        borderRadius: 6,
        border: `2px solid ${look.border}`,
        background: look.bg,
        color: look.fg,
        fontSize: 18,
        fontWeight: 500,
        display: "flex",
        gap: 10,
        alignItems: "center",
        minHeight: 52,
      }}
    >
      <span aria-hidden style={{ fontSize: 22 }}>
        {look.icon}
      </span>
      <span>{text}</span>
    </div>
  );
}

/** What this station did since the page opened, newest first. */
export function ShiftLog({ t, log }: { t: TFunction; log: LogEntry[] }) {
  return (
    <Card size="small" title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("log.title")}</h2>}>
      {log.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("log.empty")} />
      ) : (
        <List
          size="small"
          dataSource={log}
          data-testid="shift-log"
          style={{ maxHeight: 360, overflow: "auto" }}
          renderItem={(e) => (
            <List.Item data-tone={e.tone} style={{ color: LOOK[e.tone].fg }}>
              <Space direction="vertical" size={0}>
                <Typography.Text style={{ color: LOOK[e.tone].fg }}>
                  <span aria-hidden>{LOOK[e.tone].icon}</span> {e.text}
                </Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {dayjs(e.at).format("HH:mm:ss")} · {e.code}
                  {e.caseId !== null && (
                    <>
                      {" · "}
                      <Link to={`/cases/${e.caseId}`} style={{ textDecoration: "underline" }}>
                        #{e.caseId}
                      </Link>
                    </>
                  )}
                </Typography.Text>
              </Space>
            </List.Item>
          )}
        />
      )}
    </Card>
  );
}

const Key = ({ k }: { k: string }) => <Typography.Text keyboard>{k}</Typography.Text>;

/** The keys that work now, for the open panel. */
export function ShortcutBar({ t, panel }: { t: TFunction; panel: Panel }) {
  const rows: [string[], string][] = [];
  switch (panel.kind) {
    case "receive":
      rows.push(
        [["Enter"], t("panel.receiveButton")],
        [["↑", "↓"], t("keys.move")],
        [[`Alt+1…${CONDITION_KEYS.length}`], t("keys.condition")],
        [["Shift+Alt+1…6"], t("keys.allUnits")],
        [["Del"], t("keys.missing")],
        [["Esc"], t("keys.cancel")],
      );
      break;
    case "qc":
      rows.push(
        [["Enter"], t("panel.qcButton")],
        [["↑", "↓"], t("keys.move")],
        [[`Alt+1…${GRADE_KEYS.length}`], t("keys.grade")],
        [[`Alt+${FINDING_FIRST_DIGIT}…${FINDING_FIRST_DIGIT + FINDING_KEYS.length - 1}`], t("keys.finding")],
        [["Shift+Alt"], t("keys.allUnits")],
        [["Esc"], t("keys.cancel")],
      );
      break;
    case "choose":
      rows.push([["↑", "↓"], t("keys.move")], [["Enter"], t("keys.choose")], [["Esc"], t("keys.cancel")]);
      break;
    case "unidentified":
      rows.push([["Enter"], t("panel.recordButton")], [["Esc"], t("keys.cancel")]);
      break;
    case "batch":
      rows.push(
        [["Enter"], t("keys.send")],
        [["Del"], t("keys.remove")],
        [["Alt+B"], t("keys.batch")],
        [["Esc"], t("keys.cancel")],
      );
      break;
    default:
      rows.push([["Enter"], t("keys.scan")], [["Alt+B"], t("keys.batch")]);
  }
  return (
    <section aria-label={t("keysTitle")} data-testid="shortcuts" style={{ marginTop: 12 }}>
      <Space wrap size={[16, 4]}>
        <Typography.Text strong>{t("keysTitle")}</Typography.Text>
        {rows.map(([ks, what]) => (
          <span key={what}>
            {ks.map((k, i) => (
              <Fragment key={k}>
                {i > 0 && " "}
                <Key k={k} />
              </Fragment>
            ))}{" "}
            {what}
          </span>
        ))}
      </Space>
    </section>
  );
}
