import { InboxOutlined, UploadOutlined } from "@ant-design/icons";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import {
  Alert,
  App,
  Badge,
  Button,
  DatePicker,
  Form,
  Modal,
  Radio,
  Select,
  Space,
  Switch,
  Table,
  type TableColumnsType,
  Typography,
  Upload,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import type { TFunction } from "i18next";
import { type HTMLAttributes, useState } from "react";
import { useNavigate } from "react-router";
import { api, call } from "../../../shared/api.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { formatMoney } from "../../../shared/money.ts";
import { useCan } from "../../../shared/session.ts";
import { ToneTag } from "../../../shared/tone.tsx";
import { useCodes } from "../../cases/[id]/text.ts";
import { LoadProblem } from "../load-problem.tsx";
import { FinanceHeader } from "../tabs.tsx";
import { type Run, useReconcile } from "./data.ts";
import { BILL_CHANNELS, TEXT } from "./text.ts";

const PAGE = 20;

/** 退款对账: each channel's day compared with our refunds, newest first, and a bill to reconcile by hand. */
export default function Reconciliations() {
  const { t } = useScreenText("reconciliations", TEXT);
  const can = useCan();
  const code = useCodes();
  const navigate = useNavigate();
  const [channel, setChannel] = useState<string | undefined>();
  const [problems, setProblems] = useState(false);
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  // The cursors of the pages seen so far: the server pages by cursor, newest day first.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const [uploading, setUploading] = useState(false);
  const query = {
    ...(channel ? { channel: channel as "alipay" } : {}),
    ...(problems ? { problems: true } : {}),
    ...(range ? { from: range[0].format("YYYY-MM-DD"), to: range[1].format("YYYY-MM-DD") } : {}),
    ...(cursors.at(-1) !== undefined ? { cursor: cursors.at(-1) } : {}),
    limit: PAGE,
  };
  const runs = useQuery({
    queryKey: keys.reconciliations(query),
    queryFn: () => call(api.GET("/api/v1/reconciliations", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const restart = () => setCursors([undefined]);
  const open = (r: Run) => navigate(`/finance/reconciliations/${r.id}`);
  const money = (r: Run, amount: string) => formatMoney({ amount, currency: r.currency });

  const columns: TableColumnsType<Run> = [
    {
      title: t("date"),
      key: "date",
      render: (_, r) => (
        <Typography.Link onClick={() => open(r)} data-testid="run-link">
          {r.date}
        </Typography.Link>
      ),
    },
    {
      title: t("channel"),
      key: "channel",
      render: (_, r) => code("tender", r.channel),
    },
    { title: t("source"), key: "source", render: (_, r) => t(`sources.${r.source}`) },
    { title: t("billRows"), key: "rows", align: "right", render: (_, r) => r.billRows ?? "—" },
    { title: t("matched"), key: "matched", align: "right", render: (_, r) => r.counts.matched ?? 0 },
    {
      title: t("problems"),
      key: "problems",
      align: "right",
      render: (_, r) =>
        r.problems > 0 ? (
          <Badge
            count={r.problems}
            color={r.openProblems > 0 ? "#a8071a" : "#595959"}
            overflowCount={9999}
            data-testid="problems"
          />
        ) : (
          <span data-testid="problems">0</span>
        ),
    },
    {
      // 待处理: what is left to deal with stands out; a day whose problems are all resolved reads as settled.
      title: t("openProblems"),
      key: "open",
      render: (_, r) =>
        r.openProblems > 0 ? (
          <ToneTag tone="red" testId="open-problems">
            {t("openOf", { open: r.openProblems, problems: r.problems })}
          </ToneTag>
        ) : r.problems > 0 ? (
          <ToneTag tone="green" testId="open-problems">
            {t("allSettled")}
          </ToneTag>
        ) : (
          <span data-testid="open-problems">—</span>
        ),
    },
    { title: t("awaiting"), key: "awaiting", align: "right", render: (_, r) => r.awaiting },
    { title: t("billTotal"), key: "bill", align: "right", render: (_, r) => money(r, r.billSucceededTotal) },
    { title: t("ourTotal"), key: "ours", align: "right", render: (_, r) => money(r, r.ourSucceededTotal) },
    {
      title: t("reconciledAt"),
      key: "at",
      render: (_, r) => (
        <span>
          {dayjs(r.reconciledAt).format("YYYY-MM-DD HH:mm")} · {r.reconciledBy.replace(/^user:/, "")}
        </span>
      ),
    },
    { title: t("runs"), key: "runs", align: "right", render: (_, r) => r.runs },
  ];

  return (
    <section aria-label={t("title")}>
      <FinanceHeader
        extra={
          can("reconciliations.run") && (
            <Button type="primary" icon={<UploadOutlined />} onClick={() => setUploading(true)}>
              {t("upload.button")}
            </Button>
          )
        }
      />
      <search
        aria-label={t("title")}
        style={{ display: "flex", flexWrap: "wrap", gap: 12, alignItems: "center", marginBottom: 12 }}
      >
        <Select
          allowClear
          aria-label={t("channel")}
          placeholder={t("channel")}
          value={channel}
          onChange={(c) => {
            setChannel(c);
            restart();
          }}
          options={BILL_CHANNELS.map((c) => ({ value: c, label: code("tender", c) }))}
          style={{ minWidth: 140 }}
        />
        <DatePicker.RangePicker
          aria-label={t("dates")}
          value={range}
          onChange={(v) => {
            const [a, b] = (v ?? []) as [Dayjs | null, Dayjs | null];
            setRange(a && b ? [a, b] : null);
            restart();
          }}
        />
        <Space>
          <Switch
            checked={problems}
            aria-label={t("problemsOnly")}
            onChange={(v) => {
              setProblems(v);
              restart();
            }}
          />
          <span aria-hidden>{t("problemsOnly")}</span>
        </Space>
      </search>
      <LoadProblem error={runs.error} text={(message) => t("loadFailed", { message })} />
      <Table<Run>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={runs.data?.items ?? []}
        loading={runs.isFetching && !runs.data}
        locale={{ emptyText: <Typography.Text type="secondary">{t("empty")}</Typography.Text> }}
        onRow={(r) =>
          ({
            "data-run": r.id,
            "data-open": r.openProblems,
            onClick: () => open(r),
            style: { cursor: "pointer" },
          }) as HTMLAttributes<HTMLElement>
        }
        scroll={{ x: 1200 }}
        pagination={false}
      />
      <Space style={{ marginTop: 12 }}>
        <Button disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          {t("newer")}
        </Button>
        <Button
          disabled={!runs.data?.nextCursor}
          onClick={() => setCursors([...cursors, runs.data?.nextCursor ?? undefined])}
        >
          {t("older")}
        </Button>
      </Space>
      {uploading && (
        <ReconcileDialog
          t={t}
          onClose={() => setUploading(false)}
          onDone={(id) => navigate(`/finance/reconciliations/${id}`)}
        />
      )}
    </section>
  );
}

interface ReconcileForm {
  channel: string;
  date: Dayjs;
  how: "upload" | "fetch";
}

/** 上传对账单: a channel, the bill's day, and the file (or fetch it from the channel). */
function ReconcileDialog({
  t,
  onClose,
  onDone,
  initial,
}: {
  t: TFunction;
  onClose: () => void;
  onDone: (runId: number) => void;
  initial?: { channel: string; date: string };
}) {
  const { message } = App.useApp();
  const code = useCodes();
  const [form] = Form.useForm<ReconcileForm>();
  const [file, setFile] = useState<File | null>(null);
  const [fileMissing, setFileMissing] = useState(false);
  const how = Form.useWatch("how", form) ?? "upload";
  const reconcile = useReconcile((r) => {
    void message.success(t("upload.done", { date: r.date, problems: r.problems }));
    onClose();
    onDone(r.id);
  });
  const submit = (v: ReconcileForm) => {
    if (v.how === "upload" && !file) return setFileMissing(true);
    reconcile.mutate({
      channel: v.channel,
      date: v.date.format("YYYY-MM-DD"),
      ...(v.how === "upload" && file ? { file } : {}),
    });
  };
  return (
    <Modal
      open
      title={t("upload.title")}
      okText={t("upload.submit")}
      cancelText={t("common:actions.cancel")}
      confirmLoading={reconcile.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<ReconcileForm>
        form={form}
        layout="vertical"
        requiredMark={false}
        initialValues={{
          channel: initial?.channel ?? "wechat_pay",
          date: initial ? dayjs(initial.date) : dayjs().subtract(1, "day"),
          how: "upload",
        }}
        onFinish={submit}
      >
        <Form.Item name="channel" label={t("channel")}>
          <Select options={BILL_CHANNELS.map((c) => ({ value: c, label: code("tender", c) }))} />
        </Form.Item>
        <Form.Item
          name="date"
          label={t("date")}
          rules={[{ required: true, message: t("upload.dateRequired") }]}
        >
          <DatePicker allowClear={false} style={{ width: "100%" }} />
        </Form.Item>
        <Form.Item name="how" label={t("upload.how")}>
          <Radio.Group
            options={[
              { value: "upload", label: t("upload.file") },
              { value: "fetch", label: t("upload.fetch") },
            ]}
          />
        </Form.Item>
        {how === "upload" && (
          <Form.Item
            label={t("upload.fileLabel")}
            validateStatus={fileMissing ? "error" : undefined}
            help={fileMissing ? t("upload.fileRequired") : t("upload.fileHint")}
          >
            <Upload.Dragger
              accept=".csv,.zip,.gz,text/csv,application/zip,application/gzip"
              maxCount={1}
              beforeUpload={(f) => {
                setFile(f);
                setFileMissing(false);
                // Kept in the browser: the file goes as the request's body when the form is sent.
                return false;
              }}
              onRemove={() => setFile(null)}
              fileList={file ? [{ uid: "bill", name: file.name, status: "done" }] : []}
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              <p>{t("upload.fileLabel")}</p>
            </Upload.Dragger>
          </Form.Item>
        )}
      </Form>
      {reconcile.error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={reconcile.error.message}
          data-code={(reconcile.error as { code?: string }).code}
        />
      )}
    </Modal>
  );
}
