import { PlusOutlined } from "@ant-design/icons";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Badge, Button, Form, Input, Modal, Select, Space, Switch, Table, Tag, Typography } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api, call } from "../../../shared/api.ts";
import type { components } from "../../../shared/api-types.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { AutoAssign } from "./auto-assign.tsx";

type User = components["schemas"]["User"];
const ROLES = ["admin", "cs_agent", "reviewer", "supervisor", "warehouse", "finance"] as const;
const PAGE = 20;

const TEXT = {
  "zh-CN": {
    title: "人员管理",
    add: "添加人员",
    editTitle: "编辑 {{name}}",
    addTitle: "添加人员",
    name: "姓名",
    login: "账号",
    role: "角色",
    shops: "店铺范围",
    shopsHint: "留空表示全部店铺",
    password: "密码",
    newPassword: "重设密码",
    passwordRule: "至少 8 位",
    passwordHint: "至少 8 位；留空则不修改",
    onDuty: "在岗",
    status: "状态",
    active: "正常",
    disabled: "已停用",
    locked: "已锁定至 {{until}}",
    disable: "停用账号",
    unlock: "解锁",
    lastSignIn: "最近登录",
    never: "从未",
    search: "搜索姓名或账号",
    saved: "已保存",
    created: "已添加 {{name}}",
  },
  en: {
    title: "People",
    add: "Add person",
    editTitle: "Edit {{name}}",
    addTitle: "Add a person",
    name: "Name",
    login: "Login",
    role: "Role",
    shops: "Shops",
    shopsHint: "Empty: every shop",
    password: "Password",
    newPassword: "Reset password",
    passwordRule: "At least 8 characters",
    passwordHint: "At least 8 characters; leave empty to keep",
    onDuty: "On duty",
    status: "Status",
    active: "Active",
    disabled: "Disabled",
    locked: "Locked until {{until}}",
    disable: "Disable account",
    unlock: "Unlock",
    lastSignIn: "Last sign-in",
    never: "Never",
    search: "Search name or login",
    saved: "Saved",
    created: "Added {{name}}",
  },
};

interface FormValues {
  name: string;
  login?: string;
  role: components["schemas"]["User"]["role"];
  shops?: string[];
  password?: string;
  onDuty?: boolean;
  disabled?: boolean;
}

