import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Form, Input, Skeleton, Typography } from "antd";
import { api, call } from "../../../../shared/api.ts";
import { useScreenText } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import { parseMoneyInput } from "../../../../shared/money.ts";
import { showAtFields } from "../../problems.ts";
import { TEXT } from "../text.ts";

const LIMITS = ["autoRefundLimit", "secondApprovalAbove"] as const;
type Values = Record<(typeof LIMITS)[number], string | undefined>;

/**
 * 审核设置: the shop's review limits — refunds rules may send at once, and the amount above which an
 * approval needs a second person. Amounts are decimals in the currency the shop sells in; empty: off.
 */
export function ReviewForm({ shop }: { shop: string }) {
  const { t } = useScreenText("shops", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Values>();
  const key = keys.shop(shop, "review");
  const path = { params: { path: { shop } } };
  const review = useQuery({
    queryKey: key,
    queryFn: () => call(api.GET("/api/v1/shops/{shop}/review-settings", path)),
  });
  const currency = review.data?.currency ?? null;
  const save = useMutation({
    mutationFn: (v: Values) => {
      const amount = (s: string | undefined) =>
        s?.trim() ? (parseMoneyInput(s, currency ?? "CNY") ?? s.trim()) : null;
      return call(
        api.PUT("/api/v1/shops/{shop}/review-settings", {
          ...path,
          body: {
            autoRefundLimit: amount(v.autoRefundLimit),
            secondApprovalAbove: amount(v.secondApprovalAbove),
          },
        }),
      );
    },
    onSuccess: (r) => {
      client.setQueryData(key, { ...r, currency });
      form.setFieldsValue({
        autoRefundLimit: r.autoRefundLimit ?? undefined,
        secondApprovalAbove: r.secondApprovalAbove ?? undefined,
      });
      void message.success(t("review.saved"));
    },
    onError: (e) => {
      if (!showAtFields(form, e, { INVALID_SETTING: (d) => [[String(d.key)]] }))
        void message.error(e.message);
    },
  });
  if (review.error) return <Alert type="error" showIcon role="alert" title={review.error.message} />;
  if (!review.data) return <Skeleton active />;
  const initial: Values = {
    autoRefundLimit: review.data.autoRefundLimit ?? undefined,
    secondApprovalAbove: review.data.secondApprovalAbove ?? undefined,
  };
  const hints = {
    autoRefundLimit: "review.autoRefundHint",
    secondApprovalAbove: "review.secondApprovalHint",
  };
  return (
    <Card size="small" style={{ maxWidth: 760 }}>
      <Typography.Paragraph type="secondary">{t("review.intro")}</Typography.Paragraph>
      <Typography.Paragraph strong data-testid="shop-currency">
        {currency ? t("review.currency", { currency }) : t("review.noCurrency")}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={initial} onFinish={(v) => save.mutate(v)}>
        {LIMITS.map((f) => (
          <Form.Item
            key={f}
            name={f}
            label={t(`review.${f}`)}
            extra={t(hints[f])}
            rules={[
              {
                validator: (_, v: string | undefined) =>
                  !v?.trim() || parseMoneyInput(v, currency ?? "CNY") !== null
                    ? Promise.resolve()
                    : Promise.reject(new Error(t("review.badAmount"))),
              },
            ]}
          >
            <Input
              inputMode="decimal"
              style={{ maxWidth: 280 }}
              placeholder={t("review.off")}
              {...(currency ? { suffix: currency } : {})}
              allowClear
            />
          </Form.Item>
        ))}
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t("common:actions.save")}
        </Button>
      </Form>
    </Card>
  );
}
