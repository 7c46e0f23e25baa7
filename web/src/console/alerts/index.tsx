import { CheckOutlined, ExperimentOutlined } from "@ant-design/icons";
import {
  App,
  Badge,
  Button,
  Empty,
  Input,
  Modal,
  Segmented,
  Select,
  Space,
  Table,
  type TableColumnsType,
  Typography,
} from "antd";
import dayjs from "dayjs";
import { type HTMLAttributes, useState } from "react";
import { Link } from "react-router";
import { label, useScreenText } from "../../shared/i18n.ts";
import { useCan } from "../../shared/session.ts";
import { type Tone, ToneTag } from "../../shared/tone.tsx";
import { LoadProblem } from "../finance/load-problem.tsx";
import {
  type AlertRow,
  KINDS,
  PAGE_SIZES,
  SEVERITIES,
  STATUSES,
  type Status,
  toQuery,
  useAcknowledge,
  useAlertState,
  useAlerts,
  useOpenCount,
  useQualityScan,
  useShops,
} from "./data.ts";
import { TEXT } from "./text.ts";

const SEVERITY_TONE: Record<AlertRow["severity"], Tone> = { critical: "red", warning: "orange" };
const KIND_TONE: Record<AlertRow["kind"], Tone> = {
  case_risk: "volcano",
  sku_quality: "purple",
  category_quality: "geekblue",
};

/** What a quality scan stored about the jump (flows/alerts.ts); every field may be missing on old alerts. */
interface Jump {
  recentRate?: number;
  baselineRate?: number;
  lift?: number;
  recentDays?: number;
  baselineDays?: number;
  recentSold?: number;
  recentRefunded?: number;
  baselineSold?: number;
  baselineRefunded?: number;
  baselineSource?: "own" | "default";
  mainReason?: string;
  suspected?: "quality" | "listing";
}

const when = (at: string) => dayjs(at).format("YYYY-MM-DD HH:mm");
/** "user:wang.manager" → "wang.manager": who, as they sign in. */
const who = (actor: string | null) => (actor ?? "").replace(/^(user|system|rule):/, "");

/**
 * The trend a manager checks a spike against: the shop's refund rate by SKU or category over the
 * baseline and recent windows, in the dashboard that marks the scan's jumps.
 */
function trendLink(a: AlertRow, jump: Jump): string {
  const days = (jump.recentDays ?? 14) + (jump.baselineDays ?? 90);
  const p = new URLSearchParams({
    from: dayjs(a.createdAt).subtract(days, "day").format("YYYY-MM"),
    to: dayjs(a.createdAt).format("YYYY-MM"),
  });
  if (a.shop) p.set("shop", a.shop);
  p.set("by", a.kind === "sku_quality" ? "sku" : "category");
  return `/analytics?${p}`;
}

/**
 * 预警: the inbox of case-risk and quality alerts, paged on the server and filtered by kind, severity,
 * shop and status. Each says why in the reader's language, with its numbers and a link to what raised
 * it; one or several are acknowledged with an optional note; a quality scan can be run on demand.
 */
