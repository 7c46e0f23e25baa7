import { CheckOutlined, CloseOutlined, UserAddOutlined, UserSwitchOutlined } from "@ant-design/icons";
import { useMutation } from "@tanstack/react-query";
import { Alert, Button, Form, Modal, Select, Space, Table, Typography } from "antd";
import type { TFunction } from "i18next";
import { useState } from "react";
import { api, call, isApiError } from "../../shared/api.ts";
import { label } from "../../shared/i18n.ts";
import { ToneTag } from "../../shared/tone.tsx";
import { RejectFields, type RejectValues, useRejectBody } from "../cases/[id]/actions/review-forms.tsx";
import type { CaseViewData } from "../cases/[id]/data.ts";
import { type BatchAction, type BatchAnswer, type BatchBody, useLifecycle, usePeople } from "./data.ts";
import { type Filter, toApi } from "./params.ts";

/** The most cases one batch takes (POST /cases/batch refuses more with BATCH_TOO_LARGE). */
export const BATCH_MAX = 500;

/**
 * The case view's rejection fields ask for a reason code when the case came from a platform (which
 * needs one); a batch may hold such cases, so it always asks, as for a platform case.
 */
const ANY_PLATFORM_CASE = { case: { source: "platform" } } as unknown as CaseViewData;

/** Which cases a batch is for: the ticked rows, or every case the filter matches (however many pages). */
export type Selection = { kind: "ids"; ids: number[] } | { kind: "all"; filter: Filter; expected: number };

export const selectionSize = (s: Selection) => (s.kind === "ids" ? s.ids.length : s.expected);

interface Permissions {
  approve: boolean;
  reject: boolean;
  assign: boolean;
  claim: boolean;
}

const ACTIONS: { action: BatchAction; may: keyof Permissions; icon: React.ReactNode; danger?: boolean }[] = [
  { action: "approve", may: "approve", icon: <CheckOutlined /> },
  { action: "reject", may: "reject", icon: <CloseOutlined />, danger: true },
  { action: "assign", may: "assign", icon: <UserSwitchOutlined /> },
  { action: "claim", may: "claim", icon: <UserAddOutlined /> },
];

/**
 * The bar above the list while cases are ticked: how many, "select all N matching", and the actions the
 * person's role allows. Each action is confirmed (with the count), then every case's own result shown —
 * the results stay up after the selection is let go (the cases they name may have left the list).
 */
export function BatchBar({
  t,
  selection,
  pageCount,
  total,
  filter,
  may,
  onSelection,
}: {
  t: TFunction;
  selection: Selection | null;
  /** Rows on the page shown now. */
  pageCount: number;
  total: number;
  filter: Filter;
  may: Permissions;
  onSelection: (s: Selection | null) => void;
  /** The rows seen so far, to name the cases in the results by their order numbers. */
}) {
  const [action, setAction] = useState<BatchAction | null>(null);
  const [answer, setAnswer] = useState<{ action: BatchAction; result: BatchAnswer } | null>(null);
  const n = selection ? selectionSize(selection) : 0;
  const wholePage = selection?.kind === "ids" && selection.ids.length === pageCount && total > pageCount;
  return (
    <>
      {selection && (
        <section
          aria-label={t("selected", { count: n })}
          style={{
            display: "flex",
            flexWrap: "wrap",
            gap: 8,
            alignItems: "center",
            padding: "8px 12px",
            marginBottom: 8,
            background: "#e6f0ff",
            borderRadius: 6,
          }}
        >
          <Typography.Text strong data-testid="batch-count">
            {selection.kind === "all" ? t("allMatchingSelected", { total: n }) : t("selected", { count: n })}
          </Typography.Text>
          {wholePage &&
            (total > BATCH_MAX ? (
              <Typography.Text>{t("tooManyForBatch", { total, max: BATCH_MAX })}</Typography.Text>
            ) : (
              <Button
                type="link"
                size="small"
                onClick={() => onSelection({ kind: "all", filter, expected: total })}
              >
                {t("selectAllMatching", { total })}
              </Button>
            ))}
          <Button type="link" size="small" onClick={() => onSelection(null)}>
            {t("clearSelection")}
          </Button>
          <Space wrap size={8} style={{ marginInlineStart: "auto" }}>
            {ACTIONS.filter((a) => may[a.may]).map((a) => (
              <Button key={a.action} icon={a.icon} danger={a.danger} onClick={() => setAction(a.action)}>
                {t(a.action)}
              </Button>
            ))}
          </Space>
        </section>
      )}
      {action && selection && (
        <BatchDialog
          t={t}
          action={action}
          selection={selection}
          onCancel={() => setAction(null)}
          onSelection={onSelection}
          onDone={(result) => {
            setAction(null);
            setAnswer({ action, result });
            onSelection(null);
          }}
        />
      )}
      <BatchResults t={t} answer={answer} onClose={() => setAnswer(null)} />
    </>
  );
}

