import { ArrowDownOutlined, ArrowUpOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  AutoComplete,
  Button,
  Card,
  Col,
  Form,
  InputNumber,
  List,
  Row,
  Skeleton,
  Space,
  Switch,
  Table,
  Typography,
} from "antd";
import { useEffect, useMemo, useState } from "react";
import { api, call } from "../../../shared/api.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { useCan } from "../../../shared/session.ts";
import { showAtFields } from "../problems.ts";
import { TEXT } from "./text.ts";

/**
 * 通用设置: the merchant's time zone, the order refunds go back over an order's tenders, and each payment
 * channel's fee. (Automatic assignment sits on the people screen, risk and quality thresholds on the
 * rules screen.) Every change is audited by the API.
 */
export default function GeneralSettings() {
  const { t } = useScreenText("general", TEXT);
  const can = useCan();
  return (
    <section aria-labelledby="general-title">
      <Typography.Title level={1} id="general-title" style={{ fontSize: 20, marginTop: 0 }}>
        {t("title")}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <div style={{ display: "flex", flexDirection: "column", gap: 16 }}>
            <TimeZone />
            {can("finance.read") && <Fees />}
          </div>
        </Col>
        <Col xs={24} xl={12}>
          <TenderOrder />
        </Col>
      </Row>
    </section>
  );
}

const ZONES: string[] = (() => {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
})();

function TimeZone() {
  const { t } = useScreenText("general", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ timeZone: string }>();
  const key = keys.settings("timezone");
  const zone = useQuery({ queryKey: key, queryFn: () => call(api.GET("/api/v1/settings/timezone")) });
  const typed = Form.useWatch("timeZone", form) ?? "";
  const save = useMutation({
    mutationFn: (timeZone: string) => call(api.PUT("/api/v1/settings/timezone", { body: { timeZone } })),
    onSuccess: (z) => {
      client.setQueryData(key, z);
      void message.success(t("saved"));
    },
    onError: (e) => {
      if (!showAtFields(form, e, { INVALID_TIMEZONE: () => [["timeZone"]] })) void message.error(e.message);
    },
  });
  const options = useMemo(() => {
    const q = typed.trim().toLowerCase();
    return ZONES.filter((z) => z.toLowerCase().includes(q))
      .slice(0, 50)
      .map((z) => ({ value: z }));
  }, [typed]);
  const local = (tz: string) => {
    try {
      return new Intl.DateTimeFormat(undefined, {
        timeZone: tz,
        dateStyle: "medium",
        timeStyle: "short",
      }).format();
    } catch {
      return null;
    }
  };
  if (zone.error) return <Alert type="error" showIcon role="alert" title={zone.error.message} />;
  if (!zone.data) return <Skeleton active />;
  const now = local(zone.data.timeZone);
  return (
    <Card size="small" title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("tz.title")}</h2>}>
      <Typography.Paragraph type="secondary">{t("tz.intro")}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        initialValues={zone.data}
        onFinish={(v) => save.mutate(v.timeZone.trim())}
      >
        <Form.Item
          name="timeZone"
          label={t("tz.label")}
          extra={t("tz.hint")}
          rules={[{ required: true, whitespace: true }]}
        >
          <AutoComplete options={options} style={{ maxWidth: 360 }} />
        </Form.Item>
        {now && (
          <Typography.Paragraph type="secondary" data-testid="tz-now">
            {zone.data.timeZone} · {t("tz.now", { time: now })}
          </Typography.Paragraph>
        )}
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t("common:actions.save")}
        </Button>
      </Form>
    </Card>
  );
}

