import { PlusOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Badge, Button, Form, Input, Modal, Select, Space, Table, Typography } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, call } from "../../../shared/api.ts";
import type { components } from "../../../shared/api-types.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { showAtFields } from "../problems.ts";
import { CHANNEL_CODES, TEXT } from "./text.ts";

type Shop = components["schemas"]["Shop"];
const PAGE = 20;

/** 店铺与平台连接: every shop with whether its platform is connected; an admin adds shops here. */
export default function Shops() {
  const { t } = useScreenText("shops", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [adding, setAdding] = useState(false);
  const [page, setPage] = useState(1);
  const [form] = Form.useForm<Shop>();
  const shops = useQuery({ queryKey: keys.shops(), queryFn: () => call(api.GET("/api/v1/shops")) });
  const add = useMutation({
    mutationFn: (body: Shop) => call(api.POST("/api/v1/shops", { body })),
    onSuccess: (shop) => {
      void message.success(t("created", { name: shop.name }));
      setAdding(false);
      // Shops are not cases: no live event names them, so the list refreshes here.
      void client.invalidateQueries({ queryKey: keys.shops() });
      navigate(`/settings/shops/${encodeURIComponent(shop.id)}`);
    },
    onError: (e) => {
      if (!showAtFields(form, e, { CONFLICT: () => [["id"]] })) void message.error(e.message);
    },
  });
  return (
    <section aria-labelledby="shops-title">
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }} wrap>
        <Typography.Title level={1} id="shops-title" style={{ fontSize: 20, margin: 0 }}>
          {t("title")}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
          {t("add")}
        </Button>
      </Space>
      {/* A merchant has a handful of shops: GET /shops answers them all, so they are paged here. */}
      <Table<Shop>
        rowKey="id"
        size="middle"
        loading={shops.isFetching}
        dataSource={shops.data?.items ?? []}
        scroll={{ x: 640 }}
        pagination={{
          current: page,
          pageSize: PAGE,
          hideOnSinglePage: true,
          showTotal: (total) => t("common:list.total", { total }),
          onChange: setPage,
        }}
        columns={[
          {
            title: t("name"),
            dataIndex: "name",
            render: (name: string, s) => (
              <Link to={`/settings/shops/${encodeURIComponent(s.id)}`}>{name}</Link>
            ),
          },
          { title: t("id"), dataIndex: "id" },
          { title: t("channel"), dataIndex: "channel", render: (c: string) => t(`common:channels.${c}`) },
          { title: t("connection"), key: "connection", render: (_: unknown, s) => <Connection shop={s} /> },
          {
            title: "",
            key: "manage",
            render: (_: unknown, s) => (
              <Link
                to={`/settings/shops/${encodeURIComponent(s.id)}`}
                aria-label={`${t("manage")} ${s.name}`}
              >
                {t("manage")}
              </Link>
            ),
          },
        ]}
      />
      <Modal
        open={adding}
        title={t("addTitle")}
        okText={t("common:actions.create")}
        cancelText={t("common:actions.cancel")}
        confirmLoading={add.isPending}
        onOk={() => form.submit()}
        onCancel={() => setAdding(false)}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          initialValues={{ id: "", name: "", channel: "tmall" }}
          onFinish={(v) => add.mutate(v)}
        >
          <Form.Item name="name" label={t("name")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="id" label={t("id")} extra={t("idHint")} rules={[{ required: true }]}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="channel" label={t("channel")} rules={[{ required: true }]}>
            <Select options={CHANNEL_CODES.map((c) => ({ value: c, label: t(`common:channels.${c}`) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </section>
  );
}

/** Whether the shop's platform is connected (a credentials read per shop: a merchant has a few). */
function Connection({ shop }: { shop: Shop }) {
  const { t } = useScreenText("shops", TEXT);
  const c = useQuery({
    queryKey: keys.shop(shop.id, "credentials"),
    queryFn: () => call(api.GET("/api/v1/shops/{shop}/credentials", { params: { path: { shop: shop.id } } })),
  });
  if (!c.data) return null;
  if (!c.data.supported) return <Typography.Text type="secondary">{t("notSupported")}</Typography.Text>;
  return c.data.connected ? (
    <Badge
      status="success"
      text={`${t("connected")} · ${c.data.updatedAt ? dayjs(c.data.updatedAt).format("YYYY-MM-DD HH:mm") : ""}`}
    />
  ) : (
    <Badge status="default" text={t("notConnected")} />
  );
}
