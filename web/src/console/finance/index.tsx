import {
  Badge,
  DatePicker,
  Input,
  Segmented,
  Select,
  Space,
  Table,
  type TableColumnsType,
  Tooltip,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import type { HTMLAttributes } from "react";
import { Link } from "react-router";
import { useScreenText } from "../../shared/i18n.ts";
import { formatMoney } from "../../shared/money.ts";
import { type Tone, ToneTag } from "../../shared/tone.tsx";
import { useCodes } from "../cases/[id]/text.ts";
import {
  PAGE_SIZES,
  type RefundRow,
  toQuery,
  useRefundState,
  useRefunds,
  useShops,
  useViewCount,
  VIEWS,
  type View,
} from "./data.ts";
import { LoadProblem } from "./load-problem.tsx";
import { RefundActions } from "./refund-actions.tsx";
import { FinanceHeader } from "./tabs.tsx";
import { CHANNEL_CODES, REFUND_STATUSES, TEXT } from "./text.ts";

const STATUS_TONE: Record<string, Tone> = {
  requested: "blue",
  processing: "gold",
  succeeded: "green",
  failed: "red",
};

/**
 * 退款 (finance): every refund leg with its channel, grant, attempts and last error, paged on the server;
 * the offline transfers to make (待线下打款) settled with their reference in one step, refused refunds
 * sent again or paid offline instead.
 */
export default function Refunds() {
  const { t } = useScreenText("finance", TEXT);
  const [state, set] = useRefundState();
  const page = useRefunds(toQuery(state));
  const shops = useShops();
  const counts: Partial<Record<View, number | undefined>> = {
    transfer: useViewCount("transfer"),
    action: useViewCount("action"),
  };
  const code = useCodes();
  const channel = (c: string) => code("tender", c);

  const columns: TableColumnsType<RefundRow> = [
    {
      title: t("refund"),
      key: "refund",
      width: 100,
      render: (_, r) => (
        <div>
          <div>#{r.id}</div>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {dayjs(r.createdAt).format("MM-DD HH:mm")}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t("case"),
      key: "case",
      width: 200,
      render: (_, r) => (
        <div>
          <Link to={`/cases/${r.caseId}`}>{t("caseLink", { id: r.caseId })}</Link>
          <div style={{ fontSize: 12 }}>
            {t("order", { id: r.orderExternalId })} · {r.shop}
          </div>
          <div style={{ fontSize: 12 }}>
            {r.customerName ?? "—"} · {t(`reasons.${r.reason}`, { defaultValue: r.reason })}
          </div>
        </div>
      ),
    },
    {
      title: t("amount"),
      key: "amount",
      align: "right",
      width: 120,
      render: (_, r) => (
        <Tooltip
          title={t("amountDetail", {
            goods: formatMoney({ amount: r.goods, currency: r.currency }),
            shipping: formatMoney({ amount: r.shipping, currency: r.currency }),
          })}
        >
          <span data-testid="amount">{formatMoney({ amount: r.amount, currency: r.currency })}</span>
        </Tooltip>
      ),
    },
    {
      title: t("channel"),
      key: "channel",
      width: 140,
      render: (_, r) => (
        <Space size={4} wrap>
          <span>{channel(r.channel)}</span>
          {r.byHand && <ToneTag tone="purple">{t("byHand")}</ToneTag>}
        </Space>
      ),
    },
    {
      title: t("legs"),
      key: "legs",
      width: 120,
      render: (_, r) => t("legOf", { grant: r.grant, legs: r.legs }),
    },
    {
      title: t("status"),
      key: "status",
      width: 100,
      render: (_, r) => (
        <ToneTag tone={STATUS_TONE[r.status]} testId="status">
          {t(`statuses.${r.status}`)}
        </ToneTag>
      ),
    },
    {
      title: t("attempts"),
      key: "attempts",
      width: 90,
      align: "right",
      render: (_, r) => t("attemptsCount", { count: r.attempts }),
    },
    {
      title: t("lastError"),
      key: "error",
      width: 200,
      ellipsis: { showTitle: false },
      render: (_, r) =>
        r.lastError ? (
          <Tooltip title={`${r.lastError.code}: ${r.lastError.message}`}>
            <Typography.Text type="danger" data-testid="last-error">
              {r.lastError.message}
            </Typography.Text>
          </Tooltip>
        ) : (
          "—"
        ),
    },
    {
      title: t("reference"),
      key: "reference",
      width: 190,
      render: (_, r) => (
        <div style={{ wordBreak: "break-all" }}>
          {/* An offline leg not yet paid has no reference of its own: finance records it on paying. */}
          <span data-testid="reference">
            {r.byHand && r.status !== "succeeded" ? "—" : (r.channelRefundId ?? "—")}
          </span>
          {r.replacedBy !== null && (
            <div style={{ fontSize: 12 }}>{t("replacedBy", { id: r.replacedBy })}</div>
          )}
        </div>
      ),
    },
    {
      title: t("actions"),
      key: "actions",
      width: 210,
      // Always in view, however wide the table scrolls: this is what finance comes here for.
      fixed: "right",
      render: (_, r) => <RefundActions t={t} refund={r} />,
    },
  ];

  return (
    <section aria-label={t("title")}>
      <FinanceHeader />
      <Segmented
        aria-label={t("views.all")}
        value={state.view}
        onChange={(v) => set({ view: v as View })}
        options={VIEWS.map((v) => ({
          value: v,
          label: (
            <span data-view={v}>
              {t(`views.${v}`)}
              {counts[v] ? (
                <Badge count={counts[v]} style={{ marginInlineStart: 6 }} color="#a8071a" />
              ) : null}
            </span>
          ),
        }))}
        style={{ marginBottom: 12 }}
      />
      <search
        aria-label={t("filters")}
        style={{ display: "flex", flexWrap: "wrap", gap: 8, marginBottom: 12 }}
      >
        <Input.Search
          aria-label={t("searchLabel")}
          placeholder={t("searchPlaceholder")}
          defaultValue={state.q}
          key={state.q}
          allowClear
          enterButton={t("common:actions.search")}
          onSearch={(q) => set({ q: q.trim() })}
          style={{ width: 420 }}
        />
        {(
          [
            ["status", REFUND_STATUSES.map((s) => ({ value: s, label: t(`statuses.${s}`) }))],
            ["channel", CHANNEL_CODES.map((c) => ({ value: c, label: channel(c) }))],
            ["shop", (shops.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))],
          ] as const
        ).map(([field, options]) => (
          <Select
            key={field}
            mode="multiple"
            allowClear
            aria-label={t(field)}
            placeholder={t(field)}
            value={state[field]}
            onChange={(v: string[]) => set({ [field]: v })}
            options={[...options]}
            style={{ minWidth: 150 }}
          />
        ))}
        <DatePicker.RangePicker
          aria-label={t("created")}
          placeholder={[t("createdFrom"), t("createdTo")]}
          value={state.from && state.to ? [dayjs(state.from), dayjs(state.to)] : null}
          onChange={(v) => {
            const [a, b] = (v ?? []) as [Dayjs | null, Dayjs | null];
            set(a && b ? { from: a.format("YYYY-MM-DD"), to: b.format("YYYY-MM-DD") } : { from: "", to: "" });
          }}
        />
      </search>
      <LoadProblem error={page.error} text={(message) => t("loadFailed", { message })} />
      <Table<RefundRow>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={page.data?.items ?? []}
        loading={page.isFetching && !page.data}
        onRow={(r) => ({ "data-row": r.id, "data-status": r.status }) as HTMLAttributes<HTMLElement>}
        scroll={{ x: 1460 }}
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
    </section>
  );
}
