import { useQuery } from "@tanstack/react-query";
import { Form, Input, Radio, Select, Typography } from "antd";
import { api, call } from "../../../../shared/api.ts";
import { label } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import type { CaseViewData } from "../data.ts";
import { actorText } from "../format.ts";
import { useCaseText } from "../text.ts";
import { NoteField } from "./fields.tsx";

/** A yes-or-no step (approve, cancel, close, send, review again): what it does, and a note. */
export function ConfirmFields({ view, question }: { view: CaseViewData; question: string }) {
  const { t } = useCaseText();
  const second = view.review.awaitingSecondApproval && question === "form.approveConfirm";
  return (
    <>
      <Typography.Paragraph strong>{t(question)}</Typography.Paragraph>
      {second && (
        <Typography.Paragraph>
          {t("form.secondApprovalHint", { who: actorText(t, view.review.firstApproval) })}
        </Typography.Paragraph>
      )}
      <NoteField />
    </>
  );
}

/** Our rejection reasons (拒绝原因) as the rules vocabulary lists them; each platform maps them to its codes. */
const useRejectReasons = () =>
  useQuery({
    queryKey: keys.vocabulary(),
    queryFn: () => call(api.GET("/api/v1/rules/vocabulary")),
    staleTime: Number.POSITIVE_INFINITY,
  });

export interface RejectValues {
  reason?: string;
  text?: string;
}

/**
 * The note a rejection sends: the reason's label first, as the server reads it back into the reason
 * (platform-decision.ts rejectionReason) and the platform gets its own code for it; then the words.
 */
export function rejectNote(v: RejectValues, reasons: Record<string, { zh: string; en: string }> | undefined) {
  const reason = v.reason ? label(reasons?.[v.reason]) || v.reason : "";
  const text = v.text?.trim() ?? "";
  return reason && text ? `${reason}：${text}` : reason || text;
}

export function RejectFields({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const reasons = useRejectReasons();
  const platform = view.case.source === "platform";
  const form = Form.useFormInstance<RejectValues>();
  return (
    <>
      <Form.Item
        name="reason"
        label={t("form.rejectReason")}
        extra={platform ? t("form.rejectReasonHint") : undefined}
        rules={[{ required: platform, message: t("form.required") }]}
      >
        <Select
          allowClear
          autoFocus
          loading={reasons.isPending}
          options={Object.entries(reasons.data?.rejectReasons ?? {}).map(([value, l]) => ({
            value,
            label: label(l),
          }))}
        />
      </Form.Item>
      <Form.Item
        name="text"
        label={t("form.rejectNote")}
        dependencies={["reason"]}
        rules={[
          {
            validator: (_, v: string | undefined) =>
              v?.trim() || form.getFieldValue("reason")
                ? Promise.resolve()
                : Promise.reject(new Error(t("form.rejectNoteRequired"))),
          },
        ]}
      >
        <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={480} />
      </Form.Item>
    </>
  );
}

export const useRejectBody = () => {
  const reasons = useRejectReasons();
  return (v: RejectValues) => ({ note: rejectNote(v, reasons.data?.rejectReasons) });
};

/** 人工改判: a person turns a rule's decision around, and says why; the timeline keeps both. */
export function OverrideFields() {
  const { t } = useCaseText();
  return (
    <>
      <Form.Item
        name="decision"
        label={t("form.decision")}
        rules={[{ required: true, message: t("form.required") }]}
      >
        <Radio.Group
          options={[
            { value: "approve", label: t("actions.approve") },
            { value: "reject", label: t("actions.reject") },
          ]}
        />
      </Form.Item>
      <NoteField label={t("form.overrideNote")} required />
    </>
  );
}
