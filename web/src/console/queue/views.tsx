import { CloseOutlined, SaveOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Checkbox, Form, Input, Modal, Tooltip } from "antd";
import type { TFunction } from "i18next";
import { type ReactNode, useState } from "react";
import { api, call } from "../../shared/api.ts";
import { label } from "../../shared/i18n.ts";
import { keys } from "../../shared/keys.ts";
import type { View } from "./data.ts";
import { type Filter, toApi } from "./params.ts";

const ALL = "all";

export const viewName = (v: View) => {
  const l = (v as { label?: { zh: string; en: string } | null }).label;
  return l ? label(l) : v.name;
};

/** How many cases a view holds, beside its name (text, not a red badge: it is a size, not an alarm). */
const Count = ({ n }: { n: number }) => (
  <span
    style={{
      marginInlineStart: 6,
      padding: "0 6px",
      borderRadius: 10,
      background: "#f0f0f0",
      color: "#434343",
      fontSize: 12,
      fontVariantNumeric: "tabular-nums",
    }}
  >
    {n.toLocaleString()}
  </span>
);

/**
 * The views with their counts: the built-in ones (我的, 即将超时, …), shared ones and the person's own,
 * which they may delete. A row of buttons that wraps on a wide screen and scrolls sideways on a phone.
 */
export function ViewList({
  t,
  views,
  active,
  compact,
  onSelect,
}: {
  t: TFunction;
  views: View[];
  active: string | undefined;
  compact: boolean;
  onSelect: (id: string | undefined) => void;
}) {
  const { message } = App.useApp();
  // The confirmation rendered here, not at the app's root: it takes the screen's readable danger red.
  const [modal, modalHolder] = Modal.useModal();
  const remove = useMutation({
    mutationFn: (id: string) =>
      call(api.DELETE("/api/v1/views/{id}", { params: { path: { id } }, body: {} })),
  });
  const client = useQueryClient();
  const confirmDelete = (v: View) =>
    modal.confirm({
      title: t("deleteViewConfirm", { name: viewName(v) }),
      okText: t("common:actions.delete"),
      okButtonProps: { danger: true },
      cancelText: t("common:actions.cancel"),
      onOk: async () => {
        await remove.mutateAsync(v.id);
        if (active === v.id) onSelect(undefined);
        void message.success(t("viewDeleted"));
        // Views are not cases: no live event names them.
        await client.invalidateQueries({ queryKey: keys.views() });
      },
    });
  const chip = (id: string | undefined, text: ReactNode) => (
    <Button
      size="small"
      type={active === id ? "primary" : "default"}
      aria-current={active === id ? "true" : undefined}
      data-view={id ?? ALL}
      onClick={() => onSelect(id)}
    >
      {text}
    </Button>
  );
  return (
    <>
      {modalHolder}
      <ul
        style={{
          display: "flex",
          flexWrap: compact ? "nowrap" : "wrap",
          overflowX: compact ? "auto" : undefined,
          gap: 6,
          listStyle: "none",
          padding: "2px 0 6px",
          margin: "0 0 6px",
        }}
      >
        <li style={{ flex: "none" }}>{chip(undefined, t("allOpen"))}</li>
        {views.map((v) => (
          <li key={v.id} style={{ flex: "none", display: "inline-flex", alignItems: "center" }}>
            {chip(
              v.id,
              <>
                {viewName(v)}
                {!v.builtIn && v.shared && <span> · {t("shared")}</span>}
                <Count n={v.count} />
              </>,
            )}
            {v.mine && !v.builtIn && (
              <Button
                size="small"
                type="text"
                icon={<CloseOutlined />}
                aria-label={t("deleteView", { name: viewName(v) })}
                onClick={() => confirmDelete(v)}
              />
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Save what the list shows now as a view: personal, or shared with everyone (for those who may assign). */
export function SaveView({
  t,
  filter,
  mayShare,
  onSaved,
}: {
  t: TFunction;
  filter: Filter;
  mayShare: boolean;
  onSaved: (id: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ name: string; shared: boolean }>();
  const client = useQueryClient();
  const { message } = App.useApp();
  const save = useMutation({
    mutationFn: (v: { name: string; shared: boolean }) =>
      call(api.POST("/api/v1/views", { body: { name: v.name, shared: v.shared, filters: toApi(filter) } })),
    onSuccess: async (v) => {
      setOpen(false);
      void message.success(t("viewSaved", { name: v.name }));
      await client.invalidateQueries({ queryKey: keys.views() });
      onSaved(v.id);
    },
  });
  return (
    <>
      <Tooltip title={t("saveViewTitle")}>
        <Button
          icon={<SaveOutlined />}
          onClick={() => {
            save.reset();
            form.resetFields();
            setOpen(true);
          }}
        >
          {t("saveView")}
        </Button>
      </Tooltip>
      <Modal
        open={open}
        title={t("saveViewTitle")}
        okText={t("common:actions.save")}
        cancelText={t("common:actions.cancel")}
        confirmLoading={save.isPending}
        onOk={() => form.submit()}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        {save.error && (
          <p role="alert" style={{ color: "#a8071a" }}>
            {save.error.message}
          </p>
        )}
        <Form
          form={form}
          layout="vertical"
          initialValues={{ name: "", shared: false }}
          onFinish={(v) => save.mutate(v)}
        >
          <Form.Item
            name="name"
            label={t("viewName")}
            rules={[{ required: true, whitespace: true, max: 100 }]}
          >
            <Input autoFocus maxLength={100} />
          </Form.Item>
          <Form.Item name="shared" valuePropName="checked" extra={t("viewSharedHint")}>
            <Checkbox disabled={!mayShare}>{t("viewShared")}</Checkbox>
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
