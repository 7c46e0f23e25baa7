import { useMutation } from "@tanstack/react-query";
import { Alert, App, Button, Form, Input, Modal, Select, Space, Typography } from "antd";
import type { TFunction } from "i18next";
import { useState } from "react";
import { api, call, isApiError } from "../../shared/api.ts";
import { formatMoney } from "../../shared/money.ts";
import { useCan } from "../../shared/session.ts";
import { postAction } from "../cases/[id]/actions/post.ts";
import { useCodes } from "../cases/[id]/text.ts";
import type { RefundRow } from "./data.ts";
import { OFFLINE_TENDERS } from "./text.ts";

type Action = RefundRow["actions"][number];
/** Who may do each: the server checks again (POST /refunds/…, POST /cases/…). */
const PERMISSION = {
  settle: "case.issue_refund",
  recheck: "case.issue_refund",
  resend: "case.grant_refund",
  switch: "case.issue_refund",
} as const;

const money = (r: RefundRow) => formatMoney({ amount: r.amount, currency: r.currency });

/** What a refund's channel answered, in words: "已退款", or the error it gave. */
function outcome(t: TFunction, sent: { refund?: { status: string; error?: { message: string } } }) {
  const r = sent.refund;
  if (!r) return "—";
  return `${t(`statuses.${r.status}`)}${r.error ? ` · ${r.error.message}` : ""}`;
}

/**
 * The row's buttons: what the server says can be done to the leg now (its `actions`), for a role that
 * may. The list refreshes from the live stream when the refund or its case moves; nothing is listed here.
 */
export function RefundActions({ t, refund }: { t: TFunction; refund: RefundRow }) {
  const can = useCan();
  const code = useCodes();
  const { modal, message } = App.useApp();
  const [open, setOpen] = useState<"settle" | "switch" | null>(null);
  const fail = (e: Error) =>
    void message.error(isApiError(e, "VERSION_CONFLICT") ? t("conflict") : e.message);
  const resend = useMutation({
    mutationFn: () => postAction(refund.caseId, "grant-refund", { expectedVersion: refund.caseVersion }),
    onSuccess: (r) => void message.success(t("resend.done", { status: outcome(t, r) })),
    onError: fail,
  });
  const recheck = useMutation({
    mutationFn: () => postAction(refund.caseId, "issue-refund", {}),
    onSuccess: (r) => void message.success(t("recheck.done", { status: outcome(t, r) })),
    onError: fail,
  });
  const confirm = (kind: "resend" | "recheck", run: () => void) =>
    modal.confirm({
      title: t(`${kind}.title`, { id: refund.id }),
      content: t(`${kind}.body`, { channel: code("tender", refund.channel) }),
      okText: t(`${kind}.button`),
      cancelText: t("common:actions.cancel"),
      onOk: run,
    });
  const actions = refund.actions.filter((a: Action) => can(PERMISSION[a]));
  if (actions.length === 0) return <Typography.Text type="secondary">{t("noActions")}</Typography.Text>;
  return (
    <Space size={4} wrap>
      {actions.includes("settle") && (
        <Button size="small" type="primary" onClick={() => setOpen("settle")}>
          {t("settle.button")}
        </Button>
      )}
      {actions.includes("recheck") && (
        <Button size="small" loading={recheck.isPending} onClick={() => confirm("recheck", recheck.mutate)}>
          {t("recheck.button")}
        </Button>
      )}
      {actions.includes("resend") && (
        <Button
          size="small"
          type="primary"
          loading={resend.isPending}
          onClick={() => confirm("resend", resend.mutate)}
        >
          {t("resend.button")}
        </Button>
      )}
      {actions.includes("switch") && (
        <Button size="small" onClick={() => setOpen("switch")}>
          {t("switch.button")}
        </Button>
      )}
      {open === "settle" && <SettleDialog t={t} refund={refund} onClose={() => setOpen(null)} />}
      {open === "switch" && <SwitchDialog t={t} refund={refund} onClose={() => setOpen(null)} />}
    </Space>
  );
}

/** 线下打款登记: one field, the transfer's reference; Enter records it. */
function SettleDialog({ t, refund, onClose }: { t: TFunction; refund: RefundRow; onClose: () => void }) {
  const { message } = App.useApp();
  const code = useCodes();
  const [form] = Form.useForm<{ reference: string }>();
  const settle = useMutation({
    mutationFn: (reference: string) =>
      call(
        api.POST("/api/v1/refunds/{id}/offline-settlement", {
          params: { path: { id: refund.id } },
          body: { reference },
        }),
      ),
    onSuccess: (_r, reference) => {
      void message.success(t("settle.done", { id: refund.id, reference }));
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t("settle.title", { id: refund.id })}
      okText={t("settle.submit")}
      cancelText={t("common:actions.cancel")}
      confirmLoading={settle.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <p>
        {t("settle.intro", {
          amount: money(refund),
          customer: refund.customerName ?? refund.orderExternalId,
          channel: code("tender", refund.channel),
        })}
      </p>
      <Form
        form={form}
        layout="vertical"
        onFinish={(v) => settle.mutate(v.reference.trim())}
        requiredMark={false}
      >
        <Form.Item
          name="reference"
          label={t("settle.reference")}
          rules={[{ required: true, whitespace: true, message: t("settle.referenceRequired") }]}
        >
          <Input autoFocus autoComplete="off" maxLength={100} />
        </Form.Item>
      </Form>
      {settle.error && <Alert type="error" showIcon role="alert" title={settle.error.message} />}
    </Modal>
  );
}

/** 改线下退款: the tender finance pays with instead, and why (on the case's timeline). */
function SwitchDialog({ t, refund, onClose }: { t: TFunction; refund: RefundRow; onClose: () => void }) {
  const { message } = App.useApp();
  const code = useCodes();
  const [form] = Form.useForm<{ tender: (typeof OFFLINE_TENDERS)[number]; note: string }>();
  const switchIt = useMutation({
    mutationFn: (v: { tender: (typeof OFFLINE_TENDERS)[number]; note: string }) =>
      call(
        api.POST("/api/v1/refunds/{id}/switch-to-offline", {
          params: { path: { id: refund.id } },
          body: { tender: v.tender, note: v.note.trim(), expectedVersion: refund.caseVersion },
        }),
      ),
    onSuccess: () => {
      void message.success(t("switch.done"));
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t("switch.title", { id: refund.id })}
      okText={t("switch.submit")}
      cancelText={t("common:actions.cancel")}
      confirmLoading={switchIt.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <p>{t("switch.intro", { channel: code("tender", refund.channel) })}</p>
      <Form
        form={form}
        layout="vertical"
        initialValues={{ tender: "bank_transfer" }}
        onFinish={(v) => switchIt.mutate(v)}
        requiredMark={false}
      >
        <Form.Item name="tender" label={t("switch.tender")}>
          <Select options={OFFLINE_TENDERS.map((x) => ({ value: x, label: code("tender", x) }))} />
        </Form.Item>
        <Form.Item
          name="note"
          label={t("switch.note")}
          rules={[{ required: true, whitespace: true, message: t("switch.noteRequired") }]}
        >
          <Input.TextArea rows={2} placeholder={t("switch.noteHint")} maxLength={500} />
        </Form.Item>
      </Form>
      {switchIt.error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={isApiError(switchIt.error, "VERSION_CONFLICT") ? t("conflict") : switchIt.error.message}
        />
      )}
    </Modal>
  );
}
