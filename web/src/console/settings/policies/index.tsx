import { PlusOutlined } from "@ant-design/icons";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Checkbox,
  Collapse,
  Form,
  Input,
  Modal,
  Radio,
  Segmented,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, call } from "../../../shared/api.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { DangerButton } from "../danger-button.tsx";
import { fieldOf, showAtField } from "../field-errors.ts";
import { PAGE, serverPager } from "../paging.ts";
import { POLICY_CODES, type PolicyCode, policyWords, TEXT } from "./text.ts";

type Kind = "sku" | "category";
interface Entry {
  kind: Kind;
  key: string;
  policies: string[];
  updatedAt: string;
}
interface FormValues {
  kind: Kind;
  key: string;
  policies: PolicyCode[];
}

const putPolicies = (v: FormValues) =>
  call(
    api.PUT("/api/v1/catalog/policies/{kind}/{key}", {
      params: { path: { kind: v.kind, key: v.key } },
      body: { policies: v.policies },
    }),
  );
type Saved = Awaited<ReturnType<typeof putPolicies>>;

/** Where each refusal belongs on the form: INVALID_POLICY_SCOPE names its field (kind or key). */
const FIELDS = { INVALID_POLICY_SCOPE: "*", INVALID_POLICY: "policies" };

/**
 * 商品售后政策: the policies set per SKU or category — listed by kind and key (paged on the server),
 * added, edited and removed, each policy said in words with what it does to a case.
 */
export default function Policies() {
  const { t, i18n } = useScreenText("policies", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const kind = (params.get("kind") as Kind | null) ?? undefined;
  const q = params.get("q") ?? "";
  const policy = (params.get("policy") as PolicyCode | null) ?? undefined;
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Entry | "new" | null>(null);
  const { policyName, meaning } = policyWords(i18n.language);
  const narrow = (change: Record<string, string | undefined>) => {
    const next = { kind, q: q || undefined, policy, ...change };
    setParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v)) as Record<string, string>);
    setPage(1);
  };
  const query = {
    ...(kind ? { kind } : {}),
    ...(q ? { q } : {}),
    ...(policy ? { policy } : {}),
    offset: (page - 1) * PAGE,
    limit: PAGE,
  };
  const list = useQuery({
    queryKey: keys.policies(query),
    queryFn: () => call(api.GET("/api/v1/catalog/policies", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.policies() });
    void client.invalidateQueries({ queryKey: keys.audit() });
  };
  const remove = useMutation({
    mutationFn: (e: Entry) => putPolicies({ kind: e.kind, key: e.key, policies: [] }),
    onSuccess: (r) => {
      void message.success(t("removed", { key: r.key }));
      refresh();
    },
    onError: (e: Error) => void message.error(e.message),
  });
  return (
    <section aria-labelledby="policies-title">
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 8 }} wrap>
        <Typography.Title level={1} id="policies-title" style={{ fontSize: 20, margin: 0 }}>
          {t("title")}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")}>
          {t("add")}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary" style={{ maxWidth: 900 }}>
        {t("intro")}
      </Typography.Paragraph>
      <Collapse
        size="small"
        style={{ marginBottom: 16 }}
        items={[
          {
            key: "meanings",
            label: t("meanings"),
            children: (
              <dl
                style={{
                  margin: 0,
                  display: "grid",
                  gridTemplateColumns: "max-content 1fr",
                  gap: "6px 16px",
                }}
              >
                {POLICY_CODES.map((c) => (
                  <div key={c} style={{ display: "contents" }}>
                    <dt>
                      <Tag color="blue">{policyName(c)}</Tag>
                    </dt>
                    <dd style={{ margin: 0 }}>{meaning(c)}</dd>
                  </div>
                ))}
              </dl>
            ),
          },
        ]}
      />
      <Space wrap style={{ marginBottom: 16 }}>
        <Segmented<Kind | "all">
          aria-label={t("kindFilter")}
          value={kind ?? "all"}
          onChange={(v) => narrow({ kind: v === "all" ? undefined : v })}
          options={[
            { value: "all", label: t("allKinds") },
            { value: "sku", label: t("kinds.sku") },
            { value: "category", label: t("kinds.category") },
          ]}
        />
        <Input.Search
          allowClear
          key={q}
          defaultValue={q}
          placeholder={t("search")}
          aria-label={t("search")}
          onSearch={(v) => narrow({ q: v.trim() || undefined })}
          style={{ width: 220 }}
        />
        <Select<PolicyCode>
          allowClear
          aria-label={t("policyFilter")}
          placeholder={t("policyFilter")}
          value={policy}
          onChange={(v) => narrow({ policy: v })}
          style={{ width: 200 }}
          options={POLICY_CODES.map((c) => ({ value: c, label: policyName(c) }))}
        />
      </Space>
      <Table<Entry>
        rowKey={(e) => `${e.kind}:${e.key}`}
        size="middle"
        loading={list.isFetching}
        dataSource={(list.data?.items ?? []) as Entry[]}
        scroll={{ x: 900 }}
        locale={{ emptyText: <Typography.Text type="secondary">{t("empty")}</Typography.Text> }}
        onRow={(e) => ({ "data-policy": `${e.kind}:${e.key}` }) as React.HTMLAttributes<HTMLElement>}
        pagination={serverPager(page, list.data?.total ?? 0, setPage, t)}
        columns={[
          { title: t("kind"), dataIndex: "kind", width: 90, render: (k: Kind) => t(`kinds.${k}`) },
          {
            title: t("key"),
            dataIndex: "key",
            width: 180,
            render: (k: string) => <Typography.Text code>{k}</Typography.Text>,
          },
          {
            title: t("policies"),
            dataIndex: "policies",
            render: (ps: string[]) => (
              <Space orientation="vertical" size={4}>
                {ps.map((p) => (
                  <div key={p}>
                    <Tag color="blue">{policyName(p)}</Tag>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {meaning(p)}
                    </Typography.Text>
                  </div>
                ))}
              </Space>
            ),
          },
          {
            title: t("updated"),
            dataIndex: "updatedAt",
            width: 150,
            render: (v: string) => dayjs(v).format("YYYY-MM-DD HH:mm"),
          },
          {
            title: "",
            key: "actions",
            width: 220,
            render: (_: unknown, e) => (
              <Space size={4}>
                <Button size="small" onClick={() => setEditing(e)}>
                  {t("common:actions.edit")}
                </Button>
                <DangerButton
                  label={t("remove")}
                  title={t("removeTitle", { key: e.key })}
                  description={t("removeBody")}
                  onConfirm={() => remove.mutateAsync(e)}
                />
                <Link
                  to={`/settings/audit?object=policies&subject=${encodeURIComponent(`${e.kind}:${e.key}`)}`}
                >
                  {t("history")}
                </Link>
              </Space>
            ),
          },
        ]}
      />
      {editing !== null && (
        <PolicyDialog
          editing={editing}
          defaultKind={kind ?? "sku"}
          onDone={(saved) => {
            setEditing(null);
            if (saved) {
              void message.success(t("saved", { key: saved.key }));
              refresh();
            }
          }}
        />
      )}
    </section>
  );
}