/** The confirmation: what will happen to how many cases, and what the action needs (a reason, a person). */
function BatchDialog({
  t,
  action,
  selection,
  onCancel,
  onSelection,
  onDone,
}: {
  t: TFunction;
  action: BatchAction;
  selection: Selection;
  onCancel: () => void;
  onSelection: (s: Selection) => void;
  onDone: (r: BatchAnswer) => void;
}) {
  const [form] = Form.useForm<RejectValues & { userId?: number }>();
  const rejectBody = useRejectBody();
  const [personSearch, setPersonSearch] = useState("");
  const people = usePeople(personSearch, action === "assign");
  const run = useMutation({
    mutationFn: (v: RejectValues & { userId?: number }) => {
      const note = action === "reject" ? rejectBody(v).note : undefined;
      const body: BatchBody = {
        action,
        ...(selection.kind === "ids"
          ? { ids: selection.ids }
          : { filter: toApi(selection.filter), expectedCount: selection.expected }),
        ...(note ? { note } : {}),
        ...(v.userId !== undefined ? { userId: v.userId } : {}),
      } as BatchBody;
      return call(api.POST("/api/v1/cases/batch", { body }));
    },
    onSuccess: onDone,
    onError: (e) => {
      // The filter matches another number of cases now: show the new number and let the person confirm it.
      if (isApiError(e, "BATCH_COUNT_CHANGED") && selection.kind === "all") {
        const now = Number(e.details.actual);
        if (Number.isFinite(now)) onSelection({ ...selection, expected: now });
      }
    },
  });
  const n = selectionSize(selection);
  const name = t(action);
  const error = run.error;
  return (
    <Modal
      open
      title={t("batchConfirmTitle", { action: name })}
      okText={name}
      okButtonProps={{ danger: action === "reject" }}
      cancelText={t("common:actions.cancel")}
      confirmLoading={run.isPending}
      onOk={() => form.submit()}
      onCancel={onCancel}
      destroyOnHidden
    >
      <Typography.Paragraph>
        {selection.kind === "all"
          ? t("batchConfirmFilter", { action: name, count: n })
          : t("batchConfirmIds", { action: name, count: n })}
      </Typography.Paragraph>
      {error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          style={{ marginBottom: 12 }}
          title={
            isApiError(error, "BATCH_COUNT_CHANGED") ? t("batchCountChanged", { count: n }) : error.message
          }
        />
      )}
      <Form form={form} layout="vertical" preserve={false} onFinish={(v) => run.mutate(v)}>
        {action === "reject" && <RejectFields view={ANY_PLATFORM_CASE} />}
        {action === "assign" && (
          <Form.Item
            name="userId"
            label={t("assignTo")}
            rules={[{ required: true, message: t("assignPick") }]}
          >
            <Select
              showSearch={{ filterOption: false, onSearch: setPersonSearch }}
              placeholder={t("assignPick")}
              loading={people.isFetching}
              options={(people.data?.items ?? [])
                .filter((u) => !u.disabled)
                .map((u) => ({ value: u.id, label: `${u.name} · ${t(`common:roles.${u.role}`)}` }))}
            />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

/** Every case's own outcome: which succeeded (and their new state), which failed and the server's reason. */
function BatchResults({
  t,
  answer,
  onClose,
}: {
  t: TFunction;
  answer: { action: BatchAction; result: BatchAnswer } | null;
  onClose: () => void;
}) {
  const lifecycle = useLifecycle();
  const states = new Map((lifecycle.data?.states ?? []).map((s) => [s.status, label(s.label)]));
  const r = answer?.result;
  // Failures first: they are what needs the reviewer's attention.
  const rows = [...(r?.results ?? [])].sort((a, b) => Number(a.ok) - Number(b.ok) || a.id - b.id);
  return (
    <Modal
      open={answer !== null}
      title={answer ? t("batchResultTitle", { action: t(answer.action) }) : ""}
      onCancel={onClose}
      footer={
        <Button type="primary" onClick={onClose}>
          {t("common:actions.close")}
        </Button>
      }
      width={720}
      destroyOnHidden
    >
      {r && (
        <>
          <Alert
            type={r.failed ? "warning" : "success"}
            showIcon
            style={{ marginBottom: 12 }}
            title={t("batchSummary", { total: r.total, succeeded: r.succeeded, failed: r.failed })}
          />
          {/* Sideways in its own box, not scroll.x (whose measuring row repeats the header). */}
          <div style={{ overflowX: "auto" }}>
            <Table
              rowKey="id"
              size="small"
              dataSource={rows}
              pagination={rows.length > 20 ? { pageSize: 20, showSizeChanger: false } : false}
              columns={[
                {
                  title: t("order"),
                  key: "case",
                  // The case's own page in a new tab: the results stay here while one is looked into.
                  render: (_: unknown, x) => (
                    <a href={`/cases/${x.id}`} target="_blank" rel="noopener">
                      {x.orderExternalId ? `${x.orderExternalId} · #${x.id}` : `#${x.id}`}
                    </a>
                  ),
                },
                {
                  title: t("result"),
                  key: "ok",
                  render: (_: unknown, x) =>
                    x.ok ? (
                      <ToneTag tone="green">{t("resultOk")}</ToneTag>
                    ) : (
                      <ToneTag tone="red">{t("resultFailed")}</ToneTag>
                    ),
                },
                {
                  title: t("newStatus"),
                  key: "status",
                  render: (_: unknown, x) => (x.status ? (states.get(x.status) ?? x.status) : "—"),
                },
                { title: t("why"), key: "why", render: (_: unknown, x) => x.error?.message ?? "" },
              ]}
            />
          </div>
        </>
      )}
    </Modal>
  );
}
