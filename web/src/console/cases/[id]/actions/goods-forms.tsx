import { Form, Input, InputNumber, Radio, Select } from "antd";
import type { CaseViewData } from "../data.ts";
import { useCaseText } from "../text.ts";
import { MoneyField, NoteField } from "./fields.tsx";

const CONDITIONS = ["intact", "opened", "damaged", "wrong_item", "missing_parts", "empty_box"] as const;
const COMPENSATIONS = ["cash", "coupon", "points", "shipping_subsidy"] as const;

/** A parcel: the buyer's return (退货物流) or the replacement going out (换货/补发). */
export function ParcelFields() {
  const { t } = useCaseText();
  return (
    <>
      <Form.Item
        name="carrier"
        label={t("form.carrier")}
        rules={[{ required: true, whitespace: true, message: t("form.required") }]}
      >
        <Input autoFocus autoComplete="off" placeholder="SF, YTO, ZTO…" />
      </Form.Item>
      <Form.Item
        name="trackingNo"
        label={t("form.trackingNo")}
        rules={[{ required: true, whitespace: true, message: t("form.required") }]}
      >
        <Input autoComplete="off" />
      </Form.Item>
      <NoteField />
    </>
  );
}

/** Units the case still waits for: asked for, less what the warehouse has received. */
export const outstanding = (view: CaseViewData) =>
  Math.max(
    0,
    view.case.items.reduce((s, i) => s + i.quantity, 0) -
      view.case.receipts.reduce((s, r) => s + r.quantity, 0),
  );

/** 收货: how many units arrived and in what state. */
export function ReceiveFields({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const asked = view.case.items.reduce((s, i) => s + i.quantity, 0);
  return (
    <>
      <Form.Item
        name="quantity"
        label={t("form.quantity")}
        extra={t("form.quantityHint", { n: asked })}
        rules={[{ required: true, message: t("form.required") }]}
      >
        <InputNumber min={1} max={Math.max(1, outstanding(view))} precision={0} autoFocus />
      </Form.Item>
      <Form.Item
        name="condition"
        label={t("form.condition")}
        rules={[{ required: true, message: t("form.required") }]}
      >
        <Select options={CONDITIONS.map((c) => ({ value: c, label: t(`form.conditions.${c}`) }))} />
      </Form.Item>
      <NoteField />
    </>
  );
}

/** 质检: pass or fail for what was received. */
export function InspectFields() {
  const { t } = useCaseText();
  return (
    <>
      <Form.Item
        name="result"
        label={t("form.result")}
        rules={[{ required: true, message: t("form.required") }]}
      >
        <Radio.Group
          options={[
            { value: "pass", label: t("form.pass") },
            { value: "fail", label: t("form.fail") },
          ]}
        />
      </Form.Item>
      <NoteField />
    </>
  );
}

/** 补偿: cash, a coupon, points or the return postage, with its amount and reference. */
export function CompensateFields({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  return (
    <>
      <Form.Item
        name="type"
        label={t("form.compensationType")}
        rules={[{ required: true, message: t("form.required") }]}
      >
        <Select options={COMPENSATIONS.map((c) => ({ value: c, label: t(`form.compensationTypes.${c}`) }))} />
      </Form.Item>
      <MoneyField
        name="amount"
        label={t("form.amount", { currency: view.currency })}
        currency={view.currency}
        required
      />
      <Form.Item name="reference" label={t("form.reference")}>
        <Input autoComplete="off" />
      </Form.Item>
      <NoteField />
    </>
  );
}
