import { Form, Input, Modal } from "antd";
import { decimalsOf, parseMoneyInput } from "../../shared/money.ts";
import type { Item } from "./card.tsx";
import { type MoveInput, needsOf, type Target } from "./moves.ts";
import { useBoardText } from "./text.ts";

export interface PendingMove {
  item: Item;
  target: Target;
}

/** The little a drop needs before its action can run: a reason, a parcel or an amount. */
export function MoveDialog({
  move,
  busy,
  onSubmit,
  onCancel,
}: {
  move: PendingMove | null;
  busy: boolean;
  onSubmit: (input: MoveInput) => void;
  onCancel: () => void;
}) {
  const { t } = useBoardText();
  const [form] = Form.useForm<MoveInput>();
  const needs = move ? needsOf(move.target.action) : "nothing";
  const currency = move?.item.amount?.currency ?? "CNY";
  const action = move ? t(`actions.${move.target.action}`, { defaultValue: move.target.action }) : "";
  return (
    <Modal
      open={move !== null}
      title={move ? t("form.title", { action, id: move.item.id }) : ""}
      okText={t("form.submit")}
      cancelText={t("common:actions.cancel")}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={onCancel}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        preserve={false}
        onFinish={(v) =>
          onSubmit(
            needs === "amount" ? { amount: parseMoneyInput(v.amount ?? "", currency) ?? undefined } : v,
          )
        }
      >
        {needs === "note" && (
          <Form.Item
            name="note"
            label={t("form.note")}
            rules={[{ required: true, whitespace: true, message: t("form.noteRequired") }]}
          >
            <Input.TextArea rows={3} autoFocus maxLength={500} />
          </Form.Item>
        )}
        {needs === "parcel" &&
          (["carrier", "trackingNo"] as const).map((field, i) => (
            <Form.Item
              key={field}
              name={field}
              label={t(`form.${field}`)}
              rules={[
                {
                  required: true,
                  whitespace: true,
                  message: t("form.required", { field: t(`form.${field}`) }),
                },
              ]}
            >
              <Input autoFocus={i === 0} placeholder={field === "carrier" ? "SF" : undefined} />
            </Form.Item>
          ))}
        {needs === "amount" && (
          <Form.Item
            name="amount"
            label={t("form.amount", { currency })}
            extra={t("form.amountHint")}
            rules={[
              {
                validator: (_, v?: string) =>
                  !v?.trim() || parseMoneyInput(v, currency) !== null
                    ? Promise.resolve()
                    : Promise.reject(new Error(t("form.amountInvalid", { decimals: decimalsOf(currency) }))),
              },
            ]}
          >
            <Input autoFocus inputMode="decimal" placeholder={move?.item.amount?.amount} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
