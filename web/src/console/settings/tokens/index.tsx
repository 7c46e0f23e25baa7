import { CopyOutlined, PlusOutlined } from "@ant-design/icons";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Badge,
  Button,
  Form,
  Input,
  Modal,
  Segmented,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { api, call } from "../../../shared/api.ts";
import type { components } from "../../../shared/api-types.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { DangerButton } from "../danger-button.tsx";
import { fieldOf, showAtField } from "../field-errors.ts";
import { PAGE, serverPager } from "../paging.ts";
import { TEXT } from "./text.ts";

type Token = components["schemas"]["Token"];
type Made = Token & { token: string };
const ROLES = ["admin", "cs_agent", "reviewer", "supervisor", "warehouse", "finance"] as const;
type Role = (typeof ROLES)[number];
const STATUSES = ["all", "active", "revoked"] as const;
type Status = (typeof STATUSES)[number];

interface FormValues {
  name: string;
  role: Role;
  shops?: string[];
}

/** Where each refusal of a new token belongs on the form. */
const FIELDS = {
  TOKEN_NAME_INVALID: "name",
  TOKEN_ROLE_FORBIDDEN: "role",
  TOKEN_SHOPS_FORBIDDEN: "shops",
  TOKEN_SHOPS_EMPTY: "shops",
  SHOP_NOT_FOUND: "shops",
};

const when = (v: string | null | undefined) => (v ? dayjs(v).format("YYYY-MM-DD HH:mm") : "");

/**
 * API 令牌: the tokens integrations call the API with — made with a name, a role and shops (the secret
 * shown this once, to copy), listed by how they start and when they were last used, revoked at once.
 */
export default function Tokens() {
  const { t } = useScreenText("tokens", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<Status>("all");
  const [adding, setAdding] = useState(false);
  const [made, setMade] = useState<Made | null>(null);
  const filters = {
    ...(status === "all" ? {} : { status }),
    offset: (page - 1) * PAGE,
    limit: PAGE,
  };
  const tokens = useQuery({
    queryKey: keys.tokens(filters),
    queryFn: () => call(api.GET("/api/v1/tokens", { params: { query: filters } })),
    placeholderData: keepPreviousData,
  });
  const shops = useQuery({ queryKey: keys.shops(), queryFn: () => call(api.GET("/api/v1/shops")) });
  // Tokens are not cases: no live event names them, so this screen refreshes its own list (and the log).
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.tokens() });
    void client.invalidateQueries({ queryKey: keys.audit() });
  };
  const revoke = useMutation({
    mutationFn: (tok: Token) =>
      call(api.DELETE("/api/v1/tokens/{id}", { params: { path: { id: tok.id } }, body: {} })),
    onSuccess: (tok) => {
      void message.success(t("revokedDone", { name: tok.name }));
      refresh();
    },
    onError: (e: Error) => void message.error(e.message),
  });
  const copy = async (secret: string) => {
    try {
      await navigator.clipboard.writeText(secret);
      void message.success(t("copied"));
    } catch (e) {
      void message.error((e as Error).message);
    }
  };
  const roleName = (r: string) => t(`common:roles.${r}`);
  return (
    <section aria-labelledby="tokens-title">
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 8 }} wrap>
        <Typography.Title level={1} id="tokens-title" style={{ fontSize: 20, margin: 0 }}>
          {t("title")}
        </Typography.Title>
        <Space wrap>
          <Segmented<Status>
            aria-label={t("statusFilter")}
            value={status}
            onChange={(v) => {
              setStatus(v);
              setPage(1);
            }}
            options={[
              { value: "all", label: t("all") },
              { value: "active", label: t("activeOnly") },
              { value: "revoked", label: t("revokedOnly") },
            ]}
          />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
            {t("add")}
          </Button>
        </Space>
      </Space>
      <Typography.Paragraph type="secondary" style={{ maxWidth: 900 }}>
        {t("intro")}
      </Typography.Paragraph>
      <Table<Token>
        rowKey="id"
        size="middle"
        loading={tokens.isFetching}
        dataSource={tokens.data?.items ?? []}
        scroll={{ x: 900 }}
        onRow={(tok) => ({ "data-token": tok.name }) as React.HTMLAttributes<HTMLElement>}
        pagination={serverPager(page, tokens.data?.total ?? 0, setPage, t)}
        columns={[
          { title: t("name"), dataIndex: "name" },
          {
            title: t("prefix"),
            dataIndex: "prefix",
            render: (p: string | null) =>
              p ? (
                <Typography.Text code data-testid="token-prefix">
                  {p}…
                </Typography.Text>
              ) : (
                <Typography.Text type="secondary">{t("noPrefix")}</Typography.Text>
              ),
          },
          { title: t("role"), dataIndex: "role", render: roleName },
          {
            title: t("shops"),
            dataIndex: "shops",
            render: (s: string[] | null) =>
              s ? s.map((x) => <Tag key={x}>{x}</Tag>) : t("common:list.allShops"),
          },
          { title: t("created"), dataIndex: "createdAt", render: when },
          {
            title: t("lastUsed"),
            dataIndex: "lastUsedAt",
            render: (v: string | null) => (v ? when(v) : t("never")),
          },
          {
            title: t("status"),
            key: "status",
            render: (_: unknown, tok) =>
              tok.revokedAt ? (
                <Badge status="default" text={t("revoked", { at: when(tok.revokedAt) })} />
              ) : (
                <Badge status="success" text={t("active")} />
              ),
          },
          {
            title: "",
            key: "revoke",
            render: (_: unknown, tok) =>
              tok.revokedAt ? null : (
                <DangerButton
                  label={t("revoke")}
                  title={t("revokeTitle", { name: tok.name })}
                  description={t("revokeBody")}
                  onConfirm={() => revoke.mutateAsync(tok)}
                />
              ),
          },
        ]}
      />
      {adding && (
        <NewTokenDialog
          shops={shops.data?.items ?? []}
          onDone={(m) => {
            setAdding(false);
            if (m) {
              setMade(m);
              refresh();
            }
          }}
        />
      )}
      <Modal
        open={made !== null}
        title={t("secretTitle", { name: made?.name })}
        closable={false}
        maskClosable={false}
        keyboard={false}
        footer={
          <Button type="primary" onClick={() => setMade(null)}>
            {t("saved")}
          </Button>
        }
        destroyOnHidden
      >
        <Alert type="warning" showIcon title={t("secretWarning")} style={{ marginBottom: 16 }} />
        <Typography.Text strong id="token-secret-label">
          {t("secretLabel")}
        </Typography.Text>
        <Space.Compact style={{ width: "100%", marginTop: 4 }}>
          <Input
            readOnly
            value={made?.token ?? ""}
            aria-labelledby="token-secret-label"
            data-testid="token-secret"
            style={{ fontFamily: "monospace" }}
            onFocus={(e) => e.target.select()}
          />
          <Button icon={<CopyOutlined />} onClick={() => made && void copy(made.token)}>
            {t("copy")}
          </Button>
        </Space.Compact>
      </Modal>
    </section>
  );
}