/**
 * Adding or editing one SKU's or category's policies: a fresh form each time it opens. A refusal shows
 * at its field; adding one that has policies already is caught before it would replace them.
 */
function PolicyDialog({
  editing,
  defaultKind,
  onDone,
}: {
  editing: Entry | "new";
  defaultKind: Kind;
  onDone: (saved: Saved | null) => void;
}) {
  const { t, i18n } = useScreenText("policies", TEXT);
  const [form] = Form.useForm<FormValues>();
  const { policyName, meaning } = policyWords(i18n.language);
  const initial: FormValues =
    editing === "new"
      ? { kind: defaultKind, key: "", policies: [] }
      : { kind: editing.kind, key: editing.key, policies: editing.policies as PolicyCode[] };
  const save = useMutation({
    mutationFn: async (v: FormValues) => {
      const key = v.key.trim();
      if (editing === "new" && key) {
        // Adding what is there already would silently replace it: say so at the field instead.
        const found = await call(
          api.GET("/api/v1/catalog/policies", { params: { query: { kind: v.kind, q: key, limit: 200 } } }),
        );
        if (found.items.some((e) => e.key === key)) {
          form.setFields([{ name: "key", errors: [t("exists", { key })] }]);
          return null;
        }
      }
      return putPolicies(v);
    },
    onSuccess: (saved) => {
      if (saved) onDone(saved);
    },
    onError: (e) => void showAtField(form, e, FIELDS),
  });
  const chosenKind = Form.useWatch("kind", form) ?? initial.kind;
  const formError = save.error && !fieldOf(save.error, FIELDS) ? save.error.message : null;
  return (
    <Modal
      open
      title={
        editing === "new"
          ? t("addTitle")
          : t("editTitle", { kind: t(`kinds.${editing.kind}`), key: editing.key })
      }
      okText={t("common:actions.save")}
      cancelText={t("common:actions.cancel")}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={() => onDone(null)}
      destroyOnHidden
      width={600}
    >
      {formError && (
        <Alert type="error" showIcon role="alert" title={formError} style={{ marginBottom: 12 }} />
      )}
      <Form<FormValues>
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={(v) => save.mutate({ ...initial, ...v })}
      >
        <Form.Item name="kind" label={t("kind")}>
          <Radio.Group
            disabled={editing !== "new"}
            options={[
              { value: "sku", label: t("kinds.sku") },
              { value: "category", label: t("kinds.category") },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="key"
          label={t("key")}
          extra={t(`keyHint.${chosenKind}`)}
          rules={[{ required: true }]}
        >
          <Input autoComplete="off" disabled={editing !== "new"} maxLength={100} />
        </Form.Item>
        <Form.Item
          name="policies"
          label={t("policies")}
          // A validator, not `required`: that would put aria-required on the checkbox group, which ARIA forbids.
          rules={[
            {
              validator: (_, v: PolicyCode[] | undefined) =>
                v?.length ? Promise.resolve() : Promise.reject(new Error(t("policiesRequired"))),
            },
          ]}
        >
          <Checkbox.Group style={{ display: "grid", gap: 8 }}>
            {POLICY_CODES.map((c) => (
              <Checkbox key={c} value={c}>
                <strong>{policyName(c)}</strong>
                <br />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {meaning(c)}
                </Typography.Text>
              </Checkbox>
            ))}
          </Checkbox.Group>
        </Form.Item>
      </Form>
    </Modal>
  );
}
