import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Badge,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  Popconfirm,
  Skeleton,
  Space,
  Tag,
} from "antd";
import dayjs from "dayjs";
import { api, call } from "../../../../shared/api.ts";
import type { components } from "../../../../shared/api-types.ts";
import { useScreenText } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import { showAtFields } from "../../problems.ts";
import { TEXT } from "../text.ts";

type Shop = components["schemas"]["Shop"];
type Values = Record<string, string | undefined>;
/** Fields that are addresses or options, not secrets: typed in the clear (still never read back). */
const PLAIN = ["gateway", "sign_method"];
const asNames = (v: unknown) => (Array.isArray(v) ? v.map((k) => [String(k)]) : []);

/**
 * The shop's platform credentials, write-only: the form starts empty every time and says, per field,
 * only whether it is set; saving replaces the whole set (PUT /shops/:shop/credentials).
 */
export function ConnectionForm({ shop }: { shop: Shop }) {
  const { t } = useScreenText("shops", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Values>();
  const key = keys.shop(shop.id, "credentials");
  const path = { params: { path: { shop: shop.id } } };
  const conn = useQuery({
    queryKey: key,
    queryFn: () => call(api.GET("/api/v1/shops/{shop}/credentials", path)),
  });
  const save = useMutation({
    mutationFn: (v: Values) => {
      const body = Object.fromEntries(
        Object.entries(v).filter(
          (e): e is [string, string] => typeof e[1] === "string" && e[1].trim() !== "",
        ),
      );
      return call(api.PUT("/api/v1/shops/{shop}/credentials", { ...path, body }));
    },
    onSuccess: (c) => {
      client.setQueryData(key, c);
      form.resetFields();
      void message.success(t("cred.saved"));
    },
    onError: (e) => {
      const placed = showAtFields(form, e, {
        CREDENTIAL_FIELDS_MISSING: (d) => asNames(d.missing),
        UNKNOWN_CREDENTIAL_FIELD: (d) => asNames(d.unknown),
        INVALID_GATEWAY: () => [["gateway"]],
      });
      if (!placed) void message.error(e.message);
    },
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE("/api/v1/shops/{shop}/credentials", { ...path, body: {} })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: key });
      void message.success(t("cred.disconnected"));
    },
    onError: (e) => void message.error(e.message),
  });
  if (conn.error) return <Alert type="error" showIcon role="alert" title={conn.error.message} />;
  if (!conn.data) return <Skeleton active />;
  const c = conn.data;
  if (!c.supported)
    return (
      <Alert
        type="info"
        showIcon
        title={t("cred.unsupported", { channel: t(`common:channels.${shop.channel}`) })}
      />
    );
  const isSet = (f: string) => c.fields.includes(f);
  const field = (f: string, required: boolean) => (
    <Form.Item
      key={f}
      name={f}
      label={
        <Space size={6}>
          <code>{f}</code>
          <Tag color={required ? "blue" : "default"}>
            {required ? t("cred.required") : t("cred.optional")}
          </Tag>
          {isSet(f) ? (
            <Badge status="success" text={t("cred.set")} data-testid={`set-${f}`} />
          ) : (
            <Badge status="default" text={t("cred.unset")} />
          )}
        </Space>
      }
      extra={f === "gateway" ? t("cred.gatewayHint") : undefined}
      rules={required ? [{ required: true, whitespace: true }] : []}
    >
      {PLAIN.includes(f) ? (
        <Input autoComplete="off" placeholder={isSet(f) ? t("cred.placeholderSet") : undefined} />
      ) : (
        <Input.Password
          autoComplete="new-password"
          placeholder={isSet(f) ? t("cred.placeholderSet") : undefined}
          visibilityToggle={false}
        />
      )}
    </Form.Item>
  );
  return (
    <Card size="small" style={{ maxWidth: 760 }}>
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2 }}
        items={[
          {
            key: "status",
            label: t("cred.status"),
            children: c.connected ? (
              <Badge status="success" text={t("connected")} />
            ) : (
              <Badge status="default" text={t("notConnected")} />
            ),
          },
          {
            key: "updated",
            label: t("cred.updatedAt"),
            children: c.updatedAt ? dayjs(c.updatedAt).format("YYYY-MM-DD HH:mm") : t("cred.never"),
          },
        ]}
        style={{ marginBottom: 12 }}
      />
      <Alert type="info" title={t("cred.intro")} style={{ marginBottom: 16 }} />
      <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} autoComplete="off">
        {c.required.map((f) => field(f, true))}
        {c.optional.map((f) => field(f, false))}
        <Space>
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t("cred.save")}
          </Button>
          {c.connected && (
            <Popconfirm
              title={t("cred.disconnectConfirm")}
              okText={t("common:actions.ok")}
              cancelText={t("common:actions.cancel")}
              onConfirm={() => remove.mutate()}
            >
              <Button danger loading={remove.isPending}>
                {t("cred.disconnect")}
              </Button>
            </Popconfirm>
          )}
        </Space>
      </Form>
    </Card>
  );
}
