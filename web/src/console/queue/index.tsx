import { QuestionCircleOutlined } from "@ant-design/icons";
import { Alert, App, Button, Grid, Select, Tooltip, Typography } from "antd";
import { useCallback, useEffect, useRef, useState } from "react";
import { useScreenText } from "../../shared/i18n.ts";
import { useCan } from "../../shared/session.ts";
import { CASE_HOTKEYS, CaseView, type CaseViewHandle } from "../cases/[id]/case-view.tsx";
import { useNow } from "../cases/[id]/format.ts";
import { useClaim } from "./actions.ts";
import { BatchBar, type Selection } from "./batch.tsx";
import { CasePane } from "./case-pane.tsx";
import { ColumnSettings, useHiddenColumns } from "./columns.tsx";
import { type QueueItem, useQueuePage, useViews, viewFilter } from "./data.ts";
import { FilterBar, SearchBox } from "./filter-bar.tsx";
import {
  DEFAULT_ORDER,
  effectiveFilter,
  type Filter,
  type Sort,
  useQueueState,
  withFilter,
} from "./params.ts";
import { QueueCards } from "./queue-cards.tsx";
import { QueueTable } from "./queue-table.tsx";
import { ShortcutHelp, type ShortcutName, useShortcuts } from "./shortcuts.tsx";
import { TEXT } from "./text.ts";
import { SaveView, ViewList } from "./views.tsx";

const PHONE_SORTS = ["slaDueAt", "createdAt", "amount", "riskScore"] as const;
/** Keys that open one of the case view's forms (its own a/r/g), and the permission each needs. */
const CASE_KEYS: Partial<
  Record<ShortcutName, { key: string; permission: "case.approve" | "case.reject" | "case.grant_refund" }>
> = {
  approve: { key: "a", permission: "case.approve" },
  reject: { key: "r", permission: "case.reject" },
  grant: { key: "g", permission: "case.grant_refund" },
};
/** A side action that leaves the case where it was: the reviewer stays on it. */
const STAYS = new Set(["compensate"]);

/**
 * The reviewer workspace (审核工作台), where reviewers spend the day: the queue as the address says it
 * (views, filters, search, sort), the open case beside it, the keyboard, and batch actions.
 */
