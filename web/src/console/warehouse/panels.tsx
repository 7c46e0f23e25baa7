import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Button, Card, Descriptions, Form, Input, Radio, Space, Switch, Tag, Typography } from "antd";
import type { TFunction } from "i18next";
import type { CSSProperties, ReactNode } from "react";
import { Link } from "react-router";
import { keys } from "../../shared/keys.ts";
import { formatMoney, parseMoneyInput, sumAmounts } from "../../shared/money.ts";
import { ToneTag } from "../../shared/tone.tsx";
import { quoteQc } from "./data.ts";
import { CONDITION_KEYS, FINDING_FIRST_DIGIT, FINDING_KEYS, GRADE_KEYS, type Panel } from "./station.ts";
import { inspectionLines } from "./units.ts";

interface PanelProps {
  t: TFunction;
  panel: Panel;
  setPanel: (p: Panel) => void;
  statusText: (s: string) => string;
  onConfirm: () => void;
  onCancel: () => void;
}

const cell: CSSProperties = {
  padding: "6px 8px",
  borderBottom: "1px solid #f0f0f0",
  verticalAlign: "middle",
};
const head: CSSProperties = { ...cell, textAlign: "start", fontWeight: 500, background: "#fafafa" };
/** Links among text are underlined, not told apart by colour alone. */
export const UNDERLINED: CSSProperties = { textDecoration: "underline" };
const SELECTED: CSSProperties = { background: "#e6f0ff", boxShadow: "inset 4px 0 0 #1557c0" };

/** A choice's key digit beside its name, as the shortcut bar says (Alt+digit). */
const Numbered = ({ n, children }: { n: number; children: ReactNode }) => (
  <>
    <span style={{ opacity: 0.75, marginInlineEnd: 4 }}>{n}</span>
    {children}
  </>
);

/** A row's numbered choices: buttons for the mouse, Alt+digit for the keyboard (firstDigit onwards). */
function Choices<V extends string>({
  label,
  value,
  values,
  text,
  firstDigit = 1,
  solid = true,
  disabled,
  isDisabled,
  onChange,
}: {
  label: string;
  value: V | undefined;
  values: readonly V[];
  text: (v: V) => string;
  firstDigit?: number;
  solid?: boolean;
  disabled?: boolean;
  isDisabled?: (v: V) => boolean;
  onChange: (v: V) => void;
}) {
  return (
    <Radio.Group
      size="small"
      optionType="button"
      buttonStyle={solid ? "solid" : "outline"}
      aria-label={label}
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value as V)}
      options={values.map((v, k) => ({
        value: v,
        disabled: isDisabled?.(v) ?? false,
        label: <Numbered n={k + firstDigit}>{text(v)}</Numbered>,
      }))}
    />
  );
}

