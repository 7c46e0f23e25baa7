import { ClockCircleOutlined, MoreOutlined, UserOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Button, Dropdown, Typography } from "antd";
import { type DragEvent, memo, useState } from "react";
import { Link, useNavigate } from "react-router";
import type { paths } from "../../shared/api-types.ts";
import { label } from "../../shared/i18n.ts";
import { formatMoney } from "../../shared/money.ts";
import { URGENCY_COLOUR, urgency } from "../../shared/sla.ts";
import { SlaDue, span } from "../queue/cells.tsx";
import { caseQuery, lifecycleQuery, type Target, targetsOf } from "./moves.ts";
import { useBoardText, useQueueText } from "./text.ts";

export type BoardAnswer = paths["/api/v1/board"]["get"]["responses"][200]["content"]["application/json"];
export type Column = BoardAnswer["columns"][number];
export type Item = Column["items"][number];

/** Every card is this tall, so a column of 100,000 scrolls as one long list without measuring any. */
export const CARD_HEIGHT = 124;
export const CARD_GAP = 8;

export interface CardProps {
  item: Item;
  now: number;
  shopName: (id: string) => string;
  dragging: boolean;
  onDragStart: (item: Item) => void;
  onDragEnd: () => void;
  onMove: (item: Item, target: Target) => void;
}

/** One case on the board: who, how much, whose, how long here and how close to its deadline. */
export const Card = memo(function Card({
  item,
  now,
  shopName,
  dragging,
  onDragStart,
  onDragEnd,
  onMove,
}: CardProps) {
  const { t } = useBoardText();
  const { t: qt } = useQueueText();
  const navigate = useNavigate();
  const u = urgency(item.slaDueAt, now);
  const customer = item.customer?.name ?? item.customer?.id ?? t("customerUnknown");
  const amount = formatMoney(item.amount);
  const start = (e: DragEvent) => {
    e.dataTransfer.setData("text/plain", String(item.id));
    e.dataTransfer.effectAllowed = "move";
    onDragStart(item);
  };
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the mouse's shortcut; keyboards use the case link and the move menu inside
    <article
      draggable
      onDragStart={start}
      onDragEnd={onDragEnd}
      onClick={(e) => {
        if (!(e.target as HTMLElement).closest("a,button,.ant-dropdown")) navigate(`/cases/${item.id}`);
      }}
      data-case={item.id}
      aria-label={t("cardLabel", { id: item.id, customer, amount })}
      style={{
        height: CARD_HEIGHT,
        boxSizing: "border-box",
        background: "#fff",
        border: "1px solid #e5e7eb",
        borderInlineStart: `4px solid ${URGENCY_COLOUR[u]}`,
        borderRadius: 6,
        padding: "8px 10px",
        display: "grid",
        gridTemplateRows: "auto auto auto auto",
        rowGap: 4,
        cursor: "grab",
        // The card being carried stays readable where it was, marked by a dashed outline.
        outline: dragging ? "2px dashed #1557c0" : undefined,
        outlineOffset: -2,
        boxShadow: "0 1px 2px rgba(0,0,0,0.04)",
      }}
    >
      <Row>
        <Link to={`/cases/${item.id}`} style={{ fontWeight: 600 }}>
          #{item.id}
        </Link>
        <span style={{ fontSize: 12 }}>
          <SlaDue item={item} now={now} t={qt} />
        </span>
      </Row>
      <Row>
        <Typography.Text ellipsis style={{ maxWidth: "55%" }}>
          {customer}
        </Typography.Text>
        <Typography.Text strong>{amount}</Typography.Text>
      </Row>
      <Row muted>
        <Typography.Text type="secondary" ellipsis style={{ maxWidth: "55%", fontSize: 12 }}>
          {shopName(item.shop)}
        </Typography.Text>
        <Typography.Text type="secondary" ellipsis style={{ maxWidth: "45%", fontSize: 12 }}>
          <UserOutlined aria-hidden /> {item.owner?.name ?? t("noOwner")}
        </Typography.Text>
      </Row>
      <Row muted>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          <ClockCircleOutlined aria-hidden />{" "}
          {t("inStage", { time: span(qt, now - new Date(item.statusSince).getTime()) })}
        </Typography.Text>
        <MoveMenu item={item} onMove={onMove} />
      </Row>
    </article>
  );
});

function Row({ children, muted }: { children: React.ReactNode; muted?: boolean }) {
  return (
    <div
      style={{
        display: "flex",
        justifyContent: "space-between",
        alignItems: "center",
        gap: 8,
        minWidth: 0,
        lineHeight: muted ? "20px" : "22px",
      }}
    >
      {children}
    </div>
  );
}

/** The keyboard's (and the phone's) way to move a card: the same targets a drag would offer. */
function MoveMenu({ item, onMove }: { item: Item; onMove: (item: Item, target: Target) => void }) {
  const { t } = useBoardText();
  const [open, setOpen] = useState(false);
  const lifecycle = useQuery({ ...lifecycleQuery, enabled: open });
  const kase = useQuery({ ...caseQuery(item.id), enabled: open });
  const targets = lifecycle.data && kase.data ? targetsOf(lifecycle.data, kase.data) : null;
  const stateLabel = (s: string) => label(lifecycle.data?.states.find((x) => x.status === s)?.label);
  const items = !targets
    ? [{ key: "checking", label: t("checking"), disabled: true }]
    : targets.length === 0
      ? [{ key: "none", label: t("noMoves"), disabled: true }]
      : targets.map((target) => ({
          key: target.status,
          label: `${stateLabel(target.status)} · ${t(`actions.${target.action}`, { defaultValue: target.action })}`,
          onClick: () => onMove(item, target),
        }));
  return (
    <Dropdown trigger={["click"]} open={open} onOpenChange={setOpen} menu={{ items }}>
      <Button
        size="small"
        type="text"
        icon={<MoreOutlined />}
        aria-label={t("moveToLabel", { id: item.id })}
        title={t("moveTo")}
      />
    </Dropdown>
  );
}