export default function Queue() {
  const { t } = useScreenText("queue", TEXT);
  const { message } = App.useApp();
  const can = useCan();
  const compact = !Grid.useBreakpoint().md;
  const [state, setState] = useQueueState();
  const views = useViews();
  const vFilter = viewFilter(views.data?.items, state.view);
  const filter = effectiveFilter(state, vFilter);
  const page = useQueuePage(state);
  const items = page.data?.items ?? [];
  const total = page.data?.total ?? 0;
  const now = useNow();
  const [hidden, setHidden] = useHiddenColumns();
  const [highlight, setHighlight] = useState<number | undefined>(state.open);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [help, setHelp] = useState(false);
  const claim = useClaim(t);

  // Cases seen on any page, to name them in batch results after they have left the list.
  const known = useRef(new Map<number, QueueItem>()).current;
  for (const item of items) known.set(item.id, item);

  // A new filter, sort or page is another list: what was ticked on the old one no longer applies.
  const listKey = JSON.stringify([
    state.explicit,
    state.view,
    state.sort,
    state.order,
    state.page,
    state.size,
  ]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the list's identity is its key
  useEffect(() => setSelection(null), [listKey]);

  const current = items.find((i) => i.id === highlight) ?? items.find((i) => i.id === state.open) ?? items[0];

  const setFilter = (patch: Filter) => setState(withFilter(state, patch, vFilter));
  const open = (id: number | undefined) => {
    if (id !== undefined) setHighlight(id);
    setState({ ...state, open: id });
  };
  /** Like a mail client: once a case is dealt with, the next one comes up (opened, if one was open). */
  const advance = (doneId: number) => {
    const at = items.findIndex((i) => i.id === doneId);
    const next = at >= 0 ? (items[at + 1] ?? items[at - 1]) : undefined;
    setHighlight(next?.id);
    if (state.open !== undefined) setState({ ...state, open: next?.id });
  };

  // The open case's forms, for a/r/g. A key pressed on a case not yet open opens it, then its form.
  const caseView = useRef<CaseViewHandle | null>(null);
  const pendingForm = useRef<string | null>(null);
  const unavailable = useRef((_action: string) => {});
  unavailable.current = (action) => void message.info(t("unavailable", { action: t(action) }));
  const onCaseView = useCallback((h: CaseViewHandle | null) => {
    caseView.current = h;
    const action = pendingForm.current;
    if (h && action) {
      pendingForm.current = null;
      if (!h.open(action)) unavailable.current(action === "grant-refund" ? "grant" : action);
    }
  }, []);

  useShortcuts((name) => {
    const move = (by: number) => {
      if (!items.length) return;
      const at = Math.max(
        0,
        items.findIndex((i) => i.id === current?.id),
      );
      const next = items[Math.min(items.length - 1, Math.max(0, at + by))];
      if (!next) return;
      setHighlight(next.id);
      if (state.open !== undefined) open(next.id);
      document.querySelector(`[data-row="${next.id}"]`)?.scrollIntoView({ block: "nearest" });
    };
    if (name === "next") return move(1);
    if (name === "prev") return move(-1);
    if (name === "help") return setHelp(true);
    if (name === "close") return open(undefined);
    const target = items.find((i) => i.id === state.open) ?? current;
    if (!target) return void message.info(t("nothingHighlighted"));
    if (name === "open") return open(target.id);
    if (name === "claim") return can("case.claim") ? claim(target) : void message.info(t("notAllowed"));
    const form = CASE_KEYS[name];
    if (!form) return;
    if (!can(form.permission)) return void message.info(t("notAllowed"));
    const action = CASE_HOTKEYS[form.key] ?? name;
    if (state.open === target.id && caseView.current) {
      if (!caseView.current.open(action)) unavailable.current(name);
    } else {
      pendingForm.current = action;
      open(target.id);
    }
  }, !help);

  const onSort = (sort: Sort, order: "asc" | "desc") => setState({ ...state, sort, order, page: 1 });
  const may = {
    approve: can("case.approve"),
    reject: can("case.reject"),
    assign: can("case.assign"),
    claim: can("case.claim"),
  };

  return (
    <section aria-labelledby="queue-title">
      <div style={{ display: "flex", flexWrap: "wrap", gap: 8, alignItems: "center", marginBottom: 8 }}>
        <Typography.Title
          level={1}
          id="queue-title"
          style={{ fontSize: 20, margin: 0, marginInlineEnd: "auto" }}
        >
          {t("title")}
        </Typography.Title>
        <SaveView
          t={t}
          filter={filter}
          mayShare={may.assign}
          onSaved={(id) => setState({ ...state, view: id, explicit: {}, page: 1 })}
        />
        {!compact && <ColumnSettings t={t} hidden={hidden} onChange={setHidden} />}
        {!compact && (
          <Tooltip title={t("shortcuts")}>
            <Button
              icon={<QuestionCircleOutlined />}
              aria-label={t("shortcuts")}
              onClick={() => setHelp(true)}
            />
          </Tooltip>
        )}
      </div>
      <nav aria-label={t("views")}>
        <ViewList
          t={t}
          views={views.data?.items ?? []}
          active={state.view}
          compact={compact}
          onSelect={(view) => setState({ ...state, view, explicit: {}, page: 1, open: undefined })}
        />
      </nav>
      <search style={{ display: "flex", flexWrap: "wrap", gap: 8, marginBottom: 12 }}>
        <SearchBox t={t} filter={filter} onChange={setFilter} style={{ width: compact ? "100%" : 420 }} />
        <FilterBar t={t} filter={filter} onChange={setFilter} compact={compact} />
        {compact && (
          <Select
            aria-label={t("sortBy")}
            value={state.sort}
            onChange={(s: Sort) => onSort(s, DEFAULT_ORDER[s])}
            options={PHONE_SORTS.map((s) => ({ value: s, label: t(`sortChoices.${s}`) }))}
            style={{ flex: 1, minWidth: 140 }}
          />
        )}
      </search>
      {page.error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          style={{ marginBottom: 12 }}
          title={t("loadFailed", { message: page.error.message })}
        />
      )}
      {!compact && (
        <BatchBar
          t={t}
          selection={selection}
          pageCount={items.length}
          total={total}
          filter={filter}
          may={may}
          onSelection={setSelection}
        />
      )}
      {compact ? (
        <QueueCards
          t={t}
          items={items}
          total={total}
          page={state.page}
          size={state.size}
          loading={page.isFetching}
          now={now}
          current={current?.id}
          onOpen={open}
          onPage={(p) => setState({ ...state, page: p })}
        />
      ) : (
        <QueueTable
          t={t}
          items={items}
          total={total}
          loading={page.isFetching}
          hidden={hidden}
          sort={{ sort: state.sort, order: state.order }}
          page={state.page}
          size={state.size}
          now={now}
          current={current?.id}
          selectable={may.approve || may.reject || may.assign || may.claim}
          selectedIds={selection?.kind === "ids" ? selection.ids : selection ? items.map((i) => i.id) : []}
          onSelect={(ids) => setSelection(ids.length ? { kind: "ids", ids } : null)}
          onOpen={open}
          onSort={onSort}
          onPage={(p, size) => setState({ ...state, page: size === state.size ? p : 1, size })}
        />
      )}
      <CasePane
        t={t}
        id={state.open}
        item={items.find((i) => i.id === state.open) ?? (state.open ? known.get(state.open) : undefined)}
        compact={compact}
        onClose={() => open(undefined)}
      >
        {state.open !== undefined && (
          <CaseView
            key={state.open}
            id={state.open}
            ref={onCaseView}
            onActed={(action) => {
              if (state.open !== undefined && !STAYS.has(action)) advance(state.open);
            }}
          />
        )}
      </CasePane>
      <ShortcutHelp t={t} open={help} onClose={() => setHelp(false)} />
    </section>
  );
}