/** Admins add people, give them a role and shops, reset passwords, unlock and disable accounts. */
export default function Users() {
  const { t } = useScreenText("users", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  // ?q= opens the list narrowed to someone (the audit log links a person so).
  const [params] = useSearchParams();
  const [q, setQ] = useState(() => params.get("q") ?? "");
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const filters = { q: q || undefined, offset: (page - 1) * PAGE, limit: PAGE };
  const users = useQuery({
    queryKey: keys.users(filters),
    queryFn: () => call(api.GET("/api/v1/users", { params: { query: filters } })),
    placeholderData: keepPreviousData,
  });
  const shops = useQuery({ queryKey: keys.shops(), queryFn: () => call(api.GET("/api/v1/shops")) });
  const save = useMutation({
    mutationFn: async (v: FormValues) => {
      const shopsValue = v.shops?.length ? v.shops : null;
      if (editing === "new")
        return call(
          api.POST("/api/v1/users", {
            body: {
              login: v.login ?? "",
              name: v.name,
              role: v.role,
              password: v.password ?? "",
              shops: shopsValue,
            },
          }),
        );
      const id = (editing as User).id;
      return call(
        api.PATCH("/api/v1/users/{id}", {
          params: { path: { id } },
          body: {
            name: v.name,
            role: v.role,
            shops: shopsValue,
            onDuty: v.onDuty,
            disabled: v.disabled,
            ...(v.password ? { password: v.password } : {}),
          },
        }),
      );
    },
    onSuccess: (u) => {
      void message.success(editing === "new" ? t("created", { name: u.name }) : t("saved"));
      setEditing(null);
      // People are not cases: no live event names them, so this list refreshes itself.
      void client.invalidateQueries({ queryKey: keys.users() });
    },
  });
  const unlock = useMutation({
    mutationFn: (id: number) =>
      call(api.PATCH("/api/v1/users/{id}", { params: { path: { id } }, body: { unlock: true } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.users() }),
    onError: (e: Error) => void message.error(e.message),
  });
  const [form] = Form.useForm<FormValues>();
  const open = (u: User | "new") => {
    setEditing(u);
    save.reset();
  };
  // The form's first values, given as it mounts (a fresh form per person): set from outside instead,
  // they could land after the person had already started typing.
  const initial: Partial<FormValues> =
    editing === null || editing === "new"
      ? { name: "", login: "", role: "reviewer", shops: [], password: "" }
      : {
          name: editing.name,
          role: editing.role,
          shops: editing.shops ?? [],
          onDuty: editing.onDuty,
          disabled: editing.disabled,
          password: "",
        };
  return (
    <section aria-labelledby="users-title">
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }} wrap>
        <Typography.Title level={1} id="users-title" style={{ fontSize: 20, margin: 0 }}>
          {t("title")}
        </Typography.Title>
        <Space wrap>
          <Input.Search
            allowClear
            defaultValue={q}
            placeholder={t("search")}
            aria-label={t("search")}
            onSearch={(v) => {
              setQ(v);
              setPage(1);
            }}
            style={{ width: 240 }}
          />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => open("new")}>
            {t("add")}
          </Button>
        </Space>
      </Space>
      <AutoAssign />
      <Table<User>
        rowKey="id"
        size="middle"
        loading={users.isFetching}
        dataSource={users.data?.items ?? []}
        scroll={{ x: 800 }}
        pagination={{
          current: page,
          pageSize: PAGE,
          total: users.data?.total ?? 0,
          showSizeChanger: false,
          showTotal: (total) => t("common:list.total", { total }),
          onChange: setPage,
        }}
        onRow={(u) => ({ onDoubleClick: () => open(u) })}
        columns={[
          { title: t("name"), dataIndex: "name" },
          { title: t("login"), dataIndex: "login" },
          { title: t("role"), dataIndex: "role", render: (r: string) => t(`common:roles.${r}`) },
          {
            title: t("shops"),
            dataIndex: "shops",
            render: (s: string[] | null) =>
              s ? s.map((x) => <Tag key={x}>{x}</Tag>) : t("common:list.allShops"),
          },
          {
            title: t("status"),
            key: "status",
            render: (_: unknown, u) =>
              u.disabled ? (
                <Badge status="default" text={t("disabled")} />
              ) : u.lockedUntil && dayjs(u.lockedUntil).isAfter(dayjs()) ? (
                <Space size={4}>
                  <Badge status="error" text={t("locked", { until: dayjs(u.lockedUntil).format("HH:mm") })} />
                  <Button size="small" onClick={() => unlock.mutate(u.id)}>
                    {t("unlock")}
                  </Button>
                </Space>
              ) : (
                <Badge status="success" text={t("active")} />
              ),
          },
          {
            title: t("onDuty"),
            dataIndex: "onDuty",
            render: (v: boolean) => (v ? t("common:header.onDuty") : t("common:header.offDuty")),
          },
          {
            title: t("lastSignIn"),
            dataIndex: "lastSignInAt",
            render: (v: string | null) => (v ? dayjs(v).format("YYYY-MM-DD HH:mm") : t("never")),
          },
          {
            title: "",
            key: "edit",
            render: (_: unknown, u) => (
              <Button size="small" onClick={() => open(u)}>
                {t("common:actions.edit")}
              </Button>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === "new" ? t("addTitle") : t("editTitle", { name: editing?.name })}
        okText={t("common:actions.save")}
        cancelText={t("common:actions.cancel")}
        confirmLoading={save.isPending}
        onOk={() => form.submit()}
        onCancel={() => setEditing(null)}
        destroyOnHidden
      >
        {save.error && (
          <Typography.Paragraph type="danger" role="alert">
            {save.error.message}
          </Typography.Paragraph>
        )}
        <Form
          key={editing === "new" ? "new" : (editing?.id ?? "none")}
          form={form}
          initialValues={initial}
          layout="vertical"
          onFinish={(v) => save.mutate(v)}
        >
          <Form.Item name="name" label={t("name")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          {editing === "new" && (
            <Form.Item name="login" label={t("login")} rules={[{ required: true }]}>
              <Input autoComplete="off" />
            </Form.Item>
          )}
          <Form.Item name="role" label={t("role")} rules={[{ required: true }]}>
            <Select options={ROLES.map((r) => ({ value: r, label: t(`common:roles.${r}`) }))} />
          </Form.Item>
          <Form.Item name="shops" label={t("shops")} extra={t("shopsHint")}>
            <Select
              mode="multiple"
              allowClear
              options={(shops.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
            />
          </Form.Item>
          <Form.Item
            name="password"
            label={editing === "new" ? t("password") : t("newPassword")}
            extra={editing === "new" ? t("passwordRule") : t("passwordHint")}
            rules={editing === "new" ? [{ required: true, min: 8 }] : [{ min: 8 }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          {editing !== "new" && (
            <Space size="large">
              <Form.Item name="onDuty" label={t("onDuty")} valuePropName="checked">
                <Switch />
              </Form.Item>
              <Form.Item name="disabled" label={t("disable")} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Space>
          )}
        </Form>
      </Modal>
    </section>
  );
}
