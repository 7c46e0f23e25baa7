import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Grid, Result, Select, Space, Typography } from "antd";
import dayjs from "dayjs";
import type { TFunction } from "i18next";
import { type RefObject, useCallback, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, api, call } from "../../shared/api.ts";
import { label } from "../../shared/i18n.ts";
import { keys } from "../../shared/keys.ts";
import { URGENCY_COLOUR, type Urgency } from "../../shared/sla.ts";
import { useNow } from "../queue/cells.tsx";
import { useShops, viewFilter } from "../queue/data.ts";
import { FilterBar, SearchBox } from "../queue/filter-bar.tsx";
import { effectiveFilter, type Filter, toApi, useQueueState, withFilter } from "../queue/params.ts";
import type { Item } from "./card.tsx";
import { BoardColumn, type DropState } from "./column.tsx";
import { MoveDialog, type PendingMove } from "./move-dialog.tsx";
import { fetchTargets, lifecycleQuery, type MoveInput, needsOf, runMove, type Target } from "./moves.ts";
import { TerminalZones } from "./terminal-zones.tsx";
import { useBoardText, useQueueText } from "./text.ts";

interface Drag {
  item: Item;
  /** null while the server is asked where this case may go. */
  targets: Target[] | null;
}

/**
 * 实时看板: a column per open stage with the server's count, cards by SLA. Dragging a card (or its
 * "move to…" menu) runs the action that takes it to the column it is dropped on; every change, made
 * here or anywhere, comes back through the live event stream (live.ts refreshes keys.board()).
 */
export default function Board() {
  const { t } = useBoardText();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const client = useQueryClient();
  const narrow = !Grid.useBreakpoint().md;
  const { t: qt } = useQueueText();
  // The queue's filter, read from and written to the same address parameters: switching between the
  // queue and the board keeps it. A view chosen in the queue applies here too.
  const [state, setState] = useQueueState();
  const views = useQuery({
    queryKey: keys.views(),
    queryFn: () => call(api.GET("/api/v1/views")),
    enabled: state.view !== undefined,
  });
  const ofView = viewFilter(views.data?.items, state.view);
  const shown = effectiveFilter(state, ofView);
  // The server applies the view itself (GET /board and /queue take `view`), so the first answer is right.
  const filter = { ...toApi(state.explicit), ...(state.view ? { view: state.view } : {}) };
  const setFilter = (patch: Filter) => setState(withFilter(state, patch, ofView));
  const board = useQuery({
    queryKey: keys.board(filter),
    queryFn: () => call(api.GET("/api/v1/board", { params: { query: filter } })),
    placeholderData: keepPreviousData,
  });
  const lifecycle = useQuery(lifecycleQuery);
  const shops = useShops();
  const now = useNow();
  const [drag, setDrag] = useState<Drag | null>(null);
  const [pending, setPending] = useState<PendingMove | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const columnsRef = useRef<HTMLDivElement>(null);
  const sectionRef = useRef<HTMLElement>(null);
  const top = useTopOffset(sectionRef);

  const actionName = useCallback((slug: string) => t(`actions.${slug}`, { defaultValue: slug }), [t]);
  const run = useMutation({
    mutationFn: (m: PendingMove & { input?: MoveInput }) =>
      runMove(m.item.id, m.item.version, m.target, m.input),
    onSuccess: (_, m) => {
      setPending(null);
      setRefusal(null);
      void message.success(t("moved", { id: m.item.id, action: actionName(m.target.action) }));
    },
    onError: (e, m) => {
      setPending(null);
      setRefusal(t("refused", { id: m.item.id, reason: reasonOf(e, t) }));
    },
  });

  const shopNames = useMemo(
    () => new Map((shops.data?.items ?? []).map((s) => [s.id, s.name])),
    [shops.data],
  );
  const shopName = useCallback((id: string) => shopNames.get(id) ?? id, [shopNames]);
  const move = useCallback(
    (item: Item, target: Target) => {
      const needs = needsOf(target.action);
      if (needs === "case") navigate(`/cases/${item.id}`);
      else if (needs === "nothing") run.mutate({ item, target });
      else setPending({ item, target });
    },
    [navigate, run.mutate],
  );
  const dragStart = useCallback(
    (item: Item) => {
      setRefusal(null);
      setDrag({ item, targets: null });
      fetchTargets(client, item.id).then(
        (targets) => setDrag((d) => (d?.item.id === item.id ? { item, targets } : d)),
        () => setDrag((d) => (d?.item.id === item.id ? { item, targets: [] } : d)),
      );
    },
    [client],
  );
  const dragEnd = useCallback(() => setDrag(null), []);
  const drop = (status: string) => {
    const target = drag?.targets?.find((x) => x.status === status);
    if (drag && target) move(drag.item, target);
    setDrag(null);
  };
  const dropState = (status: string): DropState => {
    if (!drag) return { kind: "none" };
    if (drag.targets === null) return { kind: "checking" };
    const target = drag.targets.find((x) => x.status === status);
    if (target) return { kind: "allowed", action: target.action };
    return status === drag.item.status ? { kind: "none" } : { kind: "refused" };
  };

  if (board.isError && !board.data)
    return (
      <Result
        status="error"
        title={t("common:errors.title")}
        subTitle={board.error.message}
        extra={<Button onClick={() => board.refetch()}>{t("common:actions.retry")}</Button>}
      />
    );
  const columns = board.data?.columns ?? [];
  const terminal = (lifecycle.data?.states ?? []).filter((s) => s.terminal);
  const jump = (status: string) =>
    columnsRef.current
      ?.querySelector(`[data-status="${status}"]`)
      ?.scrollIntoView({ behavior: "smooth", inline: "start", block: "nearest" });
  return (
    <section
      ref={sectionRef}
      aria-labelledby="board-title"
      // The board fills the screen below the header (taller on a phone, where it wraps): only the columns
      // scroll, each on its own.
      style={{ display: "flex", flexDirection: "column", gap: 12, height: `calc(100dvh - ${top + 16}px)` }}
    >
      <Space style={{ justifyContent: "space-between", width: "100%" }} wrap>
        <Typography.Title level={1} id="board-title" style={{ fontSize: 20, margin: 0 }}>
          {t("title")}
        </Typography.Title>
        {narrow && (
          <Select
            aria-label={t("jumpTo")}
            placeholder={t("jumpTo")}
            value={null}
            onChange={(s: string) => jump(s)}
            options={columns.map((c) => ({ value: c.status, label: `${label(c.label)} (${c.count})` }))}
            style={{ width: 170 }}
          />
        )}
        <SlaLegend />
      </Space>
      <Space wrap size={[8, 8]} style={{ width: "100%" }}>
        <SearchBox t={qt} filter={shown} onChange={setFilter} style={{ width: narrow ? 260 : 320 }} />
        <FilterBar t={qt} filter={shown} onChange={setFilter} compact={narrow} />
      </Space>
      {refusal && (
        <Alert type="error" showIcon closable title={refusal} onClose={() => setRefusal(null)} role="alert" />
      )}
      {drag && (
        <TerminalZones states={terminal} targets={drag.targets ?? []} actionName={actionName} onDrop={drop} />
      )}
      <div
        ref={columnsRef}
        data-loading={board.isFetching || undefined}
        style={{
          flex: 1,
          minHeight: 0,
          display: "flex",
          gap: 12,
          overflowX: "auto",
          scrollSnapType: narrow ? "x mandatory" : undefined,
          paddingBottom: 4,
        }}
      >
        {columns.map((c) => (
          <BoardColumn
            key={c.status}
            column={c}
            filter={filter}
            now={now}
            shopName={shopName}
            draggingId={drag?.item.id ?? null}
            drop={dropState(c.status)}
            onDrop={drop}
            onDragStart={dragStart}
            onDragEnd={dragEnd}
            onMove={move}
          />
        ))}
      </div>
      <MoveDialog
        move={pending}
        busy={run.isPending}
        onSubmit={(input) => pending && run.mutate({ ...pending, input })}
        onCancel={() => setPending(null)}
      />
    </section>
  );
}

