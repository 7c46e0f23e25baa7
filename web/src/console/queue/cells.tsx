import { ClockCircleOutlined } from "@ant-design/icons";
import { Space, Tag, Tooltip, Typography } from "antd";
import dayjs from "dayjs";
import type { TFunction } from "i18next";
import { label } from "../../shared/i18n.ts";
import { formatMoney } from "../../shared/money.ts";
import { duration, URGENCY_COLOUR, urgency } from "../../shared/sla.ts";
import { ToneTag } from "../../shared/tone.tsx";
import type { QueueItem } from "./data.ts";

/** The time now, moving once a minute (the board takes it from here too). */
export { useNow } from "../cases/[id]/format.ts";

/**
 * The pieces of a queue row, shared by the wide table and the phone's cards. Colour never speaks
 * alone: every urgency also says itself in words, and the shades pass WCAG AA contrast on white.
 */

export const span = (t: TFunction, ms: number) => {
  const d = duration(ms);
  return t(d.unit === "m" ? "minutes" : d.unit === "h" ? "hours" : "days", { n: d.n });
};

export function SlaDue({ item, now, t }: { item: QueueItem; now: number; t: TFunction }) {
  const u = urgency(item.slaDueAt, now);
  if (u === "none") return <Typography.Text type="secondary">{t("noSla")}</Typography.Text>;
  const left = new Date(item.slaDueAt as string).getTime() - now;
  return (
    <Tooltip title={dayjs(item.slaDueAt).format("YYYY-MM-DD HH:mm")}>
      <span
        style={{ color: URGENCY_COLOUR[u], fontWeight: u === "ok" ? 400 : 600, whiteSpace: "nowrap" }}
        data-urgency={u}
      >
        <ClockCircleOutlined aria-hidden style={{ marginInlineEnd: 4 }} />
        {left < 0 ? t("overdueBy", { time: span(t, left) }) : t("dueIn", { time: span(t, left) })}
      </span>
    </Tooltip>
  );
}

export const Age = ({ item, now, t }: { item: QueueItem; now: number; t: TFunction }) => (
  <span style={{ whiteSpace: "nowrap" }} title={dayjs(item.createdAt).format("YYYY-MM-DD HH:mm")}>
    {span(t, now - new Date(item.createdAt).getTime())}
  </span>
);

export function Status({ item, t }: { item: QueueItem; t: TFunction }) {
  return (
    <Space size={4} wrap>
      <Tag style={{ marginInlineEnd: 0 }}>{label(item.statusLabel)}</Tag>
      {item.awaitingSecondApproval && <ToneTag tone="purple">{t("secondApproval")}</ToneTag>}
    </Space>
  );
}

export function Risk({ score }: { score: number }) {
  const colour = score >= 70 ? "#a8071a" : score >= 40 ? "#ad4e00" : undefined;
  return (
    <span style={{ color: colour, fontWeight: colour ? 600 : 400, fontVariantNumeric: "tabular-nums" }}>
      {score}
    </span>
  );
}

export const Amount = ({ item }: { item: QueueItem }) => (
  <span style={{ fontVariantNumeric: "tabular-nums", whiteSpace: "nowrap" }}>{formatMoney(item.amount)}</span>
);

export function Customer({ item, t }: { item: QueueItem; t: TFunction }) {
  if (!item.customer) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <Space size={4}>
      <span>{item.customer.name ?? item.customer.id}</span>
      {item.customer.tier === "vip" && <ToneTag tone="gold">{t("vip")}</ToneTag>}
    </Space>
  );
}

export const Owner = ({ item, t }: { item: QueueItem; t: TFunction }) =>
  item.owner ? (
    <span>{item.owner.name}</span>
  ) : (
    <Typography.Text type="secondary">{t("unassigned")}</Typography.Text>
  );

/** The order number people quote, and the case's own number under it. */
export const OrderRef = ({ item }: { item: QueueItem }) => (
  <span style={{ display: "inline-flex", flexDirection: "column", lineHeight: 1.3 }}>
    <span style={{ fontWeight: 500 }}>{item.orderExternalId}</span>
    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
      #{item.id}
      {item.externalId ? ` · ${item.externalId}` : ""}
    </Typography.Text>
  </span>
);
