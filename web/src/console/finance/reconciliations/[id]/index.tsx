import { ArrowLeftOutlined, ReloadOutlined } from "@ant-design/icons";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Drawer,
  Form,
  Input,
  Result,
  Segmented,
  Space,
  Statistic,
  Table,
  type TableColumnsType,
  Typography,
} from "antd";
import dayjs from "dayjs";
import type { TFunction } from "i18next";
import { type HTMLAttributes, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, call, isApiError } from "../../../../shared/api.ts";
import { label, useScreenText } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import { formatMoney, fromMinor, toMinor } from "../../../../shared/money.ts";
import { useCan } from "../../../../shared/session.ts";
import { type Tone, ToneTag } from "../../../../shared/tone.tsx";
import { postAction } from "../../../cases/[id]/actions/post.ts";
import { useCodes } from "../../../cases/[id]/text.ts";
import { FinanceHeader } from "../../tabs.tsx";
import { type Item, type Report, useReconcile } from "../data.ts";
import { CATEGORIES, PROBLEM_CATEGORIES, TEXT } from "../text.ts";

const TONE: Record<string, Tone> = {
  matched: "green",
  missing_on_our_side: "red",
  missing_on_channel: "volcano",
  amount_mismatch: "orange",
  status_mismatch: "purple",
  awaiting_next_bill: "blue",
};

const PAGE = 50;

/** What the items list shows: a state of the problems, a category, or everything; each paged on the server. */
function itemQuery(show: string) {
  if (show === "open" || show === "resolved") return { state: show } as const;
  if (show === "problems") return { category: [...PROBLEM_CATEGORIES] };
  if (show === "all") return {};
  return { category: [show as (typeof CATEGORIES)[number]] };
}

/**
 * One channel's day: the summary (open and resolved problems counted), its items a page at a time (the
 * open problems first), and what to do about each — down to marking it resolved with what was done.
 */
