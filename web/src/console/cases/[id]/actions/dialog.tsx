import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Form, Modal } from "antd";
import { useState } from "react";
import { api, call } from "../../../../shared/api.ts";
import { label } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import type { CaseViewData } from "../data.ts";
import { stateLabel, useCaseText } from "../text.ts";
import { postAction, type Slug } from "./post.ts";
import { ActionProblem } from "./problem.tsx";
import { ACTION_SPECS, actionLabel } from "./registry.tsx";

interface Sent {
  error?: { code: string; message: string };
}

/** A refund that was decided but not (yet) sent says why, in the caller's words (inCallersWords). */
const sendingProblem = (res: { refund?: Sent; refunds?: Sent[] }) =>
  (res.refund?.error ?? res.refunds?.find((r) => r.error)?.error)?.message;

/**
 * One action's form in a dialog. It sends the version the person saw when they opened it, so a case
 * that changed meanwhile is a conflict they see (and reload), never a decision on facts they did not.
 */
export function ActionDialog({
  slug,
  view,
  reload,
  onClose,
  onActed,
}: {
  slug: string;
  view: CaseViewData;
  reload: () => Promise<CaseViewData | undefined>;
  onClose: () => void;
  onActed?: (action: string, result: unknown) => void;
}) {
  const { t } = useCaseText();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm();
  const [version, setVersion] = useState(view.case.version);
  const spec = ACTION_SPECS[slug];
  const reasons = useQuery({
    queryKey: keys.vocabulary(),
    queryFn: () => call(api.GET("/api/v1/rules/vocabulary")),
    staleTime: Number.POSITIVE_INFINITY,
    enabled: slug === "reject",
  });
  const act = useMutation({
    mutationFn: (values: Record<string, unknown>) => {
      const body = spec?.body(values, view, { rejectReasons: reasons.data?.rejectReasons }) ?? {};
      return postAction(view.case.id, slug as Slug, { ...body, expectedVersion: version } as never);
    },
    onSuccess: (res) => {
      const r = res as { status?: string; version?: number; refund?: Sent; refunds?: Sent[] };
      // The answer says the new state and version; the live event brings the rest (and the actions).
      if (typeof r.status === "string" && typeof r.version === "number") {
        const status = r.status;
        const next = r.version;
        client.setQueryData<CaseViewData>(keys.caseView(view.case.id), (v) =>
          v
            ? {
                ...v,
                case: {
                  ...v.case,
                  status: status as never,
                  statusLabel: stateLabel(status),
                  version: next,
                  availableActions: [],
                },
              }
            : v,
        );
      }
      const problem = sendingProblem(r);
      if (problem) void message.warning(t("grant.sendProblem", { message: problem }));
      else
        void message.success(
          t("actions.done", {
            action: t(`actions.${actionLabel(slug, view)}`),
            status: r.status ? label(stateLabel(r.status)) : "",
          }),
        );
      onClose();
      onActed?.(slug, res);
    },
  });
  if (!spec) return null;
  const doReload = async () => {
    const fresh = await reload();
    if (fresh) setVersion(fresh.case.version);
    act.reset();
  };
  return (
    <Modal
      open
      title={t(`actions.${actionLabel(slug, view)}`)}
      width={spec.width ?? 520}
      okText={t("form.submit")}
      cancelText={t("form.cancel")}
      okButtonProps={{ danger: spec.tone === "danger", "data-testid": "action-submit" } as never}
      confirmLoading={act.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <div style={{ marginBottom: act.error ? 12 : 0 }}>
        <ActionProblem error={act.error} onReload={() => void doReload()} />
      </div>
      <Form
        form={form}
        layout="vertical"
        initialValues={spec.initial?.(view)}
        onFinish={(values) => act.mutate(values)}
        requiredMark="optional"
      >
        {spec.fields(view)}
      </Form>
    </Modal>
  );
}