/** Making a token: name, role and shops, a fresh form each time; a refusal shows at its field. */
function NewTokenDialog({
  shops,
  onDone,
}: {
  shops: { id: string; name: string }[];
  onDone: (made: Made | null) => void;
}) {
  const { t } = useScreenText("tokens", TEXT);
  const [form] = Form.useForm<FormValues>();
  const roleName = (r: string) => t(`common:roles.${r}`);
  const create = useMutation({
    mutationFn: (v: FormValues) =>
      call(
        api.POST("/api/v1/tokens", {
          body: { name: v.name, role: v.role, shops: v.shops?.length ? v.shops : null },
        }),
      ),
    onSuccess: onDone,
    onError: (e) => void showAtField(form, e, FIELDS),
  });
  return (
    <Modal
      open
      title={t("addTitle")}
      okText={t("create")}
      cancelText={t("common:actions.cancel")}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      onCancel={() => onDone(null)}
      destroyOnHidden
    >
      {create.error && !fieldOf(create.error, FIELDS) && (
        <Alert type="error" showIcon role="alert" title={create.error.message} style={{ marginBottom: 12 }} />
      )}
      <Form
        form={form}
        layout="vertical"
        initialValues={{ name: "", role: "cs_agent", shops: [] }}
        onFinish={(v) => create.mutate(v)}
        onValuesChange={() => create.reset()}
      >
        <Form.Item name="name" label={t("name")} extra={t("nameHint")} rules={[{ required: true }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="role" label={t("role")} extra={t("roleHint")} rules={[{ required: true }]}>
          <Select options={ROLES.map((r) => ({ value: r, label: roleName(r) }))} />
        </Form.Item>
        <Form.Item name="shops" label={t("shops")} extra={t("shopsHint")}>
          <Select mode="multiple" allowClear options={shops.map((s) => ({ value: s.id, label: s.name }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