export default function ReconciliationReport() {
  const { t } = useScreenText("reconciliations", TEXT);
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const { modal, message } = App.useApp();
  const can = useCan();
  const code = useCodes();
  const [params, setParams] = useSearchParams();
  const show = params.get("show") ?? "open";
  const openKey = params.get("item");
  // The cursors of the pages seen so far (the server pages items by their number in the report).
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  // The item whose drawer is open, as last seen: it stays open when resolving moves it off the page.
  const [pinned, setPinned] = useState<Item | null>(null);
  const query = {
    ...itemQuery(show),
    ...(cursors.at(-1) !== undefined ? { cursor: cursors.at(-1) } : {}),
    limit: PAGE,
  };
  const report = useQuery({
    queryKey: [...keys.reconciliation(id), query],
    queryFn: () => call(api.GET("/api/v1/reconciliations/{id}", { params: { path: { id }, query } })),
    enabled: Number.isInteger(id) && id > 0,
    placeholderData: keepPreviousData,
  });
  const rerun = useReconcile((r) => {
    void message.success(t("report.rerunDone", { problems: r.problems }));
    if (r.id !== id) navigate(`/finance/reconciliations/${r.id}`);
  });
  const setShow = (v: string) => {
    setCursors([undefined]);
    setParams({ show: v }, { replace: true });
  };
  const openItem = (item: Item | null) => {
    setPinned(item);
    const p = new URLSearchParams(params);
    if (item) p.set("item", item.key ?? "");
    else p.delete("item");
    setParams(p, { replace: true });
  };

  if (report.error)
    return (
      <section aria-label={t("title")}>
        <FinanceHeader />
        {isApiError(report.error, "RECONCILIATION_NOT_FOUND") ? (
          <Result status="404" title={t("report.notFound")} />
        ) : (
          <Alert
            type="error"
            showIcon
            role="alert"
            title={t("loadFailed", { message: report.error.message })}
          />
        )}
      </section>
    );
  const r = report.data;
  const channelName = r ? code("tender", r.channel) : "";
  const items = r?.items ?? [];
  const isProblem = (i: Item) => (PROBLEM_CATEGORIES as readonly string[]).includes(i.category);
  const onPage =
    items.find((i) => i.key === openKey && (pinned ? i.category === pinned.category : isProblem(i))) ??
    items.find((i) => i.key === openKey);
  const selected = onPage ?? (pinned && pinned.key === openKey ? pinned : undefined);
  const money = (amount: string | null, currency: string) =>
    amount === null ? t("item.none") : formatMoney({ amount, currency });

  const columns: TableColumnsType<Item> = [
    {
      title: t("item.category"),
      key: "category",
      render: (_, i) => (
        <ToneTag tone={TONE[i.category]} testId="category">
          {t(`categories.${i.category}`)}
        </ToneTag>
      ),
    },
    {
      title: t("item.key"),
      key: "key",
      width: 240,
      render: (_, i) => (
        <Typography.Link onClick={() => openItem(i)} data-testid="item-link">
          {i.key}
        </Typography.Link>
      ),
    },
    {
      title: t("item.state"),
      key: "state",
      render: (_, i) =>
        i.resolution ? (
          <ToneTag tone="green" testId="state" title={i.resolution.note}>
            {t("item.resolved")}
          </ToneTag>
        ) : isProblem(i) ? (
          <ToneTag tone="red" testId="state">
            {t("item.open")}
          </ToneTag>
        ) : (
          t("item.none")
        ),
    },
    {
      title: t("item.case"),
      key: "case",
      render: (_, i) => (i.caseId ? <Link to={`/cases/${i.caseId}`}>#{i.caseId}</Link> : t("item.none")),
    },
    {
      title: `${t("item.ours")} · ${t("item.amount")}`,
      key: "ourAmount",
      align: "right",
      render: (_, i) => money(i.ourAmount, i.currency),
    },
    {
      title: `${t("item.ours")} · ${t("item.status")}`,
      key: "ourStatus",
      render: (_, i) =>
        i.ourStatus ? t(`refundStatuses.${i.ourStatus}`, { defaultValue: i.ourStatus }) : t("item.none"),
    },
    {
      title: `${t("item.bill")} · ${t("item.amount")}`,
      key: "billAmount",
      align: "right",
      render: (_, i) => money(i.billAmount, i.currency),
    },
    {
      title: `${t("item.bill")} · ${t("item.status")}`,
      key: "billStatus",
      render: (_, i) =>
        i.billStatus ? t(`billStatuses.${i.billStatus}`, { defaultValue: i.billStatus }) : t("item.none"),
    },
    {
      title: t("item.channelRefundId"),
      key: "crid",
      ellipsis: true,
      render: (_, i) => i.channelRefundId ?? t("item.none"),
    },
    {
      title: t("item.billLine"),
      key: "line",
      align: "right",
      render: (_, i) => i.billLine ?? t("item.none"),
    },
  ];

  const difference =
    r &&
    fromMinor(
      toMinor({ amount: r.billSucceededTotal, currency: r.currency }) -
        toMinor({ amount: r.ourSucceededTotal, currency: r.currency }),
      r.currency,
    );

  return (
    <section aria-label={r ? t("report.title", { channel: channelName, date: r.date }) : t("title")}>
      <FinanceHeader
        extra={
          <Space wrap>
            <Button icon={<ArrowLeftOutlined />} onClick={() => navigate("/finance/reconciliations")}>
              {t("report.back")}
            </Button>
            {r && can("reconciliations.run") && (
              <Button
                icon={<ReloadOutlined />}
                loading={rerun.isPending}
                onClick={() =>
                  modal.confirm({
                    title: t("report.rerunTitle", { date: r.date }),
                    content: t("report.rerunBody", { channel: channelName }),
                    okText: t("report.rerun"),
                    cancelText: t("common:actions.cancel"),
                    onOk: () => rerun.mutate({ channel: r.channel, date: r.date }),
                  })
                }
              >
                {t("report.rerun")}
              </Button>
            )}
          </Space>
        }
      />
      {rerun.error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          closable
          style={{ marginBottom: 12 }}
          title={rerun.error.message}
        />
      )}
      {r && (
        <Card
          size="small"
          title={
            <h2 style={{ fontSize: 16, margin: 0 }}>
              {t("report.title", { channel: channelName, date: r.date })}
            </h2>
          }
          extra={
            r.problems > 0 && r.openProblems === 0 ? (
              <ToneTag tone="green" testId="all-settled">
                {t("allSettled")}
              </ToneTag>
            ) : undefined
          }
          style={{ marginBottom: 12 }}
        >
          <Space size={32} wrap>
            <Statistic title={t("matched")} value={r.counts.matched ?? 0} />
            <Statistic title={t("problems")} value={r.problems} />
            <Statistic
              title={t("openProblems")}
              value={r.openProblems}
              styles={{ content: { color: r.openProblems ? "#a8071a" : undefined } }}
              data-testid="open-count"
            />
            <Statistic
              title={t("resolvedProblems")}
              value={r.resolvedProblems}
              styles={{ content: { color: r.resolvedProblems ? "#237804" : undefined } }}
              data-testid="resolved-count"
            />
            <Statistic title={t("awaiting")} value={r.awaiting} />
            <Statistic
              title={t("billTotal")}
              value={formatMoney({ amount: r.billSucceededTotal, currency: r.currency })}
            />
            <Statistic
              title={t("ourTotal")}
              value={formatMoney({ amount: r.ourSucceededTotal, currency: r.currency })}
            />
            <Statistic title={t("difference")} value={difference ? formatMoney(difference) : "—"} />
          </Space>
          <Descriptions size="small" style={{ marginTop: 12 }} column={{ xs: 1, md: 4 }}>
            <Descriptions.Item label={t("source")}>{t(`sources.${r.source}`)}</Descriptions.Item>
            <Descriptions.Item label={t("billRows")}>{r.billRows ?? "—"}</Descriptions.Item>
            <Descriptions.Item label={t("reconciledAt")}>
              {dayjs(r.reconciledAt).format("YYYY-MM-DD HH:mm")} · {r.reconciledBy.replace(/^user:/, "")}
            </Descriptions.Item>
            <Descriptions.Item label={t("runs")}>{r.runs}</Descriptions.Item>
          </Descriptions>
        </Card>
      )}
      <Card size="small" title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("report.items")}</h2>}>
        <Segmented
          aria-label={t("report.show")}
          value={show}
          onChange={(v) => setShow(String(v))}
          style={{ marginBottom: 12 }}
          options={[
            { value: "open", label: `${t("report.showOpen")} (${r?.openProblems ?? 0})` },
            { value: "resolved", label: `${t("report.showResolved")} (${r?.resolvedProblems ?? 0})` },
            { value: "problems", label: `${t("report.showProblems")} (${r?.problems ?? 0})` },
            ...CATEGORIES.filter((c) => (r?.counts[c] ?? 0) > 0).map((c) => ({
              value: c,
              label: `${t(`categories.${c}`)} (${r?.counts[c] ?? 0})`,
            })),
            { value: "all", label: t("report.showAll") },
          ]}
        />
        <Table<Item>
          rowKey={(i) => `${i.category}|${i.key}|${i.billLine ?? ""}`}
          size="small"
          columns={columns}
          dataSource={items}
          loading={report.isPending}
          locale={{ emptyText: <Typography.Text type="secondary">{t("report.noItems")}</Typography.Text> }}
          onRow={(i) =>
            ({
              "data-key": i.key,
              "data-category": i.category,
              "data-resolved": i.resolution ? "true" : "false",
              onClick: () => openItem(i),
              style: { cursor: "pointer" },
            }) as HTMLAttributes<HTMLElement>
          }
          scroll={{ x: 1100 }}
          pagination={false}
        />
        {(cursors.length > 1 || r?.nextCursor) && (
          <Space style={{ marginTop: 12 }}>
            <Button disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              {t("report.previous")}
            </Button>
            <Button
              disabled={!r?.nextCursor}
              onClick={() => setCursors([...cursors, r?.nextCursor ?? undefined])}
            >
              {t("report.next")}
            </Button>
          </Space>
        )}
      </Card>
      <Drawer
        open={Boolean(selected)}
        onClose={() => openItem(null)}
        size="large"
        // While it closes the item is gone: the dialog keeps a name all the same.
        title={selected ? t("item.detail", { key: selected.key }) : t("report.items")}
        destroyOnHidden
      >
        {selected && r && <ItemDetail t={t} item={selected} report={r} onChange={setPinned} />}
      </Drawer>
    </section>
  );
}

