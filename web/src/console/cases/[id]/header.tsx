import { ClockCircleOutlined } from "@ant-design/icons";
import { Descriptions, Space, Tooltip, Typography } from "antd";
import dayjs from "dayjs";
import { label } from "../../../shared/i18n.ts";
import { formatMoney } from "../../../shared/money.ts";
import { type Urgency, urgency } from "../../../shared/sla.ts";
import { ToneTag } from "../../../shared/tone.tsx";
import { type CaseViewData, inCurrency } from "./data.ts";
import { actorText, span, useNow } from "./format.ts";
import { useCaseText, useCodes } from "./text.ts";

/** Dark enough to read on white (WCAG AA), and always said in words too. */
const SLA_COLOUR: Record<Urgency, string> = {
  none: "#595959",
  ok: "#237804",
  soon: "#ad4e00",
  overdue: "#a8071a",
};

function Sla({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const now = useNow();
  const due = view.review.slaDueAt;
  const u = urgency(due, now);
  if (!due || u === "none") return <Typography.Text type="secondary">{t("header.noSla")}</Typography.Text>;
  const left = new Date(due).getTime() - now;
  return (
    <Tooltip title={dayjs(due).format("YYYY-MM-DD HH:mm")}>
      <span style={{ color: SLA_COLOUR[u], fontWeight: u === "ok" ? 400 : 600 }} data-urgency={u}>
        <ClockCircleOutlined aria-hidden style={{ marginInlineEnd: 4 }} />
        {left < 0
          ? t("header.overdueBy", { time: span(t, left) })
          : t("header.dueIn", { time: span(t, left) })}
      </span>
    </Tooltip>
  );
}

/** The case at a glance: what, why, where from, whose, how urgent and how much. */
export function CaseHeader({ view, narrow }: { view: CaseViewData; narrow: boolean }) {
  const { t } = useCaseText();
  const code = useCodes();
  const now = useNow();
  const c = view.case;
  const owner = c.owner;
  const risk = view.review.riskScore;
  return (
    <header>
      <Space wrap align="center" size={[8, 4]} style={{ marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {t("title", { id: c.id })}
        </Typography.Title>
        <ToneTag tone="blue" testId="case-status">
          {label(c.statusLabel)}
        </ToneTag>
        {view.review.awaitingSecondApproval && (
          <ToneTag tone="purple">
            {t("header.secondApproval", { who: actorText(t, view.review.firstApproval) })}
          </ToneTag>
        )}
        {view.review.tags.map((tag) => (
          <ToneTag key={tag}>{tag}</ToneTag>
        ))}
      </Space>
      <Descriptions
        size="small"
        column={narrow ? 1 : 3}
        items={[
          { key: "type", label: t("header.type"), children: code("type", c.type) },
          { key: "reason", label: t("header.reason"), children: label(c.reasonLabel) || c.reason },
          {
            key: "requested",
            label: t("header.requested"),
            children: formatMoney(inCurrency(view, c.requestedAmount)),
          },
          { key: "sla", label: t("header.sla"), children: <Sla view={view} /> },
          {
            key: "age",
            label: t("header.age"),
            children: (
              <span title={dayjs(c.createdAt).format("YYYY-MM-DD HH:mm")}>
                {span(t, now - new Date(c.createdAt).getTime())}
              </span>
            ),
          },
          {
            key: "owner",
            label: t("header.owner"),
            children: owner ? (
              owner.name
            ) : (
              <Typography.Text type="secondary">{t("header.nobody")}</Typography.Text>
            ),
          },
          { key: "shop", label: t("header.shop"), children: c.shop },
          { key: "source", label: t("header.source"), children: code("source", c.source) },
          {
            key: "risk",
            label: t("header.risk"),
            children: (
              <span style={{ color: risk >= 70 ? "#a8071a" : risk >= 40 ? "#ad4e00" : undefined }}>
                {risk}
              </span>
            ),
          },
          {
            key: "order",
            label: t("header.order"),
            children: <Typography.Text copyable>{c.orderExternalId}</Typography.Text>,
          },
          ...(c.externalId
            ? [
                {
                  key: "external",
                  label: t("header.platformCase"),
                  children: <Typography.Text copyable>{c.externalId}</Typography.Text>,
                },
              ]
            : []),
          ...(view.review.platformDueAt
            ? [
                {
                  key: "platformDue",
                  label: t("header.sla"),
                  children: t("header.platformDue", {
                    time: dayjs(view.review.platformDueAt).format("MM-DD HH:mm"),
                  }),
                },
              ]
            : []),
        ]}
      />
    </header>
  );
}
