import { Form, Input } from "antd";
import type { NamePath } from "antd/es/form/interface";
import type { ReactNode } from "react";
import { decimalsOf, parseMoneyInput } from "../../../../shared/money.ts";
import { useCaseText } from "../text.ts";

/** An amount typed as the person sees it ("1,200.5", "¥12"), checked exactly (no floats), currency shown. */
export function MoneyField({
  name,
  label,
  currency,
  required = false,
  extra,
  placeholder,
  ariaLabel,
}: {
  name: NamePath;
  label: ReactNode;
  currency: string;
  required?: boolean;
  extra?: ReactNode;
  placeholder?: string;
  /** For a field shown without its label (a row of a list). */
  ariaLabel?: string;
}) {
  const { t } = useCaseText();
  return (
    <Form.Item
      name={name}
      label={label}
      extra={extra}
      rules={[
        { required, message: t("form.required") },
        {
          validator: (_, v: string | undefined) =>
            !v?.trim() || parseMoneyInput(v, currency) !== null
              ? Promise.resolve()
              : Promise.reject(new Error(t("form.badAmount", { decimals: decimalsOf(currency) }))),
        },
      ]}
    >
      <Input
        inputMode="decimal"
        autoComplete="off"
        suffix={currency}
        placeholder={placeholder}
        aria-label={ariaLabel}
      />
    </Form.Item>
  );
}

/** The typed amount as the API takes it, or undefined when left empty. */
export const moneyValue = (v: string | undefined, currency: string) =>
  v?.trim() ? (parseMoneyInput(v, currency) ?? undefined) : undefined;

/** A note for the timeline (optional unless `required`). */
export function NoteField({ label, required = false }: { label?: ReactNode; required?: boolean }) {
  const { t } = useCaseText();
  return (
    <Form.Item
      name="note"
      label={label ?? t("form.note")}
      rules={[{ required, whitespace: true, message: t("form.required") }]}
    >
      <Input.TextArea
        autoSize={{ minRows: 2, maxRows: 5 }}
        placeholder={required ? undefined : t("form.notePlaceholder")}
      />
    </Form.Item>
  );
}

/** The note to send: trimmed, and left out when empty. */
export const noteValue = (v: unknown) => (typeof v === "string" && v.trim() ? { note: v.trim() } : {});
