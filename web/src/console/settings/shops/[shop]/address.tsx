import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Col, Form, Input, Row, Skeleton } from "antd";
import { api, call } from "../../../../shared/api.ts";
import type { components } from "../../../../shared/api-types.ts";
import { useScreenText } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import { showAtFields } from "../../problems.ts";
import { TEXT } from "../text.ts";

type Address = components["schemas"]["ReturnAddress"];

/** 退货地址: where the shop's buyers send returns, as the platform is told when a return is agreed. */
export function ReturnAddressForm({ shop }: { shop: string }) {
  const { t } = useScreenText("shops", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Address>();
  const key = keys.shop(shop, "return-address");
  const path = { params: { path: { shop } } };
  const address = useQuery({
    queryKey: key,
    queryFn: () => call(api.GET("/api/v1/shops/{shop}/return-address", path)),
  });
  const save = useMutation({
    mutationFn: (v: Address) => {
      const body: Address = { name: v.name ?? "", phone: v.phone ?? "", address: v.address ?? "" };
      if (v.postcode?.trim()) body.postcode = v.postcode;
      if (v.addressId?.trim()) body.addressId = v.addressId;
      return call(api.PUT("/api/v1/shops/{shop}/return-address", { ...path, body }));
    },
    onSuccess: (a) => {
      client.setQueryData(key, a);
      form.setFieldsValue(a);
      void message.success(t("address.saved"));
    },
    onError: (e) => {
      const placed = showAtFields(form, e, {
        INVALID_RETURN_ADDRESS: (d) => (typeof d.part === "string" ? [[d.part]] : []),
      });
      if (!placed) void message.error(e.message);
    },
  });
  if (address.error) return <Alert type="error" showIcon role="alert" title={address.error.message} />;
  if (address.isLoading) return <Skeleton active />;
  return (
    <Card size="small" style={{ maxWidth: 760 }}>
      <Alert
        type={address.data ? "info" : "warning"}
        showIcon
        title={address.data ? t("address.intro") : t("address.none")}
        style={{ marginBottom: 16 }}
      />
      <Form form={form} layout="vertical" initialValues={address.data ?? {}} onFinish={(v) => save.mutate(v)}>
        <Row gutter={12}>
          <Col xs={24} md={12}>
            <Form.Item name="name" label={t("address.name")} rules={[{ required: true, whitespace: true }]}>
              <Input autoComplete="off" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="phone" label={t("address.phone")} rules={[{ required: true, whitespace: true }]}>
              <Input inputMode="tel" autoComplete="off" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="address" label={t("address.address")} rules={[{ required: true, whitespace: true }]}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} md={8}>
            <Form.Item name="postcode" label={t("address.postcode")}>
              <Input inputMode="numeric" autoComplete="off" />
            </Form.Item>
          </Col>
          <Col xs={24} md={16}>
            <Form.Item name="addressId" label={t("address.addressId")} extra={t("address.addressIdHint")}>
              <Input autoComplete="off" />
            </Form.Item>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t("common:actions.save")}
        </Button>
      </Form>
    </Card>
  );
}