/** A problem item: both sides' view of it, what to do about it, and the ways to do it from here. */
/** An item's drawer: `onChange` keeps it showing the item as changed here (resolved, reopened). */
interface ItemProps {
  t: TFunction;
  item: Item;
  report: Report;
  onChange: (item: Item) => void;
}

function ItemDetail({ t, item, report, onChange }: ItemProps) {
  const can = useCan();
  const code = useCodes();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const money = (amount: string | null) =>
    amount === null ? t("item.none") : formatMoney({ amount, currency: item.currency });
  const recheck = useMutation({
    mutationFn: () => postAction(item.caseId as number, "issue-refund", {}),
    onSuccess: (r) =>
      void message.success(
        t("item.recheckDone", {
          status: r.refund ? t(`refundStatuses.${r.refund.status}`, { defaultValue: r.refund.status }) : "—",
        }),
      ),
    onError: (e: Error) => void message.error(e.message),
  });
  const unsettled = item.ourStatus === "requested" || item.ourStatus === "processing";
  return (
    <div data-testid="item-detail" data-category={item.category}>
      <ToneTag tone={TONE[item.category]}>{t(`categories.${item.category}`)}</ToneTag>
      <Descriptions bordered size="small" column={1} style={{ marginTop: 12 }}>
        <Descriptions.Item label={t("item.key")}>{item.key}</Descriptions.Item>
        <Descriptions.Item label={t("item.refund")}>
          {item.refundId ? `#${item.refundId}` : t("item.none")}
        </Descriptions.Item>
        <Descriptions.Item label={`${t("item.ours")} · ${t("item.amount")}`}>
          <span data-testid="our-amount">{money(item.ourAmount)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={`${t("item.ours")} · ${t("item.status")}`}>
          {item.ourStatus
            ? t(`refundStatuses.${item.ourStatus}`, { defaultValue: item.ourStatus })
            : t("item.none")}
        </Descriptions.Item>
        <Descriptions.Item label={`${t("item.bill")} · ${t("item.amount")}`}>
          <span data-testid="bill-amount">{money(item.billAmount)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={`${t("item.bill")} · ${t("item.status")}`}>
          {item.billStatus
            ? t(`billStatuses.${item.billStatus}`, { defaultValue: item.billStatus })
            : t("item.none")}
        </Descriptions.Item>
        <Descriptions.Item label={t("item.channelRefundId")}>
          {item.channelRefundId ?? t("item.none")}
        </Descriptions.Item>
        <Descriptions.Item label={t("item.billDate")}>
          {item.billDate ?? t("item.none")}
          {item.billLine ? ` · ${t("item.billLine")} ${item.billLine}` : ""}
        </Descriptions.Item>
        {item.note && (
          <Descriptions.Item label={t("item.note")}>
            <span data-testid="note">{label(item.note)}</span>
          </Descriptions.Item>
        )}
      </Descriptions>
      <Alert
        style={{ marginTop: 16 }}
        type={item.category === "matched" ? "success" : "warning"}
        showIcon
        title={t("item.advice")}
        description={<span data-testid="advice">{t(`advice.${item.category}`)}</span>}
      />
      <Space wrap style={{ marginTop: 16 }}>
        {item.caseId && (
          <Button type="primary" onClick={() => navigate(`/cases/${item.caseId}`)}>
            {t("item.openCase", { id: item.caseId })}
          </Button>
        )}
        {item.refundId && (
          <Button onClick={() => navigate(`/finance?q=${encodeURIComponent(item.key ?? "")}`)}>
            {t("item.findRefund")}
          </Button>
        )}
        {item.caseId && unsettled && can("case.issue_refund") && (
          <Button loading={recheck.isPending} onClick={() => recheck.mutate()}>
            {t("item.recheck")}
          </Button>
        )}
      </Space>
      {(PROBLEM_CATEGORIES as readonly string[]).includes(item.category) && (
        <Resolution t={t} item={item} report={report} onChange={onChange} />
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 16 }}>
        {report.date} · {code("tender", report.channel)}
      </Typography.Paragraph>
    </div>
  );
}

const when = (at: string) => dayjs(at).format("YYYY-MM-DD HH:mm");

/**
 * 处理结果: a problem marked resolved says by whom, when and what was done, and can be reopened; an open
 * one takes the note of what was done. A resolution seen on this refund before (another day's report, or
 * this one when the problem was of another kind) is shown for reference.
 */
function Resolution({ t, item, report, onChange }: ItemProps) {
  const can = useCan();
  const client = useQueryClient();
  const { modal, message } = App.useApp();
  const [form] = Form.useForm<{ note: string }>();
  const problem = { key: item.key ?? "", category: item.category };
  const path = { params: { path: { id: report.id } } };
  // Reports are not announced on the live stream: this screen's reports and the list are refreshed here.
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.reconciliation(report.id) });
    void client.invalidateQueries({ queryKey: keys.reconciliations() });
  };
  const resolve = useMutation({
    mutationFn: (note: string) =>
      call(api.POST("/api/v1/reconciliations/{id}/resolve", { ...path, body: { ...problem, note } })),
    onSuccess: (r) => {
      void message.success(t("item.resolveDone"));
      onChange({ ...item, resolution: { ...r, by: r.by.replace(/^\w+:/, "") } });
      refresh();
    },
    onSettled: refresh,
  });
  const reopen = useMutation({
    mutationFn: () => call(api.POST("/api/v1/reconciliations/{id}/reopen", { ...path, body: problem })),
    onSuccess: () => {
      void message.success(t("item.reopenDone"));
      onChange({ ...item, resolution: null });
      refresh();
    },
    onSettled: refresh,
  });
  const failed = resolve.error ?? reopen.error;
  const earlier = item.earlierResolution;
  return (
    <Card
      size="small"
      style={{ marginTop: 16 }}
      title={<h3 style={{ fontSize: 14, margin: 0 }}>{t("item.resolveTitle")}</h3>}
      data-testid="resolution"
      data-resolved={item.resolution ? "true" : "false"}
    >
      {earlier && !item.resolution && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={t("item.earlier", {
            by: earlier.by,
            at: when(earlier.at),
            date: earlier.date,
            category: t(`categories.${earlier.category}`, { defaultValue: earlier.category }),
          })}
          description={<span data-testid="earlier-note">{earlier.note}</span>}
        />
      )}
      {item.resolution ? (
        <>
          <Alert
            type="success"
            showIcon
            title={t("item.resolvedBy", { by: item.resolution.by, at: when(item.resolution.at) })}
            description={<span data-testid="resolution-note">{item.resolution.note}</span>}
          />
          {can("reconciliations.run") && (
            <Button
              style={{ marginTop: 12 }}
              loading={reopen.isPending}
              onClick={() =>
                modal.confirm({
                  title: t("item.reopenTitle"),
                  content: t("item.reopenBody"),
                  okText: t("item.reopen"),
                  cancelText: t("common:actions.cancel"),
                  onOk: () => reopen.mutateAsync().catch(() => undefined),
                })
              }
            >
              {t("item.reopen")}
            </Button>
          )}
        </>
      ) : can("reconciliations.run") ? (
        <Form
          form={form}
          layout="vertical"
          requiredMark={false}
          onFinish={(v) => resolve.mutate(v.note.trim())}
        >
          <Form.Item
            name="note"
            label={t("item.resolveNote")}
            rules={[{ required: true, whitespace: true, message: t("item.resolveNoteRequired") }]}
          >
            <Input.TextArea rows={3} maxLength={2000} placeholder={t("item.resolveNotePlaceholder")} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={resolve.isPending}>
            {t("item.resolve")}
          </Button>
        </Form>
      ) : (
        <Typography.Text type="secondary">{t("item.open")}</Typography.Text>
      )}
      {failed && (
        <Alert
          type="error"
          showIcon
          role="alert"
          style={{ marginTop: 12 }}
          title={failed.message}
          data-code={(failed as { code?: string }).code}
        />
      )}
    </Card>
  );
}
