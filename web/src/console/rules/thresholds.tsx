import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Row,
  Skeleton,
  Space,
  Switch,
  Typography,
} from "antd";
import type { FormInstance } from "antd/es/form";
import { api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";
import { label } from "../../shared/i18n.ts";
import { keys } from "../../shared/keys.ts";
import { parseMoneyInput } from "../../shared/money.ts";
import { useCan } from "../../shared/session.ts";
import { issuesOf } from "./data.ts";
import { useRulesText } from "./text.ts";

type Fields =
  paths["/api/v1/settings/thresholds/fields"]["get"]["responses"][200]["content"]["application/json"];
type FieldSpec = Fields["risk"]["fields"][number];
type Values = Record<string, unknown>;

/** Put each problem the server found under the field it names ("weights.frequent_refunder" → that weight). */
function showProblems(form: FormInstance, e: unknown): boolean {
  const list = issuesOf(e);
  if (list.length === 0) return false;
  form.setFields(list.map((p) => ({ name: p.path ? p.path.split(".") : ["_form"], errors: [p.message] })));
  return true;
}

/**
 * 风险阈值与质量预警: the thresholds the case risk score and the quality alerts compare with, edited as a
 * form built from what the server says each one is; refused values are explained at their field.
 */
export function Thresholds() {
  const { t } = useRulesText();
  const can = useCan();
  const editable = can("settings.write");
  const fields = useQuery({
    queryKey: keys.settings("thresholdFields"),
    queryFn: () => call(api.GET("/api/v1/settings/thresholds/fields")),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const risk = useQuery({
    queryKey: keys.settings("risk"),
    queryFn: () => call(api.GET("/api/v1/settings/risk")),
  });
  const quality = useQuery({
    queryKey: keys.settings("quality"),
    queryFn: () => call(api.GET("/api/v1/settings/quality")),
  });
  const failure = fields.error ?? risk.error ?? quality.error;
  if (failure) return <Alert type="error" showIcon role="alert" title={failure.message} />;
  if (!fields.data || !risk.data || !quality.data) return <Skeleton active />;
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={14}>
        <ThresholdForm
          name="risk"
          title={t("thresholds.risk")}
          intro={t("thresholds.riskIntro")}
          fields={fields.data.risk.fields}
          currency={fields.data.risk.currency}
          values={risk.data as unknown as Values}
          weights={fields.data.risk.signals}
          editable={editable}
          save={(body) => call(api.PUT("/api/v1/settings/risk", { body }))}
        />
      </Col>
      <Col xs={24} xl={10}>
        <Space orientation="vertical" size={16} style={{ width: "100%" }}>
          <ActivationSetting editable={editable} />
          <ThresholdForm
            name="quality"
            title={t("thresholds.quality")}
            intro={t("thresholds.qualityIntro")}
            fields={fields.data.quality.fields}
            currency={fields.data.risk.currency}
            values={quality.data as unknown as Values}
            editable={editable}
            save={(body) => call(api.PUT("/api/v1/settings/quality", { body }))}
          />
        </Space>
      </Col>
    </Row>
  );
}

function ThresholdForm({
  name,
  title,
  intro,
  fields,
  currency,
  values,
  weights,
  editable,
  save,
}: {
  name: string;
  title: string;
  intro: string;
  fields: FieldSpec[];
  currency: string;
  values: Values;
  weights?: Fields["risk"]["signals"];
  editable: boolean;
  save: (body: Values) => Promise<unknown>;
}) {
  const { t } = useRulesText();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Values>();
  const write = useMutation({
    mutationFn: (v: Values) => {
      // The server takes what it reads back, less what it only reports (the currency of amounts).
      const { currency: _c, _form, ...body } = v;
      return save(body);
    },
    onSuccess: (saved) => {
      // Settings are not cases: no live event names them, so this form's query is refreshed here.
      client.setQueryData(keys.settings(name), saved);
      form.resetFields();
      void message.success(t("thresholds.saved"));
    },
    onError: (e) => {
      if (!showProblems(form, e)) void message.error(e.message);
    },
  });
  return (
    <Card size="small" title={title} data-testid={`thresholds-${name}`}>
      <Typography.Paragraph type="secondary">{intro}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        initialValues={values}
        disabled={!editable}
        onFinish={(v) =>
          write.mutate({
            ...values,
            ...v,
            ...(v.weights ? { weights: { ...(values.weights as object), ...(v.weights as object) } } : {}),
          })
        }
      >
        <Form.Item name="_form" hidden>
          <Input />
        </Form.Item>
        <Row gutter={12}>
          {fields.map((f) => (
            <Col key={f.key} xs={24} md={12}>
              <div data-path={f.key}>
                <Form.Item
                  name={f.key}
                  label={label(f.label)}
                  extra={label(f.hint)}
                  rules={
                    f.kind === "minor"
                      ? [
                          {
                            validator: (_, v) =>
                              parseMoneyInput(String(v ?? ""), currency) === null
                                ? Promise.reject(new Error(t("thresholds.badAmount", { currency })))
                                : Promise.resolve(),
                          },
                        ]
                      : []
                  }
                >
                  {f.kind === "minor" ? (
                    <Input suffix={currency} inputMode="decimal" />
                  ) : (
                    <InputNumber
                      style={{ width: "100%" }}
                      step={f.kind === "rate" || f.kind === "openRate" ? 0.01 : 1}
                    />
                  )}
                </Form.Item>
              </div>
            </Col>
          ))}
        </Row>
        {weights && (
          <>
            <Typography.Title level={5}>{t("thresholds.weights")}</Typography.Title>
            <Typography.Paragraph type="secondary">{t("thresholds.weightsIntro")}</Typography.Paragraph>
            <Row gutter={12}>
              {weights.map((s) => (
                <Col key={s.code} xs={24} md={12}>
                  <div data-path={`weights.${s.code}`}>
                    <Form.Item
                      name={["weights", s.code]}
                      label={label(s.label)}
                      extra={t("thresholds.defaultWeight", { n: s.defaultWeight })}
                    >
                      <InputNumber style={{ width: "100%" }} />
                    </Form.Item>
                  </div>
                </Col>
              ))}
            </Row>
          </>
        )}
        {editable && (
          <Space>
            <Button
              type="primary"
              htmlType="submit"
              loading={write.isPending}
              data-testid={`thresholds-${name}-save`}
            >
              {t("thresholds.save")}
            </Button>
            <Button htmlType="button" onClick={() => form.resetFields()}>
              {t("common:actions.reset")}
            </Button>
          </Space>
        )}
      </Form>
    </Card>
  );
}

/** Maker–checker for rule sets: whether a draft needs someone other than its author to go live. */
function ActivationSetting({ editable }: { editable: boolean }) {
  const { t } = useRulesText();
  const { message } = App.useApp();
  const client = useQueryClient();
  const setting = useQuery({
    queryKey: keys.settings("rulesActivation"),
    queryFn: () => call(api.GET("/api/v1/settings/rules-activation")),
  });
  const write = useMutation({
    mutationFn: (secondPerson: boolean) =>
      call(api.PUT("/api/v1/settings/rules-activation", { body: { secondPerson } })),
    onSuccess: (saved) => {
      client.setQueryData(keys.settings("rulesActivation"), saved);
      void client.invalidateQueries({ queryKey: keys.rules() });
    },
    onError: (e) => void message.error(e.message),
  });
  return (
    <Card size="small" title={t("thresholds.activation")} data-testid="activation-setting">
      <Space align="start">
        <Switch
          checked={setting.data?.secondPerson ?? false}
          loading={setting.isPending || write.isPending}
          disabled={!editable}
          onChange={(on) => write.mutate(on)}
          aria-label={t("thresholds.secondPerson")}
        />
        <div>
          <Typography.Text strong>{t("thresholds.secondPerson")}</Typography.Text>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {t("thresholds.secondPersonHint")}
          </Typography.Paragraph>
        </div>
      </Space>
    </Card>
  );
}