export default function Alerts() {
  const { t, i18n } = useScreenText("alerts", TEXT);
  const { message } = App.useApp();
  const can = useCan();
  const [state, set] = useAlertState();
  const page = useAlerts(toQuery(state));
  const openCount = useOpenCount();
  const shops = useShops();
  const shopName = (id: string | null) =>
    id === null ? t("noShop") : (shops.data?.items.find((s) => s.id === id)?.name ?? id);
  const [selected, setSelected] = useState<number[]>([]);
  const [acking, setAcking] = useState<number[] | null>(null);
  const [note, setNote] = useState("");
  const ack = useAcknowledge();
  const scan = useQualityScan();
  const pct = (rate: number | undefined) =>
    rate === undefined
      ? "—"
      : new Intl.NumberFormat(i18n.language, { style: "percent", minimumFractionDigits: 1 }).format(rate);

  const confirm = () => {
    if (!acking) return;
    ack.mutate(
      { ids: acking, note },
      {
        onSuccess: ({ done, refused }) => {
          if (done.length) void message.success(t("acknowledged", { count: done.length }));
          for (const r of refused) void message.error(t("acknowledgeRefused", r));
          setSelected((s) => s.filter((id) => !done.includes(id)));
          setAcking(null);
          setNote("");
        },
      },
    );
  };

  const numbers = (a: AlertRow) => {
    const d = (a.data ?? {}) as Jump & { score?: number };
    if (a.kind === "case_risk")
      return (
        <span data-testid="score">
          {t("score")} <Typography.Text strong>{d.score ?? "—"}</Typography.Text>
        </span>
      );
    return (
      <Space orientation="vertical" size={0} data-testid="rates">
        <span>
          {t("recent", { days: d.recentDays ?? "—" })}{" "}
          <Typography.Text strong data-testid="recent-rate">
            {pct(d.recentRate)}
          </Typography.Text>
          {d.recentSold !== undefined &&
            ` (${t("units", { refunded: d.recentRefunded, sold: d.recentSold })})`}
        </span>
        <span>
          {d.baselineSource === "default" ? t("defaultBaseline") : t("baseline")}{" "}
          <span data-testid="baseline-rate">{pct(d.baselineRate)}</span>
          {" · "}
          {d.lift !== undefined ? t("lift", { lift: d.lift.toFixed(1) }) : t("liftNone")}
        </span>
        {d.mainReason && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("mainReason", { reason: t(`reasons.${d.mainReason}`, { defaultValue: d.mainReason }) })}
            {d.suspected ? ` · ${t(`suspected.${d.suspected}`)}` : ""}
          </Typography.Text>
        )}
      </Space>
    );
  };

  const columns: TableColumnsType<AlertRow> = [
    {
      title: t("alert"),
      key: "alert",
      width: 150,
      render: (_, a) => (
        <Space orientation="vertical" size={4}>
          <Space size={4} wrap>
            <ToneTag tone={SEVERITY_TONE[a.severity]} testId="severity">
              {t(`severities.${a.severity}`)}
            </ToneTag>
            <ToneTag tone={KIND_TONE[a.kind]} testId="kind">
              {t(`kinds.${a.kind}`)}
            </ToneTag>
          </Space>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            #{a.id}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t("why"),
      key: "why",
      render: (_, a) => (
        <Space orientation="vertical" size={2}>
          <span data-testid="reason">{label(a.reason)}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(`subjects.${a.kind}`, { subject: a.subject })} · {shopName(a.shop)}
          </Typography.Text>
        </Space>
      ),
    },
    { title: t("numbers"), key: "numbers", width: 260, render: (_, a) => numbers(a) },
    {
      title: t("when"),
      key: "when",
      width: 170,
      render: (_, a) => (
        <Space orientation="vertical" size={0}>
          <span>{t("raised", { at: when(a.createdAt) })}</span>
          {a.updatedAt !== a.createdAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t("updated", { at: when(a.updatedAt) })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t("source"),
      key: "source",
      width: 150,
      render: (_, a) =>
        a.kind === "case_risk" && a.caseId !== null ? (
          <Link to={`/cases/${a.caseId}`} data-testid="source-link">
            {t("caseLink", { id: a.caseId })}
          </Link>
        ) : a.kind !== "case_risk" ? (
          <Link
            to={trendLink(a, (a.data ?? {}) as Jump)}
            title={t("trendHint", { by: t(a.kind === "sku_quality" ? "by.sku" : "by.category") })}
            data-testid="source-link"
          >
            {t("trendLink")}
          </Link>
        ) : (
          "—"
        ),
    },
    {
      title: t("state"),
      key: "state",
      width: 210,
      render: (_, a) =>
        a.status === "acknowledged" ? (
          <Space orientation="vertical" size={0} data-testid="acknowledged">
            <ToneTag tone="green">{t("statuses.acknowledged")}</ToneTag>
            <Typography.Text style={{ fontSize: 12 }}>
              {t("acknowledgedBy", { who: who(a.acknowledgedBy), at: when(a.acknowledgedAt ?? a.updatedAt) })}
            </Typography.Text>
            {a.note && (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t("note", { note: a.note })}
              </Typography.Text>
            )}
          </Space>
        ) : can("alerts.ack") ? (
          <Button size="small" icon={<CheckOutlined />} onClick={() => setAcking([a.id])}>
            {t("acknowledge")}
          </Button>
        ) : (
          <ToneTag tone="gold">{t("statuses.open")}</ToneTag>
        ),
    },
  ];

  return (
    <section aria-label={t("title")}>
      <Space align="center" style={{ justifyContent: "space-between", width: "100%", marginBottom: 8 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("title")}
        </Typography.Title>
        {can("settings.write") && (
          <Button
            icon={<ExperimentOutlined />}
            loading={scan.isPending}
            onClick={() =>
              scan.mutate(undefined, {
                onSuccess: (r) => void message.success(t("scanned", r)),
                onError: (e) => void message.error(t("scanFailed", { message: e.message })),
              })
            }
          >
            {t("scan")}
          </Button>
        )}
      </Space>
      <Typography.Paragraph type="secondary">{t("intro")}</Typography.Paragraph>
      <search
        aria-label={t("filters")}
        style={{ display: "flex", flexWrap: "wrap", gap: 8, marginBottom: 12 }}
      >
        <Segmented
          aria-label={t("state")}
          value={state.status}
          onChange={(v) => {
            set({ status: v as Status });
            setSelected([]);
          }}
          options={STATUSES.map((s) => ({
            value: s,
            label: (
              <span data-view={s}>
                {t(`statuses.${s}`)}
                {s === "open" && openCount ? (
                  <Badge count={openCount} style={{ marginInlineStart: 6 }} color="#a8071a" />
                ) : null}
              </span>
            ),
          }))}
        />
        <Select
          allowClear
          aria-label={t("kind")}
          placeholder={t("kind")}
          value={state.kind || undefined}
          onChange={(v) => set({ kind: v ?? "" })}
          options={KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))}
          style={{ minWidth: 150 }}
        />
        <Select
          allowClear
          aria-label={t("severity")}
          placeholder={t("severity")}
          value={state.severity || undefined}
          onChange={(v) => set({ severity: v ?? "" })}
          options={SEVERITIES.map((s) => ({ value: s, label: t(`severities.${s}`) }))}
          style={{ minWidth: 120 }}
        />
        <Select
          mode="multiple"
          allowClear
          aria-label={t("shop")}
          placeholder={t("allShops")}
          value={state.shop}
          onChange={(v: string[]) => set({ shop: v })}
          options={(shops.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
          style={{ minWidth: 180 }}
        />
        {can("alerts.ack") && (
          <Button
            type="primary"
            icon={<CheckOutlined />}
            disabled={selected.length === 0}
            onClick={() => setAcking(selected)}
            style={{ marginInlineStart: "auto" }}
          >
            {t("acknowledgeSelected", { count: selected.length })}
          </Button>
        )}
      </search>
      <LoadProblem error={page.error} text={(m) => t("loadFailed", { message: m })} />
      {/* Scrolls sideways in its own box: scroll.x would add a hidden measuring row repeating the
          select-all checkbox where assistive technology is told nothing is (as the queue does). */}
      <div style={{ overflowX: "auto" }}>
        <Table<AlertRow>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={page.data?.items ?? []}
          loading={page.isFetching && !page.data}
          locale={{ emptyText: <Empty description={t("empty")} /> }}
          onRow={(a) =>
            ({
              "data-row": a.id,
              "data-kind": a.kind,
              "data-status": a.status,
            }) as HTMLAttributes<HTMLElement>
          }
          rowSelection={
            can("alerts.ack")
              ? {
                  selectedRowKeys: selected,
                  onChange: (keys) => setSelected(keys as number[]),
                  getCheckboxProps: (a) => ({
                    disabled: a.status !== "open",
                    "aria-label": t("selectAlert", { id: a.id }),
                  }),
                }
              : undefined
          }
          style={{ minWidth: 1200 }}
          pagination={{
            current: state.page,
            pageSize: state.size,
            total: page.data?.total ?? 0,
            pageSizeOptions: PAGE_SIZES.map(String),
            showSizeChanger: true,
            showTotal: (total) => t("total", { total }),
            onChange: (p, size) => set({ page: size === state.size ? p : 1, size }),
          }}
        />
      </div>
      <Modal
        open={acking !== null}
        title={t("acknowledgeTitle", { count: acking?.length ?? 0 })}
        okText={t("acknowledge")}
        cancelText={t("common:actions.cancel")}
        confirmLoading={ack.isPending}
        onOk={confirm}
        onCancel={() => setAcking(null)}
        destroyOnHidden
      >
        <label htmlFor="alert-note" style={{ display: "block", marginBottom: 4 }}>
          {t("acknowledgeNote")}
        </label>
        <Input.TextArea
          id="alert-note"
          rows={3}
          maxLength={500}
          value={note}
          placeholder={t("acknowledgeNotePlaceholder")}
          onChange={(e) => setNote(e.target.value)}
        />
      </Modal>
    </section>
  );
}
