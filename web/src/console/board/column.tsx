import { useQueries } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { Badge, Typography } from "antd";
import { type DragEvent, useEffect, useMemo, useRef, useState } from "react";
import { api, call } from "../../shared/api.ts";
import { label } from "../../shared/i18n.ts";
import { keys } from "../../shared/keys.ts";
import type { ApiFilter } from "../queue/params.ts";
import {
  CARD_GAP,
  CARD_HEIGHT,
  Card,
  type CardProps,
  type Column as ColumnData,
  type Item,
} from "./card.tsx";
import { useBoardText } from "./text.ts";

/** Cards fetched per request beyond the board's first ones (GET /queue?status=…&sort=slaDueAt&offset=…). */
const PAGE = 50;
const ROW = CARD_HEIGHT + CARD_GAP;
/** A column stands out from the page behind it; while a card is carried, it says whether it takes it. */
const BACKGROUND: Record<DropState["kind"], string> = {
  none: "#e9ecf0",
  checking: "#e9ecf0",
  allowed: "#dce8fb",
  refused: "#d9d9d9",
};

/** How a column takes the card being dragged: not at all, still asking, or with this action. */
export type DropState =
  | { kind: "none" }
  | { kind: "checking" }
  | { kind: "refused" }
  | { kind: "allowed"; action: string };

interface Props extends Omit<CardProps, "item" | "dragging"> {
  column: ColumnData;
  filter: ApiFilter & { view?: string };
  draggingId: number | null;
  drop: DropState;
  onDrop: (status: string) => void;
}

/**
 * One stage of the board. Its scroll height stands for every case in it (the server's count); only the
 * cards in view are drawn, and only the pages under them are fetched, so 100,000 cases scroll as
 * smoothly as 10 and a jump to the middle asks for one page.
 */
export function BoardColumn({ column, filter, draggingId, drop, onDrop, ...card }: Props) {
  const { t } = useBoardText();
  const scroller = useRef<HTMLDivElement>(null);
  const head = column.items;
  const virtual = useVirtualizer({
    count: column.count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 4,
  });
  const rows = virtual.getVirtualItems();
  const first = rows[0]?.index ?? 0;
  const last = rows.at(-1)?.index ?? 0;
  const pages = useSettledPages(first, last, head.length);
  const results = useQueries({
    queries: pages.map((p) => ({
      queryKey: [...keys.board(filter), column.status, p] as const,
      queryFn: () =>
        call(
          api.GET("/api/v1/queue", {
            params: {
              query: {
                ...filter,
                status: column.status,
                sort: "slaDueAt",
                offset: head.length + p * PAGE,
                limit: PAGE,
              },
            },
          }),
        ),
    })),
  });
  const itemAt = (i: number): Item | undefined => {
    if (i < head.length) return head[i];
    const p = Math.floor((i - head.length) / PAGE);
    const page = results[pages.indexOf(p)]?.data;
    return page?.items[(i - head.length) % PAGE];
  };
  const name = label(column.label);
  const accepts = drop.kind === "allowed";
  const over = (e: DragEvent) => {
    if (!accepts) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
  };
  return (
    <section
      aria-label={t("columnLabel", { label: name, count: column.count })}
      data-status={column.status}
      data-drop={drop.kind}
      onDragOver={over}
      onDragEnter={over}
      onDrop={(e) => {
        if (!accepts) return;
        e.preventDefault();
        onDrop(column.status);
      }}
      style={{
        flex: "none",
        // An empty stage needs no card's width: more of the board fits on the screen.
        width: column.count === 0 && drop.kind !== "allowed" ? 180 : "min(300px, calc(100vw - 64px))",
        display: "flex",
        flexDirection: "column",
        minHeight: 0,
        background: BACKGROUND[drop.kind],
        borderRadius: 8,
        outline: accepts ? "2px dashed #1557c0" : "none",
        outlineOffset: -2,
        // Refused: greyed without fading the text (it stays readable), and the pointer says no.
        filter: drop.kind === "refused" ? "grayscale(1)" : undefined,
        cursor: drop.kind === "refused" ? "not-allowed" : undefined,
        transition: "background 120ms, width 120ms",
        scrollSnapAlign: "start",
      }}
    >
      <header
        style={{
          display: "flex",
          justifyContent: "space-between",
          alignItems: "center",
          padding: "10px 12px 6px",
        }}
      >
        <Typography.Title level={2} style={{ fontSize: 14, margin: 0 }}>
          {name}
        </Typography.Title>
        <Badge
          count={column.count}
          overflowCount={999_999}
          showZero
          color={column.count ? "#1557c0" : "#8c8c8c"}
          data-count={column.count}
        />
      </header>
      <div
        aria-live="polite"
        style={{ padding: "0 12px", fontSize: 12, color: drop.kind === "refused" ? "#262626" : "#1557c0" }}
      >
        {drop.kind === "allowed"
          ? t("dropHere", { action: t(`actions.${drop.action}`, { defaultValue: drop.action }) })
          : drop.kind === "refused"
            ? t("notHere")
            : ""}
      </div>
      <div ref={scroller} style={{ flex: 1, minHeight: 0, overflowY: "auto", padding: "4px 8px 8px" }}>
        {column.count === 0 ? (
          <Typography.Text type="secondary" style={{ display: "block", textAlign: "center", padding: 24 }}>
            {t("empty")}
          </Typography.Text>
        ) : (
          <ul
            style={{
              height: virtual.getTotalSize(),
              position: "relative",
              listStyle: "none",
              margin: 0,
              padding: 0,
            }}
          >
            {rows.map((row) => {
              const item = itemAt(row.index);
              return (
                <li
                  key={item ? `c${item.id}` : `i${row.index}`}
                  aria-setsize={column.count}
                  aria-posinset={row.index + 1}
                  style={{
                    position: "absolute",
                    top: 0,
                    left: 0,
                    right: 0,
                    height: CARD_HEIGHT,
                    transform: `translateY(${row.start}px)`,
                  }}
                >
                  {item ? (
                    <Card item={item} dragging={draggingId === item.id} {...card} />
                  ) : (
                    <Placeholder text={t("loading")} />
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
}

function Placeholder({ text }: { text: string }) {
  return (
    <div
      aria-busy
      style={{
        height: CARD_HEIGHT,
        borderRadius: 6,
        background: "linear-gradient(90deg, #eceef1, #f7f8fa, #eceef1)",
        color: "#595959",
        fontSize: 12,
        padding: 10,
        boxSizing: "border-box",
      }}
    >
      {text}
    </div>
  );
}

/**
 * The pages under the visible rows, once scrolling rests for a moment: dragging the scrollbar through
 * 100,000 cards asks only for where it stops, not for every page it passes.
 */
function useSettledPages(first: number, last: number, head: number): number[] {
  const pageOf = (i: number) => Math.floor((i - head) / PAGE);
  const from = last < head ? -1 : pageOf(Math.max(first, head));
  const to = last < head ? -1 : pageOf(last);
  const [range, setRange] = useState<[number, number]>([from, to]);
  useEffect(() => {
    const timer = setTimeout(() => setRange([from, to]), 120);
    return () => clearTimeout(timer);
  }, [from, to]);
  return useMemo(() => {
    const out: number[] = [];
    for (let p = range[0]; p >= 0 && p <= range[1]; p++) out.push(p);
    return out;
  }, [range]);
}
