import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Form, Input, List, Select, Space, Typography } from "antd";
import { useEffect, useState } from "react";
import { api, call } from "../../../../shared/api.ts";
import { keys } from "../../../../shared/keys.ts";
import { formatMoney } from "../../../../shared/money.ts";
import { type CaseViewData, inCurrency, type QuoteEdits, useQuote } from "../data.ts";
import { QuoteTable } from "../sections/money.tsx";
import { useCaseText } from "../text.ts";
import { MoneyField, moneyValue, NoteField, noteValue } from "./fields.tsx";

const KINDS = ["restocking_fee", "return_shipping", "other"] as const;
type Kind = (typeof KINDS)[number];

export interface GrantValues {
  shipping?: string;
  amount?: string;
  deductions?: { kind: Kind; amount?: string; note?: string }[];
  note?: string;
}

/** The person's edits as the API takes them; amounts not (yet) readable are left out of the quote. */
export function grantEdits(v: GrantValues, currency: string): QuoteEdits {
  const deductions = (v.deductions ?? []).flatMap((d) => {
    const amount = moneyValue(d.amount, currency);
    return amount ? [{ kind: d.kind, amount, ...(d.note?.trim() ? { note: d.note.trim() } : {}) }] : [];
  });
  const shipping = moneyValue(v.shipping, currency);
  const amount = moneyValue(v.amount, currency);
  return {
    ...(shipping !== undefined ? { shipping } : {}),
    ...(amount !== undefined ? { amount } : {}),
    ...(deductions.length ? { deductions } : {}),
  };
}

export const grantBody = (v: GrantValues, currency: string) => ({
  ...grantEdits(v, currency),
  ...noteValue(v.note),
});

/** A value that settles: the quote is asked for once typing pauses, not at every key. */
function useSettled<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  const json = JSON.stringify(value);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the JSON text is the value's identity
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [json, ms]);
  return settled;
}

/** QC's advice (扣款建议) once goods came back and were inspected: its deductions start the form. */
function useQcAdvice(view: CaseViewData) {
  const id = view.case.id;
  return useQuery({
    queryKey: [...keys.case(id), "qc-advice"],
    queryFn: () => call(api.GET("/api/v1/cases/{id}/refund-recommendation", { params: { path: { id } } })),
    enabled: view.case.receipts.some((r) => r.inspectedAt),
    retry: false,
  });
}

/** A refund that failed goes again as it was decided: nothing to edit, only its failed legs to see. */
function Resend({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const failed = view.case.refunds.filter((r) => r.status === "failed");
  return (
    <>
      <Typography.Paragraph>{t("grant.resend")}</Typography.Paragraph>
      <List
        size="small"
        dataSource={failed}
        renderItem={(r) => (
          <List.Item style={{ display: "block" }}>
            <strong>{formatMoney(inCurrency(view, r.amount))}</strong> · {r.channel}
            {r.lastError && <div style={{ color: "#a8071a", fontSize: 13 }}>{r.lastError}</div>}
          </List.Item>
        )}
      />
      <NoteField />
    </>
  );
}

/**
 * 同意退款: the quote as it would be granted, editable — the shipping given back, deductions kept and
 * the amount itself — re-quoted by the server as the person types, so caps are the server's own.
 */
export function GrantFields({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const form = Form.useFormInstance<GrantValues>();
  const currency = view.currency;
  const money = (a: string) => formatMoney(inCurrency(view, a));
  const values = (Form.useWatch([], form) ?? {}) as GrantValues;
  const edits = useSettled(grantEdits(values, currency));
  const resend = view.case.status === "refund_failed";
  const quote = useQuote(view, edits, !resend);
  const base = useQuote(view, {}, !resend);
  const advice = useQcAdvice(view);
  useEffect(() => {
    const a = advice.data;
    if (a?.kind === "deduct" && !form.isFieldTouched("deductions"))
      form.setFieldsValue({
        deductions: a.deductions.map((d) => ({ kind: d.kind, amount: d.amount, note: d.note })),
      });
  }, [advice.data, form]);
  if (resend) return <Resend view={view} />;
  const q = quote.data;
  return (
    <>
      {advice.data && advice.data.kind !== "full" && (
        <Alert
          type={advice.data.kind === "refuse" ? "warning" : "info"}
          showIcon
          style={{ marginBottom: 12 }}
          title={advice.data.reasons.map((r) => `${r.sku} × ${r.quantity}: ${r.finding}`).join("; ")}
        />
      )}
      {q ? (
        <QuoteTable view={view} quote={q} />
      ) : (
        <Typography.Text type="secondary">{t("grant.quoting")}</Typography.Text>
      )}
      {quote.error && (
        <Alert type="error" showIcon role="alert" style={{ marginTop: 8 }} title={quote.error.message} />
      )}
      {base.data && (
        <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8 }} data-testid="grant-cap">
          {t("grant.capExplain", {
            cap: money(base.data.cap),
            goods: money(base.data.goods),
            shipping: money(base.data.shippingComputed),
          })}
        </Typography.Paragraph>
      )}
      <MoneyField
        name="shipping"
        label={t("grant.shippingBack", { currency })}
        currency={currency}
        placeholder={base.data?.shippingComputed}
        extra={
          base.data ? t("grant.shippingHint", { computed: money(base.data.shippingComputed) }) : undefined
        }
      />
      <Form.List name="deductions">
        {(fields, { add, remove }) => (
          <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
            <legend style={{ fontSize: 14, marginBottom: 8 }}>{t("grant.deductions")}</legend>
            {fields.map((f, n) => (
              <Space key={f.key} align="start" wrap size={[8, 0]} data-testid={`deduction-${n}`}>
                <Form.Item name={[f.name, "kind"]} rules={[{ required: true, message: t("form.required") }]}>
                  <Select
                    aria-label={t("grant.deductionKind")}
                    style={{ width: 150 }}
                    options={KINDS.map((k) => ({ value: k, label: t(`grant.kinds.${k}`) }))}
                  />
                </Form.Item>
                <div style={{ width: 140 }}>
                  <MoneyField
                    name={[f.name, "amount"]}
                    label={null}
                    currency={currency}
                    required
                    placeholder={t("grant.deductionAmount")}
                    ariaLabel={t("grant.deductionAmount")}
                  />
                </div>
                <Form.Item name={[f.name, "note"]}>
                  <Input
                    aria-label={t("grant.deductionNote")}
                    placeholder={t("grant.deductionNote")}
                    style={{ width: 160 }}
                  />
                </Form.Item>
                <Button
                  type="text"
                  icon={<DeleteOutlined />}
                  aria-label={t("grant.removeDeduction")}
                  onClick={() => remove(f.name)}
                />
              </Space>
            ))}
            <Button
              icon={<PlusOutlined />}
              onClick={() => add({ kind: "restocking_fee" })}
              style={{ marginBottom: 16 }}
              data-testid="add-deduction"
            >
              {t("grant.addDeduction")}
            </Button>
          </fieldset>
        )}
      </Form.List>
      <MoneyField
        name="amount"
        label={t("grant.amount", { currency })}
        currency={currency}
        extra={q ? t("grant.amountHint", { total: money(q.total), cap: money(q.cap) }) : undefined}
      />
      <NoteField />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: 0 }}>
        {t("grant.sendHint")}
      </Typography.Paragraph>
    </>
  );
}