function TenderOrder() {
  const { t } = useScreenText("general", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const key = keys.settings("refunds");
  const stored = useQuery({ queryKey: key, queryFn: () => call(api.GET("/api/v1/settings/refunds")) });
  const [order, setOrder] = useState<string[]>([]);
  useEffect(() => {
    if (stored.data) setOrder(stored.data.tenderOrder);
  }, [stored.data]);
  const save = useMutation({
    mutationFn: (tenderOrder: string[]) =>
      call(api.PUT("/api/v1/settings/refunds", { body: { tenderOrder } })),
    onSuccess: (r) => {
      client.setQueryData(key, r);
      void message.success(t("saved"));
    },
    onError: (e) => void message.error(e.message),
  });
  const move = (i: number, by: -1 | 1) =>
    setOrder((o) => {
      const next = [...o];
      const [item] = next.splice(i, 1);
      if (item !== undefined) next.splice(i + by, 0, item);
      return next;
    });
  if (stored.error) return <Alert type="error" showIcon role="alert" title={stored.error.message} />;
  if (!stored.data) return <Skeleton active />;
  const name = (tender: string) => t(`tenders.names.${tender}`, { defaultValue: tender });
  const changed = order.join() !== stored.data.tenderOrder.join();
  return (
    <Card size="small" title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("tenders.title")}</h2>}>
      <Typography.Paragraph type="secondary">{t("tenders.intro")}</Typography.Paragraph>
      <List
        data-testid="tender-order"
        size="small"
        bordered
        dataSource={order}
        renderItem={(tender, i) => (
          <List.Item
            data-tender={tender}
            actions={[
              <Button
                key="up"
                size="small"
                icon={<ArrowUpOutlined />}
                aria-label={t("tenders.up", { name: name(tender) })}
                disabled={i === 0}
                onClick={() => move(i, -1)}
              />,
              <Button
                key="down"
                size="small"
                icon={<ArrowDownOutlined />}
                aria-label={t("tenders.down", { name: name(tender) })}
                disabled={i === order.length - 1}
                onClick={() => move(i, 1)}
              />,
            ]}
          >
            <Space>
              <Typography.Text type="secondary">{i + 1}.</Typography.Text>
              {name(tender)}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {tender}
              </Typography.Text>
            </Space>
          </List.Item>
        )}
      />
      <Space style={{ marginTop: 12 }}>
        <Button
          type="primary"
          data-testid="tender-save"
          disabled={!changed}
          loading={save.isPending}
          onClick={() => save.mutate(order)}
        >
          {t("common:actions.save")}
        </Button>
        <Button disabled={!changed} onClick={() => setOrder(stored.data.tenderOrder)}>
          {t("common:actions.reset")}
        </Button>
      </Space>
    </Card>
  );
}

type FeeValues = { fees: Record<string, { rateBp: number; returnedOnRefund: boolean }> };

function Fees() {
  const { t } = useScreenText("general", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const can = useCan();
  const [form] = Form.useForm<FeeValues>();
  const key = keys.settings("fees");
  const fees = useQuery({ queryKey: key, queryFn: () => call(api.GET("/api/v1/settings/finance")) });
  const rates = Form.useWatch("fees", form);
  const save = useMutation({
    mutationFn: (v: FeeValues) => call(api.PUT("/api/v1/settings/finance", { body: { fees: v.fees } })),
    onSuccess: (r) => {
      client.setQueryData(key, r);
      void message.success(t("saved"));
    },
    onError: (e) => {
      const placed = showAtFields(form, e, {
        INVALID_FEES: (d) => (typeof d.tender === "string" ? [["fees", d.tender, "rateBp"]] : []),
      });
      if (!placed) void message.error(e.message);
    },
  });
  if (fees.error) return <Alert type="error" showIcon role="alert" title={fees.error.message} />;
  if (!fees.data) return <Skeleton active />;
  const tenders = Object.keys(fees.data.fees);
  return (
    <Card size="small" title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("fees.title")}</h2>}>
      <Typography.Paragraph type="secondary">{t("fees.intro")}</Typography.Paragraph>
      <Form
        form={form}
        initialValues={fees.data as FeeValues}
        disabled={!can("settings.write")}
        onFinish={(v) => save.mutate(v)}
      >
        <Table
          rowKey={(r) => r}
          size="small"
          pagination={false}
          dataSource={tenders}
          columns={[
            {
              title: t("fees.tender"),
              key: "tender",
              render: (_: unknown, tender: string) => t(`tenders.names.${tender}`, { defaultValue: tender }),
            },
            {
              title: t("fees.rate"),
              key: "rate",
              render: (_: unknown, tender: string) => {
                const bp = rates?.[tender]?.rateBp;
                return (
                  <Space align="start">
                    <Form.Item name={["fees", tender, "rateBp"]} style={{ margin: 0 }}>
                      <InputNumber
                        min={0}
                        max={10000}
                        precision={0}
                        aria-label={`${t(`tenders.names.${tender}`)} ${t("fees.rate")}`}
                      />
                    </Form.Item>
                    {typeof bp === "number" && (
                      <Typography.Text type="secondary" style={{ lineHeight: "32px" }}>
                        {t("fees.percent", { percent: (bp / 100).toFixed(2) })}
                      </Typography.Text>
                    )}
                  </Space>
                );
              },
            },
            {
              title: t("fees.returned"),
              key: "returned",
              render: (_: unknown, tender: string) => (
                <Form.Item
                  name={["fees", tender, "returnedOnRefund"]}
                  valuePropName="checked"
                  style={{ margin: 0 }}
                >
                  <Switch aria-label={`${t(`tenders.names.${tender}`)} ${t("fees.returned")}`} />
                </Form.Item>
              ),
            },
          ]}
        />
        <Button type="primary" htmlType="submit" loading={save.isPending} style={{ marginTop: 12 }}>
          {t("common:actions.save")}
        </Button>
      </Form>
    </Card>
  );
}