/** Where the element starts on the page, followed as the console's header changes height (it wraps). */
function useTopOffset(ref: RefObject<HTMLElement | null>): number {
  const [top, setTop] = useState(80);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setTop(el.getBoundingClientRect().top + window.scrollY);
    measure();
    const observer = new ResizeObserver(measure);
    const header = document.querySelector(".ant-layout-header");
    if (header) observer.observe(header);
    return () => observer.disconnect();
  }, [ref]);
  return top;
}

/** What the stripe down each card's edge means: the colour always has these words beside it. */
function SlaLegend() {
  const { t } = useBoardText();
  const shades: Urgency[] = ["ok", "soon", "overdue", "none"];
  return (
    <ul
      aria-label={t("legend.title")}
      style={{ display: "flex", flexWrap: "wrap", gap: "4px 14px", margin: 0, padding: 0, listStyle: "none" }}
    >
      {shades.map((u) => (
        <li key={u} style={{ display: "flex", alignItems: "center", gap: 6, fontSize: 12, color: "#434343" }}>
          <span
            aria-hidden
            style={{ width: 4, height: 14, borderRadius: 2, background: URGENCY_COLOUR[u], flex: "none" }}
          />
          {t(`legend.${u}`)}
        </li>
      ))}
    </ul>
  );
}

/** The server's reason, and for a case changed meanwhile, who changed it and when. */
function reasonOf(e: Error, t: TFunction): string {
  if (!(e instanceof ApiError)) return e.message || t("common:errors.network");
  const { changedBy, changedAt } = e.details as { changedBy?: string; changedAt?: string };
  if (e.code === "VERSION_CONFLICT" && changedBy && changedAt)
    return `${e.message} (${t("changedBy", { who: changedBy, at: dayjs(changedAt).format("HH:mm") })})`;
  return e.message;
}