function Rows({ caption, headers, children }: { caption: string; headers: string[]; children: ReactNode }) {
  return (
    <div style={{ overflowX: "auto" }}>
      <table style={{ width: "100%", borderCollapse: "collapse" }}>
        <caption className="sr-only" style={{ position: "absolute", left: -10000 }}>
          {caption}
        </caption>
        <thead>
          <tr>
            {headers.map((h) => (
              <th key={h} scope="col" style={head}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function Buttons({
  t,
  ok,
  onConfirm,
  onCancel,
}: {
  t: TFunction;
  ok: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <Space style={{ marginTop: 12 }}>
      <Button type="primary" onClick={onConfirm}>
        {ok}{" "}
        <Typography.Text keyboard style={{ color: "inherit" }}>
          Enter
        </Typography.Text>
      </Button>
      <Button onClick={onCancel}>
        {t("panel.cancelButton")} <Typography.Text keyboard>Esc</Typography.Text>
      </Button>
    </Space>
  );
}

const Item = ({ title, sku, n, of }: { title: string | null; sku: string; n: number; of?: number }) => (
  <Space direction="vertical" size={0}>
    <Typography.Text strong>{title ?? sku}</Typography.Text>
    <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: "nowrap" }}>
      {sku} · {of ? `${n}/${of}` : `#${n}`}
    </Typography.Text>
  </Space>
);

/** The open panel: what the last scan opened, worked with the keyboard (or the mouse). */
export function StationPanel(props: PanelProps) {
  const { t, panel } = props;
  const style = { marginTop: 16 };
  switch (panel.kind) {
    case "choose":
      return (
        <Card size="small" style={style} title={t("panel.chooseTitle", { code: panel.code })}>
          <ChoosePanel {...props} panel={panel} />
        </Card>
      );
    case "receive":
      return (
        <Card
          size="small"
          style={style}
          data-testid="receive-panel"
          data-case={panel.candidate.caseId}
          title={t("panel.receiveTitle", { id: panel.candidate.caseId })}
          extra={<Link to={`/cases/${panel.candidate.caseId}`}>{t("panel.openCase")}</Link>}
        >
          <ReceivePanel {...props} panel={panel} />
        </Card>
      );
    case "qc":
      return (
        <Card
          size="small"
          style={style}
          data-testid="qc-panel"
          data-case={panel.caseId}
          title={t("panel.qcTitle", { id: panel.caseId })}
          extra={<Link to={`/cases/${panel.caseId}`}>{t("panel.openCase")}</Link>}
        >
          <QcPanel {...props} panel={panel} />
        </Card>
      );
    case "unidentified":
      return (
        <Card
          size="small"
          style={style}
          data-testid="parcel-panel"
          title={t("panel.unidentifiedTitle", { code: panel.code })}
        >
          <ParcelForm {...props} panel={panel} />
        </Card>
      );
    case "batch":
      return (
        <Card
          size="small"
          style={style}
          data-testid="batch-panel"
          title={t("panel.batchTitle", { count: panel.codes.length })}
        >
          <BatchPanel {...props} panel={panel} />
        </Card>
      );
    default:
      return (
        <Card size="small" style={style} title={t("panel.idleTitle")}>
          <Typography.Text type="secondary">{t("panel.idleHint")}</Typography.Text>
        </Card>
      );
  }
}

function CaseFacts({
  t,
  c,
  statusText,
}: {
  t: TFunction;
  c: import("./data.ts").Candidate;
  statusText: PanelProps["statusText"];
}) {
  return (
    <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 8 }}>
      <Descriptions.Item label={t("panel.order")}>{c.orderExternalId}</Descriptions.Item>
      <Descriptions.Item label={t("panel.type")}>{t(`types.${c.type}`)}</Descriptions.Item>
      <Descriptions.Item label={t("panel.status")}>
        <Tag>{statusText(c.status)}</Tag>
      </Descriptions.Item>
      <Descriptions.Item label={t("panel.shop")}>{c.shop}</Descriptions.Item>
      <Descriptions.Item label={t("panel.parcel")}>
        {c.returnParcel ? `${c.returnParcel.carrier} ${c.returnParcel.trackingNo}` : "—"}
      </Descriptions.Item>
    </Descriptions>
  );
}

function ChoosePanel({
  t,
  panel,
  setPanel,
  statusText,
  onConfirm,
}: PanelProps & { panel: Extract<Panel, { kind: "choose" }> }) {
  return (
    <Rows
      caption={t("panel.chooseTitle", { code: panel.code })}
      headers={["", `${t("panel.order")} / #`, t("panel.type"), t("panel.status"), t("panel.unit")]}
    >
      {panel.candidates.map((c, i) => (
        <tr
          key={c.caseId}
          data-row={c.caseId}
          aria-current={i === panel.selected ? "true" : undefined}
          style={i === panel.selected ? SELECTED : undefined}
          onClick={() => {
            setPanel({ ...panel, selected: i });
            onConfirm();
          }}
        >
          <td style={cell}>{i + 1}</td>
          <td style={cell}>
            {c.orderExternalId} · #{c.caseId}
          </td>
          <td style={cell}>{t(`types.${c.type}`)}</td>
          <td style={cell}>{statusText(c.status)}</td>
          <td style={cell}>{c.outstanding.map((x) => `${x.title ?? x.sku} ×${x.quantity}`).join("，")}</td>
        </tr>
      ))}
    </Rows>
  );
}

function ReceivePanel(props: PanelProps & { panel: Extract<Panel, { kind: "receive" }> }) {
  const { t, panel, setPanel, statusText, onConfirm, onCancel } = props;
  const of = (lineId: number) => panel.units.filter((u) => u.lineId === lineId).length;
  const arrived = panel.units.filter((u) => u.arrived).length;
  return (
    <>
      <CaseFacts t={t} c={panel.candidate} statusText={statusText} />
      {panel.counting && (
        <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
          {t("panel.counting")}
        </Typography.Paragraph>
      )}
      <Rows
        caption={t("panel.receiveTitle", { id: panel.candidate.caseId })}
        headers={[t("panel.unit"), t("panel.arrived"), t("panel.condition")]}
      >
        {panel.units.map((u, i) => {
          const name = `${u.title ?? u.sku} ${u.n}/${of(u.lineId)}`;
          return (
            <tr
              key={`${u.lineId}-${u.n}`}
              data-unit={`${u.sku}#${u.n}`}
              data-arrived={u.arrived}
              data-condition={u.condition}
              aria-current={i === panel.selected ? "true" : undefined}
              style={i === panel.selected ? SELECTED : undefined}
              onClick={() => setPanel({ ...panel, selected: i })}
            >
              <td style={cell}>
                <Item title={u.title} sku={u.sku} n={u.n} of={of(u.lineId)} />
              </td>
              <td style={cell}>
                <Switch
                  checked={u.arrived}
                  // Missing reads at AA: white on dark red rather than on antd's pale grey.
                  style={u.arrived ? undefined : { background: "#a8071a" }}
                  checkedChildren={t("panel.arrivedYes")}
                  unCheckedChildren={t("panel.notArrived")}
                  aria-label={`${t("panel.arrived")}: ${name}`}
                  onChange={(v) =>
                    setPanel({
                      ...panel,
                      selected: i,
                      units: panel.units.map((x, j) => (j === i ? { ...x, arrived: v } : x)),
                    })
                  }
                />
              </td>
              <td style={cell}>
                <Choices
                  label={`${t("panel.condition")}: ${name}`}
                  value={u.condition}
                  values={CONDITION_KEYS}
                  text={(c) => t(`conditions.${c}`)}
                  disabled={!u.arrived}
                  onChange={(c) =>
                    setPanel({
                      ...panel,
                      selected: i,
                      units: panel.units.map((x, j) => (j === i ? { ...x, condition: c } : x)),
                    })
                  }
                />
              </td>
            </tr>
          );
        })}
      </Rows>
      <Typography.Paragraph style={{ marginTop: 8, marginBottom: 0 }} data-testid="receive-summary">
        {t("panel.summaryReceive", { arrived, total: panel.units.length })}
      </Typography.Paragraph>
      <Buttons t={t} ok={t("panel.receiveButton")} onConfirm={onConfirm} onCancel={onCancel} />
    </>
  );
}

function QcPanel(props: PanelProps & { panel: Extract<Panel, { kind: "qc" }> }) {
  const { t, panel, setPanel, onConfirm, onCancel } = props;
  const lines = inspectionLines(panel.units);
  // What QC proposes for the units as graded on screen: the server's own numbers, nothing saved.
  const quote = useQuery({
    queryKey: keys.qcQuote(panel.caseId, lines),
    queryFn: () => quoteQc(panel.caseId, lines),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const money = (amount: string) => formatMoney({ amount, currency: panel.currency });
  const pass = panel.units.filter((u) => u.grade === "pass").length;
  const advice = quote.data;
  const total = advice
    ? sumAmounts(
        advice.deductions.map((d) => d.amount),
        panel.currency,
      )
    : null;
  const update = (i: number, change: Partial<(typeof panel.units)[number]>) =>
    setPanel({
      ...panel,
      selected: i,
      units: panel.units.map((x, j) => (j === i ? { ...x, ...change } : x)),
    });
  return (
    <>
      <Rows
        caption={t("panel.qcTitle", { id: panel.caseId })}
        headers={[
          t("panel.unit"),
          t("panel.condition"),
          t("panel.grade"),
          t("panel.finding"),
          t("panel.deduction"),
        ]}
      >
        {panel.units.map((u, i) => {
          const quoted = advice?.lines[i];
          const name = `${u.title ?? u.sku} #${u.n}`;
          return (
            <tr
              key={`${u.receiptLineId}-${u.n}`}
              data-unit={`${u.sku}#${u.n}`}
              data-grade={u.grade}
              data-finding={u.finding ?? quoted?.finding ?? ""}
              aria-current={i === panel.selected ? "true" : undefined}
              style={i === panel.selected ? SELECTED : undefined}
              onClick={() => i !== panel.selected && setPanel({ ...panel, selected: i })}
            >
              <td style={cell}>
                <Item title={u.title} sku={u.sku} n={u.n} />
              </td>
              <td style={cell}>
                <Space size={4} wrap>
                  <ToneTag tone={u.condition === "intact" ? "green" : "orange"}>
                    {t(`conditions.${u.condition}`)}
                  </ToneTag>
                  {!u.stocked && <ToneTag>{t("panel.noStock")}</ToneTag>}
                </Space>
              </td>
              <td style={cell}>
                <Choices
                  label={`${t("panel.grade")}: ${name}`}
                  value={u.grade}
                  values={GRADE_KEYS}
                  text={(g) => t(`grades.${g}`)}
                  isDisabled={(g) => g === "pass" && !u.stocked}
                  onChange={(g) => update(i, { grade: g })}
                />
              </td>
              <td style={cell}>
                <Choices
                  label={`${t("panel.finding")}: ${name}`}
                  value={u.finding ?? quoted?.finding}
                  values={FINDING_KEYS}
                  text={(f) => t(`findings.${f}`)}
                  firstDigit={FINDING_FIRST_DIGIT}
                  solid={false}
                  onChange={(f) => update(i, { finding: f })}
                />
              </td>
              <td style={{ ...cell, minWidth: 130 }}>
                <Input
                  size="small"
                  aria-label={t("panel.deductionLabel", { unit: name })}
                  placeholder={quoted ? money(quoted.deduction) : ""}
                  defaultValue={u.deduction ?? ""}
                  status={u.deduction === null || parseMoneyInput(u.deduction, panel.currency) ? "" : "error"}
                  data-testid="deduction"
                  data-proposed={quoted?.deduction ?? ""}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" || e.key === "Escape") (e.target as HTMLInputElement).blur();
                  }}
                  onBlur={(e) => {
                    const typed = e.target.value.trim();
                    const amount = typed ? parseMoneyInput(typed, panel.currency) : null;
                    if (amount !== u.deduction) update(i, { deduction: amount });
                  }}
                />
              </td>
            </tr>
          );
        })}
      </Rows>
      <Space direction="vertical" size={2} style={{ marginTop: 8 }}>
        <Typography.Text data-testid="qc-summary">
          {t("panel.summaryQc", { pass, fail: panel.units.length - pass })}
        </Typography.Text>
        {advice && total !== null && (
          <Typography.Text data-testid="qc-advice" data-kind={advice.kind} data-total={total}>
            {t("panel.advice")}
            <Typography.Text strong type={advice.kind === "refuse" ? "danger" : undefined}>
              {t(`panel.adviceKinds.${advice.kind}`, { amount: money(total) })}
            </Typography.Text>{" "}
            <Typography.Text type="secondary">{t("panel.adviceHint")}</Typography.Text>
          </Typography.Text>
        )}
        {quote.error && <Typography.Text type="danger">{quote.error.message}</Typography.Text>}
      </Space>
      <Buttons t={t} ok={t("panel.qcButton")} onConfirm={onConfirm} onCancel={onCancel} />
    </>
  );
}

function ParcelForm({
  t,
  panel,
  setPanel,
  onConfirm,
  onCancel,
}: PanelProps & { panel: Extract<Panel, { kind: "unidentified" }> }) {
  const field = (name: "trackingNo" | "carrier" | "contents" | "note", autoFocus = false) => (
    <Form.Item label={t(`panel.${name}`)} htmlFor={`parcel-${name}`} style={{ marginBottom: 8 }}>
      <Input
        id={`parcel-${name}`}
        value={panel[name]}
        autoFocus={autoFocus}
        autoComplete="off"
        {...(name === "contents" ? { placeholder: t("panel.contentsPlaceholder") } : {})}
        onChange={(e) => setPanel({ ...panel, [name]: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            onConfirm();
          } else if (e.key === "Escape") {
            e.preventDefault();
            onCancel();
          }
        }}
      />
    </Form.Item>
  );
  return (
    <Form layout="vertical" component="div">
      <Typography.Paragraph type="secondary">{t("panel.unidentifiedHint")}</Typography.Paragraph>
      <Descriptions size="small" column={1} style={{ marginBottom: 8 }}>
        <Descriptions.Item label={t("panel.scanned")}>
          <Typography.Text code>{panel.code}</Typography.Text>
        </Descriptions.Item>
      </Descriptions>
      {field("contents", true)}
      {field("trackingNo")}
      {field("carrier")}
      {field("note")}
      <Buttons t={t} ok={t("panel.recordButton")} onConfirm={onConfirm} onCancel={onCancel} />
    </Form>
  );
}

function BatchPanel({
  t,
  panel,
  setPanel,
  onConfirm,
  onCancel,
}: PanelProps & { panel: Extract<Panel, { kind: "batch" }> }) {
  if (panel.results.length > 0)
    return (
      <Rows
        caption={t("panel.batchTitle", { count: panel.results.length })}
        headers={[t("log.code"), t("log.result"), ""]}
      >
        {panel.results.map((r) => (
          <tr key={r.code} data-result={r.outcome}>
            <td style={cell}>{r.code}</td>
            <td style={cell}>
              <Space size={6}>
                <ToneTag tone={r.ok ? "green" : "red"}>{t(`panel.outcome.${r.outcome}`)}</ToneTag>
                {r.caseId !== null && (
                  <Link to={`/cases/${r.caseId}`} style={UNDERLINED}>
                    #{r.caseId}
                  </Link>
                )}
              </Space>
            </td>
            <td style={cell}>{r.text}</td>
          </tr>
        ))}
      </Rows>
    );
  return (
    <>
      <Rows caption={t("panel.batchTitle", { count: panel.codes.length })} headers={["", t("log.code")]}>
        {panel.codes.map((code, i) => (
          <tr
            key={code}
            aria-current={i === panel.selected ? "true" : undefined}
            style={i === panel.selected ? SELECTED : undefined}
            onClick={() => setPanel({ ...panel, selected: i })}
          >
            <td style={cell}>{i + 1}</td>
            <td style={cell}>{code}</td>
          </tr>
        ))}
      </Rows>
      <Buttons t={t} ok={t("panel.sendBatch")} onConfirm={onConfirm} onCancel={onCancel} />
    </>
  );
}
